//! Linking: which database each ORM (Drizzle) table belongs to.
//!
//! A table goes to the database its `drizzle(env.DB, …)` client binds, or
//! whose migrations its `drizzle.config` writes; otherwise the only
//! database of its dialect (a sqlite-core schema in a Worker with one D1
//! binding is that D1 database). Where the database has SQL migrations,
//! those are the truth and the ORM's tables are kept beside them for the
//! drift check; otherwise the ORM's tables are the schema.

use crate::model::{
    BindingKind, Database, DatabaseBinding, DatabaseOrigin, Engine, Model, OrmTable, OrmTarget,
    RelationKind,
};
use crate::sources::parent;

/// Places `model.orm_tables` in databases.
pub fn tables(model: &mut Model) {
    for ot in std::mem::take(&mut model.orm_tables) {
        let idx = database_for(model, &ot);
        let Some(db) = model.databases.get_mut(idx) else {
            continue;
        };
        // Migrations that alter tables they never create are not the whole
        // history, nor are those of a package that applies its schema with
        // `drizzle-kit push`: the ORM schema, which declares every table,
        // is.
        let pushed = model.drizzle_configs.iter().find(|c| {
            c.pushed
                && db
                    .sources
                    .iter()
                    .any(|s| crate::model::in_folder(&c.out, s))
        });
        if !db.sources.is_empty()
            && (!db.uncreated.is_empty() || pushed.is_some())
            && db.origin != DatabaseOrigin::Orm
        {
            let why = match pushed {
                Some(c) => format!(
                    "are not applied: the package of {} applies the schema with `drizzle-kit push` and no script runs migrations",
                    c.location.path
                ),
                None => {
                    let shown: Vec<&str> =
                        db.uncreated.iter().take(3).map(String::as_str).collect();
                    let more = db.uncreated.len().saturating_sub(shown.len());
                    format!(
                        "alter tables they never create (`{}`{}): not the whole history",
                        shown.join("`, `"),
                        if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        },
                    )
                }
            };
            model.diagnostics.push(crate::model::Diagnostic::info(
                crate::model::Location::line(db.sources.first().map_or("", String::as_str), 1),
                crate::model::Code::IncompleteHistory,
                format!(
                    "the migrations in `{}` {why}, so the ORM schema ({}) is taken as the schema",
                    db.id, ot.table.location.path,
                ),
            ));
            db.tables.clear();
            db.views.clear();
            db.triggers.clear();
            db.orm_tables.clear();
            db.origin = DatabaseOrigin::Orm;
        }
        // Migrations (SQL sources) are the truth when there are any; the
        // schema still lends its JSDoc purposes and column notes (`mode:
        // timestamp`, enum values) where the migrations have none.
        if !db.sources.is_empty() && db.origin != DatabaseOrigin::Orm {
            if let Some(t) = db
                .tables
                .iter_mut()
                .find(|t| t.name.eq_ignore_ascii_case(&ot.table.name))
            {
                if t.purpose.is_none() {
                    t.purpose.clone_from(&ot.table.purpose);
                }
                for c in &mut t.columns {
                    if c.comment.is_none()
                        && let Some(oc) = ot
                            .table
                            .columns
                            .iter()
                            .find(|o| o.name.eq_ignore_ascii_case(&c.name))
                    {
                        c.comment.clone_from(&oc.comment);
                    }
                }
            }
            db.orm_tables.push(ot.table);
        } else if !db.tables.iter().any(|t| t.name == ot.table.name) {
            let mut table = ot.table;
            if db.engine.is_sqlite() {
                as_sqlite_reports_it(&mut table);
            }
            db.tables.push(table);
        }
    }
    let configs = &model.drizzle_configs;
    for db in &mut model.databases {
        db.ddl_elsewhere = db.origin == DatabaseOrigin::Orm
            && !db.tables.iter().any(|t| {
                configs
                    .iter()
                    .any(|c| c.names_schema_file(&t.location.path))
            });
    }
}

