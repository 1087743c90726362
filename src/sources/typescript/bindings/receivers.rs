//! Receivers: where a value comes from — a local, a parameter and the
//! arguments its callers pass, a class field, a destructuring, what a
//! function returns.

use super::*;
use crate::sources::typescript::parse::NodeKind;

/// The blocks (`{ … }`, the program, `case`s) around `at`, innermost
/// first; a bounded walk up.
fn blocks_above(at: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    std::iter::successors(at.parent(), |n| n.parent())
        .take(10_000)
        .filter(is_block)
}

/// A block locals are declared in: `{ … }`, the program, a `case`.
fn is_block(n: &Node<'_>) -> bool {
    matches!(n.kind_name(), "statement_block" | "program" | "switch_case")
}

/// The value a local `const name = …` in an enclosing block has.
pub(crate) fn local_value<'t>(at: Node<'t>, name: &str, src: &str) -> Option<Node<'t>> {
    declared_before(at, blocks_above(at), |n| text(n, src) == name)
}

/// [`local_value`] for a node of the tree under `root`, whose blocks are
/// found in one descent from the root: tree-sitter finds each `parent()`
/// by descending from the root again.
pub(crate) fn local_value_under<'t>(
    root: Node<'t>,
    at: Node<'t>,
    name: &str,
    src: &str,
) -> Option<Node<'t>> {
    let mut path = Vec::new();
    let mut cur = root;
    for _ in 0..10_000 {
        if cur == at {
            break;
        }
        path.push(cur);
        match cur.child_with_descendant(at) {
            Some(c) => cur = c,
            None => return local_value(at, name, src),
        }
    }
    let blocks = path.into_iter().rev().filter(is_block);
    declared_before(at, blocks, |n| text(n, src) == name)
}

/// What the variable `name` at `at` takes each element of: `for (const
/// name of items)`, or `items.map((name) => …)` (`forEach`, `filter`,
/// `find`, …) → `items`. The nearest function or loop declaring `name`
/// decides.
pub(crate) fn iterated<'t>(at: Node<'t>, name: &str, src: &str) -> Option<Node<'t>> {
    for n in std::iter::successors(at.parent(), |n| n.parent()).take(256) {
        if n.kind_name() == "for_in_statement"
            && n.child_by_field_name("left")
                .is_some_and(|l| text(l, src) == name)
        {
            let of = n
                .child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "of");
            return of.then(|| n.child_by_field_name("right")).flatten();
        }
        if !super::super::syntax::is_function(n.kind_name()) {
            continue;
        }
        let params: Vec<Node<'t>> = match n.child_by_field_name("parameters") {
            Some(list) => children(list)
                .into_iter()
                .filter(|p| p.kind_name() != "comment")
                .collect(),
            None => n.child_by_field_name("parameter").into_iter().collect(),
        };
        let named =
            |p: &Node<'t>| text(p.child_by_field_name("pattern").unwrap_or(*p), src) == name;
        match params.iter().position(named) {
            None => continue,
            Some(0) => {}
            Some(_) => return None,
        }
        let call = n.parent().and_then(|a| a.parent())?;
        let f = call.child_by_field_name("function")?;
        return (call.kind_name() == "call_expression" && f.kind_name() == "member_expression")
            .then(|| f.child_by_field_name("object"))
            .flatten();
    }
    None
}

/// The strings `x.field` (or `x`) can be when `x` takes each element of a
/// constant array: `env[route.binding]` in `ROUTES.find((route) => …)`,
/// `for (const route of ROUTES)`, or after `const route = ROUTES.find(…)`,
/// where `const ROUTES = [{ binding: "A" }, { binding: "B" }]`. `None`
/// unless every element folds.
pub(crate) fn element_strings(
    index: &CodeIndex<'_>,
    fi: usize,
    node: Node<'_>,
) -> Option<Vec<String>> {
    let src = index.files.get(fi)?.src;
    let node = unwrap_expr(node);
    let (var, field) = match node.kind_name() {
        "identifier" => (node, None),
        "member_expression" => (
            unwrap_expr(node.child_by_field_name("object")?),
            Some(text(node.child_by_field_name("property")?, src)),
        ),
        _ => return None,
    };
    if var.kind_name() != "identifier" {
        return None;
    }
    let name = text(var, src);
    let items = iterated(var, name, src).or_else(|| {
        // `const route = ROUTES.find(…)`: one of the elements.
        let call = unwrap_expr(local_value(var, name, src)?);
        let f = call.child_by_field_name("function")?;
        let picks = f.kind_name() == "member_expression"
            && matches!(
                f.child_by_field_name("property").map(|p| text(p, src)),
                Some("find" | "findLast")
            );
        picks.then(|| f.child_by_field_name("object")).flatten()
    })?;
    let items = unwrap_expr(items);
    if items.kind_name() != "identifier" {
        return None;
    }
    let r = index.resolve(fi, text(items, src))?;
    if r.decl.kind != DeclKind::Variable {
        return None;
    }
    let array = unwrap_expr(r.decl.value?);
    let rsrc = index.files.get(r.file)?.src;
    if array.kind_name() != "array" {
        return None;
    }
    let mut out = Vec::new();
    for element in children(array)
        .into_iter()
        .filter(|e| e.kind_name() != "comment")
    {
        let element = unwrap_expr(element);
        let value = match field {
            None => element,
            Some(field) if element.kind_name() == "object" => {
                super::super::syntax::property(element, field, rsrc)?
            }
            Some(_) => return None,
        };
        match fold(index, r.file, value)? {
            Value::Str(s) => out.push(s),
            Value::Num(_) => return None,
        }
    }
    out.sort();
    out.dedup();
    (!out.is_empty()).then_some(out)
}

