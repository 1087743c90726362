//! Durable Object classes in TypeScript → state and methods.
//!
//! A class is a Durable Object when it extends `DurableObject`, takes a
//! `DurableObjectState` in its constructor and answers the runtime
//! (`fetch`, `alarm`, a WebSocket handler), or is named by config. Its
//! state is its in-memory fields, the keys it puts in `storage`, and the
//! tables its `storage.sql.exec("CREATE TABLE …")` creates; its methods are
//! listed with their JSDoc and the code that calls them on a stub.

use super::bindings::{
    class_method, key_pattern, local_value, local_value_under, param_of, returns, sql_literal,
};
use super::callgraph::CallGraph;
use super::index::{CodeIndex, DeclKind, Member, StubOrigin};
use super::syntax::{
    call_args, children, doc_comment, extended_name, heritage, location, text, unwrap_expr, walk,
};
use crate::cloudflare::{self, Lang};
use crate::model::{
    BindingKind, Caller, CodeDurableObject, DoMethod, EntryPoint, Handler, Instance, Key, OpKind,
    ResourceOp, StateItem, StorageOp, Worker,
};
use crate::sources::typescript::parse::NodeKind;
use std::collections::{BTreeSet, HashMap};
use tree_sitter::Node;

/// Field names a Durable Object keeps the runtime's handles under, not
/// state of its own.
const RUNTIME_HANDLES: &[&str] = &["ctx", "env", "state", "storage", "sql"];

/// The TypeScript type of a field from its annotation or initializer.
fn field_type(m: &Member<'_>, src: &str) -> String {
    if !m.ty.is_empty() {
        return m.ty.clone();
    }
    m.node
        .child_by_field_name("value")
        .map_or_else(|| "unknown".into(), |v| value_type(v, src))
}

/// The name of the class method around `node`.
fn enclosing_method(node: Node<'_>, src: &str) -> Option<String> {
    std::iter::successors(node.parent(), |n| n.parent())
        .take(10_000)
        .find(|n| n.kind_name() == "method_definition")
        .and_then(|m| m.child_by_field_name("name"))
        .map(|n| text(n, src).to_owned())
}

/// A `get x()` / `set x(v)` accessor: read like a field, never handed on.
fn is_accessor(method: Node<'_>) -> bool {
    let mut cursor = method.walk();
    method
        .children(&mut cursor)
        .take_while(|c| c.kind_name() != "property_identifier")
        .any(|c| matches!(c.kind_name(), "get" | "set"))
}

/// `this.name` handed on as a value, not called (`this.exclusive(this.
/// create)`, `router.post("/", this.create)`), with the method it is in.
fn method_references(class: Node<'_>, src: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    super::syntax::walk(class, |n| {
        if n.kind_name() != "member_expression"
            || n.child_by_field_name("object")
                .is_none_or(|o| o.kind_name() != "this")
        {
            return;
        }
        // Handed on as a value: an argument (`router.post("/", this.create)`),
        // an object property (`{ onMessage: this.onMessage }`), an array
        // element — not a read of a getter or a field.
        let handed = n
            .parent()
            .is_some_and(|p| matches!(p.kind_name(), "arguments" | "pair" | "array"));
        if !handed {
            return;
        }
        if let (Some(prop), Some(from)) =
            (n.child_by_field_name("property"), enclosing_method(n, src))
        {
            let pair = (text(prop, src).to_owned(), from);
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    });
    out
}

/// Methods that change a collection in place.
const MUTATORS: &[&str] = &[
    "set", "add", "delete", "clear", "push", "pop", "shift", "unshift", "splice",
];

/// Fields a method other than the constructor assigns (`this.x = …`,
/// `this.x += …`, `this.x++`) or changes in place (`this.x.set(…)`), in
/// first-seen order.
fn mutated_fields(members: &[Member<'_>], src: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in members
        .iter()
        .filter(|m| m.is_method && m.name != "constructor")
    {
        walk(m.node, |n| {
            let target = match n.kind_name() {
                "assignment_expression" | "augmented_assignment_expression" => {
                    n.child_by_field_name("left")
                }
                "update_expression" => n.child_by_field_name("argument"),
                "call_expression" => n
                    .child_by_field_name("function")
                    .filter(|f| f.kind_name() == "member_expression")
                    .filter(|f| {
                        f.child_by_field_name("property")
                            .is_some_and(|p| MUTATORS.contains(&text(p, src)))
                    })
                    .and_then(|f| f.child_by_field_name("object")),
                _ => None,
            };
            let Some(field) = target.and_then(|t| text(t, src).strip_prefix("this.")) else {
                return;
            };
            let field = field.split(['.', '[']).next().unwrap_or(field);
            if !field.is_empty() && !out.iter().any(|f| f == field) {
                out.push(field.to_owned());
            }
        });
    }
    out
}

/// `new Map<string, WebSocket>()` → `Map<string, WebSocket>`.
fn new_type(v: Node<'_>, src: &str) -> String {
    let ctor = v
        .child_by_field_name("constructor")
        .map_or("", |c| text(c, src));
    let targs = v
        .child_by_field_name("type_arguments")
        .map_or("", |t| text(t, src));
    format!("{ctor}{targs}")
}

/// The type of a value put in storage: what the expression says, else the
/// type a local holding it was declared with (`const info: UploadInfo =
/// {}`), an interface or alias of the checkout opened into its fields.
fn stored_type(index: &CodeIndex<'_>, fi: usize, v: Node<'_>) -> String {
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return "unknown".into();
    };
    let ty = value_type(v, src);
    let v = unwrap_expr(v);
    if ty != "unknown" || v.kind_name() != "identifier" {
        return ty;
    }
    local_value(v, text(v, src), src)
        .and_then(|value| value.parent())
        .filter(|d| d.kind_name() == "variable_declarator")
        .and_then(|d| d.child_by_field_name("type"))
        .map_or(ty, |t| opened_type(index, fi, t))
}