/// Words a Drizzle table the way SQLite's catalog reports the same table
/// after `drizzle-kit generate`, so a pushed schema reads like migrated
/// ones: upper-case declared types, defaults without their outer
/// parentheses, unique constraints as the unique indexes drizzle-kit
/// creates, and the index SQLite makes for a primary key that is not a
/// single INTEGER column.
fn as_sqlite_reports_it(t: &mut crate::model::Table) {
    for c in &mut t.columns {
        c.sql_type = c.sql_type.to_ascii_uppercase();
        if let Some(d) = &c.default
            && d.starts_with('(')
            && d.ends_with(')')
        {
            c.default = Some(d[1..d.len() - 1].to_owned());
        }
    }
    // drizzle-kit writes `.unique()` / `unique()` as `CREATE UNIQUE INDEX`
    // for SQLite.
    for i in &mut t.indexes {
        if i.origin == crate::model::IndexOrigin::UniqueConstraint {
            i.origin = crate::model::IndexOrigin::Explicit;
        }
    }
    let rowid = match t.primary_key.as_slice() {
        [one] => t
            .columns
            .iter()
            .any(|c| &c.name == one && c.sql_type == "INTEGER"),
        _ => false,
    };
    if !t.primary_key.is_empty() && !rowid {
        t.indexes.push(crate::model::Index {
            name: format!("sqlite_autoindex_{}_1", t.name),
            columns: t
                .primary_key
                .iter()
                .map(|c| crate::model::IndexColumn {
                    name: c.clone(),
                    descending: false,
                })
                .collect(),
            unique: true,
            partial: None,
            origin: crate::model::IndexOrigin::PrimaryKey,
            location: t.location.clone(),
        });
    }
}

/// Places `model.orm_relations` in databases, unless a declared foreign
/// key already says the same. Runs after declared relationships exist.
pub fn relations(model: &mut Model) {
    for mut r in std::mem::take(&mut model.orm_relations) {
        let Some(db) = model.databases.iter().find(|d| {
            let has = |name: &str| {
                d.tables
                    .iter()
                    .chain(d.orm_tables.iter())
                    .any(|t| t.name == name)
            };
            has(&r.from_table) && has(&r.to_table)
        }) else {
            continue;
        };
        r.database = db.id.clone();
        let declared = model.relationships.iter().any(|x| {
            x.kind == RelationKind::Declared
                && x.database == r.database
                && x.from_table == r.from_table
                && x.to_table == r.to_table
                && x.from_columns == r.from_columns
        });
        if !declared {
            model.relationships.push(r);
        }
    }
}

/// The database of the migrations folder nearest the schema file: a
/// folder whose parent is the schema's folder or one above it
/// (`data-model/migrations` beside `data-model/schema.ts`), the deepest
/// such. Only databases of a compatible engine qualify.
fn nearest_migrations(model: &Model, ot: &OrmTable) -> Option<usize> {
    let compatible = |e: Engine| match ot.dialect {
        Engine::Sqlite | Engine::D1 => e.is_sqlite(),
        other => e == other,
    };
    model
        .databases
        .iter()
        .enumerate()
        .filter(|(_, d)| compatible(d.engine) && !d.sources.is_empty())
        .filter(|(_, d)| crate::model::in_folder(parent(&d.id), &ot.table.location.path))
        .max_by_key(|(_, d)| parent(&d.id).len())
        .map(|(i, _)| i)
}

