//! `rejected-ddl`: a migration statement SQLite (and so D1) rejects.
use crate::model::{Engine, Finding, FindingSeverity, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "DDL that SQLite, and so D1, rejects.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A statement in a D1 migration that SQLite refuses to run, such as
MySQL-style `INDEX name (cols)` lines inside `CREATE TABLE`.

## Why it matters
D1 is SQLite: `wrangler d1 migrations apply` stops at this statement, so
the migration never reaches production. dmqa still reads what it can (the
table and its indexes appear in the report) so the rest of the review is
not blocked.

## Example
`CREATE TABLE users (email TEXT, INDEX idx_email (email));` →
`CREATE TABLE users (email TEXT); CREATE INDEX idx_email ON users(email);`
";

/// One finding per rejected statement of a D1 database. Loose SQLite files
/// outside any D1 migrations folder only get warnings: they often depend
/// on tables another folder creates, and nothing deploys them as they are.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in model.databases.iter().filter(|d| d.engine == Engine::D1) {
        let engine = "D1";
        for r in db
            .rejected
            .iter()
            .filter(|r| !super::schema_change_outside_migrations::in_command(model, &r.location))
        {
            let (topic, subject) = match &r.table {
                Some(t) => (Topic::Ddl, Subject::table(t)),
                None => (Topic::Migration, Subject::Topic),
            };
            let (current, recommendation) = if r.offending.is_empty() {
                let more = match r.repeats {
                    0 => String::new(),
                    n => format!(" (and {n} more statements in this file)"),
                };
                let fix = if r.reason.contains("syntax error") {
                    format!("⚠️ {engine} rejects this statement; rewrite it in SQLite syntax")
                } else {
                    format!(
                        "⚠️ Applying this migration fails on {engine}; fix the statement or what it depends on"
                    )
                };
                (
                    format!("Statement at {} fails: {}{more}", r.location, r.reason),
                    fix,
                )
            } else {
                let items: Vec<String> = r.offending.iter().map(|o| format!("`{o}`")).collect();
                let fixes: Vec<String> = r.recovered.iter().map(|o| format!("`{o}`")).collect();
                (
                    format!(
                        "Inline {} in CREATE TABLE at {}",
                        items.join(", "),
                        r.location
                    ),
                    format!(
                        "⚠️ {engine} rejects inline INDEX; move each to its own statement: {}",
                        fixes.join(" ")
                    ),
                )
            };
            out.push(
                Finding::new(
                    RuleId::RejectedDdl,
                    FindingSeverity::Error,
                    topic,
                    subject,
                    current,
                )
                .advice(recommendation)
                .at(vec![r.location.clone()]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = testing::D1;

    fn rows_for(sql: &str) -> Vec<testing::Row> {
        rows(
            RuleId::RejectedDdl,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("migrations/0001.sql", sql),
            ],
        )
    }

    #[test]
    fn fires_on_an_inline_index_sqlite_refuses() {
        let rows = rows_for(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, INDEX idx_email (email));\n",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "DDL (users)");
        assert!(
            rows[0][2].contains("CREATE INDEX idx_email ON users(email)"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_on_sqlite_ddl() {
        assert!(
            rows_for(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nCREATE INDEX idx_email ON users(email);\n"
            )
            .is_empty()
        );
    }
}