/// The type a storage read is declared to return: `get<UploadInfo>(k)`,
/// or the annotation of the local it initializes (`const info: UploadInfo
/// | undefined = await storage.get(k)`).
fn read_type(index: &CodeIndex<'_>, fi: usize, call: Node<'_>) -> String {
    if let Some(t) = call
        .child_by_field_name("type_arguments")
        .and_then(|a| a.named_child(0))
    {
        return opened_type(index, fi, t);
    }
    let src = index.files.get(fi).map_or("", |f| f.src);
    let mut up = call.parent();
    // `(await storage.get("n")) as number`: the outermost cast that says
    // something (not `as any` / `as unknown`).
    let mut cast = None;
    while let Some(p) = up.filter(|p| {
        matches!(
            p.kind_name(),
            "await_expression" | "parenthesized_expression" | "as_expression"
        )
    }) {
        if p.kind_name() == "as_expression"
            && let Some(t) = children(p).last().copied()
            && !matches!(text(t, src).trim(), "any" | "unknown" | "const")
        {
            cast = Some(t);
        }
        up = p.parent();
    }
    up.filter(|d| d.kind_name() == "variable_declarator")
        .and_then(|d| d.child_by_field_name("type"))
        .or(cast)
        .map_or_else(|| "unknown".into(), |t| opened_type(index, fi, t))
}

/// A declared type as the state schema shows it: `undefined` / `null`
/// left out of a union, and an interface or alias of the checkout opened
/// into its fields (`{ uploadLength?: number; checksum?: string }`, at
/// most eight).
fn opened_type(index: &CodeIndex<'_>, fi: usize, t: Node<'_>) -> String {
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return "unknown".into();
    };
    let mut t = t;
    while matches!(t.kind_name(), "type_annotation" | "parenthesized_type") {
        match t.named_child(0) {
            Some(inner) => t = inner,
            None => break,
        }
    }
    if t.kind_name() == "union_type" {
        let kept: Vec<Node<'_>> = children(t)
            .into_iter()
            .filter(|m| !matches!(text(*m, src).trim(), "undefined" | "null"))
            .collect();
        match kept.as_slice() {
            [one] => return opened_type(index, fi, *one),
            _ => return text(t, src).trim().to_owned(),
        }
    }
    let fields = super::bindings::type_fields(index, fi, t, 0, 0);
    if fields.is_empty() || t.kind_name() == "object_type" && fields.len() > 8 {
        return text(t, src).trim().to_owned();
    }
    let mut parts: Vec<String> = fields
        .iter()
        .take(8)
        .map(|(name, ty)| {
            let (ty, optional) = match ty.strip_suffix(" (optional)") {
                Some(ty) => (ty, "?"),
                None => (ty.as_str(), ""),
            };
            format!("{name}{optional}: {}", one_line(ty))
        })
        .collect();
    if fields.len() > 8 {
        parts.push("…".into());
    }
    format!("{{ {} }}", parts.join("; "))
}

/// A type written over several lines on one: members a line break
/// separated get a `;` (`{ audio?: string; video?: string }`).
fn one_line(ty: &str) -> String {
    let lines: Vec<&str> = ty
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        let next = lines.get(i + 1);
        let open = line.ends_with(['{', '(', '<', '[', ';', ',', '|', '&', ':', '=']);
        let closing = next.is_some_and(|n| n.starts_with(['}', ')', '>', ']', '|', '&']));
        match next {
            Some(_) if !open && !closing => out.push_str("; "),
            Some(_) => out.push(' '),
            None => {}
        }
    }
    out
}

/// The type of a value (a field initializer, an assignment, a value put in
/// storage), when the expression says.
fn value_type(v: Node<'_>, src: &str) -> String {
    let v = unwrap_expr(v);
    let t = text(v, src);
    match v.kind_name() {
        "number" => "number".into(),
        "string" | "template_string" => "string".into(),
        "true" | "false" => "boolean".into(),
        "object" => "object".into(),
        "array" => "unknown[]".into(),
        "new_expression" => new_type(v, src),
        _ if t == "Date.now()" => "number".into(),
        _ if t.ends_with("toISOString()") => "string".into(),
        _ => "unknown".into(),
    }
}

