//! Table access patterns: the queries code runs, tied to the tables of the
//! database their binding reaches, with how often they run.

use crate::model::{AccessPattern, Location, Model, ResourceOp, Worker};
use std::collections::BTreeMap;

/// How often an entry point runs, and the trigger it is named after:
/// `("High", "GET /v1/apps")`, `("Per message", "upload-queue-p0")`,
/// `("Per cron run", "0 3 * * *")`.
fn frequency(model: &Model, worker: Option<&Worker>, op: &ResourceOp, entry: &str) -> Trigger {
    let (level, trigger) = trigger_of(&model.workers, worker, op, entry);
    // `dmqa.toml` `[frequency]`, by the trigger's name (a route, a queue, a
    // cron, `fetch`).
    let configured = model.overrides.frequency.iter().find(|(k, _)| {
        **k == trigger
            || **k == entry
            || trigger
                .split(", ")
                .any(|t| t == k.as_str() || t.strip_prefix("cron ") == Some(k.as_str()))
    });
    match configured {
        Some((_, level)) => (level.clone(), trigger),
        None => (level, trigger),
    }
}

fn trigger_of(
    workers: &[Worker],
    worker: Option<&Worker>,
    op: &ResourceOp,
    entry: &str,
) -> Trigger {
    if crate::model::is_route(entry) || entry == "fetch" {
        return ("High".into(), entry.into());
    }
    match entry {
        "queue" => {
            let queues: Vec<String> = worker
                .map(|w| {
                    w.family_consumers(workers)
                        .into_iter()
                        .map(|c| c.queue.clone())
                        .filter(|q| op.runs_for_queue(q))
                        .collect()
                })
                .unwrap_or_default();
            ("Per message".into(), super::flows::compress(&queues))
        }
        "scheduled" => {
            let crons: Vec<&str> = worker
                .map(|w| w.crons.iter().map(String::as_str).collect())
                .unwrap_or_default();
            match crons.as_slice() {
                [one] => (cron_level(one).into(), format!("cron {one}")),
                many => (
                    "Per cron run".into(),
                    many.iter()
                        .map(|c| format!("cron {c}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            }
        }
        // Durable Object handlers name their class (`Per alarm (Room)`).
        "alarm" => ("Per alarm".into(), object_class(op)),
        "webSocketMessage" => ("Per WebSocket message".into(), object_class(op)),
        other => ("Per call".into(), other.into()),
    }
}

/// The Durable Object class whose storage a query runs on, if any.
fn object_class(op: &ResourceOp) -> String {
    op.database
        .as_deref()
        .and_then(|d| d.strip_prefix("Durable Object "))
        .unwrap_or_default()
        .to_owned()
}

/// How often a cron expression fires, in words: `0 3 * * *` → `Daily`.
fn cron_level(expr: &str) -> &'static str {
    let f: Vec<&str> = expr.split_whitespace().collect();
    let [min, hour, dom, mon, dow] = f.as_slice() else {
        return "Per cron run";
    };
    let fixed = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let any = |s: &str| s == "*";
    match (*min, *hour, *dom, *mon, *dow) {
        (m, _, d, mo, w) if m.starts_with("*/") && any(d) && any(mo) && any(w) => {
            "Every few minutes"
        }
        ("*", "*", d, mo, w) if any(d) && any(mo) && any(w) => "Every minute",
        (m, "*", d, mo, w) if fixed(m) && any(d) && any(mo) && any(w) => "Hourly",
        (m, h, d, mo, w) if fixed(m) && h.starts_with("*/") && any(d) && any(mo) && any(w) => {
            "Every few hours"
        }
        (m, h, d, mo, w) if fixed(m) && fixed(h) && any(d) && any(mo) && any(w) => "Daily",
        (m, h, d, mo, w) if fixed(m) && fixed(h) && any(d) && any(mo) && !any(w) => "Weekly",
        (m, h, d, mo, w) if fixed(m) && fixed(h) && fixed(d) && any(mo) && any(w) => "Monthly",
        _ => "Per cron run",
    }
}

/// `High (GET /a, POST /b); Per message (q)`: triggers grouped under their
/// level, in first-seen order.
fn frequency_text(parts: &[Trigger]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (level, trigger) in parts {
        let pos = match groups.iter().position(|(l, _)| l == level) {
            Some(p) => p,
            None => {
                groups.push((level, Vec::new()));
                groups.len() - 1
            }
        };
        if !trigger.is_empty() && !groups[pos].1.contains(&trigger.as_str()) {
            groups[pos].1.push(trigger);
        }
    }
    groups
        .iter()
        .map(|(level, triggers)| {
            if triggers.is_empty() {
                (*level).to_owned()
            } else {
                format!("{level} ({})", triggers.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `List by slug` is `Get by slug` when the compared columns cover the
/// primary key or a unique index: at most one row comes back.
pub(super) fn operation_for(
    table: &crate::model::Table,
    operation: &str,
    columns: &[String],
) -> String {
    let covers = |key: &[String]| !key.is_empty() && key.iter().all(|k| columns.contains(k));
    let unique = covers(&table.primary_key)
        || table.indexes.iter().any(|i| {
            i.unique
                && i.partial.is_none()
                && covers(&i.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
        });
    match operation.strip_prefix("List by ") {
        Some(rest) if unique => format!("Get by {rest}"),
        _ => operation.to_owned(),
    }
}

/// A frequency level and the trigger it names: `("High", "GET /v1/apps")`.
type Trigger = (String, String);

/// A query shape found in code, before it is merged into its table.
struct Found {
    db: usize,
    table: String,
    pattern: AccessPattern,
    triggers: Vec<Trigger>,
    columns: Vec<String>,
}

/// Adds an access pattern to its table for every query code runs.
pub fn collect(model: &mut Model) {
    let mut found: Vec<Found> = Vec::new();
    for op in model.resource_ops.iter().filter(|o| o.is_query()) {
        let worker = Worker::owning(&model.workers, &op.location.path);
        let db = super::database_of_op(model, op);
        let Some(db) = db else { continue };
        let mut freq: Vec<Trigger> = op
            .entries
            .iter()
            .map(|e| frequency(model, worker, op, e))
            .collect();
        if freq.is_empty() {
            let actor = op.actor.clone().unwrap_or_else(|| "-".into());
            let class = object_class(op);
            freq.push(if class.is_empty() {
                ("Unknown".into(), actor)
            } else {
                // A Durable Object method nothing here calls on a stub.
                ("Per call".into(), format!("{class}.{actor}()"))
            });
        }
        for q in &op.queries {
            found.push(Found {
                db,
                table: q.table.clone(),
                pattern: AccessPattern {
                    operation: q.operation.clone(),
                    query: q.query.clone(),
                    frequency: String::new(),
                    sources: vec![op.location.clone()],
                },
                triggers: freq.clone(),
                columns: q.filter_columns.clone(),
            });
        }
    }
    // Per table, each pattern's frequency parts, merged across call sites.
    let mut parts: BTreeMap<(usize, usize, usize), Vec<Trigger>> = BTreeMap::new();
    for Found {
        db,
        table,
        mut pattern,
        triggers,
        columns,
    } in found
    {
        let Some(ti) = model.databases[db]
            .tables
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(&table))
        else {
            continue;
        };
        let t = &mut model.databases[db].tables[ti];
        pattern.operation = operation_for(t, &pattern.operation, &columns);
        let pi = match t
            .access_patterns
            .iter()
            .position(|a| a.operation == pattern.operation && a.query == pattern.query)
        {
            Some(pi) => {
                t.access_patterns[pi].sources.extend(pattern.sources);
                pi
            }
            None => {
                t.access_patterns.push(pattern);
                t.access_patterns.len() - 1
            }
        };
        parts.entry((db, ti, pi)).or_default().extend(triggers);
    }
    for ((db, ti, pi), p) in parts {
        model.databases[db].tables[ti].access_patterns[pi].frequency = frequency_text(&p);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions_in_words() {
        assert_eq!(cron_level("0 3 * * *"), "Daily");
        assert_eq!(cron_level("*/5 * * * *"), "Every few minutes");
        assert_eq!(cron_level("15 * * * *"), "Hourly");
        assert_eq!(cron_level("0 */6 * * *"), "Every few hours");
        assert_eq!(cron_level("0 0 * * 1"), "Weekly");
        assert_eq!(cron_level("0 0 1 * *"), "Monthly");
        assert_eq!(cron_level("0 0 1 1 *"), "Per cron run");
        assert_eq!(cron_level("nonsense"), "Per cron run");
    }

    #[test]
    fn frequencies_group_triggers_under_their_level() {
        let p = |l: &str, t: &str| (l.to_owned(), t.to_owned());
        assert_eq!(
            frequency_text(&[
                p("High", "GET /a"),
                p("Per message", "q1"),
                p("High", "POST /b"),
                p("High", "GET /a"),
                p("Per alarm", ""),
            ]),
            "High (GET /a, POST /b); Per message (q1); Per alarm"
        );
    }
}
