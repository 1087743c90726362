//! `schema-drift`: a Drizzle schema and the migrations of the same
//! database disagree.
use crate::model::{
    Column, Database, Engine, Finding, FindingSeverity, Index, IndexOrigin, Model, RuleId, Subject,
    Table, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A Drizzle schema and the migrations of its database disagree.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A table of a database whose migrations and Drizzle schema disagree: a
table or column on one side only, a different type (by SQLite affinity on
D1 / SQLite), nullability or default, or an index on one side only.

## Why it matters
The migrations are what the database runs; the Drizzle schema is what the
code's types and queries assume. When they drift, queries fail at run time
or silently write NULLs and defaults nobody expected.

## Example
Migration: `email TEXT`; schema: `email: text(\"email\").notNull()` →
generate a migration (`drizzle-kit generate`) or fix the schema so both
say `NOT NULL`.
";

/// One finding per table whose two definitions differ.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let agree = "⚠️ Make the schema and the migrations agree: generate a migration for the schema change (`drizzle-kit generate`) or fix the schema";
    for db in model.databases.iter().filter(|d| !d.orm_tables.is_empty()) {
        // Each table's differences; one that several tables share (the
        // same `updated_at` default everywhere) is one row naming them.
        let mut diffs: Vec<(&Table, &Table, Vec<String>)> = Vec::new();
        for orm in &db.orm_tables {
            if let Some(sql) = crate::model::table_named(&db.tables, &orm.name) {
                let d = differences(db, sql, orm);
                if !d.is_empty() {
                    diffs.push((sql, orm, d));
                }
            }
        }
        let mut shared: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for (i, (_, _, d)) in diffs.iter().enumerate() {
            for one in d {
                shared.entry(one.clone()).or_default().push(i);
            }
        }
        for (diff, tables) in shared.iter().filter(|(_, t)| t.len() > 1) {
            let (sql, orm, _) = &diffs[tables[0]];
            let names: Vec<String> = tables
                .iter()
                .map(|i| format!("`{}`", diffs[*i].1.name))
                .collect();
            let mut f = finding(
                &orm.name,
                format!(
                    "{diff}, in {} tables: {} (migrations {}, schema {})",
                    tables.len(),
                    names.join(", "),
                    sql.location,
                    orm.location
                ),
                agree.to_owned(),
                vec![sql.location.clone(), orm.location.clone()],
            );
            for i in &tables[1..] {
                let (sql, orm, _) = &diffs[*i];
                f.repeats.push(crate::model::Repeat {
                    subject: Subject::table(&orm.name),
                    message: String::new(),
                    locations: vec![sql.location.clone(), orm.location.clone()],
                });
            }
            out.push(f);
        }
        for (sql, orm, d) in &diffs {
            let own: Vec<&String> = d.iter().filter(|x| shared[*x].len() == 1).collect();
            if own.is_empty() {
                continue;
            }
            out.push(finding(
                &orm.name,
                format!(
                    "{} (migrations {}, schema {})",
                    own.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                    sql.location,
                    orm.location
                ),
                agree.to_owned(),
                vec![sql.location.clone(), orm.location.clone()],
            ));
        }
        for orm in &db.orm_tables {
            match crate::model::table_named(&db.tables, &orm.name) {
                Some(_) => {}
                None => out.push(finding(
                    &orm.name,
                    format!(
                        "Declared in the Drizzle schema ({}) but no migration creates it",
                        orm.location
                    ),
                    "⚠️ Generate the migration that creates it, or remove it from the schema"
                        .to_owned(),
                    vec![orm.location.clone()],
                )),
            }
        }
        for sql in &db.tables {
            if crate::model::table_named(&db.orm_tables, &sql.name).is_none() {
                out.push(finding(
                    &sql.name,
                    format!(
                        "Created by migrations ({}) but not declared in the Drizzle schema",
                        sql.location
                    ),
                    "⚠️ Declare it in the schema so queries are typed, or drop it in a migration"
                        .to_owned(),
                    vec![sql.location.clone()],
                ));
            }
        }
    }
}

