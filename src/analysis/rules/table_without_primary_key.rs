//! `table-without-primary-key`: a table with no declared primary key.
use crate::model::{Finding, FindingSeverity, Model, RuleId, Subject, TableKind, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A table without a primary key.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
An ordinary table that declares no primary key.

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
    for db in model.databases.iter().filter(|d| d.schema_known()) {
        for t in db.tables.iter().filter(|t| t.kind == TableKind::Base) {
            if t.primary_key.is_empty() {
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
}
