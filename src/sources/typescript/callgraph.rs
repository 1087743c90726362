//! A name-based call graph, scoped per Worker: which entry points reach a
//! function, and where in each entry point the call leading there is.
//!
//! Functions are matched by name (`helper(…)`, `this.helper(…)`,
//! `store.save(…)`), not by type, so the graph is scoped to the Worker whose
//! config folder holds the file, or outside every Worker to the package
//! (`package.json` folder) holding it: two Workers' `handleRequest`, or
//! two packages' `upload`, never mix. Where the code shows a method call's
//! receiver class (`new Store(…)`, `this`, `store: Store`), the call joins
//! only that class's method of the name.
//! Walks are bounded in depth and breadth.

use super::index::{CodeIndex, FileIndex};
use super::syntax::{location, string_value, text, unwrap_expr};
use crate::cloudflare::{self, Lang};
use crate::model::{EntryPoint, Handler, Location, ResourceOp, Worker, in_folder};
use crate::sources::typescript::parse::NodeKind;
use rayon::prelude::*;
use std::collections::HashMap;
use tree_sitter::Node;

/// The smallest node at a 1-based location, with its file's text.
fn node_at<'a>(index: &CodeIndex<'a>, at: &Location) -> Option<(Node<'a>, &'a str)> {
    let file = index.file(&at.path)?;
    let point = tree_sitter::Point {
        row: at.line.saturating_sub(1) as usize,
        column: at.column.saturating_sub(1) as usize,
    };
    Some((
        file.root.descendant_for_point_range(point, point)?,
        file.src,
    ))
}

/// The `subject == "value"` comparisons (`===` too, either side) a
/// condition makes through `joiner` (`&&` or `||`), and its other leaves.
fn comparisons<'t>(
    cond: Node<'t>,
    src: &str,
    joiner: &str,
) -> (Vec<(Node<'t>, String)>, Vec<Node<'t>>) {
    let (mut eqs, mut leaves) = (Vec::new(), Vec::new());
    let mut stack = vec![cond];
    while let Some(n) = stack.pop() {
        if eqs.len() + leaves.len() > 64 {
            break;
        }
        let n = unwrap_expr(n);
        let op = n.child_by_field_name("operator").map(|o| text(o, src));
        let sides = (
            n.child_by_field_name("left").map(unwrap_expr),
            n.child_by_field_name("right").map(unwrap_expr),
        );
        match (n.kind_name(), op, sides) {
            ("binary_expression", Some(j), (Some(l), Some(r))) if j == joiner => {
                stack.push(r);
                stack.push(l);
            }
            ("binary_expression", Some("===" | "=="), (Some(l), Some(r))) => {
                if let Some(v) = string_value(r, src) {
                    eqs.push((l, v));
                } else if let Some(v) = string_value(l, src) {
                    eqs.push((r, v));
                }
            }
            _ => leaves.push(n),
        }
    }
    (eqs, leaves)
}

/// The queue names a `batch.queue` check around the code at `at` admits —
/// `if (batch.queue === "a")` (or `==`, either side, `||` of several) in
/// its consequence, or a `case "a":` of `switch (batch.queue)` — and those
/// an earlier such `if` whose block ends in `continue` / `return` turns
/// away. Both empty when no check applies.
pub fn queue_guard(index: &CodeIndex<'_>, at: &Location) -> (Vec<String>, Vec<String>) {
    let Some((node, src)) = node_at(index, at) else {
        return (Vec::new(), Vec::new());
    };
    let mut except: Vec<String> = Vec::new();
    let is_queue_name = |n: Node<'_>| {
        let t = text(n, src);
        t == "queue" || t.ends_with(".queue")
    };
    for branch in branches(node) {
        match branch {
            Branch::If(cond) => {
                let names = compared_names(cond, src, &is_queue_name);
                if !names.is_empty() {
                    return (names, except);
                }
            }
            Branch::Block { block, child } => {
                // `if (batch.queue === "dlq") { …; continue; }` before us.
                for stmt in super::syntax::children(block) {
                    if stmt.end_byte() > child.start_byte() {
                        break;
                    }
                    let exits = stmt
                        .child_by_field_name("consequence")
                        .is_some_and(|c| ends_in_exit(c));
                    if stmt.kind_name() == "if_statement"
                        && stmt.child_by_field_name("alternative").is_none()
                        && exits
                        && let Some(cond) = stmt.child_by_field_name("condition")
                    {
                        except.extend(compared_names(cond, src, &is_queue_name));
                    }
                }
            }
            Branch::Case { subject, value } => {
                if is_queue_name(subject)
                    && let Some(name) = string_value(value, src)
                {
                    return (vec![name], except);
                }
            }
            Branch::Function => {}
        }
    }
    (Vec::new(), except)
}

/// What encloses a node on its way up: the condition of an `if` whose
/// consequence holds it, a `case` of a `switch` (its subject and value), a
/// block (and the child of it holding the node), a function.
enum Branch<'t> {
    If(Node<'t>),
    Case { subject: Node<'t>, value: Node<'t> },
    Block { block: Node<'t>, child: Node<'t> },
    Function,
}

