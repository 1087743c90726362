//! Readers: each turns one kind of source file into model facts plus
//! diagnostics, and never fails.
//!
//! This module owns the list of source kinds, the dispatch from files to
//! readers, and which SQL files make up which database (a D1 binding's
//! `migrations_dir` claims its folder; other SQL is grouped by folder and
//! its engine guessed from its content).

pub mod rust;
pub mod sql;
pub mod typescript;
pub mod wrangler;

use crate::model::{
    BindingKind, DatabaseBinding, DatabaseOrigin, Diagnostic, DrizzleConfig, Engine, Model,
    StateItem, Worker,
};
use crate::scan::SourceFile;
use serde::Serialize;
use std::collections::BTreeMap;

/// What kind of source a file is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum SourceKind {
    /// `wrangler.toml`, `wrangler.json`, `wrangler.jsonc`.
    Wrangler,
    /// `*.sql`.
    Sql,
    /// `*.ts`, `*.tsx`, `*.mts`, `*.cts`, `*.js`, `*.mjs`, `*.cjs`, `*.jsx`.
    TypeScript,
    /// `*.rs`.
    Rust,
    /// `tsconfig.json` (path aliases).
    TsConfig,
    /// drizzle-kit's `meta/_journal.json` (migration order).
    DrizzleJournal,
}

impl SourceKind {
    /// Classifies a file by its name; `None` for files no reader wants.
    pub fn classify(file_name: &str) -> Option<SourceKind> {
        match file_name {
            "wrangler.toml" | "wrangler.json" | "wrangler.jsonc" => {
                return Some(SourceKind::Wrangler);
            }
            "tsconfig.json" => return Some(SourceKind::TsConfig),
            "_journal.json" => return Some(SourceKind::DrizzleJournal),
            _ => {}
        }
        let ext = file_name.rsplit_once('.')?.1;
        match ext {
            "sql" => Some(SourceKind::Sql),
            // Declaration files too: `worker-configuration.d.ts` (what
            // `wrangler types` writes) is often the only place binding
            // kinds are declared.
            "ts" | "tsx" | "mts" | "cts" | "js" | "mjs" | "cjs" | "jsx" => {
                Some(SourceKind::TypeScript)
            }
            "rs" => Some(SourceKind::Rust),
            _ => None,
        }
    }

    /// Whether a reader consumes this kind (all do now; the flag stays for
    /// kinds classified before their reader exists).
    pub fn is_read(self) -> bool {
        true
    }
}

/// Parses a JSONC file (comments and trailing commas, nothing wrangler
/// rejects); a broken one is a `config-parse-error` warning saying what is
/// lost (`its Worker is left out`).
pub fn read_jsonc(
    file: &SourceFile,
    lost: &str,
    diags: &mut Vec<crate::model::Diagnostic>,
) -> Option<serde_json::Value> {
    let opts = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_extended_string_escapes: false,
        allow_non_finite_numbers: false,
    };
    match jsonc_parser::parse_to_serde_value::<serde_json::Value>(&file.text, &opts) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.push(crate::model::Diagnostic::warning(
                crate::model::Location::at(
                    &file.path,
                    u32::try_from(e.line_display()).unwrap_or(1),
                    u32::try_from(e.column_display()).unwrap_or(1),
                ),
                crate::model::Code::ConfigParseError,
                format!("cannot parse this file ({}); {lost}", e.kind()),
            ));
            None
        }
    }
}

