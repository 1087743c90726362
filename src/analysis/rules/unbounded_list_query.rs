//! `unbounded-list-query`: a request or connection reads every row of a
//! table the code keeps inserting into.

use crate::model::{EntryPoint, Finding, FindingSeverity, Handler, Location, Model, QueryVerb};
use crate::model::{RuleId, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A request reads every row of a table the code keeps inserting into.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A `SELECT` with no `WHERE` and no `LIMIT` that an HTTP route, a `fetch`
handler or a Durable Object's start / connect / message handler runs, on a
table that code entry points insert rows into — a table that grows with
use, unlike a lookup table filled by a migration. Hand-written SQL only:
an ORM's conditional `.where(…)` is not read.

## Why it matters
Rows read (D1 bills each one), memory (128 MB per isolate) and the
response all grow with the table: a page that is instant with a hundred
rows times out with a million, and a Durable Object that loads its whole
history on start or on every connection slows down for as long as it
lives.

## Example
`SELECT * FROM customers` on `GET /api/customers` → `SELECT … FROM
customers WHERE id > ? ORDER BY id LIMIT 50` (a cursor), or the most
recent rows only.
";

/// Whether `e` runs for a client: a request, or a Durable Object's start,
/// connection or message.
fn serves_a_client(e: &EntryPoint) -> bool {
    e.is_request()
        || matches!(
            e.handler(),
            Some(Handler::Start | Handler::WebSocketConnect | Handler::WebSocketMessage)
        )
}

/// The entry points serving a client that run `op`: in a Durable Object,
/// its method when that is a runtime handler (`Chat.onStart`), else its
/// own entry points.
fn served(model: &Model, op: &crate::model::ResourceOp) -> Vec<EntryPoint> {
    if let (Some(class), Some(actor)) = (&op.durable_object, &op.actor) {
        return model
            .durable_objects
            .iter()
            .filter(|d| &d.class_name == class)
            .flat_map(|d| &d.methods)
            .filter(|m| &m.name == actor)
            .filter(|m| {
                m.handler
                    .is_some_and(|handler| serves_a_client(&EntryPoint::Handler { handler }))
            })
            .map(|m| EntryPoint::Function {
                name: format!("{class}.{}", m.name),
            })
            .collect();
    }
    op.entries
        .iter()
        .filter(|e| serves_a_client(e))
        .cloned()
        .collect()
}

/// One finding per (database, table, query).
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // Each query with its database, found once.
    let queries: Vec<(usize, &crate::model::ResourceOp)> = model
        .resource_ops
        .iter()
        .filter(|o| o.is_query())
        .filter_map(|op| Some((crate::analysis::database_of_op(model, op)?, op)))
        .collect();
    // (database, table) → the entry points inserting into it.
    let mut grows: BTreeMap<(usize, String), Vec<EntryPoint>> = BTreeMap::new();
    for &(db, op) in &queries {
        for q in &op.queries {
            // A Durable Object's own methods run for its clients.
            if q.operation.verb.inserts() && (!op.entries.is_empty() || op.durable_object.is_some())
            {
                let by = grows.entry((db, q.table.to_ascii_lowercase())).or_default();
                if let Some(class) = &op.durable_object {
                    let method = op.actor.as_deref().unwrap_or("-");
                    by.push(EntryPoint::Function {
                        name: format!("{class}.{method}"),
                    });
                } else {
                    by.extend(op.entries.iter().cloned());
                }
            }
        }
    }
    type Reads = (Vec<EntryPoint>, Vec<Location>);
    let mut found: BTreeMap<(usize, &str, &str), Reads> = BTreeMap::new();
    for &(db, op) in &queries {
        // The SQL an ORM builds is read without its conditional parts
        // (`.where(conditions)`): hand-written SQL only.
        if op.table_location.is_some() {
            continue;
        }
        let served = served(model, op);
        if served.is_empty() {
            continue;
        }
        for q in &op.queries {
            let upper = q.query.to_ascii_uppercase();
            if q.operation.verb != QueryVerb::List
                || !q.filter_columns.is_empty()
                || upper.contains("LIMIT")
                || upper.contains("WHERE")
            {
                continue;
            }
            if grows
                .get(&(db, q.table.to_ascii_lowercase()))
                .is_none_or(Vec::is_empty)
            {
                continue;
            }
            let e = found
                .entry((db, q.table.as_str(), q.query.as_str()))
                .or_default();
            e.0.extend(served.iter().cloned());
            e.1.push(op.location.clone());
        }
    }
    for ((db, table, _), (mut entries, mut locations)) in found {
        entries.sort();
        entries.dedup();
        let at = super::sort_first(&mut locations);
        let mut inserters: Vec<EntryPoint> = grows
            .get(&(db, table.to_ascii_lowercase()))
            .cloned()
            .unwrap_or_default();
        inserters.sort();
        inserters.dedup();
        out.push(
            Finding::new(
                RuleId::UnboundedListQuery,
                FindingSeverity::Warning,
                Topic::Queries,
                Subject::table(table),
                format!(
                    "{} reads every row of `{table}`, no WHERE and no LIMIT ({at}); {} inserts into it",
                    crate::render::words::entry_list(&entries),
                    crate::render::words::entry_list(&inserters)
                ),
            )
            .advice(
                "⚠️ Rows read, memory and the response grow with the table: page it (`WHERE id > ? ORDER BY id LIMIT ?`) or read only the most recent rows",
            )
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{D1, rows, wrangler};
    use crate::model::RuleId;

    const SCHEMA: &str = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE plans (id INTEGER PRIMARY KEY, name TEXT);\n";

    fn rows_for(code: &str) -> Vec<super::super::testing::Row> {
        rows(
            RuleId::UnboundedListQuery,
            &[
                ("wrangler.toml", &wrangler(D1)),
                ("migrations/0001.sql", SCHEMA),
                ("src/index.ts", code),
            ],
        )
    }

    const APP: &str = "import { Hono } from \"hono\";\nconst app = new Hono<{ Bindings: Env }>();\napp.post(\"/customers\", async (c) => {\n  await c.env.DB.prepare(\"INSERT INTO customers (name) VALUES (?)\").bind(\"a\").run();\n  return c.text(\"ok\");\n});\n";

    #[test]
    fn fires_on_reading_every_row_of_a_growing_table() {
        let code = format!(
            "{APP}app.get(\"/customers\", async (c) => {{\n  const {{ results }} = await c.env.DB.prepare(\"SELECT id, name FROM customers ORDER BY id\").all();\n  return c.json(results);\n}});\nexport default app;\n"
        );
        let rows = rows_for(&code);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (customers)");
        assert!(
            rows[0][1].starts_with(
                "GET /customers reads every row of `customers`, no WHERE and no LIMIT"
            ),
            "{rows:?}"
        );
        assert!(
            rows[0][1].ends_with("; POST /customers inserts into it"),
            "{rows:?}"
        );
    }

    #[test]
    fn fires_on_a_durable_object_loading_its_whole_history() {
        let code = "import { DurableObject } from \"cloudflare:workers\";\nexport class Chat extends DurableObject {\n  async fetch(request: Request) {\n    const all = this.ctx.storage.sql.exec(\"SELECT * FROM messages\").toArray();\n    return Response.json(all);\n  }\n  async webSocketMessage(ws: WebSocket, m: string) {\n    this.ctx.storage.sql.exec(\"CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, content TEXT)\");\n    this.ctx.storage.sql.exec(\"INSERT INTO messages (id, content) VALUES (?, ?)\", crypto.randomUUID(), m);\n  }\n}\nexport default { async fetch() { return new Response(\"ok\"); } };\n";
        let rows = rows(
            RuleId::UnboundedListQuery,
            &[
                (
                    "wrangler.toml",
                    &wrangler(
                        "[[durable_objects.bindings]]\nname = \"CHAT\"\nclass_name = \"Chat\"\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Chat\"]\n",
                    ),
                ),
                ("src/index.ts", code),
            ],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].starts_with("Chat.fetch reads every row of `messages`"),
            "{rows:?}"
        );
        assert!(
            rows[0][1].ends_with("; Chat.webSocketMessage inserts into it"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_for_pages_and_tables_code_never_inserts_into() {
        let code = format!(
            "{APP}app.get(\"/customers\", async (c) => {{\n  const a = await c.env.DB.prepare(\"SELECT id FROM customers ORDER BY id LIMIT 50\").all();\n  const b = await c.env.DB.prepare(\"SELECT id, name FROM plans\").all();\n  return c.json([a, b]);\n}});\nexport default app;\n"
        );
        assert!(rows_for(&code).is_empty());
    }
}