/// The branches around `node`, innermost first, 64 ancestors at most.
fn branches(node: Node<'_>) -> Vec<Branch<'_>> {
    let mut out = Vec::new();
    let mut child = node;
    for ancestor in std::iter::successors(node.parent(), |n| n.parent()).take(64) {
        match ancestor.kind_name() {
            "if_statement"
                if ancestor
                    .child_by_field_name("consequence")
                    .is_some_and(|c| c.id() == child.id()) =>
            {
                out.extend(ancestor.child_by_field_name("condition").map(Branch::If));
            }
            "statement_block" => out.push(Branch::Block {
                block: ancestor,
                child,
            }),
            "switch_case" => {
                let subject = std::iter::successors(ancestor.parent(), |n| n.parent())
                    .take(2)
                    .find(|n| n.kind_name() == "switch_statement")
                    .and_then(|s| s.child_by_field_name("value"))
                    .map(unwrap_expr);
                if let (Some(subject), Some(value)) =
                    (subject, ancestor.child_by_field_name("value"))
                {
                    out.push(Branch::Case { subject, value });
                }
            }
            "method_definition" | "function_declaration" => out.push(Branch::Function),
            _ => {}
        }
        child = ancestor;
    }
    out
}

/// Whether a block (or single statement) ends by leaving: `continue`,
/// `return`, `break` or `throw`.
fn ends_in_exit(block: Node<'_>) -> bool {
    let last = if block.kind_name() == "statement_block" {
        super::syntax::children(block)
            .into_iter()
            .rfind(|n| n.kind_name() != "comment")
    } else {
        Some(block)
    };
    last.is_some_and(|n| {
        matches!(
            n.kind_name(),
            "continue_statement" | "return_statement" | "break_statement" | "throw_statement"
        )
    })
}

/// The route a plain `fetch` handler's checks around `at` select: `if
/// (url.pathname === "/api/links" && request.method === "POST")`, nested
/// `if`s, `url.pathname.startsWith("/files/")`, `case "/x":` of `switch
/// (url.pathname)`. `None` without a path check.
pub fn route_guard(index: &CodeIndex<'_>, at: &Location) -> Option<String> {
    let (node, src) = node_at(index, at)?;
    let (mut path, mut method): (Option<String>, Option<String>) = (None, None);
    for branch in branches(node) {
        match branch {
            Branch::If(cond) => {
                let (p, m) = request_checks(cond, src);
                path = path.or(p);
                method = method.or(m);
            }
            Branch::Case { subject, value } => {
                let (v, c) = (text(subject, src), string_value(value, src));
                match c {
                    Some(c) if v.ends_with("pathname") && path.is_none() => path = Some(c),
                    Some(c) if v.ends_with("method") && method.is_none() => {
                        method = Some(c.to_ascii_uppercase())
                    }
                    _ => {}
                }
            }
            Branch::Function => break,
            Branch::Block { .. } => {}
        }
    }
    let path = path?;
    Some(format!("{} {path}", method.as_deref().unwrap_or("ALL")))
}

/// The path and method a condition checks, through `&&`.
fn request_checks(cond: Node<'_>, src: &str) -> (Option<String>, Option<String>) {
    let (mut path, mut method) = (None, None);
    let (eqs, leaves) = comparisons(cond, src, "&&");
    for (subject, value) in eqs {
        let subject = text(subject, src);
        if subject.ends_with("pathname") && value.starts_with('/') {
            path = path.or(Some(value));
        } else if subject.ends_with("method") {
            method = method.or(Some(value.to_ascii_uppercase()));
        }
    }
    // `url.pathname.startsWith("/files/")`
    for n in leaves
        .into_iter()
        .filter(|n| n.kind_name() == "call_expression")
    {
        let f = n
            .child_by_field_name("function")
            .map(|f| super::syntax::callee_text(f, src));
        let arg = n
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
            .and_then(|a| string_value(a, src));
        if f.as_deref()
            .is_some_and(|f| f.ends_with("pathname.startsWith"))
            && let Some(prefix) = arg.filter(|a| a.starts_with('/'))
        {
            path = path.or(Some(format!("{prefix}*")));
        }
    }
    (path, method)
}

/// The strings `cond` compares a queue name with: `q === "a" || q == "b"`.
fn compared_names(cond: Node<'_>, src: &str, is_queue: &dyn Fn(Node<'_>) -> bool) -> Vec<String> {
    comparisons(cond, src, "||")
        .0
        .into_iter()
        .filter(|(subject, _)| is_queue(*subject))
        .map(|(_, v)| v)
        .collect()
}

/// The class whose method `method` holds the code at `at`.
fn method_class(index: &CodeIndex<'_>, at: &Location, method: &str) -> Option<String> {
    let (node, src) = node_at(index, at)?;
    let m = std::iter::successors(Some(node), |n| n.parent()).find(|n| {
        matches!(
            n.kind_name(),
            "method_definition" | "public_field_definition"
        )
    })?;
    // A handler's label ends in its method (`WorkflowEntrypoint.run`).
    let name = text(m.child_by_field_name("name")?, src).trim_start_matches('#');
    if method != name && !method.ends_with(&format!(".{name}")) {
        return None;
    }
    let class = super::bindings::enclosing_class(m)?;
    Some(text(class.child_by_field_name("name")?, src).to_owned())
}

/// Methods of JavaScript's built-in collections (Map, Set, Array,
/// Headers, URLSearchParams): called on a name holding one, they name no
/// function of ours.
const BUILTIN_METHODS: &[&str] = &[
    "set",
    "has",
    "add",
    "clear",
    "push",
    "pop",
    "shift",
    "unshift",
    "splice",
    "map",
    "filter",
    "forEach",
    "find",
    "findIndex",
    "reduce",
    "some",
    "every",
    "then",
    "catch",
    "finally",
    "join",
    "split",
    "replace",
    "replaceAll",
    "slice",
    "includes",
    "indexOf",
    "keys",
    "values",
    "entries",
    "append",
    "toString",
    "toJSON",
    "json",
    "text",
    "arrayBuffer",
    "close",
    "write",
    "read",
    "cancel",
    "abort",
    "next",
    "concat",
    "sort",
    "trim",
    "startsWith",
    "endsWith",
];