/// Joins a repo-relative folder and a relative path, resolving `.` and
/// `..` (never above the root), with `/` separators.
pub fn path_join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in rel.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Whether `path` lies in a test folder (`test/`, `tests/`, `__tests__/`,
/// `__mocks__/`, `e2e/`).
pub fn in_test_dir(path: &str) -> bool {
    path.split('/')
        .any(|c| matches!(c, "__tests__" | "test" | "tests" | "__mocks__" | "e2e"))
}

/// Reads every file into `model`.
pub fn extract(files: &[SourceFile], model: &mut Model) {
    configs(files, model);
    code(files, model);
}

/// Reads the wrangler configs among `files` into `model.workers`: first,
/// because which TypeScript files are worth keeping depends on the binding
/// names they declare ([`keeps`]).
pub fn configs(files: &[SourceFile], model: &mut Model) {
    for f in files.iter().filter(|f| f.kind == SourceKind::Wrangler) {
        wrangler::extract(f, &mut model.workers, &mut model.diagnostics);
    }
}

/// Whether a file's text is worth keeping once read, given the Workers
/// found so far: everything but TypeScript no reader starts from, which is
/// read again only if a starting file imports it.
pub fn keeps(model: &Model) -> impl Fn(&SourceFile) -> bool + Sync + use<> {
    let seeds = typescript::Seeds::new(&model.workers);
    move |f| f.kind != SourceKind::TypeScript || seeds.is_seed(f)
}

/// Reads everything but the wrangler configs among `files` into `model`.
pub fn code(files: &[SourceFile], model: &mut Model) {
    let of = |k: SourceKind| files.iter().filter(move |f| f.kind == k);
    let aliases = of(SourceKind::TsConfig)
        .filter_map(|f| typescript::tsconfig_aliases(f, &mut model.diagnostics))
        .collect();
    let ts: Vec<&SourceFile> = of(SourceKind::TypeScript).collect();
    typescript::extract(&ts, aliases, model);
    let rs: Vec<&SourceFile> = of(SourceKind::Rust).collect();
    rust::extract(&rs, model);
    for op in &mut model.resource_ops {
        if let Some(q) = &op.sql {
            op.queries = sql::query::shapes(q);
            // The tables a query touches, when its reader did not say.
            if op.key.is_none() && !op.queries.is_empty() {
                let mut tables: Vec<&str> = Vec::new();
                for t in op.queries.iter().flat_map(|s| &s.tables) {
                    if !tables.contains(&t.as_str()) {
                        tables.push(t);
                    }
                }
                op.key = Some(tables.join(", "));
            }
        }
    }
    durable_object_tables(model);
    let journals: BTreeMap<String, Vec<String>> = of(SourceKind::DrizzleJournal)
        .filter_map(|f| Some((parent(parent(&f.path)).to_owned(), journal_tags(f)?)))
        .collect();
    // pgTAP suites and test seeds are not a database the app runs.
    let sql: Vec<&SourceFile> = of(SourceKind::Sql)
        .filter(|f| !in_test_dir(&f.path))
        .collect();
    let code_ddl = code_ddl(model);
    let plans = plan_databases(
        &model.workers,
        &model.drizzle_configs,
        &sql,
        &code_ddl,
        &mut model.diagnostics,
    );
    for mut plan in plans {
        if let Some(tags) = journals.get(&plan.id) {
            // The journal's order wins over file names.
            plan.files.sort_by_key(|f| {
                let stem = f
                    .path
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .trim_end_matches(".sql");
                (
                    tags.iter().position(|t| t == stem).unwrap_or(usize::MAX),
                    f.path.clone(),
                )
            });
        }
        // Migrations first, then the DDL the Worker's code runs on the
        // same binding (`CREATE TABLE IF NOT EXISTS` on first request).
        let in_code = code_ddl.iter().filter(|d| {
            plan.engine == Engine::D1
                && plan
                    .bindings
                    .iter()
                    .any(|b| d.workers.contains(&b.worker) && b.binding == d.binding)
        });
        let inputs: Vec<sql::SqlInput<'_>> = plan
            .files
            .iter()
            .map(|f| sql::SqlInput {
                path: &f.path,
                text: &f.text,
            })
            .chain(in_code.map(|d| sql::SqlInput {
                path: &d.location.path,
                text: &d.sql,
            }))
            .collect();
        let mut db = sql::build(&plan.id, plan.engine, &inputs, &mut model.diagnostics);
        db.bindings = plan.bindings;
        model.databases.push(db);
    }
}

/// DDL a Worker's code runs on a D1 binding: `env.DB.prepare("CREATE
/// TABLE IF NOT EXISTS …")`.
struct CodeDdl {
    /// The Worker and its environments (each a `Worker` of its own name).
    workers: Vec<String>,
    binding: String,
    sql: String,
    location: crate::model::Location,
}

fn code_ddl(model: &Model) -> Vec<CodeDdl> {
    model
        .resource_ops
        .iter()
        .filter(|op| op.kind == BindingKind::D1)
        .filter_map(|op| {
            let sql = op.sql.as_deref()?;
            if !defines_schema(sql) {
                return None;
            }
            let config = &Worker::owning(&model.workers, &op.location.path)?
                .location
                .path;
            Some(CodeDdl {
                workers: model
                    .workers
                    .iter()
                    .filter(|w| &w.location.path == config)
                    .map(|w| w.name.clone())
                    .collect(),
                binding: op.binding.clone(),
                sql: embedded_sql(sql, &op.location),
                location: op.location.clone(),
            })
        })
        .collect()
}

/// SQL found in code at `at`, padded so the statements' lines are the
/// lines of the file that holds it.
fn embedded_sql(sql: &str, at: &crate::model::Location) -> String {
    let pad = at.line.saturating_sub(1) as usize;
    let mut out = String::with_capacity(pad + sql.len());
    out.extend(std::iter::repeat_n('\n', pad));
    out.push_str(sql);
    out
}

/// Tables a Durable Object creates with `storage.sql.exec`: a SQLite
/// database per class (each object has its own copy), and one state line
/// per table for the DO section.
fn durable_object_tables(model: &mut Model) {
    let mut dbs = Vec::new();
    for d in &mut model.code_durable_objects {
        if d.sql.is_empty() {
            continue;
        }
        let texts: Vec<String> = d
            .sql
            .iter()
            .map(|(ddl, loc)| embedded_sql(ddl, loc))
            .collect();
        let inputs: Vec<sql::SqlInput<'_>> = d
            .sql
            .iter()
            .zip(&texts)
            .map(|((_, loc), text)| sql::SqlInput {
                path: &loc.path,
                text,
            })
            .collect();
        let id = format!("Durable Object {}", d.class_name);
        let mut db = sql::build(&id, Engine::Sqlite, &inputs, &mut model.diagnostics);
        db.origin = DatabaseOrigin::DurableObject {
            class: d.class_name.clone(),
        };
        for t in &mut db.tables {
            if t.purpose.is_none() {
                t.purpose = Some(format!(
                    "In the SQLite storage of each `{}` Durable Object",
                    d.class_name
                ));
            }
        }
        for t in &db.tables {
            d.state.push(StateItem::SqlTable {
                table: t.name.clone(),
                columns: t
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.sql_type.clone()))
                    .collect(),
            });
        }
        dbs.push(db);
    }
    model.databases.extend(dbs);
}

