//! Randomized inputs (proptest) for the readers a checkout feeds: the SQL
//! splitter and front ends, the TypeScript extraction and the wrangler
//! reader. cargo-fuzz needs a nightly toolchain this project does not have,
//! so these run on stable in every `cargo test`.
//!
//! Each case is a token soup from the reader's own vocabulary, or a fixture
//! file with random cuts and splices, read through the whole pipeline
//! (sources → analysis → render) in memory. Properties: no panic, the
//! report renders, and the same input gives the same bytes twice.

use dmqa::scan::SourceFile;
use dmqa::sources::SourceKind;
use proptest::prelude::*;
use proptest::test_runner::Config;

const SQL_WORDS: &[&str] = &[
    "CREATE",
    "TABLE",
    "IF NOT EXISTS",
    "users",
    "orders",
    "(",
    ")",
    "id",
    "INTEGER",
    "TEXT",
    "PRIMARY KEY",
    "NOT NULL",
    "DEFAULT",
    "0",
    "'x'",
    ",",
    ";",
    ";",
    "'",
    "\"",
    "`",
    "[",
    "]",
    "--",
    "-- a comment\n",
    "/*",
    "*/",
    "\n",
    "\n\n",
    "$$",
    "$tag$",
    "BEGIN",
    "END",
    "CREATE TRIGGER",
    "CREATE INDEX",
    "CREATE UNIQUE INDEX",
    "idx",
    "ON",
    "REFERENCES",
    "FOREIGN KEY",
    "WITHOUT ROWID",
    "AUTOINCREMENT",
    "ATTACH DATABASE '/tmp/dmqa-randomized.db' AS other",
    "PRAGMA",
    "ALTER TABLE",
    "ADD COLUMN",
    "RENAME TO",
    "DROP TABLE",
    "serial",
    "timestamptz",
    "ENGINE=InnoDB",
    "AUTO_INCREMENT",
    "INDEX",
    "KEY",
    "CHECK",
    "(((((",
    ")))))",
    "é",
    "\u{0}",
    "\u{feff}",
    "\r\n",
    "--> statement-breakpoint",
    "DO $$ BEGIN END $$",
    "COMMENT ON TABLE",
    "IS",
    "VIEW",
    "AS",
    "SELECT",
    "*",
    "FROM",
    "WHERE",
    "=",
    "?",
];

const TS_WORDS: &[&str] = &[
    "export default {",
    "async fetch(request, env, ctx) {",
    "async queue(batch, env) {",
    "async scheduled(event, env) {",
    "}",
    "{",
    "(",
    ")",
    ";",
    ",",
    "\n",
    "`",
    "${",
    "'",
    "\"",
    "//",
    "/*",
    "*/",
    "/** A doc. */",
    "env.DB.prepare(",
    "\"SELECT * FROM users WHERE id = ?\"",
    "`INSERT INTO t (a) VALUES (?)`",
    ").bind(",
    "id",
    ").first()",
    "c.env.CACHE.put(",
    "\"user:\" +",
    "key",
    "{ expirationTtl: 60 }",
    "env.BUCKET.get(",
    "env.QUEUE.send(",
    "batch.queue",
    "switch",
    "case",
    "\"q\"",
    ":",
    "if",
    "else",
    "return",
    "await",
    "const",
    "let",
    "x",
    "=",
    "=>",
    "new",
    "class Room extends DurableObject {",
    "this.ctx.storage.put(",
    "this.ctx.storage.sql.exec(",
    "sqliteTable(",
    "pgTable(",
    "\"users\"",
    "text(\"name\")",
    "integer(\"id\").primaryKey()",
    ".references(() => users.id)",
    "import { drizzle } from \"drizzle-orm/d1\";",
    "import { Hono } from \"hono\";",
    "const app = new Hono();",
    "app.get(\"/a/:id\",",
    "async (c) =>",
    "c.req.param(\"id\")",
    "db.select().from(users).where(eq(users.id, id))",
    "interface Env {",
    "DB: D1Database;",
    "CACHE: KVNamespace;",
    "<",
    ">",
    "as",
    "env[",
    "]",
    "...",
    "é",
    "\u{0}",
];

const TOML_WORDS: &[&str] = &[
    "name = \"w\"",
    "main = \"src/index.ts\"",
    "[[d1_databases]]",
    "binding = \"DB\"",
    "database_name = \"db\"",
    "migrations_dir = \"nowhere\"",
    "[[kv_namespaces]]",
    "[[r2_buckets]]",
    "bucket_name = \"b\"",
    "[[queues.producers]]",
    "[[queues.consumers]]",
    "queue = \"q\"",
    "dead_letter_queue = \"dlq\"",
    "[durable_objects]",
    "bindings = [",
    "{ name = \"R\", class_name = \"Room\" }",
    "]",
    "[[migrations]]",
    "new_sqlite_classes = [\"Room\"]",
    "[env.staging]",
    "[triggers]",
    "crons = [\"0 3 * * *\"]",
    "\n",
    "=",
    "\"",
    "[",
    "[[",
    "{",
    "}",
    ",",
    "#",
    "é",
    "\u{0}",
];

const JSONC_WORDS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"name\"",
    "\"w\"",
    "\"d1_databases\"",
    "\"binding\"",
    "\"DB\"",
    "\"kv_namespaces\"",
    "\"queues\"",
    "\"producers\"",
    "\"consumers\"",
    "\"env\"",
    "\"staging\"",
    "// c\n",
    "/* c */",
    "\n",
    "\"",
    "1",
    "true",
    "null",
    "é",
];

