//! Queue messages: the types `Queue<T>` / `MessageBatch<T>` name, the
//! fields of the literals sent, and how `queue()` handlers treat failures.

use super::*;
use crate::sources::typescript::parse::NodeKind;

/// `queue(batch, env)` handlers (methods or `queue:` properties, also a
/// `queue` / `queue: handleQueue` property naming a function declared
/// elsewhere) and what they do when a message fails.
pub(crate) fn queue_handlers(index: &CodeIndex<'_>) -> Vec<crate::model::QueueHandler> {
    let mut found: Vec<(usize, Node<'_>)> = Vec::new();
    for (fi, f) in index.files.iter().enumerate() {
        if !f.src.contains("queue") {
            continue;
        }
        super::super::syntax::walk(f.root, |n| {
            let named_queue = |x: Node<'_>| text(x, f.src) == "queue";
            match n.kind_name() {
                "method_definition" if n.child_by_field_name("name").is_some_and(named_queue) => {
                    found.push((fi, n));
                }
                "pair" if n.child_by_field_name("key").is_some_and(named_queue) => {
                    let Some(v) = n.child_by_field_name("value").map(unwrap_expr) else {
                        return;
                    };
                    match v.kind_name() {
                        "arrow_function" | "function_expression" | "function" => {
                            found.push((fi, n));
                        }
                        "identifier" => found.extend(declared_function(index, fi, text(v, f.src))),
                        _ => {}
                    }
                }
                "shorthand_property_identifier"
                    if named_queue(n) && n.parent().is_some_and(|p| p.kind_name() == "object") =>
                {
                    found.extend(declared_function(index, fi, "queue"));
                }
                _ => {}
            }
        });
    }
    found.sort_by_key(|(fi, n)| (*fi, n.start_byte()));
    found.dedup_by_key(|(fi, n)| (*fi, n.id()));
    let mut out = Vec::new();
    for (fi, n) in found {
        let f = &index.files[fi];
        {
            let body = text(n, f.src);
            let mut acks_on_failure = false;
            let mut settles = Vec::new();
            let mut requests = Vec::new();
            super::super::syntax::walk(n, |c| {
                if let Some(r) = outbound(c, f.path, f.src) {
                    requests.push(r);
                }
                if c.kind_name() == "catch_clause" {
                    let t = text(c, f.src);
                    if t.contains(".ack()") || t.contains(".ackAll()") {
                        acks_on_failure = true;
                    }
                }
                // An `ack()` in a `catch` is the On Failure cell, not a step.
                if let Some(s) = settle(index, fi, c)
                    && !in_catch(c)
                {
                    settles.push(s);
                }
            });
            out.push(crate::model::QueueHandler {
                retries: body.contains(".retry(") || body.contains(".retryAll("),
                acks_on_failure,
                settles,
                requests,
                location: location(f.path, n),
            });
        }
    }
    out
}

/// The function `name` (in file `fi`, across imports) is declared as:
/// `function queue(…)`, `const queue = async (…) => …`.
fn declared_function<'a>(
    index: &CodeIndex<'a>,
    fi: usize,
    name: &str,
) -> Option<(usize, Node<'a>)> {
    let r = index.resolve(fi, name)?;
    let node = match r.decl.value.map(unwrap_expr) {
        Some(v)
            if matches!(
                v.kind_name(),
                "arrow_function" | "function_expression" | "function"
            ) =>
        {
            v
        }
        Some(_) => return None,
        None if r.decl.node.kind_name() == "function_declaration" => r.decl.node,
        None => return None,
    };
    Some((r.file, node))
}

