//! SQLite / D1 schemas: apply every statement, in order, to the sandbox and
//! read the final schema back from SQLite's own catalog.
//!
//! What SQLite rejects, D1 rejects. Such a statement becomes a warning and a
//! [`RejectedStatement`] (the recommendations turn it into a finding); a
//! `CREATE TABLE` that fails only because of MySQL-style inline `INDEX`
//! items is re-run without them and the items become real indexes, so the
//! table still appears. Alongside, dmqa remembers where each object was
//! defined and the comment above it, which SQLite does not keep.

use super::SqlInput;
use super::head::{Head, head, significant_tokens};
use super::split::{Statement, split};
use super::table_body::{column_comments, strip_inline_indexes};
use super::tolerant;
use crate::model::{
    Column, Database, Diagnostic, Engine, ForeignKey, Index, IndexColumn, IndexOrigin, Location,
    QueryVerb, RejectedStatement, Table, TableKind, Trigger, TriggerEffect, View,
};
use crate::sandbox::{Sandbox, SandboxError};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// Where each object was defined, and the comments SQLite does not keep.
#[derive(Default)]
struct Provenance {
    tables: BTreeMap<String, (Location, Option<String>)>,
    /// Columns added by `ALTER TABLE`, with the comment on their line.
    columns: BTreeMap<(String, String), (Location, Option<String>)>,
    indexes: BTreeMap<String, Location>,
    inline_indexes: BTreeSet<String>,
    others: BTreeMap<String, Location>,
}

impl Provenance {
    fn record(&mut self, head: &Head, loc: &Location, stmt: &Statement<'_>) {
        let comment = stmt.comment.as_ref();
        match head {
            Head::CreateTable { name } | Head::CreateVirtualTable { name, .. } => {
                let key = name.to_ascii_lowercase();
                let old_purpose = self.tables.get(&key).and_then(|t| t.1.clone());
                self.columns.retain(|(t, _), _| *t != key);
                self.tables
                    .insert(key, (loc.clone(), comment.cloned().or(old_purpose)));
            }
            Head::RenameTable { from, to } => {
                let (from, to) = (from.to_ascii_lowercase(), to.to_ascii_lowercase());
                if let Some(mut t) = self.tables.remove(&from) {
                    // A rebuilt table (`__new_x` renamed to `x`) keeps the
                    // purpose of the table it replaces when it has none.
                    if t.1.is_none() {
                        t.1 = self.tables.get(&to).and_then(|o| o.1.clone());
                    }
                    self.tables.insert(to.clone(), t);
                }
                let moved: Vec<_> = self
                    .columns
                    .iter()
                    .filter(|((t, _), _)| *t == from)
                    .map(|((_, c), l)| (c.clone(), l.clone()))
                    .collect();
                self.columns.retain(|(t, _), _| *t != from && *t != to);
                for (c, l) in moved {
                    self.columns.insert((to.clone(), c), l);
                }
            }
            Head::AddColumn { table, column } => {
                let key = (table.to_ascii_lowercase(), column.to_ascii_lowercase());
                // Only a comment on the statement's own line documents the
                // column; one above usually describes the migration.
                self.columns
                    .insert(key, (loc.clone(), stmt.trailing_comment.clone()));
            }
            Head::RenameColumn { table, from, to } => {
                let table = table.to_ascii_lowercase();
                if let Some(l) = self
                    .columns
                    .remove(&(table.clone(), from.to_ascii_lowercase()))
                {
                    self.columns.insert((table, to.to_ascii_lowercase()), l);
                }
            }
            Head::CreateIndex { name, .. } => {
                let key = name.to_ascii_lowercase();
                self.inline_indexes.remove(&key);
                self.indexes.insert(key, loc.clone());
            }
            Head::CreateView { name } | Head::CreateTrigger { name } => {
                self.others.insert(name.to_ascii_lowercase(), loc.clone());
            }
            Head::Drop { .. } | Head::Pragma | Head::Select | Head::Other => {}
        }
    }
}

/// How long one migration file's statements may run in all…
const FILE_TIME: Duration = Duration::from_secs(30);
/// …and one database's files.
const DATABASE_TIME: Duration = Duration::from_secs(60);

