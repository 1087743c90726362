//! Query plans: the schema of a SQLite / D1 database rebuilt from the model
//! in the sandbox, and `EXPLAIN QUERY PLAN` for the queries code runs.
//!
//! The one place analysis evaluates SQL; it runs dmqa's own DDL and the
//! code's queries under the same sandbox as migrations (no file, no
//! attach, a step budget), and only ever asks for plans.

use crate::model::{Database, IndexOrigin, TableKind};
use crate::sandbox::{Sandbox, quote_ident};

/// A database's schema loaded into a sandbox.
pub struct Planner {
    sandbox: Sandbox,
    /// Indexes created under another name (SQLite reserves `sqlite_`):
    /// (name used, name in the model), to word plans with the real names.
    renamed: Vec<(String, String)>,
}

impl Planner {
    /// Rebuilds the tables and indexes of `db` (virtual tables are left
    /// out: their modules' arguments are not in the model).
    pub fn new(db: &Database) -> Option<Planner> {
        let sandbox = Sandbox::open().ok()?;
        let mut renamed = Vec::new();
        for t in db.tables.iter().filter(|t| t.kind == TableKind::Base) {
            let rowid = match t.primary_key.as_slice() {
                [one] => t
                    .columns
                    .iter()
                    .any(|c| &c.name == one && c.sql_type.eq_ignore_ascii_case("INTEGER")),
                _ => false,
            };
            let mut items: Vec<String> = t
                .columns
                .iter()
                .map(|c| {
                    let pk = rowid && c.primary_key_position == 1;
                    format!(
                        "{} {}{}{}",
                        quote_ident(&c.name),
                        c.sql_type,
                        if pk { " PRIMARY KEY" } else { "" },
                        if c.nullable { "" } else { " NOT NULL" }
                    )
                })
                .collect();
            if !rowid && !t.primary_key.is_empty() {
                let cols: Vec<String> = t.primary_key.iter().map(|c| quote_ident(c)).collect();
                items.push(format!("PRIMARY KEY ({})", cols.join(", ")));
            }
            let ddl = format!(
                "CREATE TABLE {} ({}){}",
                quote_ident(&t.name),
                items.join(", "),
                if t.without_rowid {
                    " WITHOUT ROWID"
                } else {
                    ""
                }
            );
            if sandbox.execute(&ddl).is_err() {
                continue;
            }
            for (n, i) in t
                .indexes
                .iter()
                .filter(|i| i.origin != IndexOrigin::PrimaryKey)
                .enumerate()
            {
                let cols: Vec<String> = i
                    .columns
                    .iter()
                    .map(|c| {
                        let col = if c.name.contains(['(', ' ']) {
                            c.name.clone()
                        } else {
                            quote_ident(&c.name)
                        };
                        if c.descending {
                            format!("{col} DESC")
                        } else {
                            col
                        }
                    })
                    .collect();
                // `sqlite_` names are reserved for SQLite's own indexes.
                let name = if i.name.starts_with("sqlite_") {
                    let used = format!("dmqa_{}_{n}", t.name);
                    renamed.push((used.clone(), i.name.clone()));
                    used
                } else {
                    i.name.clone()
                };
                let ddl = format!(
                    "CREATE {}INDEX {} ON {} ({}){}",
                    if i.unique { "UNIQUE " } else { "" },
                    quote_ident(&name),
                    quote_ident(&t.name),
                    cols.join(", "),
                    i.partial
                        .as_ref()
                        .map(|p| format!(" WHERE {p}"))
                        .unwrap_or_default()
                );
                let _ = sandbox.execute(&ddl);
            }
        }
        Some(Planner { sandbox, renamed })
    }

    /// The plan's detail lines, or `None` when the query does not prepare
    /// against this schema.
    pub fn plan(&self, sql: &str) -> Option<Vec<String>> {
        let conn = self.sandbox.own();
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).ok()?;
        let nulls = vec![rusqlite::types::Null; st.parameter_count()];
        let rows = st
            .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .ok()?;
        let details = rows.collect::<Result<Vec<String>, _>>().ok()?;
        Some(
            details
                .into_iter()
                .map(|mut d| {
                    for (used, real) in &self.renamed {
                        d = d.replace(used.as_str(), real);
                    }
                    d
                })
                .collect(),
        )
    }

    /// Adds an index (dmqa's own DDL) to try a plan with it.
    pub fn add(&self, ddl: &str) -> bool {
        self.sandbox.execute(ddl).is_ok()
    }
}
