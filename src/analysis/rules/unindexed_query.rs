//! `unindexed-query`: a query on a request or message path that SQLite
//! answers by scanning a table or sorting in a temporary B-tree.

use crate::analysis::database_of_op;
use crate::analysis::planner::Planner;
use crate::model::{
    BindingKind, Engine, EntryPoint, Finding, FindingSeverity, Fix, HotQuery, Model, OpKind,
    RuleId, Subject, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A hot query SQLite answers with a scan or a temporary sort.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A query that an HTTP route, `fetch` or a queue consumer runs on a D1 /
SQLite database, whose `EXPLAIN QUERY PLAN` (on an in-memory copy of the
schema) scans the table (`SCAN t`) or sorts in a temporary B-tree (`USE
TEMP B-TREE FOR ORDER BY`). dmqa proposes the index on the columns the
query compares by equality, then its sort, then its ranges (`>`, `BETWEEN`,
`LIKE`), and reports it only when the plan with that index becomes a
`SEARCH` without the sort. On Postgres and MySQL, where dmqa runs no
planner, a filtered query on such a path whose table has no index (primary
key, unique constraint or index; on MySQL also a foreign key) leading with
one of the filtered columns.

## Why it matters
D1 bills and throttles by rows read: a scan reads the whole table on every
request, and a sort reads every matching row before the `LIMIT`.

## Example
`SELECT … FROM releases WHERE app_id = ? ORDER BY created_at DESC LIMIT 20`
→ `CREATE INDEX idx_releases_app_id_created_at ON releases(app_id, created_at);`
";

fn hot_query(query: &str, entries: &[&EntryPoint]) -> HotQuery {
    HotQuery {
        query: query.to_owned(),
        entries: entries.iter().map(|e| (*e).clone()).collect(),
    }
}

/// Postgres / MySQL: by index prefixes, no planner.
fn check_by_prefix(model: &Model, out: &mut Vec<Finding>, seen: &mut Vec<(String, String)>) {
    for op in model.resource_ops.iter().filter(|o| o.is_query()) {
        let entries = op.hot_entries();
        let Some(db) = database_of_op(model, op).map(|i| &model.databases[i]) else {
            continue;
        };
        if entries.is_empty() || db.engine.is_sqlite() || !db.indexes_known() {
            continue;
        }
        for q in &op.queries {
            let Some(t) = crate::model::table_named(&db.tables, &q.table) else {
                continue;
            };
            let filtered: Vec<String> = q
                .filter_columns
                .iter()
                .map(|c| c.rsplit('.').next().unwrap_or(c).to_owned())
                .filter(|c| t.columns.iter().any(|x| x.name.eq_ignore_ascii_case(c)))
                .collect();
            if filtered.is_empty() {
                continue;
            }
            let mut leading: Vec<&str> = t
                .indexes
                .iter()
                .filter_map(|i| i.columns.first().map(|c| c.name.as_str()))
                .collect();
            leading.extend(t.primary_key.first().map(String::as_str));
            if db.engine == Engine::MySql {
                leading.extend(
                    t.foreign_keys
                        .iter()
                        .filter_map(|f| f.columns.first().map(String::as_str)),
                );
            }
            if filtered
                .iter()
                .any(|c| leading.iter().any(|l| l.eq_ignore_ascii_case(c)))
            {
                continue;
            }
            let key = (t.name.clone(), q.query.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            out.push(
                Finding::new(
                    RuleId::UnindexedQuery,
                    FindingSeverity::Warning,
                    Topic::Indexes,
                    Subject::table(&t.name),
                    format!(
                        "`{}` on {}: no index of `{}` leads with {}",
                        q.query,
                        crate::render::words::entry_list(entries.iter().copied()),
                        t.name,
                        filtered.join(" or ")
                    ),
                )
                .fix(Fix::CreateIndex {
                    table: t.name.clone(),
                    columns: filtered.clone(),
                    plan: Vec::new(),
                })
                .query(hot_query(&q.query, &entries))
                .at(vec![op.location.clone()]),
            );
        }
    }
}

/// One finding per (table, query) an index would serve, confirmed by plan.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut planners: Vec<(usize, Option<Planner>)> = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.kind == BindingKind::D1 && o.op == OpKind::Query)
    {
        let entries = op.hot_entries();
        let (Some(sql), false) = (&op.sql, entries.is_empty()) else {
            continue;
        };
        let Some(db) = database_of_op(model, op) else {
            continue;
        };
        if !model.databases[db].engine.is_sqlite() || !model.databases[db].indexes_known() {
            continue;
        }
        if !planners.iter().any(|(i, _)| *i == db) {
            planners.push((db, Planner::new(&model.databases[db])));
        }
        let Some(Some(planner)) = planners.iter().find(|(i, _)| *i == db).map(|(_, p)| p) else {
            continue;
        };
        let Some(before) = planner.plan(sql) else {
            continue;
        };
        for q in &op.queries {
            let t = &q.table;
            let scan = before.iter().any(|d| d == &format!("SCAN {t}"));
            let sort = before
                .iter()
                .any(|d| d.contains("USE TEMP B-TREE FOR ORDER BY"));
            let scans_filtered = scan && !q.filter_columns.is_empty();
            let sorts_ordered = sort && !q.order_columns.is_empty();
            if !scans_filtered && !sorts_ordered {
                continue;
            }
            let key = (t.clone(), q.query.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            // Equality columns, then the sort, then the ranges: an index in
            // that order serves the filter and the ORDER BY both.
            let mut cols: Vec<String> = q
                .filter_columns
                .iter()
                .filter(|c| !q.range_columns.contains(c))
                .cloned()
                .collect();
            for c in q.order_columns.iter().chain(&q.range_columns) {
                if !cols.contains(c) {
                    cols.push(c.clone());
                }
            }
            let fix = Fix::CreateIndex {
                table: t.clone(),
                columns: cols,
                plan: Vec::new(),
            };
            // Try it on a fresh copy so one finding's index never hides another.
            let Some(trial) = Planner::new(&model.databases[db]) else {
                continue;
            };
            if !trial.add(&fix.sql()) {
                continue;
            }
            let Some(after) = trial.plan(sql) else {
                continue;
            };
            let still_scans = after.iter().any(|d| d == &format!("SCAN {t}"));
            let still_sorts = sort
                && after
                    .iter()
                    .any(|d| d.contains("USE TEMP B-TREE FOR ORDER BY"));
            let fixed = !still_scans && !still_sorts;
            if !fixed {
                continue;
            }
            let Fix::CreateIndex { table, columns, .. } = fix else {
                continue;
            };
            // What D1 bills the scan at: every row, each call.
            let cost = crate::model::table_named(&model.databases[db].tables, t)
                .and_then(|tb| tb.row_estimate.as_deref())
                .filter(|_| scan)
                .map(|est| format!(": each call reads every row of `{t}` (est. {est})"))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    RuleId::UnindexedQuery,
                    FindingSeverity::Warning,
                    Topic::Indexes,
                    Subject::table(t),
                    format!(
                        "`{}` on {}: plan `{}`{cost}",
                        q.query,
                        crate::render::words::entry_list(entries.iter().copied()),
                        before.join("; ")
                    ),
                )
                .fix(Fix::CreateIndex {
                    table,
                    columns,
                    plan: after,
                })
                .query(hot_query(&q.query, &entries))
                .at(vec![op.location.clone()]),
            );
        }
    }
    check_by_prefix(model, out, &mut seen);
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = testing::D1;
    const SCHEMA: &str = "CREATE TABLE releases (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, created_at INTEGER NOT NULL);\n";
    const CODE: &str = "export default {\n  async fetch(request: Request, env: Env) {\n    const r = await env.DB.prepare(\"SELECT id FROM releases WHERE app_id = ? ORDER BY created_at DESC LIMIT 20\").bind(\"a\").all();\n    return Response.json(r);\n  },\n};\n";

    fn rows_for(sql: &str) -> Vec<testing::Row> {
        rows(
            RuleId::UnindexedQuery,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("migrations/0001.sql", sql),
                ("src/index.ts", CODE),
            ],
        )
    }

    #[test]
    fn fires_on_a_hot_query_sqlite_answers_with_a_scan() {
        let rows = rows_for(SCHEMA);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Indexes (releases)");
        assert!(
            rows[0][2].starts_with(
                "⚠️ Add `CREATE INDEX idx_releases_app_id_created_at ON releases(app_id, created_at);` (plan then: `SEARCH releases"
            ),
            "{rows:?}"
        );
    }

    /// Equality, then sort, then range: `(app_id, created_at, version)`
    /// serves both the filter and the ORDER BY; `(app_id, version,
    /// created_at)` would still sort.
    #[test]
    fn the_index_puts_equality_then_sort_then_range() {
        let schema = "CREATE TABLE releases (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, version INTEGER, created_at INTEGER NOT NULL);\n";
        let code = testing::fetch(
            "    const r = await env.DB.prepare(\"SELECT id FROM releases WHERE app_id = ? AND version > ? ORDER BY created_at DESC LIMIT 20\").bind(t, 3).all();",
        );
        let rows = rows(
            RuleId::UnindexedQuery,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("migrations/0001.sql", schema),
                ("src/index.ts", &code),
            ],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][2].starts_with(
                "⚠️ Add `CREATE INDEX idx_releases_app_id_created_at_version ON releases(app_id, created_at, version);`"
            ),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_an_index_serves_it() {
        let sql = format!("{SCHEMA}CREATE INDEX idx_r ON releases(app_id, created_at);\n");
        assert!(rows_for(&sql).is_empty());
    }
}
