//! Relational schema: databases, tables, columns, indexes, foreign keys,
//! relationships and access patterns.

use super::Location;
use schemars::JsonSchema;
use serde::Serialize;

/// The database engine a schema runs on. The order is the report's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub enum Engine {
    /// Cloudflare D1 (SQLite semantics).
    D1,
    /// PostgreSQL (Neon, Supabase, Hyperdrive, …).
    Postgres,
    /// MySQL / PlanetScale.
    MySql,
    /// Plain SQLite outside D1.
    Sqlite,
}

impl Engine {
    /// The engine a drizzle-kit `dialect` (of a config or a migrations
    /// journal) names.
    pub fn of_drizzle_dialect(dialect: &str) -> Option<Engine> {
        match dialect {
            "sqlite" | "turso" => Some(Engine::Sqlite),
            "postgresql" | "postgres" | "pg" => Some(Engine::Postgres),
            "mysql" | "singlestore" => Some(Engine::MySql),
            _ => None,
        }
    }

    /// The name used in report headings (`## D1 Tables`).
    pub fn label(self) -> &'static str {
        match self {
            Engine::D1 => "D1",
            Engine::Postgres => "Postgres",
            Engine::MySql => "MySQL",
            Engine::Sqlite => "SQLite",
        }
    }

    /// True when the final schema is what SQLite makes of the DDL.
    pub fn is_sqlite(self) -> bool {
        matches!(self, Engine::D1 | Engine::Sqlite)
    }
}

/// A Worker binding that points at a database.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct DatabaseBinding {
    /// The wrangler config that declares it.
    pub worker: String,
    /// `None` for the top level, `Some("staging")` for `[env.staging]`.
    pub environment: Option<String>,
    /// The binding name (`DB`).
    pub binding: String,
    /// The database name (`codepush-db`), when declared.
    pub database_name: Option<String>,
}

/// Where a database's schema comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseOrigin {
    /// Migration or schema SQL files (its `sources`).
    Migrations,
    /// Only an ORM schema (Drizzle) declares it.
    Orm,
    /// The SQLite storage of each object of a Durable Object class, built
    /// by the `CREATE TABLE`s its code runs.
    DurableObject {
        /// The class.
        class: String,
    },
    /// No schema in the checkout: the tables and columns the code's
    /// queries name on a binding (types, keys and indexes unknown).
    Queries,
}

/// One database: a set of tables with one schema history.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Database {
    /// Stable identity: the repo-relative folder its schema comes from.
    pub id: String,
    /// Engine the DDL runs on.
    pub engine: Engine,
    /// Where its schema comes from.
    pub origin: DatabaseOrigin,
    /// Bindings that reach this database, sorted.
    pub bindings: Vec<DatabaseBinding>,
    /// Schema source files in the order they were applied.
    pub sources: Vec<String>,
    /// Base tables and virtual tables.
    pub tables: Vec<Table>,
    /// Views.
    pub views: Vec<View>,
    /// Triggers.
    pub triggers: Vec<Trigger>,
    /// Statements the engine rejects (for D1: what SQLite rejects).
    pub rejected: Vec<RejectedStatement>,
    /// The same database as an ORM schema (Drizzle) declares it, kept
    /// beside `tables` when migrations are the truth, for drift checks.
    pub orm_tables: Vec<Table>,
    /// Tables its migrations alter, index or rename before creating them
    /// (lower case): the history starts after they were made elsewhere.
    pub uncreated: Vec<String>,
    /// `DROP TABLE`s of a table other tables reference with an `ON DELETE`
    /// action (`CASCADE`, `SET NULL`, `SET DEFAULT`) at that point of the
    /// history.
    pub cascading_drops: Vec<CascadingDrop>,
    /// Whether its DDL runs from outside the checkout: only an ORM schema
    /// declares it and no `drizzle.config` turns that schema into
    /// migrations or pushes it (a typed mirror of a database a Supabase
    /// migration or a console made), so its indexes and keys are unknown.
    pub ddl_elsewhere: bool,
}