/// The built-in values a file creates with `new Map()` / `new Set()` /
/// `new Headers()` …, by the name that holds them (`pending` of `const
/// pending = new Map()`, `this.pending = new Map()`, `#pending = new
/// Map()`).
fn builtin_holders<'t>(f: &FileIndex<'t>) -> std::collections::HashSet<&'t str> {
    const BUILTINS: &[&str] = &[
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "Headers",
        "URLSearchParams",
        "FormData",
        "Array",
    ];
    let mut out = std::collections::HashSet::new();
    for (_, n) in &f.constructions {
        // `new X(…)` of a global, not `new ns.Map(…)`.
        if !n
            .child_by_field_name("constructor")
            .is_some_and(|c| BUILTINS.contains(&text(c, f.src)))
        {
            continue;
        }
        let Some(p) = n.parent() else { continue };
        let holder = match p.kind_name() {
            "variable_declarator" | "public_field_definition" | "property_signature" => {
                p.child_by_field_name("name")
            }
            "assignment_expression" => p.child_by_field_name("left").map(|l| {
                if l.kind_name() == "member_expression" {
                    l.child_by_field_name("property").unwrap_or(l)
                } else {
                    l
                }
            }),
            _ => None,
        };
        if let Some(h) = holder {
            out.insert(text(h, f.src).trim_start_matches('#'));
        }
    }
    out
}

