//! `updated-at-never-set`: a "last modified" column that only its default
//! ever sets.

use crate::model::{Column, Finding, FindingSeverity, Location, Model, QueryVerb, RuleId};
use crate::model::{Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A last-modified column no UPDATE the code runs sets.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A column named like a modification time (`updated_at`, `updatedAt`,
`modified`, `modified_at`, `last_modified`, `last_updated`) with a default,
on a table the code updates, where none of those UPDATEs sets it — and no
trigger on the table, no ORM `$onUpdate` / `ON UPDATE` and no upsert
(which re-inserts the row) could. Checked only where every UPDATE's
columns are known.

## Why it matters
The column keeps the value its default gave it at insert: it always equals
the creation time, so anything that sorts, syncs or expires by it (\"changed
since\", caches, exports) silently works on wrong data.

## Example
`modified TEXT DEFAULT CURRENT_TIMESTAMP` and `UPDATE Meetings SET ended =
? WHERE id = ?` → `SET ended = ?, modified = CURRENT_TIMESTAMP`, or drop the
column.
";

/// Whether `name` reads as the time a row last changed.
fn is_modified_time(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        n.as_str(),
        "updatedat" | "modified" | "modifiedat" | "lastmodified" | "lastupdated" | "updatedon"
    )
}

/// Whether an ORM keeps it current (`$onUpdate`, MySQL `ON UPDATE`).
fn kept_by_orm(c: &Column) -> bool {
    c.comment
        .as_deref()
        .is_some_and(|n| n.to_ascii_lowercase().contains("on update"))
}

/// One finding per (database, table, column).
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // (database, table) → (columns any statement sets, may set anything,
    // re-inserts rows, where it is updated).
    type Writes = (Vec<String>, bool, Vec<Location>);
    let mut writes: BTreeMap<(usize, String), Writes> = BTreeMap::new();
    for op in model.resource_ops.iter().filter(|o| o.is_query()) {
        let Some(db) = crate::analysis::database_of_op(model, op) else {
            continue;
        };
        for q in &op.queries {
            let w = writes
                .entry((db, q.table.to_ascii_lowercase()))
                .or_default();
            match q.operation.verb {
                QueryVerb::Update => {
                    for c in &q.written_columns {
                        let c = c.rsplit('.').next().unwrap_or(c).trim_matches('"');
                        if c == "*" {
                            w.1 = true;
                        }
                        w.0.push(c.to_ascii_lowercase());
                    }
                    if q.written_columns.is_empty() {
                        w.1 = true;
                    }
                    w.2.push(op.location.clone());
                }
                QueryVerb::Upsert => w.1 = true,
                _ => {}
            }
        }
    }
    for ((db, table), (set, anything, mut locations)) in writes {
        if anything || locations.is_empty() {
            continue;
        }
        let Some(d) = model.databases.get(db) else {
            continue;
        };
        if !d.schema_known()
            || d.triggers
                .iter()
                .any(|t| t.table.eq_ignore_ascii_case(&table))
        {
            continue;
        }
        let Some(t) = crate::model::table_named(&d.tables, &table) else {
            continue;
        };
        let orm = crate::model::table_named(&d.orm_tables, &table);
        for c in t
            .columns
            .iter()
            .filter(|c| is_modified_time(&c.name) && c.default.is_some())
        {
            let orm_keeps = orm
                .and_then(|o| {
                    o.columns
                        .iter()
                        .find(|oc| oc.name.eq_ignore_ascii_case(&c.name))
                })
                .is_some_and(kept_by_orm);
            if kept_by_orm(c) || orm_keeps || set.contains(&c.name.to_ascii_lowercase()) {
                continue;
            }
            let at = super::sort_first(&mut locations);
            out.push(
                Finding::new(
                    RuleId::UpdatedAtNeverSet,
                    FindingSeverity::Warning,
                    Topic::Queries,
                    Subject::table(&t.name),
                    format!(
                        "`{}.{}` is set by its default at insert, and no UPDATE of the table sets it ({at})",
                        t.name, c.name
                    ),
                )
                .advice(format!(
                    "⚠️ It always equals the creation time: set `{} = CURRENT_TIMESTAMP` in each UPDATE (an ORM `$onUpdate`), or drop it",
                    c.name
                ))
                .at(locations.clone()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use crate::model::RuleId;

    const SCHEMA: &str = "CREATE TABLE meetings (id TEXT PRIMARY KEY, ended INTEGER, modified TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);\n";

    fn rows_for(schema: &str, sql: &str) -> Vec<testing::Row> {
        testing::d1_fetch_rows(RuleId::UpdatedAtNeverSet, schema, sql)
    }

    #[test]
    fn fires_when_no_update_sets_it() {
        let rows = rows_for(SCHEMA, "UPDATE meetings SET ended = 1 WHERE id = ?");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (meetings)");
        assert!(
            rows[0][1].starts_with("`meetings.modified` is set by its default at insert"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_an_update_or_a_trigger_sets_it() {
        assert!(
            rows_for(
                SCHEMA,
                "UPDATE meetings SET ended = 1, modified = CURRENT_TIMESTAMP WHERE id = ?"
            )
            .is_empty()
        );
        let with_trigger = format!(
            "{SCHEMA}CREATE TRIGGER touch AFTER UPDATE ON meetings BEGIN UPDATE meetings SET modified = CURRENT_TIMESTAMP WHERE id = NEW.id; END;\n"
        );
        assert!(rows_for(&with_trigger, "UPDATE meetings SET ended = 1 WHERE id = ?").is_empty());
        // Never updated: the insert time is the modification time.
        assert!(rows_for(SCHEMA, "SELECT * FROM meetings WHERE id = ?").is_empty());
    }
}
