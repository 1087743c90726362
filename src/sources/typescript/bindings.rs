//! Binding usage in TypeScript → resource operations with key patterns.
//!
//! A call counts only when its receiver resolves to a binding of a known
//! kind — `env.X`, `c.env.X`, `this.env.X`, `ctx.env.X`, a local alias or
//! destructuring of one, or a small helper returning one — never by method
//! name alone (`map.put` and Hono's `c.get` are not KV). Kinds come from
//! wrangler config, else from `Env` interfaces (`BUNDLES: R2Bucket`). Keys
//! are read from string and template literals, concatenation, local
//! consts, folded constants and helper functions (two levels, across
//! imports), with `{placeholder}`s named after the expressions.

use super::callgraph::CallGraph;
use super::fold::{Value, fold};
use super::index::{CodeIndex, DeclKind, FileIndex, is_worker_env};
use super::syntax::{children, doc_comment, location, string_value, text, unwrap_expr};
use crate::cloudflare::{self, Lang};
use crate::model::{
    BindingKind, DynamicBinding, Expiry, Model, OpKind, ResourceOp, ValueKind, ValueType,
};
use std::collections::HashMap;
use tree_sitter::Node;

/// The binding kind a declared TypeScript type names.
fn kind_of_type(ty: &str) -> Option<BindingKind> {
    let base = ty.split('<').next().unwrap_or(ty).trim();
    match base {
        "D1Database" => Some(BindingKind::D1),
        "R2Bucket" => Some(BindingKind::R2),
        "KVNamespace" => Some(BindingKind::Kv),
        "Queue" => Some(BindingKind::QueueProducer),
        "DurableObjectNamespace" => Some(BindingKind::DurableObject),
        "Hyperdrive" => Some(BindingKind::Hyperdrive),
        _ => None,
    }
}

/// Binding names → kinds declared by interfaces and type literals in code.
pub fn code_bindings(index: &CodeIndex<'_>) -> Vec<(String, BindingKind)> {
    let mut res: Vec<(String, BindingKind)> = Vec::new();
    for f in &index.files {
        for decl in f.decls.values() {
            if !matches!(decl.kind, DeclKind::Interface | DeclKind::TypeAlias) {
                continue;
            }
            for m in f.members(decl) {
                if let Some(k) = kind_of_type(&m.ty)
                    && !res.iter().any(|(n, _)| n == &m.name)
                {
                    res.push((m.name, k));
                }
            }
        }
    }
    res.sort();
    res
}

/// What a receiver expression resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Name(String),
    Dynamic(String),
    /// A parameter typed `D1Database`, `R2Bucket`, …: the binding of that
    /// kind, when there is only one.
    Typed(BindingKind),
}

struct Reader<'i, 'a> {
    index: &'i CodeIndex<'a>,
    /// Worker scopes for following arguments; `None` when only keys are
    /// read.
    graph: Option<&'i CallGraph>,
    /// Callee name (the part after the last dot, or a constructed class)
    /// → the `arguments` nodes of its call sites, by file.
    sites: HashMap<&'a str, Vec<(usize, Node<'a>)>>,
    /// What callers pass for a parameter, by (file, function, position,
    /// depth):
    /// a helper called from every route is resolved once.
    passed: std::cell::RefCell<HashMap<PassedKey, Vec<Target>>>,
}

/// (file, function node id, parameter position, depth).
type PassedKey = (usize, usize, usize, u32);

/// Call sites followed for one parameter: enough for a helper called from
/// every route of a Worker, bounded so resolution stays cheap.
const MAX_ARGUMENT_SITES: usize = 16;

