//! Postgres and MySQL schemas, built from sqlparser's AST statement by
//! statement (there is no engine to run them in).
//!
//! Reads `CREATE TABLE` (columns, inline and table constraints, MySQL
//! `INDEX`/`KEY` items), `CREATE INDEX`, `ALTER TABLE` (add / drop / rename
//! column, rename table, add constraint, set / drop NOT NULL and DEFAULT),
//! `DROP TABLE|INDEX`, `CREATE VIEW`, Postgres enums and `COMMENT ON TABLE`.

use super::SqlInput;
use super::split::{Statement as Chunk, split};
use crate::model::{
    Column, Database, Diagnostic, Engine, ForeignKey, Index, IndexColumn, IndexOrigin, Location,
    Table, View,
};
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, CommentObject, DataType,
    ObjectName, ObjectType, RenameTableNameKind, Statement, TableConstraint,
    UserDefinedTypeRepresentation,
};
use sqlparser::dialect::{Dialect, MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;
use std::collections::BTreeMap;

/// A name with its schema when that is not `public` (`auth.users`): a
/// table the migrations may not create, not the `users` they do.
fn qualified(name: &ObjectName) -> String {
    let parts: Vec<&str> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.as_str()))
        .collect();
    match parts.as_slice() {
        [.., schema, table] if !schema.eq_ignore_ascii_case("public") => {
            format!("{schema}.{table}")
        }
        _ => last(name),
    }
}