/// A `DROP TABLE` whose implicit `DELETE` runs the `ON DELETE` actions of
/// the foreign keys that reference it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CascadingDrop {
    /// The table dropped.
    pub table: String,
    /// Each referencing table with its action (`CASCADE`, `SET NULL`,
    /// `SET DEFAULT`).
    pub children: Vec<(String, String)>,
    /// Whether the same file turns foreign keys off first (`PRAGMA
    /// foreign_keys=OFF`, the rebuild drizzle-kit writes).
    pub foreign_keys_off: bool,
    /// The `DROP TABLE`.
    pub location: Location,
}

impl Database {
    /// The database in a few words: its database name, else its binding,
    /// else where its schema lives.
    pub fn short_label(&self) -> &str {
        self.bindings
            .iter()
            .find_map(|b| b.database_name.as_deref())
            .or_else(|| self.bindings.first().map(|b| b.binding.as_str()))
            .unwrap_or(&self.id)
    }

    /// Whether its tables' keys, indexes and types are known: false for a
    /// database known only from the queries the code runs.
    pub fn schema_known(&self) -> bool {
        self.origin != DatabaseOrigin::Queries
    }

    /// Whether the indexes and keys it lacks are known to be missing: its
    /// schema is known and is what creates it.
    pub fn indexes_known(&self) -> bool {
        self.schema_known() && !self.ddl_elsewhere
    }

    /// A database with no objects yet, built from `sources`.
    pub fn empty(id: &str, engine: Engine, sources: Vec<String>) -> Database {
        Database {
            id: id.to_owned(),
            engine,
            origin: DatabaseOrigin::Migrations,
            bindings: Vec::new(),
            sources,
            tables: Vec::new(),
            views: Vec::new(),
            triggers: Vec::new(),
            rejected: Vec::new(),
            orm_tables: Vec::new(),
            uncreated: Vec::new(),
            cascading_drops: Vec::new(),
            ddl_elsewhere: false,
        }
    }
}

/// A DDL statement the database engine would reject, with what dmqa still
/// read from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RejectedStatement {
    /// Where the statement starts.
    pub location: Location,
    /// The table it defines or alters, when known.
    pub table: Option<String>,
    /// The engine's error message.
    pub reason: String,
    /// The offending parts, as written (`INDEX idx_email (email)`).
    pub offending: Vec<String>,
    /// What dmqa read instead, as DDL the engine accepts.
    pub recovered: Vec<String>,
    /// How many later statements of the same file fail the same way.
    pub repeats: u32,
}

/// Whether a table is an ordinary table or a virtual one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub enum TableKind {
    /// An ordinary table.
    Base,
    /// `CREATE VIRTUAL TABLE … USING module(…)`.
    Virtual {
        /// The module, e.g. `fts5`.
        module: String,
        /// The table a full-text index takes its rows from (`content='docs'`):
        /// `None` when it stores its own, empty when it stores none.
        content: Option<String>,
    },
}

/// A table with its columns, keys and indexes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Table {
    /// Table name as declared.
    pub name: String,
    /// Base or virtual.
    pub kind: TableKind,
    /// The comment above its `CREATE TABLE`, if any.
    pub purpose: Option<String>,
    /// Columns in declaration order.
    pub columns: Vec<Column>,
    /// Primary key columns in key order; empty when there is none.
    pub primary_key: Vec<String>,
    /// Indexes, explicit and implicit (UNIQUE / PRIMARY KEY constraints).
    pub indexes: Vec<Index>,
    /// Declared foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Table-level `CHECK` expressions.
    pub checks: Vec<String>,
    /// `WITHOUT ROWID` (SQLite).
    pub without_rowid: bool,
    /// Order-of-magnitude row estimate (`1000s`), once analysis fills it.
    pub row_estimate: Option<String>,
    /// Access patterns found in code, once analysis fills them.
    pub access_patterns: Vec<AccessPattern>,
    /// Where the table's final definition was created.
    pub location: Location,
}

impl Table {
    /// An ordinary table with nothing in it yet, defined at `location`.
    pub fn new(name: &str, location: Location) -> Table {
        Table {
            name: name.to_owned(),
            kind: TableKind::Base,
            purpose: None,
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            without_rowid: false,
            row_estimate: None,
            access_patterns: Vec::new(),
            location,
        }
    }
}