fn finding(
    table: &str,
    current: String,
    recommendation: String,
    locations: Vec<crate::model::Location>,
) -> Finding {
    Finding::new(
        RuleId::SchemaDrift,
        FindingSeverity::Warning,
        Topic::Drift,
        Subject::table(table),
        current,
    )
    .advice(recommendation)
    .at(locations)
}

/// SQLite's type affinity of a declared type (section 3.1 of its docs).
fn affinity(ty: &str) -> &'static str {
    let t = ty.to_ascii_uppercase();
    if t.contains("INT") {
        "INTEGER"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "TEXT"
    } else if t.contains("BLOB") || t.is_empty() {
        "BLOB"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// A type name with engine aliases folded together.
fn canonical_type(engine: Engine, ty: &str) -> String {
    if engine.is_sqlite() {
        return affinity(ty).to_owned();
    }
    let t = ty
        .to_ascii_lowercase()
        .replace("character varying", "varchar");
    match t.as_str() {
        "int" | "int4" | "integer" | "serial" | "serial4" => "integer".into(),
        "int8" | "bigint" | "bigserial" | "serial8" => "bigint".into(),
        "int2" | "smallint" | "smallserial" => "smallint".into(),
        "bool" | "boolean" => "boolean".into(),
        "timestamptz" => "timestamp with time zone".into(),
        "float8" => "double precision".into(),
        "decimal" => "numeric".into(),
        other => other.replace(", ", ","),
    }
}

/// A default with wrapping parentheses, case and boolean spelling folded.
fn canonical_default(d: Option<&str>) -> Option<String> {
    let mut s = d?.trim().to_ascii_lowercase();
    while s.starts_with('(') && s.ends_with(')') && balanced(&s[1..s.len() - 1]) {
        s = s[1..s.len() - 1].trim().to_owned();
    }
    Some(match s.as_str() {
        "true" => "1".into(),
        "false" => "0".into(),
        _ => s,
    })
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn describe(c: &Column) -> String {
    format!(
        "`{} {}{}{}`",
        c.name,
        c.sql_type,
        if c.nullable { "" } else { " NOT NULL" },
        c.default
            .as_ref()
            .map(|d| format!(" DEFAULT {d}"))
            .unwrap_or_default()
    )
}

/// An index's identity for comparison: uniqueness and columns.
fn shape(i: &Index) -> (bool, Vec<String>) {
    (
        i.unique,
        i.columns
            .iter()
            .map(|c| c.name.to_ascii_lowercase())
            .collect(),
    )
}

fn differences(db: &Database, sql: &Table, orm: &Table) -> Vec<String> {
    let mut res = Vec::new();
    for oc in &orm.columns {
        let Some(sc) = sql
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&oc.name))
        else {
            res.push(format!("column `{}` only in the schema", oc.name));
            continue;
        };
        let mut what = Vec::new();
        if canonical_type(db.engine, &sc.sql_type) != canonical_type(db.engine, &oc.sql_type) {
            what.push("type");
        }
        if sc.nullable != oc.nullable {
            what.push("nullability");
        }
        if canonical_default(sc.default.as_deref()) != canonical_default(oc.default.as_deref()) {
            what.push("default");
        }
        if !what.is_empty() {
            res.push(format!(
                "column `{}` differs in {}: migrations {} vs schema {}",
                oc.name,
                what.join(", "),
                describe(sc),
                describe(oc)
            ));
        }
    }
    for sc in &sql.columns {
        if !orm
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&sc.name))
        {
            res.push(format!("column `{}` only in the migrations", sc.name));
        }
    }
    let real = |t: &Table| -> Vec<(bool, Vec<String>, String)> {
        t.indexes
            .iter()
            .filter(|i| i.origin != IndexOrigin::PrimaryKey)
            .map(|i| {
                let (u, c) = shape(i);
                (u, c, i.name.clone())
            })
            .collect()
    };
    let (si, oi) = (real(sql), real(orm));
    for (u, c, name) in &oi {
        if !si.iter().any(|(u2, c2, _)| u2 == u && c2 == c) {
            res.push(format!(
                "index `{name}` ({}) only in the schema",
                c.join(", ")
            ));
        }
    }
    for (u, c, name) in &si {
        if !oi.iter().any(|(u2, c2, _)| u2 == u && c2 == c) {
            res.push(format!(
                "index `{name}` ({}) only in the migrations",
                c.join(", ")
            ));
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use super::*;

    #[test]
    fn folds_types_and_defaults() {
        assert_eq!(canonical_type(Engine::D1, "VARCHAR(255)"), "TEXT");
        assert_eq!(canonical_type(Engine::D1, "integer"), "INTEGER");
        assert_eq!(canonical_type(Engine::Postgres, "int4"), "integer");
        assert_eq!(
            canonical_type(Engine::Postgres, "numeric(12, 2)"),
            "numeric(12,2)"
        );
        assert_eq!(
            canonical_default(Some("(unixepoch())")),
            Some("unixepoch()".into())
        );
        assert_eq!(
            canonical_default(Some("false")),
            canonical_default(Some("0"))
        );
        assert_eq!(
            canonical_default(Some("(a) + (b)")),
            Some("(a) + (b)".into())
        );
    }

    const WRANGLER: &str = "[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"blog\"\nmigrations_dir = \"drizzle\"\n";
    const CONFIG: &str = "export default {\n  schema: \"./src/schema.ts\",\n  out: \"./drizzle\",\n  dialect: \"sqlite\",\n};\n";
    const SCHEMA: &str = "import { integer, sqliteTable, text } from \"drizzle-orm/sqlite-core\";\n\nexport const users = sqliteTable(\"users\", {\n  id: integer(\"id\").primaryKey(),\n  email: text(\"email\").notNull(),\n});\n";

    fn rows_for(migration: &str) -> Vec<testing::Row> {
        rows(
            RuleId::SchemaDrift,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("drizzle.config.ts", CONFIG),
                ("src/schema.ts", SCHEMA),
                ("drizzle/0000_init.sql", migration),
            ],
        )
    }

    #[test]
    fn fires_when_schema_and_migrations_disagree() {
        let rows = rows_for("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Drift (users)");
        assert!(rows[0][1].contains("email"), "{rows:?}");
    }

    /// The same difference in two tables is one row naming both; what
    /// one table alone differs in stays its own row.
    #[test]
    fn a_difference_several_tables_share_is_one_row() {
        let schema = "import { integer, sqliteTable, text } from \"drizzle-orm/sqlite-core\";\n\nexport const users = sqliteTable(\"users\", {\n  id: integer(\"id\").primaryKey(),\n  email: text(\"email\").notNull(),\n  note: text(\"note\").notNull(),\n});\nexport const teams = sqliteTable(\"teams\", {\n  id: integer(\"id\").primaryKey(),\n  note: text(\"note\").notNull(),\n});\n";
        let migration = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, note TEXT);\nCREATE TABLE teams (id INTEGER PRIMARY KEY, note TEXT);\n";
        let rows = rows(
            RuleId::SchemaDrift,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("drizzle.config.ts", CONFIG),
                ("src/schema.ts", schema),
                ("drizzle/0000_init.sql", migration),
            ],
        );
        let areas: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(areas, ["Drift (users)", "Drift (users, teams)"], "{rows:?}");
        assert!(
            rows[0][1].contains("`email`") && !rows[0][1].contains("`note`"),
            "{rows:?}"
        );
        assert!(
            rows[1][1].contains("`note`") && rows[1][1].contains("in 2 tables: `users`, `teams`"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_they_agree() {
        let rows = rows_for("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n");
        assert!(rows.is_empty(), "{rows:?}");
    }
}