impl<'i, 'a> Reader<'i, 'a> {
    fn new(index: &'i CodeIndex<'a>, graph: Option<&'i CallGraph>) -> Self {
        let mut sites: HashMap<&'a str, Vec<(usize, Node<'a>)>> = HashMap::new();
        for (fi, f) in index.files.iter().enumerate().filter(|_| graph.is_some()) {
            let calls = f.calls.iter().filter_map(|c| {
                let name = text(c.node.child_by_field_name("function")?, f.src);
                Some((name.rsplit('.').next()?, c.node))
            });
            let news = f.constructions.iter().filter_map(|(_, n)| {
                let name = text(n.child_by_field_name("constructor")?, f.src);
                Some((name.rsplit('.').next()?, *n))
            });
            for (name, node) in calls.chain(news) {
                if let Some(args) = node.child_by_field_name("arguments") {
                    sites.entry(name).or_default().push((fi, args));
                }
            }
        }
        Reader {
            index,
            graph,
            sites,
            passed: std::cell::RefCell::new(HashMap::new()),
        }
    }

    /// Whether the `env` that `subscript` indexes is a Worker's: not Node's
    /// (`import { env } from "node:process"`), not a local object (`const
    /// env: Record<string, string> = {}`), and read rather than assigned.
    fn worker_env(&self, fi: usize, subscript: Node<'a>) -> bool {
        let Some(file) = self.index.files.get(fi) else {
            return false;
        };
        let assigned = subscript.parent().is_some_and(|p| {
            p.kind() == "assignment_expression"
                && p.child_by_field_name("left")
                    .is_some_and(|l| l.id() == subscript.id())
        });
        let obj = subscript.child_by_field_name("object").map(unwrap_expr);
        let local_object = obj
            .filter(|o| o.kind() == "identifier")
            .and_then(|o| local_value(o, text(o, file.src), file.src))
            .is_some_and(|v| !is_worker_env(text(unwrap_expr(v), file.src)));
        let bare = obj.is_some_and(|o| o.kind() == "identifier");
        // `getRequiredEnv(env: Record<string, string>, key)`: a map of
        // strings, not a Worker env.
        let string_map = obj
            .filter(|o| o.kind() == "identifier")
            .and_then(|o| param_of(o, text(o, file.src), file.src))
            .and_then(|p| p.ty)
            .is_some_and(|t| {
                t.starts_with("Record<") || t.contains("ProcessEnv") || t.starts_with("{ [")
            });
        let node_env = bare && file.env_is_node();
        !(assigned || local_object || string_map || node_env)
    }

    /// What the arguments passed for `param` (of a function in file `fi`)
    /// at its call sites in the same Worker resolve to.
    fn argument_targets(&self, fi: usize, param: &Param, depth: u32) -> Vec<Target> {
        let (Some(callee), Some(file), Some(graph)) =
            (&param.callee, self.index.files.get(fi), self.graph)
        else {
            return Vec::new();
        };
        // By depth too: a walk cut short deeper down must not stand in for
        // a full one.
        let key = (fi, param.func, param.index, depth);
        if let Some(known) = self.passed.borrow().get(&key) {
            return known.clone();
        }
        // Seen while being resolved (recursion through itself): nothing.
        self.passed.borrow_mut().insert(key, Vec::new());
        let scope = graph.scope_of(file.path);
        let mut out = Vec::new();
        let sites = self
            .sites
            .get(callee.as_str())
            .map_or(&[][..], Vec::as_slice);
        for (cf, args) in sites
            .iter()
            .filter(|(cf, args)| {
                let is_new = args.parent().is_some_and(|p| p.kind() == "new_expression");
                is_new == param.constructed
                    && self
                        .index
                        .files
                        .get(*cf)
                        .is_some_and(|f| graph.scope_of(f.path) == scope)
            })
            .take(MAX_ARGUMENT_SITES)
        {
            let arg = children(*args)
                .into_iter()
                .filter(|a| a.kind() != "comment")
                .nth(param.index);
            if let Some(arg) = arg.filter(|a| a.kind() != "spread_element") {
                for t in self.targets(*cf, arg, depth + 2) {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
        self.passed.borrow_mut().insert(key, out.clone());
        out
    }
}

/// The package function or class `read` (an `env.X`) is handed to, as an
/// argument or an argument's property: `new WorkersKVStore({ namespace:
/// env.CACHE })` → `` `WorkersKVStore` (`@hono-rate-limiter/cloudflare`) ``.
/// Only for names imported from a package: a project function handed a
/// binding is read through its parameters instead.
fn handed_to(index: &CodeIndex<'_>, fi: usize, read: Node<'_>) -> Option<String> {
    let file: &FileIndex<'_> = index.files.get(fi)?;
    let mut up = read.parent()?;
    while matches!(
        up.kind(),
        "as_expression"
            | "satisfies_expression"
            | "parenthesized_expression"
            | "non_null_expression"
    ) {
        up = up.parent()?;
    }
    if up.kind() == "pair" {
        up = up.parent().filter(|o| o.kind() == "object")?.parent()?;
    }
    if up.kind() != "arguments" {
        return None;
    }
    let call = up.parent()?;
    let callee = match call.kind() {
        "new_expression" => call.child_by_field_name("constructor")?,
        "call_expression" => call.child_by_field_name("function")?,
        _ => return None,
    };
    if callee.kind() != "identifier" {
        return None;
    }
    let name = text(callee, file.src);
    Some(format!(
        "`{name}` (`{}`)",
        imported_package(index, fi, name)?
    ))
}

/// The package file `fi` imports `name` from, when it is one and not a
/// module of the checkout (relative, or a tsconfig alias that resolves).
fn imported_package<'i>(index: &'i CodeIndex<'_>, fi: usize, name: &str) -> Option<&'i str> {
    let import = index
        .files
        .get(fi)?
        .imports
        .iter()
        .find(|i| i.local == name)?;
    (!import.specifier.starts_with('.') && index.resolve_module(fi, &import.specifier).is_none())
        .then_some(import.specifier.as_str())
}

/// The package `name` comes from, as seen from file `fi`: imported from
/// one (`routePartykitRequest` from `partyserver`), or a project class
/// extending such a class (`class NLWebMcp extends McpAgent`).
fn package_of(index: &CodeIndex<'_>, fi: usize, name: &str, depth: u32) -> Option<String> {
    if let Some(package) = imported_package(index, fi, name) {
        return Some(package.to_owned());
    }
    if depth > 3 {
        return None;
    }
    let r = index.resolve(fi, name)?;
    if r.decl.kind != DeclKind::Class {
        return None;
    }
    let src = index.files.get(r.file)?.src;
    let heritage = children(r.decl.node)
        .into_iter()
        .find(|c| c.kind() == "class_heritage")?;
    let mut parent = None;
    super::syntax::walk(heritage, |n| {
        if parent.is_none() && n.kind() == "identifier" {
            parent = Some(text(n, src).to_owned());
        }
    });
    package_of(index, r.file, &parent?, depth + 1)
}

/// Where a file hands its whole Worker `env` to a package's function or
/// class (`routePartykitRequest(request, { ...env })`,
/// `NLWebMcp.serve("/mcp").fetch(request, env, ctx)`): the package may
/// reach any binding by name.
fn env_handoffs(index: &CodeIndex<'_>, fi: usize, out: &mut Vec<crate::model::Handoff>) {
    let Some(file) = index.files.get(fi) else {
        return;
    };
    let env_arg = |n: Node<'_>| {
        let n = unwrap_expr(n);
        match n.kind() {
            "identifier" | "member_expression" => is_worker_env(text(n, file.src)),
            "object" => children(n).into_iter().any(|c| {
                c.kind() == "spread_element"
                    && c.named_child(0)
                        .is_some_and(|e| is_worker_env(text(unwrap_expr(e), file.src)))
            }),
            _ => false,
        }
    };
    for call in &file.calls {
        let Some(args) = call.node.child_by_field_name("arguments") else {
            continue;
        };
        let Some(arg) = children(args).into_iter().find(|a| env_arg(*a)) else {
            continue;
        };
        // The identifier the callee chain starts from.
        let mut root = call.node.child_by_field_name("function");
        while let Some(n) = root {
            root = match n.kind() {
                "member_expression" => n.child_by_field_name("object"),
                "call_expression" => n.child_by_field_name("function"),
                "parenthesized_expression" | "non_null_expression" => n.named_child(0),
                _ => break,
            };
        }
        let Some(root) = root.filter(|r| r.kind() == "identifier") else {
            continue;
        };
        let name = text(root, file.src);
        if let Some(package) = package_of(index, fi, name, 0) {
            out.push(crate::model::Handoff {
                binding: text(unwrap_expr(arg), file.src).to_owned(),
                to: format!("`{name}` (`{package}`)"),
                location: location(file.path, call.node),
            });
        }
    }
}

/// Reads every binding operation in the index into `model`.
pub fn extract(index: &CodeIndex<'_>, graph: &CallGraph, model: &mut Model) {
    let mut kinds: HashMap<String, BindingKind> = HashMap::new();
    for w in &model.workers {
        for b in &w.bindings {
            kinds.entry(b.name.clone()).or_insert(b.kind);
        }
    }
    for (n, k) in &model.code_bindings {
        kinds.entry(n.clone()).or_insert(*k);
    }
    let reader = Reader::new(index, Some(graph));
    let mut forwarders: Vec<Forwarder> = Vec::new();
    // Kinds with exactly one binding name: a parameter typed with the kind
    // can only be that binding.
    let mut names_of: HashMap<BindingKind, Vec<&String>> = HashMap::new();
    for (n, k) in &kinds {
        names_of.entry(*k).or_default().push(n);
    }
    let only_of_kind: HashMap<BindingKind, String> = names_of
        .into_iter()
        .filter_map(|(k, v)| match v.as_slice() {
            [one] => Some((k, (*one).clone())),
            _ => None,
        })
        .collect();
    for (fi, file) in index.files.iter().enumerate() {
        if file.env_is_node() {
            continue;
        }
        env_handoffs(index, fi, &mut model.env_handoffs);
        let mut seen: Vec<&str> = Vec::new();
        for (name, node) in &file.env_reads {
            if let Some(to) = handed_to(index, fi, *node) {
                model.handoffs.push(crate::model::Handoff {
                    binding: name.clone(),
                    to,
                    location: location(file.path, *node),
                });
            }
            if !seen.contains(&name.as_str()) {
                seen.push(name);
                model.binding_reads.push(crate::model::BindingRead {
                    name: name.clone(),
                    location: location(file.path, *node),
                });
            }
        }
    }
    for (fi, file) in index.files.iter().enumerate() {
        if file.src.contains("env[") {
            super::syntax::walk(file.root, |n| {
                if n.kind() == "subscript_expression"
                    && let Some(Target::Dynamic(pattern)) =
                        reader.targets(fi, n, 0).into_iter().next()
                {
                    model.dynamic_bindings.push(DynamicBinding {
                        pattern,
                        location: location(file.path, n),
                    });
                }
            });
        }
        for call in &file.calls {
            let Some((recv, method)) = member_call(call.node, file.src) else {
                continue;
            };
            // Only calls that could be binding operations are worth
            // resolving their receiver for.
            if !cloudflare::is_binding_method(Lang::TypeScript, method) {
                continue;
            }
            for target in reader.targets(fi, recv, 0) {
                let target = match target {
                    Target::Typed(k) => match only_of_kind.get(&k) {
                        Some(name) => Target::Name(name.clone()),
                        None => continue,
                    },
                    other => other,
                };
                match target {
                    // Found by the subscript walk above.
                    Target::Dynamic(_) | Target::Typed(_) => {}
                    Target::Name(name) => {
                        let Some(kind) = kinds.get(&name).copied() else {
                            continue;
                        };
                        if let Some(mut op) =
                            reader.op(fi, kind, &name, method, call.node, call.enclosing.clone())
                        {
                            if let Some(w) = forwarder(call.node, file.src) {
                                forwarders.push((
                                    w,
                                    kind,
                                    name.clone(),
                                    method.to_owned(),
                                    op.location.clone(),
                                ));
                            }
                            graph.place(index, &mut op);
                            model.resource_ops.push(op);
                        }
                    }
                }
            }
        }
    }
    forwarded_calls(index, &reader, graph, &forwarders, model);
}

/// The receiver and method name of a method call (`recv.method(…)`).
fn member_call<'t, 's>(call: Node<'t>, src: &'s str) -> Option<(Node<'t>, &'s str)> {
    let f = super::syntax::callee(call.child_by_field_name("function")?);
    if f.kind() != "member_expression" {
        return None;
    }
    Some((
        f.child_by_field_name("object")?,
        text(f.child_by_field_name("property")?, src),
    ))
}

/// `(class, method)` when `call` is a wrapper method handing its own
/// parameters straight to the binding: `async head(...parameters) { return
/// this.bucket.head(...parameters) }` in `class RetryBucket`.
fn forwarder(call: Node<'_>, src: &str) -> Option<(String, String)> {
    let first = call
        .child_by_field_name("arguments")
        .and_then(|a| children(a).into_iter().next())?;
    let method = std::iter::successors(call.parent(), |n| n.parent())
        .take(64)
        .find(|n| {
            matches!(
                n.kind(),
                "method_definition" | "function_declaration" | "class_declaration"
            )
        })
        .filter(|n| n.kind() == "method_definition")?;
    let params = method.child_by_field_name("parameters")?;
    let first_param = children(params).into_iter().next()?;
    let param_name = |p: Node<'_>| {
        let mut name = None;
        super::syntax::walk(p, |n| {
            if name.is_none() && n.kind() == "identifier" {
                name = Some(text(n, src).to_owned());
            }
        });
        name
    };
    let forwarded = match first.kind() {
        "spread_element" => first
            .named_child(0)
            .is_some_and(|e| Some(text(e, src).to_owned()) == param_name(first_param)),
        "identifier" => Some(text(first, src).to_owned()) == param_name(first_param),
        _ => false,
    };
    if !forwarded {
        return None;
    }
    let class = std::iter::successors(method.parent(), |n| n.parent())
        .take(8)
        .find(|n| n.kind() == "class_declaration")?;
    let class_name = text(class.child_by_field_name("name")?, src).to_owned();
    let method_name = text(method.child_by_field_name("name")?, src).to_owned();
    Some((class_name, method_name))
}

