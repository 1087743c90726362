//! Which SQL files make up which database: a D1 binding's
//! `migrations_dir` (or `migrations_pattern`) claims its folder, a
//! drizzle-kit `out` folder has its config's engine, other SQL is grouped by
//! folder and its engine guessed from its content.

use crate::model::{BindingKind, DatabaseBinding, Diagnostic, DrizzleConfig, Engine, Worker};
use crate::scan::SourceFile;
use crate::sources::{CodeDdl, parent, path_join, sql};
use std::collections::BTreeMap;

/// The engine a drizzle.config's dialect (and driver) names.
fn config_engine(c: &DrizzleConfig) -> Option<Engine> {
    match c.driver.as_deref() {
        Some("d1-http" | "d1") => Some(Engine::D1),
        _ => Engine::of_drizzle_dialect(c.dialect.as_deref()?),
    }
}

/// A database to build: its folder, engine, files in apply order, bindings.
#[derive(Debug)]
pub(crate) struct DatabasePlan<'a> {
    /// Its folder: the database's id.
    pub id: String,
    /// The engine its SQL runs on.
    pub engine: Engine,
    /// Its files, in apply order.
    pub files: Vec<&'a SourceFile>,
    /// The bindings that reach it.
    pub bindings: Vec<DatabaseBinding>,
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

