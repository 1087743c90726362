//! KV read-modify-write: a `put` whose value is built from what a `get` of
//! the same key returned (`const sites = await getSites(env); sites.push(x);
//! await env.KV.put("sites", JSON.stringify(sites))`), in the same function
//! or through a helper that returns the read.

use super::callgraph::CallGraph;
use super::index::CodeIndex;
use super::loops::{node_at, point};
use super::syntax::text;
use crate::model::{BindingKind, Location, OpKind, ResourceOp};
use crate::sources::typescript::parse::NodeKind;
use std::collections::HashMap;
use tree_sitter::Node;

/// How many locals a value is followed through (`raw` → `list` → value).
const MAX_HOPS: u32 = 3;

/// Marks each KV `put` of `ops` read from `index` with the `get` of the same
/// key its value comes from.
///
/// Only reads in the put's own scope (its Worker's folder, or its package
/// outside every Worker: what the call graph matches names in) count; a
/// monorepo's Workers often share a binding name and key.
pub(crate) fn mark(index: &CodeIndex<'_>, graph: &CallGraph, ops: &mut [ResourceOp]) {
    type Read = (String, String, Option<String>, Location);
    let mut reads: HashMap<(String, String, String), Vec<Read>> = HashMap::new();
    for read in ops
        .iter()
        .filter(|o| o.kind == BindingKind::Kv && o.op == OpKind::Read)
        .filter_map(|o| {
            let key = o.key.as_ref().filter(|k| !k.is_opaque())?;
            Some((
                o.binding.clone(),
                key.notation(),
                o.actor.clone(),
                o.location.clone(),
            ))
        })
    {
        let scope = graph.scope_of(&read.3.path);
        reads
            .entry((scope, read.0.clone(), read.1.clone()))
            .or_default()
            .push(read);
    }
    if reads.is_empty() {
        return;
    }
    for op in ops.iter_mut() {
        if op.kind != BindingKind::Kv || op.op != OpKind::Write || op.writes_back.is_some() {
            continue;
        }
        let Some(key) = op
            .key
            .as_ref()
            .filter(|k| !k.is_opaque())
            .map(|k| k.notation())
        else {
            continue;
        };
        let scope = graph.scope_of(&op.location.path);
        let Some(same) = reads.get(&(scope, op.binding.clone(), key)) else {
            continue;
        };
        let same: Vec<&Read> = same.iter().collect();
        let Some((f, start)) = node_at(index, &op.location) else {
            continue;
        };
        let Some(put) = put_call(start, f.src) else {
            continue;
        };
        let Some(value) = put
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(1))
        else {
            continue;
        };
        let Some(func) = super::syntax::enclosing_function(put) else {
            continue;
        };
        let found = Search {
            src: f.src,
            path: f.path,
            func,
            reads: &same,
        }
        .read_in(value, put.start_byte(), 0);
        op.checked_first = match found {
            Some(_) => None,
            None => same
                .iter()
                .find(|(_, _, _, at)| checks_absence(index, at, func, put))
                .map(|(_, _, _, at)| at.clone()),
        };
        op.writes_back = found;
    }
}

/// Whether the read at `at`, in `func` before `put`, is an existence
/// check: its result is held in a local that an `if` before the write tests
/// and, when set, leaves (`throw`, `return`) without using it — a create
/// that refuses to overwrite, not a cache fill that serves what it read.
fn checks_absence(index: &CodeIndex<'_>, at: &Location, func: Node<'_>, put: Node<'_>) -> bool {
    let Some((f, start)) = node_at(index, at) else {
        return false;
    };
    if start.start_byte() < func.start_byte() || start.end_byte() > put.start_byte() {
        return false;
    }
    let (top, _) = super::loops::chain(start, f.src);
    let Some(name) = top
        .parent()
        .filter(|d| d.kind_name() == "variable_declarator")
        .and_then(|d| d.child_by_field_name("name"))
        .filter(|n| n.kind_name() == "identifier")
        .map(|n| text(n, f.src))
    else {
        return false;
    };
    let mentions = |n: Node<'_>| {
        let mut found = false;
        super::syntax::walk(n, |x| {
            found |= x.kind_name() == "identifier" && text(x, f.src) == name;
        });
        found
    };
    let mut checked = false;
    super::syntax::walk(func, |n| {
        if checked
            || n.kind_name() != "if_statement"
            || n.start_byte() < top.end_byte()
            || n.start_byte() > put.start_byte()
        {
            return;
        }
        let (Some(cond), Some(then)) = (
            n.child_by_field_name("condition"),
            n.child_by_field_name("consequence"),
        ) else {
            return;
        };
        let inside = then.start_byte() <= put.start_byte() && put.end_byte() <= then.end_byte();
        let mut leaves = false;
        super::syntax::walk(then, |x| {
            leaves |= matches!(x.kind_name(), "throw_statement" | "return_statement");
        });
        checked = mentions(cond) && !inside && leaves && !mentions(then);
    });
    checked
}

