//! `dmqa model --format tbls`: the schema as tbls's `schema.json`, which
//! tbls (`tbls doc --dsn json://schema.json`) and Liam ERD render.
//!
//! One document for the checkout: with several databases, each table is
//! named `database.table` (as tbls names Postgres tables `schema.table`).
//! Declared foreign keys are constraints and relations; relationships dmqa
//! inferred or `dmqa.toml` declares are relations marked `virtual`.

use crate::model::{Database, Engine, Model, RelationKind, Table, TableKind};
use serde_json::{Value, json};

/// tbls's driver name for an engine (D1 is SQLite).
fn driver(engine: Engine) -> &'static str {
    match engine {
        Engine::D1 | Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
        Engine::MySql => "mysql",
    }
}

/// `a, b` of a column list.
fn list(columns: &[String]) -> String {
    columns.join(", ")
}

/// The columns a foreign key or relationship names in its parent: as
/// written, or the parent's primary key when it names none.
fn parent_columns(db: &Database, table: &str, named: &[String]) -> Vec<String> {
    if !named.is_empty() {
        return named.to_vec();
    }
    db.tables
        .iter()
        .find(|t| t.name == table)
        .map(|t| t.primary_key.clone())
        .unwrap_or_default()
}

fn table(db: &Database, t: &Table, name: &dyn Fn(&str) -> String) -> Value {
    let columns: Vec<Value> = t
        .columns
        .iter()
        .map(|c| {
            let mut col = json!({
                "name": c.name,
                "type": c.sql_type,
                "nullable": c.nullable,
                "default": c.default,
            });
            let mut extra = Vec::new();
            if c.autoincrement {
                extra.push("AUTOINCREMENT".to_owned());
            }
            if let Some(g) = &c.generated {
                extra.push(format!("GENERATED ALWAYS AS ({g})"));
            }
            if !extra.is_empty() {
                col["extra_def"] = json!(extra.join(" "));
            }
            if let Some(comment) = &c.comment {
                col["comment"] = json!(comment);
            }
            col
        })
        .collect();
    let indexes: Vec<Value> = t
        .indexes
        .iter()
        .map(|i| {
            let cols: Vec<String> = i.columns.iter().map(|c| c.name.clone()).collect();
            let mut def = format!(
                "CREATE {}INDEX {} ON {} ({})",
                if i.unique { "UNIQUE " } else { "" },
                i.name,
                t.name,
                super::words::index_columns(i)
            );
            if let Some(w) = &i.partial {
                def.push_str(&format!(" WHERE {w}"));
            }
            json!({ "name": i.name, "def": def, "table": name(&t.name), "columns": cols })
        })
        .collect();
    let mut constraints: Vec<Value> = Vec::new();
    if !t.primary_key.is_empty() {
        let def = format!("PRIMARY KEY ({})", list(&t.primary_key));
        constraints.push(json!({
            "name": def, "type": "PRIMARY KEY", "def": def,
            "table": name(&t.name), "columns": t.primary_key,
        }));
    }
    for fk in &t.foreign_keys {
        let parent = parent_columns(db, &fk.ref_table, &fk.ref_columns);
        let mut def = format!(
            "FOREIGN KEY ({}) REFERENCES {} ({})",
            list(&fk.columns),
            fk.ref_table,
            list(&parent)
        );
        if let Some(a) = &fk.on_delete {
            def.push_str(&format!(" ON DELETE {a}"));
        }
        if let Some(a) = &fk.on_update {
            def.push_str(&format!(" ON UPDATE {a}"));
        }
        constraints.push(json!({
            "name": def, "type": "FOREIGN KEY", "def": def, "table": name(&t.name),
            "referenced_table": name(&fk.ref_table), "columns": fk.columns,
            "referenced_columns": parent,
        }));
    }
    for check in &t.checks {
        let def = format!("CHECK ({check})");
        constraints.push(json!({
            "name": def, "type": "CHECK", "def": def, "table": name(&t.name), "columns": [],
        }));
    }
    let triggers: Vec<Value> = db
        .triggers
        .iter()
        .filter(|tr| tr.table == t.name)
        .map(|tr| json!({ "name": tr.name, "def": format!("CREATE TRIGGER {} ON {}", tr.name, t.name) }))
        .collect();
    let kind = match &t.kind {
        TableKind::Base => "TABLE",
        TableKind::Virtual { .. } => "VIRTUAL TABLE",
    };
    let mut out = json!({
        "name": name(&t.name),
        "type": kind,
        "comment": t.purpose.clone().unwrap_or_default(),
        "columns": columns,
        "indexes": indexes,
        "constraints": constraints,
        "triggers": triggers,
    });
    if let TableKind::Virtual { module, .. } = &t.kind {
        out["def"] = json!(format!("CREATE VIRTUAL TABLE {} USING {module}", t.name));
    }
    out
}

/// The checkout's tables, relations and driver as tbls's `schema.json`.
pub fn schema(model: &Model) -> Value {
    let dbs: Vec<&Database> = model
        .databases
        .iter()
        .filter(|d| !d.tables.is_empty())
        .collect();
    let several = dbs.len() > 1;
    let mut tables = Vec::new();
    let mut relations = Vec::new();
    for db in &dbs {
        let prefix = db.short_label().to_owned();
        let name = |t: &str| {
            if several {
                format!("{prefix}.{t}")
            } else {
                t.to_owned()
            }
        };
        tables.extend(db.tables.iter().map(|t| table(db, t, &name)));
        for r in model.relationships.iter().filter(|r| r.database == db.id) {
            let required = db
                .tables
                .iter()
                .find(|t| t.name == r.from_table)
                .is_some_and(|t| r.is_required(t));
            let parent = parent_columns(db, &r.to_table, &r.to_columns);
            let def = match r.kind {
                RelationKind::Declared => format!(
                    "FOREIGN KEY ({}) REFERENCES {} ({})",
                    list(&r.from_columns),
                    r.to_table,
                    list(&parent)
                ),
                RelationKind::DrizzleRelations => "Drizzle relations()".to_owned(),
                RelationKind::Inferred => {
                    "Inferred by dmqa from queries and column names".to_owned()
                }
                RelationKind::Configured => "Declared in dmqa.toml".to_owned(),
            };
            relations.push(json!({
                "table": name(&r.from_table),
                "columns": r.from_columns,
                "cardinality": "zero_or_more",
                "parent_table": name(&r.to_table),
                "parent_columns": parent,
                "parent_cardinality": if required { "exactly_one" } else { "zero_or_one" },
                "def": def,
                "virtual": r.kind != RelationKind::Declared,
            }));
        }
    }
    let mut out = json!({
        "name": match dbs.as_slice() {
            [db] => db.short_label().to_owned(),
            _ => "dmqa".to_owned(),
        },
        "desc": "Generated by dmqa from the checkout's migrations, schema code and queries",
        "tables": tables,
        "relations": relations,
    });
    let mut drivers: Vec<&str> = dbs.iter().map(|d| driver(d.engine)).collect();
    drivers.sort_unstable();
    drivers.dedup();
    if let [one] = drivers.as_slice() {
        out["driver"] = json!({ "name": one });
    }
    out
}
