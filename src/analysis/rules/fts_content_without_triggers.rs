//! `fts-content-without-triggers`: a full-text index over another table's
//! rows (FTS5 / FTS4 `content='table'`) that no trigger keeps in step with
//! that table.

use crate::model::{
    Database, Finding, FindingSeverity, Model, QueryVerb, RuleId, Subject, Table, TableKind, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "An external-content FTS index that no trigger updates when its table changes.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A full-text table created with `USING fts5(…, content='posts')` (or FTS4)
reads its rows from `posts` but keeps its own index. SQLite updates that
index only when something writes it: the usual way is three triggers on
`posts` (`AFTER INSERT`, `AFTER DELETE`, `AFTER UPDATE`) that insert into
the index (the `'delete'` command for the old row, then the new row). The
rule reports each of the three statements no trigger of the schema covers;
an `AFTER` trigger that runs `DELETE FROM posts_fts …` does not cover it
(FTS then reads the old values from `posts`, where they are gone).
Only the statements the code runs on the table count (a schema no code of
the checkout queries says nothing). It stays silent when the code writes
the index itself, and when a trigger on the table could not be read.

## Why it matters
Without the `DELETE` and `UPDATE` triggers the index keeps the old words:
searches return rows that were deleted or no longer match, and a later
`'delete'` with values that differ from what was indexed can corrupt the
index. Without the `INSERT` trigger new rows are never found.

## Example
`CREATE VIRTUAL TABLE posts_fts USING fts5(title, content='posts',
content_rowid='id')` with only an insert trigger → add
`CREATE TRIGGER posts_ad AFTER DELETE ON posts BEGIN INSERT INTO
posts_fts(posts_fts, rowid, title) VALUES('delete', old.id, old.title); END;`
and the matching `AFTER UPDATE` trigger (a `'delete'` of the old row, then an
insert of the new one).
";

/// The statements that change the content table, in report order.
const EVENTS: [(QueryVerb, &str); 3] = [
    (QueryVerb::Insert, "INSERT"),
    (QueryVerb::Update, "UPDATE"),
    (QueryVerb::Delete, "DELETE"),
];

/// The statements on `content` the code runs that no trigger of `db`
/// writes `index` after; `None` when a trigger on it could not be read.
fn uncovered(db: &Database, index: &str, content: &Table) -> Option<Vec<&'static str>> {
    let runs = |verb: QueryVerb| {
        content.access_patterns.iter().any(|a| {
            a.operation.verb == verb
                || (verb == QueryVerb::Insert && a.operation.verb == QueryVerb::Upsert)
                || (verb == QueryVerb::Update && a.operation.verb == QueryVerb::Upsert)
        })
    };
    let content = content.name.as_str();
    let mut covered: Vec<QueryVerb> = Vec::new();
    for t in db
        .triggers
        .iter()
        .filter(|t| t.table.eq_ignore_ascii_case(content))
    {
        let effect = t.effect.as_ref()?;
        // After the row is gone or changed, the index is told with an
        // insert (the `'delete'` command, the new row); a `DELETE FROM
        // index` then reads the content table, which no longer holds the
        // old values.
        let names = |list: &[String]| list.iter().any(|w| w.eq_ignore_ascii_case(index));
        if names(&effect.inserts) || (effect.before && names(&effect.writes)) {
            covered.extend(&effect.events);
        }
    }
    Some(
        EVENTS
            .iter()
            .filter(|(verb, _)| !covered.contains(verb) && runs(*verb))
            .map(|(_, word)| *word)
            .collect(),
    )
}

/// Whether the code writes the index itself (`INSERT INTO posts_fts …`,
/// a `'rebuild'`): then it keeps it in step, or means to.
fn written_by_code(index: &Table) -> bool {
    index.access_patterns.iter().any(|a| {
        matches!(
            a.operation.verb,
            QueryVerb::Insert | QueryVerb::Upsert | QueryVerb::Update | QueryVerb::Delete
        )
    })
}

