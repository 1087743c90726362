//! `drop-table-cascades`: a D1 migration drops a table other tables
//! reference with `ON DELETE CASCADE` / `SET NULL` / `SET DEFAULT`.

use crate::model::{Engine, Finding, FindingSeverity, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "A D1 migration drops a table whose children's ON DELETE action then runs on every row.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A `DROP TABLE t` in a D1 migration while other tables have foreign keys to
`t` with `ON DELETE CASCADE`, `SET NULL` or `SET DEFAULT` — typically the
table rebuild drizzle-kit writes for SQLite (`PRAGMA foreign_keys=OFF`,
`CREATE TABLE __new_t`, copy, `DROP TABLE t`, `ALTER TABLE __new_t RENAME
TO t`).

## Why it matters
SQLite drops a table by first deleting its rows, which runs the ON DELETE
action of every foreign key that references it. D1 keeps foreign keys on
inside a migration (it runs in a transaction, where `PRAGMA
foreign_keys=OFF` does nothing), so the rebuild deletes every child row
(`CASCADE`) or clears every reference (`SET NULL`). The migration succeeds
and the data is gone.

## Example
`DROP TABLE users` with `sessions.user_id REFERENCES users ON DELETE
CASCADE` → copy `sessions` aside before the drop and restore it after the
rename (or rebuild `sessions` after `users`), and try the migration on an
export of the production data first.
";

/// One finding per such `DROP TABLE`.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in model.databases.iter().filter(|d| d.engine == Engine::D1) {
        for d in &db.cascading_drops {
            let effects: Vec<String> = d
                .children
                .iter()
                .map(|(child, action)| match action.as_str() {
                    "CASCADE" => format!("deletes every row of `{child}` (ON DELETE CASCADE)"),
                    other => format!("rewrites every reference in `{child}` (ON DELETE {other})"),
                })
                .collect();
            let pragma = if d.foreign_keys_off {
                ", though the file turns foreign keys off: D1 ignores `PRAGMA foreign_keys=OFF` inside a migration"
            } else {
                ""
            };
            out.push(
                Finding::new(
                    RuleId::DropTableCascades,
                    FindingSeverity::Error,
                    Topic::Migration,
                    Subject::table(&d.table),
                    format!(
                        "`DROP TABLE {}` ({}) {}{pragma}",
                        d.table,
                        d.location,
                        effects.join(" and ")
                    ),
                )
                .advice("❌ Keep the children's rows across the rebuild (copy them aside and back, or rebuild them after the parent) and try the migration on an export of the data first")
                .at(vec![d.location.clone()]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{D1, rows, wrangler};
    use crate::model::RuleId;

    const BASE: &str = "CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT);\nCREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE);\n";

    fn rows_for(rebuild: &str) -> Vec<super::super::testing::Row> {
        rows(
            RuleId::DropTableCascades,
            &[
                ("wrangler.toml", &wrangler(D1)),
                ("migrations/0001_init.sql", BASE),
                ("migrations/0002_rebuild.sql", rebuild),
                (
                    "src/index.ts",
                    "export default { async fetch() { return new Response(\"ok\"); } };\n",
                ),
            ],
        )
    }

    const REBUILD: &str = "PRAGMA foreign_keys=OFF;\nCREATE TABLE __new_users (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\nINSERT INTO __new_users SELECT id, coalesce(name, '') FROM users;\nDROP TABLE users;\nALTER TABLE __new_users RENAME TO users;\nPRAGMA foreign_keys=ON;\n";

    #[test]
    fn fires_on_a_rebuild_of_a_parent_with_cascading_children() {
        let rows = rows_for(REBUILD);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Migration (users)");
        assert!(
            rows[0][1].starts_with("`DROP TABLE users` (migrations/0002_rebuild.sql:4) deletes every row of `sessions` (ON DELETE CASCADE), though the file turns foreign keys off"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_for_a_table_nothing_references_with_an_action() {
        assert!(rows_for("DROP TABLE sessions;\n").is_empty());
        let plain = "CREATE TABLE tags (id TEXT PRIMARY KEY);\nCREATE TABLE notes (id TEXT PRIMARY KEY, tag TEXT REFERENCES tags(id));\nDROP TABLE notes;\n";
        assert!(rows_for(plain).is_empty());
    }
}
