//! `table-without-primary-key`: a table with no declared primary key.
use crate::model::{
    Finding, FindingSeverity, Model, QueryVerb, RuleId, Subject, Table, TableKind, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A table without a primary key.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
An ordinary table that declares no primary key. Left alone: a table whose
rows a UNIQUE index on NOT NULL columns identifies (a natural key in all
but name), and a single-row table the code empties before each insert and
never reads or changes by a column.

## Why it matters
Rows have no stable identity to update, delete or reference by; duplicates
creep in, and tools that sync or replicate tables need a key.

## Example
`CREATE TABLE device_pings (device_id TEXT, pinged_at INTEGER)` → add an
`id INTEGER PRIMARY KEY`, or a composite key such as
`PRIMARY KEY (device_id, pinged_at)`.
";

/// One finding per ordinary table without a primary key.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in model.databases.iter().filter(|d| d.indexes_known()) {
        for t in db.tables.iter().filter(|t| t.kind == TableKind::Base) {
            if t.primary_key.is_empty() && !natural_key(t) && !single_row(t) {
                let advice = "⚠️ Declare a primary key (a surrogate `id` or a composite of the columns that identify a row)";
                out.push(
                    Finding::new(
                        RuleId::TableWithoutPrimaryKey,
                        FindingSeverity::Warning,
                        Topic::Keys,
                        Subject::table(&t.name),
                        format!("`{}` has no primary key ({})", t.name, t.location),
                    )
                    .advice(advice)
                    .at(vec![t.location.clone()]),
                );
            }
        }
    }
}

/// A UNIQUE index over NOT NULL columns identifies each row.
fn natural_key(t: &Table) -> bool {
    t.indexes.iter().any(|i| {
        i.unique
            && i.partial.is_none()
            && !i.columns.is_empty()
            && i.columns.iter().all(|c| {
                t.columns
                    .iter()
                    .any(|col| col.name.eq_ignore_ascii_case(&c.name) && !col.nullable)
            })
    })
}

/// The code deletes every row and never addresses one by a column: at
/// most one row at a time (`DELETE FROM counter` then `INSERT`).
fn single_row(t: &Table) -> bool {
    let ops = &t.access_patterns;
    ops.iter()
        .any(|a| a.operation.verb == QueryVerb::Delete && a.operation.by.is_empty())
        && ops.iter().any(|a| a.operation.verb == QueryVerb::Insert)
        && ops.iter().all(|a| a.operation.by.is_empty())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = testing::D1;

    #[test]
    fn fires_on_a_table_without_a_primary_key() {
        let rows = rows(
            RuleId::TableWithoutPrimaryKey,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                (
                    "migrations/0001_hits.sql",
                    "CREATE TABLE hits (path TEXT, at INTEGER);\n",
                ),
            ],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Keys (hits)");
        assert!(
            rows[0][1].starts_with("`hits` has no primary key"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_every_table_has_one() {
        let rows = rows(
            RuleId::TableWithoutPrimaryKey,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                (
                    "migrations/0001_hits.sql",
                    "CREATE TABLE hits (id INTEGER PRIMARY KEY, path TEXT);\n",
                ),
            ],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    /// A UNIQUE index on NOT NULL columns is a key; on a nullable column
    /// it is not (SQLite lets many rows hold NULL).
    #[test]
    fn a_unique_not_null_index_is_a_key() {
        let with = |ddl: &str| {
            rows(
                RuleId::TableWithoutPrimaryKey,
                &[
                    ("wrangler.toml", &wrangler(WRANGLER)),
                    ("migrations/0001_tags.sql", ddl),
                ],
            )
        };
        let keyed = with(
            "CREATE TABLE tags (tag TEXT NOT NULL);\nCREATE UNIQUE INDEX tag_index ON tags (tag);\n",
        );
        assert!(keyed.is_empty(), "{keyed:?}");
        let nullable =
            with("CREATE TABLE tags (tag TEXT);\nCREATE UNIQUE INDEX tag_index ON tags (tag);\n");
        assert_eq!(nullable.len(), 1, "{nullable:?}");
    }

    /// A table the code empties before each insert holds one row; one it
    /// also reads by a column is an ordinary table.
    #[test]
    fn a_single_row_table_needs_no_key() {
        let with = |body: &str| {
            rows(
                RuleId::TableWithoutPrimaryKey,
                &[
                    ("wrangler.toml", &wrangler(WRANGLER)),
                    (
                        "migrations/0001_counter.sql",
                        "CREATE TABLE counter (value INTEGER);\n",
                    ),
                    ("src/index.ts", &testing::fetch(body)),
                ],
            )
        };
        let single = with(
            "    await env.DB.prepare(\"DELETE FROM counter\").run();\n    await env.DB.prepare(\"INSERT INTO counter (value) VALUES (?)\").bind(1).run();\n    await env.DB.prepare(\"SELECT value FROM counter LIMIT 1\").first();",
        );
        assert!(single.is_empty(), "{single:?}");
        let many = with(
            "    await env.DB.prepare(\"DELETE FROM counter\").run();\n    await env.DB.prepare(\"INSERT INTO counter (value) VALUES (?)\").bind(1).run();\n    await env.DB.prepare(\"SELECT value FROM counter WHERE value > ?\").bind(1).all();",
        );
        assert_eq!(many.len(), 1, "{many:?}");
    }
}