/// A column.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Declared SQL type, as written (`TEXT`, `varchar(18)`); empty if none.
    pub sql_type: String,
    /// Whether NULL is accepted.
    pub nullable: bool,
    /// Default expression, as written.
    pub default: Option<String>,
    /// Position in the primary key (1-based), 0 when not part of it.
    pub primary_key_position: u32,
    /// `AUTOINCREMENT` / `AUTO_INCREMENT` / `serial`.
    pub autoincrement: bool,
    /// Generated column expression, when generated.
    pub generated: Option<String>,
    /// Column-level `CHECK` expression.
    pub check: Option<String>,
    /// Trailing comment in the DDL and other notes.
    pub comment: Option<String>,
    /// Where the column was declared (CREATE TABLE or ALTER TABLE ADD).
    pub location: Location,
}

impl Column {
    /// A nullable column of type `sql_type` with nothing else declared.
    pub fn new(name: &str, sql_type: &str, location: Location) -> Column {
        Column {
            name: name.to_owned(),
            sql_type: sql_type.to_owned(),
            nullable: true,
            default: None,
            primary_key_position: 0,
            autoincrement: false,
            generated: None,
            check: None,
            comment: None,
            location,
        }
    }
}

/// The table of `tables` named `name`, whatever its case (SQLite and D1
/// names are case-insensitive).
pub fn table_named<'t>(tables: &'t [Table], name: &str) -> Option<&'t Table> {
    tables.iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

/// One column (or expression) of an index, with its sort order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct IndexColumn {
    /// Column name, or the expression text for an expression index.
    pub name: String,
    /// `DESC` ordering.
    pub descending: bool,
}

/// Where an index comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum IndexOrigin {
    /// `CREATE INDEX`.
    Explicit,
    /// A `UNIQUE` constraint.
    UniqueConstraint,
    /// A `PRIMARY KEY` constraint that SQLite backs with an index.
    PrimaryKey,
    /// MySQL-style `INDEX name (cols)` inside `CREATE TABLE`, read tolerantly.
    Inline,
}

/// An index.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Index {
    /// Index name (SQLite's `sqlite_autoindex_*` for implicit ones).
    pub name: String,
    /// Indexed columns in order.
    pub columns: Vec<IndexColumn>,
    /// UNIQUE.
    pub unique: bool,
    /// The `WHERE` of a partial index.
    pub partial: Option<String>,
    /// Where it comes from.
    pub origin: IndexOrigin,
    /// Where it was declared.
    pub location: Location,
}

/// A declared foreign key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ForeignKey {
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns (empty means the referenced primary key).
    pub ref_columns: Vec<String>,
    /// `ON DELETE` action when not `NO ACTION`.
    pub on_delete: Option<String>,
    /// `ON UPDATE` action when not `NO ACTION`.
    pub on_update: Option<String>,
    /// Where it was declared.
    pub location: Location,
}

/// A view.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct View {
    /// View name.
    pub name: String,
    /// Where it was created.
    pub location: Location,
}

/// A trigger.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Trigger {
    /// Trigger name.
    pub name: String,
    /// Table it fires on.
    pub table: String,
    /// What it does, when its SQL could be read.
    pub effect: Option<TriggerEffect>,
    /// Where it was created.
    pub location: Location,
}

/// The statements that fire a trigger and the tables its body writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TriggerEffect {
    /// The statements on its table that fire it.
    pub events: Vec<QueryVerb>,
    /// The tables its body inserts into, updates or deletes from.
    pub writes: Vec<String>,
    /// Of those, the tables it inserts into.
    pub inserts: Vec<String>,
    /// Whether it runs before the statement (`BEFORE`), when the old row is
    /// still in its table.
    pub before: bool,
}

/// How a relationship is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub enum RelationKind {
    /// A declared FOREIGN KEY / REFERENCES.
    Declared,
    /// Drizzle `relations()`.
    DrizzleRelations,
    /// Inferred from JOIN conditions or column names.
    Inferred,
    /// Declared in `dmqa.toml` (`[[relationships]]`).
    Configured,
}

/// A directed relationship: `from_table.from_columns → to_table.to_columns`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Relationship {
    /// Database id both tables live in.
    pub database: String,
    /// Referencing table.
    pub from_table: String,
    /// Referencing columns.
    pub from_columns: Vec<String>,
    /// Referenced table.
    pub to_table: String,
    /// Referenced columns (empty: its primary key).
    pub to_columns: Vec<String>,
    /// How it is known.
    pub kind: RelationKind,
    /// Where the evidence is.
    pub location: Location,
}

