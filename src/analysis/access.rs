//! Table access patterns: the queries code runs, tied to the tables of the
//! database their binding reaches, with how often they run.

use super::worker_of;
use crate::model::{AccessPattern, BindingKind, Location, Model, OpKind, Worker};

/// How often an entry point runs, named after it: `High (GET /v1/apps)`,
/// `Per message (upload-queue-p0)`, `Per cron run (0 3 * * *)`.
fn frequency(worker: Option<&Worker>, entry: &str) -> String {
    if crate::model::is_route(entry) || entry == "fetch" {
        return format!("High ({entry})");
    }
    match entry {
        "queue" => {
            let queues: Vec<&str> = worker
                .map(|w| w.consumers.iter().map(|c| c.queue.as_str()).collect())
                .unwrap_or_default();
            format!("Per message ({})", queues.join(", "))
        }
        "scheduled" => {
            let crons = worker.map(|w| w.crons.join(", ")).unwrap_or_default();
            format!("Per cron run ({crons})")
        }
        "alarm" => "Per alarm".to_owned(),
        "webSocketMessage" => "Per WebSocket message".to_owned(),
        other => format!("Per call ({other})"),
    }
}

/// Adds an access pattern to its table for every query code runs.
pub fn collect(model: &mut Model) {
    let mut found: Vec<(usize, String, AccessPattern)> = Vec::new();
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.kind == BindingKind::D1 && o.op == OpKind::Query)
    {
        let worker = worker_of(&model.workers, &op.location.path);
        let db = super::database_of_op(model, op);
        let Some(db) = db else { continue };
        let mut freq: Vec<String> = op.entries.iter().map(|e| frequency(worker, e)).collect();
        if freq.is_empty() {
            freq.push(format!("Unknown ({})", op.actor.as_deref().unwrap_or("-")));
        }
        for q in &op.queries {
            found.push((
                db,
                q.table.clone(),
                AccessPattern {
                    operation: q.operation.clone(),
                    query: q.query.clone(),
                    frequency: freq.join("; "),
                    sources: vec![op.location.clone()],
                },
            ));
        }
    }
    for (db, table, pattern) in found {
        let Some(t) = model.databases[db]
            .tables
            .iter_mut()
            .find(|t| t.name.eq_ignore_ascii_case(&table))
        else {
            continue;
        };
        match t
            .access_patterns
            .iter_mut()
            .find(|a| a.operation == pattern.operation && a.query == pattern.query)
        {
            Some(a) => {
                a.sources.extend(pattern.sources);
                if !a.frequency.contains(&pattern.frequency) {
                    a.frequency = format!("{}; {}", a.frequency, pattern.frequency);
                }
            }
            None => t.access_patterns.push(pattern),
        }
    }
    for db in &mut model.databases {
        for t in &mut db.tables {
            for a in &mut t.access_patterns {
                a.sources.sort();
                a.sources.dedup();
            }
            t.access_patterns.sort_by(|a, b| {
                (first(&a.sources), &a.operation).cmp(&(first(&b.sources), &b.operation))
            });
        }
    }
}

fn first(v: &[Location]) -> Option<&Location> {
    v.first()
}
