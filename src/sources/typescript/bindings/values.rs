//! KV values and their options: what a value written or read is, and the
//! TTL (`expirationTtl`, `expiration`, `cacheTtl`) a call sets.

use super::*;
use crate::sources::typescript::parse::NodeKind;

/// The type of a KV value written: `JSON.stringify(…)` → JSON, `String(n + 1)`
/// → Counter, a number → Number, a string → String, buffers → Binary;
/// `None` when the code does not say.
pub(crate) fn value_type(node: Node<'_>, src: &str) -> Option<ValueKind> {
    let mut node = unwrap_expr(node);
    if node.kind_name() == "await_expression"
        && let Some(inner) = node.named_child(0)
    {
        node = unwrap_expr(inner);
    }
    let t = text(node, src);
    // `await request.text()`, `await res.arrayBuffer()`, `request.body`.
    if node.kind_name() == "call_expression" && t.ends_with(".text()") {
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
    Some(match node.kind_name() {
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
pub(crate) fn option<'t>(opts: Option<Node<'t>>, opt: Opt, src: &str) -> Option<Node<'t>> {
    let key = opt.name(Lang::TypeScript)?;
    let opts = opts
        .map(unwrap_expr)
        .filter(|o| o.kind_name() == "object")?;
    children(opts)
        .into_iter()
        .find_map(|p| match p.kind_name() {
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
pub(crate) fn read_type(node: Node<'_>, src: &str) -> Option<ValueKind> {
    let node = unwrap_expr(node);
    let ty = match node.kind_name() {
        "object" => children(node).into_iter().find_map(|p| {
            let k = p.child_by_field_name("key")?;
            (Some(text(k, src)) == Opt::Type.name(Lang::TypeScript))
                .then(|| p.child_by_field_name("value"))?
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
pub(crate) fn seconds(index: &CodeIndex<'_>, fi: usize, v: Node<'_>) -> Expiry {
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
/// (absolute), or neither — followed through an options object held in a
/// local (and the TTL properties assigned to it before the call), spreads
/// (a later property wins) and shorthand properties. What cannot be
/// followed (a parameter, a call's result) is `Unknown`, never `Never`.
pub(crate) fn ttl(index: &CodeIndex<'_>, fi: usize, opts: Option<Node<'_>>) -> Expiry {
    ttl_at(index, fi, opts, 0)
}

fn ttl_at(index: &CodeIndex<'_>, fi: usize, opts: Option<Node<'_>>, depth: u32) -> Expiry {
    let Some(opts) = opts.map(unwrap_expr) else {
        return Expiry::Never;
    };
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return Expiry::Never;
    };
    let unknown = || Expiry::Unknown {
        expr: text(opts, src).to_owned(),
    };
    if depth > 4 {
        return unknown();
    }
    match opts.kind_name() {
        "object" => {
            let mut found = Expiry::Never;
            for p in children(opts) {
                let key = match p.kind_name() {
                    "pair" => p.child_by_field_name("key").map(|k| text(k, src)),
                    "shorthand_property_identifier" => Some(text(p, src)),
                    "spread_element" => {
                        let inner = ttl_at(index, fi, p.named_child(0), depth + 1);
                        if inner != Expiry::Never {
                            found = inner;
                        }
                        continue;
                    }
                    _ => None,
                };
                match key.and_then(|k| Opt::parse(Lang::TypeScript, k)) {
                    Some(Opt::ExpirationTtl) => {
                        found = seconds(index, fi, p.child_by_field_name("value").unwrap_or(p));
                    }
                    Some(Opt::Expiration) => found = Expiry::Absolute,
                    _ => {}
                }
            }
            found
        }
        "identifier" => {
            let name = text(opts, src);
            let Some(value) = local_value(opts, name, src) else {
                return unknown();
            };
            let declared = ttl_at(index, fi, Some(value), depth + 1);
            // `opts.expirationTtl = 60` between the declaration and the
            // call: that value, or `Unknown` when only a branch sets it.
            match assigned_ttl(opts, name, src) {
                Some((v, always)) => {
                    let set = match v {
                        Some(v) => seconds(index, fi, v),
                        None => Expiry::Absolute,
                    };
                    if always || declared == set {
                        set
                    } else {
                        Expiry::WhenSet { ttl: Box::new(set) }
                    }
                }
                None => declared,
            }
        }
        // `expiresAt !== undefined ? { expiration: expiresAt } : {}`: what
        // both branches give, or what one gives when the other sets none.
        "ternary_expression" => {
            let branch = |f: &str| ttl_at(index, fi, opts.child_by_field_name(f), depth + 1);
            match (branch("consequence"), branch("alternative")) {
                (a, b) if a == b => a,
                (Expiry::Never, set) | (set, Expiry::Never)
                    if !matches!(set, Expiry::Unknown { .. } | Expiry::WhenSet { .. }) =>
                {
                    Expiry::WhenSet { ttl: Box::new(set) }
                }
                _ => unknown(),
            }
        }
        _ => unknown(),
    }
}

/// The last `name.expirationTtl = v` (`Some(v)`) or `name.expiration = …`
/// (`None`) before `at` in the function around it, and whether it runs
/// every time (not under an `if`, a loop or a `switch`).
fn assigned_ttl<'t>(at: Node<'t>, name: &str, src: &str) -> Option<(Option<Node<'t>>, bool)> {
    // The function around it, else the module.
    let func = enclosing_function(at).or_else(|| {
        std::iter::successors(at.parent(), |n| n.parent())
            .take(10_000)
            .find(|n| n.kind_name() == "program")
    })?;
    let mut found: Option<(Option<Node<'t>>, bool)> = None;
    super::super::syntax::walk(func, |n| {
        if n.kind_name() != "assignment_expression" || n.start_byte() >= at.start_byte() {
            return;
        }
        let Some(left) = n.child_by_field_name("left") else {
            return;
        };
        let obj = left.child_by_field_name("object").map(|o| text(o, src));
        let prop = left.child_by_field_name("property").map(|p| text(p, src));
        if left.kind_name() != "member_expression" || obj != Some(name) {
            return;
        }
        let value = match prop.and_then(|p| Opt::parse(Lang::TypeScript, p)) {
            Some(Opt::ExpirationTtl) => n.child_by_field_name("right"),
            Some(Opt::Expiration) => None,
            _ => return,
        };
        let always = !std::iter::successors(n.parent(), |p| p.parent())
            .take_while(|p| p.id() != func.id())
            .any(|p| {
                matches!(
                    p.kind_name(),
                    "if_statement"
                        | "for_statement"
                        | "for_in_statement"
                        | "while_statement"
                        | "do_statement"
                        | "switch_statement"
                        | "ternary_expression"
                        | "try_statement"
                )
            });
        found = Some((value, always));
    });
    found
}

/// Whether the rows a D1 call (`env.DB.prepare(…)…all()`) returns leave
/// the function whole: held in a local (`const { results } = await …`,
/// also through a statement local: `const stmt = …prepare(…); const
/// { results } = await stmt.all()`) that is serialized (`JSON.stringify`,
/// `Response.json`, `c.json`), or serialized in place. Rows a helper
/// returns are not: its callers may use a few columns.
pub(crate) fn rows_sent_whole(index: &CodeIndex<'_>, fi: usize, call: Node<'_>, src: &str) -> bool {
    let top = outer_chain(call);
    let Some(parent) = top.parent() else {
        return false;
    };
    if serializes(parent, src) {
        return true;
    }
    if parent.kind_name() != "variable_declarator" {
        return false;
    }
    // Walked once per query: a function past 64 KiB is not followed.
    let Some(body) = enclosing_body(call).filter(|b| b.byte_range().len() <= 64 * 1024) else {
        return false;
    };
    let Some(name) = parent.child_by_field_name("name") else {
        return false;
    };
    let fetches = |t: &str| [".all(", ".first(", ".raw("].iter().any(|m| t.contains(m));
    let mut rows: Vec<String> = Vec::new();
    if fetches(text(top, src)) {
        rows.extend(bound_names(name, src));
    } else if name.kind_name() == "identifier" {
        // The statement in a local: the rows are what its fetch binds.
        let stmt = text(name, src);
        super::super::syntax::walk(body, |n| {
            if n.kind_name() == "variable_declarator"
                && let (Some(v), Some(pat)) = (
                    n.child_by_field_name("value"),
                    n.child_by_field_name("name"),
                )
                && [".all(", ".first(", ".raw("]
                    .iter()
                    .any(|m| text(v, src).contains(&format!("{stmt}{m}")))
            {
                rows.extend(bound_names(pat, src));
            }
        });
    }
    if rows.is_empty() {
        return false;
    }
    let mut sent = false;
    super::super::syntax::walk(body, |n| {
        let arg = (n.kind_name() == "call_expression" && serializer(n, src))
            .then(|| n.child_by_field_name("arguments")?.named_child(0))
            .flatten();
        if let Some(a) = arg.map(unwrap_expr) {
            let t = text(a, src);
            sent = sent
                || rows.iter().any(|r| r == t)
                || (a.kind_name() == "object"
                    && children(a).iter().any(|p| {
                        p.kind_name() == "shorthand_property_identifier"
                            && rows.iter().any(|r| r == text(*p, src))
                    }))
                || passed_through(index, fi, a, &rows, src);
        }
    });
    sent
}

/// Whether `call` (serialized by its caller) is a function declared in
/// this file that returns one of its arguments holding `rows` whole: the
/// parameter itself, its `.results`, or either as a property of the object
/// it returns (`buildResponse(session, resp)` returning `{ results:
/// res.results, … }`).
fn passed_through(
    index: &CodeIndex<'_>,
    fi: usize,
    call: Node<'_>,
    rows: &[String],
    src: &str,
) -> bool {
    if call.kind_name() != "call_expression" {
        return false;
    }
    let Some(r) = call
        .child_by_field_name("function")
        .filter(|f| f.kind_name() == "identifier")
        .and_then(|f| index.resolve(fi, text(f, src)))
        .filter(|r| r.file == fi && r.decl.kind == DeclKind::Function)
    else {
        return false;
    };
    let Some(at) = call_args(call)
        .iter()
        .position(|a| rows.iter().any(|r| r == text(unwrap_expr(*a), src)))
    else {
        return false;
    };
    let Some(param) = r
        .decl
        .node
        .child_by_field_name("parameters")
        .map(children)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.kind_name() != "comment")
        .nth(at)
        .and_then(|p| p.child_by_field_name("pattern").or(Some(p)))
        .filter(|p| p.kind_name() == "identifier")
    else {
        return false;
    };
    let param = text(param, src);
    let whole = |v: Node<'_>| {
        let t = text(unwrap_expr(v), src);
        t == param || t.strip_prefix(param) == Some(".results")
    };
    returns(r.decl.node, None)
        .into_iter()
        .map(unwrap_expr)
        .any(|v| {
            whole(v)
                || (v.kind_name() == "object"
                    && children(v).into_iter().any(|p| {
                        p.kind_name() == "pair" && p.child_by_field_name("value").is_some_and(whole)
                    }))
        })
}

/// Whether a failure of `call` is caught and dropped: it chains a
/// `.catch(…)` whose handler throws nothing, or sits in the body of a
/// `try` whose `catch` throws nothing (up to the function around it).
pub(crate) fn best_effort(call: Node<'_>, src: &str) -> bool {
    let rethrows = |handler: Node<'_>| {
        let mut throws = false;
        super::super::syntax::walk(handler, |n| throws |= n.kind_name() == "throw_statement");
        throws
    };
    // `bucket.delete(k).catch(() => {})`
    let mut n = call;
    for _ in 0..16 {
        let Some(p) = n.parent() else { break };
        match p.kind_name() {
            "member_expression"
                if p.child_by_field_name("property")
                    .is_some_and(|x| text(x, src) == "catch") =>
            {
                let handler = p
                    .parent()
                    .filter(|c| c.kind_name() == "call_expression")
                    .and_then(|c| c.child_by_field_name("arguments"));
                return handler.is_some_and(|h| !rethrows(h));
            }
            "member_expression"
            | "call_expression"
            | "await_expression"
            | "parenthesized_expression" => n = p,
            _ => break,
        }
    }
    // `try { await bucket.delete(k) } catch (e) { log(e) }`
    let func = enclosing_function(call).map(|f| f.id());
    let mut inside = call;
    for p in std::iter::successors(call.parent(), |p| p.parent()).take(10_000) {
        if Some(p.id()) == func {
            return false;
        }
        if p.kind_name() == "try_statement"
            && p.child_by_field_name("body")
                .is_some_and(|b| b.id() == inside.id())
        {
            return p
                .child_by_field_name("handler")
                .is_some_and(|h| !rethrows(h));
        }
        inside = p;
    }
    false
}

/// The outermost expression `node` is chained into: `env.DB.prepare(…)`
/// inside `await env.DB.prepare(…).bind(x).all()`.
fn outer_chain(node: Node<'_>) -> Node<'_> {
    let mut top = node;
    for _ in 0..64 {
        match top.parent() {
            Some(p)
                if matches!(
                    p.kind_name(),
                    "member_expression"
                        | "call_expression"
                        | "await_expression"
                        | "parenthesized_expression"
                        | "as_expression"
                        | "non_null_expression"
                        | "satisfies_expression"
                ) =>
            {
                top = p;
            }
            _ => break,
        }
    }
    top
}

/// `JSON.stringify(x)`, `Response.json(x)`, `c.json(x)`.
fn serializer(call: Node<'_>, src: &str) -> bool {
    call.child_by_field_name("function").is_some_and(|f| {
        let t = super::super::syntax::callee_text(f, src);
        t == "JSON.stringify" || t.ends_with(".json") || t == "json"
    })
}

/// `node` is the argument list of a serializer call.
fn serializes(node: Node<'_>, src: &str) -> bool {
    node.kind_name() == "arguments" && node.parent().is_some_and(|c| serializer(c, src))
}

/// The names a declarator's pattern binds: `rows`, `{ results }`,
/// `{ results: rows }`.
fn bound_names(pat: Node<'_>, src: &str) -> Vec<String> {
    match pat.kind_name() {
        "identifier" => vec![text(pat, src).to_owned()],
        "object_pattern" => children(pat)
            .into_iter()
            .filter_map(|p| match p.kind_name() {
                "shorthand_property_identifier_pattern" => Some(text(p, src).to_owned()),
                "pair_pattern" => p
                    .child_by_field_name("value")
                    .filter(|v| v.kind_name() == "identifier")
                    .map(|v| text(v, src).to_owned()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The body of the function `node` is in.
pub(crate) fn enclosing_body(node: Node<'_>) -> Option<Node<'_>> {
    enclosing_function(node).and_then(|f| f.child_by_field_name("body"))
}

/// The function `node` is in.
fn enclosing_function(node: Node<'_>) -> Option<Node<'_>> {
    std::iter::successors(node.parent(), |n| n.parent())
        .take(10_000)
        .find(|n| {
            matches!(
                n.kind_name(),
                "function_declaration"
                    | "function_expression"
                    | "function"
                    | "arrow_function"
                    | "method_definition"
            )
        })
}