impl Relationship {
    /// Whether every row of `child` (its referencing table) must have a
    /// parent: each referencing column is declared NOT NULL.
    pub fn is_required(&self, child: &Table) -> bool {
        !self.from_columns.is_empty()
            && self.from_columns.iter().all(|c| {
                child
                    .columns
                    .iter()
                    .any(|col| col.name == *c && !col.nullable)
            })
    }
}

/// What a statement does to its table, before its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueryVerb {
    /// A `SELECT` returning at most one row (by id, a unique key or
    /// `LIMIT 1`).
    Get,
    /// A `SELECT` of many rows.
    List,
    /// `SELECT COUNT(…)`.
    Count,
    /// `INSERT`.
    Insert,
    /// `INSERT … ON CONFLICT` / `INSERT OR …`.
    Upsert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
}

impl QueryVerb {
    /// Whether it adds rows: `INSERT`, plain or upsert.
    pub fn inserts(self) -> bool {
        matches!(self, QueryVerb::Insert | QueryVerb::Upsert)
    }
}

/// What a statement does: its verb, the columns it compares, the columns
/// an `UPDATE` sets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Operation {
    /// The verb.
    pub verb: QueryVerb,
    /// The columns its `WHERE` compares, in order.
    pub by: Vec<String>,
    /// The columns an `UPDATE` sets.
    pub sets: Vec<String>,
}

/// A query the code runs against a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AccessPattern {
    /// What it does: `List by org_id`.
    pub operation: Operation,
    /// Normalised `WHERE … ORDER BY … LIMIT …` with `?` parameters.
    pub query: String,
    /// What runs it and how often, in the order first seen.
    pub frequency: Vec<super::Run>,
    /// Every place the pattern was found.
    pub sources: Vec<Location>,
}

/// Which database an ORM table is meant for, as far as the code says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub enum OrmTarget {
    /// `drizzle(env.DB, …)`: the D1 binding `binding` of the Worker whose
    /// code (`client`, the file making the call) it is.
    Binding {
        /// Binding name.
        binding: String,
        /// Repo-relative path of the file calling `drizzle(…)`.
        client: String,
    },
    /// A `drizzle.config` whose `out` folder holds the migrations.
    MigrationsDir(String),
    /// Nothing says; the core module's dialect decides.
    Unassigned,
}

/// A table declared by an ORM schema (Drizzle), before it is matched with
/// a database.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrmTable {
    /// Dialect of the core module it was built with (`Sqlite`, `Postgres`,
    /// `MySql`).
    pub dialect: Engine,
    /// Where it belongs.
    pub target: OrmTarget,
    /// The table as the schema declares it.
    pub table: Table,
}

/// A `drizzle.config.*` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DrizzleConfig {
    /// `dialect` (`sqlite`, `postgresql`, `mysql`, `turso`, …).
    pub dialect: Option<String>,
    /// `driver` (`d1-http`, …).
    pub driver: Option<String>,
    /// `schema` paths or globs, relative to the repo root.
    pub schema: Vec<String>,
    /// `out` folder relative to the repo root (drizzle-kit's default is
    /// `drizzle`).
    pub out: String,
    /// `casing` (`snake_case`, `camelCase`).
    pub casing: Option<String>,
    /// Whether the package holding it applies the schema with
    /// `drizzle-kit push` and never runs the migrations in `out`.
    pub pushed: bool,
    /// Where.
    pub location: Location,
}

impl DrizzleConfig {
    /// Whether one of its `schema` entries (a path, folder or glob
    /// relative to the repo root) names `path`.
    pub fn names_schema_file(&self, path: &str) -> bool {
        self.schema.iter().any(|schema| {
            if schema == path {
                return true;
            }
            if !schema.contains('*') {
                // A folder.
                return path
                    .strip_prefix(schema.trim_end_matches('/'))
                    .is_some_and(|rest| rest.starts_with('/'));
            }
            globset::Glob::new(schema).is_ok_and(|g| g.compile_matcher().is_match(path))
        })
    }
}
