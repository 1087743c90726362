//! A tolerant reading of a `CREATE TABLE` that SQLite rejects: parse it with
//! sqlparser (MySQL, then the generic dialect) and write the same table as
//! plain SQLite DDL, so the table still enters the schema.
//!
//! Only what SQLite's catalog can hold survives: columns with their types,
//! NOT NULL, DEFAULT, PRIMARY KEY (with AUTO_INCREMENT), UNIQUE, CHECK and
//! REFERENCES, table-level keys and MySQL `KEY`/`INDEX` items (as separate
//! `CREATE INDEX` statements). Engine options (`ENGINE=InnoDB`, charsets)
//! are dropped.

use crate::sandbox::quote_ident;
use sqlparser::ast::{
    ColumnDef, ColumnOption, CreateTable, ObjectName, ReferentialAction, Statement, TableConstraint,
};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect};
use sqlparser::parser::Parser;

fn name_of(n: &ObjectName) -> String {
    n.0.last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

fn list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(", ")
}

fn action(a: Option<ReferentialAction>) -> String {
    match a {
        Some(ReferentialAction::Cascade) => "CASCADE".into(),
        Some(ReferentialAction::SetNull) => "SET NULL".into(),
        Some(ReferentialAction::SetDefault) => "SET DEFAULT".into(),
        Some(ReferentialAction::Restrict) => "RESTRICT".into(),
        _ => String::new(),
    }
}

fn references(
    table: &ObjectName,
    cols: &[sqlparser::ast::Ident],
    on_delete: Option<ReferentialAction>,
    on_update: Option<ReferentialAction>,
) -> String {
    let mut s = format!("REFERENCES {}", quote_ident(&name_of(table)));
    if !cols.is_empty() {
        s.push_str(&format!("({})", list(cols, |c| quote_ident(&c.value))));
    }
    let (d, u) = (action(on_delete), action(on_update));
    if !d.is_empty() {
        s.push_str(&format!(" ON DELETE {d}"));
    }
    if !u.is_empty() {
        s.push_str(&format!(" ON UPDATE {u}"));
    }
    s
}

fn column(c: &ColumnDef) -> String {
    let mut ty = c.data_type.to_string();
    // SQLite type names take numbers in parentheses, never strings
    // (MySQL `ENUM('a','b')`, `SET(...)`).
    if ty.contains('\'') {
        ty = "TEXT".to_owned();
    }
    let auto = c.options.iter().any(|o| match &o.option {
        ColumnOption::DialectSpecific(t) => t
            .iter()
            .any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")),
        _ => false,
    });
    let pk = c
        .options
        .iter()
        .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)));
    let mut s = quote_ident(&c.name.value);
    if auto && pk {
        s.push_str(" INTEGER PRIMARY KEY AUTOINCREMENT");
    } else if !ty.is_empty() {
        s.push(' ');
        s.push_str(&ty);
    }
    for o in &c.options {
        match &o.option {
            ColumnOption::NotNull => s.push_str(" NOT NULL"),
            ColumnOption::Default(e) => s.push_str(&format!(" DEFAULT ({e})")),
            ColumnOption::PrimaryKey(_) if !auto => s.push_str(" PRIMARY KEY"),
            ColumnOption::Unique(_) => s.push_str(" UNIQUE"),
            ColumnOption::Check(c) => s.push_str(&format!(" CHECK ({})", c.expr)),
            ColumnOption::ForeignKey(fk) => {
                s.push(' ');
                s.push_str(&references(
                    &fk.foreign_table,
                    &fk.referred_columns,
                    fk.on_delete,
                    fk.on_update,
                ));
            }
            _ => {}
        }
    }
    s
}

fn index_columns(cols: &[sqlparser::ast::IndexColumn]) -> String {
    list(cols, |c| c.column.to_string())
}

/// SQLite DDL for `ct`: the `CREATE TABLE` first, then its indexes.
fn rewrite(ct: &CreateTable) -> Vec<String> {
    let table = name_of(&ct.name);
    let mut items: Vec<String> = ct.columns.iter().map(column).collect();
    let mut indexes = Vec::new();
    for c in &ct.constraints {
        match c {
            TableConstraint::PrimaryKey(pk) => {
                items.push(format!("PRIMARY KEY ({})", index_columns(&pk.columns)));
            }
            TableConstraint::Unique(u) => {
                items.push(format!("UNIQUE ({})", index_columns(&u.columns)));
            }
            TableConstraint::ForeignKey(fk) => items.push(format!(
                "FOREIGN KEY ({}) {}",
                list(&fk.columns, |c| quote_ident(&c.value)),
                references(
                    &fk.foreign_table,
                    &fk.referred_columns,
                    fk.on_delete,
                    fk.on_update
                )
            )),
            TableConstraint::Check(c) => items.push(format!("CHECK ({})", c.expr)),
            TableConstraint::Index(ix) => {
                let name = ix
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_else(|| format!("idx_{table}_{}", indexes.len() + 1));
                indexes.push(format!(
                    "CREATE INDEX {} ON {}({});",
                    quote_ident(&name),
                    quote_ident(&table),
                    index_columns(&ix.columns)
                ));
            }
            _ => {}
        }
    }
    let mut out = vec![format!(
        "CREATE TABLE {} ({});",
        quote_ident(&table),
        items.join(", ")
    )];
    out.extend(indexes);
    out
}

/// SQLite statements equivalent to a `CREATE TABLE` SQLite rejected, or
/// `None` when no dialect can read it as one.
pub fn sqlite_ddl(sql: &str) -> Option<Vec<String>> {
    let dialects: [&dyn Dialect; 2] = [&MySqlDialect {}, &GenericDialect {}];
    for d in dialects {
        if let Ok(stmts) = Parser::parse_sql(d, sql)
            && let [Statement::CreateTable(ct)] = stmts.as_slice()
        {
            return Some(rewrite(ct));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_mysql_tables_as_sqlite() {
        let got = sqlite_ddl(
            "CREATE TABLE `orders` (
  `id` int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `state` enum('new','paid') NOT NULL DEFAULT 'new',
  `user_id` int NOT NULL,
  KEY `orders_user` (`user_id`),
  FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                "CREATE TABLE \"orders\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"state\" TEXT NOT NULL DEFAULT ('new'), \"user_id\" INT NOT NULL, FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\") ON DELETE CASCADE);",
                "CREATE INDEX \"orders_user\" ON \"orders\"(`user_id`);",
            ]
        );
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(&got.join("\n")).unwrap();
    }

    #[test]
    fn anything_else_is_none() {
        assert_eq!(sqlite_ddl("DROP TABLE x"), None);
        assert_eq!(sqlite_ddl("CREATE TABLE ((("), None);
    }
}