/// The names a file builds with `new` (`x = new …`) or declares with a
/// type (`x: …`): the only locals and parameters whose class it can say.
/// One pass over the text.
fn typed_names(src: &str) -> std::collections::HashSet<&str> {
    let ident_before = |end: usize| {
        let head = src[..end].trim_end();
        // After the last character that is not part of a name, whatever
        // its width (`§: x`).
        let start = head
            .char_indices()
            .rfind(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '$'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        &head[start..]
    };
    let mut out = std::collections::HashSet::new();
    for (i, _) in src.match_indices("= new ") {
        out.insert(ident_before(i));
    }
    for (i, _) in src.match_indices(": ") {
        out.insert(ident_before(i));
    }
    out.remove("");
    out
}

/// The callers' names, once each, in order.
fn names_once(callers: Vec<(String, Option<String>)>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (c, _) in callers {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// A class of the checkout: its methods, and the class it extends.
#[derive(Default)]
struct ClassShape {
    methods: Vec<String>,
    base: Option<String>,
}

/// Every top-level class of the index by name (same-named classes share
/// one shape: their methods together).
fn class_shapes(index: &CodeIndex<'_>) -> HashMap<String, ClassShape> {
    let mut out: HashMap<String, ClassShape> = HashMap::new();
    for f in &index.files {
        for (name, decl) in &f.decls {
            if decl.kind != super::index::DeclKind::Class {
                continue;
            }
            let shape = out.entry(name.clone()).or_default();
            // Methods, and fields holding a function (`handle = async () =>
            // …`), which are called the same way.
            let callable = |m: &super::index::Member<'_>| {
                m.is_method
                    || m.node.child_by_field_name("value").is_some_and(|v| {
                        matches!(v.kind_name(), "arrow_function" | "function_expression")
                    })
            };
            for m in f.members(decl).into_iter().filter(callable) {
                if !shape.methods.contains(&m.name) {
                    shape.methods.push(m.name);
                }
            }
            let heritage = super::syntax::heritage(decl.node, f.src);
            if let Some(base) = super::syntax::extended_name(heritage) {
                shape.base.get_or_insert_with(|| base.to_owned());
            }
        }
    }
    out
}

/// Whether `call` is a method call on a Durable Object stub of one of
/// `bindings`.
fn on_durable_object_stub<'a>(
    index: &CodeIndex<'a>,
    fi: usize,
    call: Node<'a>,
    bindings: &[String],
) -> bool {
    let recv = call
        .child_by_field_name("function")
        .map(unwrap_expr)
        .filter(|f| f.kind_name() == "member_expression")
        .and_then(|f| f.child_by_field_name("object"));
    recv.is_some_and(|r| super::durable::stub_of(index, fi, r, bindings).is_some())
}

/// A caller of a function name, with the class its receiver is known to
/// hold (`svc.getAll()` where `svc = new CustomerService(…)`): `None` when
/// the code does not say; and the class the call is written in.
type CallerOf = (String, Option<String>, Option<String>);

/// One caller a file's code records: in `scope`, `caller` calls `name`;
/// `site` is where, for a call (none for a nested function).
struct Record {
    scope: String,
    name: String,
    caller: CallerOf,
    site: Option<Location>,
}

/// Bases whose subclasses the runtime builds, never the code: a Durable
/// Object, a Workflow, an RPC entrypoint.
const RUNTIME_BASES: &[&str] = &["DurableObject", "WorkflowEntrypoint", "WorkerEntrypoint"];

/// Callers and call sites by Worker scope.
pub struct CallGraph {
    /// Worker config folders, deepest first.
    scopes: Vec<String>,
    /// (scope, callee) → callers.
    callers: HashMap<(String, String), Vec<CallerOf>>,
    /// The checkout's classes by name: their methods and the classes they
    /// extend.
    classes: HashMap<String, ClassShape>,
    /// Every method name of those classes.
    methods: std::collections::HashSet<String>,
    /// Classes the runtime builds (config binds them as Durable Objects,
    /// or they extend a runtime base): code outside them reaches their
    /// methods only through a stub, which is not a call here.
    runtime_made: std::collections::HashSet<String>,
    /// (scope, caller, callee) → the first call on each receiver class
    /// (`None`: not known), with its location.
    sites: HashMap<(String, String, String), Vec<Site>>,
}

/// A call site: the class of ours its receiver holds, when known, and where.
type Site = (Option<String>, Location);

impl CallGraph {
    /// Builds the graph of every call in the index; `packages` are the
    /// folders holding a `package.json`.
    pub fn new(index: &CodeIndex<'_>, workers: &[Worker], packages: &[String]) -> Self {
        let mut scopes: Vec<String> = workers.iter().map(|w| w.folder().to_owned()).collect();
        // A package inside a Worker's folder is that Worker's code.
        let outside: Vec<String> = packages
            .iter()
            .filter(|p| !scopes.iter().any(|d| *p == d || in_folder(d, p)))
            .map(|p| (*p).to_owned())
            .collect();
        scopes.extend(outside);
        scopes.sort_by_key(|s| std::cmp::Reverse(s.len()));
        scopes.dedup();
        // A method called on a binding (`CUSTOMER_WORKFLOW.create(…)`,
        // `env.AI.run(…)`) is the runtime's, never a function of ours of
        // the same name.
        let bindings: std::collections::HashSet<&str> = workers
            .iter()
            .flat_map(|w| &w.bindings)
            .filter(|b| b.kind != crate::model::BindingKind::Var)
            .map(|b| b.name.as_str())
            .collect();
        // A method called on a Durable Object stub (`env.ROOM.get(id).
        // say(…)`, `stub.say(…)`) runs in the object, behind the runtime:
        // what it reaches is joined through the stub call, never as a call
        // from this function.
        let do_bindings: Vec<String> = workers
            .iter()
            .flat_map(|w| &w.bindings)
            .filter(|b| b.kind == crate::model::BindingKind::DurableObject)
            .map(|b| b.name.clone())
            .collect();
        // One pass per file for all of them: a Worker may bind hundreds.
        let do_names = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&do_bindings)
            .ok();
        let classes = class_shapes(index);
        let methods = classes.values().flat_map(|c| c.methods.clone()).collect();
        let bound: std::collections::HashSet<&str> = workers
            .iter()
            .flat_map(|w| &w.bindings)
            .filter(|b| b.kind == crate::model::BindingKind::DurableObject)
            .filter_map(|b| b.target.as_deref())
            .collect();
        let mut g = CallGraph {
            scopes,
            callers: HashMap::new(),
            classes,
            methods,
            runtime_made: std::collections::HashSet::new(),
            sites: HashMap::new(),
        };
        // A class that hands `this` to other code (or extends one that
        // does) may have its methods called there.
        let exposed: std::collections::HashSet<&str> = index
            .files
            .iter()
            .flat_map(|f| &f.this_escapes)
            .flat_map(|c| g.lineage(c))
            .collect();
        g.runtime_made = g
            .classes
            .keys()
            .filter(|c| {
                (bound.contains(c.as_str()) || g.lineage(c).any(|a| RUNTIME_BASES.contains(&a)))
                    && !g.lineage(c).any(|a| exposed.contains(a))
            })
            .cloned()
            .collect();
        // The names a caller is ever asked for: functions that hold a call
        // (every operation is one, and so is every caller), methods and
        // declarations. A call of another name needs no stub check: what
        // it records is never read.
        let functions: std::collections::HashSet<&str> = index
            .files
            .iter()
            .flat_map(|f| {
                f.calls
                    .iter()
                    .filter_map(|c| c.enclosing.as_deref())
                    .chain(f.nested.iter().flat_map(|(i, o)| [i.as_str(), o.as_str()]))
                    .chain(f.decls.keys().map(String::as_str))
            })
            .chain(g.methods.iter().map(String::as_str))
            .collect();
        // What each file's calls record, found for every file in parallel
        // (the index and the graph so far are only read), then recorded in
        // file order: the same graph as one pass would make.
        let records: Vec<Vec<Record>> = index
            .files
            .par_iter()
            .enumerate()
            .map(|(fi, f)| {
                let g = &g;
                let mut out = Vec::new();
                let scope = g.scope_of(f.path);
                for (inner, outer) in &f.nested {
                    out.push(Record {
                        scope: scope.clone(),
                        name: inner.clone(),
                        caller: (outer.clone(), None, None),
                        site: None,
                    });
                    // A route handed a class of ours with a `handle` method
                    // (chanfana's `openapi.post("/tasks", TaskCreate)`):
                    // the router builds it and runs its `handle`.
                    let handles = g.lineage(inner).any(|c| {
                        g.classes
                            .get(c)
                            .is_some_and(|k| k.methods.iter().any(|m| m == "handle"))
                    });
                    if outer.contains(" /") && handles {
                        out.push(Record {
                            scope: scope.clone(),
                            name: "handle".to_owned(),
                            caller: (outer.clone(), Some(inner.clone()), None),
                            site: None,
                        });
                    }
                }
                // A call of a name imported from another package (`verify(…)`,
                // `db.query(…)` of `import { db } from "@acme/db"`) counts in
                // that package's scope too: a route of one package calling a
                // helper of another.
                let imported: HashMap<&str, String> = f
                    .imports
                    .iter()
                    .filter_map(|imp| {
                        let target = index.resolve_module(fi, &imp.specifier)?;
                        let s = g.scope_of(index.files[target].path);
                        (s != scope).then_some((imp.local.as_str(), s))
                    })
                    .collect();
                // `import * as cache from "./cache"`: the local names of our
                // modules.
                let namespaces: std::collections::HashSet<&str> = f
                    .imports
                    .iter()
                    .filter(|imp| {
                        imp.imported == super::index::Imported::Namespace
                            && index.resolve_module(fi, &imp.specifier).is_some()
                    })
                    .map(|imp| imp.local.as_str())
                    .collect();
                let holders = builtin_holders(f);
                let mut fields = HashMap::new();
                let mut spelled: Option<std::collections::HashSet<&str>> = None;
                // A binding named as a whole word (`DO` is in every `TODO`).
                let may_hold_stubs = f.src.contains("Stub")
                    || do_names.as_ref().is_some_and(|names| {
                        names
                            .find_iter(f.src)
                            .any(|m| super::whole_word_at(f.src, m.start(), m.end()))
                    });
                for c in &f.calls {
                    let Some(from) = &c.enclosing else { continue };
                    // The name after the last dot; binding methods name no
                    // function of ours.
                    let mut parts = c.callee.rsplit('.');
                    let name = parts.next().unwrap_or(&c.callee);
                    let on_binding = parts.next().is_some_and(|r| bindings.contains(r));
                    // `this.pending.set(…)` on a `new Map()`: a method of the
                    // built-in value, not our `set`.
                    let builtin = BUILTIN_METHODS.contains(&name)
                        && c.callee
                            .rsplit('.')
                            .nth(1)
                            .is_some_and(|r| holders.contains(r.trim_start_matches('#')));
                    let on_stub = may_hold_stubs
                        && c.callee.contains('.')
                        && !c.callee.starts_with("this.")
                        && functions.contains(name)
                        && on_durable_object_stub(index, fi, c.node, &do_bindings);
                    // Whose method it is, where the receiver says so and some
                    // class of ours has a method of that name: then a name the
                    // runtime's bindings also use (`list`, `get`) is ours.
                    // A bare call (`put(env.KV, id)`) or one on a namespace
                    // import of our module (`cache.get(…)`) has no binding
                    // receiver: the name is ours whatever it spells.
                    let receiver = c.callee.rsplit_once('.').map(|(r, _)| r);
                    let binding_name = receiver.is_some_and(|r| !namespaces.contains(r))
                        && cloudflare::names_only_a_binding_method(Lang::TypeScript, name);
                    // A local's or parameter's class is looked up (a walk of
                    // the blocks around the call)…
                    let class = if g.methods.contains(name) && c.callee.contains('.') {
                        // …only where the file could say: it builds (`x = new
                        // …`) or declares (`x: …`) that name.
                        let mut locals = |x: &str| {
                            spelled
                                .get_or_insert_with(|| typed_names(f.src))
                                .contains(x)
                        };
                        g.receiver_class(c, f.src, &mut locals, &mut fields)
                    } else {
                        None
                    };
                    let ours = class.as_deref().is_some_and(|k| g.defines(k, name));
                    if name.is_empty()
                        || on_binding
                        || on_stub
                        || builtin
                        || (!ours && binding_name)
                    {
                        continue;
                    }
                    let root = c.callee.split(['.', '(']).next().unwrap_or_default();
                    let mut scopes = vec![&scope];
                    scopes.extend(imported.get(root));
                    for scope in scopes {
                        out.push(Record {
                            scope: scope.clone(),
                            name: name.to_owned(),
                            caller: (from.clone(), class.clone(), c.class.clone()),
                            site: Some(location(f.path, c.node)),
                        });
                    }
                }
                out
            })
            .collect();
        let mut seen: std::collections::HashSet<(String, String, CallerOf)> =
            std::collections::HashSet::new();
        for r in records.into_iter().flatten() {
            // A popular name (`get`, `push`) has thousands of calls: a set,
            // not a scan of its list, keeps each caller once.
            if seen.insert((r.scope.clone(), r.name.clone(), r.caller.clone())) {
                g.callers
                    .entry((r.scope.clone(), r.name.clone()))
                    .or_default()
                    .push(r.caller.clone());
            }
            // The first call on each receiver class: two classes'
            // same-named methods are called from different places.
            if let Some(at) = r.site {
                let (from, class, _) = r.caller;
                let sites = g.sites.entry((r.scope, from, r.name)).or_default();
                if !sites.iter().any(|(on, _)| *on == class) {
                    sites.push((class, at));
                }
            }
        }
        g
    }

    /// The Worker folder a file belongs to (`""` outside every Worker).
    pub fn scope_of(&self, path: &str) -> String {
        self.scopes
            .iter()
            .find(|d| in_folder(d, path))
            .cloned()
            .unwrap_or_default()
    }

    /// The functions calling `name`, with the class each call is written
    /// in, less those whose call is on an instance of a class that cannot
    /// be the callee's: another class than `class` (the callee's own, when
    /// known), or a class with no method `name`. A class the runtime builds
    /// is called on an unknown receiver only from its own lineage.
    fn callers_of(
        &self,
        scope: &str,
        name: &str,
        class: Option<&str>,
    ) -> Vec<(String, Option<String>)> {
        let Some(list) = self.callers.get(&(scope.to_owned(), name.to_owned())) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for (caller, on, within) in list {
            let fits = match (on.as_deref(), class) {
                (None, Some(class)) if self.runtime_made.contains(class) => {
                    within.as_deref().is_some_and(|w| self.related(w, class))
                }
                (None, _) => true,
                (Some(on), Some(class)) => self.related(on, class),
                (Some(on), None) => self.defines(on, name),
            };
            if fits && !out.iter().any(|(c, w)| c == caller && w == within) {
                out.push((caller.clone(), within.clone()));
            }
        }
        out
    }

    /// The class of ours the receiver of method call `call` holds: one it
    /// builds (a class of the checkout or not: a library's instance is
    /// none of our functions), or one it is declared as when the checkout
    /// declares that class.
    /// A `this.field` receiver is read once per class and field (`fields`,
    /// keyed by the class node): finding what a field holds walks the
    /// class, and a big class calls through its fields thousands of times.
    fn receiver_class(
        &self,
        call: &super::index::Call<'_>,
        src: &str,
        mut locals: impl FnMut(&str) -> bool,
        fields: &mut HashMap<(usize, String), Option<super::bindings::Holds>>,
    ) -> Option<String> {
        let f = super::syntax::callee(call.node.child_by_field_name("function")?);
        if f.kind_name() != "member_expression" {
            return None;
        }
        let recv = unwrap_expr(f.child_by_field_name("object")?);
        if recv.kind_name() == "identifier" && !locals(text(recv, src)) {
            return None;
        }
        let this_field = (recv.kind_name() == "member_expression")
            .then(|| {
                let obj = recv.child_by_field_name("object")?;
                if obj.kind_name() != "this" {
                    return None;
                }
                // The class around the call is the one around its receiver.
                let class = call.class_node?;
                let field = text(recv.child_by_field_name("property")?, src);
                Some((class.id(), field.to_owned()))
            })
            .flatten();
        let holds = match this_field {
            Some(key) => fields
                .entry(key)
                .or_insert_with(|| super::bindings::receiver_class(recv, src))
                .clone(),
            None => super::bindings::receiver_class(recv, src),
        };
        match holds? {
            super::bindings::Holds::Built(c) => Some(c),
            super::bindings::Holds::Declared(c) => self.classes.contains_key(&c).then_some(c),
        }
    }

    /// The names of [`Self::callers_of`], once each.
    #[cfg(test)]
    fn caller_names(&self, scope: &str, name: &str, class: Option<&str>) -> Vec<String> {
        names_once(self.callers_of(scope, name, class))
    }

    /// `class` and its ancestors, nearest first (bounded).
    fn lineage<'s>(&'s self, class: &'s str) -> impl Iterator<Item = &'s str> + 's {
        std::iter::successors(Some(class), |c| {
            self.classes.get(*c).and_then(|s| s.base.as_deref())
        })
        .take(8)
    }

    /// Whether one of the two classes is the other or extends it.
    fn related(&self, a: &str, b: &str) -> bool {
        self.lineage(a).any(|c| c == b) || self.lineage(b).any(|c| c == a)
    }

    /// Whether `class` or a class it extends defines method `name`; a class
    /// extending one the checkout does not declare may inherit it.
    fn defines(&self, class: &str, name: &str) -> bool {
        self.lineage(class).any(|c| match self.classes.get(c) {
            Some(shape) => shape.methods.iter().any(|m| m == name),
            None => c != class,
        })
    }

    /// The first call site on the way from `caller` down through `callee`
    /// to `actor`.
    fn site_below(
        &self,
        scope: &str,
        caller: &str,
        callee: &str,
        actor: &str,
        toward: &HashMap<String, String>,
        class_of: impl Fn(&str) -> Option<String>,
    ) -> Option<Location> {
        let (mut from, mut to) = (caller.to_owned(), callee.to_owned());
        for _ in 0..16 {
            if let Some(sites) = self
                .sites
                .get(&(scope.to_owned(), from.clone(), to.clone()))
            {
                // The call on an instance of the callee's class, when it
                // is known.
                let class = class_of(&to);
                let fits = |on: &Option<String>| match (on, &class) {
                    (Some(on), Some(class)) => self.related(on, class),
                    _ => true,
                };
                let site = sites.iter().find(|(on, _)| fits(on)).or(sites.first());
                return site.map(|(_, at)| at.clone());
            }
            if to == actor {
                return None;
            }
            let below = toward.get(&to)?.clone();
            from = std::mem::replace(&mut to, below);
        }
        None
    }

    /// Fills `op.entries` (the entry points reaching its actor) and
    /// `op.anchors` (where in each the call leading to it is).
    pub fn place(&self, index: &CodeIndex<'_>, op: &mut ResourceOp) {
        let Some(actor) = op.actor.clone() else {
            return;
        };
        op.class = method_class(index, &op.location, &actor);
        let scope = self.scope_of(&op.location.path);
        // Breadth-first up the callers, remembering for each function the
        // one it was reached from (toward the operation), so the call
        // leading there can be found below a caller that has none of its
        // own (a handler wired as `queue: reindex` calls nothing itself).
        // The operation's own method is known to be of its class; above
        // it, a caller's class is the one its calls are written in, when
        // all of them agree (`this.cleanup()` in `UploadHandler.create`
        // makes `create` that class's method).
        let class_of: std::cell::RefCell<HashMap<String, Option<String>>> = Default::default();
        let reached = cloudflare::walk_up(Lang::TypeScript, &actor, |f| {
            let class = if f == actor {
                op.class.clone()
            } else {
                class_of.borrow().get(f).cloned().flatten()
            };
            let callers = self.callers_of(&scope, f, class.as_deref());
            let mut known = class_of.borrow_mut();
            for (caller, within) in &callers {
                known
                    .entry(caller.clone())
                    .and_modify(|k| {
                        if k != within {
                            *k = None;
                        }
                    })
                    .or_insert_with(|| within.clone());
            }
            names_once(callers)
        });
        let mut entries: Vec<(String, Location)> = reached
            .entries
            .iter()
            .map(|(entry, below)| {
                let class = |f: &str| {
                    if f == actor {
                        op.class.clone()
                    } else {
                        class_of.borrow().get(f).cloned().flatten()
                    }
                };
                let site = below.as_deref().and_then(|f| {
                    self.site_below(&scope, entry, f, &actor, &reached.toward, class)
                });
                (entry.clone(), site.unwrap_or_else(|| op.location.clone()))
            })
            .collect();
        // A plain `fetch` handler's path checks name its routes.
        for (entry, at) in &mut entries {
            if entry == "fetch"
                && let Some(route) = route_guard(index, at)
            {
                *entry = route;
            }
        }
        let mut entries: Vec<(EntryPoint, Location)> = entries
            .into_iter()
            .map(|(e, at)| (cloudflare::entry_point(Lang::TypeScript, &e), at))
            .collect();
        entries.sort();
        entries.dedup_by(|a, b| a.0 == b.0);
        op.entries = entries.iter().map(|(e, _)| e.clone()).collect();
        if let Some((_, at)) = entries
            .iter()
            .find(|(e, _)| e.handler() == Some(Handler::Queue))
        {
            (op.queues, op.except_queues) = queue_guard(index, at);
        }
        op.anchors = entries;
    }
}