/// Applies `files` in order and returns the database SQLite ends up with.
pub fn build(
    id: &str,
    engine: Engine,
    files: &[SqlInput<'_>],
    diags: &mut Vec<Diagnostic>,
) -> Database {
    let mut db = Database::empty(
        id,
        engine,
        files.iter().map(|f| f.path.to_owned()).collect(),
    );
    let sandbox = match Sandbox::open() {
        Ok(s) => s,
        Err(e) => {
            let path = files.first().map_or("", |f| f.path);
            diags.push(Diagnostic::warning(
                Location::line(path, 1),
                crate::model::Code::SqliteUnavailable,
                format!("cannot open the in-memory SQLite: {e}"),
            ));
            return db;
        }
    };
    let who = if engine == Engine::D1 {
        "SQLite (and so D1)"
    } else {
        "SQLite"
    };
    let mut prov = Provenance::default();
    let database_end = Instant::now() + DATABASE_TIME;
    for file in files {
        let file_end = database_end.min(Instant::now() + FILE_TIME);
        let mut foreign_keys_off = false;
        for stmt in split(file.text) {
            let loc = Location::at(file.path, stmt.line, stmt.column);
            let h = head(stmt.text);
            // A plain SELECT reads: it cannot change the schema. A
            // statement with bind parameters (`INSERT … VALUES (?, ?)`)
            // is a query kept beside the migrations, run by the code with
            // values: not a step of the schema's history.
            let template = || {
                stmt.text.len() < 8_192
                    && stmt.text.contains(['?', ':', '$', '@'])
                    && super::query::has_parameters(stmt.text)
            };
            if h == Head::Select || h == Head::Other && template() {
                continue;
            }
            if h == Head::Pragma {
                let p: String = stmt
                    .text
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if p.starts_with("pragmaforeign_keys=off") || p.starts_with("pragmaforeign_keys=0")
                {
                    foreign_keys_off = true;
                }
            }
            // D1 runs a migration in one transaction, where foreign keys
            // stay on: the drop's implicit DELETE runs the children's
            // ON DELETE actions.
            if engine == Engine::D1
                && let Head::Drop { name } = &h
                && stmt
                    .text
                    .split_whitespace()
                    .nth(1)
                    .is_some_and(|w| w.eq_ignore_ascii_case("TABLE"))
            {
                let children = referencing(&sandbox, name);
                if !children.is_empty() {
                    db.cascading_drops.push(crate::model::CascadingDrop {
                        table: name.clone(),
                        children,
                        foreign_keys_off,
                        location: loc.clone(),
                    });
                }
            }
            if Instant::now() >= file_end {
                let budget = if file_end == database_end {
                    format!(
                        "the {}s this database's migrations may take",
                        DATABASE_TIME.as_secs()
                    )
                } else {
                    format!("the {}s a migration file may take", FILE_TIME.as_secs())
                };
                diags.push(Diagnostic::warning(
                    loc,
                    crate::model::Code::SqlInterrupted,
                    format!("not run: this statement and the rest of the file come after {budget}"),
                ));
                break;
            }
            // libSQL (Turso) changes a column in place; SQLite and D1 have
            // no such statement.
            let libsql = (engine == Engine::Sqlite && h == Head::Other)
                .then(|| super::table_body::libsql_alter_column(stmt.text))
                .flatten();
            let ran = match libsql {
                Some((table, column, definition)) => {
                    alter_column_as_libsql(&sandbox, &table, &column, &definition)
                }
                None => sandbox.execute_until(stmt.text, Some(file_end)),
            };
            match ran {
                Ok(()) => prov.record(&h, &loc, &stmt),
                Err(SandboxError::Rejected(reason)) if !matches!(h, Head::CreateTable { .. }) => {
                    // The same failure over and over (seed INSERTs hitting
                    // a foreign key) is one finding and one warning with a
                    // count, not thousands.
                    if let Some(first) = db
                        .rejected
                        .iter_mut()
                        .find(|r| r.location.path == file.path && r.reason == reason)
                    {
                        first.repeats += 1;
                        continue;
                    }
                    diags.push(Diagnostic::warning(
                        loc.clone(),
                        crate::model::Code::SqliteRejected,
                        format!("{who} rejects this statement: {reason}; it is left out of the schema"),
                    ));
                    db.rejected.push(RejectedStatement {
                        location: loc,
                        table: table_of(&h),
                        reason,
                        offending: Vec::new(),
                        recovered: Vec::new(),
                        repeats: 0,
                    });
                }
                Err(SandboxError::Rejected(reason)) => {
                    let mut rejected = RejectedStatement {
                        location: loc.clone(),
                        table: table_of(&h),
                        reason: reason.clone(),
                        offending: Vec::new(),
                        recovered: Vec::new(),
                        repeats: 0,
                    };
                    if let Head::CreateTable { name } = &h {
                        recover_inline_indexes(
                            &sandbox,
                            name,
                            stmt.text,
                            &loc,
                            &mut rejected,
                            &mut prov,
                            diags,
                        );
                        if rejected.recovered.is_empty() {
                            recover_with_sqlparser(&sandbox, stmt.text, &loc, &mut rejected, &mut prov);
                        }
                        if !rejected.recovered.is_empty() {
                            prov.record(&h, &loc, &stmt);
                        }
                    }
                    let what = if rejected.recovered.is_empty() {
                        "it is left out of the schema".to_owned()
                    } else if rejected.offending.is_empty() {
                        "read it tolerantly as the equivalent SQLite DDL".to_owned()
                    } else {
                        format!(
                            "read its {} inline index item(s) as separate CREATE INDEX statements",
                            rejected.offending.len()
                        )
                    };
                    diags.push(Diagnostic::warning(
                        loc.clone(),
                        crate::model::Code::SqliteRejected,
                        format!("{who} rejects this statement: {reason}; {what}"),
                    ));
                    db.rejected.push(rejected);
                }
                Err(SandboxError::Denied(reason)) => diags.push(Diagnostic::warning(
                    loc,
                    crate::model::Code::SandboxDenied,
                    format!(
                        "not run: dmqa's SQLite sandbox refuses statements that could touch files or change settings ({reason})"
                    ),
                )),
                Err(SandboxError::Interrupted) => diags.push(Diagnostic::warning(
                    loc,
                    crate::model::Code::SqlInterrupted,
                    format!(
                        "not run to the end: the statement took more than 10^7 SQLite steps or {}s",
                        crate::sandbox::STATEMENT_TIME.as_secs()
                    ),
                )),
            }
        }
    }
    for r in db.rejected.iter().filter(|r| r.repeats > 0) {
        diags.push(Diagnostic::warning(
            r.location.clone(),
            crate::model::Code::SqliteRejected,
            format!(
                "the next {} statement(s) in this file fail the same way ({})",
                r.repeats, r.reason
            ),
        ));
    }
    let fallback = Location::line(files.first().map_or("", |f| f.path), 1);
    if let Err(e) = read_catalog(&sandbox, &prov, &fallback, &mut db) {
        diags.push(Diagnostic::warning(
            fallback,
            crate::model::Code::SqliteCatalog,
            format!("cannot read the schema back from SQLite: {e}"),
        ));
    }
    db
}

/// libSQL's `ALTER TABLE t ALTER COLUMN c TO <definition>`, done the way
/// SQLite can: the table made again under its own name (a CHECK may name
/// it) with the column's new definition, its rows, indexes and triggers
/// carried over. Rejected as the statement would be when the table or
/// column does not exist or the new definition is not valid; then nothing
/// changes.
fn alter_column_as_libsql(
    sandbox: &Sandbox,
    table: &str,
    column: &str,
    definition: &str,
) -> Result<(), SandboxError> {
    const ROWS: &str = "__dmqa_libsql_rows";
    let conn = sandbox.own();
    let (name, create): (String, String) = conn
        .query_row(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
            [table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|_| SandboxError::Rejected(format!("no such table: {table}")))?;
    let body = super::table_body::replace_column(&create, column, definition)
        .ok_or_else(|| SandboxError::Rejected(format!("no such column: \"{column}\"")))?;
    let dependents: Vec<String> = query(
        sandbox,
        "SELECT sql FROM sqlite_master WHERE tbl_name = ?1 AND type IN ('index', 'trigger') \
         AND sql IS NOT NULL ORDER BY rowid",
        &name,
        |r| r.get(0),
    )
    .unwrap_or_default();
    let foreign_keys: bool = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap_or(false);
    sandbox.execute("PRAGMA foreign_keys = OFF")?;
    let t = crate::sandbox::quote_ident(&name);
    sandbox.execute("SAVEPOINT dmqa_libsql")?;
    let rebuilt = sandbox.execute(&format!(
        "CREATE TABLE {ROWS} AS SELECT * FROM {t}; DROP TABLE {t}; CREATE TABLE {t} {body}"
    ));
    if rebuilt.is_ok() {
        // Rows the new definition refuses stay behind: the table's shape
        // is what a schema reader needs.
        let _ = sandbox.execute(&format!("INSERT INTO {t} SELECT * FROM {ROWS}"));
        let _ = sandbox.execute(&format!("DROP TABLE {ROWS}"));
        for sql in &dependents {
            let _ = sandbox.execute(sql);
        }
    } else {
        let _ = sandbox.execute("ROLLBACK TO dmqa_libsql");
    }
    let _ = sandbox.execute("RELEASE dmqa_libsql");
    if foreign_keys {
        sandbox.execute("PRAGMA foreign_keys = ON")?;
    }
    rebuilt
}

/// The tables (other than `table` itself) whose foreign keys reference
/// `table` with an `ON DELETE` action that changes rows, with the action.
fn referencing(sandbox: &Sandbox, table: &str) -> Vec<(String, String)> {
    let Ok(tables) = query(
        sandbox,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> ?1 AND name NOT LIKE 'sqlite_%' ORDER BY name",
        table,
        |r| r.get::<_, String>(0),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let nowhere = Location::line("", 1);
    for t in tables {
        let Ok(fks) = read_foreign_keys(sandbox, &nowhere, &t) else {
            continue;
        };
        for action in fks
            .into_iter()
            .filter(|fk| fk.ref_table.eq_ignore_ascii_case(table))
            .filter_map(|fk| fk.on_delete)
        {
            if matches!(action.as_str(), "CASCADE" | "SET NULL" | "SET DEFAULT")
                && !out.contains(&(t.clone(), action.clone()))
            {
                out.push((t.clone(), action));
            }
        }
    }
    out
}

fn table_of(h: &Head) -> Option<String> {
    match h {
        Head::CreateTable { name } | Head::CreateVirtualTable { name, .. } => Some(name.clone()),
        Head::CreateIndex { table, .. }
        | Head::AddColumn { table, .. }
        | Head::RenameColumn { table, .. } => Some(table.clone()),
        Head::RenameTable { from, .. } => Some(from.clone()),
        _ => None,
    }
}

/// Re-runs a rejected `CREATE TABLE` without its inline index items, then
/// creates each item as an index.
fn recover_inline_indexes(
    sandbox: &Sandbox,
    table: &str,
    sql: &str,
    loc: &Location,
    rejected: &mut RejectedStatement,
    prov: &mut Provenance,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(stripped) = strip_inline_indexes(sql) else {
        return;
    };
    if sandbox.execute(&stripped.sql).is_err() {
        return;
    }
    for ix in &stripped.indexes {
        let name = ix.name.clone().unwrap_or_else(|| {
            let cols: String = ix
                .columns
                .split(',')
                .filter_map(|c| c.split_whitespace().next())
                .collect::<Vec<_>>()
                .join("_");
            format!("idx_{table}_{cols}")
        });
        let ddl = format!(
            "CREATE {}INDEX {} ON {}({}){};",
            if ix.unique { "UNIQUE " } else { "" },
            name,
            table,
            ix.columns,
            ix.predicate
                .as_ref()
                .map(|p| format!(" WHERE {p}"))
                .unwrap_or_default()
        );
        let ix_loc = Location::line(&loc.path, loc.line + ix.line.saturating_sub(1));
        rejected.offending.push(ix.written.clone());
        match sandbox.execute(&ddl) {
            Ok(()) => {
                let key = name.to_ascii_lowercase();
                prov.indexes.insert(key.clone(), ix_loc);
                prov.inline_indexes.insert(key);
                rejected.recovered.push(ddl);
            }
            Err(e) => diags.push(Diagnostic::warning(
                ix_loc,
                crate::model::Code::SqliteRejected,
                format!(
                    "inline index `{}` cannot be created as `{ddl}`: {e:?}",
                    ix.written
                ),
            )),
        }
    }
    if rejected.recovered.is_empty() {
        // The table exists now even if no index could be made of the items.
        rejected.recovered.push(stripped.sql);
    }
}

/// Reads a rejected `CREATE TABLE` with sqlparser and runs the equivalent
/// SQLite DDL instead (see `tolerant.rs`).
fn recover_with_sqlparser(
    sandbox: &Sandbox,
    sql: &str,
    loc: &Location,
    rejected: &mut RejectedStatement,
    prov: &mut Provenance,
) {
    let Some(ddl) = tolerant::sqlite_ddl(sql) else {
        return;
    };
    let Some((create, indexes)) = ddl.split_first() else {
        return;
    };
    if sandbox.execute(create).is_err() {
        return;
    }
    rejected.recovered.push(create.clone());
    for ix in indexes {
        if sandbox.execute(ix).is_ok() {
            if let Head::CreateIndex { name, .. } = head(ix) {
                let key = name.to_ascii_lowercase();
                prov.indexes.insert(key.clone(), loc.clone());
                prov.inline_indexes.insert(key);
            }
            rejected.recovered.push(ix.clone());
        }
    }
}

type Rows<T> = rusqlite::Result<Vec<T>>;

fn query<T>(
    sandbox: &Sandbox,
    sql: &str,
    arg: &str,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Rows<T> {
    let mut st = sandbox.own().prepare(sql)?;
    let rows = st.query_map([arg], f)?;
    rows.collect()
}

/// Reads tables, columns, indexes, foreign keys, views and triggers from
/// SQLite's catalog.
fn read_catalog(
    sandbox: &Sandbox,
    prov: &Provenance,
    fallback: &Location,
    db: &mut Database,
) -> rusqlite::Result<()> {
    // Joined here, not in SQL: a join on `pragma_table_list` runs the pragma
    // once per schema row, quadratic in the number of tables.
    let listed: HashMap<String, (String, i64)> = query(
        sandbox,
        "SELECT name, type, wr FROM pragma_table_list WHERE schema = ?1",
        "main",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, String>(1)?, r.get::<_, i64>(2)?),
            ))
        },
    )?
    .into_iter()
    .collect();
    let objects = query(
        sandbox,
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema
         WHERE substr(name, 1, 7) <> ?1 ORDER BY name",
        "sqlite_",
        |r| {
            let name = r.get::<_, String>(1)?;
            let (list_type, wr) = listed.get(&name).cloned().unwrap_or_default();
            Ok((
                r.get::<_, String>(0)?,
                name,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                list_type,
                wr,
            ))
        },
    )?;
    // Each index's DDL, looked up by name (automatic indexes have none).
    let index_sql: HashMap<String, String> = objects
        .iter()
        .filter(|o| o.0 == "index")
        .map(|o| (o.1.clone(), o.3.clone()))
        .collect();
    let loc_of = |map: &BTreeMap<String, Location>, name: &str| {
        map.get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| fallback.clone())
    };
    for (kind, name, tbl_name, sql, list_type, without_rowid) in objects {
        match (kind.as_str(), list_type.as_str()) {
            ("table", "table" | "virtual") => {
                let table = read_table(
                    sandbox,
                    prov,
                    &index_sql,
                    fallback,
                    &name,
                    &sql,
                    without_rowid != 0,
                )?;
                db.tables.push(table);
            }
            ("view", _) => db.views.push(View {
                location: loc_of(&prov.others, &name),
                name,
            }),
            ("trigger", _) => db.triggers.push(Trigger {
                location: loc_of(&prov.others, &name),
                name,
                table: tbl_name,
                effect: trigger_effect(&sql),
            }),
            _ => {}
        }
    }
    Ok(())
}

