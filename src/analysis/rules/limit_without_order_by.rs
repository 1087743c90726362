//! `limit-without-order-by`: a query that takes some rows with `LIMIT` /
//! `OFFSET` but does not say which.

use crate::model::{Finding, FindingSeverity, Location, Model, QueryVerb, RuleId, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A query taking rows with LIMIT or OFFSET and no ORDER BY.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A `SELECT` the code runs with `LIMIT n` (n > 1, or a parameter) or an
`OFFSET`, and no `ORDER BY`, that does not pin one row by `id`. `LIMIT 1`
alone (an existence check, any one row) is left alone, and so is a
function that deletes from the table it takes rows of (draining a work
table, any n rows will do). Hand-written SQL only: an ORM's conditional
`orderBy` is not read.

## Why it matters
Without `ORDER BY`, SQLite returns rows in whatever order its plan visits
them: which rows come back is unspecified and changes as rows are added,
deleted or an index appears. Pages taken with `LIMIT ? OFFSET ?` overlap
and skip rows.

## Example
`SELECT * FROM comments LIMIT 3` → `SELECT * FROM comments ORDER BY
created_at DESC, id DESC LIMIT 3`.
";

/// Whether the normalised `… LIMIT n [OFFSET m]` takes rows without
/// saying which: a limit other than 1, or an offset.
fn takes_some(query: &str) -> bool {
    let words: Vec<&str> = query.split_whitespace().collect();
    let after = |w: &str| {
        words
            .iter()
            .position(|x| x.eq_ignore_ascii_case(w))
            .and_then(|i| words.get(i + 1))
            .copied()
    };
    match after("LIMIT") {
        Some(n) => n.trim_end_matches(',') != "1" || after("OFFSET").is_some() || n.ends_with(','),
        None => false,
    }
}

/// One finding per (table, query).
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // A function that deletes from the table it takes rows of drains it:
    // any n rows will do.
    let drains: Vec<(String, &str)> = model
        .resource_ops
        .iter()
        .filter(|o| o.is_query())
        .flat_map(|o| {
            o.queries
                .iter()
                .filter(|q| q.operation.verb == QueryVerb::Delete)
                .map(move |q| (o.actor_label(), q.table.as_str()))
        })
        .collect();
    let mut found: BTreeMap<(&str, &str), Vec<Location>> = BTreeMap::new();
    // The SQL an ORM builds is read without its conditional parts
    // (`.orderBy(asc ? … : …)`): hand-written SQL only.
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.is_query() && o.table_location.is_none())
    {
        for q in &op.queries {
            if drains.contains(&(op.actor_label(), q.table.as_str())) {
                continue;
            }
            if !matches!(q.operation.verb, QueryVerb::List) || !q.order_columns.is_empty() {
                continue;
            }
            if takes_some(&q.query) && !q.query.to_ascii_uppercase().contains("ORDER BY") {
                found
                    .entry((q.table.as_str(), q.query.as_str()))
                    .or_default()
                    .push(op.location.clone());
            }
        }
    }
    for ((table, query), mut locations) in found {
        let at = super::sort_first(&mut locations);
        out.push(
            Finding::new(
                RuleId::LimitWithoutOrderBy,
                FindingSeverity::Warning,
                Topic::Queries,
                Subject::table(table),
                format!("`{query}` on `{table}` has no ORDER BY ({at})"),
            )
            .advice(
                "⚠️ Which rows come back is unspecified and changes as rows come and go (pages overlap or skip rows): add `ORDER BY` ending in a unique column",
            )
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use crate::model::RuleId;

    const SCHEMA: &str =
        "CREATE TABLE comments (id INTEGER PRIMARY KEY, author TEXT, created_at INTEGER);\n";

    fn rows_for(sql: &str) -> Vec<testing::Row> {
        testing::d1_fetch_rows(RuleId::LimitWithoutOrderBy, SCHEMA, sql)
    }

    #[test]
    fn fires_on_a_limit_or_offset_without_order() {
        let rows = rows_for("SELECT * FROM comments LIMIT 3");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (comments)");
        assert!(
            rows[0][1].starts_with("`LIMIT 3` on `comments` has no ORDER BY"),
            "{rows:?}"
        );
        assert_eq!(
            rows_for("SELECT * FROM comments WHERE author = ? LIMIT ? OFFSET ?").len(),
            1
        );
    }

    #[test]
    fn stays_silent_when_ordered_or_taking_any_one_row() {
        assert!(rows_for("SELECT * FROM comments ORDER BY id LIMIT 3").is_empty());
        assert!(rows_for("SELECT id FROM comments WHERE author = ? LIMIT 1").is_empty());
        assert!(rows_for("SELECT * FROM comments WHERE author = ?").is_empty());
    }

    #[test]
    fn stays_silent_when_the_function_drains_the_table() {
        let code = testing::fetch(
            "    const { results } = await env.DB.prepare(\"SELECT id FROM comments LIMIT 100\").all();\n    await env.DB.prepare(\"DELETE FROM comments WHERE id = ?\").bind(1).run();",
        );
        let rows = testing::rows(
            RuleId::LimitWithoutOrderBy,
            &[
                ("wrangler.toml", &testing::wrangler(testing::D1)),
                ("migrations/0001.sql", SCHEMA),
                ("src/index.ts", &code),
            ],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
