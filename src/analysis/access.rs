//! Table access patterns: the queries code runs, tied to the tables of the
//! database their binding reaches, with how often they run.

use crate::model::{
    AccessPattern, EntryPoint, Frequency, Handler, Invoker, Location, Model, Operation, QueryVerb,
    ResourceOp, Run, Worker,
};
use std::collections::BTreeMap;

/// How often an entry point runs and what it is: `GET /v1/apps` is
/// High, a `queue` handler runs per message of the queues it consumes, a
/// `scheduled` one on its crons; `dmqa.toml`'s `[frequency]` sets the
/// level of a trigger it names (a route, a queue, a cron, `fetch`).
fn run_of(model: &Model, worker: Option<&Worker>, op: &ResourceOp, entry: &EntryPoint) -> Run {
    let mut run = trigger_of(&model.workers, worker, op, entry);
    let mut names = run.invoker.names();
    names.push(entry.name());
    if let Some((_, level)) = model
        .overrides
        .frequency
        .iter()
        .find(|(k, _)| names.contains(k))
    {
        run.frequency = Frequency::Configured(level.clone());
    }
    run
}

fn trigger_of(
    workers: &[Worker],
    worker: Option<&Worker>,
    op: &ResourceOp,
    entry: &EntryPoint,
) -> Run {
    let run = |frequency, invoker| Run { frequency, invoker };
    // The method of a Durable Object the code is in, when it is not the
    // handler itself (`endMeeting` reached from `alarm`).
    let method = || {
        op.actor
            .as_deref()
            .filter(|a| *a != entry.name())
            .map(|a| a.rsplit('.').next().unwrap_or(a))
            .unwrap_or_default()
            .to_owned()
    };
    // The class whose handler runs it: the Durable Object whose storage
    // the code uses, else the class the code is in.
    let class = || op.home_class().unwrap_or_default().to_owned();
    match entry.handler() {
        // A Durable Object's own `fetch` runs per call on a stub.
        Some(Handler::Fetch) if op.durable_object.is_some() => run(
            Frequency::PerCall,
            Invoker::Method {
                class: object_class(op),
                method: Some(method())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "fetch".to_owned()),
            },
        ),
        _ if entry.is_request() => run(
            Frequency::High,
            Invoker::Request {
                entry: entry.clone(),
            },
        ),
        Some(Handler::Queue) => {
            let mut queues: Vec<String> = worker
                .map(|w| {
                    w.family_consumers(workers)
                        .into_iter()
                        .map(|c| c.queue.clone())
                        .filter(|q| op.runs_for_queue(q))
                        .collect()
                })
                .unwrap_or_default();
            queues.sort();
            queues.dedup();
            run(Frequency::PerMessage, Invoker::Queue { queues })
        }
        Some(Handler::Scheduled) => {
            let schedules: Vec<String> = worker.map(|w| w.crons.clone()).unwrap_or_default();
            let frequency = match schedules.as_slice() {
                [one] => cron_level(one),
                _ => Frequency::PerCronRun,
            };
            run(frequency, Invoker::Cron { schedules })
        }
        // Durable Object handlers name their class (`Per alarm (Room)`).
        Some(Handler::Alarm) => run(
            Frequency::PerAlarm,
            Invoker::Handler {
                class: class(),
                method: method(),
            },
        ),
        // A Workflow's steps name its class (`Per workflow run
        // (CustomerWorkflow)`).
        Some(Handler::Workflow) => run(
            Frequency::PerWorkflowRun,
            Invoker::Handler {
                class: class(),
                method: method(),
            },
        ),
        Some(Handler::WebSocketMessage) => run(
            Frequency::PerWebSocketMessage,
            Invoker::Handler {
                class: class(),
                method: method(),
            },
        ),
        _ => run(
            Frequency::PerCall,
            Invoker::Call {
                entry: entry.clone(),
            },
        ),
    }
}

/// The Durable Object class whose storage a query runs on, if any.
fn object_class(op: &ResourceOp) -> String {
    op.durable_object.clone().unwrap_or_default()
}

/// How often a cron expression fires: `0 3 * * *` → daily.
fn cron_level(expr: &str) -> Frequency {
    let f: Vec<&str> = expr.split_whitespace().collect();
    let [min, hour, dom, mon, dow] = f.as_slice() else {
        return Frequency::PerCronRun;
    };
    let fixed = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let any = |s: &str| s == "*";
    match (*min, *hour, *dom, *mon, *dow) {
        (m, _, d, mo, w) if m.starts_with("*/") && any(d) && any(mo) && any(w) => {
            Frequency::EveryFewMinutes
        }
        ("*", "*", d, mo, w) if any(d) && any(mo) && any(w) => Frequency::EveryMinute,
        (m, "*", d, mo, w) if fixed(m) && any(d) && any(mo) && any(w) => Frequency::Hourly,
        (m, h, d, mo, w) if fixed(m) && h.starts_with("*/") && any(d) && any(mo) && any(w) => {
            Frequency::EveryFewHours
        }
        (m, h, d, mo, w) if fixed(m) && fixed(h) && any(d) && any(mo) && any(w) => Frequency::Daily,
        (m, h, d, mo, w) if fixed(m) && fixed(h) && any(d) && any(mo) && !any(w) => {
            Frequency::Weekly
        }
        (m, h, d, mo, w) if fixed(m) && fixed(h) && fixed(d) && any(mo) && any(w) => {
            Frequency::Monthly
        }
        _ => Frequency::PerCronRun,
    }
}

