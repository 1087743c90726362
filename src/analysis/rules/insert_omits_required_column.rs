//! `insert-omits-required-column`: an `INSERT` whose column list leaves out
//! a NOT NULL column that has no default.

use crate::model::{Finding, FindingSeverity, Model, RuleId, Subject, Topic};
use crate::model::{Location, Table};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "An INSERT that leaves out a NOT NULL column with no default.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
Hand-written SQL the code runs on a D1 / SQLite database (`INSERT INTO t
(a, b) VALUES (?, ?)`) whose column list leaves out a column the final
schema declares NOT NULL with no DEFAULT, that is not generated and not
the `INTEGER PRIMARY KEY` SQLite fills with the rowid. Checked only where
dmqa read the whole schema; ORM inserts are left alone (the ORM may fill
columns itself).

## Why it matters
SQLite fills a left-out column with its default, NULL when it has none, so
every such statement fails with `NOT NULL constraint failed` — with `INSERT
OR IGNORE` the row is skipped without an error. The route or the batch it
belongs to fails every time, typically after a migration added the column.

## Example
`subscription_ends_at TIMESTAMP NOT NULL` and `INSERT INTO
customer_subscriptions (customer_id, subscription_id, status)` → write
`subscription_ends_at` in the insert, or give the column a default.
";

/// Whether SQLite fills `column` of `table` when an insert leaves it out.
fn filled(table: &Table, column: &crate::model::Column) -> bool {
    let rowid_alias = !table.without_rowid
        && table.primary_key.len() == 1
        && table.primary_key[0].eq_ignore_ascii_case(&column.name)
        && column.sql_type.eq_ignore_ascii_case("INTEGER");
    column.nullable
        || column.default.is_some()
        || column.generated.is_some()
        || column.autoincrement
        || rowid_alias
}

/// One finding per (table, columns left out), with every insert doing it.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // (table, columns left out, skipped silently) → where.
    let mut found: BTreeMap<(&str, Vec<&str>, bool), Vec<Location>> = BTreeMap::new();
    for op in model.resource_ops.iter().filter(|o| o.is_query()) {
        // An ORM builds the column list and may fill columns itself.
        if op.table_location.is_some() {
            continue;
        }
        let Some(db) =
            crate::analysis::database_of_op(model, op).and_then(|i| model.databases.get(i))
        else {
            continue;
        };
        if !db.engine.is_sqlite() || !db.schema_known() || !db.uncreated.is_empty() {
            continue;
        }
        let sql = op.sql.as_deref().unwrap_or("").to_ascii_uppercase();
        let ignored = sql.contains("OR IGNORE");
        for q in &op.queries {
            if !q.operation.verb.inserts() || q.written_columns.is_empty() || q.tables.len() > 1 {
                continue;
            }
            let Some(t) = crate::model::table_named(&db.tables, &q.table) else {
                continue;
            };
            let written = |c: &str| {
                q.written_columns
                    .iter()
                    .any(|w| w.rsplit('.').next().unwrap_or(w).eq_ignore_ascii_case(c))
            };
            let left_out: Vec<&str> = t
                .columns
                .iter()
                .filter(|c| !filled(t, c) && !written(&c.name))
                .map(|c| c.name.as_str())
                .collect();
            if !left_out.is_empty() {
                found
                    .entry((t.name.as_str(), left_out, ignored))
                    .or_default()
                    .push(op.location.clone());
            }
        }
    }
    for ((table, columns, ignored), mut locations) in found {
        let at = super::sort_first(&mut locations);
        let names: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        let what = if ignored {
            "`INSERT OR IGNORE` skips every such row without an error"
        } else {
            "every such insert fails with `NOT NULL constraint failed`"
        };
        out.push(
            Finding::new(
                RuleId::InsertOmitsRequiredColumn,
                FindingSeverity::Error,
                Topic::Queries,
                Subject::table(table),
                format!(
                    "An insert into `{table}` ({at}) leaves out {}, NOT NULL with no default",
                    names.join(", ")
                ),
            )
            .advice(format!(
                "❌ Write {} in the insert or give it a default: {what}",
                names.join(", ")
            ))
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use crate::model::RuleId;

    const SCHEMA: &str = "CREATE TABLE subs (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'active', ends_at TIMESTAMP NOT NULL, note TEXT);\n";

    fn rows_for(sql: &str) -> Vec<testing::Row> {
        testing::d1_fetch_rows(RuleId::InsertOmitsRequiredColumn, SCHEMA, sql)
    }

    #[test]
    fn fires_on_an_insert_leaving_out_a_not_null_column_without_default() {
        let rows = rows_for("INSERT INTO subs (customer_id, status) VALUES (?, 'x')");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (subs)");
        assert!(rows[0][1].contains("leaves out `ends_at`"), "{rows:?}");
        assert!(
            rows[0][2].contains("NOT NULL constraint failed"),
            "{rows:?}"
        );
    }

    #[test]
    fn says_or_ignore_skips_the_row() {
        let rows = rows_for("INSERT OR IGNORE INTO subs (customer_id) VALUES (?)");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0][2].contains("skips every such row"), "{rows:?}");
    }

    #[test]
    fn stays_silent_when_every_required_column_is_written_or_filled() {
        // `id` is the rowid, `status` has a default, `note` is nullable.
        assert!(rows_for("INSERT INTO subs (customer_id, ends_at) VALUES (?, ?)").is_empty());
        // No column list: SQLite checks the value count itself.
        assert!(rows_for("INSERT INTO subs VALUES (?, ?, ?, ?, ?)").is_empty());
    }
}
