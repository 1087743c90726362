//! Readers: each turns one kind of source file into model facts plus
//! diagnostics, and never fails.
//!
//! This module owns the list of source kinds and the dispatch from files
//! to readers; which SQL files make up which database is the link stage's
//! decision (`crate::link::plan_databases`).

pub mod rust;
pub mod sql;
pub mod typescript;
pub mod wrangler;
pub mod wrangler_cli;

use crate::model::{
    BindingKind, DatabaseOrigin, Diagnostic, Engine, Location, Model, StateItem, Worker,
};
use crate::scan::SourceFile;
pub use crate::scan::SourceKind;
use std::collections::BTreeMap;

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
    let parts = join_parts(dir, rel);
    parts
        .iter()
        .skip_while(|p| **p == "..")
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `rel`, taken from a file in `dir`, names a place outside the
/// checkout: an absolute path, or more `..` than `dir` is deep.
pub fn escapes(dir: &str, rel: &str) -> bool {
    rel.starts_with(['/', '\\'])
        || rel.get(1..2) == Some(":")
        || join_parts(dir, rel).first() == Some(&"..")
}

/// `rel` joined to `dir`, keeping the `..` that climb above the root
/// (`../../shared/db.ts`), for files read from around the scanned folder.
pub fn path_join_keep(dir: &str, rel: &str) -> String {
    join_parts(dir, rel).join("/")
}

/// The parts of `rel` joined to `dir` (from the root for an absolute
/// `rel`), a `..` with nothing left to pop kept at the front.
fn join_parts<'a>(dir: &'a str, rel: &'a str) -> Vec<&'a str> {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in rel.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts
}

/// `createdAt` → `created_at` (with `sep` `_`): each upper-case letter
/// after the first starts a word, lower-cased.
pub(crate) fn split_camel(s: &str, sep: char) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push(sep);
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The folder of a repo-relative path (`""` at the root).
pub(crate) fn parent(path: &str) -> &str {
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
    code(files, None, model);
}