/// The `….put(…)` call the chain starting at `n` is.
fn put_call<'a>(n: Node<'a>, src: &str) -> Option<Node<'a>> {
    let mut cur = Some(n);
    for _ in 0..8 {
        let c = cur?;
        if c.kind_name() == "call_expression"
            && c.child_by_field_name("function").is_some_and(|f| {
                f.kind_name() == "member_expression"
                    && f.child_by_field_name("property")
                        .is_some_and(|p| text(p, src) == "put")
            })
        {
            return Some(c);
        }
        cur = c.parent();
    }
    None
}

/// Looks for a read of the key behind a value, within one function.
struct Search<'s, 'a> {
    src: &'s str,
    path: &'s str,
    func: Node<'a>,
    /// The reads of the same binding and key: (binding, key, function, where).
    reads: &'s [&'s (String, String, Option<String>, Location)],
}

impl<'a> Search<'_, 'a> {
    /// The read `expr` (evaluated at byte `at`) is built from: a read
    /// inside it, a call of the helper that makes the read, or a local
    /// whose last value before `at` is built from either.
    fn read_in(&self, expr: Node<'a>, at: usize, hops: u32) -> Option<Location> {
        let (start, end) = (expr.start_position(), expr.end_position());
        for (_, _, actor, at) in self.reads {
            if at.path == self.path && (start..end).contains(&point(at)) {
                return Some(at.clone());
            }
            if let Some(actor) = actor
                && calls(expr, actor, self.src)
            {
                return Some(at.clone());
            }
        }
        if hops >= MAX_HOPS {
            return None;
        }
        let mut ids: Vec<Node<'a>> = Vec::new();
        super::syntax::walk(expr, |n| {
            if n.kind_name() == "identifier" {
                ids.push(n);
            }
        });
        ids.into_iter().find_map(|id| {
            let s = self.last_value(text(id, self.src), at)?;
            self.read_in(s, s.start_byte(), hops + 1)
        })
    }

    /// The last value the local `name` is given before byte `at`: its
    /// initializer or the right side of an assignment (a cache fill's
    /// `v = await load()` replaces what the read returned).
    fn last_value(&self, name: &str, at: usize) -> Option<Node<'a>> {
        let mut out = None;
        super::syntax::walk(self.func, |n| {
            if n.start_byte() >= at {
                return;
            }
            let (target, value) = match n.kind_name() {
                "variable_declarator" => (
                    n.child_by_field_name("name"),
                    n.child_by_field_name("value"),
                ),
                "assignment_expression" => (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ),
                _ => return,
            };
            if let (Some(t), Some(v)) = (target, value)
                && t.kind_name() == "identifier"
                && text(t, self.src) == name
                && v.end_byte() <= at
            {
                out = Some(v);
            }
        });
        out
    }
}

/// Whether `expr` calls the function `name` (`getSites(env)`,
/// `this.getSites()`).
fn calls(expr: Node<'_>, name: &str, src: &str) -> bool {
    let mut found = false;
    super::syntax::walk(expr, |n| {
        if found || n.kind_name() != "call_expression" {
            return;
        }
        let Some(f) = n.child_by_field_name("function") else {
            return;
        };
        let callee = match f.kind_name() {
            "identifier" => Some(f),
            "member_expression" => f.child_by_field_name("property"),
            _ => None,
        };
        found = callee.is_some_and(|c| text(c, src) == name);
    });
    found
}