/// A soup of `words`, sometimes glued without spaces.
fn soup(words: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(words), any::<bool>()), 0..max).prop_map(|v| {
        let mut s = String::new();
        for (w, space) in v {
            s.push_str(w);
            if space {
                s.push(' ');
            }
        }
        s
    })
}

/// `text` with random cuts (`None`) and splices of `words` at char boundaries.
fn mutated(text: &'static str, words: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            prop::option::of(prop::sample::select(words)),
        ),
        1..12,
    )
    .prop_map(move |edits| {
        let mut s = text.to_owned();
        for (at, word) in edits {
            let bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            let i = bounds[at.index(bounds.len())];
            match word {
                Some(w) => s.insert_str(i, w),
                None => {
                    let j = bounds[at
                        .index(bounds.len())
                        .saturating_add(7)
                        .min(bounds.len() - 1)];
                    s.replace_range(i..j.max(i), "");
                }
            }
        }
        s
    })
}

/// The report of `files`, read in memory.
fn report(files: &[SourceFile]) -> String {
    let mut model = dmqa::Model::default();
    dmqa::sources::extract(files, &mut model);
    dmqa::analysis::analyze(&mut model);
    dmqa::render::render(&model, None, false).expect("the report renders")
}

fn file(path: &str, kind: SourceKind, text: String) -> SourceFile {
    SourceFile::new(path, kind, text)
}

/// Reads `files` twice: no panic, and the same bytes both times.
fn reads_the_same_twice(files: Vec<SourceFile>) -> Result<(), TestCaseError> {
    let a = report(&files);
    let b = report(&files);
    prop_assert_eq!(a, b);
    Ok(())
}

/// `cases` per property; `PROPTEST_CASES=5000 cargo test --release --test it
/// randomized` explores further.
fn config(cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..Config::default()
    }
}

const MIGRATION: &str =
    include_str!("../../fixtures/codepush_d1/packages/api/migrations/0001_init.sql");
const WORKER: &str = include_str!("../../fixtures/codepush_d1/packages/api/src/routes/apps.ts");
const WRANGLER: &str = include_str!("../../fixtures/codepush_d1/packages/api/wrangler.toml");
const WRANGLER_JSONC: &str = include_str!("../../fixtures/waddle_chat/wrangler.jsonc");

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn sql_soup_never_breaks_the_splitter(sql in soup(SQL_WORDS, 300)) {
        // Every statement is a slice of the input, in order, at a real line.
        let mut last = 0;
        for st in dmqa::sources::sql::split::split(&sql) {
            let at = st.text.as_ptr() as usize - sql.as_ptr() as usize;
            prop_assert!(at >= last && at + st.text.len() <= sql.len());
            prop_assert!(st.line >= 1 && st.line as usize <= sql.lines().count().max(1) + 1);
            last = at + st.text.len();
        }
    }

    #[test]
    fn sql_soup_reads_through_every_engine(sql in soup(SQL_WORDS, 200)) {
        let wrangler = "name = \"w\"\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"d\"\n";
        reads_the_same_twice(vec![
            file("migrations/0001.sql", SourceKind::Sql, sql.clone()),
            file("pg/schema.sql", SourceKind::Sql, format!("{sql} serial timestamptz")),
            file("wrangler.toml", SourceKind::Wrangler, wrangler.to_owned()),
        ])?;
    }

    #[test]
    fn a_cut_and_spliced_migration_reads(sql in mutated(MIGRATION, SQL_WORDS)) {
        reads_the_same_twice(vec![
            file("migrations/0001_init.sql", SourceKind::Sql, sql),
            file("wrangler.jsonc", SourceKind::Wrangler, WRANGLER_JSONC.to_owned()),
        ])?;
    }

    #[test]
    fn typescript_soup_reads(ts in soup(TS_WORDS, 300)) {
        reads_the_same_twice(vec![
            file("src/index.ts", SourceKind::TypeScript, ts),
            file("wrangler.toml", SourceKind::Wrangler, WRANGLER.to_owned()),
        ])?;
    }

    #[test]
    fn a_cut_and_spliced_worker_reads(ts in mutated(WORKER, TS_WORDS)) {
        reads_the_same_twice(vec![
            file("src/index.ts", SourceKind::TypeScript, ts),
            file("wrangler.toml", SourceKind::Wrangler, WRANGLER.to_owned()),
        ])?;
    }

    #[test]
    fn wrangler_soup_reads(toml in soup(TOML_WORDS, 120), jsonc in soup(JSONC_WORDS, 120)) {
        reads_the_same_twice(vec![
            file("a/wrangler.toml", SourceKind::Wrangler, toml),
            file("b/wrangler.jsonc", SourceKind::Wrangler, jsonc),
            file("a/src/index.ts", SourceKind::TypeScript, WORKER.to_owned()),
        ])?;
    }

    #[test]
    fn a_cut_and_spliced_wrangler_config_reads(
        toml in mutated(WRANGLER, TOML_WORDS),
        jsonc in mutated(WRANGLER_JSONC, JSONC_WORDS),
    ) {
        reads_the_same_twice(vec![
            file("a/wrangler.toml", SourceKind::Wrangler, toml),
            file("b/wrangler.jsonc", SourceKind::Wrangler, jsonc),
        ])?;
    }
}
