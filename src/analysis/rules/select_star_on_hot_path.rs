//! `select-star-on-hot-path`: `SELECT *` in code a request path runs.
use crate::model::{BindingKind, Finding, FindingSeverity, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "`SELECT *` on a request path.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A `SELECT *` query that an HTTP route or `fetch` handler runs, unless the
rows it returns are serialized whole (`Response.json(rows)`,
`JSON.stringify(results)`, `c.json(row)`): then every column is used.

## Why it matters
Every request reads and ships every column, including wide JSON and text
ones the handler never uses; adding a column silently makes the hot path
heavier, and no index can cover the query.

## Example
`SELECT * FROM apps WHERE id = ?` in `GET /v1/updates` →
`SELECT id, name, platform FROM apps WHERE id = ?`.
";

/// One finding per (table, query) read with `SELECT *` on a request path.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut seen: Vec<(String, String)> = Vec::new();
    for op in model
        .resource_ops
        .iter()
        // Drizzle's `db.select()` lists every column by design; this rule
        // is about SQL written with `*`.
        .filter(|o| o.kind == BindingKind::D1 && o.table_location.is_none())
    {
        let hot: Vec<&crate::model::EntryPoint> =
            op.entries.iter().filter(|e| e.is_request()).collect();
        if hot.is_empty() {
            continue;
        }
        // Rows serialized whole use every column they read.
        if op.rows_sent_whole {
            continue;
        }
        for q in op.queries.iter().filter(|q| q.select_star) {
            let key = (q.table.clone(), q.query.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let advice = "⚠️ Select only the columns the handler uses";
            out.push(
                Finding::new(
                    RuleId::SelectStarOnHotPath,
                    FindingSeverity::Warning,
                    Topic::Queries,
                    Subject::table(&q.table),
                    format!(
                        "`SELECT *` … `{}` on {} ({})",
                        q.query,
                        crate::render::words::entry_list(hot.iter().copied()),
                        op.location
                    ),
                )
                .advice(advice)
                .at(vec![op.location.clone()]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use crate::model::RuleId;

    const SCHEMA: &str = "CREATE TABLE apps (id TEXT PRIMARY KEY, name TEXT NOT NULL);\n";

    fn rows_for(sql: &str) -> Vec<testing::Row> {
        testing::d1_fetch_rows(RuleId::SelectStarOnHotPath, SCHEMA, sql)
    }

    fn rows_of(body: &str) -> Vec<testing::Row> {
        testing::rows(
            RuleId::SelectStarOnHotPath,
            &[
                ("wrangler.toml", &testing::wrangler(testing::D1)),
                ("migrations/0001.sql", SCHEMA),
                ("src/index.ts", &testing::fetch(body)),
            ],
        )
    }

    #[test]
    fn fires_on_select_star_in_a_fetch_handler() {
        let rows = rows_of(
            "    const app = await env.DB.prepare(\"SELECT * FROM apps WHERE id = ?\").bind(t).first();\n    if (!app) return new Response(\"no\");\n    return new Response(String(app.name));",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (apps)");
    }

    /// Rows serialized whole use every column: in place, through a local,
    /// or through a statement local and its `.all()`.
    #[test]
    fn stays_silent_when_the_rows_are_sent_whole() {
        assert!(rows_for("SELECT * FROM apps WHERE id = ?").is_empty());
        let via_statement = rows_of(
            "    const stmt = env.DB.prepare(\"SELECT * FROM apps LIMIT 3\");\n    const { results } = await stmt.all();\n    return new Response(JSON.stringify(results, null, 2));",
        );
        assert!(via_statement.is_empty(), "{via_statement:?}");
        let in_place = rows_of(
            "    return Response.json(await env.DB.prepare(\"SELECT * FROM apps\").all());",
        );
        assert!(in_place.is_empty(), "{in_place:?}");
    }

    /// Rows handed to a helper of the file inside the serializer: whole
    /// when the helper returns them (or their `.results`) as they are,
    /// not when it picks from them.
    #[test]
    fn a_helper_inside_the_serializer_is_read() {
        let rows_via = |helper: &str| {
            let code = format!(
                "{}\nfunction wrap(started, res) {{\n  return {{ ms: Date.now() - started, results: res.results }};\n}}\nfunction pick(started, res) {{\n  return res.results.map((r) => r.id);\n}}\n",
                testing::fetch(&format!(
                    "    const resp = await env.DB.prepare(\"SELECT * FROM apps\").all();\n    return Response.json({helper}(Date.now(), resp));"
                ))
            );
            testing::rows(
                RuleId::SelectStarOnHotPath,
                &[
                    ("wrangler.toml", &testing::wrangler(testing::D1)),
                    ("migrations/0001.sql", SCHEMA),
                    ("src/index.ts", &code),
                ],
            )
        };
        assert!(rows_via("wrap").is_empty(), "{:?}", rows_via("wrap"));
        assert_eq!(rows_via("pick").len(), 1, "{:?}", rows_via("pick"));
    }

    #[test]
    fn stays_silent_on_named_columns() {
        assert!(rows_for("SELECT id, name FROM apps WHERE id = ?").is_empty());
    }
}