/// The classes config names as Durable Objects.
pub fn extract(
    index: &CodeIndex<'_>,
    graph: &CallGraph,
    config_classes: &BTreeSet<String>,
    bindings_of: &HashMap<String, Vec<String>>,
    workers: &[Worker],
) -> (Vec<CodeDurableObject>, Vec<ResourceOp>) {
    let mut out: Vec<CodeDurableObject> = Vec::new();
    let mut ops = Vec::new();
    // The framework routers' calls, with the Worker each is in.
    let routers: Vec<RouterCall<'_>> = index
        .files
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| {
            f.calls.iter().enumerate().filter_map(move |(ci, c)| {
                let (_, prefix) = ROUTERS.iter().find(|(r, _)| c.callee == *r)?;
                Some((fi, ci, *prefix, Worker::owning(workers, f.path)))
            })
        })
        .collect();
    // class → the class it extends, when that is not the runtime's.
    let mut parents: Vec<(String, String)> = Vec::new();
    // Declaration files declare the runtime's own `DurableObject` class,
    // not the project's.
    for (fi, file) in index
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.path.ends_with(".d.ts"))
    {
        for (name, decl) in &file.decls {
            if decl.kind != DeclKind::Class {
                continue;
            }
            let heritage = heritage(decl.node, file.src);
            let members = file.members(decl);
            // An object written before the `DurableObject` base class:
            // handed the state by the runtime, and answering it (`fetch`,
            // `alarm`, a WebSocket handler). A helper class that is handed
            // the state by an object (a store wrapping its storage) is not
            // one.
            let takes_state = members.iter().any(|m| {
                m.name == "constructor" && text(m.node, file.src).contains("DurableObjectState")
            }) && members.iter().any(|m| {
                matches!(
                    m.name.as_str(),
                    "fetch" | "alarm" | "webSocketMessage" | "webSocketClose"
                )
            });
            if !(heritage.contains("DurableObject") || takes_state || config_classes.contains(name))
            {
                continue;
            }
            // partyserver's `Server` and the Agents SDK's classes call their
            // own hooks (`onConnect`, `onMessage`, …) for the runtime.
            let framework = extended_name(heritage).is_some_and(|n| FRAMEWORK_BASES.contains(&n))
                && (file.src.contains("partyserver") || file.src.contains("agents"));
            if let Some(parent) = extended(heritage) {
                parents.push((name.clone(), parent.to_owned()));
            }
            let mut state = Vec::new();
            // The runtime's handles (`state: DurableObjectState`, `env:
            // Env`, `storage`) are how the object reaches its data, not data.
            // A `static` field is the class's (partyserver's `static
            // options`), not an instance's state.
            let is_static = |m: &Member<'_>| {
                (0..m.node.child_count())
                    .filter_map(|i| m.node.child(i))
                    .any(|c| c.kind_name() == "static")
            };
            for m in members.iter().filter(|m| !m.is_method && !is_static(m)) {
                let ty = field_type(m, file.src);
                let handle = matches!(
                    ty.as_str(),
                    "DurableObjectState" | "DurableObjectStorage" | "Env" | "SqlStorage"
                ) || (RUNTIME_HANDLES.contains(&m.name.as_str())
                    && matches!(ty.as_str(), "unknown" | "any"));
                if !handle {
                    state.push(StateItem::Field {
                        name: m.name.clone(),
                        ty,
                    });
                }
            }
            // JavaScript classes declare their in-memory state in the
            // constructor: `this.sessions = new Map()`.
            if let Some(ctor) = members.iter().find(|m| m.name == "constructor") {
                walk(ctor.node, |n| {
                    if n.kind_name() != "assignment_expression" {
                        return;
                    }
                    let Some(left) = n.child_by_field_name("left") else {
                        return;
                    };
                    let lt = text(left, file.src);
                    let Some(field) = lt.strip_prefix("this.") else {
                        return;
                    };
                    let skip = RUNTIME_HANDLES.contains(&field);
                    if skip
                        || field.contains('.')
                        || state
                            .iter()
                            .any(|s| matches!(s, StateItem::Field { name, .. } if name == field))
                    {
                        return;
                    }
                    let ty = n
                        .child_by_field_name("right")
                        .map_or_else(|| "unknown".into(), |r| value_type(r, file.src));
                    state.push(StateItem::Field {
                        name: field.to_owned(),
                        ty,
                    });
                });
            }
            let mut sql = Vec::new();
            let mut storage_ops = Vec::new();
            let mut own_queries: Vec<(String, Node<'_>)> = Vec::new();
            walk(decl.node, |n| {
                if n.kind_name() != "call_expression" {
                    return;
                }
                let Some(f) = n.child_by_field_name("function") else {
                    return;
                };
                let callee = super::syntax::callee_text(f, file.src);
                let args = n
                    .child_by_field_name("arguments")
                    .map(children)
                    .unwrap_or_default();
                // One key put, read or deleted: what the lifecycle of each
                // key family is; a key put or read is state.
                let storage_op = [
                    ("storage.put", OpKind::Write),
                    ("storage.get", OpKind::Read),
                    ("storage.delete", OpKind::Delete),
                ]
                .into_iter()
                .find_map(|(m, op)| callee.ends_with(m).then_some(op));
                if let (Some(op), Some(k)) = (storage_op, args.first()) {
                    let arg = unwrap_expr(*k);
                    let key = (arg.kind_name() != "object")
                        .then(|| key_pattern(index, fi, *k))
                        .flatten();
                    // `delete([a, b])` deletes keys dmqa does not split: an
                    // opaque key, which no family rule builds on.
                    let one = if matches!(arg.kind_name(), "object" | "array") {
                        (op == OpKind::Delete).then(|| Key::opaque("keys"))
                    } else {
                        key.clone()
                    };
                    if let Some(key) = one {
                        storage_ops.push(StorageOp {
                            op,
                            key,
                            method: enclosing_method(n, file.src),
                            location: location(file.path, n),
                        });
                    }
                    if op != OpKind::Delete {
                        // `put({ a: 1, b: 2 })` writes several keys at once.
                        let keys: Vec<Key> = if arg.kind_name() == "object" {
                            children(arg)
                                .into_iter()
                                .filter_map(|p| {
                                    p.child_by_field_name("key")
                                        .map(|k| Key::literal(text(k, file.src)))
                                })
                                .collect()
                        } else {
                            key.into_iter().collect()
                        };
                        let ty = match (op, args.get(1)) {
                            (OpKind::Write, Some(v)) => stored_type(index, fi, *v),
                            (OpKind::Read, _) => read_type(index, fi, n),
                            _ => "unknown".to_owned(),
                        };
                        for key in keys {
                            let known = state.iter_mut().find_map(|s| match s {
                                StateItem::StorageKey { key: k, ty }
                                    if k.notation() == key.notation() =>
                                {
                                    Some(ty)
                                }
                                _ => None,
                            });
                            match known {
                                // A later put or read that says the type.
                                Some(t) if t == "unknown" => t.clone_from(&ty),
                                Some(_) => {}
                                None => state.push(StateItem::StorageKey {
                                    key,
                                    ty: ty.clone(),
                                }),
                            }
                        }
                    }
                }
                // `deleteAll()`: every key, an empty pattern.
                if callee.ends_with("storage.deleteAll") {
                    storage_ops.push(StorageOp {
                        op: OpKind::Delete,
                        key: Key::default(),
                        method: enclosing_method(n, file.src),
                        location: location(file.path, n),
                    });
                }
                // `this.ctx.storage.sql.exec("…")`, or the Agents SDK's
                // tagged `this.sql\`…\``: DDL builds the object's tables,
                // anything else is a query on them.
                // A bare `sql` tag is Drizzle's operator, not storage.
                let tagged = callee.ends_with(".sql")
                    && n.child_by_field_name("arguments")
                        .is_some_and(|a| a.kind_name() == "template_string");
                let text_of = if tagged {
                    n.child_by_field_name("arguments")
                        .and_then(|a| sql_literal(index, fi, a))
                } else if callee.ends_with("sql.exec") {
                    args.first().and_then(|q| sql_literal(index, fi, *q))
                } else {
                    None
                };
                if let Some(q) = text_of {
                    let head = q.trim_start().get(..6).unwrap_or("").to_ascii_uppercase();
                    if head == "CREATE" {
                        sql.push((q, location(file.path, n)));
                    } else {
                        own_queries.push((q, n));
                    }
                }
            });
            for (q, n) in own_queries.drain(..) {
                let mut op = ResourceOp {
                    actor: enclosing_method(n, file.src),
                    sql: Some(q),
                    durable_object: Some(name.clone()),
                    ..ResourceOp::new(
                        BindingKind::D1,
                        String::new(),
                        OpKind::Query,
                        location(file.path, n),
                    )
                };
                graph.place(index, &mut op);
                ops.push(op);
            }
            // Who reaches the object through a framework router: the
            // callers of its `onConnect` / `onRequest`.
            let routed = if framework {
                routed_by(index, graph, &routers, bindings_of.get(name), &mut ops)
            } else {
                Vec::new()
            };
            let references = method_references(decl.node, file.src);
            // The runtime calls `webSocketMessage` / `webSocketClose` /
            // `webSocketError` only on sockets the object accepted with
            // `ctx.acceptWebSocket(…)` (and `getWebSockets()` lists only
            // those); one that calls `server.accept()` handles its sockets
            // itself. A class extending anything but `DurableObject` may
            // accept them in its base.
            let hibernates = framework
                || file.src.contains("acceptWebSocket")
                || file.src.contains("getWebSockets")
                || extended_name(heritage).is_some_and(|b| b != "DurableObject");
            // An overload signature (`get(key: string): …;`) is the
            // method its implementation defines: listed once.
            let mut listed: Vec<&str> = Vec::new();
            let methods = members
                .iter()
                .filter(|m| m.is_method && m.name != "constructor" && !m.name.starts_with('#'))
                .filter(|m| {
                    m.node.kind_name() != "method_signature" && {
                        let first = !listed.contains(&m.name.as_str());
                        listed.push(&m.name);
                        first
                    }
                })
                .map(|m| {
                    let handler = Handler::parse(Lang::TypeScript, &m.name)
                        .or_else(|| framework.then(|| hook(&m.name)).flatten());
                    let mut by = called_by(index, graph, bindings_of.get(name), &m.name, &mut ops);
                    // A framework router opens the connection (`onConnect`)
                    // or request (`onRequest`) the runtime then hands it.
                    if framework && matches!(m.name.as_str(), "onConnect" | "onRequest") {
                        if let Some(handler) = handler.filter(|h| h.runtime_only()) {
                            by.push(Caller::Runtime { handler });
                        }
                        for c in &routed {
                            if !by.contains(c) {
                                by.push(c.clone());
                            }
                        }
                    }
                    if by.is_empty()
                        && let Some(handler) = handler.filter(|h| h.runtime_only())
                        && (hibernates || !handler.hibernation())
                    {
                        by.push(Caller::Runtime { handler });
                    }
                    // A method handed on by reference (`this.router.post(
                    // "/x", this.exclusive(this.create))` in the constructor)
                    // runs when what holds it does.
                    for (prop, from) in references.iter().filter(|_| !is_accessor(m.node)) {
                        let caller = Caller::Internal {
                            from: cloudflare::entry_point(Lang::TypeScript, from),
                        };
                        if *prop == m.name && *from != m.name && !by.contains(&caller) {
                            by.push(caller);
                        }
                    }
                    // Helpers the object calls itself: `this.broadcast(…)`,
                    // after the stubs and the runtime that call it.
                    {
                        let range = decl.node.byte_range();
                        let own = format!("this.{}", m.name);
                        for c in &file.calls {
                            if c.callee == own
                                && range.contains(&c.node.start_byte())
                                && let Some(e) = &c.enclosing
                            {
                                let caller = Caller::Internal {
                                    from: cloudflare::entry_point(Lang::TypeScript, e),
                                };
                                if !by.contains(&caller) && *e != m.name {
                                    by.push(caller);
                                }
                            }
                        }
                    }
                    DoMethod {
                        called_by: by,
                        name: m.name.clone(),
                        doc: doc_comment(m.node, file.src),
                        handler,
                        location: location(file.path, m.node),
                    }
                })
                .collect();
            out.push(CodeDurableObject {
                class_name: name.clone(),
                purpose: file.doc(decl),
                mutated: mutated_fields(&members, file.src),
                state,
                methods,
                sql,
                storage_ops,
                bases: Vec::new(),
                location: location(file.path, decl.node),
            });
        }
    }
    let inherited = inherit(&mut out, &parents, config_classes);
    // A query a base class runs on its own storage runs on each
    // subclass's: one operation per object that has it (the base's own
    // only when it is a Durable Object of its own).
    let mut own_storage: Vec<ResourceOp> = Vec::new();
    for op in &ops {
        let Some(base) = op.durable_object.as_deref() else {
            continue;
        };
        for d in out.iter().filter(|d| d.bases.iter().any(|b| b == base)) {
            own_storage.push(ResourceOp {
                durable_object: Some(d.class_name.clone()),
                ..op.clone()
            });
        }
    }
    ops.retain(|op| {
        op.durable_object
            .as_deref()
            .is_none_or(|c| out.iter().any(|d| d.class_name == c))
    });
    ops.extend(own_storage);
    // A method a subclass inherits is called on the subclass's stubs.
    for (child, method) in inherited {
        let by = called_by(index, graph, bindings_of.get(&child), &method, &mut ops);
        if let Some(m) = out
            .iter_mut()
            .find(|d| d.class_name == child)
            .and_then(|d| d.methods.iter_mut().find(|m| m.name == method))
        {
            for c in by.into_iter().rev() {
                if !m.called_by.contains(&c) {
                    m.called_by.insert(0, c);
                }
            }
        }
    }
    (out, ops)
}

