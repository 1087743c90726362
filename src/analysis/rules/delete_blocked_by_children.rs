//! `delete-blocked-by-children`: a request deletes rows of a D1 table that
//! another table's foreign key references with no `ON DELETE` action, and
//! no code removes or re-points those child rows.

use crate::model::{
    AccessPattern, Engine, Finding, FindingSeverity, ForeignKey, Invoker, Model, QueryVerb, RuleId,
    Subject, Table, Topic,
};
use crate::render::words;

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "A request deletes D1 rows that child rows reference with no ON DELETE action.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A `DELETE` on a D1 table, run on a request path, where another table has
a foreign key to it with no `ON DELETE` action (`NO ACTION`, the default),
whose rows the code inserts, and no query the code runs deletes from that
child table or updates its key columns. `ON DELETE RESTRICT`, written out,
is taken as meant.

## Why it matters
D1 enforces foreign keys on every statement. Deleting a row that child
rows still point at fails with `FOREIGN KEY constraint failed`: the request
errors for exactly the rows that have children, which tests with empty
tables do not see.

## Example
`DELETE FROM projects WHERE id = ?` on `DELETE /projects/:id` while
`tasks.project_id REFERENCES projects(id)` → declare `ON DELETE CASCADE`
(or `SET NULL`) on `tasks.project_id`, or delete the project's tasks first
in the same `batch()`.
";

/// Whether a query changes the child's rows so that they stop pointing at
/// the parent: a delete, or an update setting one of the key's columns.
fn clears(a: &AccessPattern, fk: &ForeignKey) -> bool {
    match a.operation.verb {
        QueryVerb::Delete => true,
        QueryVerb::Update | QueryVerb::Upsert => a
            .operation
            .sets
            .iter()
            .any(|s| fk.columns.iter().any(|c| c.eq_ignore_ascii_case(s))),
        _ => false,
    }
}

/// The foreign keys of `db`'s tables to `parent` that block its deletes,
/// with their tables: no action, child rows the code writes, and no code
/// clearing them.
fn blocking<'m>(tables: &'m [Table], parent: &Table) -> Vec<(&'m Table, &'m ForeignKey)> {
    let mut out = Vec::new();
    for child in tables {
        // A child the code never inserts into holds no row to block with,
        // as far as the code shows.
        let written = child
            .access_patterns
            .iter()
            .any(|a| a.operation.verb.inserts());
        if !written {
            continue;
        }
        for fk in &child.foreign_keys {
            let no_action = fk
                .on_delete
                .as_deref()
                .is_none_or(|a| a.eq_ignore_ascii_case("NO ACTION"));
            if !fk.ref_table.eq_ignore_ascii_case(&parent.name)
                || !no_action
                || child.access_patterns.iter().any(|a| clears(a, fk))
            {
                continue;
            }
            out.push((child, fk));
        }
    }
    out
}