/// The index of the database `ot` belongs to, creating it when needed.
fn database_for(model: &mut Model, ot: &OrmTable) -> usize {
    match &ot.target {
        OrmTarget::Binding { binding, client } => {
            // Binding names are per Worker: take the Worker whose config
            // folder holds the client file (the deepest one).
            let worker = model
                .workers
                .iter()
                .filter(|w| {
                    w.bindings
                        .iter()
                        .any(|b| b.kind == BindingKind::D1 && &b.name == binding)
                })
                .filter(|w| crate::model::in_folder(w.folder(), client))
                .max_by_key(|w| w.location.path.len())
                .map(|w| w.name.clone());
            if let Some(worker) = &worker
                && let Some(i) = model.databases.iter().position(|d| {
                    d.bindings
                        .iter()
                        .any(|x| &x.binding == binding && &x.worker == worker)
                })
            {
                return i;
            }
            if let Some(i) = nearest_migrations(model, ot) {
                return i;
            }
            let bindings: Vec<DatabaseBinding> = d1_bindings(&model.workers, Some(binding))
                .into_iter()
                .filter(|b| worker.as_ref().is_none_or(|w| &b.worker == w))
                .collect();
            let engine = if bindings.is_empty() {
                ot.dialect
            } else {
                Engine::D1
            };
            let id = match &worker {
                Some(w) => format!("{w} {binding}"),
                None => format!("binding {binding}"),
            };
            if let Some(i) = model.databases.iter().position(|d| d.id == id) {
                return i;
            }
            new_database(model, &id, engine, bindings)
        }
        OrmTarget::MigrationsDir(dir) => {
            if let Some(i) = model.databases.iter().position(|d| &d.id == dir) {
                return i;
            }
            new_database(model, dir, ot.dialect, Vec::new())
        }
        OrmTarget::Unassigned => {
            if let Some(i) = nearest_migrations(model, ot) {
                return i;
            }
            let wanted = match ot.dialect {
                Engine::Sqlite | Engine::D1 => vec![Engine::D1, Engine::Sqlite],
                other => vec![other],
            };
            for e in &wanted {
                let of_engine: Vec<usize> = model
                    .databases
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| d.engine == *e)
                    .map(|(i, _)| i)
                    .collect();
                if let [only] = of_engine.as_slice() {
                    return *only;
                }
            }
            // A sqlite-core schema in a checkout whose Workers bind exactly
            // one D1 database (by binding name) is that database.
            if matches!(ot.dialect, Engine::Sqlite | Engine::D1) {
                let bindings = d1_bindings(&model.workers, None);
                let mut names: Vec<&str> = bindings.iter().map(|b| b.binding.as_str()).collect();
                names.dedup();
                let mut workers: Vec<&str> = bindings.iter().map(|b| b.worker.as_str()).collect();
                workers.sort();
                workers.dedup();
                if let ([name], [_]) = (names.as_slice(), workers.as_slice()) {
                    let id = format!("binding {name}");
                    if let Some(i) = model.databases.iter().position(|d| d.id == id) {
                        return i;
                    }
                    return new_database(model, &id, Engine::D1, bindings);
                }
            }
            let id = format!("drizzle {}", ot.dialect.label());
            if let Some(i) = model.databases.iter().position(|d| d.id == id) {
                return i;
            }
            new_database(model, &id, ot.dialect, Vec::new())
        }
    }
}

/// D1 bindings of every Worker, optionally only those named `name`.
/// The D1 bindings of `workers` (named `name`, or all), sorted, once each.
pub(super) fn d1_bindings<'m>(
    workers: impl IntoIterator<Item = &'m crate::model::Worker>,
    name: Option<&String>,
) -> Vec<DatabaseBinding> {
    let mut res: Vec<DatabaseBinding> = workers
        .into_iter()
        .flat_map(|w| {
            w.bindings
                .iter()
                .filter(|b| b.kind == BindingKind::D1 && name.is_none_or(|n| &b.name == n))
                .map(|b| DatabaseBinding {
                    worker: w.name.clone(),
                    environment: w.environment.clone(),
                    binding: b.name.clone(),
                    database_name: b.target.clone(),
                })
        })
        .collect();
    res.sort();
    res.dedup();
    res
}