/// The partyserver and Agents SDK base classes, whose subclasses are
/// Durable Objects with framework hooks ([`hook`]).
const FRAMEWORK_BASES: &[&str] = &["Server", "Agent", "AIChatAgent", "McpAgent", "YServer"];

/// `extends UploadHandler` → `UploadHandler`; `None` for the runtime's
/// and the frameworks' own classes.
fn extended(heritage: &str) -> Option<&str> {
    extended_name(heritage).filter(|n| {
        !matches!(*n, "DurableObject" | "WorkerEntrypoint") && !FRAMEWORK_BASES.contains(n)
    })
}

/// The runtime event a partyserver / Agents hook answers.
fn hook(method: &str) -> Option<Handler> {
    Some(match method {
        "onConnect" => Handler::WebSocketConnect,
        "onMessage" => Handler::WebSocketMessage,
        "onClose" => Handler::WebSocketClose,
        "onError" => Handler::WebSocketError,
        "onStart" => Handler::Start,
        "onRequest" => Handler::Fetch,
        "onAlarm" => Handler::Alarm,
        _ => return None,
    })
}

/// A Durable Object class extending another class of the project has its
/// parent's state, methods and tables too (its own first). A parent that
/// is a Durable Object only in shape — no config names it — is the
/// subclass's implementation, not an object of its own, and is dropped.
/// Returns the (subclass, method) pairs inherited.
fn inherit(
    out: &mut Vec<CodeDurableObject>,
    parents: &[(String, String)],
    config: &BTreeSet<String>,
) -> Vec<(String, String)> {
    let mut inherited: Vec<(String, String)> = Vec::new();
    let mut merged_from: Vec<String> = Vec::new();
    for (child, parent) in parents {
        let Some(p) = out.iter().find(|d| d.class_name == *parent).cloned() else {
            continue;
        };
        let Some(c) = out.iter_mut().find(|d| d.class_name == *child) else {
            continue;
        };
        for s in p.state {
            if !c.state.contains(&s) {
                c.state.push(s);
            }
        }
        for m in p.methods {
            if !c.methods.iter().any(|x| x.name == m.name) {
                inherited.push((child.clone(), m.name.clone()));
                c.methods.push(m);
            }
        }
        for q in p.sql {
            if !c.sql.contains(&q) {
                c.sql.push(q);
            }
        }
        for o in p.storage_ops {
            if !c.storage_ops.contains(&o) {
                c.storage_ops.push(o);
            }
        }
        for f in p.mutated {
            if !c.mutated.contains(&f) {
                c.mutated.push(f);
            }
        }
        if c.purpose.is_none() {
            c.purpose = p.purpose;
        }
        for b in std::iter::once(parent).chain(&p.bases) {
            if !c.bases.contains(b) {
                c.bases.push(b.clone());
            }
        }
        merged_from.push(parent.clone());
    }
    out.retain(|d| !merged_from.contains(&d.class_name) || config.contains(&d.class_name));
    inherited
}