/// What a trigger's SQL (as SQLite's catalog keeps it) fires on and
/// writes; `None` when sqlparser cannot read it.
fn trigger_effect(sql: &str) -> Option<TriggerEffect> {
    use sqlparser::ast::{FromTable, Statement as S, TableFactor, TableObject, TriggerEvent};
    let stmt = Parser::parse_sql(&SQLiteDialect {}, sql).ok()?.pop()?;
    let S::CreateTrigger(t) = stmt else {
        return None;
    };
    let events = t
        .events
        .iter()
        .filter_map(|e| match e {
            TriggerEvent::Insert => Some(QueryVerb::Insert),
            TriggerEvent::Update(_) => Some(QueryVerb::Update),
            TriggerEvent::Delete => Some(QueryVerb::Delete),
            TriggerEvent::Truncate => None,
        })
        .collect();
    let name = |n: &sqlparser::ast::ObjectName| {
        n.0.last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.clone())
    };
    let relation = |f: &TableFactor| match f {
        TableFactor::Table { name: n, .. } => name(n),
        _ => None,
    };
    let mut writes: Vec<String> = Vec::new();
    let mut inserts: Vec<String> = Vec::new();
    for stmt in t
        .statements
        .as_ref()
        .map(|b| b.statements().as_slice())
        .unwrap_or_default()
    {
        let (target, inserting) = match stmt {
            S::Insert(i) => match &i.table {
                TableObject::TableName(n) => (name(n), true),
                _ => (None, true),
            },
            S::Update(u) => (relation(&u.table.relation), false),
            S::Delete(d) => match &d.from {
                FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f) => {
                    (f.first().and_then(|t| relation(&t.relation)), false)
                }
            },
            _ => (None, false),
        };
        let Some(target) = target else { continue };
        if inserting && !inserts.contains(&target) {
            inserts.push(target.clone());
        }
        if !writes.contains(&target) {
            writes.push(target);
        }
    }
    let before = matches!(t.period, Some(sqlparser::ast::TriggerPeriod::Before));
    Some(TriggerEffect {
        events,
        writes,
        inserts,
        before,
    })
}

