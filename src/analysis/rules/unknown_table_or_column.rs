//! `unknown-table-or-column`: a query the code runs names a table or
//! column the schema of its database does not have.

use crate::model::{Finding, FindingSeverity, Model, RuleId, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A query naming a table or column its database does not have.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
SQL passed to D1 `prepare()` / `exec()` that reads or writes a table the
database's migrations never create, or (in a single-table statement) a
column its table does not have. Checked only for databases whose schema
dmqa read (migrations or code DDL), against the final schema.

## Why it matters
D1 compiles the statement when the request runs: the route fails with
`no such table` / `no such column` in production, typically after a
migration renamed or dropped what the code still uses.

## Example
`SELECT * FROM app WHERE id = ?` with migrations that create `apps` →
fix the query, or add the migration it expects.
";

/// One finding per (table, missing name), with every place using it.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // (table, current, the engine that fails it) → locations, so a name
    // used in many places is one row.
    let mut found: BTreeMap<(&str, String, &str), Vec<crate::model::Location>> = BTreeMap::new();
    for op in model.resource_ops.iter().filter(|o| o.is_query()) {
        let Some(db) =
            crate::analysis::database_of_op(model, op).and_then(|i| model.databases.get(i))
        else {
            continue;
        };
        // A partial history cannot tell what the database lacks.
        if db.tables.is_empty() || !db.schema_known() || !db.uncreated.is_empty() {
            continue;
        }
        let fails = db.engine.label();
        let creates = if db.origin == crate::model::DatabaseOrigin::Orm {
            "the schema does not declare"
        } else {
            "no migration creates"
        };
        let table = |name: &str| crate::model::table_named(&db.tables, name);
        let is_view = |name: &str| db.views.iter().any(|v| v.name.eq_ignore_ascii_case(name));
        for q in &op.queries {
            for name in &q.tables {
                let internal = name.starts_with("sqlite_") || name.starts_with("pragma_");
                if table(name).is_none() && !is_view(name) && !internal {
                    found
                        .entry((
                            name.as_str(),
                            format!("Code queries table `{name}`, which {creates}"),
                            fails,
                        ))
                        .or_default()
                        .push(op.location.clone());
                }
            }
            let [only] = q.tables.as_slice() else {
                continue;
            };
            let Some(t) = table(only) else { continue };
            // ORDER BY may name a select alias in hand-written SQL; the SQL
            // an ORM builds names columns only.
            let order: &[String] = if op.table_location.is_some() {
                &q.order_columns
            } else {
                &[]
            };
            for col in q
                .filter_columns
                .iter()
                .chain(&q.written_columns)
                .chain(order)
            {
                let col = col.rsplit('.').next().unwrap_or(col);
                let known = t.columns.iter().any(|c| c.name.eq_ignore_ascii_case(col))
                    || matches!(
                        col.to_ascii_lowercase().as_str(),
                        "rowid" | "oid" | "_rowid_"
                    );
                if !known {
                    found
                        .entry((
                            t.name.as_str(),
                            format!("`{}` has no column `{col}`, which code queries", t.name),
                            fails,
                        ))
                        .or_default()
                        .push(op.location.clone());
                }
            }
        }
    }
    for ((table, current, fails), mut locations) in found {
        let at = super::sort_first(&mut locations);
        let advice = format!(
            "⚠️ Fix the query or add the migration it expects: {fails} fails this statement at run time"
        );
        out.push(
            Finding::new(
                RuleId::UnknownTableOrColumn,
                FindingSeverity::Error,
                Topic::Queries,
                Subject::table(table),
                format!("{current} ({at})"),
            )
            .advice(advice)
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use crate::model::RuleId;

    const SCHEMA: &str = "CREATE TABLE apps (id TEXT PRIMARY KEY, name TEXT NOT NULL);\n";

    fn rows_for(sql: &str) -> Vec<testing::Row> {
        testing::d1_fetch_rows(RuleId::UnknownTableOrColumn, SCHEMA, sql)
    }

    #[test]
    fn fires_on_a_table_or_column_the_migrations_never_create() {
        let table = rows_for("SELECT id FROM app WHERE id = ?");
        assert_eq!(table.len(), 1, "{table:?}");
        assert_eq!(table[0][0], "Queries (app)");
        assert!(table[0][1].starts_with("Code queries table `app`, which no migration creates"));
        let column = rows_for("SELECT id FROM apps WHERE title = ?");
        assert_eq!(column.len(), 1, "{column:?}");
        assert!(
            column[0][1].starts_with("`apps` has no column `title`"),
            "{column:?}"
        );
    }

    #[test]
    fn stays_silent_on_what_the_schema_has() {
        assert!(rows_for("SELECT id, name FROM apps WHERE id = ?").is_empty());
    }
}