/// A forwarding wrapper's method and what it forwards to.
type Forwarder = (
    (String, String),
    BindingKind,
    String,
    String,
    crate::model::Location,
);

/// Calls on instances of forwarding wrappers (`this.retryBucket.head(key)`,
/// where `this.retryBucket = new RetryBucket(bucket, …)`), read as the
/// binding operation they forward to, with the caller's key and actor. The
/// wrapper's own operation, whose key is just its parameter, then goes.
fn forwarded_calls(
    index: &CodeIndex<'_>,
    reader: &Reader<'_, '_>,
    graph: &CallGraph,
    forwarders: &[Forwarder],
    model: &mut Model,
) {
    if forwarders.is_empty() {
        return;
    }
    let mut replaced: Vec<crate::model::Location> = Vec::new();
    for (fi, file) in index.files.iter().enumerate() {
        for ((class, method), kind, binding, binding_method, at) in forwarders {
            if !file.constructions.iter().any(|(c, _)| c == class) {
                continue;
            }
            for call in &file.calls {
                let Some((recv, m)) = member_call(call.node, file.src) else {
                    continue;
                };
                if m != method || !instance_of(recv, class, file.src) {
                    continue;
                }
                if let Some(mut op) = reader.op(
                    fi,
                    *kind,
                    binding,
                    binding_method,
                    call.node,
                    call.enclosing.clone(),
                ) {
                    graph.place(index, &mut op);
                    model.resource_ops.push(op);
                    replaced.push(at.clone());
                }
            }
        }
    }
    model
        .resource_ops
        .retain(|op| !replaced.contains(&op.location));
}

/// Whether `recv` holds a `new class(…)`: a local built by it, or a
/// `this.field` the file assigns one to.
fn instance_of(recv: Node<'_>, class: &str, src: &str) -> bool {
    let recv = unwrap_expr(recv);
    let built = |v: Node<'_>| {
        let v = unwrap_expr(v);
        v.kind() == "new_expression"
            && v.child_by_field_name("constructor")
                .is_some_and(|c| text(c, src) == class)
    };
    match recv.kind() {
        "identifier" => local_value(recv, text(recv, src), src).is_some_and(built),
        "member_expression" => {
            let t = text(recv, src);
            t.starts_with("this.") && src.contains(&format!("{t} = new {class}("))
        }
        _ => false,
    }
}

/// Placeholder name for an expression: `appId`, `app.id` → `appId`.
/// Methods that reshape a string without changing what it names.
const STRING_METHODS: &[&str] = &[
    "slice",
    "substring",
    "toLowerCase",
    "toUpperCase",
    "trim",
    "toString",
    "padStart",
    "padEnd",
    "replace",
    "replaceAll",
    "normalize",
];

fn placeholder(node: Node<'_>, src: &str) -> String {
    placeholder_depth(node, src, 0)
}

/// [`placeholder`], bounded: `String(String(…))` 20,000 deep is a name,
/// not a stack overflow.
fn placeholder_depth(node: Node<'_>, src: &str, depth: u32) -> String {
    if depth > 32 {
        return "value".to_owned();
    }
    let node = unwrap_expr(node);
    let raw = match node.kind() {
        "identifier" | "property_identifier" => text(node, src).to_owned(),
        "member_expression" => {
            let prop = node
                .child_by_field_name("property")
                .map(|p| text(p, src))
                .unwrap_or("");
            let obj = node.child_by_field_name("object").map(unwrap_expr);
            let obj_name = obj
                .map(|o| {
                    let t = text(o, src);
                    t.rsplit('.').next().unwrap_or(t).to_owned()
                })
                .unwrap_or_default();
            if matches!(prop, "id" | "key" | "name" | "slug" | "hash")
                && !obj_name.is_empty()
                && obj_name.chars().all(|c| c.is_alphanumeric() || c == '_')
            {
                let mut p = prop.to_owned();
                if let Some(first) = p.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!("{obj_name}{p}")
            } else {
                prop.to_owned()
            }
        }
        "call_expression" => {
            // `String(n)`, `encodeURIComponent(x)`: name the argument.
            let callee = node
                .child_by_field_name("function")
                .map(|f| text(f, src))
                .unwrap_or("");
            let args = node
                .child_by_field_name("arguments")
                .map(children)
                .unwrap_or_default();
            let method = callee.rsplit('.').next().unwrap_or("");
            match (callee, args.first()) {
                ("String" | "encodeURIComponent" | "encodeURI" | "Number", Some(a)) => {
                    return placeholder_depth(*a, src, depth + 1);
                }
                // `c.req.param("id")`, `url.searchParams.get("name")`: the
                // name asked for.
                (_, Some(a))
                    if matches!(method, "param" | "query" | "header" | "get")
                        && args.len() == 1
                        && string_value(*a, src).is_some() =>
                {
                    string_value(*a, src).unwrap_or_default()
                }
                _ => {
                    // `id.toLowerCase()`, `crypto.randomUUID().slice(0, 8)`:
                    // a string method names what it is called on.
                    let f = node.child_by_field_name("function").map(unwrap_expr);
                    if let Some(f) = f.filter(|f| f.kind() == "member_expression")
                        && let (Some(obj), Some(method)) = (
                            f.child_by_field_name("object"),
                            f.child_by_field_name("property").map(|p| text(p, src)),
                        )
                        && STRING_METHODS.contains(&method)
                    {
                        return placeholder_depth(obj, src, depth + 1);
                    }
                    callee.rsplit('.').next().unwrap_or("value").to_owned()
                }
            }
        }
        _ => "value".to_owned(),
    };
    let clean: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if clean.is_empty() {
        "value".into()
    } else {
        clean
    }
}