fn last(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

struct Builder {
    /// `schema.table` (lower case) of each table created with a schema
    /// other than `public`.
    in_schema: std::collections::BTreeSet<String>,
    /// (table, constraint name), lower case → the foreign key's columns:
    /// what `DROP CONSTRAINT name` removes. Unnamed keys go by Postgres's
    /// default name, `{table}_{columns}_fkey`.
    fk_names: BTreeMap<(String, String), Vec<String>>,
    table_of: BTreeMap<String, usize>,
    tables: Vec<Option<Table>>,
    enums: BTreeMap<String, Vec<String>>,
    views: Vec<View>,
}

impl Builder {
    /// Remembers the name of a foreign key of `table` on `columns`.
    fn name_fk(&mut self, table: &str, name: Option<&sqlparser::ast::Ident>, columns: Vec<String>) {
        let name = match name {
            Some(n) => n.value.to_ascii_lowercase(),
            None => format!("{}_{}_fkey", table, columns.join("_")).to_ascii_lowercase(),
        };
        self.fk_names.insert(
            (table.to_ascii_lowercase(), name),
            columns.iter().map(|c| c.to_ascii_lowercase()).collect(),
        );
    }

    /// The names of the foreign keys a column definition declares.
    fn name_column_fks(&mut self, table: &str, col: &ColumnDef) {
        for opt in &col.options {
            if matches!(opt.option, ColumnOption::ForeignKey(_)) {
                self.name_fk(table, opt.name.as_ref(), vec![col.name.value.clone()]);
            }
        }
    }

    fn get(&mut self, name: &str) -> Option<&mut Table> {
        let idx = *self.table_of.get(&name.to_ascii_lowercase())?;
        self.tables.get_mut(idx)?.as_mut()
    }
}

/// Builds a Postgres or MySQL database from `files`, in order.
pub fn build(
    id: &str,
    engine: Engine,
    files: &[SqlInput<'_>],
    diags: &mut Vec<Diagnostic>,
) -> Database {
    let dialect: Box<dyn Dialect> = match engine {
        Engine::MySql => Box::new(MySqlDialect {}),
        _ => Box::new(PostgreSqlDialect {}),
    };
    let mut b = Builder {
        in_schema: Default::default(),
        fk_names: BTreeMap::new(),
        table_of: BTreeMap::new(),
        tables: Vec::new(),
        enums: BTreeMap::new(),
        views: Vec::new(),
    };
    for file in files {
        let mut chunks = split(file.text);
        // `DO $$ BEGIN ALTER TABLE … ADD CONSTRAINT …; EXCEPTION WHEN
        // duplicate_object THEN null; END $$;` (older drizzle-kit's
        // foreign keys): the statements of the block, at their lines.
        let mut i = 0;
        while i < chunks.len() {
            match do_block_body(chunks[i].text) {
                Some((before, body)) => {
                    let line =
                        chunks[i].line + u32::try_from(before.matches('\n').count()).unwrap_or(0);
                    let inner: Vec<Chunk<'_>> = split(body)
                        .into_iter()
                        .map(|mut c| {
                            // `IF NOT EXISTS (…) THEN ALTER TABLE …; END IF;`:
                            // the guarded statement.
                            if let Some((guard, then)) = if_then(c.text) {
                                c.line += u32::try_from(guard.matches('\n').count()).unwrap_or(0);
                                c.text = then;
                            }
                            c.line += line - 1;
                            c
                        })
                        .collect();
                    let n = inner.len();
                    chunks.splice(i..=i, inner);
                    i += n;
                }
                None => i += 1,
            }
        }
        for chunk in chunks {
            if !shapes_schema(chunk.text) {
                continue;
            }
            let loc = Location::at(file.path, chunk.line, chunk.column);
            let parsed = Parser::parse_sql(dialect.as_ref(), chunk.text).or_else(|e| {
                // pg_dump's `ADD GENERATED … AS IDENTITY (SEQUENCE NAME …
                // START WITH 1 …)`: sqlparser reads the form without the
                // sequence options, which say nothing about the schema.
                // `DROP INDEX CONCURRENTLY` (Postgres): how, not what.
                match without_identity_options(chunk.text)
                    .or_else(|| without_concurrently(chunk.text))
                {
                    Some(t) => Parser::parse_sql(dialect.as_ref(), &t).map_err(|_| e),
                    None => Err(e),
                }
            });
            match parsed {
                Ok(stmts) => {
                    for stmt in stmts {
                        apply(&mut b, stmt, &chunk, &loc);
                    }
                }
                Err(e) => diags.push(parse_error(file.path, &chunk, &e.to_string())),
            }
        }
    }
    let enums = b.enums;
    let in_schema = b.in_schema;
    let mut tables: Vec<Table> = b.tables.into_iter().flatten().collect();
    for t in &mut tables {
        // A reference to `s.t` where the migrations create `t` in `s` is
        // that table.
        for fk in &mut t.foreign_keys {
            if in_schema.contains(&fk.ref_table.to_ascii_lowercase())
                && let Some((_, table)) = fk.ref_table.rsplit_once('.')
            {
                fk.ref_table = table.to_owned();
            }
        }
        // An index name is taken once: a guarded re-run (`IF NOT EXISTS
        // … THEN ADD CONSTRAINT u`) of one already made adds nothing.
        let mut seen = std::collections::BTreeSet::new();
        t.indexes
            .retain(|i| seen.insert(i.name.to_ascii_lowercase()));
        for c in &mut t.columns {
            if let Some(values) = enums.get(&c.sql_type.to_ascii_lowercase()) {
                let note = format!("enum: {}", values.join(", "));
                c.comment = Some(match c.comment.take() {
                    Some(old) => format!("{old}; {note}"),
                    None => note,
                });
            }
        }
    }
    let mut db = Database::empty(
        id,
        engine,
        files.iter().map(|f| f.path.to_owned()).collect(),
    );
    db.tables = tables;
    db.views = b.views;
    db
}

/// The statements of an anonymous `DO $tag$ BEGIN … [EXCEPTION …] END
/// $tag$` block, with the text before them: what the block runs when
/// nothing fails.
fn do_block_body(sql: &str) -> Option<(&str, &str)> {
    let words = super::head::leading_keywords(sql, 1);
    if words.first()?.as_deref() != Some("DO") {
        return None;
    }
    let open = sql.find('$')?;
    let tag_len = sql[open + 1..].find('$')? + 2;
    let tag = &sql[open..open + tag_len];
    let start = open + tag_len;
    let end = start + sql[start..].find(tag)?;
    let body = &sql[start..end];
    let upper = body.to_ascii_uppercase();
    let word_at = |w: &str| {
        upper.match_indices(w).map(|(i, _)| i).find(|&i| {
            let before = upper[..i].chars().next_back();
            let after = upper[i + w.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    let from = word_at("BEGIN")? + "BEGIN".len();
    let to = word_at("EXCEPTION")
        .or_else(|| upper.rfind("END"))
        .filter(|&t| t >= from)?;
    Some((&sql[..start + from], &body[from..to]))
}

/// `IF cond THEN stmt` (a statement of a `DO` block) → (`IF cond THEN`
/// with the space after it, `stmt`).
fn if_then(sql: &str) -> Option<(&str, &str)> {
    if super::head::leading_keywords(sql, 1).first()?.as_deref() != Some("IF") {
        return None;
    }
    let upper = sql.to_ascii_uppercase();
    let at = upper.match_indices("THEN").map(|(i, _)| i).find(|&i| {
        let before = upper[..i].chars().next_back();
        let after = upper[i + 4..].chars().next();
        before.is_some_and(char::is_whitespace) && after.is_none_or(char::is_whitespace)
    })?;
    let then = sql[at + 4..].trim_start();
    Some((&sql[..sql.len() - then.len()], then))
}

/// `DROP INDEX CONCURRENTLY …` → `DROP INDEX …`.
fn without_concurrently(sql: &str) -> Option<String> {
    let words = super::head::leading_keywords(sql, 3);
    let drop_index = words
        .iter()
        .take(2)
        .map(|w| w.as_deref())
        .eq([Some("DROP"), Some("INDEX")]);
    if !drop_index || words.get(2).and_then(|w| w.as_deref()) != Some("CONCURRENTLY") {
        return None;
    }
    let at = sql.to_ascii_uppercase().find("CONCURRENTLY")?;
    Some(format!(
        "{}{}",
        &sql[..at],
        &sql[at + "CONCURRENTLY".len()..]
    ))
}

/// `… AS IDENTITY (SEQUENCE NAME s START WITH 1)` → `… AS IDENTITY`.
fn without_identity_options(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let at = upper.find("AS IDENTITY")? + "AS IDENTITY".len();
    let open = at + sql[at..].find('(')?;
    if !sql[at..open].trim().is_empty() {
        return None;
    }
    let mut depth = 0usize;
    for (i, ch) in sql[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(format!("{}{}", &sql[..at], &sql[open + i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a statement can change what the report shows: tables,
/// columns, indexes, views, enum types and table comments. Grants,
/// policies, functions, triggers, `DO` blocks, sequences and data are not
/// the data model, so they are neither parsed nor reported when sqlparser
/// cannot read them (a Supabase dump is mostly such statements).
fn shapes_schema(sql: &str) -> bool {
    const MODIFIERS: &[&str] = &[
        "OR",
        "REPLACE",
        "UNIQUE",
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "GLOBAL",
        "LOCAL",
        "MATERIALIZED",
        "RECURSIVE",
    ];
    let words = super::head::leading_keywords(sql, 8);
    let mut it = words.iter().map(|w| w.as_deref().unwrap_or(""));
    let verb = it.next().unwrap_or("");
    let object = it.find(|w| !MODIFIERS.contains(w)).unwrap_or("");
    match verb {
        "CREATE" | "DROP" => matches!(object, "TABLE" | "INDEX" | "VIEW" | "TYPE"),
        "ALTER" => object == "TABLE",
        "COMMENT" => matches!(
            words.get(2).and_then(|w| w.as_deref()),
            Some("TABLE" | "COLUMN")
        ),
        "RENAME" => object == "TABLE",
        _ => false,
    }
}

/// A parse error at its absolute position: sqlparser reports positions
/// relative to the statement text, inside the message.
pub fn parse_error(path: &str, chunk: &Chunk<'_>, msg: &str) -> Diagnostic {
    let (mut line, mut col) = (chunk.line, chunk.column);
    let mut text = msg.trim_start_matches("sql parser error: ").to_owned();
    if let Some(at) = msg.rfind(" at Line: ") {
        let tail = &msg[at + " at Line: ".len()..];
        let mut parts = tail.split(", Column: ");
        let l = parts.next().and_then(|s| s.trim().parse::<u32>().ok());
        let c = parts.next().and_then(|s| s.trim().parse::<u32>().ok());
        if let (Some(l), Some(c)) = (l, c) {
            if l <= 1 {
                col = chunk.column + c.saturating_sub(1);
            } else {
                col = c;
            }
            line = chunk.line + l.saturating_sub(1);
            if let Some(cut) = text.rfind(" at Line: ") {
                text.truncate(cut);
            }
        }
    }
    Diagnostic::warning(
        Location::at(path, line, col),
        crate::model::Code::SqlParseError,
        format!("cannot parse this statement ({text}); it is skipped"),
    )
}

fn apply(b: &mut Builder, stmt: Statement, chunk: &Chunk<'_>, loc: &Location) {
    match stmt {
        Statement::CreateTable(ct) => {
            let name = last(&ct.name);
            let full = qualified(&ct.name);
            if full != name {
                b.in_schema.insert(full.to_ascii_lowercase());
            }
            let mut table = Table::new(&name, loc.clone());
            table.purpose.clone_from(&chunk.comment);
            for col in &ct.columns {
                b.name_column_fks(&name, col);
                add_column(&mut table, col, loc);
            }
            for c in ct.constraints {
                if let TableConstraint::ForeignKey(fk) = &c {
                    let cols = fk.columns.iter().map(|i| i.value.clone()).collect();
                    b.name_fk(&name, fk.name.as_ref(), cols);
                }
                add_constraint(&mut table, c, loc);
            }
            let key = name.to_ascii_lowercase();
            if let Some(&idx) = b.table_of.get(&key) {
                b.tables[idx] = None;
            }
            b.table_of.insert(key, b.tables.len());
            b.tables.push(Some(table));
        }
        Statement::CreateIndex(ci) => {
            let table = last(&ci.table_name);
            if let Some(t) = b.get(&table) {
                let columns = ci
                    .columns
                    .iter()
                    .map(|c| IndexColumn {
                        // A plain column is its name unquoted (`"a"`,
                        // `` `a` ``, `[a]`); an expression as written.
                        name: match &c.column.expr {
                            sqlparser::ast::Expr::Identifier(i) => i.value.clone(),
                            e => e.to_string(),
                        },
                        descending: matches!(
                            c.column.options.sort,
                            Some(sqlparser::ast::OrderBySort::Desc)
                        ),
                    })
                    .collect();
                t.indexes.push(Index {
                    name: ci
                        .name
                        .as_ref()
                        .map(last)
                        .unwrap_or_else(|| format!("{table}_idx")),
                    columns,
                    unique: ci.unique,
                    partial: ci.predicate.as_ref().map(ToString::to_string),
                    origin: IndexOrigin::Explicit,
                    location: loc.clone(),
                });
            }
        }
        Statement::AlterTable(at) => {
            let mut name = last(&at.name);
            for op in at.operations {
                name = alter(b, &name, op, loc);
            }
        }
        Statement::Drop {
            object_type, names, ..
        } => {
            for n in names {
                let n = last(&n).to_ascii_lowercase();
                match object_type {
                    ObjectType::Table => {
                        if let Some(idx) = b.table_of.remove(&n) {
                            b.tables[idx] = None;
                        }
                    }
                    ObjectType::Index => {
                        for t in b.tables.iter_mut().flatten() {
                            t.indexes.retain(|i| i.name.to_ascii_lowercase() != n);
                        }
                    }
                    ObjectType::View => b.views.retain(|v| v.name.to_ascii_lowercase() != n),
                    _ => {}
                }
            }
        }
        Statement::CreateView(cv) => b.views.push(View {
            name: last(&cv.name),
            location: loc.clone(),
        }),
        Statement::CreateType {
            name,
            representation: Some(UserDefinedTypeRepresentation::Enum { labels }),
        } => {
            b.enums.insert(
                last(&name).to_ascii_lowercase(),
                labels.iter().map(|l| l.value.clone()).collect(),
            );
        }
        Statement::Comment {
            object_type: CommentObject::Table,
            object_name,
            comment: Some(text),
            ..
        } => {
            if let Some(t) = b.get(&last(&object_name)) {
                t.purpose = Some(text);
            }
        }
        _ => {}
    }
}

fn alter(b: &mut Builder, name: &str, op: AlterTableOperation, loc: &Location) -> String {
    if let AlterTableOperation::RenameTable { table_name } = &op {
        let to = match table_name {
            RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => last(n),
        };
        if let Some(idx) = b.table_of.remove(&name.to_ascii_lowercase()) {
            if let Some(t) = b.tables[idx].as_mut() {
                t.name = to.clone();
            }
            b.table_of.insert(to.to_ascii_lowercase(), idx);
            // Both engines repoint foreign keys at the renamed table.
            for fk in b
                .tables
                .iter_mut()
                .flatten()
                .flat_map(|t| &mut t.foreign_keys)
            {
                if fk.ref_table.eq_ignore_ascii_case(name) {
                    fk.ref_table = to.clone();
                }
            }
        }
        return to;
    }
    match &op {
        AlterTableOperation::AddConstraint {
            constraint: TableConstraint::ForeignKey(fk),
            ..
        } => {
            let cols = fk.columns.iter().map(|i| i.value.clone()).collect();
            b.name_fk(name, fk.name.as_ref(), cols);
        }
        AlterTableOperation::AddColumn { column_def, .. } => b.name_column_fks(name, column_def),
        AlterTableOperation::DropConstraint { name: c, .. } => {
            let dropped = b
                .fk_names
                .remove(&(name.to_ascii_lowercase(), c.value.to_ascii_lowercase()));
            if let Some(t) = b.get(name) {
                if let Some(cols) = dropped {
                    t.foreign_keys.retain(|f| {
                        f.columns
                            .iter()
                            .map(|x| x.to_ascii_lowercase())
                            .ne(cols.iter().cloned())
                    });
                }
                // A UNIQUE constraint is its index.
                t.indexes.retain(|i| !i.name.eq_ignore_ascii_case(&c.value));
            }
            return name.to_owned();
        }
        _ => {}
    }
    let Some(t) = b.get(name) else {
        return name.to_owned();
    };
    match op {
        AlterTableOperation::AddColumn { column_def, .. } => add_column(t, &column_def, loc),
        AlterTableOperation::DropColumn { column_names, .. } => {
            for c in column_names {
                t.columns.retain(|x| !x.name.eq_ignore_ascii_case(&c.value));
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            for c in &mut t.columns {
                if c.name.eq_ignore_ascii_case(&old_column_name.value) {
                    c.name = new_column_name.value.clone();
                }
            }
        }
        AlterTableOperation::AddConstraint { constraint, .. } => add_constraint(t, constraint, loc),
        AlterTableOperation::AlterColumn { column_name, op } => {
            if let Some(c) = t
                .columns
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(&column_name.value))
            {
                match op {
                    AlterColumnOperation::SetNotNull => c.nullable = false,
                    AlterColumnOperation::DropNotNull => c.nullable = true,
                    AlterColumnOperation::SetDefault { value } => {
                        c.default = Some(default_text(&value))
                    }
                    AlterColumnOperation::DropDefault => c.default = None,
                    AlterColumnOperation::SetDataType { data_type, .. } => {
                        c.sql_type = data_type.to_string().to_lowercase()
                    }
                    // `ADD GENERATED … AS IDENTITY`, as pg_dump writes it.
                    AlterColumnOperation::AddGenerated { .. } => c.autoincrement = true,
                }
            }
        }
        _ => {}
    }
    name.to_owned()
}

fn foreign_key(
    columns: Vec<String>,
    fk: &sqlparser::ast::ForeignKeyConstraint,
    loc: &Location,
) -> ForeignKey {
    ForeignKey {
        columns,
        ref_table: qualified(&fk.foreign_table),
        ref_columns: fk
            .referred_columns
            .iter()
            .map(|i| i.value.clone())
            .collect(),
        on_delete: action(fk.on_delete),
        on_update: action(fk.on_update),
        location: loc.clone(),
    }
}

/// A referential action, `None` for the default `NO ACTION`.
fn action(a: Option<sqlparser::ast::ReferentialAction>) -> Option<String> {
    a.filter(|a| *a != sqlparser::ast::ReferentialAction::NoAction)
        .map(|a| a.to_string())
}

/// A type name as written, without quotes or a `public.` schema:
/// `"public"."mood"` → `mood`.
fn type_name(ty: &DataType) -> String {
    let s = ty.to_string();
    // `public.` is the default schema: Postgres shows the type without it.
    let s = s
        .strip_prefix("public.")
        .or_else(|| s.strip_prefix("\"public\"."))
        .unwrap_or(&s)
        .to_owned();
    if s.contains('"') {
        // A quoted (user-defined) name keeps its case, as Postgres does.
        return s.replace('"', "");
    }
    // Lower case outside string literals: `ENUM('HTTP-01', 'DNS-01')` keeps
    // its values, and is written as MySQL shows it, `enum('HTTP-01','DNS-01')`.
    let mut out = String::with_capacity(s.len());
    let mut quoted = false;
    for ch in s.chars() {
        if ch == '\'' {
            quoted = !quoted;
        }
        out.push(if quoted { ch } else { ch.to_ascii_lowercase() });
    }
    if out.starts_with("enum(") || out.starts_with("set(") {
        out = out.replace("', '", "','");
    }
    out
}

/// A default as Postgres shows it: pg_dump's quoted function names
/// (`"now"()`) and the `public.` schema left out.
fn default_text(e: &sqlparser::ast::Expr) -> String {
    let mut e = e.clone();
    let _ = sqlparser::ast::visit_expressions_mut(&mut e, |x| {
        if let sqlparser::ast::Expr::Function(f) = x {
            let parts = &mut f.name.0;
            if parts.len() == 2 && parts[0].as_ident().is_some_and(|i| i.value == "public") {
                parts.remove(0);
            }
            for p in parts.iter_mut() {
                if let sqlparser::ast::ObjectNamePart::Identifier(i) = p
                    && i.quote_style == Some('"')
                    && i.value
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    i.quote_style = None;
                }
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    unquote_casts(&e.to_string())
}

/// `'x'::"text"` → `'x'::text`, `'a'::"public"."mood"` → `'a'::mood`: a
/// cast's type as Postgres shows it (pg_dump quotes every name and
/// qualifies with the schema).
fn unquote_casts(sql: &str) -> String {
    let plain = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ' ')
    };
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find("::") {
        out.push_str(&rest[..at + 2]);
        rest = &rest[at + 2..];
        // The dotted, possibly quoted, name after `::`.
        let mut parts: Vec<String> = Vec::new();
        loop {
            let (part, after) = match rest.strip_prefix('"') {
                Some(q) => match q.find('"') {
                    Some(end) if plain(&q[..end]) => (q[..end].to_owned(), &q[end + 1..]),
                    _ => break,
                },
                None => {
                    let end = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    if end == 0 {
                        break;
                    }
                    (rest[..end].to_owned(), &rest[end..])
                }
            };
            parts.push(part);
            rest = after;
            match rest.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c == '"' || c.is_ascii_alphabetic()) => rest = r,
                _ => break,
            }
        }
        if parts.len() > 1 && parts[0] == "public" {
            parts.remove(0);
        }
        out.push_str(&parts.join("."));
    }
    out.push_str(rest);
    out
}

fn is_serial(ty: &DataType) -> bool {
    let s = ty.to_string().to_ascii_lowercase();
    matches!(s.as_str(), "serial" | "bigserial" | "smallserial")
}

fn add_column(t: &mut Table, col: &ColumnDef, loc: &Location) {
    // Both engines print type names in lower case (`\d`, SHOW CREATE).
    let mut c = Column::new(&col.name.value, &type_name(&col.data_type), loc.clone());
    c.autoincrement = is_serial(&col.data_type);
    for opt in &col.options {
        match &opt.option {
            // Part of the type as MySQL and drizzle-kit write it.
            ColumnOption::Collation(name) => {
                c.sql_type = format!("{} COLLATE {name}", c.sql_type);
            }
            ColumnOption::NotNull => c.nullable = false,
            ColumnOption::Default(e) => c.default = Some(default_text(e)),
            ColumnOption::PrimaryKey(_) => {
                c.nullable = false;
                t.primary_key = vec![c.name.clone()];
                c.primary_key_position = 1;
            }
            ColumnOption::Unique(_) => t.indexes.push(Index {
                name: format!("{}_{}_key", t.name, c.name),
                columns: vec![IndexColumn {
                    name: c.name.clone(),
                    descending: false,
                }],
                unique: true,
                partial: None,
                origin: IndexOrigin::UniqueConstraint,
                location: loc.clone(),
            }),
            ColumnOption::ForeignKey(fk) => {
                t.foreign_keys
                    .push(foreign_key(vec![c.name.clone()], fk, loc))
            }
            ColumnOption::Comment(text) => c.comment = Some(text.clone()),
            ColumnOption::Check(chk) => c.check = Some(chk.expr.to_string()),
            ColumnOption::Generated {
                generation_expr: Some(e),
                ..
            } => c.generated = Some(e.to_string()),
            ColumnOption::Generated { .. } => c.generated = Some("stored".to_owned()),
            ColumnOption::Identity(_) => c.autoincrement = true,
            ColumnOption::DialectSpecific(tokens)
                if tokens
                    .iter()
                    .any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")) =>
            {
                c.autoincrement = true;
            }
            _ => {}
        }
    }
    t.columns.retain(|x| !x.name.eq_ignore_ascii_case(&c.name));
    t.columns.push(c);
}

fn add_constraint(t: &mut Table, c: TableConstraint, loc: &Location) {
    let cols = |v: &[sqlparser::ast::IndexColumn]| -> Vec<IndexColumn> {
        v.iter()
            .map(|c| IndexColumn {
                name: c
                    .column
                    .expr
                    .to_string()
                    .trim_matches(['"', '`'])
                    .to_owned(),
                descending: matches!(
                    c.column.options.sort,
                    Some(sqlparser::ast::OrderBySort::Desc)
                ),
            })
            .collect()
    };
    match c {
        TableConstraint::PrimaryKey(pk) => {
            let names: Vec<String> = cols(&pk.columns).into_iter().map(|c| c.name).collect();
            for (i, n) in names.iter().enumerate() {
                if let Some(col) = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(n))
                {
                    col.primary_key_position = u32::try_from(i + 1).unwrap_or(0);
                    col.nullable = false;
                }
            }
            t.primary_key = names;
        }
        TableConstraint::Unique(u) => t.indexes.push(Index {
            name: u
                .index_name
                .or(u.name)
                .map(|n| n.value)
                .unwrap_or_else(|| format!("{}_unique_{}", t.name, t.indexes.len() + 1)),
            columns: cols(&u.columns),
            unique: true,
            partial: None,
            origin: IndexOrigin::UniqueConstraint,
            location: loc.clone(),
        }),
        TableConstraint::Index(ix) => t.indexes.push(Index {
            name: ix
                .name
                .map(|n| n.value)
                .unwrap_or_else(|| format!("{}_index_{}", t.name, t.indexes.len() + 1)),
            columns: cols(&ix.columns),
            unique: false,
            partial: None,
            origin: IndexOrigin::Inline,
            location: loc.clone(),
        }),
        TableConstraint::ForeignKey(fk) => {
            let columns = fk.columns.iter().map(|i| i.value.clone()).collect();
            t.foreign_keys.push(foreign_key(columns, &fk, loc));
        }
        TableConstraint::Check(chk) => t.checks.push(chk.expr.to_string()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The database one migration file `m/0000.sql` builds.
    fn build_with(engine: Engine, sql: &str, diags: &mut Vec<Diagnostic>) -> Database {
        build(
            "m",
            engine,
            &[SqlInput {
                path: "m/0000.sql",
                text: sql,
            }],
            diags,
        )
    }

    /// Older drizzle-kit wraps each Postgres foreign key in a `DO` block;
    /// the statement inside is read at its own line.
    #[test]
    fn foreign_keys_inside_do_blocks_are_read() {
        let sql = "CREATE TABLE \"a\" (\"id\" text PRIMARY KEY);\n--> statement-breakpoint\nCREATE TABLE \"b\" (\"a_id\" text);\n--> statement-breakpoint\nDO $$ BEGIN\n ALTER TABLE \"b\" ADD CONSTRAINT \"b_a_fk\" FOREIGN KEY (\"a_id\") REFERENCES \"public\".\"a\"(\"id\") ON DELETE cascade;\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;\n";
        let mut diags = Vec::new();
        let db = build_with(Engine::Postgres, sql, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let b = db.tables.iter().find(|t| t.name == "b").unwrap();
        assert_eq!(b.foreign_keys.len(), 1, "{b:?}");
        assert_eq!(b.foreign_keys[0].ref_table, "a");
        assert_eq!(b.foreign_keys[0].on_delete.as_deref(), Some("CASCADE"));
        assert_eq!(b.foreign_keys[0].location.line, 6);
        assert_eq!(do_block_body("DO LANGUAGE plpgsql $x$ SELECT 1 $x$"), None);
        // A statement guarded by `IF … THEN` inside the block.
        let guarded = "CREATE TABLE \"b\" (\"a_id\" text, \"n\" text);\nDO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'u') THEN\n    ALTER TABLE b ADD CONSTRAINT u UNIQUE (a_id, n);\n  END IF;\nEND $$;\n";
        let db = build_with(Engine::Postgres, guarded, &mut Vec::new());
        assert_eq!(db.tables[0].indexes.len(), 1, "{:?}", db.tables[0]);
        assert_eq!(db.tables[0].indexes[0].location.line, 5);
    }

    /// A quoted index column is its bare name in every dialect.
    #[test]
    fn index_columns_are_unquoted() {
        let sql = "CREATE TABLE `t` (`id` int NOT NULL, `ws` varchar(9));\nCREATE INDEX `t_ws` ON `t` (`ws`);\n";
        let db = build_with(Engine::MySql, sql, &mut Vec::new());
        assert_eq!(db.tables[0].indexes[0].columns[0].name, "ws");
    }

    /// `DROP CONSTRAINT` removes the foreign key (named, or by Postgres's
    /// default name) and the unique constraint it names.
    #[test]
    fn dropped_constraints_are_gone() {
        let sql = "CREATE TABLE orgs (id int PRIMARY KEY);\nCREATE TABLE logs (id int, org_id int REFERENCES orgs(id), user_id int, code text, CONSTRAINT logs_code_key UNIQUE (code));\nALTER TABLE logs ADD CONSTRAINT logs_user_fk FOREIGN KEY (user_id) REFERENCES orgs(id);\nALTER TABLE logs DROP CONSTRAINT IF EXISTS logs_org_id_fkey;\nALTER TABLE logs DROP CONSTRAINT logs_code_key;\n";
        let db = build_with(Engine::Postgres, sql, &mut Vec::new());
        let logs = db.tables.iter().find(|t| t.name == "logs").unwrap();
        let fks: Vec<&str> = logs
            .foreign_keys
            .iter()
            .map(|f| f.columns[0].as_str())
            .collect();
        assert_eq!(fks, ["user_id"]);
        assert!(logs.indexes.is_empty(), "{:?}", logs.indexes);
    }

    /// A foreign key to another schema's table (Supabase's `auth.users`)
    /// is not one to the `users` table of the migrations.
    #[test]
    fn foreign_keys_keep_a_schema_other_than_public() {
        let sql = "CREATE TABLE users (id uuid PRIMARY KEY REFERENCES auth.users(id));\nCREATE SCHEMA billing;\nCREATE TABLE billing.plans (id int PRIMARY KEY);\nCREATE TABLE orgs (id int, owner uuid REFERENCES public.users(id), plan int REFERENCES billing.plans(id));\n";
        let db = build_with(Engine::Postgres, sql, &mut Vec::new());
        let refs: Vec<&str> = db
            .tables
            .iter()
            .flat_map(|t| t.foreign_keys.iter().map(|f| f.ref_table.as_str()))
            .collect();
        assert_eq!(refs, ["auth.users", "users", "plans"]);
    }

    /// Postgres as its catalog shows it: no `public.` on types and
    /// function defaults, no quotes pg_dump puts around `now`.
    #[test]
    fn postgres_types_and_defaults_without_public_and_quotes() {
        let sql = "CREATE TABLE public.t (s public.status NOT NULL, at timestamptz DEFAULT \"now\"(), e timestamptz DEFAULT public.month_ahead(), m public.entry[], k text DEFAULT 'a'::\"text\", d mood DEFAULT 'ok'::\"public\".\"mood\", q text DEFAULT 'x'::\"Odd\");\n";
        let db = build_with(Engine::Postgres, sql, &mut Vec::new());
        let cols: Vec<String> = db.tables[0]
            .columns
            .iter()
            .map(|c| format!("{} {}", c.sql_type, c.default.as_deref().unwrap_or("-")))
            .collect();
        assert_eq!(
            cols,
            [
                "status -",
                "timestamptz now()",
                "timestamptz month_ahead()",
                "entry[] -",
                "text 'a'::text",
                "mood 'ok'::mood",
                "text 'x'::\"Odd\""
            ]
        );
    }

    /// Types as MySQL shows them: enum values keep their case, no spaces
    /// between them; a column's collation is part of its type.
    #[test]
    fn mysql_enum_and_collation_types() {
        let sql = "CREATE TABLE `t` (`kind` ENUM('HTTP-01', 'DNS-01') NOT NULL, `id` varchar(48) COLLATE utf8mb4_0900_as_cs NOT NULL);\n";
        let db = build_with(Engine::MySql, sql, &mut Vec::new());
        let types: Vec<&str> = db.tables[0]
            .columns
            .iter()
            .map(|c| c.sql_type.as_str())
            .collect();
        assert_eq!(
            types,
            [
                "enum('HTTP-01','DNS-01')",
                "varchar(48) COLLATE utf8mb4_0900_as_cs"
            ]
        );
    }

    #[test]
    fn drop_index_concurrently_is_read() {
        let sql = "CREATE TABLE a (id int, n text);\nCREATE INDEX i ON a (n);\nDROP INDEX CONCURRENTLY IF EXISTS i;\n";
        let mut diags = Vec::new();
        let db = build_with(Engine::Postgres, sql, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(db.tables[0].indexes.is_empty());
    }

    #[test]
    fn identity_sequence_options_are_dropped() {
        assert_eq!(
            without_identity_options(
                "ALTER TABLE a ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (\n SEQUENCE NAME s\n START WITH 1\n CACHE 1\n)"
            )
            .as_deref(),
            Some("ALTER TABLE a ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
        );
        assert_eq!(without_identity_options("CREATE TABLE a (id int)"), None);
    }

    #[test]
    fn only_schema_statements_are_parsed() {
        for yes in [
            "CREATE TABLE a (id int)",
            "create unlogged table a (id int)",
            "CREATE OR REPLACE VIEW v AS SELECT 1",
            "CREATE UNIQUE INDEX i ON a (id)",
            "CREATE MATERIALIZED VIEW m AS SELECT 1",
            "ALTER TABLE ONLY \"public\".\"a\" ADD CONSTRAINT pk PRIMARY KEY (id)",
            "DROP TABLE IF EXISTS a",
            "CREATE TYPE mood AS ENUM ('a')",
            "COMMENT ON TABLE a IS 'x'",
            "RENAME TABLE a TO b",
        ] {
            assert!(shapes_schema(yes), "{yes}");
        }
        for no in [
            "GRANT ALL ON FUNCTION \"public\".\"f\"(\"org_id\" \"uuid\") TO \"authenticated\"",
            "REVOKE ALL ON TABLE a FROM PUBLIC",
            "COMMENT ON FUNCTION f(uuid) IS 'x'",
            "CREATE POLICY p ON a USING (true)",
            "CREATE OR REPLACE FUNCTION f() RETURNS void AS $$ BEGIN END $$ LANGUAGE plpgsql",
            "DO $$ BEGIN END $$",
            "ALTER SEQUENCE s OWNED BY a.id",
            "ALTER FUNCTION f() OWNER TO postgres",
            "CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()",
            "SET statement_timeout = 0",
            "SELECT pg_catalog.set_config('search_path', '', false)",
            "INSERT INTO a VALUES (1)",
        ] {
            assert!(!shapes_schema(no), "{no}");
        }
    }
}
