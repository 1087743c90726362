//! Whether a storage call runs once per item of a collection: inside the
//! body of a `for … of` / `for … in` loop, a `for (…; i < xs.length; …)`
//! loop, or a callback of `xs.map(…)` / `forEach` / `flatMap` / `filter` /
//! `reduce`. `while` / `do` loops (paging, retrying, polling) and loops over
//! a literal array or up to a literal bound, loops that stop at a `break` or
//! `return` of their own (a search), and a queue consumer's loop over
//! `batch.messages` are not item loops.

use super::index::{CodeIndex, FileIndex};
use super::syntax::{is_function, location, text, unwrap_expr};
use crate::model::{BindingKind, ResourceOp};
use crate::sources::typescript::parse::NodeKind;
use tree_sitter::{Node, Point};

/// Array methods that call their callback once per item.
const PER_ITEM: &[&str] = &[
    "map", "forEach", "flatMap", "filter", "reduce", "some", "every", "find",
];

/// D1 statement methods that send the statement to the database.
const SENDS: &[&str] = &["run", "all", "first", "raw"];

/// Marks each D1 / KV / R2 / queue call of `ops` read from `index` with
/// the item loop it runs in, when it runs once per item.
pub(crate) fn mark(index: &CodeIndex<'_>, ops: &mut [ResourceOp]) {
    for op in ops.iter_mut() {
        if op.in_loop.is_some()
            || !matches!(
                op.kind,
                BindingKind::D1 | BindingKind::Kv | BindingKind::R2 | BindingKind::QueueProducer
            )
        {
            continue;
        }
        let Some((f, start)) = node_at(index, &op.location) else {
            continue;
        };
        let (top, sent) = chain(start, f.src);
        if op.op == crate::model::OpKind::List {
            op.paged = paging_loop(top);
        }
        // A D1 statement built here and sent elsewhere (`db.batch(stmts)`)
        // is no round trip of its own.
        if op.kind == BindingKind::D1 && !sent {
            continue;
        }
        op.in_loop = item_loop(top, f.src).map(|l| location(f.path, l));
    }
}

/// The file at `at` and its smallest node starting there.
pub(crate) fn node_at<'i, 'a>(
    index: &'i CodeIndex<'a>,
    at: &crate::model::Location,
) -> Option<(&'i FileIndex<'a>, Node<'a>)> {
    let f = index.file(&at.path)?;
    let p = point(at);
    Some((f, f.root.descendant_for_point_range(p, p)?))
}

/// The tree-sitter point of a location (1-based line and byte column).
pub(crate) fn point(at: &crate::model::Location) -> Point {
    Point {
        row: (at.line as usize).saturating_sub(1),
        column: (at.column as usize).saturating_sub(1),
    }
}

/// The outermost node of the call chain `start` is in (`env.DB.prepare(…)
/// .bind(…).run()`, awaited or not), and whether the chain sends a
/// statement (awaited, or ends in `run()` / `all()` / `first()` / `raw()`).
pub(crate) fn chain<'a>(start: Node<'a>, src: &str) -> (Node<'a>, bool) {
    let mut n = start;
    let mut sent = false;
    while let Some(p) = n.parent() {
        match p.kind_name() {
            "member_expression"
            | "call_expression"
            | "parenthesized_expression"
            | "as_expression"
            | "non_null_expression"
            | "satisfies_expression" => {
                if p.kind_name() == "member_expression"
                    && p.child_by_field_name("property")
                        .is_some_and(|x| SENDS.contains(&text(x, src)))
                {
                    sent = true;
                }
            }
            "await_expression" => sent = true,
            _ => break,
        }
        n = p;
    }
    (n, sent)
}

/// Whether `n` runs in a `while` / `do` loop (or a `for (;;)`) of its
/// function: paging with a cursor until the listing is complete.
fn paging_loop(n: Node<'_>) -> bool {
    let mut cur = n.parent();
    while let Some(p) = cur {
        match p.kind_name() {
            "while_statement" | "do_statement" => return true,
            "for_statement"
                if p.child_by_field_name("condition")
                    .is_none_or(|c| c.kind_name() == "empty_statement") =>
            {
                return true;
            }
            k if is_function(k) || matches!(k, "class_body" | "program") => return false,
            _ => {}
        }
        cur = p.parent();
    }
    false
}

/// The item loop `n` runs in, within its function (or through the
/// per-item callbacks around it).
fn item_loop<'a>(n: Node<'a>, src: &str) -> Option<Node<'a>> {
    let mut child = n;
    let mut cur = n.parent();
    while let Some(p) = cur {
        match p.kind_name() {
            "for_in_statement" => {
                let in_body = p
                    .child_by_field_name("body")
                    .is_some_and(|b| b.id() == child.id());
                let right = p.child_by_field_name("right").map(unwrap_expr);
                // A literal list is fixed; a consumer's `batch.messages` is
                // its unit of work, one message at a time by design.
                let fixed_or_messages = right.is_some_and(|r| {
                    r.kind_name() == "array" || text(r, src).ends_with(".messages")
                });
                if in_body && !fixed_or_messages && !exits_early(p) {
                    return Some(p);
                }
            }
            "for_statement" => {
                let in_body = p
                    .child_by_field_name("body")
                    .is_some_and(|b| b.id() == child.id());
                let bound = p
                    .child_by_field_name("condition")
                    .is_some_and(|c| text(c, src).contains(".length"));
                if in_body && bound && !exits_early(p) {
                    return Some(p);
                }
            }
            "arrow_function" | "function_expression" | "function" => {
                return per_item_call(p, src);
            }
            k if is_function(k) || matches!(k, "class_body" | "program") => return None,
            _ => {}
        }
        child = p;
        cur = p.parent();
    }
    None
}

/// Whether the loop stops at a `break` or `return` of its own: a search
/// for the first match (`for (const k of candidates) { … if (obj) break }`),
/// not a pass over every item.
fn exits_early(l: Node<'_>) -> bool {
    let Some(body) = l.child_by_field_name("body") else {
        return false;
    };
    let mut found = false;
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind_name() {
            "break_statement" | "return_statement" => {
                found = true;
                break;
            }
            // A nested loop, switch or function has breaks and returns of
            // its own.
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement"
            | "switch_statement" => continue,
            k if is_function(k) => continue,
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    found
}

/// `xs.map(fn)` when `func` is that callback, else `None`.
fn per_item_call<'a>(func: Node<'a>, src: &str) -> Option<Node<'a>> {
    let args = func.parent().filter(|a| a.kind_name() == "arguments")?;
    let call = args
        .parent()
        .filter(|c| c.kind_name() == "call_expression")?;
    let callee = call.child_by_field_name("function")?;
    if callee.kind_name() != "member_expression" {
        return None;
    }
    let method = text(callee.child_by_field_name("property")?, src);
    let over = callee.child_by_field_name("object").map(unwrap_expr)?;
    (PER_ITEM.contains(&method) && over.kind_name() != "array").then_some(call)
}