/// The blocks (`{ … }`, the program, `case`s) around `at`, innermost
/// first; a bounded walk up.
fn blocks_above(at: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    std::iter::successors(at.parent(), |n| n.parent())
        .take(10_000)
        .filter(|n| matches!(n.kind(), "statement_block" | "program" | "switch_case"))
}

/// The value a local `const name = …` in an enclosing block has.
pub fn local_value<'t>(at: Node<'t>, name: &str, src: &str) -> Option<Node<'t>> {
    for block in blocks_above(at) {
        for stmt in children(block) {
            if stmt.start_byte() >= at.start_byte() {
                break;
            }
            if !matches!(stmt.kind(), "lexical_declaration" | "variable_declaration") {
                continue;
            }
            for d in children(stmt) {
                if d.kind() == "variable_declarator"
                    && d.child_by_field_name("name")
                        .is_some_and(|n| text(n, src) == name)
                {
                    return d.child_by_field_name("value");
                }
            }
        }
    }
    None
}

/// Parameter `name` of a function around `at`: its declared type and the
/// function it belongs to, so arguments at its call sites can be followed.
struct Param {
    /// The declared type, `None` when untyped.
    ty: Option<String>,
    /// Position among the parameters.
    index: usize,
    /// The name callers use: the function or method name, or the class
    /// name for a constructor (called as `new Class(…)`).
    callee: Option<String>,
    /// Whether `callee` is a class constructed with `new`.
    constructed: bool,
    /// The function's node id, for memoising what its callers pass.
    func: usize,
}

fn param_of(at: Node<'_>, name: &str, src: &str) -> Option<Param> {
    let mut cur = at.parent();
    for _ in 0..10_000 {
        let n = cur?;
        if let Some(params) = n.child_by_field_name("parameters") {
            let list: Vec<Node<'_>> = children(params)
                .into_iter()
                .filter(|p| p.kind() != "comment")
                .collect();
            for (index, p) in list.iter().enumerate() {
                let pat = p
                    .child_by_field_name("pattern")
                    .or((p.kind() == "identifier").then_some(*p))
                    .map(|x| text(x, src));
                if pat == Some(name) {
                    let (callee, constructed) = function_name(n, src);
                    return Some(Param {
                        func: n.id(),
                        ty: p
                            .child_by_field_name("type")
                            .map(|t| text(t, src).trim_start_matches(':').trim().to_owned()),
                        index,
                        callee,
                        constructed,
                    });
                }
            }
        }
        cur = n.parent();
    }
    None
}

/// The name a function is called by, and whether it is a constructor.
fn function_name(func: Node<'_>, src: &str) -> (Option<String>, bool) {
    let named = |n: Node<'_>, field: &str| {
        n.child_by_field_name(field)
            .map(|x| text(x, src).to_owned())
    };
    match func.kind() {
        "function_declaration" | "generator_function_declaration" => (named(func, "name"), false),
        "method_definition" => match named(func, "name").as_deref() {
            Some("constructor") => {
                let class = std::iter::successors(func.parent(), |n| n.parent())
                    .take(4)
                    .find(|n| {
                        matches!(
                            n.kind(),
                            "class_declaration" | "class" | "abstract_class_declaration"
                        )
                    });
                (class.and_then(|c| named(c, "name")), true)
            }
            other => (other.map(str::to_owned), false),
        },
        "arrow_function" | "function_expression" | "function" => match func.parent() {
            Some(p) if p.kind() == "variable_declarator" => (named(p, "name"), false),
            Some(p) if p.kind() == "pair" => (named(p, "key"), false),
            _ => (None, false),
        },
        _ => (None, false),
    }
}

/// What `this.<field>` holds in the class around `at`: a field
/// initializer (`db = env.DB`) or an assignment in the class
/// (`this.db = env.DB`).
fn class_field_value<'t>(at: Node<'t>, field: &str, src: &str) -> Option<Node<'t>> {
    let mut cur = at.parent();
    let class = loop {
        let n = cur?;
        if matches!(
            n.kind(),
            "class_declaration" | "class" | "abstract_class_declaration"
        ) {
            break n;
        }
        cur = n.parent();
    };
    let body = class.child_by_field_name("body")?;
    for m in children(body) {
        if m.kind() == "public_field_definition"
            && m.child_by_field_name("name")
                .is_some_and(|n| text(n, src) == field)
            && let Some(v) = m.child_by_field_name("value")
        {
            return Some(v);
        }
    }
    // A parameter property: `constructor(private kv: KVNamespace)`.
    for m in children(body) {
        if m.kind() == "method_definition"
            && m.child_by_field_name("name")
                .is_some_and(|n| text(n, src) == "constructor")
            && let Some(params) = m.child_by_field_name("parameters")
        {
            for p in children(params) {
                if let Some(pat) = p.child_by_field_name("pattern")
                    && text(pat, src) == field
                {
                    return Some(pat);
                }
            }
        }
    }
    let target = format!("this.{field}");
    let mut found = None;
    super::syntax::walk(body, |n| {
        if found.is_none()
            && n.kind() == "assignment_expression"
            && n.child_by_field_name("left")
                .is_some_and(|l| text(l, src) == target)
        {
            found = n.child_by_field_name("right");
        }
    });
    found
}