fn new_database(
    model: &mut Model,
    id: &str,
    engine: Engine,
    bindings: Vec<DatabaseBinding>,
) -> usize {
    let mut db = Database::empty(id, engine, Vec::new());
    db.origin = DatabaseOrigin::Orm;
    db.bindings = bindings;
    model.databases.push(db);
    model.databases.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, Table};

    fn orm(name: &str, target: OrmTarget) -> OrmTable {
        OrmTable {
            dialect: Engine::Sqlite,
            target,
            table: Table::new(name, Location::line("src/schema.ts", 3)),
        }
    }

    fn d1(id: &str, binding: &str, sources: Vec<String>) -> Database {
        let mut db = Database::empty(id, Engine::D1, sources);
        db.bindings.push(DatabaseBinding {
            worker: "app".into(),
            environment: None,
            binding: binding.into(),
            database_name: None,
        });
        db
    }

    /// A Drizzle table goes to the database its client's binding reaches:
    /// beside the migrations (the truth) when there are some, as the
    /// schema itself when there are none.
    #[test]
    fn drizzle_tables_join_the_database_their_binding_reaches() {
        let mut model = Model::default();
        let binding = |name: &str| crate::model::Binding {
            kind: BindingKind::D1,
            name: name.into(),
            target: None,
            settings: Default::default(),
            location: Location::line("wrangler.toml", 3),
        };
        model.workers.push(crate::model::Worker {
            name: "app".into(),
            environment: None,
            main: Some("src/index.ts".into()),
            bindings: vec![binding("DB"), binding("CACHE_DB")],
            consumers: Vec::new(),
            crons: Vec::new(),
            do_migrations: Vec::new(),
            do_exports: Vec::new(),
            location: Location::line("wrangler.toml", 1),
        });
        model
            .databases
            .push(d1("migrations", "DB", vec!["migrations/0001.sql".into()]));
        model.databases.push(d1("pushed", "CACHE_DB", Vec::new()));
        let by = |binding: &str| OrmTarget::Binding {
            binding: binding.into(),
            client: "src/index.ts".into(),
        };
        model.orm_tables.push(orm("users", by("DB")));
        model.orm_tables.push(orm("entries", by("CACHE_DB")));
        tables(&mut model);
        assert!(model.orm_tables.is_empty());
        let names = |ts: &[Table]| ts.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&model.databases[0].orm_tables), ["users"]);
        assert!(model.databases[0].tables.is_empty());
        assert_eq!(names(&model.databases[1].tables), ["entries"]);
        assert_eq!(model.databases.len(), 2);
    }

    /// Migrations that alter a table they never create are a partial
    /// history: the Drizzle schema is the schema, said once as a note, and
    /// nothing is reported missing or rejected because of it.
    #[test]
    fn a_partial_history_gives_way_to_the_orm_schema() {
        use crate::analysis::rules::testing::{D1, model_with, wrangler};
        let schema = "import { sqliteTable, text, integer } from \"drizzle-orm/sqlite-core\";\nexport const users = sqliteTable(\"users\", {\n  id: integer(\"id\").primaryKey(),\n  email: text(\"email\").notNull(),\n  age: integer(\"age\"),\n});\nexport const teams = sqliteTable(\"teams\", { id: integer(\"id\").primaryKey() });\n";
        let code = "import { drizzle } from \"drizzle-orm/d1\";\nimport { users } from \"./schema\";\nexport default {\n  async fetch(request: Request, env: Env) {\n    await env.DB.prepare(\"SELECT id FROM teams WHERE id = ?\").bind(1).first();\n    return Response.json(await drizzle(env.DB).select().from(users));\n  },\n};\n";
        let model = model_with(
            "",
            &[
                ("wrangler.toml", &wrangler(D1)),
                (
                    "migrations/0007_age.sql",
                    "ALTER TABLE users ADD COLUMN age INTEGER;\n",
                ),
                ("src/schema.ts", schema),
                ("src/index.ts", code),
            ],
        );
        let db = &model.databases[0];
        assert_eq!(db.uncreated, ["users"]);
        assert_eq!(db.origin, DatabaseOrigin::Orm);
        let names: Vec<&str> = db.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["teams", "users"]);
        assert!(db.rejected.is_empty(), "{:?}", db.rejected);
        let notes: Vec<_> = model
            .diagnostics
            .iter()
            .filter(|d| d.code == crate::model::Code::IncompleteHistory)
            .collect();
        assert_eq!(notes.len(), 1, "{:?}", model.diagnostics);
        let judged: Vec<_> = model
            .findings
            .iter()
            .filter(|f| {
                matches!(
                    f.rule,
                    crate::model::RuleId::UnknownTableOrColumn
                        | crate::model::RuleId::RejectedDdl
                        | crate::model::RuleId::SchemaDrift
                )
            })
            .collect();
        assert!(judged.is_empty(), "{judged:?}");
    }
}