/// Whether `recv` (in file `fi`) is a stub of one of `bindings`:
/// `env.X.get(id)`, `env.X.getByName(n)`, a local holding one, or what a
/// helper returns (`getStub(env, id)`, `this.getStub(id)`) — and if so,
/// how it picks its instance, when that shows.
pub(crate) fn stub_of<'a>(
    index: &CodeIndex<'a>,
    fi: usize,
    recv: Node<'a>,
    bindings: &[String],
) -> Option<Option<Instance>> {
    let names_binding = |t: &str| bindings.iter().any(|b| t.contains(b.as_str()));
    let origins = index.stub_origins(fi, recv, || stub_origins(index, fi, recv, 0));
    let o = origins
        .iter()
        .find(|o| o.namespace.iter().any(|t| names_binding(t)))?;
    Some(o.arg.and_then(|a| {
        if o.by_name {
            key_pattern(index, o.file, a).map(|name| Instance::Named { name })
        } else {
            instance_of_id(index, o.file, a, 0)
        }
    }))
}

/// The most stub origins one receiver is followed to.
const MAX_ORIGINS: usize = 32;

/// The `ns.get(id)` / `ns.getByName(n)` calls `recv` may hold the result
/// of, in the order a reader would try them: through locals, awaits,
/// helpers returning one, and (one level, a few sites) what the first
/// callers pass to a parameter typed as a stub. Which bindings count is
/// the caller's to decide, so one walk serves every class.
fn stub_origins<'a>(
    index: &CodeIndex<'a>,
    fi: usize,
    recv: Node<'a>,
    depth: u32,
) -> Vec<StubOrigin<'a>> {
    if depth > 4 {
        return Vec::new();
    }
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return Vec::new();
    };
    let recv = unwrap_expr(recv);
    let mut out = Vec::new();
    match recv.kind_name() {
        "identifier" => {
            let name = text(recv, src);
            let root = index.files[fi].root;
            if let Some(v) = local_value_under(root, recv, name, src) {
                return stub_origins(index, fi, v, depth + 1);
            }
            // A parameter typed as a stub (`handler: DurableObjectStub`):
            // what its first callers pass (one level, a few sites).
            if depth > 1 {
                return out;
            }
            let Some(p) = param_of(recv, name, src) else {
                return out;
            };
            let typed =
                p.ty.as_deref()
                    .is_some_and(|t| t.contains("Stub") || t.contains("DurableObject"));
            let Some(callee) = p.callee.filter(|_| typed && !p.constructed) else {
                return out;
            };
            for &(cf, ci) in index.call_sites(&callee).iter().take(16) {
                let Some(c) = index.files.get(cf).and_then(|f| f.calls.get(ci)) else {
                    continue;
                };
                if let Some(arg) = call_args(c.node).get(p.index) {
                    // Deep enough that the argument is not followed
                    // through parameters again.
                    out.extend(stub_origins(index, cf, *arg, 2));
                }
                if out.len() >= MAX_ORIGINS {
                    break;
                }
            }
        }
        "await_expression" => {
            if let Some(inner) = recv.named_child(0) {
                return stub_origins(index, fi, inner, depth + 1);
            }
        }
        // `c.var.stub`: what a middleware set (`c.set("stub", stub)`).
        "member_expression" => {
            let obj = recv.child_by_field_name("object").map(|o| text(o, src));
            let prop = recv.child_by_field_name("property").map(|p| text(p, src));
            if let (Some(o), Some(p)) = (obj, prop)
                && (o == "var" || o.ends_with(".var"))
            {
                out.extend(context_origins(index, fi, p, depth));
            }
        }
        // `hint ? ns.get(id, { locationHint: hint }) : ns.get(id)`.
        "ternary_expression" => {
            for branch in ["consequence", "alternative"] {
                if let Some(b) = recv.child_by_field_name(branch) {
                    out.extend(stub_origins(index, fi, b, depth + 1));
                }
            }
        }
        "call_expression" => {
            let Some(f) = recv.child_by_field_name("function").map(unwrap_expr) else {
                return out;
            };
            let t = super::syntax::callee_text(f, src);
            let by_name = t.ends_with(".getByName");
            let args = call_args(recv);
            // `c.get("stub")`: a context variable, never a namespace's
            // `get(id)`, which takes an id.
            if t.ends_with(".get")
                && let [name] = args.as_slice()
                && let Some(name) = super::syntax::string_value(*name, src)
            {
                out.extend(context_origins(index, fi, &name, depth));
            } else if !(t.ends_with(".get") || by_name) {
                for (hf, e) in helper_returns(index, fi, f) {
                    out.extend(stub_origins(index, hf, e, depth + 1));
                    if out.len() >= MAX_ORIGINS {
                        break;
                    }
                }
            } else {
                // `env.ROOM.get(id)`, or `ns.get(id)` after `const ns =
                // env.ROOM`.
                let mut namespace = vec![t];
                if let Some(v) = f
                    .child_by_field_name("object")
                    .map(unwrap_expr)
                    .filter(|o| o.kind_name() == "identifier")
                    .and_then(|o| local_value(o, text(o, src), src))
                {
                    namespace.push(super::syntax::callee_text(v, src));
                }
                out.push(StubOrigin {
                    file: fi,
                    arg: recv
                        .child_by_field_name("arguments")
                        .and_then(|a| a.named_child(0)),
                    namespace,
                    by_name,
                });
            }
        }
        _ => {}
    }
    out.truncate(MAX_ORIGINS);
    out
}