/// The value a local destructured by name comes from: `const { keys } =
/// await KV.list(…)` → `await KV.list(…)`.
pub(crate) fn destructured_from<'t>(at: Node<'t>, name: &str, src: &str) -> Option<Node<'t>> {
    declared_before(at, blocks_above(at), |pattern| {
        pattern.kind_name() == "object_pattern"
            && children(pattern).into_iter().any(|p| {
                p.kind_name() == "shorthand_property_identifier_pattern" && text(p, src) == name
            })
    })
}

/// The value of the first declaration before `at`, in a block around it,
/// whose name (an identifier or a pattern) `declares`.
fn declared_before<'t>(
    at: Node<'t>,
    blocks: impl Iterator<Item = Node<'t>>,
    declares: impl Fn(Node<'t>) -> bool,
) -> Option<Node<'t>> {
    // Cursors, not child lists: a module's block holds every top-level
    // statement, and this runs for most receivers.
    let pos = at.start_byte();
    for block in blocks {
        let mut stmts = block.walk();
        if !stmts.goto_first_child() {
            continue;
        }
        loop {
            let stmt = stmts.node();
            if stmt.start_byte() >= pos {
                break;
            }
            if matches!(
                stmt.kind_name(),
                "lexical_declaration" | "variable_declaration"
            ) {
                let mut c = stmt.walk();
                for d in stmt.named_children(&mut c) {
                    if d.kind_name() == "variable_declarator"
                        && d.child_by_field_name("name").is_some_and(&declares)
                    {
                        return d.child_by_field_name("value");
                    }
                }
            }
            if !stmts.goto_next_sibling() {
                break;
            }
        }
    }
    None
}

/// Parameter `name` of a function around `at`: its declared type and the
/// function it belongs to, so arguments at its call sites can be followed.
pub(crate) struct Param {
    /// The declared type, `None` when untyped.
    pub(crate) ty: Option<String>,
    /// Position among the parameters.
    pub(crate) index: usize,
    /// The name callers use: the function or method name, or the class
    /// name for a constructor (called as `new Class(…)`).
    pub(crate) callee: Option<String>,
    /// Whether `callee` is a class constructed with `new`.
    pub(crate) constructed: bool,
    /// The function's node id, for memoising what its callers pass.
    pub(crate) func: usize,
}

