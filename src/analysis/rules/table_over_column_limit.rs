//! `table-over-column-limit`: a D1 (or Durable Object SQLite) table with
//! more than 100 columns.
use crate::model::{
    DatabaseOrigin, Engine, Finding, FindingSeverity, Model, RuleId, Subject, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A D1 or Durable Object SQLite table with more than 100 columns.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A table of a D1 database, or of a Durable Object's SQLite storage, whose
schema (as its migrations or its code leave it) has more than 100 columns.

## Why it matters
D1 and Durable Object SQLite storage allow at most 100 columns per table:
the `CREATE TABLE` or the `ALTER TABLE … ADD COLUMN` that crosses the limit
fails, locally it may not.

## Example
A `settings` table with a column per option → move the options into a
key / value child table (`setting_values(owner_id, name, value)`) or one
JSON column.
";

/// The most columns a table may have.
const MAX_COLUMNS: usize = 100;

/// One finding per such table.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in &model.databases {
        let capped =
            db.engine == Engine::D1 || matches!(db.origin, DatabaseOrigin::DurableObject { .. });
        if !capped {
            continue;
        }
        for t in db.tables.iter().filter(|t| t.columns.len() > MAX_COLUMNS) {
            out.push(
                Finding::new(
                    RuleId::TableOverColumnLimit,
                    FindingSeverity::Error,
                    Topic::Ddl,
                    Subject::table(&t.name),
                    format!(
                        "`{}` has {} columns ({}): over the limit of {MAX_COLUMNS} per table",
                        t.name,
                        t.columns.len(),
                        t.location
                    ),
                )
                .advice(
                    "❌ Move columns into a child table (one row per name / value) or a JSON column: the statement crossing 100 columns fails on D1",
                )
                .at(vec![t.location.clone()]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{D1, rows, wrangler};
    use crate::model::RuleId;

    fn rows_for(n: usize) -> Vec<super::super::testing::Row> {
        let cols: Vec<String> = (0..n).map(|i| format!("c{i} TEXT")).collect();
        let sql = format!(
            "CREATE TABLE wide (id INTEGER PRIMARY KEY, {});\n",
            cols.join(", ")
        );
        rows(
            RuleId::TableOverColumnLimit,
            &[
                ("wrangler.toml", &wrangler(D1)),
                ("migrations/0001_init.sql", &sql),
            ],
        )
    }

    #[test]
    fn fires_over_one_hundred_columns() {
        let rows = rows_for(100);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0][1].starts_with("`wide` has 101 columns"), "{rows:?}");
    }

    #[test]
    fn stays_silent_at_one_hundred() {
        assert!(rows_for(99).is_empty());
    }
}