/// The migration tags of a drizzle-kit journal, in journal order.
fn journal_tags(f: &SourceFile) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(&f.text).ok()?;
    let mut entries: Vec<(u64, String)> = v
        .get("entries")?
        .as_array()?
        .iter()
        .filter_map(|e| Some((e.get("idx")?.as_u64()?, e.get("tag")?.as_str()?.to_owned())))
        .collect();
    entries.sort();
    Some(entries.into_iter().map(|(_, t)| t).collect())
}

/// The engine a drizzle.config's dialect (and driver) names.
fn config_engine(c: &DrizzleConfig) -> Option<Engine> {
    match (c.dialect.as_deref(), c.driver.as_deref()) {
        (_, Some("d1-http" | "d1")) => Some(Engine::D1),
        (Some("sqlite" | "turso"), _) => Some(Engine::Sqlite),
        (Some("postgresql" | "postgres"), _) => Some(Engine::Postgres),
        (Some("mysql" | "singlestore"), _) => Some(Engine::MySql),
        _ => None,
    }
}

/// A database to build: its folder, engine, files in apply order, bindings.
#[derive(Debug)]
struct DatabasePlan<'a> {
    id: String,
    engine: Engine,
    files: Vec<&'a SourceFile>,
    bindings: Vec<DatabaseBinding>,
}

/// Migration order within a folder: by the number the first path
/// component after the folder starts with (`0002_x.sql`,
/// `0002_x/migration.sql`), then by path; unnumbered files last.
fn migration_order(dir: &str, path: &str) -> (u8, u64, String) {
    let rel = if dir.is_empty() {
        path
    } else {
        path.strip_prefix(dir)
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(path)
    };
    let first = rel.split('/').next().unwrap_or(rel);
    let digits: String = first.chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u64>() {
        Ok(n) => (0, n, rel.to_owned()),
        Err(_) => (1, 0, rel.to_owned()),
    }
}

