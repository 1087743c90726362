//! Linking: the tables of a D1 binding whose schema is not in the checkout.
//!
//! A Worker may query a database whose tables were created elsewhere (the
//! dashboard, `wrangler d1 execute`, a test harness, another repository).
//! Its queries still name the tables and the columns they filter, sort and
//! write, which is what an architect documents first. Such a database is
//! built from those names alone, origin [`DatabaseOrigin::Queries`]:
//! column types and nullability are unknown, and no rule that needs the
//! schema (keys, indexes, the planner) judges it.

use crate::model::{
    BindingKind, Column, Database, DatabaseOrigin, Engine, Location, Model, Table, Worker,
};
use std::collections::{BTreeMap, HashMap};

/// Adds one database per D1 binding that no database holds and whose
/// queries name tables.
pub fn queried(model: &mut Model) {
    // (Worker, binding) → table → (first place it is named, columns).
    type Tables = BTreeMap<String, (Location, Vec<String>)>;
    let mut found: BTreeMap<(usize, String), Tables> = BTreeMap::new();
    let workers = &model.workers;
    let mut held_by: HashMap<(usize, String), bool> = HashMap::new();
    for op in model.resource_ops.iter().filter(|o| {
        o.kind == BindingKind::D1
            && o.is_query()
            && o.table_location.is_none()
            && o.durable_object.is_none()
            && o.engine.is_none()
    }) {
        let Some(worker) = Worker::owning(workers, &op.location.path) else {
            continue;
        };
        let at = workers
            .iter()
            .position(|w| std::ptr::eq(w, worker))
            .unwrap_or_default();
        // Whether a database holds the binding, once per Worker and binding.
        let held = *held_by.entry((at, op.binding.clone())).or_insert_with(|| {
            let family: Vec<&str> = worker.family(workers).map(|w| w.name.as_str()).collect();
            model.databases.iter().any(|d| {
                d.bindings
                    .iter()
                    .any(|b| b.binding == op.binding && family.contains(&b.worker.as_str()))
            })
        });
        if held {
            continue;
        }
        let tables = found.entry((at, op.binding.clone())).or_default();
        for q in &op.queries {
            for name in &q.tables {
                if name.starts_with("sqlite_") || name.starts_with("pragma_") {
                    continue;
                }
                let (_, columns) = tables
                    .entry(name.clone())
                    .or_insert_with(|| (op.location.clone(), Vec::new()));
                // A bare name belongs to the one table of a single-table
                // statement; a join's sides name their tables.
                let single = q
                    .filter_columns
                    .iter()
                    .chain(&q.order_columns)
                    .chain(&q.written_columns)
                    .filter(|c| q.tables.len() == 1 && !c.contains('.'));
                let joined = q.joins.iter().flat_map(|(lt, lc, rt, rc)| {
                    [(lt, lc), (rt, rc)]
                        .into_iter()
                        .filter(|(t, _)| t.eq_ignore_ascii_case(name))
                        .map(|(_, c)| c)
                });
                for col in single.chain(joined) {
                    if !columns.iter().any(|x| x.eq_ignore_ascii_case(col)) {
                        columns.push(col.clone());
                    }
                }
            }
        }
    }
    for ((at, binding), tables) in found {
        if tables.is_empty() {
            continue;
        }
        let worker = &model.workers[at];
        let bindings = super::tables::d1_bindings(worker.family(&model.workers), Some(&binding));
        // Code shared with a Worker that does not bind it.
        if bindings.is_empty() {
            continue;
        }
        let id = match worker.folder() {
            "" => binding.clone(),
            dir => format!("{dir}/{binding}"),
        };
        let mut db = Database::empty(&id, Engine::D1, Vec::new());
        db.origin = DatabaseOrigin::Queries;
        db.bindings = bindings;
        for (name, (location, mut columns)) in tables {
            columns.sort_by_key(|c| c.to_ascii_lowercase());
            let mut t = Table::new(&name, location.clone());
            t.columns = columns
                .iter()
                .map(|c| Column::new(c, "", location.clone()))
                .collect();
            db.tables.push(t);
        }
        model.databases.push(db);
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::rules::testing::{D1, fetch, model_with, wrangler};
    use crate::model::DatabaseOrigin;

    /// Tables and the columns the queries name, for a D1 binding with no
    /// schema; a binding with migrations or one the Worker does not
    /// declare gets none.
    #[test]
    fn queried_tables_of_a_binding_without_schema() {
        let code = fetch(
            "    await env.DB.prepare(\"SELECT p.title FROM posts p JOIN users u ON u.id = p.user_id WHERE u.email = ?\").first();\n    await env.DB.prepare(\"INSERT INTO posts (title, user_id) VALUES (?, ?)\").run();\n    await env.OTHER.prepare(\"SELECT * FROM audit\").all();",
        );
        let model = model_with(
            "",
            &[("wrangler.toml", &wrangler(D1)), ("src/index.ts", &code)],
        );
        let db = model
            .databases
            .iter()
            .find(|d| d.origin == DatabaseOrigin::Queries)
            .expect("a database built from queries");
        assert_eq!(db.bindings.len(), 1);
        let tables: Vec<(&str, Vec<&str>)> = db
            .tables
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.columns.iter().map(|c| c.name.as_str()).collect(),
                )
            })
            .collect();
        // The WHERE of a join names no table for `email`: left out.
        assert_eq!(
            tables,
            [("posts", vec!["title", "user_id"]), ("users", vec!["id"])]
        );
        assert!(!db.schema_known());
        // Keys, indexes and retention need the schema: nothing is judged.
        let judged: Vec<_> = model
            .findings
            .iter()
            .filter(|f| matches!(f.subject, crate::model::Subject::Table { .. }))
            .collect();
        assert!(judged.is_empty(), "{judged:?}");

        let with_schema = model_with(
            "",
            &[
                ("wrangler.toml", &wrangler(D1)),
                (
                    "migrations/0001.sql",
                    "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
                ),
                ("src/index.ts", &code),
            ],
        );
        assert!(with_schema.databases.iter().all(|d| d.schema_known()));
    }
}
