//! `round-trip-in-loop`: a D1 query, KV / R2 call or queue send that runs
//! once per item of a collection (N+1).

use crate::model::{BindingKind, Finding, FindingSeverity, Model, OpKind, ResourceOp};
use crate::model::{Location, RuleId, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A D1 query, KV / R2 call or queue send made once per item of a loop.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A call that leaves the Worker — a D1 statement sent with `run()` / `all()`
/ `first()` / `raw()` or awaited, a KV or R2 `get` / `put` / `delete` /
`list`, a queue `send` — inside the body of a `for … of` / `for … in` loop,
a `for` loop bounded by a `.length`, or a `map` / `forEach` / `flatMap` /
`filter` / `reduce` callback, in code an entry point reaches. `while` / `do`
loops (paging, retrying) and loops over a literal array are left alone, and
so are loops that stop at a `break` or `return` (a search for the first
match), a queue consumer's loop over `batch.messages` (one message at a
time is its unit of work) and statements built in a loop and sent
together with `batch()`.

## Why it matters
Each item costs a network round trip, so latency and billed operations
grow with the collection (N+1), and a Worker invocation has a budget: 1,000
KV operations, 1,000 D1 queries (50 on the Free plan) and 1,000
subrequests. A list of a few thousand items fails outright.

## Example
`for (const f of features) { await db.prepare(\"INSERT …\").bind(f).run(); }`
→ `await db.batch(features.map((f) => db.prepare(\"INSERT …\").bind(f)))`.
";

/// What one call in the loop does, in words: `queries \`features\``.
fn what(op: &ResourceOp) -> String {
    let key = op
        .key
        .as_ref()
        .map(|k| format!(" `{}`", k.notation()))
        .unwrap_or_default();
    let store = match op.kind {
        BindingKind::Kv => "a KV",
        BindingKind::R2 => "an R2",
        _ => "a",
    };
    match (op.kind, op.op) {
        (BindingKind::D1, _) => {
            let mut tables: Vec<&str> = op
                .queries
                .iter()
                .map(|q| q.table.as_str())
                .chain(op.tables.iter().map(String::as_str))
                .collect();
            tables.dedup();
            if tables.is_empty() {
                "a D1 query".to_owned()
            } else {
                format!("a D1 query on `{}`", tables.join("`, `"))
            }
        }
        (BindingKind::QueueProducer, _) => format!("a `send` to `{}`", op.binding),
        (_, OpKind::Read | OpKind::Head) => format!("{store} read of{key}"),
        (_, OpKind::Write | OpKind::MultipartWrite) => format!("{store} write of{key}"),
        (_, OpKind::Delete) => format!("{store} delete of{key}"),
        (_, OpKind::List) => format!("{store} list of{key}"),
        _ => format!("{store} call"),
    }
}

/// What to do instead, by the first call in the loop.
fn instead(first: &ResourceOp) -> &'static str {
    match (first.kind, first.op) {
        (BindingKind::D1, _) => {
            "send the statements together with `batch([…])` (one round trip, one transaction) or as one set-based statement"
        }
        (BindingKind::QueueProducer, _) => "send them with one `sendBatch()` (up to 100 messages)",
        (BindingKind::Kv, OpKind::Read) => {
            "read the keys in one `get([…])` (up to 100), keep what is read together in one value, or use the `list()` metadata"
        }
        (BindingKind::R2, OpKind::Delete) => "delete the keys in one `delete([…])` (up to 1,000)",
        _ => "keep what is used together in one key or object, or spread the work over a queue",
    }
}