/// `fetch(url, { method: "POST", … })`: the global `fetch`, not a stub's
/// or a service binding's.
fn outbound(call: Node<'_>, path: &str, src: &str) -> Option<crate::model::OutboundRequest> {
    if call.kind_name() != "call_expression" {
        return None;
    }
    let f = call.child_by_field_name("function").map(unwrap_expr)?;
    if f.kind_name() != "identifier" || text(f, src) != "fetch" {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    let url = args.named_child(0).map(unwrap_expr)?;
    let target = string_value(url, src).unwrap_or_else(|| text(url, src).to_owned());
    let method = option_value(args.named_child(1), "method", src)
        .and_then(|m| string_value(m, src))
        .map_or_else(|| "GET".to_owned(), |m| m.to_ascii_uppercase());
    // A long expression is not a name a reader can use.
    (target.len() <= 80).then(|| crate::model::OutboundRequest {
        method,
        target,
        response_read: response_read(call, src),
        location: location(path, call),
    })
}

/// Whether the response of `call` is looked at: `false` when the awaited
/// call is a statement of its own, or its local is never read again.
fn response_read(call: Node<'_>, src: &str) -> bool {
    let mut top = call;
    while let Some(p) = top.parent().filter(|p| {
        matches!(
            p.kind_name(),
            "await_expression" | "parenthesized_expression"
        )
    }) {
        top = p;
    }
    let Some(parent) = top.parent() else {
        return true;
    };
    match parent.kind_name() {
        "expression_statement" => false,
        "variable_declarator" => {
            let Some(name) = parent
                .child_by_field_name("name")
                .filter(|n| n.kind_name() == "identifier")
                .map(|n| text(n, src))
            else {
                return true;
            };
            // Read again anywhere in the enclosing block.
            let scope = parent.parent().and_then(|d| d.parent()).unwrap_or(parent);
            let mut read = false;
            super::super::syntax::walk(scope, |n| {
                read |= n.kind_name() == "identifier"
                    && n.start_byte() > parent.end_byte()
                    && text(n, src) == name;
            });
            read
        }
        _ => true,
    }
}

/// Whether `n` is inside a `catch` block.
fn in_catch(n: Node<'_>) -> bool {
    let mut cur = n.parent();
    for _ in 0..256 {
        match cur {
            Some(p) if p.kind_name() == "catch_clause" => return true,
            Some(p) if matches!(p.kind_name(), "method_definition" | "pair") => return false,
            Some(p) => cur = p.parent(),
            None => return false,
        }
    }
    false
}

/// The `delaySeconds` of an options object (`retry({ delaySeconds: 30 })`,
/// `send(body, { delaySeconds })`), when it folds to whole seconds.
pub(crate) fn delay_seconds(
    index: &CodeIndex<'_>,
    fi: usize,
    options: Option<Node<'_>>,
) -> Option<u64> {
    let src = index.files.get(fi)?.src;
    let v = option_value(options, "delaySeconds", src)?;
    match super::super::fold::fold(index, fi, v)? {
        super::super::fold::Value::Num(n) if n >= 0.0 && n.fract() == 0.0 => Some(n as u64),
        _ => None,
    }
}

/// `msg.ack()`, `batch.retryAll()`, `msg.retry({ delaySeconds: 30 })`.
fn settle(index: &CodeIndex<'_>, fi: usize, call: Node<'_>) -> Option<crate::model::Settle> {
    let src = index.files.get(fi)?.src;
    if call.kind_name() != "call_expression" {
        return None;
    }
    let f = call.child_by_field_name("function")?;
    if f.kind_name() != "member_expression" {
        return None;
    }
    let kind = crate::model::SettleKind::parse(text(f.child_by_field_name("property")?, src))?;
    let options = call
        .child_by_field_name("arguments")
        .and_then(|a| a.named_child(0));
    let delay_secs = delay_seconds(index, fi, options);
    let at = location(index.files[fi].path, call);
    let (queues, except_queues) = super::super::callgraph::queue_guard(index, &at);
    Some(crate::model::Settle {
        kind,
        delay_secs,
        queues,
        except_queues,
        location: at,
    })
}

/// How many levels of named or literal object types a message schema
/// opens inside its fields (`cardsV2[].cardId`).
const NESTED_LEVELS: u32 = 2;

/// At most this many fields per message schema, nested ones included.
const MAX_FIELDS: usize = 40;

/// Fields of a message type: an object type literal, or an interface /
/// type alias it names (resolved through the index). A field whose type is
/// an object type, or an array of one, is followed by its own fields, up
/// to `nest` levels, named by path (`cardsV2[].cardId`).
pub(crate) fn type_fields(
    index: &CodeIndex<'_>,
    fi: usize,
    ty: Node<'_>,
    depth: u32,
    nest: u32,
) -> Vec<(String, String)> {
    let Some(file) = index.files.get(fi) else {
        return Vec::new();
    };
    if depth > 8 {
        return Vec::new();
    }
    let mut out = Vec::new();
    match ty.kind_name() {
        "object_type" => {
            for m in children(ty)
                .into_iter()
                .filter(|m| m.kind_name() == "property_signature")
            {
                let Some(name) = m.child_by_field_name("name") else {
                    continue;
                };
                field(index, fi, m, text(name, file.src), depth, nest, &mut out);
            }
        }
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
                DeclKind::Interface => {
                    for m in rfile.members(&r.decl).into_iter().filter(|m| !m.is_method) {
                        field(index, r.file, m.node, &m.name, depth, nest, &mut out);
                    }
                }
                DeclKind::TypeAlias => {
                    if let Some(v) = r.decl.node.child_by_field_name("value") {
                        out = type_fields(index, r.file, v, depth + 1, nest);
                    }
                }
                _ => {}
            }
        }
        "type_annotation" | "parenthesized_type" => {
            if let Some(t) = ty.named_child(0) {
                out = type_fields(index, fi, t, depth + 1, nest);
            }
        }
        _ => {}
    }
    out.truncate(MAX_FIELDS);
    out
}