fn read_table(
    sandbox: &Sandbox,
    prov: &Provenance,
    index_sql: &HashMap<String, String>,
    fallback: &Location,
    name: &str,
    sql: &str,
    without_rowid: bool,
) -> rusqlite::Result<Table> {
    let kind = match head(sql) {
        Head::CreateVirtualTable {
            module, content, ..
        } => TableKind::Virtual { module, content },
        _ => TableKind::Base,
    };
    let key = name.to_ascii_lowercase();
    let (location, purpose) = prov
        .tables
        .get(&key)
        .cloned()
        .unwrap_or_else(|| (fallback.clone(), None));
    let comments = column_comments(sql);
    let (column_checks, checks) = parse_checks(sql);
    let autoincrement = significant_tokens(sql).is_some_and(|t| {
        t.iter()
            .any(|t| t.token.to_string().eq_ignore_ascii_case("AUTOINCREMENT"))
    });
    let raw = query(
        sandbox,
        r#"SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid"#,
        name,
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        },
    )?;
    let pk_count = raw.iter().filter(|c| c.4 > 0).count();
    let mut columns = Vec::new();
    for (cname, ty, notnull, default, pk, hidden) in raw {
        if hidden == 1 {
            continue; // a virtual table's hidden column
        }
        let added = prov.columns.get(&(key.clone(), cname.to_ascii_lowercase()));
        let rowid_alias = pk > 0 && pk_count == 1 && ty.eq_ignore_ascii_case("INTEGER");
        columns.push(Column {
            nullable: notnull == 0 && !(pk > 0 && (rowid_alias || without_rowid)),
            primary_key_position: u32::try_from(pk).unwrap_or(0),
            autoincrement: rowid_alias && autoincrement,
            check: column_checks.get(&cname.to_ascii_lowercase()).cloned(),
            generated: (hidden >= 2)
                .then(|| if hidden == 3 { "stored" } else { "virtual" }.to_owned()),
            comment: comments
                .get(&cname.to_ascii_lowercase())
                .cloned()
                .or_else(|| added.and_then(|a| a.1.clone())),
            location: added.map_or_else(|| location.clone(), |a| a.0.clone()),
            name: cname,
            sql_type: ty,
            default,
        });
    }
    let mut primary_key: Vec<(u32, String)> = columns
        .iter()
        .filter(|c| c.primary_key_position > 0)
        .map(|c| (c.primary_key_position, c.name.clone()))
        .collect();
    primary_key.sort();
    let indexes = read_indexes(sandbox, prov, index_sql, &location, name)?;
    let foreign_keys = read_foreign_keys(sandbox, &location, name)?;
    Ok(Table {
        name: name.to_owned(),
        kind,
        purpose,
        columns,
        primary_key: primary_key.into_iter().map(|(_, c)| c).collect(),
        indexes,
        foreign_keys,
        checks,
        without_rowid,
        row_estimate: None,
        access_patterns: Vec::new(),
        location,
    })
}