pub(crate) fn param_of(at: Node<'_>, name: &str, src: &str) -> Option<Param> {
    let mut cur = at.parent();
    for _ in 0..10_000 {
        let n = cur?;
        if let Some(params) = n.child_by_field_name("parameters") {
            let list: Vec<Node<'_>> = children(params)
                .into_iter()
                .filter(|p| p.kind_name() != "comment")
                .collect();
            for (index, p) in list.iter().enumerate() {
                let pat = p
                    .child_by_field_name("pattern")
                    .or((p.kind_name() == "identifier").then_some(*p))
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
pub(crate) fn function_name(func: Node<'_>, src: &str) -> (Option<String>, bool) {
    let named = |n: Node<'_>, field: &str| {
        n.child_by_field_name(field)
            .map(|x| text(x, src).to_owned())
    };
    match func.kind_name() {
        "function_declaration" | "generator_function_declaration" => (named(func, "name"), false),
        "method_definition" => match named(func, "name").as_deref() {
            Some("constructor") => {
                let class = std::iter::successors(func.parent(), |n| n.parent())
                    .take(4)
                    .find(|n| {
                        matches!(
                            n.kind_name(),
                            "class_declaration" | "class" | "abstract_class_declaration"
                        )
                    });
                (class.and_then(|c| named(c, "name")), true)
            }
            other => (other.map(str::to_owned), false),
        },
        "arrow_function" | "function_expression" | "function" => match func.parent() {
            Some(p) if p.kind_name() == "variable_declarator" => (named(p, "name"), false),
            Some(p) if p.kind_name() == "pair" => (named(p, "key"), false),
            _ => (None, false),
        },
        _ => (None, false),
    }
}

/// What a method call's receiver is known to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Holds {
    /// An instance the code builds itself: `new Service(…)`, a local or a
    /// `this.field` set to one, or `this` in a class.
    Built(String),
    /// A value declared with a type (`svc: Service`, `private svc:
    /// Service`): a class only when the checkout declares one by that name.
    Declared(String),
}

/// The class `recv` holds, as far as the code around it proves: `new
/// X(…)`, a local or `this.field` built by one, `this` inside a class, or
/// a parameter or field declared with a plain type name.
pub(crate) fn receiver_class(recv: Node<'_>, src: &str) -> Option<Holds> {
    let recv = unwrap_expr(recv);
    let built = |v: Node<'_>| {
        let v = unwrap_expr(v);
        (v.kind_name() == "new_expression")
            .then(|| v.child_by_field_name("constructor"))
            .flatten()
            .and_then(|c| text(c, src).rsplit('.').next())
            .map(|c| Holds::Built(c.to_owned()))
    };
    // `Service`, not `Service<T>`, `A | B` or `{ … }`.
    let plain = |t: &str| {
        let t = t.trim();
        (!t.is_empty()
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$'))
        .then(|| Holds::Declared(t.to_owned()))
    };
    match recv.kind_name() {
        "new_expression" => built(recv),
        "this" => {
            let class = enclosing_class(recv)?.child_by_field_name("name")?;
            Some(Holds::Built(text(class, src).to_owned()))
        }
        "identifier" => {
            let name = text(recv, src);
            match local_value(recv, name, src) {
                Some(v) => built(v),
                None => plain(param_of(recv, name, src)?.ty.as_deref()?),
            }
        }
        "member_expression" => {
            let obj = recv.child_by_field_name("object")?;
            if obj.kind_name() != "this" {
                return None;
            }
            let field = text(recv.child_by_field_name("property")?, src).trim_start_matches('#');
            if let Some(v) = class_field_value(recv, field, src) {
                if let Some(b) = built(v) {
                    return Some(b);
                }
                // A parameter property: `constructor(private svc: Service)`.
                let ty = v.parent()?.child_by_field_name("type")?;
                return plain(text(ty, src).trim_start_matches(':'));
            }
            let class = enclosing_class(recv)?.child_by_field_name("body")?;
            let declared = children(class).into_iter().find(|m| {
                m.kind_name() == "public_field_definition"
                    && m.child_by_field_name("name")
                        .is_some_and(|n| text(n, src).trim_start_matches('#') == field)
            })?;
            plain(text(declared.child_by_field_name("type")?, src).trim_start_matches(':'))
        }
        _ => None,
    }
}

/// The class declaration `at` is inside.
pub(crate) fn enclosing_class(at: Node<'_>) -> Option<Node<'_>> {
    std::iter::successors(at.parent(), |n| n.parent())
        .take(10_000)
        .find(|n| {
            matches!(
                n.kind_name(),
                "class_declaration" | "class" | "abstract_class_declaration"
            )
        })
}

/// What `this.<field>` holds in the class around `at`: a field
/// initializer (`db = env.DB`) or an assignment in the class
/// (`this.db = env.DB`).
/// A field the class does not set is looked for in the classes it extends
/// that the same file declares (`this.db` set by the base's constructor).
pub(crate) fn class_field_value<'t>(at: Node<'t>, field: &str, src: &str) -> Option<Node<'t>> {
    let mut class = enclosing_class(at)?;
    for _ in 0..4 {
        if let Some(v) = field_value_in(class, field, src) {
            return Some(v);
        }
        let base = super::super::syntax::extended_name(super::super::syntax::heritage(class, src))?;
        class = file_class(class, base, src)?;
    }
    None
}

/// The method `this.<name>()` calls from `at` (`this.getKey(…)` → the
/// `getKey` method definition): declared in the enclosing class or a base
/// class of the same file.
pub(crate) fn class_method<'t>(at: Node<'t>, name: &str, src: &str) -> Option<Node<'t>> {
    let mut class = enclosing_class(at)?;
    for _ in 0..4 {
        let body = class.child_by_field_name("body")?;
        if let Some(m) = children(body).into_iter().find(|m| {
            m.kind_name() == "method_definition"
                && m.child_by_field_name("name")
                    .is_some_and(|n| text(n, src) == name)
        }) {
            return Some(m);
        }
        let base = super::super::syntax::extended_name(super::super::syntax::heritage(class, src))?;
        class = file_class(class, base, src)?;
    }
    None
}