/// One finding per loop, naming every call in it.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut loops: BTreeMap<&Location, Vec<&ResourceOp>> = BTreeMap::new();
    for op in &model.resource_ops {
        // A Durable Object's own SQLite runs in-process: no round trip.
        if op.durable_object.is_some() || op.entries.is_empty() {
            continue;
        }
        if let Some(l) = &op.in_loop {
            loops.entry(l).or_default().push(op);
        }
    }
    for (at, ops) in loops {
        let first = ops[0];
        let mut calls: Vec<String> = ops.iter().map(|o| what(o)).collect();
        calls.dedup();
        let mut entries: Vec<&crate::model::EntryPoint> =
            ops.iter().flat_map(|o| &o.entries).collect();
        entries.sort();
        entries.dedup();
        let (topic, subject) = match first.kind {
            BindingKind::D1 => (
                Topic::Queries,
                first
                    .queries
                    .first()
                    .map(|q| Subject::table(&q.table))
                    .unwrap_or(Subject::Binding {
                        name: first.binding.clone(),
                    }),
            ),
            kind => (
                match kind {
                    BindingKind::Kv => Topic::Kv,
                    BindingKind::R2 => Topic::R2,
                    _ => Topic::Queues,
                },
                Subject::Binding {
                    name: first.binding.clone(),
                },
            ),
        };
        let mut locations: Vec<Location> = ops.iter().map(|o| o.location.clone()).collect();
        locations.insert(0, at.clone());
        locations.dedup();
        out.push(
            Finding::new(
                RuleId::RoundTripInLoop,
                FindingSeverity::Warning,
                topic,
                subject,
                format!(
                    "{} makes {} once per item of the loop at {at}",
                    crate::render::words::entry_list(entries.iter().copied()),
                    calls.join(", then ")
                ),
            )
            .advice(format!(
                "⚠️ N+1: one round trip per item, against a budget of 1,000 per invocation; {}",
                instead(first)
            ))
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{D1, fetch, rows, wrangler};
    use crate::model::RuleId;

    const SCHEMA: &str = "CREATE TABLE features (id INTEGER PRIMARY KEY, name TEXT);\n";

    fn rows_for(body: &str) -> Vec<super::super::testing::Row> {
        rows(
            RuleId::RoundTripInLoop,
            &[
                (
                    "wrangler.toml",
                    &wrangler(&format!(
                        "{D1}[[kv_namespaces]]\nbinding = \"KV\"\nid = \"k\"\n"
                    )),
                ),
                ("migrations/0001.sql", SCHEMA),
                ("src/index.ts", &fetch(body)),
            ],
        )
    }

    #[test]
    fn fires_on_a_query_sent_per_item() {
        let rows = rows_for(
            "    const items: string[] = await request.json();\n    for (const name of items) {\n      await env.DB.prepare(\"INSERT INTO features (name) VALUES (?)\").bind(name).run();\n    }",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (features)");
        assert!(
            rows[0][1].starts_with(
                "fetch makes a D1 query on `features` once per item of the loop at src/index.ts:5"
            ),
            "{rows:?}"
        );
        assert!(rows[0][2].contains("`batch([…])`"), "{rows:?}");
    }

    #[test]
    fn fires_on_kv_reads_of_listed_keys_in_a_map() {
        let rows = rows_for(
            "    const listed = await env.KV.list({ prefix: \"link:\" });\n    const all = await Promise.all(listed.keys.map((k) => env.KV.get(k.name)));",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "KV (KV)");
        assert!(rows[0][1].contains("a KV read of `link:"), "{rows:?}");
    }

    #[test]
    fn stays_silent_for_batches_pages_and_literal_lists() {
        // Statements built per item and sent together.
        assert!(rows_for("    const items: string[] = await request.json();\n    await env.DB.batch(items.map((n) => env.DB.prepare(\"INSERT INTO features (name) VALUES (?)\").bind(n)));").is_empty());
        // Paging through a listing.
        assert!(rows_for("    let cursor: string | undefined;\n    do {\n      const page = await env.KV.list({ cursor });\n      cursor = page.list_complete ? undefined : page.cursor;\n    } while (cursor);").is_empty());
        // A fixed set of keys.
        assert!(
            rows_for("    for (const k of [\"a\", \"b\"]) {\n      await env.KV.delete(k);\n    }")
                .is_empty()
        );
        // A search that stops at the first match.
        assert!(rows_for("    const keys: string[] = await request.json();\n    for (const k of keys) {\n      const v = await env.KV.get(k);\n      if (v) break;\n    }").is_empty());
        // Retries up to a literal bound.
        assert!(
            rows_for(
                "    for (let i = 0; i < 3; i++) {\n      await env.KV.put(\"k\", \"v\");\n    }"
            )
            .is_empty()
        );
    }
}