fn read_indexes(
    sandbox: &Sandbox,
    prov: &Provenance,
    index_sql: &HashMap<String, String>,
    table_loc: &Location,
    table: &str,
) -> rusqlite::Result<Vec<Index>> {
    let list = query(
        sandbox,
        r#"SELECT name, "unique", origin FROM pragma_index_list(?1) ORDER BY name"#,
        table,
        |r| {
            let name = r.get::<_, String>(0)?;
            let sql = index_sql.get(&name).cloned().unwrap_or_default();
            Ok((name, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, sql))
        },
    )?;
    let mut res = Vec::new();
    for (name, unique, origin, sql) in list {
        let parsed = parse_create_index(&sql);
        let cols = query(
            sandbox,
            r#"SELECT coalesce(name, ''), "desc" FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno"#,
            &name,
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        let columns = cols
            .into_iter()
            .enumerate()
            .map(|(i, (col, desc))| IndexColumn {
                name: if col.is_empty() {
                    parsed
                        .as_ref()
                        .and_then(|p| p.0.get(i).cloned())
                        .unwrap_or_else(|| "<expression>".to_owned())
                } else {
                    col
                },
                descending: desc != 0,
            })
            .collect();
        let key = name.to_ascii_lowercase();
        let origin = match origin.as_str() {
            "pk" => IndexOrigin::PrimaryKey,
            "u" => IndexOrigin::UniqueConstraint,
            _ if prov.inline_indexes.contains(&key) => IndexOrigin::Inline,
            _ => IndexOrigin::Explicit,
        };
        res.push(Index {
            location: prov
                .indexes
                .get(&key)
                .cloned()
                .unwrap_or_else(|| table_loc.clone()),
            name,
            columns,
            unique: unique != 0,
            partial: parsed.and_then(|p| p.1),
            origin,
        });
    }
    Ok(res)
}

/// `CHECK` constraints of a stored `CREATE TABLE`: per column (lower-case
/// name) and table-level. SQLite keeps them only as text; sqlparser reads
/// them (nothing when it cannot parse the table).
fn parse_checks(sql: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut by_column = BTreeMap::new();
    let mut table = Vec::new();
    if let Ok(stmts) = Parser::parse_sql(&SQLiteDialect {}, sql)
        && let Some(sqlparser::ast::Statement::CreateTable(ct)) = stmts.first()
    {
        for c in &ct.columns {
            for o in &c.options {
                if let sqlparser::ast::ColumnOption::Check(chk) = &o.option {
                    by_column.insert(c.name.value.to_ascii_lowercase(), chk.expr.to_string());
                }
            }
        }
        for c in &ct.constraints {
            if let sqlparser::ast::TableConstraint::Check(chk) = c {
                table.push(chk.expr.to_string());
            }
        }
    }
    (by_column, table)
}

/// Expression texts and `WHERE` of a stored `CREATE INDEX`.
fn parse_create_index(sql: &str) -> Option<(Vec<String>, Option<String>)> {
    if sql.is_empty() {
        return None;
    }
    let stmts = Parser::parse_sql(&SQLiteDialect {}, sql).ok()?;
    match stmts.first()? {
        sqlparser::ast::Statement::CreateIndex(ci) => Some((
            ci.columns
                .iter()
                .map(|c| c.column.expr.to_string())
                .collect(),
            ci.predicate.as_ref().map(ToString::to_string),
        )),
        _ => None,
    }
}

fn read_foreign_keys(
    sandbox: &Sandbox,
    table_loc: &Location,
    table: &str,
) -> rusqlite::Result<Vec<ForeignKey>> {
    let rows = query(
        sandbox,
        r#"SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq"#,
        table,
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        },
    )?;
    let action = |a: &str| (a != "NO ACTION").then(|| a.to_owned());
    let mut res: Vec<(i64, ForeignKey)> = Vec::new();
    for (id, ref_table, from, to, on_update, on_delete) in rows {
        match res.last_mut() {
            Some((last, fk)) if *last == id => {
                fk.columns.push(from);
                fk.ref_columns.extend(to);
            }
            _ => res.push((
                id,
                ForeignKey {
                    columns: vec![from],
                    ref_table,
                    ref_columns: to.into_iter().collect(),
                    on_delete: action(&on_delete),
                    on_update: action(&on_update),
                    location: table_loc.clone(),
                },
            )),
        }
    }
    // pragma_foreign_key_list numbers constraints from the last declared;
    // report them in declaration order.
    res.reverse();
    Ok(res.into_iter().map(|(_, fk)| fk).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_with(engine: Engine, sql: &str) -> (Database, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let files = [SqlInput {
            path: "m/0000.sql",
            text: sql,
        }];
        (build("m", engine, &files, &mut diags), diags)
    }

    /// drizzle-kit's Turso migrations change a column with libSQL's
    /// `ALTER COLUMN … TO`: a SQLite database (Turso is one) takes the new
    /// definition and keeps the table's index and comments; D1 has no such
    /// statement, so there it stays rejected.
    #[test]
    fn libsql_alter_column_changes_the_column_outside_d1() {
        let sql = "CREATE TABLE `s` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`status` text(4) NOT NULL, -- draft or live\n\tCHECK (\"s\".\"id\" > 0)\n);\n\
                   CREATE INDEX `s_status` ON `s` (`status`);\n\
                   CREATE TABLE `c` (`id` integer PRIMARY KEY, `s_id` integer REFERENCES `s`(`id`) ON DELETE CASCADE);\n\
                   ALTER TABLE `s` ALTER COLUMN \"status\" TO \"status\" text DEFAULT 'draft' NOT NULL;\n";
        let (db, diags) = build_with(Engine::Sqlite, sql);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(db.rejected.is_empty());
        let s = db.tables.iter().find(|t| t.name == "s").unwrap();
        let status = &s.columns[1];
        assert_eq!(
            (
                status.sql_type.as_str(),
                status.nullable,
                status.default.as_deref()
            ),
            ("TEXT", false, Some("'draft'"))
        );
        assert_eq!(status.comment.as_deref(), Some("draft or live"));
        assert_eq!(s.indexes.len(), 1);
        let c = db.tables.iter().find(|t| t.name == "c").unwrap();
        assert_eq!(c.foreign_keys[0].ref_table, "s");

        let (d1, _) = build_with(Engine::D1, sql);
        assert_eq!(d1.rejected.len(), 1);
        let s = d1.tables.iter().find(|t| t.name == "s").unwrap();
        assert_eq!(s.columns[1].sql_type, "text(4)");
    }

    #[test]
    fn libsql_alter_column_of_a_missing_column_is_rejected() {
        let sql = "CREATE TABLE s (id integer PRIMARY KEY);\nALTER TABLE s ALTER COLUMN nope TO nope text;\n";
        let (db, _) = build_with(Engine::Sqlite, sql);
        assert_eq!(db.rejected.len(), 1);
        assert!(db.rejected[0].reason.contains("no such column"));
        assert_eq!(db.tables[0].columns.len(), 1);
        // A definition SQLite cannot read changes nothing.
        let sql = "CREATE TABLE s (id integer PRIMARY KEY, b text);\nCREATE INDEX s_b ON s (b);\nALTER TABLE s ALTER COLUMN b TO b text CHECK (;\n";
        let (db, _) = build_with(Engine::Sqlite, sql);
        assert_eq!(db.rejected.len(), 1);
        let t = &db.tables[0];
        assert_eq!((t.columns.len(), t.indexes.len()), (2, 1));
    }
}