#[cfg(test)]
mod tests {
    use super::super::index::CodeIndex;
    use super::super::parse::parse_source;
    use super::super::resolve::Resolver;
    use super::*;

    /// The call graph of one file, `src/index.ts`, outside every Worker.
    fn graph_of(src: &str) -> CallGraph {
        let files = vec![parse_source("src/index.ts", src).unwrap()];
        let paths = files.iter().map(|f| f.path.clone());
        let index = CodeIndex::new(&files, Resolver::new(paths, Vec::new()));
        CallGraph::new(&index, &[], &[String::new()])
    }

    /// Where `marker` first appears in `src`, as a location in `q.ts`.
    fn marker_at(src: &str, marker: &str) -> Location {
        let (line, text) = src
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(marker))
            .unwrap();
        let col = text.find(marker).unwrap() + 1;
        Location::at("q.ts", u32::try_from(line + 1).unwrap(), col as u32)
    }

    /// The guard of the first line containing `marker` in `src`.
    fn guard_at(src: &str, marker: &str) -> (Vec<String>, Vec<String>) {
        let files = vec![parse_source("q.ts", src).unwrap()];
        let index = CodeIndex::new(&files, Resolver::new(["q.ts".to_owned()], Vec::new()));
        queue_guard(&index, &marker_at(src, marker))
    }

    #[test]
    fn reads_batch_queue_checks() {
        let src = r#"
export default {
  async queue(batch, env) {
    if (batch.queue === "a" || "b" == batch.queue) {
      await env.KV.put("ab", "1");
    }
    switch (batch.queue) {
      case "c":
        await env.KV.put("c", "1");
        break;
    }
    for (const m of batch.messages) {
      if (batch.queue === "dlq") { await env.KV.put("dead", "1"); continue; }
      await env.KV.put("rest", "1");
    }
    await env.KV.put("all", "1");
  },
};
"#;
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(guard_at(src, "put(\"ab\""), (s(&["a", "b"]), s(&[])));
        assert_eq!(guard_at(src, "put(\"c\""), (s(&["c"]), s(&[])));
        assert_eq!(guard_at(src, "put(\"dead\""), (s(&["dlq"]), s(&[])));
        assert_eq!(guard_at(src, "put(\"rest\""), (s(&[]), s(&["dlq"])));
        assert_eq!(guard_at(src, "put(\"all\""), (s(&[]), s(&[])));
    }

    #[test]
    fn reads_plain_fetch_path_checks() {
        let src = r#"
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "POST") {
      if (url.pathname === "/api/links") { await env.KV.put("a", "1"); }
    }
    if ("/health" == url.pathname) { await env.KV.get("h"); }
    if (url.pathname.startsWith("/go/")) { [1].map(() => env.KV.get("go")); }
    switch (url.pathname) {
      case "/stats": await env.KV.get("s"); break;
    }
    await env.KV.get("any");
  },
};
"#;
        let files = vec![parse_source("q.ts", src).unwrap()];
        let index = CodeIndex::new(&files, Resolver::new(["q.ts".to_owned()], Vec::new()));
        let at = |marker: &str| route_guard(&index, &marker_at(src, marker));
        assert_eq!(at("put(\"a\"").as_deref(), Some("POST /api/links"));
        assert_eq!(at("get(\"h\"").as_deref(), Some("ALL /health"));
        assert_eq!(at("get(\"go\"").as_deref(), Some("ALL /go/*"));
        assert_eq!(at("get(\"s\"").as_deref(), Some("ALL /stats"));
        assert_eq!(at("get(\"any\""), None);
    }

    #[test]
    fn a_method_called_on_a_built_in_collection_is_not_ours() {
        let files = vec![
            parse_source(
                "src/index.ts",
                "class Cache {\n  async set(k: string) {}\n  async clear() {}\n}\nclass Room {\n  #seen = new Set<string>();\n  pending = new Map();\n  async alarm(store: Cache) {\n    this.pending.set(\"a\", 1);\n    this.#seen.clear();\n  }\n  async flush(store: Cache) {\n    await store.clear();\n  }\n}\nexport async function fill(cache: Cache) {\n  const tags = new Map();\n  tags.set(\"a\", 1);\n  await cache.set(\"k\");\n}\n",
            )
            .unwrap(),
        ];
        let paths = files.iter().map(|f| f.path.clone());
        let index = CodeIndex::new(&files, Resolver::new(paths, Vec::new()));
        let g = CallGraph::new(&index, &[], &[String::new()]);
        // `cache.set(…)` is a call of `set`; `this.pending.set` and
        // `tags.set` on a Map are not.
        assert_eq!(g.caller_names("", "set", None), ["fill"]);
        // `store.clear()` is ours; `this.#seen.clear()` on a Set is not.
        let clear = g.caller_names("", "clear", None);
        assert!(clear.len() == 1 && clear[0].ends_with("flush"), "{clear:?}");
    }

    #[test]
    fn a_method_call_on_a_known_class_is_not_another_class_method() {
        let src = "\
import { Hono } from 'hono';
class Store { async getAll() {} async load() { return this.getAll(); } }
class Customers { getAll = async () => {}; }
class Audited extends Customers { async log() {} }
export async function listCustomers(db) {
  const svc = new Customers(db);
  return svc.getAll();
}
export async function listStores(store: Store) { return store.getAll(); }
export async function listAudited() { return new Audited().getAll(); }
export async function listAny(x) { return x.getAll(); }
export async function route() { const app = new Hono(); app.load(); }
";
        let g = graph_of(src);
        // Built, declared, `this`, a subclass instance, and an unknown
        // receiver (which may be either).
        assert_eq!(
            g.caller_names("", "getAll", Some("Customers")),
            ["listCustomers", "listAudited", "listAny"]
        );
        assert_eq!(
            g.caller_names("", "getAll", Some("Store")),
            ["load", "listStores", "listAny"]
        );
        // Not knowing the callee's class, a caller whose receiver's class
        // has the method is kept; a library's instance (`new Hono()`) has
        // none of our methods.
        assert_eq!(g.caller_names("", "load", None), Vec::<String>::new());
        assert_eq!(g.caller_names("", "getAll", None).len(), 5);
    }

    /// The runtime builds a Durable Object: code outside its lineage never
    /// calls its methods on a receiver of unknown class (that is some
    /// library's `create`), while its own methods and subclasses do.
    #[test]
    fn a_runtime_built_class_is_called_only_from_its_lineage() {
        let src = "\
import { DurableObject } from 'cloudflare:workers';
export class Upload extends DurableObject {
  async create(c) { await this.cleanup(); }
  async cleanup() {}
  async retry(c) { return this.create(c); }
}
export class AttachmentUpload extends Upload { async again(x) { return x.create(1); } }
export async function checkout(stripe) { return stripe.checkout.sessions.create({}); }
export async function plain(x) { return x.helper(); }
class Helper { helper() {} }
";
        let g = graph_of(src);
        assert_eq!(
            g.caller_names("", "create", Some("Upload")),
            ["retry", "again"]
        );
        // Not knowing the class, or for a class the code builds, an unknown
        // receiver may be it.
        assert_eq!(
            g.caller_names("", "create", None),
            ["retry", "again", "checkout"]
        );
        assert_eq!(g.caller_names("", "helper", Some("Helper")), ["plain"]);
        // Each caller comes with the class its call is written in.
        assert_eq!(
            g.callers_of("", "cleanup", Some("Upload")),
            [("create".to_owned(), Some("Upload".to_owned()))]
        );
        // An object that hands itself to a helper is called there.
        let src = "\
export class Room extends DurableObject {
  constructor(ctx, env) { super(ctx, env); Hooks.attach(this); }
  async close() {}
}
class Hooks { static attach(host) { return new Hooks(host); } async onClose(h) { await h.close(); } }
";
        let g = graph_of(src);
        assert_eq!(g.caller_names("", "close", Some("Room")), ["onClose"]);
        // Running one of its own methods on itself (`m.bind(this)`,
        // `m.call(this, …)`) hands itself to no one.
        let src = "\
export class Upload extends DurableObject {
  wrap(m) { return async (c) => m.bind(this)(c); }
  again(m, c) { return m.call(this, c); }
  async create(c) {}
}
export async function checkout(stripe) { return stripe.checkout.sessions.create({}); }
";
        let g = graph_of(src);
        assert_eq!(
            g.caller_names("", "create", Some("Upload")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn typed_names_after_a_wide_character_do_not_split_it() {
        // A non-name character of two and three bytes right before `: `.
        let names = typed_names("// §x: 1\n// →: x\nlet café: Store;\n");
        assert!(names.contains("x") && names.contains("café"), "{names:?}");
        assert!(!names.iter().any(|n| n.contains('§') || n.contains('→')));
    }

    #[test]
    fn typed_names_are_the_built_and_declared_ones() {
        let names = typed_names(
            "const svc = new Svc(db);\nfunction f(store: Store, x) { return { a: 1 }; }\n",
        );
        let mut names: Vec<&str> = names.into_iter().collect();
        names.sort_unstable();
        assert_eq!(names, ["a", "store", "svc"]);
    }

    #[test]
    fn packages_scope_calls_and_imports_cross_them() {
        let files = vec![
            parse_source(
                "apps/web/src/index.ts",
                "import { touch } from '../../../packages/db/src/users';\nexport async function handle() { await touch(); }\n",
            )
            .unwrap(),
            parse_source(
                "packages/db/src/users.ts",
                "export async function touch() {}\nexport async function save() {}\n",
            )
            .unwrap(),
            parse_source(
                "packages/jobs/src/cli.ts",
                "export async function main() { await crm.touch(); await save(); }\n",
            )
            .unwrap(),
        ];
        let paths = files.iter().map(|f| f.path.clone());
        let index = CodeIndex::new(&files, Resolver::new(paths, Vec::new()));
        let packages = ["packages/db", "packages/jobs", ""].map(str::to_owned);
        let g = CallGraph::new(&index, &[], &packages);
        let db = g.scope_of("packages/db/src/users.ts");
        assert_eq!(db, "packages/db");
        // The app imports `touch`: its call counts in the package's scope.
        assert_eq!(g.caller_names(&db, "touch", None), ["handle"]);
        // Another package calling a `touch` or `save` it does not import
        // from there is no caller.
        assert!(g.caller_names(&db, "save", None).is_empty());
        assert_eq!(g.caller_names("packages/jobs", "touch", None), ["main"]);
    }

    #[test]
    fn a_function_named_like_a_binding_method_is_called_bare_or_through_its_module() {
        let files = vec![
            parse_source(
                "src/previews.ts",
                "export async function put(b, k) { await b.put(k, 1); }\n\
                 export async function get(b, k) { return b.get(k); }\n\
                 export async function refresh(b, k) { await put(b, k); }\n",
            )
            .unwrap(),
            parse_source(
                "src/index.ts",
                "import * as previews from './previews';\n\
                 export async function show(env, k) { return previews.get(env.MEDIA, k); }\n\
                 export async function peek(env, k) { return env.MEDIA.get(k); }\n",
            )
            .unwrap(),
        ];
        let paths = files.iter().map(|f| f.path.clone());
        let index = CodeIndex::new(&files, Resolver::new(paths, Vec::new()));
        let g = CallGraph::new(&index, &[], &[String::new()]);
        // A bare call of `put` is ours; `b.put` on a parameter is the
        // binding's, not a call of `put`.
        assert_eq!(g.caller_names("", "put", None), ["refresh"]);
        // `previews.get` names the module's function; `env.MEDIA.get` and
        // `b.get` do not.
        assert_eq!(g.caller_names("", "get", None), ["show"]);
    }
}