/// Whether SQL text creates or alters anything (a cheap look, not a parse).
fn defines_schema(text: &str) -> bool {
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

/// A D1 binding's `migrations_pattern`: a glob relative to its config.
struct PatternClaim {
    matcher: globset::GlobMatcher,
    dir: String,
}

/// The folder a SQL file's database is named after: a D1 binding's
/// `migrations_dir` when its `migrations_pattern` matches the file; the
/// folder above for Drizzle's nested `NNNN_name/migration.sql` layout;
/// else the file's own folder.
fn folder_of(path: &str, patterns: &[PatternClaim]) -> String {
    if let Some(p) = patterns.iter().find(|p| p.matcher.is_match(path)) {
        return p.dir.clone();
    }
    let dir = parent(path);
    let nested = path.ends_with("/migration.sql")
        && dir
            .rsplit('/')
            .next()
            .is_some_and(|d| d.starts_with(|c: char| c.is_ascii_digit()));
    if nested {
        parent(dir).to_owned()
    } else {
        dir.to_owned()
    }
}

/// Groups SQL files into databases.
fn plan_databases<'a>(
    workers: &[Worker],
    configs: &[DrizzleConfig],
    sql: &[&'a SourceFile],
    code_ddl: &[CodeDdl],
    diags: &mut Vec<Diagnostic>,
) -> Vec<DatabasePlan<'a>> {
    // drizzle-kit `out` folders have the engine their config names.
    let config_engines: BTreeMap<&str, Engine> = configs
        .iter()
        .filter_map(|c| Some((c.out.as_str(), config_engine(c)?)))
        .collect();
    // Every D1 binding claims its migrations folder (wrangler's default is
    // `migrations` next to the config), or what its pattern matches.
    let mut d1_dirs: BTreeMap<String, Vec<DatabaseBinding>> = BTreeMap::new();
    let mut patterns: Vec<PatternClaim> = Vec::new();
    for w in workers {
        let config_dir = parent(&w.location.path);
        for b in w.bindings.iter().filter(|b| b.kind == BindingKind::D1) {
            let rel = b
                .settings
                .get("migrations_dir")
                .map_or("migrations", String::as_str);
            let dir = path_join(config_dir, rel);
            if let Some(pattern) = b.settings.get("migrations_pattern") {
                let glob = path_join(config_dir, pattern);
                match globset::GlobBuilder::new(&glob)
                    .literal_separator(true)
                    .build()
                {
                    Ok(g) => patterns.push(PatternClaim {
                        matcher: g.compile_matcher(),
                        dir: dir.clone(),
                    }),
                    Err(e) => diags.push(Diagnostic::warning(
                        b.location.clone(),
                        crate::model::Code::ConfigInvalidValue,
                        format!(
                            "`migrations_pattern` is not a valid glob ({e}); using `migrations_dir`"
                        ),
                    )),
                }
            }
            d1_dirs.entry(dir).or_default().push(DatabaseBinding {
                worker: w.name.clone(),
                environment: w.environment.clone(),
                binding: b.name.clone(),
                database_name: b.target.clone(),
            });
        }
    }
    let mut by_dir: BTreeMap<String, Vec<&'a SourceFile>> = BTreeMap::new();
    for f in sql {
        by_dir
            .entry(folder_of(&f.path, &patterns))
            .or_default()
            .push(f);
    }
    // Each folder's engine, guessed once from its content.
    let guessed: BTreeMap<String, Engine> = by_dir
        .iter()
        .map(|(dir, files)| {
            let text: String = files.iter().map(|f| f.text.as_str()).collect();
            (dir.clone(), sql::guess_engine(&text))
        })
        .collect();
    // A folder of loose SQLite SQL inside a Worker whose single D1 binding
    // has no migrations of its own is that binding's schema (`schema.sql`
    // applied with `wrangler d1 execute --file`).
    let mut adopted: BTreeMap<String, String> = BTreeMap::new();
    for w in workers {
        let d1: Vec<_> = w
            .bindings
            .iter()
            .filter(|b| b.kind == BindingKind::D1)
            .collect();
        let [b] = d1.as_slice() else { continue };
        let rel = b
            .settings
            .get("migrations_dir")
            .map_or("migrations", String::as_str);
        let config_dir = parent(&w.location.path);
        let own = path_join(config_dir, rel);
        if by_dir.contains_key(&own) {
            continue;
        }
        for (dir, engine) in &guessed {
            let inside = config_dir.is_empty()
                || dir == config_dir
                || dir.starts_with(&format!("{config_dir}/"));
            if inside && *engine == Engine::Sqlite && !d1_dirs.contains_key(dir) {
                adopted.entry(dir.clone()).or_insert_with(|| own.clone());
            }
        }
    }
    let mut plans = Vec::new();
    for (dir, mut files) in by_dir {
        files.sort_by_key(|f| migration_order(&dir, &f.path));
        let claimed = d1_dirs
            .get(&dir)
            .or_else(|| adopted.get(&dir).and_then(|own| d1_dirs.get(own)));
        let (engine, mut bindings) = match claimed {
            Some(b) => (Engine::D1, b.clone()),
            // SQL that defines nothing (queries kept in `.sql` files,
            // imported as text modules) is not a schema.
            None if !files.iter().any(|f| defines_schema(&f.text)) => {
                for f in &files {
                    diags.push(Diagnostic::info(
                        crate::model::Location::line(&f.path, 1),
                        crate::model::Code::NotASchema,
                        "no CREATE or ALTER statement here: read as queries, not as a database",
                    ));
                }
                continue;
            }
            None => (
                config_engines
                    .get(dir.as_str())
                    .or_else(|| guessed.get(&dir))
                    .copied()
                    .unwrap_or(Engine::Sqlite),
                Vec::new(),
            ),
        };
        bindings.sort();
        bindings.dedup();
        plans.push(DatabasePlan {
            id: if dir.is_empty() { ".".to_owned() } else { dir },
            engine,
            files,
            bindings,
        });
    }
    // A D1 database with no SQL files whose tables the code creates.
    for (dir, bindings) in d1_dirs {
        let planned = |b: &DatabaseBinding| {
            plans.iter().any(|p| {
                p.bindings
                    .iter()
                    .any(|x| x.worker == b.worker && x.binding == b.binding)
            })
        };
        let created_in_code = bindings.iter().any(|b| {
            code_ddl
                .iter()
                .any(|d| d.workers.contains(&b.worker) && d.binding == b.binding)
        });
        if created_in_code && !bindings.iter().any(planned) {
            let mut bindings = bindings;
            bindings.sort();
            bindings.dedup();
            plans.push(DatabasePlan {
                id: if dir.is_empty() { ".".to_owned() } else { dir },
                engine: Engine::D1,
                files: Vec::new(),
                bindings,
            });
        }
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_file_name() {
        assert_eq!(
            SourceKind::classify("wrangler.jsonc"),
            Some(SourceKind::Wrangler)
        );
        assert_eq!(SourceKind::classify("0001_init.sql"), Some(SourceKind::Sql));
        assert_eq!(
            SourceKind::classify("index.tsx"),
            Some(SourceKind::TypeScript)
        );
        assert_eq!(
            SourceKind::classify("worker-configuration.d.ts"),
            Some(SourceKind::TypeScript)
        );
        assert_eq!(SourceKind::classify("lib.rs"), Some(SourceKind::Rust));
        assert_eq!(SourceKind::classify("README.md"), None);
    }

    #[test]
    fn joins_paths_without_escaping_the_root() {
        assert_eq!(path_join("apps/api", "./migrations"), "apps/api/migrations");
        assert_eq!(path_join("apps/api", "../../db/m"), "db/m");
        assert_eq!(path_join("", "migrations"), "migrations");
        assert_eq!(path_join("a", "../../../x"), "x");
    }

    #[test]
    fn orders_migrations_numerically() {
        let mut v = vec!["m/10_b.sql", "m/2_a.sql", "m/schema.sql", "m/0001_x.sql"];
        v.sort_by_key(|p| migration_order("m", p));
        assert_eq!(
            v,
            vec!["m/0001_x.sql", "m/2_a.sql", "m/10_b.sql", "m/schema.sql"]
        );
        let mut nested = vec!["m/0010_b/migration.sql", "m/0002_a/migration.sql"];
        nested.sort_by_key(|p| migration_order("m", p));
        assert_eq!(
            nested,
            vec!["m/0002_a/migration.sql", "m/0010_b/migration.sql"]
        );
    }

    #[test]
    fn only_ddl_makes_a_schema() {
        assert!(defines_schema("-- x\ncreate TABLE a (id int);"));
        assert!(defines_schema("ALTER TABLE a ADD COLUMN b"));
        assert!(!defines_schema("SELECT * FROM users WHERE id = ?"));
    }

    #[test]
    fn nested_drizzle_layouts_are_one_folder() {
        assert_eq!(folder_of("db/m/0001_init/migration.sql", &[]), "db/m");
        assert_eq!(folder_of("db/m/0001_init.sql", &[]), "db/m");
        assert_eq!(folder_of("db/m/extra/migration.sql", &[]), "db/m/extra");
    }
}