/// `const { X } = env` / `const { X: y } = c.env` above `at`: the binding
/// `name` destructures, if any.
fn destructured(at: Node<'_>, name: &str, src: &str) -> Option<String> {
    for block in blocks_above(at) {
        for stmt in children(block) {
            for d in children(stmt)
                .into_iter()
                .filter(|d| d.kind() == "variable_declarator")
            {
                let (Some(pat), Some(val)) = (
                    d.child_by_field_name("name"),
                    d.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if pat.kind() != "object_pattern" || !is_worker_env(text(unwrap_expr(val), src)) {
                    continue;
                }
                for p in children(pat) {
                    match p.kind() {
                        "shorthand_property_identifier_pattern" if text(p, src) == name => {
                            return Some(name.to_owned());
                        }
                        "pair_pattern" => {
                            let key = p.child_by_field_name("key").map(|k| text(k, src));
                            let value = p.child_by_field_name("value").map(|v| text(v, src));
                            if value == Some(name) {
                                return key.map(str::to_owned);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    None
}

/// The expressions a function returns (its arrow body, or every
/// `return`), for a helper declared at the top level of a file.
pub(super) fn returns<'t>(decl_node: Node<'t>, value: Option<Node<'t>>) -> Vec<Node<'t>> {
    let func = match value.map(unwrap_expr) {
        Some(v)
            if matches!(
                v.kind(),
                "arrow_function" | "function_expression" | "function"
            ) =>
        {
            v
        }
        Some(_) => return Vec::new(),
        None => decl_node,
    };
    let Some(body) = func.child_by_field_name("body") else {
        return Vec::new();
    };
    if body.kind() != "statement_block" {
        return vec![body];
    }
    let mut out = Vec::new();
    super::syntax::walk(body, |n| {
        if n.kind() == "return_statement"
            && let Some(e) = n.named_child(0)
            && out.len() < 32
        {
            out.push(e);
        }
    });
    out
}

impl<'a> Reader<'_, 'a> {
    /// The bindings `recv` (in file `fi`) can be.
    fn targets(&self, fi: usize, recv: Node<'a>, depth: u32) -> Vec<Target> {
        if depth > 4 {
            return Vec::new();
        }
        let Some(file) = self.index.files.get(fi) else {
            return Vec::new();
        };
        let src = file.src;
        let recv = unwrap_expr(recv);
        let recv = if recv.kind() == "await_expression" {
            recv.named_child(0).map(unwrap_expr).unwrap_or(recv)
        } else {
            recv
        };
        match recv.kind() {
            "member_expression" => {
                let obj = recv
                    .child_by_field_name("object")
                    .map(|o| text(unwrap_expr(o), src));
                let prop = recv.child_by_field_name("property").map(|p| text(p, src));
                match (obj, prop) {
                    (Some(o), Some(p)) if is_worker_env(o) => vec![Target::Name(p.to_owned())],
                    // `this.db` where the class sets `this.db = env.DB`.
                    (Some("this"), Some(p)) => match class_field_value(recv, p, src) {
                        Some(v) => self.targets(fi, v, depth + 1),
                        None => Vec::new(),
                    },
                    _ => Vec::new(),
                }
            }
            "subscript_expression" => {
                let obj = recv
                    .child_by_field_name("object")
                    .map(|o| text(unwrap_expr(o), src));
                let Some(idx) = recv.child_by_field_name("index") else {
                    return Vec::new();
                };
                if !obj.is_some_and(is_worker_env) || !self.worker_env(fi, recv) {
                    return Vec::new();
                }
                match string_value(idx, src) {
                    Some(name) => vec![Target::Name(name)],
                    None => vec![Target::Dynamic(
                        self.key(fi, idx, 0)
                            .map_or_else(|| "{name}".to_owned(), |k| k.0),
                    )],
                }
            }
            "identifier" => {
                let name = text(recv, src);
                if let Some(v) = local_value(recv, name, src) {
                    return self.targets(fi, v, depth + 1);
                }
                if let Some(b) = destructured(recv, name, src) {
                    return vec![Target::Name(b)];
                }
                // A parameter: what its callers pass (`loadEvents(c.env.
                // EVENTS)`), else by its type when only one binding has
                // that kind, else by its name (`constructor(DB) { this.DB
                // = DB }`).
                let Some(param) = param_of(recv, name, src) else {
                    return Vec::new();
                };
                // Only a parameter that can hold a binding is worth following:
                // typed with a binding type, or untyped (JavaScript).
                let may_bind = param
                    .ty
                    .as_deref()
                    .is_none_or(|t| kind_of_type(t).is_some());
                let passed = if may_bind {
                    self.argument_targets(fi, &param, depth)
                } else {
                    Vec::new()
                };
                if !passed.is_empty() {
                    return passed;
                }
                match param.ty {
                    Some(t) => kind_of_type(&t).map(Target::Typed).into_iter().collect(),
                    None => vec![Target::Name(name.to_owned())],
                }
            }
            "call_expression" => {
                // A helper returning a binding: `bucket(env)`, a `switch`
                // over priority queues.
                let Some(f) = recv.child_by_field_name("function") else {
                    return Vec::new();
                };
                if f.kind() != "identifier" {
                    return Vec::new();
                }
                let Some(r) = self.index.resolve(fi, text(f, src)) else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                for e in returns(r.decl.node, r.decl.value) {
                    for t in self.targets(r.file, e, depth + 1) {
                        if !out.contains(&t) {
                            out.push(t);
                        }
                    }
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// A key pattern and the JSDoc of the helper that built it.
    fn key(&self, fi: usize, node: Node<'a>, depth: u32) -> Option<(String, Option<String>)> {
        if depth > 6 {
            return None;
        }
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let node = unwrap_expr(node);
        if let Some(v) = fold(self.index, fi, node) {
            return Some((v.as_string(), None));
        }
        match node.kind() {
            "template_string" => {
                let mut out = String::new();
                let mut doc = None;
                for ch in children(node) {
                    match ch.kind() {
                        "string_fragment" | "escape_sequence" => out.push_str(text(ch, src)),
                        "template_substitution" => {
                            let e = ch.named_child(0)?;
                            match fold(self.index, fi, e) {
                                Some(v) => out.push_str(&v.as_string()),
                                None => {
                                    // A nested helper call contributes its pattern.
                                    match self.helper_key(fi, e, depth) {
                                        Some((k, d)) => {
                                            out.push_str(&k);
                                            doc = doc.or(d);
                                        }
                                        None => {
                                            out.push('{');
                                            out.push_str(&placeholder(e, src));
                                            out.push('}');
                                        }
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Some((out, doc))
            }
            "binary_expression" => {
                let op = node.child_by_field_name("operator").map(|o| text(o, src));
                if op != Some("+") {
                    return None;
                }
                let part = |n: Node<'a>| {
                    self.key(fi, n, depth + 1)
                        .unwrap_or_else(|| (format!("{{{}}}", placeholder(n, src)), None))
                };
                let (l, ld) = part(node.child_by_field_name("left")?);
                let (r, rd) = part(node.child_by_field_name("right")?);
                Some((l + &r, ld.or(rd)))
            }
            "identifier" => {
                let name = text(node, src);
                let whole = format!("{{{name}}}");
                match local_value(node, name, src).and_then(|v| self.key(fi, v, depth + 1)) {
                    // A local that is only a value (`const url =
                    // params.get("url")`) is best named by itself.
                    Some((k, _))
                        if k.starts_with('{')
                            && k.ends_with('}')
                            && k.matches('{').count() == 1 =>
                    {
                        Some((whole, None))
                    }
                    Some(found) => Some(found),
                    None => Some((whole, None)),
                }
            }
            "call_expression" => self
                .helper_key(fi, node, depth)
                .or_else(|| Some((format!("{{{}}}", placeholder(node, src)), None))),
            // `this.todosKey`, set in the constructor from a template.
            "member_expression"
                if node
                    .child_by_field_name("object")
                    .is_some_and(|o| text(o, src) == "this") =>
            {
                let field = node.child_by_field_name("property").map(|p| text(p, src));
                field
                    .and_then(|f| class_field_value(node, f, src))
                    .filter(|v| v.kind() != "identifier")
                    .and_then(|v| self.key(fi, v, depth + 1))
                    .or_else(|| Some((format!("{{{}}}", placeholder(node, src)), None)))
            }
            _ => Some((format!("{{{}}}", placeholder(node, src)), None)),
        }
    }

    /// `releaseBundleKey(appId, id)` → the pattern its body returns.
    fn helper_key(
        &self,
        fi: usize,
        call: Node<'a>,
        depth: u32,
    ) -> Option<(String, Option<String>)> {
        if call.kind() != "call_expression" || depth >= 2 {
            return None;
        }
        let src = self.index.files.get(fi)?.src;
        let f = call.child_by_field_name("function")?;
        if f.kind() != "identifier" {
            return None;
        }
        let r = self.index.resolve(fi, text(f, src))?;
        if !matches!(r.decl.kind, DeclKind::Function | DeclKind::Variable) {
            return None;
        }
        let ret = returns(r.decl.node, r.decl.value).into_iter().next()?;
        let (k, d) = self.key(r.file, ret, depth + 1)?;
        let rfile = self.index.files.get(r.file)?;
        Some((k, d.or_else(|| rfile.doc(&r.decl))))
    }

    fn op(
        &self,
        fi: usize,
        kind: BindingKind,
        binding: &str,
        method: &str,
        call: Node<'a>,
        actor: Option<String>,
    ) -> Option<ResourceOp> {
        let op = cloudflare::op_kind(Lang::TypeScript, kind, method)?;
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let args = call
            .child_by_field_name("arguments")
            .map(children)
            .unwrap_or_default();
        let mut res = ResourceOp {
            actor: actor.clone(),
            ..ResourceOp::new(kind, binding.to_owned(), op, location(file.path, call))
        };
        let mut key_doc = None;
        match op {
            OpKind::List => {
                let prefix = args
                    .first()
                    .map(|o| unwrap_expr(*o))
                    .filter(|o| o.kind() == "object")
                    .and_then(|o| {
                        children(o).into_iter().find_map(|p| {
                            let k = p.child_by_field_name("key")?;
                            (text(k, src) == "prefix").then(|| p.child_by_field_name("value"))?
                        })
                    });
                res.key = Some(match prefix.and_then(|p| self.key(fi, p, 0)) {
                    Some((k, d)) => {
                        key_doc = d;
                        format!("{k}*")
                    }
                    None => "*".to_owned(),
                });
            }
            OpKind::Query => {
                res.sql = args.first().and_then(|q| sql_literal(self.index, fi, *q));
                res.key = res
                    .sql
                    .as_deref()
                    .map(|q| tables_named(q).join(", "))
                    .filter(|t| !t.is_empty());
            }
            OpKind::Send | OpKind::SendBatch => {
                if op == OpKind::Send
                    && let Some(m) = args.first().map(|a| unwrap_expr(*a))
                    && m.kind() == "object"
                {
                    res.message = message_fields(self.index, fi, m);
                }
            }
            _ => {
                if let Some((k, d)) = args.first().and_then(|a| self.key(fi, *a, 0)) {
                    res.key = Some(k);
                    key_doc = d;
                }
            }
        }
        if kind == BindingKind::Kv {
            match op {
                OpKind::Write => {
                    let kind = args.get(1).and_then(|v| value_type(*v, src));
                    let metadata = option(args.get(2).copied(), "metadata", src).is_some();
                    res.value_type =
                        (kind.is_some() || metadata).then_some(ValueType { kind, metadata });
                    res.ttl = Some(ttl(self.index, fi, args.get(2).copied()));
                }
                OpKind::Read => {
                    res.value_type =
                        args.get(1)
                            .and_then(|t| read_type(*t, src))
                            .map(|kind| ValueType {
                                kind: Some(kind),
                                metadata: false,
                            });
                    res.cache_ttl = option(args.get(1).copied(), "cacheTtl", src)
                        .map(|v| seconds(self.index, fi, v));
                }
                _ => {}
            }
        }
        res.purpose = key_doc.or_else(|| enclosing_doc(call, src));
        Some(res)
    }
}

/// The JSDoc of the function or method a node is in.
fn enclosing_doc(node: Node<'_>, src: &str) -> Option<String> {
    let mut cur = node.parent();
    for _ in 0..10_000 {
        let n = cur?;
        match n.kind() {
            "function_declaration" | "method_definition" | "generator_function_declaration" => {
                return doc_comment(n, src);
            }
            "arrow_function" | "function_expression" => {
                if let Some(d) = n.parent().filter(|p| p.kind() == "variable_declarator") {
                    return doc_comment(d, src);
                }
                // A route handler is its own unit: the comment above its
                // `app.post("/upload", …)` statement, not the doc of the
                // function that registers every route.
                if super::index::route_of(n, src).is_some() {
                    let stmt = std::iter::successors(n.parent(), |p| p.parent())
                        .take(8)
                        .find(|p| p.kind() == "expression_statement")?;
                    return doc_comment(stmt, src);
                }
            }
            _ => {}
        }
        cur = n.parent();
    }
    None
}

/// The key pattern `node` (in file `fi`) builds, for other readers
/// (Durable Object storage keys).
pub fn key_pattern(index: &CodeIndex<'_>, fi: usize, node: Node<'_>) -> Option<String> {
    Reader::new(index, None).key(fi, node, 0).map(|(k, _)| k)
}

/// The SQL a `prepare(…)` argument holds: a literal, a template (its
/// substitutions as `?`), or a local const holding one.
pub(super) fn sql_literal(index: &CodeIndex<'_>, fi: usize, node: Node<'_>) -> Option<String> {
    sql_literal_depth(index, fi, node, 0)
}

/// [`sql_literal`], bounded: `const k = k + 1` must not recurse forever.
fn sql_literal_depth(
    index: &CodeIndex<'_>,
    fi: usize,
    node: Node<'_>,
    depth: u32,
) -> Option<String> {
    if depth > 16 {
        return None;
    }
    let src = index.files.get(fi)?.src;
    let node = unwrap_expr(node);
    match node.kind() {
        "string" => string_value(node, src),
        // Substitutions are parameters, unless they fold to a constant
        // string (`FROM ${TABLE}` with `const TABLE = "cache"`).
        "template_string" => Some(
            children(node)
                .into_iter()
                .map(|c| match c.kind() {
                    "template_substitution" => c
                        .named_child(0)
                        .and_then(|e| match fold(index, fi, e) {
                            Some(Value::Str(s)) => Some(s),
                            _ => None,
                        })
                        .unwrap_or_else(|| "?".to_owned()),
                    _ => text(c, src).to_owned(),
                })
                .collect(),
        ),
        "identifier" => {
            let v = local_value(node, text(node, src), src)?;
            sql_literal_depth(index, fi, v, depth + 1)
        }
        // `"SELECT id FROM " + TABLE + " WHERE org_id = ?"`: the parts
        // that are SQL text, the rest as parameters; only when one side
        // is text, so `a + b` of two unknowns is nothing.
        "binary_expression"
            if node
                .child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "+")
                && fold(index, fi, node).is_none() =>
        {
            let part =
                |n: Option<Node<'_>>| n.and_then(|n| sql_literal_depth(index, fi, n, depth + 1));
            let (l, r) = (
                part(node.child_by_field_name("left")),
                part(node.child_by_field_name("right")),
            );
            match (l, r) {
                (None, None) => None,
                (l, r) => Some(format!(
                    "{}{}",
                    l.unwrap_or_else(|| "?".to_owned()),
                    r.unwrap_or_else(|| "?".to_owned())
                )),
            }
        }
        _ => fold(index, fi, node).map(|v| v.as_string()),
    }
}

/// Table names after `FROM`, `JOIN`, `INTO` and `UPDATE` in SQL text, in
/// order of first mention (a look at words, not a parse: the SQL reader
/// of access patterns owns the real one).
pub fn tables_named(sql: &str) -> Vec<String> {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for pair in words.windows(2) {
        let kw = pair[0].to_ascii_uppercase();
        if matches!(kw.as_str(), "FROM" | "JOIN" | "INTO" | "UPDATE") {
            let name = pair[1].trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && !matches!(
                    name.to_ascii_uppercase().as_str(),
                    "SELECT" | "OR" | "IGNORE" | "REPLACE" | "SET"
                );
            if valid && !out.iter().any(|t| t == name) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// `queue(batch, env)` handlers (methods or `queue:` properties) and what
/// they do when a message fails.
pub fn queue_handlers(index: &CodeIndex<'_>) -> Vec<crate::model::QueueHandler> {
    let mut out = Vec::new();
    for f in &index.files {
        if !f.src.contains("queue") {
            continue;
        }
        super::syntax::walk(f.root, |n| {
            let is_handler = match n.kind() {
                "method_definition" => n
                    .child_by_field_name("name")
                    .is_some_and(|x| text(x, f.src) == "queue"),
                "pair" => {
                    n.child_by_field_name("key")
                        .is_some_and(|x| text(x, f.src) == "queue")
                        && n.child_by_field_name("value").is_some_and(|v| {
                            matches!(
                                unwrap_expr(v).kind(),
                                "arrow_function" | "function_expression" | "function"
                            )
                        })
                }
                _ => false,
            };
            if !is_handler {
                return;
            }
            let body = text(n, f.src);
            let mut acks_on_failure = false;
            super::syntax::walk(n, |c| {
                if c.kind() == "catch_clause" {
                    let t = text(c, f.src);
                    if t.contains(".ack()") || t.contains(".ackAll()") {
                        acks_on_failure = true;
                    }
                }
            });
            out.push(crate::model::QueueHandler {
                retries: body.contains(".retry(") || body.contains(".retryAll("),
                acks_on_failure,
                location: location(f.path, n),
            });
        });
    }
    out
}

/// Fields of a message type: an object type literal, or an interface /
/// type alias it names (resolved through the index).
pub fn type_fields(
    index: &CodeIndex<'_>,
    fi: usize,
    ty: Node<'_>,
    depth: u32,
) -> Vec<(String, String)> {
    let Some(file) = index.files.get(fi) else {
        return Vec::new();
    };
    if depth > 8 {
        return Vec::new();
    }
    match ty.kind() {
        "object_type" => children(ty)
            .into_iter()
            .filter(|m| m.kind() == "property_signature")
            .filter_map(|m| {
                let name = text(m.child_by_field_name("name")?, file.src).to_owned();
                let t = m
                    .child_by_field_name("type")
                    .map(|t| text(t, file.src).trim_start_matches(':').trim().to_owned())
                    .unwrap_or_else(|| "unknown".into());
                let optional = text(m, file.src).contains('?')
                    && text(m, file.src)
                        .split(':')
                        .next()
                        .is_some_and(|h| h.contains('?'));
                Some((
                    name,
                    if optional {
                        format!("{t} (optional)")
                    } else {
                        t
                    },
                ))
            })
            .collect(),
        "type_identifier" | "generic_type" | "nested_type_identifier" => {
            let name = text(ty, file.src);
            let name = name
                .split('<')
                .next()
                .unwrap_or(name)
                .rsplit('.')
                .next()
                .unwrap_or(name);
            let Some(r) = index.resolve(fi, name) else {
                return Vec::new();
            };
            let rfile = &index.files[r.file];
            match r.decl.kind {
                DeclKind::Interface => rfile
                    .members(&r.decl)
                    .into_iter()
                    .filter(|m| !m.is_method)
                    .map(|m| {
                        let optional = text(m.node, rfile.src)
                            .split(':')
                            .next()
                            .is_some_and(|h| h.contains('?'));
                        let t = if m.ty.is_empty() {
                            "unknown".to_owned()
                        } else {
                            m.ty
                        };
                        (
                            m.name,
                            if optional {
                                format!("{t} (optional)")
                            } else {
                                t
                            },
                        )
                    })
                    .collect(),
                DeclKind::TypeAlias => r
                    .decl
                    .node
                    .child_by_field_name("value")
                    .map(|v| type_fields(index, r.file, v, depth + 1))
                    .unwrap_or_default(),
                _ => Vec::new(),
            }
        }
        "type_annotation" | "parenthesized_type" => ty
            .named_child(0)
            .map(|t| type_fields(index, fi, t, depth + 1))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Queue message types: `X: Queue<T>` members of interfaces (by binding)
/// and `MessageBatch<T>` annotations (by consumer file).
pub fn message_types(index: &CodeIndex<'_>) -> Vec<crate::model::MessageType> {
    let mut out = Vec::new();
    for (fi, f) in index.files.iter().enumerate() {
        if !f.src.contains("MessageBatch<") && !f.src.contains("Queue<") {
            continue;
        }
        super::syntax::walk(f.root, |n| {
            if n.kind() != "generic_type" {
                return;
            }
            let Some(name) = n.child_by_field_name("name").map(|x| text(x, f.src)) else {
                return;
            };
            let Some(arg) = n
                .child_by_field_name("type_arguments")
                .and_then(|a| a.named_child(0))
            else {
                return;
            };
            let (binding, consumer_file) = match name {
                "MessageBatch" => (None, Some(f.path.to_owned())),
                "Queue" => {
                    // `UPLOADS: Queue<T>` in an interface or type literal.
                    let member = n
                        .parent()
                        .filter(|p| p.kind() == "type_annotation")
                        .and_then(|p| p.parent())
                        .filter(|p| p.kind() == "property_signature");
                    match member.and_then(|m| m.child_by_field_name("name")) {
                        Some(b) => (Some(text(b, f.src).to_owned()), None),
                        None => return,
                    }
                }
                _ => return,
            };
            let fields = type_fields(index, fi, arg, 0);
            if !fields.is_empty() {
                out.push(crate::model::MessageType {
                    binding,
                    consumer_file,
                    fields,
                    location: location(f.path, n),
                });
            }
        });
    }
    out
}

/// The type of a KV value written: `JSON.stringify(…)` → JSON, `String(n + 1)`
/// → Counter, a number → Number, a string → String, buffers → Binary;
/// `None` when the code does not say.
fn value_type(node: Node<'_>, src: &str) -> Option<ValueKind> {
    let mut node = unwrap_expr(node);
    if node.kind() == "await_expression"
        && let Some(inner) = node.named_child(0)
    {
        node = unwrap_expr(inner);
    }
    let t = text(node, src);
    // `await request.text()`, `await res.arrayBuffer()`, `request.body`.
    if node.kind() == "call_expression" && t.ends_with(".text()") {
        return Some(ValueKind::String);
    }
    if t.ends_with(".arrayBuffer()") || t.ends_with(".body") {
        return Some(ValueKind::Binary);
    }
    if t.starts_with("JSON.stringify") {
        return Some(ValueKind::Json);
    }
    let increments = t.contains("+ 1") || t.contains("+1");
    if (t.starts_with("String(") || t.ends_with(".toString()")) && increments {
        return Some(ValueKind::Counter);
    }
    let lower = t.to_ascii_lowercase();
    Some(match node.kind() {
        "number" => ValueKind::Number,
        "string" | "template_string" => ValueKind::String,
        "call_expression" if t.starts_with("String(") || t.ends_with(".toString()") => {
            ValueKind::Number
        }
        _ if lower.contains("buffer")
            || lower.contains("stream")
            || lower.contains("uint8array")
            || lower.contains("blob") =>
        {
            ValueKind::Binary
        }
        // A variable or call whose type dmqa does not know: let a typed
        // read of the same key say.
        _ => return None,
    })
}

/// The value of `key` in an options object literal.
fn option<'t>(opts: Option<Node<'t>>, key: &str, src: &str) -> Option<Node<'t>> {
    let opts = opts.map(unwrap_expr).filter(|o| o.kind() == "object")?;
    children(opts).into_iter().find_map(|p| match p.kind() {
        "pair"
            if p.child_by_field_name("key")
                .is_some_and(|k| text(k, src) == key) =>
        {
            p.child_by_field_name("value")
        }
        "shorthand_property_identifier" if text(p, src) == key => Some(p),
        _ => None,
    })
}

/// The type a KV `get(k, type)` asks for.
fn read_type(node: Node<'_>, src: &str) -> Option<ValueKind> {
    let node = unwrap_expr(node);
    let ty = match node.kind() {
        "object" => children(node).into_iter().find_map(|p| {
            let k = p.child_by_field_name("key")?;
            (text(k, src) == "type").then(|| p.child_by_field_name("value"))?
        }),
        _ => Some(node),
    }?;
    Some(match string_value(ty, src)?.as_str() {
        "json" => ValueKind::Json,
        "arrayBuffer" | "stream" => ValueKind::Binary,
        _ => ValueKind::String,
    })
}

/// A TTL option's value: seconds when it folds to a number.
fn seconds(index: &CodeIndex<'_>, fi: usize, v: Node<'_>) -> Expiry {
    match fold(index, fi, v) {
        Some(Value::Num(n)) if n >= 0.0 => Expiry::Ttl { secs: n as u64 },
        _ => Expiry::Unknown {
            expr: index
                .files
                .get(fi)
                .map_or("", |f| text(v, f.src))
                .to_owned(),
        },
    }
}

/// How long a `put` keeps its key: `expirationTtl` (folded), `expiration`
/// (absolute), or neither.
fn ttl(index: &CodeIndex<'_>, fi: usize, opts: Option<Node<'_>>) -> Expiry {
    let Some(opts) = opts.map(unwrap_expr).filter(|o| o.kind() == "object") else {
        return Expiry::Never;
    };
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return Expiry::Never;
    };
    for p in children(opts) {
        let key = match p.kind() {
            "pair" => p.child_by_field_name("key").map(|k| text(k, src)),
            "shorthand_property_identifier" => Some(text(p, src)),
            _ => None,
        };
        match key {
            Some("expirationTtl") => {
                return seconds(index, fi, p.child_by_field_name("value").unwrap_or(p));
            }
            Some("expiration") => return Expiry::Absolute,
            _ => {}
        }
    }
    Expiry::Never
}

/// Whether `call` calls a helper whose (first) return is a string or
/// template literal: `pendingBundleKey(jobId)`.
fn helper_returns_string(index: &CodeIndex<'_>, fi: usize, call: Node<'_>) -> bool {
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return false;
    };
    let Some(f) = call
        .child_by_field_name("function")
        .filter(|f| f.kind() == "identifier")
    else {
        return false;
    };
    let Some(r) = index.resolve(fi, text(f, src)) else {
        return false;
    };
    returns(r.decl.node, r.decl.value)
        .first()
        .is_some_and(|e| matches!(unwrap_expr(*e).kind(), "template_string" | "string"))
}

/// Fields of a message object literal with types from their values.
fn message_fields(index: &CodeIndex<'_>, fi: usize, obj: Node<'_>) -> Vec<(String, String)> {
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in children(obj) {
        let (name, value) = match p.kind() {
            "pair" => (
                p.child_by_field_name("key")
                    .map(|k| string_value(k, src).unwrap_or_else(|| text(k, src).to_owned())),
                p.child_by_field_name("value"),
            ),
            "shorthand_property_identifier" => (Some(text(p, src).to_owned()), None),
            _ => continue,
        };
        let Some(name) = name else { continue };
        let ty = match value.map(unwrap_expr) {
            Some(v) => match v.kind() {
                "string" | "template_string" => "string".to_owned(),
                "number" => "number".to_owned(),
                "true" | "false" => "boolean".to_owned(),
                "array" => "array".to_owned(),
                "object" => "object".to_owned(),
                "null" => "null".to_owned(),
                "call_expression" if helper_returns_string(index, fi, v) => "string".to_owned(),
                _ => {
                    let t = text(v, src);
                    if t.ends_with("toISOString()") {
                        "ISO8601".to_owned()
                    } else if t == "Date.now()" {
                        "number".to_owned()
                    } else {
                        match fold(index, fi, v) {
                            Some(Value::Num(_)) => "number".to_owned(),
                            Some(Value::Str(_)) => "string".to_owned(),
                            None => "unknown".to_owned(),
                        }
                    }
                }
            },
            None => "unknown".to_owned(),
        };
        out.push((name, ty));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tables_in_sql() {
        assert_eq!(
            tables_named(
                "SELECT * FROM apps a JOIN releases r ON r.app_id = a.id WHERE x IN (SELECT y FROM channels)"
            ),
            vec!["apps", "releases", "channels"]
        );
        assert_eq!(
            tables_named("INSERT OR IGNORE INTO `users` (id) VALUES (?)"),
            vec!["users"]
        );
        assert_eq!(
            tables_named("UPDATE upload_jobs SET status = ?"),
            vec!["upload_jobs"]
        );
        assert_eq!(
            tables_named(
                "INSERT INTO c (k) VALUES (?) ON CONFLICT (k) DO UPDATE SET k = excluded.k"
            ),
            vec!["c"]
        );
    }

    #[test]
    fn placeholders_are_named_after_what_a_string_method_reshapes() {
        let src = "k(`a/${crypto.randomUUID().slice(0, 8)}/${user.id}/${String(n)}/${name.trim().toLowerCase()}/${c.req.param(\"boardId\")}`)";
        let file = super::super::parse::parse_source("a.ts", src).unwrap();
        let mut names = Vec::new();
        super::super::syntax::walk(file.tree.root_node(), |n| {
            if n.kind() == "template_substitution"
                && let Some(e) = n.named_child(0)
            {
                names.push(placeholder(e, src));
            }
        });
        assert_eq!(names, vec!["randomUUID", "userId", "n", "name", "boardId"]);
    }

    #[test]
    fn sql_built_by_concatenation() {
        let src = "const T = \"users\";\nq(\"SELECT id FROM \" + T + \" WHERE org_id = \" + orgId + \" LIMIT 5\");\n";
        let files = vec![super::super::parse::parse_source("a.ts", src).unwrap()];
        let index = CodeIndex::new(
            &files,
            super::super::index::Resolver::new(["a.ts".to_owned()], Vec::new()),
        );
        let mut got = None;
        super::super::syntax::walk(index.files[0].root, |n| {
            if n.kind() == "arguments"
                && let Some(a) = n.named_child(0)
            {
                got = sql_literal(&index, 0, a);
            }
        });
        assert_eq!(
            got.as_deref(),
            Some("SELECT id FROM users WHERE org_id = ? LIMIT 5")
        );
    }
}