/// One field of a message type (a `property_signature` in file `fi`):
/// its name and type, then the fields its object type holds.
fn field(
    index: &CodeIndex<'_>,
    fi: usize,
    m: Node<'_>,
    name: &str,
    depth: u32,
    nest: u32,
    out: &mut Vec<(String, String)>,
) {
    let src = index.files[fi].src;
    let ty = m.child_by_field_name("type");
    let t = ty
        .map(|t| text(t, src).trim_start_matches(':').trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "unknown".into());
    let optional = text(m, src)
        .split(':')
        .next()
        .is_some_and(|h| h.contains('?'));
    out.push((
        name.to_owned(),
        if optional {
            format!("{t} (optional)")
        } else {
            t
        },
    ));
    if nest == 0 {
        return;
    }
    // `T`, `T[]`, `{ … }`, `{ … }[]`: an object type to open.
    let Some(mut inner) = ty.and_then(|t| t.named_child(0)) else {
        return;
    };
    let mut path = name.to_owned();
    if inner.kind_name() == "array_type"
        && let Some(e) = inner.named_child(0)
    {
        inner = e;
        path.push_str("[]");
    }
    if !matches!(inner.kind_name(), "object_type" | "type_identifier") {
        return;
    }
    for (sub, t) in type_fields(index, fi, inner, depth + 1, nest - 1) {
        out.push((format!("{path}.{sub}"), t));
    }
}

/// Queue message types: `X: Queue<T>` members of interfaces (by binding)
/// and `MessageBatch<T>` annotations (by consumer file).
pub(crate) fn message_types(index: &CodeIndex<'_>) -> Vec<crate::model::MessageType> {
    let mut out = Vec::new();
    for (fi, f) in index.files.iter().enumerate() {
        if !f.src.contains("MessageBatch<") && !f.src.contains("Queue<") {
            continue;
        }
        super::super::syntax::walk(f.root, |n| {
            if n.kind_name() != "generic_type" {
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
                        .filter(|p| p.kind_name() == "type_annotation")
                        .and_then(|p| p.parent())
                        .filter(|p| p.kind_name() == "property_signature");
                    match member.and_then(|m| m.child_by_field_name("name")) {
                        Some(b) => (Some(text(b, f.src).to_owned()), None),
                        None => return,
                    }
                }
                _ => return,
            };
            let fields = type_fields(index, fi, arg, 0, NESTED_LEVELS);
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

/// Fields of a message object literal with types from their values.
pub(crate) fn message_fields(
    index: &CodeIndex<'_>,
    fi: usize,
    obj: Node<'_>,
) -> Vec<(String, String)> {
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in children(obj) {
        let (name, value) = match p.kind_name() {
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
            Some(v) => match v.kind_name() {
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
