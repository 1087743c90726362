//! SQL schema files → databases.
//!
//! SQLite and D1 schemas are built by running the statements in the
//! [sandbox](crate::sandbox) and reading SQLite's catalog (`sqlite.rs`);
//! Postgres and MySQL schemas are built from sqlparser's AST (`ast.rs`).
//! Both start from the same statement splitter (`split.rs`), which keeps
//! line numbers and the comment above each statement.

mod ast;
mod head;
pub mod query;
pub mod split;
mod sqlite;
mod table_body;
mod tolerant;

use crate::model::{Database, Diagnostic, Engine};

/// One SQL file handed to a database builder.
#[derive(Debug, Clone, Copy)]
pub struct SqlInput<'a> {
    /// Repo-relative path.
    pub path: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// Builds the database `files` define, applied in the given order.
pub fn build(
    id: &str,
    engine: Engine,
    files: &[SqlInput<'_>],
    diags: &mut Vec<Diagnostic>,
) -> Database {
    if engine.is_sqlite() {
        sqlite::build(id, engine, files, diags)
    } else {
        ast::build(id, engine, files, diags)
    }
}

/// The `ALTER TABLE` statements of `sql`: (table, statement).
pub fn alters(sql: &str) -> Vec<(String, String)> {
    split::split(sql)
        .into_iter()
        .filter_map(|st| Some((head::altered_table(st.text)?, st.text.to_owned())))
        .collect()
}

/// Tables the statements of `files` (in order) alter, index or rename
/// before any of them creates it, lower case and sorted: a migration
/// history that starts after those tables were made elsewhere.
pub fn uncreated(files: &[SqlInput<'_>]) -> Vec<String> {
    use head::Head;
    let mut created: std::collections::BTreeSet<String> = Default::default();
    let mut missing: std::collections::BTreeSet<String> = Default::default();
    for f in files {
        for st in split::split(f.text) {
            let changed = match head::head(st.text) {
                Head::CreateTable { name } | Head::CreateVirtualTable { name, .. } => {
                    created.insert(name.to_ascii_lowercase());
                    None
                }
                Head::RenameTable { from, to } => {
                    created.insert(to.to_ascii_lowercase());
                    Some(from)
                }
                Head::CreateIndex { table, .. }
                | Head::AddColumn { table, .. }
                | Head::RenameColumn { table, .. } => Some(table),
                Head::Other => head::altered_table(st.text),
                _ => None,
            };
            if let Some(t) = changed.map(|t| t.to_ascii_lowercase())
                && !created.contains(&t)
            {
                missing.insert(t);
            }
        }
    }
    missing.into_iter().collect()
}

/// Words that only one engine's DDL uses, lower case.
const POSTGRES_SIGNS: &[&str] = &[
    "serial",
    "timestamptz",
    "jsonb",
    "gen_random_uuid",
    "uuid_generate_v4",
    "::",
    "$$",
    "create type",
    "create extension",
    "bytea",
    "create schema",
    "comment on",
    "with time zone",
    "now()",
];
const MYSQL_SIGNS: &[&str] = &[
    "auto_increment",
    "engine=",
    "engine =",
    "unsigned",
    "tinyint",
    "mediumtext",
    "longtext",
    "default charset",
    "on update current_timestamp",
];
const SQLITE_SIGNS: &[&str] = &[
    "autoincrement",
    "unixepoch",
    "without rowid",
    "strict",
    "pragma ",
    "datetime('now')",
    "integer primary key",
    "virtual table",
    "fts5",
];

/// Guesses the engine of SQL found outside any D1 migrations folder or
/// drizzle config. Counts engine-only words; SQLite wins ties, because
/// SQLite accepts the most and is what Workers projects mostly run.
pub fn guess_engine(text: &str) -> Engine {
    let lower = text.to_ascii_lowercase();
    let score = |signs: &[&str]| signs.iter().filter(|s| lower.contains(*s)).count();
    let (pg, my, lite) = (
        score(POSTGRES_SIGNS),
        score(MYSQL_SIGNS),
        score(SQLITE_SIGNS),
    );
    if pg > my && pg > lite {
        Engine::Postgres
    } else if my > pg && my > lite {
        Engine::MySql
    } else {
        Engine::Sqlite
    }
}

/// Whether SQL text is ClickHouse DDL: a table engine of the MergeTree
/// family (`ENGINE = ReplacingMergeTree()`), which no other engine has.
pub fn is_clickhouse(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("engine").any(|(i, _)| {
        let rest = lower[i + "engine".len()..].trim_start();
        rest.strip_prefix('=').is_some_and(|r| {
            r.trim_start()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .next()
                .is_some_and(|w| w.ends_with("mergetree"))
        })
    })
}

/// Whether SQL text creates or alters anything (a cheap look, not a parse).
pub fn defines_schema(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "create table",
        "create virtual table",
        "alter table",
        "create index",
        "create unique index",
        "create view",
        "create type",
    ]
    .iter()
    .any(|k| lower.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a history changes before creating it, whatever the dialect.
    #[test]
    fn tables_altered_before_they_are_created() {
        let sql = "CREATE TABLE a (id INT);\nALTER TABLE a ADD COLUMN b INT;\nALTER TABLE IF EXISTS ONLY \"public\".\"orders\" ADD CONSTRAINT fk FOREIGN KEY (x) REFERENCES a(id);\nCREATE INDEX i ON `Items` (x);\nALTER TABLE old RENAME TO fresh;\nALTER TABLE fresh ADD COLUMN c INT;\nCREATE TABLE later (id INT);\n";
        let got = uncreated(&[SqlInput {
            path: "m/0001.sql",
            text: sql,
        }]);
        assert_eq!(got, ["items", "old", "orders"]);
        let complete = "CREATE TABLE a (id INT);\nCREATE INDEX i ON a (id);\n";
        assert!(
            uncreated(&[SqlInput {
                path: "m/0001.sql",
                text: complete
            }])
            .is_empty()
        );
    }

    #[test]
    fn clickhouse_ddl_is_told_by_its_table_engine() {
        assert!(is_clickhouse(
            "CREATE TABLE t (a Int8) ENGINE = SummingMergeTree ()\nORDER BY (a);"
        ));
        assert!(is_clickhouse(
            "create table t (a String) engine=MergeTree order by a"
        ));
        assert!(!is_clickhouse("CREATE TABLE `a` (`id` int) ENGINE=InnoDB"));
        assert!(!is_clickhouse(
            "CREATE TABLE engine_runs (id INTEGER PRIMARY KEY)"
        ));
    }

    #[test]
    fn only_ddl_makes_a_schema() {
        assert!(defines_schema("-- x\ncreate TABLE a (id int);"));
        assert!(defines_schema("ALTER TABLE a ADD COLUMN b"));
        assert!(!defines_schema("SELECT * FROM users WHERE id = ?"));
    }

    #[test]
    fn guesses_the_engine_from_engine_only_words() {
        assert_eq!(
            guess_engine("CREATE TABLE a (id serial PRIMARY KEY, at timestamptz DEFAULT now())"),
            Engine::Postgres
        );
        assert_eq!(
            guess_engine("CREATE TABLE `a` (`id` int unsigned AUTO_INCREMENT) ENGINE=InnoDB"),
            Engine::MySql
        );
        assert_eq!(
            guess_engine("CREATE TABLE `a` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL);"),
            Engine::Sqlite
        );
        assert_eq!(guess_engine("CREATE TABLE a (b TEXT)"), Engine::Sqlite);
    }
}