/// The stubs a request-context variable holds: the values of the
/// `c.set(name, value)` calls in the same Worker (a few).
fn context_origins<'a>(
    index: &CodeIndex<'a>,
    fi: usize,
    name: &str,
    depth: u32,
) -> Vec<StubOrigin<'a>> {
    let mut out = Vec::new();
    let Some(folder) = index.files.get(fi).map(|f| crate::sources::parent(f.path)) else {
        return out;
    };
    for &(cf, ci) in index.call_sites("set").iter().take(64) {
        let Some((f, c)) = index
            .files
            .get(cf)
            .and_then(|f| Some((f, f.calls.get(ci)?)))
        else {
            continue;
        };
        // Beside the reader: the same folder or one above it.
        let near = crate::model::in_folder(crate::sources::parent(folder), f.path);
        let args = call_args(c.node);
        if let [key, value] = args.as_slice()
            && near
            && super::syntax::string_value(*key, f.src).as_deref() == Some(name)
        {
            out.extend(stub_origins(index, cf, *value, depth + 1));
        }
        if out.len() >= MAX_ORIGINS {
            break;
        }
    }
    out
}

/// How an id picks its instance: `ns.idFromName(n)`, `ns.newUniqueId()`,
/// `ns.idFromString(s)`, or a local holding one.
fn instance_of_id<'a>(
    index: &CodeIndex<'a>,
    fi: usize,
    id: Node<'a>,
    depth: u32,
) -> Option<Instance> {
    if depth > 4 {
        return None;
    }
    let src = index.files.get(fi)?.src;
    let id = unwrap_expr(id);
    match id.kind_name() {
        "identifier" => instance_of_id(index, fi, local_value(id, text(id, src), src)?, depth + 1),
        "call_expression" => {
            let t = super::syntax::callee_text(id.child_by_field_name("function")?, src);
            let method = t.rsplit('.').next()?;
            match method {
                "idFromName" => {
                    let a = id.child_by_field_name("arguments")?.named_child(0)?;
                    key_pattern(index, fi, a).map(|name| Instance::Named { name })
                }
                "newUniqueId" => Some(Instance::Unique),
                "idFromString" => Some(Instance::FromString),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The expressions a called helper returns, with their files: a function
/// by name (across imports), or a method of the caller's class (`this.m`).
fn helper_returns<'a>(
    index: &CodeIndex<'a>,
    fi: usize,
    callee: Node<'a>,
) -> Vec<(usize, Node<'a>)> {
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return Vec::new();
    };
    match callee.kind_name() {
        "identifier" => index
            .resolve(fi, text(callee, src))
            .map(|r| {
                returns(r.decl.node, r.decl.value)
                    .into_iter()
                    .map(|e| (r.file, e))
                    .collect()
            })
            .unwrap_or_default(),
        "member_expression" => {
            let this = callee
                .child_by_field_name("object")
                .is_some_and(|o| o.kind_name() == "this");
            let name = callee.child_by_field_name("property").map(|p| text(p, src));
            match (this, name) {
                (true, Some(name)) => class_method(callee, name, src)
                    .map(|m| returns(m, None).into_iter().map(|e| (fi, e)).collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// The routers of partyserver and the Agents SDK, with the path prefix
/// each serves objects under (`/parties/:party/:name`,
/// `/agents/:agent/:name`; `:party` is the binding's name in kebab case).
const ROUTERS: &[(&str, &str)] = &[
    ("routePartykitRequest", "parties"),
    ("routeAgentRequest", "agents"),
];

/// A binding name as the framework routers spell it in paths: `Chat` →
/// `chat`, `MyAgent` → `my-agent`, `MY_AGENT` → `my-agent`.
fn kebab(name: &str) -> String {
    if name.chars().any(|c| c.is_ascii_lowercase()) {
        crate::sources::split_camel(name, '-')
            .replace('_', "-")
            .trim_end_matches('-')
            .to_owned()
    } else {
        name.to_ascii_lowercase().replace('_', "-")
    }
}

/// A framework router's call: (file, call, path prefix, its Worker).
type RouterCall<'w> = (usize, usize, &'static str, Option<&'w Worker>);

/// The actors that reach a framework object through its router
/// (`routePartykitRequest(request, env)` in a Worker's `fetch`): each a
/// stub call of `fetch` on the class's bindings, a plain `fetch` handler
/// named by the route the router serves (`ALL /parties/chat/*`), recorded
/// as operations.
fn routed_by(
    index: &CodeIndex<'_>,
    graph: &CallGraph,
    routers: &[RouterCall<'_>],
    bindings: Option<&Vec<String>>,
    ops: &mut Vec<ResourceOp>,
) -> Vec<Caller> {
    let Some(bindings) = bindings else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &(fi, ci, prefix, worker) in routers {
        let f = &index.files[fi];
        let c = &f.calls[ci];
        let actor = c.enclosing.clone().unwrap_or_else(|| f.path.to_owned());
        // A router serves the objects its own Worker binds.
        let bound = |b: &String| {
            worker.is_none_or(|w| {
                w.bindings
                    .iter()
                    .any(|x| x.kind == BindingKind::DurableObject && x.name == *b)
            })
        };
        for binding in bindings.iter().filter(|b| bound(b)) {
            let mut op = ResourceOp {
                method: Some("fetch".to_owned()),
                actor: Some(actor.clone()),
                ..ResourceOp::new(
                    BindingKind::DurableObject,
                    binding.clone(),
                    OpKind::Call,
                    location(f.path, c.node),
                )
            };
            graph.place(index, &mut op);
            let route = EntryPoint::Route {
                method: "ALL".to_owned(),
                path: format!("/{prefix}/{}/*", kebab(binding)),
            };
            for e in &mut op.entries {
                if e.handler() == Some(Handler::Fetch) {
                    *e = route.clone();
                }
            }
            for (e, _) in &mut op.anchors {
                if e.handler() == Some(Handler::Fetch) {
                    *e = route.clone();
                }
            }
            let caller = Caller::Stub {
                entries: if op.entries.len() == 1 && op.entries[0].name() == actor {
                    Vec::new()
                } else {
                    op.entries.clone()
                },
                actor: actor.clone(),
            };
            if !out.contains(&caller) {
                out.push(caller);
            }
            ops.push(op);
        }
    }
    out
}

/// The actors (with their entry points) that call `method` on a stub of
/// the class's bindings; `stub.fetch(…)` forwards count as `fetch`.
fn called_by(
    index: &CodeIndex<'_>,
    graph: &CallGraph,
    bindings: Option<&Vec<String>>,
    method: &str,
    ops: &mut Vec<ResourceOp>,
) -> Vec<Caller> {
    let Some(bindings) = bindings else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Each method looks at the calls of its own name only.
    for &(fi, ci) in index.call_sites(method) {
        let f = &index.files[fi];
        {
            let c = &f.calls[ci];
            let Some(func) = c.node.child_by_field_name("function") else {
                continue;
            };
            if func.kind_name() != "member_expression" {
                continue;
            }
            let prop = func.child_by_field_name("property").map(|p| text(p, f.src));
            if prop != Some(method) {
                continue;
            }
            let Some(recv) = func.child_by_field_name("object") else {
                continue;
            };
            let Some(instance) = stub_of(index, fi, recv, bindings) else {
                continue;
            };
            let actor = c.enclosing.clone().unwrap_or_else(|| f.path.to_owned());
            let recv_text = text(recv, f.src);
            let binding = bindings
                .iter()
                .find(|b| recv_text.contains(b.as_str()))
                .or_else(|| bindings.first())
                .cloned()
                .unwrap_or_default();
            let mut op = ResourceOp {
                method: Some(method.to_owned()),
                instance,
                actor: Some(actor.clone()),
                ..ResourceOp::new(
                    BindingKind::DurableObject,
                    binding,
                    OpKind::Call,
                    location(f.path, c.node),
                )
            };
            graph.place(index, &mut op);
            let reached = op.entries.clone();
            ops.push(op);
            let caller = Caller::Stub {
                entries: if reached.len() == 1 && reached[0].name() == actor {
                    Vec::new()
                } else {
                    reached
                },
                actor,
            };
            if !out.contains(&caller) {
                out.push(caller);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::index::CodeIndex;
    use super::super::parse::parse_source;
    use super::super::resolve::Resolver;
    use super::*;

    /// The objects and operations `extract` reads from the one file
    /// `src` at `path`, with `configured` the classes a config names.
    fn read(
        path: &str,
        src: &str,
        configured: &[&str],
    ) -> (Vec<CodeDurableObject>, Vec<ResourceOp>) {
        let parsed = vec![parse_source(path, src).unwrap()];
        let index = CodeIndex::new(&parsed, Resolver::new([path.to_owned()], Vec::new()));
        let graph = CallGraph::new(&index, &[], &[]);
        let classes: BTreeSet<String> = configured.iter().map(|c| (*c).to_owned()).collect();
        extract(&index, &graph, &classes, &HashMap::new(), &[])
    }

    /// Methods handed on as values count as called by the method handing
    /// them; a getter read (or passed) like a field does not.
    #[test]
    fn types_over_several_lines_read_on_one() {
        assert_eq!(
            super::one_line(
                "{\n  audio?: string\n  video: boolean;\n  hint:\n    | \"a\"\n    | \"b\"\n}"
            ),
            "{ audio?: string; video: boolean; hint: | \"a\" | \"b\" }"
        );
        assert_eq!(
            super::one_line("Record<string, string>"),
            "Record<string, string>"
        );
    }

    #[test]
    fn methods_handed_on_are_references_getters_are_not() {
        let src = "export class Room {\n  constructor() {\n    this.router.post(\"/\", this.exclusive(this.create));\n    register({ onMessage: this.onMessage });\n    log(this.size);\n    this.create();\n  }\n  get size() { return 1; }\n  create() {}\n  onMessage() {}\n  exclusive(f) { return f; }\n}\n";
        let file = parse_source("src/room.ts", src).unwrap();
        let tree_root = file.tree.root_node();
        let refs = method_references(tree_root, &file.src);
        let names: Vec<&str> = refs.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["create", "onMessage", "size"]);
        assert!(refs.iter().all(|(_, from)| from == "constructor"));
        let mut getters = Vec::new();
        super::super::syntax::walk(tree_root, |n| {
            if n.kind_name() == "method_definition" {
                getters.push((
                    text(n.child_by_field_name("name").unwrap(), &file.src).to_owned(),
                    is_accessor(n),
                ));
            }
        });
        assert!(getters.contains(&("size".to_owned(), true)));
        assert!(getters.contains(&("create".to_owned(), false)));
    }

    #[test]
    fn runtime_handles_are_not_state() {
        let src = "export class Monitor {\n  private state: DurableObjectState;\n  private env: Env;\n  private ctx;\n  private timer: number | null = null;\n  state2: { count: number } = { count: 0 };\n  constructor(state: DurableObjectState, env: Env) { this.state = state; this.env = env; }\n  async fetch(request: Request) { return new Response(); }\n}\n";
        let (dos, _) = read("src/monitor.ts", src, &["Monitor"]);
        let names: Vec<String> = dos[0]
            .state
            .iter()
            .map(crate::render::words::state_item)
            .collect();
        assert_eq!(names, ["timer: number | null", "state2: { count: number }"]);
    }

    /// A storage read cast to a type (`(await storage.get("n")) as
    /// number`) is of that type; `as any` says nothing.
    #[test]
    fn a_cast_storage_read_has_the_cast_type() {
        let src = "import { DurableObject } from \"cloudflare:workers\";\nexport class Counter extends DurableObject {\n  async bump() {\n    const n = ((await this.ctx.storage.get(\"n\")) as number) || 0;\n    const m = (await this.ctx.storage.get(\"m\")) as any;\n    return n + m;\n  }\n}\n";
        let (dos, _) = read("src/counter.ts", src, &["Counter"]);
        let items: Vec<String> = dos[0]
            .state
            .iter()
            .map(crate::render::words::state_item)
            .collect();
        assert_eq!(items, ["storage[\"n\"]: number", "storage[\"m\"]: unknown"]);
    }

    #[test]
    fn a_helper_handed_the_state_is_no_object() {
        let src = "export class KvStore {\n  constructor(private state: DurableObjectState, private prefix: string) {}\n  async get(key: string) { return this.state.storage.get(this.prefix + key); }\n}\nexport class Old {\n  constructor(state: DurableObjectState) {}\n  async fetch(request: Request) { return new Response(); }\n  get(key: string): Promise<string>;\n  get(keys: string[]): Promise<Map<string, string>>;\n  get(k: any) { return k; }\n}\n";
        let (dos, _) = read("src/store.ts", src, &[]);
        let names: Vec<&str> = dos.iter().map(|d| d.class_name.as_str()).collect();
        assert_eq!(names, ["Old"]);
        // Overload signatures are the one method they declare.
        let methods: Vec<&str> = dos[0].methods.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(methods, ["fetch", "get"]);
    }

    #[test]
    fn hibernation_handlers_run_only_on_accepted_sockets() {
        let callers = |accept: &str| {
            let src = format!(
                "export class Room extends DurableObject {{\n  async fetch(request: Request) {{\n    const [client, server] = Object.values(new WebSocketPair());\n    {accept};\n    return new Response(null, {{ status: 101, webSocket: client }});\n  }}\n  async webSocketMessage(ws: WebSocket, message: string) {{}}\n}}\n"
            );
            let (dos, _) = read("src/room.ts", &src, &[]);
            let m = dos[0]
                .methods
                .iter()
                .find(|m| m.name == "webSocketMessage")
                .unwrap();
            m.called_by.len()
        };
        assert_eq!(callers("this.ctx.acceptWebSocket(server)"), 1);
        assert_eq!(callers("server.accept()"), 0);
    }

    #[test]
    fn a_call_chain_split_over_lines_is_one_callee() {
        let src = "export class Room {\n  constructor(ctx: DurableObjectState) { this.ctx = ctx; }\n  async fetch(request: Request) {\n    this.ctx.storage.sql\n      .exec(`CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, body TEXT)`);\n    const rows = this.ctx.storage.sql\n      .exec(`SELECT * FROM messages WHERE id = ?`, \"a\");\n    await this.ctx.storage\n      .put(\"last\", 1);\n    return new Response();\n  }\n}\n";
        let (dos, ops) = read("src/room.ts", src, &["Room"]);
        assert_eq!(dos[0].sql.len(), 1, "{:?}", dos[0].sql);
        assert!(
            ops.iter()
                .any(|o| o.sql.as_deref().is_some_and(|q| q.starts_with("SELECT"))),
            "{ops:?}"
        );
        assert!(
            dos[0].state.iter().any(
                |s| matches!(s, StateItem::StorageKey { key, .. } if key.notation() == "last")
            ),
            "{:?}",
            dos[0].state
        );
    }

    #[test]
    fn router_paths_name_bindings_in_kebab_case() {
        assert_eq!(kebab("Chat"), "chat");
        assert_eq!(kebab("ChatRoom"), "chat-room");
        assert_eq!(kebab("rooms"), "rooms");
        assert_eq!(kebab("MY_AGENT"), "my-agent");
        assert_eq!(kebab("my_agent"), "my-agent");
    }
}

#[cfg(test)]
mod stubs {
    use crate::analysis::rules::testing::{model_with, wrangler};
    use crate::render::words;

    /// A stub from a namespace held in a local is a stub too.
    #[test]
    fn a_namespace_held_in_a_local_gives_stubs() {
        let config = wrangler(
            "[[durable_objects.bindings]]\nname = \"ROOM\"\nclass_name = \"Room\"\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Room\"]\n",
        );
        let code = "import { DurableObject } from \"cloudflare:workers\";\nexport class Room extends DurableObject {\n  async join(name: string) { return name; }\n}\nexport default {\n  async fetch(req: Request, env: Env) {\n    const ns = env.ROOM;\n    const stub = ns.get(ns.idFromName(\"lobby\"));\n    await stub.join(\"a\");\n    return new Response();\n  },\n};\n";
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", code)]);
        let room = &model.durable_objects[0];
        let join = room.methods.iter().find(|m| m.name == "join").unwrap();
        assert_eq!(
            words::callers(&join.called_by),
            "fetch",
            "{:?}",
            join.called_by
        );
    }

    /// A stub a helper returns, a function or a method of the caller's
    /// class, is a stub too; the object's own calls are listed after.
    #[test]
    fn a_stub_returned_by_a_helper_gives_callers() {
        let config = wrangler(
            "[[durable_objects.bindings]]\nname = \"ROOM\"\nclass_name = \"Room\"\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Room\"]\n",
        );
        let room = "import { DurableObject } from \"cloudflare:workers\";\nexport class Room extends DurableObject {\n  async join(name: string) { return name; }\n  async rejoin() { return this.join(\"again\"); }\n}\n";
        let code = "import { Room } from \"./room\";\nexport { Room };\nexport function roomStub(env: Env, id: string) {\n  return env.ROOM.get(env.ROOM.idFromName(id));\n}\nclass Lobby {\n  constructor(private env: Env) {}\n  private stub(id: string) {\n    const ns = this.env.ROOM;\n    return ns.get(ns.idFromName(id));\n  }\n  async enter(id: string) { await this.stub(id).join(\"a\"); }\n}\nexport default {\n  async fetch(req: Request, env: Env) {\n    await roomStub(env, \"x\").join(\"b\");\n    await new Lobby(env).enter(\"y\");\n    return new Response();\n  },\n};\n";
        let model = model_with(
            "",
            &[
                ("wrangler.toml", &config),
                ("src/room.ts", room),
                ("src/index.ts", code),
            ],
        );
        let join = model.durable_objects[0]
            .methods
            .iter()
            .find(|m| m.name == "join")
            .unwrap();
        assert_eq!(
            words::callers(&join.called_by),
            "enter (fetch), fetch, rejoin() (internal)",
            "{:?}",
            join.called_by
        );
    }

    /// A framework router serves the objects its own Worker binds.
    #[test]
    fn a_router_calls_the_objects_of_its_worker_only() {
        let room = "[[durable_objects.bindings]]\nname = \"Room\"\nclass_name = \"Room\"\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Room\"]\n";
        let router = "import { routePartykitRequest } from \"partyserver\";\nexport default {\n  async fetch(request: Request, env: Env) {\n    return (await routePartykitRequest(request, env)) ?? new Response(null, { status: 404 });\n  },\n};\n";
        let class = "import { Server } from \"partyserver\";\nexport class Room extends Server<Env> {\n  onConnect() {}\n}\n";
        let model = model_with(
            "",
            &[
                (
                    "chat/wrangler.toml",
                    &format!("name = \"chat\"\nmain = \"src/index.ts\"\n{room}"),
                ),
                ("chat/src/index.ts", router),
                ("chat/src/room.ts", class),
                (
                    "admin/wrangler.toml",
                    "name = \"admin\"\nmain = \"src/index.ts\"\n",
                ),
                ("admin/src/index.ts", router),
            ],
        );
        let room = &model.durable_objects[0];
        let connect = room.methods.iter().find(|m| m.name == "onConnect").unwrap();
        assert_eq!(
            words::callers(&connect.called_by),
            "Runtime (WebSocket connect), fetch (ALL /parties/room/*)",
            "{:?}",
            connect.called_by
        );
        // The admin Worker binds no `Room`: its router reaches none.
        let calls: Vec<&str> = model
            .resource_ops
            .iter()
            .filter(|o| o.binding == "Room")
            .map(|o| o.location.path.as_str())
            .collect();
        assert_eq!(calls, ["chat/src/index.ts"]);
    }
}