/// One finding per external-content index with statements left uncovered.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in &model.databases {
        for t in &db.tables {
            let TableKind::Virtual {
                module,
                content: Some(content),
            } = &t.kind
            else {
                continue;
            };
            let fts = module.eq_ignore_ascii_case("fts5") || module.eq_ignore_ascii_case("fts4");
            // `content=''` stores no rows: nothing to keep in step.
            if !fts || content.is_empty() || written_by_code(t) {
                continue;
            }
            let Some(source) = db
                .tables
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(content))
            else {
                continue;
            };
            let Some(missing) = uncovered(db, &t.name, source).filter(|m| !m.is_empty()) else {
                continue;
            };
            let changes: Vec<&str> = [("DELETE", "deleted"), ("UPDATE", "changed")]
                .iter()
                .filter(|(event, _)| missing.contains(event))
                .map(|(_, word)| *word)
                .collect();
            let mut stale = Vec::new();
            if !changes.is_empty() {
                stale.push(format!(
                    "searches return rows that were {} since",
                    changes.join(" or ")
                ));
            }
            if missing.contains(&"INSERT") {
                stale.push("new rows are never found".to_owned());
            }
            let stale = stale.join("; ");
            out.push(
                Finding::new(
                    RuleId::FtsContentWithoutTriggers,
                    FindingSeverity::Warning,
                    Topic::Ddl,
                    Subject::table(&t.name),
                    format!(
                        "`{}` indexes the rows of `{}` ({}), but no trigger updates it after {} on `{}`: {stale}",
                        t.name,
                        source.name,
                        t.location,
                        missing.join(", "),
                        source.name,
                    ),
                )
                .advice(format!(
                    "⚠️ Add `AFTER {}` trigger(s) on `{}` that write the change into `{}` (a `'delete'` of the old row, an insert of the new one)",
                    missing.join("` / `AFTER "),
                    source.name,
                    t.name
                ))
                .at(vec![t.location.clone(), source.location.clone()]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{D1, rows, wrangler};
    use crate::model::RuleId;

    const TABLES: &str = "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\n\
        CREATE VIRTUAL TABLE posts_fts USING fts5(title, content='posts', content_rowid='id');\n";

    const INSERT: &str = "CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN\n  INSERT INTO posts_fts(rowid, title) VALUES (new.id, new.title);\nEND;\n";
    const DELETE: &str = "CREATE TRIGGER IF NOT EXISTS posts_ad AFTER DELETE ON posts BEGIN\n  INSERT INTO posts_fts(posts_fts, rowid, title) VALUES ('delete', old.id, old.title);\nEND;\n";
    const UPDATE: &str = "CREATE TRIGGER posts_au AFTER UPDATE OF title ON posts BEGIN\n  INSERT INTO posts_fts(posts_fts, rowid, title) VALUES ('delete', old.id, old.title);\n  INSERT INTO posts_fts(rowid, title) VALUES (new.id, new.title);\nEND;\n";

    /// A route that inserts, updates and deletes posts.
    const CRUD: &str = "    await env.DB.prepare(\"INSERT INTO posts (id, title) VALUES (?, ?)\").bind(1, t).run();\n    await env.DB.prepare(\"UPDATE posts SET title = ? WHERE id = ?\").bind(t, 1).run();\n    await env.DB.prepare(\"DELETE FROM posts WHERE id = ?\").bind(1).run();";

    /// The rows for `schema` with a route running `code` (else [`CRUD`]).
    fn rows_for(schema: &str, code: Option<&str>) -> Vec<super::super::testing::Row> {
        let mut files = vec![
            ("wrangler.toml", wrangler(D1)),
            ("migrations/0001_init.sql", schema.to_owned()),
        ];
        files.push((
            "src/index.ts",
            super::super::testing::fetch(code.unwrap_or(CRUD)),
        ));
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        rows(RuleId::FtsContentWithoutTriggers, &files)
    }

    #[test]
    fn fires_for_the_statements_no_trigger_covers() {
        let rows = rows_for(&format!("{TABLES}{INSERT}"), None);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].contains("no trigger updates it after UPDATE, DELETE on `posts`"),
            "{rows:?}"
        );
        assert!(
            rows[0][1].ends_with("rows that were deleted or changed since"),
            "{rows:?}"
        );
        assert!(
            rows[0][2].contains("`AFTER UPDATE` / `AFTER DELETE`"),
            "{rows:?}"
        );
        // No trigger at all: all three.
        let rows = rows_for(TABLES, None);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].contains("after INSERT, UPDATE, DELETE"),
            "{rows:?}"
        );
        assert!(
            rows[0][1].ends_with("since; new rows are never found"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_triggers_cover_every_statement() {
        assert!(rows_for(&format!("{TABLES}{INSERT}{DELETE}{UPDATE}"), None).is_empty());
    }

    #[test]
    fn stays_silent_for_own_or_no_content_and_code_kept_indexes() {
        let own = "CREATE VIRTUAL TABLE notes_fts USING fts5(title, body);\n";
        assert!(rows_for(own, None).is_empty());
        let none = "CREATE VIRTUAL TABLE notes_fts USING fts5(title, content='');\n";
        assert!(rows_for(none, None).is_empty());
        // The code writes the index itself.
        let code = "    await env.DB.prepare(\"INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')\").run();";
        assert!(rows_for(TABLES, Some(code)).is_empty());
    }

    #[test]
    fn where_code_queries_only_the_statements_it_runs_count() {
        let code = "    await env.DB.prepare(\"DELETE FROM posts WHERE id = ?\").bind(1).run();";
        let rows = rows_for(&format!("{TABLES}{INSERT}"), Some(code));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0][1].contains("after DELETE on"), "{rows:?}");
        let code =
            "    await env.DB.prepare(\"SELECT id FROM posts WHERE id = ?\").bind(1).first();";
        assert!(rows_for(&format!("{TABLES}{INSERT}"), Some(code)).is_empty());
        // No code queries the database: nothing proven.
        let none = "    const schema_only = t;";
        assert!(rows_for(TABLES, Some(none)).is_empty());
    }

    /// `DELETE FROM posts_fts` after the row is gone cannot remove its
    /// words; before it, it can.
    #[test]
    fn a_delete_from_the_index_after_the_row_is_gone_does_not_count() {
        let after = "CREATE TRIGGER posts_ad AFTER DELETE ON posts BEGIN DELETE FROM posts_fts WHERE rowid = old.id; END;\n";
        let rows = rows_for(&format!("{TABLES}{INSERT}{UPDATE}{after}"), None);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0][1].contains("after DELETE on"), "{rows:?}");
        let before = after.replace("AFTER DELETE", "BEFORE DELETE");
        assert!(rows_for(&format!("{TABLES}{INSERT}{UPDATE}{before}"), None).is_empty());
    }

    #[test]
    fn a_trigger_writing_another_table_does_not_count() {
        let other = "CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT);\n\
            CREATE TRIGGER posts_audit AFTER DELETE ON posts BEGIN INSERT INTO audit(at) VALUES (datetime('now')); END;\n";
        let rows = rows_for(&format!("{TABLES}{INSERT}{UPDATE}{other}"), None);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0][1].contains("after DELETE on"), "{rows:?}");
    }
}