/// `List by slug` is `Get by slug` when the compared columns cover the
/// primary key or a unique index: at most one row comes back.
pub(super) fn operation_for(table: &crate::model::Table, operation: &Operation) -> Operation {
    let columns = &operation.by;
    let covers = |key: &[String]| !key.is_empty() && key.iter().all(|k| columns.contains(k));
    let unique = covers(&table.primary_key)
        || table.indexes.iter().any(|i| {
            i.unique
                && i.partial.is_none()
                && covers(&i.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
        });
    let mut operation = operation.clone();
    if operation.verb == QueryVerb::List && !columns.is_empty() && unique {
        operation.verb = QueryVerb::Get;
    }
    operation
}

/// How often a query in a framework object runs when a WebSocket hook
/// reaches it (`onConnect`, `onMessage`, and the helpers they call on
/// `this`): hooks are the runtime's calls, not a name the call graph
/// knows as an entry point.
fn hook_runs(model: &Model, op: &ResourceOp) -> Vec<Run> {
    let (Some(class), Some(actor)) = (op.home_class(), op.actor.as_deref()) else {
        return Vec::new();
    };
    let Some(object) = model.code_object(class) else {
        return Vec::new();
    };
    let mut runs: Vec<Run> = Vec::new();
    for m in &object.methods {
        let frequency = match m.handler {
            Some(Handler::WebSocketConnect) => Frequency::PerConnection,
            Some(Handler::WebSocketMessage) => Frequency::PerWebSocketMessage,
            _ => continue,
        };
        if object.reached_from(&[m.name.as_str()]).contains(&actor) {
            let run = Run {
                frequency,
                invoker: Invoker::Handler {
                    class: class.to_owned(),
                    method: if actor == m.name {
                        String::new()
                    } else {
                        actor.to_owned()
                    },
                },
            };
            if !runs.contains(&run) {
                runs.push(run);
            }
        }
    }
    runs
}

/// A query shape found in code, before it is merged into its table.
struct Found {
    db: usize,
    table: String,
    pattern: AccessPattern,
    runs: Vec<Run>,
}

/// Adds an access pattern to its table for every query code runs.
pub fn collect(model: &mut Model) {
    let mut found: Vec<Found> = Vec::new();
    for op in model.resource_ops.iter().filter(|o| o.is_query()) {
        let worker = Worker::owning(&model.workers, &op.location.path);
        let db = super::database_of_op(model, op);
        let Some(db) = db else { continue };
        let mut runs: Vec<Run> = op
            .entries
            .iter()
            .map(|e| run_of(model, worker, op, e))
            .collect();
        if runs.is_empty() {
            runs = hook_runs(model, op);
        }
        if runs.is_empty() {
            let actor = op.actor.clone().unwrap_or_else(|| "-".into());
            let class = object_class(op);
            runs.push(if class.is_empty() {
                Run {
                    frequency: Frequency::Unknown,
                    invoker: Invoker::Unreached {
                        actor: op.actor_label(),
                    },
                }
            } else {
                // A Durable Object method nothing here calls on a stub.
                Run {
                    frequency: Frequency::PerCall,
                    invoker: Invoker::Method {
                        class,
                        method: actor,
                    },
                }
            });
        }
        for q in &op.queries {
            found.push(Found {
                db,
                table: q.table.clone(),
                pattern: AccessPattern {
                    operation: q.operation.clone(),
                    query: q.query.clone(),
                    frequency: Vec::new(),
                    sources: vec![op.location.clone()],
                },
                runs: runs.clone(),
            });
        }
    }
    // Per table, each pattern's frequency parts, merged across call sites.
    let mut parts: BTreeMap<(usize, usize, usize), Vec<Run>> = BTreeMap::new();
    for Found {
        db,
        table,
        mut pattern,
        runs,
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
        pattern.operation = operation_for(t, &pattern.operation);
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
        parts.entry((db, ti, pi)).or_default().extend(runs);
    }
    for ((db, ti, pi), mut runs) in parts {
        // First-seen order, each run once.
        let mut seen = Vec::new();
        runs.retain(|r| {
            let new = !seen.contains(r);
            if new {
                seen.push(r.clone());
            }
            new
        });
        model.databases[db].tables[ti].access_patterns[pi].frequency = runs;
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
        assert_eq!(cron_level("0 3 * * *"), Frequency::Daily);
        assert_eq!(cron_level("*/5 * * * *"), Frequency::EveryFewMinutes);
        assert_eq!(cron_level("* * * * *"), Frequency::EveryMinute);
        assert_eq!(cron_level("15 * * * *"), Frequency::Hourly);
        assert_eq!(cron_level("0 */6 * * *"), Frequency::EveryFewHours);
        assert_eq!(cron_level("0 0 * * 1"), Frequency::Weekly);
        assert_eq!(cron_level("0 0 1 * *"), Frequency::Monthly);
        assert_eq!(cron_level("0 0 1 1 *"), Frequency::PerCronRun);
        assert_eq!(cron_level("nonsense"), Frequency::PerCronRun);
    }
}