/// Reads the wrangler configs among `files` into `model.workers`: first,
/// because which TypeScript files are worth keeping depends on the binding
/// names they declare ([`keeps`]).
pub fn configs(files: &[SourceFile], model: &mut Model) {
    // `wrangler.toml` first; then its siblings (`wrangler.production.toml`),
    // each an environment of the folder's Worker — or, in a folder with no
    // plain config, the first sibling is the Worker and the rest its
    // environments, so one folder's code has one owner.
    let configs: Vec<&SourceFile> = files
        .iter()
        .filter(|f| f.kind == SourceKind::Wrangler)
        .collect();
    let sibling = |f: &SourceFile| {
        crate::scan::wrangler_sibling(f.path.rsplit('/').next().unwrap_or(&f.path))
            .map(str::to_owned)
    };
    let mut primary_dirs: Vec<&str> = Vec::new();
    for f in configs.iter().filter(|f| sibling(f).is_none()) {
        wrangler::extract(f, &mut model.workers, &mut model.diagnostics);
        primary_dirs.push(parent(&f.path));
    }
    for f in configs.iter() {
        let Some(name) = sibling(f) else { continue };
        let dir = parent(&f.path);
        let mut workers = Vec::new();
        wrangler::extract(f, &mut workers, &mut model.diagnostics);
        if !primary_dirs.contains(&dir) {
            primary_dirs.push(dir);
            model.workers.extend(workers);
            continue;
        }
        for mut w in workers {
            w.environment = Some(match w.environment {
                None => name.clone(),
                Some(e) => format!("{name}.{e}"),
            });
            model.workers.push(w);
        }
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
///
/// `around` is the checkout the scanned folder sits in, when it is a
/// folder of one: relative imports leading out of the folder are read
/// from there.
pub fn code(files: &[SourceFile], around: Option<&crate::scan::Enclosing>, model: &mut Model) {
    let of = |k: SourceKind| files.iter().filter(move |f| f.kind == k);
    let aliases = of(SourceKind::TsConfig)
        .filter_map(|f| typescript::tsconfig_aliases(f, &mut model.diagnostics))
        .collect();
    let ts: Vec<&SourceFile> = of(SourceKind::TypeScript).collect();
    let packages: Vec<typescript::resolve::Package> = of(SourceKind::PackageJson)
        .map(|f| typescript::resolve::Package::read(&f.path, &f.text))
        .collect();
    typescript::extract(&ts, aliases, packages, around, model);
    let mut applied_files = Vec::new();
    for f in of(SourceKind::PackageJson) {
        let (commands, files) = wrangler_cli::from_package_json(&f.path, &f.text);
        model.d1_commands.extend(commands);
        applied_files.extend(files);
    }
    let rs: Vec<&SourceFile> = of(SourceKind::Rust).collect();
    rust::extract(&rs, model);
    for op in &mut model.resource_ops {
        if let Some(q) = &op.sql {
            op.queries = sql::query::shapes(q);
            // The tables the parsed query touches that its reader did not
            // name: those of a comma join (`FROM a, b`).
            for t in op.queries.iter().flat_map(|s| &s.tables) {
                if !op.tables.contains(t) {
                    op.tables.push(t.clone());
                }
            }
        }
    }
    durable_object_tables(model);
    let mut journals: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // The engine a drizzle-kit journal's `dialect` names, by folder.
    let mut journal_engines: BTreeMap<String, Engine> = BTreeMap::new();
    for f in of(SourceKind::DrizzleJournal) {
        match journal_tags(f) {
            Ok((tags, engine)) => {
                let dir = parent(parent(&f.path)).to_owned();
                if let Some(e) = engine {
                    journal_engines.insert(dir.clone(), e);
                }
                journals.insert(dir, tags);
            }
            Err(why) => model.diagnostics.push(Diagnostic::warning(
                Location::line(&f.path, 1),
                crate::model::Code::ConfigParseError,
                format!("drizzle journal not read ({why}); its migrations are applied in file-name order"),
            )),
        }
    }
    // pgTAP suites and test seeds are not a database the app runs.
    let sql: Vec<&SourceFile> = of(SourceKind::Sql)
        .filter(|f| !in_test_dir(&f.path))
        .collect();
    let code_ddl = code_ddl(model);
    let plans = crate::link::plan_databases(
        &model.workers,
        &model.drizzle_configs,
        &sql,
        &code_ddl,
        &applied_files,
        &journal_engines,
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
        db.uncreated = sql::uncreated(&inputs);
        // A statement on a table made before the history began fails only
        // in dmqa's empty sandbox, not on the real database.
        let before_history = |t: &Option<String>| {
            t.as_ref()
                .is_some_and(|t| db.uncreated.contains(&t.to_ascii_lowercase()))
        };
        db.rejected.retain(|r| !before_history(&r.table));
        model.databases.push(db);
    }
}

/// DDL a Worker's code runs on a D1 binding: `env.DB.prepare("CREATE
/// TABLE IF NOT EXISTS …")`.
pub(crate) struct CodeDdl {
    /// The Worker and its environments (each a `Worker` of its own name).
    pub workers: Vec<String>,
    /// The D1 binding it runs on.
    pub binding: String,
    /// The SQL.
    pub sql: String,
    /// Where.
    pub location: crate::model::Location,
}

fn code_ddl(model: &Model) -> Vec<CodeDdl> {
    let mut out = ops_ddl(model);
    for c in model
        .d1_commands
        .iter()
        .filter(|c| sql::defines_schema(&c.sql))
    {
        // The Workers whose config it runs with: the config file, the
        // package folder's, or any when code builds it without one.
        let runs_with = |w: &&Worker| match &c.config {
            Some(config) => w.location.path == *config || parent(&w.location.path) == config,
            None => true,
        };
        let mut by_binding: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for w in model.workers.iter().filter(runs_with) {
            for b in w.bindings.iter().filter(|b| {
                b.kind == BindingKind::D1
                    && (b.name == c.database || b.target.as_deref() == Some(c.database.as_str()))
            }) {
                by_binding
                    .entry(b.name.as_str())
                    .or_default()
                    .push(w.name.clone());
            }
        }
        for (binding, workers) in by_binding {
            out.push(CodeDdl {
                workers,
                binding: binding.to_owned(),
                sql: embedded_sql(&c.sql, &c.location),
                location: c.location.clone(),
            });
        }
    }
    out
}

/// DDL run through a D1 binding's `prepare` / `exec`.
fn ops_ddl(model: &Model) -> Vec<CodeDdl> {
    model
        .resource_ops
        .iter()
        .filter(|op| op.kind == BindingKind::D1)
        .filter_map(|op| {
            let sql = op.sql.as_deref()?;
            if !sql::defines_schema(sql) {
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
/// A drizzle-kit journal's migration tags in order, and the engine its
/// `dialect` names.
fn journal_tags(f: &SourceFile) -> Result<(Vec<String>, Option<Engine>), String> {
    let v: serde_json::Value = serde_json::from_str(&f.text).map_err(|e| e.to_string())?;
    let engine = v
        .get("dialect")
        .and_then(|d| d.as_str())
        .and_then(Engine::of_drizzle_dialect);
    let mut entries: Vec<(u64, String)> = v
        .get("entries")
        .and_then(|e| e.as_array())
        .ok_or("no `entries` list")?
        .iter()
        .filter_map(|e| Some((e.get("idx")?.as_u64()?, e.get("tag")?.as_str()?.to_owned())))
        .collect();
    entries.sort();
    Ok((entries.into_iter().map(|(_, t)| t).collect(), engine))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drizzle-kit journal's `dialect` decides its folder's engine,
    /// before the content is guessed (`serial` and `AUTO_INCREMENT` tie).
    #[test]
    fn a_journal_dialect_decides_the_engine() {
        let sql = "CREATE TABLE `posts` (\n\t`id` serial AUTO_INCREMENT NOT NULL,\n\t`user_id` int NOT NULL,\n\tCONSTRAINT `posts_id` PRIMARY KEY(`id`)\n);\n";
        let journal = |dialect: &str| {
            format!(
                r#"{{"version":"5","dialect":"{dialect}","entries":[{{"idx":0,"tag":"0000_init"}}]}}"#
            )
        };
        for (dialect, engine) in [("mysql", Engine::MySql), ("sqlite", Engine::Sqlite)] {
            let model = crate::analysis::rules::testing::model_with(
                "",
                &[
                    ("drizzle/0000_init.sql", sql),
                    ("drizzle/meta/_journal.json", &journal(dialect)),
                ],
            );
            assert_eq!(model.databases.len(), 1);
            assert_eq!(model.databases[0].engine, engine, "{dialect}");
        }
    }

    #[test]
    fn joins_paths_without_escaping_the_root() {
        assert_eq!(path_join("apps/api", "./migrations"), "apps/api/migrations");
        assert_eq!(path_join("apps/api", "../../db/m"), "db/m");
        assert_eq!(path_join("", "migrations"), "migrations");
        assert_eq!(path_join("a", "../../../x"), "x");
    }

    #[test]
    fn escapes_is_a_join_that_leaves_the_root() {
        assert!(!escapes("apps/api", "../db/migrations"));
        assert!(escapes("apps/api", "../../../db"));
        assert!(escapes("", "/etc"));
        assert!(escapes("", "C:\\data"));
        assert!(!escapes("a", "./m/../n"));
        // One walk: the plain join stays at the root, the kept one climbs.
        assert_eq!(path_join("apps/api", "../../../db/x.ts"), "db/x.ts");
        assert_eq!(path_join_keep("apps/api", "../../../db/x.ts"), "../db/x.ts");
    }
}