/// One finding per parent table a request deletes from.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in model.databases.iter().filter(|d| d.engine == Engine::D1) {
        for parent in &db.tables {
            let on_request = |a: &&AccessPattern| {
                a.operation.verb == QueryVerb::Delete
                    && a.frequency
                        .iter()
                        .any(|r| matches!(r.invoker, Invoker::Request { .. }))
            };
            let Some(delete) = parent.access_patterns.iter().find(on_request) else {
                continue;
            };
            let children = blocking(&db.tables, parent);
            if children.is_empty() {
                continue;
            }
            let keys: Vec<String> = children
                .iter()
                .map(|(t, fk)| format!("`{}({})` ({})", t.name, fk.columns.join(", "), fk.location))
                .collect();
            let names: Vec<String> = children
                .iter()
                .map(|(t, _)| format!("`{}`", t.name))
                .collect();
            let mut at = delete.sources.clone();
            at.extend(children.iter().map(|(_, fk)| fk.location.clone()));
            out.push(
                Finding::new(
                    RuleId::DeleteBlockedByChildren,
                    FindingSeverity::Warning,
                    Topic::Queries,
                    Subject::table(&parent.name),
                    format!(
                        "`DELETE` … `{}` on {} fails with `FOREIGN KEY constraint failed` while rows of {} point at the row: {} {} no `ON DELETE` action and no query deletes them",
                        delete.query,
                        words::triggers(&delete.frequency),
                        names.join(", "),
                        keys.join(", "),
                        if keys.len() == 1 { "declares" } else { "declare" },
                    ),
                )
                .advice(format!(
                    "⚠️ Declare `ON DELETE CASCADE` (or `SET NULL`) on {}, or delete the child rows first in the same `batch()`",
                    keys.iter()
                        .map(|k| k.split(" (").next().unwrap_or(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .at(at),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, D1, rows, wrangler};
    use crate::model::RuleId;

    const SCHEMA: &str = "CREATE TABLE projects (id TEXT PRIMARY KEY, name TEXT);\n\
        CREATE TABLE tasks (id TEXT PRIMARY KEY, project_id TEXT REFERENCES projects(id), title TEXT);\n";

    fn rows_for(schema: &str, body: &str) -> Vec<testing::Row> {
        rows(
            RuleId::DeleteBlockedByChildren,
            &[
                ("wrangler.toml", &wrangler(D1)),
                ("migrations/0001.sql", schema),
                ("src/index.ts", &testing::fetch(body)),
            ],
        )
    }

    const DELETE: &str = "    await env.DB.prepare(\"INSERT INTO tasks (id, project_id) VALUES (?, ?)\").bind(t, t).run();\n    await env.DB.prepare(\"DELETE FROM projects WHERE id = ?\").bind(t).run();";

    #[test]
    fn fires_when_a_request_deletes_a_referenced_parent() {
        let rows = rows_for(SCHEMA, DELETE);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (projects)");
        assert!(
            rows[0][1].starts_with("`DELETE` … `WHERE id = ?` on fetch fails with `FOREIGN KEY constraint failed` while rows of `tasks` point at the row: `tasks(project_id)` (migrations/0001.sql:2)"),
            "{rows:?}"
        );
        assert!(
            rows[0][2].contains("`ON DELETE CASCADE` (or `SET NULL`) on `tasks(project_id)`,"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_with_an_action_or_children_cleared_by_code() {
        let cascade = SCHEMA.replace("projects(id)", "projects(id) ON DELETE CASCADE");
        assert!(rows_for(&cascade, DELETE).is_empty());
        let restrict = SCHEMA.replace("projects(id)", "projects(id) ON DELETE RESTRICT");
        assert!(rows_for(&restrict, DELETE).is_empty());
        let first = format!(
            "    await env.DB.prepare(\"DELETE FROM tasks WHERE project_id = ?\").bind(t).run();\n{DELETE}"
        );
        assert!(rows_for(SCHEMA, &first).is_empty());
        let detach = format!(
            "    await env.DB.prepare(\"UPDATE tasks SET project_id = NULL WHERE project_id = ?\").bind(t).run();\n{DELETE}"
        );
        assert!(rows_for(SCHEMA, &detach).is_empty());
    }

    #[test]
    fn stays_silent_for_a_child_the_code_never_writes() {
        let only_delete =
            "    await env.DB.prepare(\"DELETE FROM projects WHERE id = ?\").bind(t).run();";
        assert!(rows_for(SCHEMA, only_delete).is_empty());
    }

    #[test]
    fn stays_silent_when_nothing_on_a_request_deletes_the_parent() {
        let soft = "    await env.DB.prepare(\"UPDATE projects SET name = NULL WHERE id = ?\").bind(t).run();";
        assert!(rows_for(SCHEMA, soft).is_empty());
        let child_only =
            "    await env.DB.prepare(\"DELETE FROM tasks WHERE id = ?\").bind(t).run();";
        assert!(rows_for(SCHEMA, child_only).is_empty());
    }
}