/// The folder of a D1 binding's migrations: its `migrations_dir`, else
/// wrangler's `migrations`, next to its config.
fn migrations_folder(w: &Worker, b: &crate::model::Binding) -> String {
    let rel = b
        .settings
        .get("migrations_dir")
        .map_or("migrations", String::as_str);
    path_join(w.folder(), rel)
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

/// A dialect a file name states: its suffix and its engine.
type Dialect = (&'static str, Engine);

/// The dialect a migration's file name states, as NuxtHub writes them
/// (`0001_users.postgresql.sql`, `.mysql.sql`, `.sqlite.sql`): the
/// suffix and its engine.
fn stated_dialect(path: &str) -> Option<Dialect> {
    let stem = path.strip_suffix(".sql")?;
    let (_, suffix) = stem.rsplit_once('.')?;
    match suffix.to_ascii_lowercase().as_str() {
        "postgresql" | "postgres" | "pg" => Some(("postgresql", Engine::Postgres)),
        "mysql" => Some(("mysql", Engine::MySql)),
        "sqlite" => Some(("sqlite", Engine::Sqlite)),
        _ => None,
    }
}

/// A folder's files, one group per dialect its file names state. A file
/// with no stated dialect is for every dialect unless a file of the same
/// name states this one (`0001_x.sql` beside `0001_x.sqlite.sql`); when no
/// group is SQLite, the unstated files are also a group of their own (what
/// a SQLite or D1 app runs). A folder that states nothing is one group.
fn split_by_dialect(files: Vec<&SourceFile>) -> Vec<(Option<Dialect>, Vec<&SourceFile>)> {
    let mut dialects: Vec<Dialect> = files
        .iter()
        .filter_map(|f| stated_dialect(&f.path))
        .collect();
    if dialects.is_empty() {
        return vec![(None, files)];
    }
    dialects.sort_by_key(|d| d.0);
    dialects.dedup();
    let generic: Vec<&SourceFile> = files
        .iter()
        .copied()
        .filter(|f| stated_dialect(&f.path).is_none())
        .collect();
    let mut groups = Vec::new();
    if !generic.is_empty() && !dialects.iter().any(|d| d.1 == Engine::Sqlite) {
        groups.push((None, generic.clone()));
    }
    for d in dialects {
        let own: Vec<&SourceFile> = files
            .iter()
            .copied()
            .filter(|f| stated_dialect(&f.path) == Some(d))
            .collect();
        // `a/0001_x.sql` and `a/0001_x.pg.sql` share `a/0001_x`.
        let base = |path: &str| path.rsplitn(3, '.').nth(2).map(str::to_owned);
        let overridden = |g: &&SourceFile| {
            let stem = g.path.strip_suffix(".sql").unwrap_or(&g.path);
            own.iter().any(|f| base(&f.path).as_deref() == Some(stem))
        };
        let mut group: Vec<&SourceFile> =
            generic.iter().copied().filter(|g| !overridden(g)).collect();
        group.extend(own);
        groups.push((Some(d), group));
    }
    groups
}

/// Groups SQL files into databases.
pub(crate) fn plan_databases<'a>(
    workers: &[Worker],
    configs: &[DrizzleConfig],
    sql: &[&'a SourceFile],
    code_ddl: &[CodeDdl],
    applied_files: &[crate::sources::wrangler_cli::D1File],
    journal_engines: &BTreeMap<String, Engine>,
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
    // Folders a binding names explicitly: each must exist in the tree.
    let mut named: Vec<(String, &crate::model::Binding)> = Vec::new();
    for w in workers {
        let config_dir = w.folder();
        for b in w.bindings.iter().filter(|b| b.kind == BindingKind::D1) {
            let explicit = b.settings.get("migrations_dir");
            if let Some(rel) = explicit
                && crate::sources::escapes(config_dir, rel)
            {
                diags.push(Diagnostic::warning(
                    b.location.clone(),
                    crate::model::Code::ConfigInvalidValue,
                    format!(
                        "`migrations_dir = \"{rel}\"` leads outside the checkout; dmqa reads nothing there"
                    ),
                ));
                continue;
            }
            let dir = migrations_folder(w, b);
            if explicit.is_some() {
                named.push((dir.clone(), b));
            }
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
    for (dir, b) in named {
        if !by_dir.contains_key(&dir) {
            diags.push(Diagnostic::warning(
                b.location.clone(),
                crate::model::Code::ConfigInvalidValue,
                format!(
                    "`migrations_dir` names `{dir}`, which holds no `.sql` file in the checkout"
                ),
            ));
        }
    }
    // Files whose names state another dialect (`0001_x.postgresql.sql`)
    // are a database of their own: see `split_by_dialect`.
    let mut stated: BTreeMap<String, Engine> = BTreeMap::new();
    let mut folder: BTreeMap<String, String> = BTreeMap::new();
    let mut by_dir: BTreeMap<String, Vec<&'a SourceFile>> = by_dir
        .into_iter()
        .flat_map(|(dir, files)| {
            split_by_dialect(files)
                .into_iter()
                .map(move |(dialect, files)| (dir.clone(), dialect, files))
        })
        .map(|(dir, dialect, files)| {
            let id = match dialect {
                Some((name, engine)) if engine != Engine::Sqlite => {
                    let id = format!("{dir} ({name})");
                    stated.insert(id.clone(), engine);
                    id
                }
                _ => dir.clone(),
            };
            folder.insert(id.clone(), dir);
            (id, files)
        })
        .collect();
    // ClickHouse DDL (`ENGINE = MergeTree …`) is an analytics store dmqa
    // does not read: taken as SQLite it would be tables without keys.
    by_dir.retain(|dir, files| {
        if d1_dirs.contains_key(dir) || !files.iter().any(|f| sql::is_clickhouse(&f.text)) {
            return true;
        }
        diags.push(Diagnostic::info(
            crate::model::Location::line(&files[0].path, 1),
            crate::model::Code::ClickhouseSql,
            format!("`{dir}` holds ClickHouse DDL (`ENGINE = …MergeTree`): not a database dmqa reads; skipped"),
        ));
        false
    });
    // Each folder's engine, guessed once from its content.
    let guessed: BTreeMap<String, Engine> = by_dir
        .iter()
        .map(|(dir, files)| {
            let engine = stated.get(dir).copied().unwrap_or_else(|| {
                let text: String = files.iter().map(|f| f.text.as_str()).collect();
                sql::guess_engine(&text)
            });
            (dir.clone(), engine)
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
        let config_dir = w.folder();
        let own = migrations_folder(w, b);
        if by_dir.contains_key(&own) {
            continue;
        }
        for (id, engine) in &guessed {
            let dir = &folder[id];
            let inside = config_dir.is_empty()
                || dir == config_dir
                || dir.starts_with(&format!("{config_dir}/"));
            if inside && *engine == Engine::Sqlite && !d1_dirs.contains_key(id) {
                adopted.entry(id.clone()).or_insert_with(|| own.clone());
            }
        }
    }
    // A loose SQL file a package script applies to a D1 database
    // (`wrangler d1 execute northwind --file=./db/schema.sql`) makes its
    // folder that binding's schema wherever it sits, when the name is one
    // binding's (of the script's config, else of the checkout) and that
    // binding has no migrations of its own.
    for applied in applied_files {
        let Some(id) = by_dir
            .iter()
            .find(|(_, files)| files.iter().any(|f| f.path == applied.file))
            .map(|(id, _)| id.clone())
        else {
            continue;
        };
        if d1_dirs.contains_key(&id) || guessed.get(&id) != Some(&Engine::Sqlite) {
            continue;
        }
        let names_it = |b: &&crate::model::Binding| {
            b.kind == BindingKind::D1
                && (b.name == applied.database || b.target.as_deref() == Some(&applied.database))
        };
        let named_so = |w: &&Worker| w.bindings.iter().any(|b| names_it(&b));
        let runs_with =
            |w: &&Worker| w.location.path == applied.config || w.folder() == applied.config;
        let mut candidates: Vec<&Worker> =
            workers.iter().filter(named_so).filter(runs_with).collect();
        if candidates.is_empty() {
            candidates = workers.iter().filter(named_so).collect();
        }
        let mut owns: Vec<String> = candidates
            .iter()
            .flat_map(|w| {
                w.bindings
                    .iter()
                    .filter(names_it)
                    .map(|b| migrations_folder(w, b))
            })
            .collect();
        owns.sort();
        owns.dedup();
        if let [own] = owns.as_slice()
            && !by_dir.contains_key(own)
        {
            adopted.entry(id).or_insert_with(|| own.clone());
        }
    }
    let mut plans = Vec::new();
    for (dir, mut files) in by_dir {
        files.sort_by_cached_key(|f| {
            let (unnumbered, n, rel) = migration_order(&folder[&dir], &f.path);
            // Among unnumbered files, seed data (`data.sql`: inserts only)
            // goes in after the files that define the tables it fills.
            let seed = unnumbered == 1 && !sql::defines_schema(&f.text);
            (unnumbered, n, seed, rel)
        });
        let claimed = d1_dirs
            .get(&dir)
            .or_else(|| adopted.get(&dir).and_then(|own| d1_dirs.get(own)));
        let (engine, mut bindings) = match claimed {
            Some(b) => (Engine::D1, b.clone()),
            // SQL that defines nothing (queries kept in `.sql` files,
            // imported as text modules) is not a schema.
            None if !files.iter().any(|f| sql::defines_schema(&f.text)) => {
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
                stated
                    .get(&dir)
                    .or_else(|| config_engines.get(dir.as_str()))
                    .or_else(|| journal_engines.get(&dir))
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
    use crate::model::{Binding, Location};
    use crate::sources::SourceKind;

    fn worker(config: &str, binding: &str, migrations_dir: Option<&str>) -> Worker {
        Worker {
            name: "app".into(),
            environment: None,
            main: None,
            bindings: vec![Binding {
                kind: BindingKind::D1,
                name: binding.into(),
                target: Some("app-db".into()),
                settings: migrations_dir
                    .map(|d| ("migrations_dir".to_owned(), d.to_owned()))
                    .into_iter()
                    .collect(),
                location: Location::line(config, 3),
            }],
            consumers: Vec::new(),
            crons: Vec::new(),
            do_migrations: Vec::new(),
            do_exports: Vec::new(),
            location: Location::line(config, 1),
        }
    }

    fn sql(path: &str, text: &str) -> SourceFile {
        SourceFile::new(path, SourceKind::Sql, text)
    }

    /// A D1 binding claims its `migrations_dir` (its files in number
    /// order); other SQL is a database of its own folder, its engine
    /// guessed from the SQL.
    #[test]
    fn a_d1_binding_claims_its_folder_and_other_sql_stands_alone() {
        let files = [
            sql("apps/api/db/0002_b.sql", "ALTER TABLE a ADD COLUMN b TEXT;"),
            sql(
                "apps/api/db/0001_a.sql",
                "CREATE TABLE a (id INTEGER PRIMARY KEY);",
            ),
            sql(
                "infra/pg/001.sql",
                "CREATE TABLE t (id SERIAL PRIMARY KEY, at TIMESTAMPTZ);",
            ),
        ];
        let refs: Vec<&SourceFile> = files.iter().collect();
        let workers = [worker("apps/api/wrangler.toml", "DB", Some("db"))];
        let mut diags = Vec::new();
        let plans = plan_databases(&workers, &[], &refs, &[], &[], &BTreeMap::new(), &mut diags);
        let summary: Vec<(&str, Engine, Vec<&str>, Vec<&str>)> = plans
            .iter()
            .map(|p| {
                (
                    p.id.as_str(),
                    p.engine,
                    p.files.iter().map(|f| f.path.as_str()).collect(),
                    p.bindings.iter().map(|b| b.binding.as_str()).collect(),
                )
            })
            .collect();
        assert!(
            summary.contains(&(
                "apps/api/db",
                Engine::D1,
                vec!["apps/api/db/0001_a.sql", "apps/api/db/0002_b.sql"],
                vec!["DB"],
            )),
            "{summary:?}"
        );
        assert!(
            summary.contains(&(
                "infra/pg",
                Engine::Postgres,
                vec!["infra/pg/001.sql"],
                vec![]
            )),
            "{summary:?}"
        );
        assert_eq!(summary.len(), 2, "{summary:?}");
        assert!(diags.is_empty(), "{diags:?}");
    }

    /// Loose SQL applied with `wrangler d1 execute --file`: the schema
    /// file before the seed data that fills it, whatever their names.
    #[test]
    fn seed_data_follows_the_schema_it_fills() {
        let files = [
            sql("w/db/data.sql", "INSERT INTO a VALUES (1);"),
            sql(
                "w/db/schema.sql",
                "CREATE TABLE a (id INTEGER PRIMARY KEY);",
            ),
        ];
        let refs: Vec<&SourceFile> = files.iter().collect();
        let workers = [worker("w/wrangler.toml", "DB", None)];
        let mut diags = Vec::new();
        let plans = plan_databases(&workers, &[], &refs, &[], &[], &BTreeMap::new(), &mut diags);
        let order: Vec<Vec<&str>> = plans
            .iter()
            .map(|p| p.files.iter().map(|f| f.path.as_str()).collect())
            .collect();
        assert_eq!(order, [["w/db/schema.sql", "w/db/data.sql"]]);
    }

    /// Without `migrations_dir`, wrangler's default `migrations` next to
    /// the config is the binding's folder.
    #[test]
    fn the_default_migrations_folder_is_next_to_the_config() {
        let files = [sql(
            "w/migrations/0001.sql",
            "CREATE TABLE a (id INTEGER PRIMARY KEY);",
        )];
        let refs: Vec<&SourceFile> = files.iter().collect();
        let plans = plan_databases(
            &[worker("w/wrangler.toml", "DB", None)],
            &[],
            &refs,
            &[],
            &[],
            &BTreeMap::new(),
            &mut Vec::new(),
        );
        assert_eq!(plans.len(), 1);
        assert_eq!(
            (plans[0].id.as_str(), plans[0].engine),
            ("w/migrations", Engine::D1)
        );
    }

    /// NuxtHub's `.postgresql.sql` / `.mysql.sql` / `.sqlite.sql` files are
    /// one database per dialect; a file that states none is in each, unless
    /// a file of its name states that dialect.
    #[test]
    fn file_names_that_state_a_dialect_split_their_folder() {
        let files = [
            sql(
                "db/m/0001_users.sql",
                "CREATE TABLE users (id SERIAL PRIMARY KEY);",
            ),
            sql(
                "db/m/0001_users.sqlite.sql",
                "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT);",
            ),
            sql(
                "db/m/0001_users.postgresql.sql",
                "CREATE TABLE users (id SERIAL PRIMARY KEY);",
            ),
            sql("db/m/0002_posts.sql", "CREATE TABLE posts (id INT);"),
            sql(
                "db/m/0003_tags.mysql.sql",
                "CREATE TABLE tags (id INT AUTO_INCREMENT PRIMARY KEY);",
            ),
        ];
        let refs: Vec<&SourceFile> = files.iter().collect();
        let plans = plan_databases(&[], &[], &refs, &[], &[], &BTreeMap::new(), &mut Vec::new());
        let summary: Vec<(&str, Engine, Vec<&str>)> = plans
            .iter()
            .map(|p| {
                (
                    p.id.as_str(),
                    p.engine,
                    p.files.iter().map(|f| f.path.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "db/m",
                    Engine::Sqlite,
                    vec!["db/m/0001_users.sqlite.sql", "db/m/0002_posts.sql"]
                ),
                (
                    "db/m (mysql)",
                    Engine::MySql,
                    vec![
                        "db/m/0001_users.sql",
                        "db/m/0002_posts.sql",
                        "db/m/0003_tags.mysql.sql"
                    ]
                ),
                (
                    "db/m (postgresql)",
                    Engine::Postgres,
                    vec!["db/m/0001_users.postgresql.sql", "db/m/0002_posts.sql"]
                ),
            ]
        );
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
    fn nested_drizzle_layouts_are_one_folder() {
        assert_eq!(folder_of("db/m/0001_init/migration.sql", &[]), "db/m");
        assert_eq!(folder_of("db/m/0001_init.sql", &[]), "db/m");
        assert_eq!(folder_of("db/m/extra/migration.sql", &[]), "db/m/extra");
    }
}