/// The class named `name` declared at the top level of the file `at` is in.
fn file_class<'t>(at: Node<'t>, name: &str, src: &str) -> Option<Node<'t>> {
    let root = std::iter::successors(Some(at), |n| n.parent())
        .take(10_000)
        .last()?;
    children(root).into_iter().find_map(|stmt| {
        let decl = if stmt.kind_name() == "export_statement" {
            stmt.child_by_field_name("declaration")?
        } else {
            stmt
        };
        (matches!(
            decl.kind_name(),
            "class_declaration" | "abstract_class_declaration"
        ) && decl
            .child_by_field_name("name")
            .is_some_and(|n| text(n, src) == name))
        .then_some(decl)
    })
}

/// Whether `text` may assign `target` (`this.db = …`): `target` followed
/// by `=` (not `==` or `=>`) after blanks, or by a comment that might hide
/// one. A byte check before a walk, so it errs on the side of yes.
fn assigns(text: &str, target: &str) -> bool {
    text.match_indices(target).any(|(i, _)| {
        let mut rest = text[i + target.len()..].trim_start().bytes();
        match rest.next() {
            Some(b'=') => !matches!(rest.next(), Some(b'=' | b'>')),
            Some(b'/') => true,
            _ => false,
        }
    })
}

/// What `this.<field>` holds in `class` itself.
fn field_value_in<'t>(class: Node<'t>, field: &str, src: &str) -> Option<Node<'t>> {
    let body = class.child_by_field_name("body")?;
    for m in children(body) {
        if m.kind_name() == "public_field_definition"
            && m.child_by_field_name("name")
                .is_some_and(|n| text(n, src) == field)
            && let Some(v) = m.child_by_field_name("value")
        {
            return Some(v);
        }
    }
    // A parameter property: `constructor(private kv: KVNamespace)`.
    for m in children(body) {
        if m.kind_name() == "method_definition"
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
    // The walk below matches `this.field = …` by its text: a body that
    // never assigns `this.field` has none to find.
    if !assigns(text(body, src), &target) {
        return None;
    }
    let mut found = None;
    super::super::syntax::walk(body, |n| {
        if found.is_none()
            && n.kind_name() == "assignment_expression"
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
pub(crate) fn destructured(at: Node<'_>, name: &str, src: &str) -> Option<String> {
    for block in blocks_above(at) {
        for stmt in children(block) {
            for d in children(stmt)
                .into_iter()
                .filter(|d| d.kind_name() == "variable_declarator")
            {
                let (Some(pat), Some(val)) = (
                    d.child_by_field_name("name"),
                    d.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if pat.kind_name() != "object_pattern"
                    || !is_worker_env(text(unwrap_expr(val), src))
                {
                    continue;
                }
                for p in children(pat) {
                    match p.kind_name() {
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
/// `return`), for a helper declared at the top level of a file — also one
/// wrapped in a memoizer (`const getDb = cache(async () => …)`, `once(…)`):
/// a call whose one argument is a function returns what that function does.
pub(crate) fn returns<'t>(decl_node: Node<'t>, value: Option<Node<'t>>) -> Vec<Node<'t>> {
    let is_function = |n: Node<'_>| {
        matches!(
            n.kind_name(),
            "arrow_function" | "function_expression" | "function"
        )
    };
    let func = match value.map(unwrap_expr) {
        Some(v) if is_function(v) => v,
        Some(v) if v.kind_name() == "call_expression" => {
            let mut args = v
                .child_by_field_name("arguments")
                .into_iter()
                .flat_map(|a| super::super::syntax::children(a))
                .filter(|a| a.kind_name() != "comment");
            match (args.next().map(unwrap_expr), args.next()) {
                (Some(f), None) if is_function(f) => f,
                _ => return Vec::new(),
            }
        }
        Some(_) => return Vec::new(),
        None => decl_node,
    };
    let Some(body) = func.child_by_field_name("body") else {
        return Vec::new();
    };
    if body.kind_name() != "statement_block" {
        return vec![body];
    }
    let mut out = Vec::new();
    super::super::syntax::walk(body, |n| {
        if n.kind_name() == "return_statement"
            && let Some(e) = n.named_child(0)
            && out.len() < 32
        {
            out.push(e);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::assigns;

    #[test]
    fn an_assignment_is_told_from_a_read() {
        assert!(assigns("this.db = env.DB;", "this.db"));
        assert!(assigns("if (x) {\n  this.db\n    = env.DB }", "this.db"));
        assert!(assigns("this.db /* set */ = env.DB", "this.db"));
        assert!(!assigns("this.db.prepare(q); this.dbx = 1", "this.db"));
        assert!(!assigns("if (this.db == null) return", "this.db"));
        assert!(!assigns("this.db === undefined", "this.db"));
        assert!(!assigns("", "this.db"));
    }
}
