//! Data flows and queue processing steps, from the operations code does
//! on bindings and the entry points that reach them.
//!
//! One flow per entry point touching two or more resources, its steps in
//! the order the entry point's code reaches them; a queue consumer's flow
//! starts with its queues, so a producer's flow ending in `Queue x` links
//! to it by name. A queue's Processing rows are its consumer's operations
//! in the same order.

use crate::model::{
    BindingKind, Database, Engine, EntryPoint, Flow, FlowEntry, FlowStep, Handler, Key, Location,
    Model, OnFailure, ProcessingStep, QueueConsumer, QueueHandler, ResourceOp, StepAction,
    TableQuery, Worker,
};
use std::collections::{BTreeMap, HashMap};

fn do_class(model: &Model, binding: &str) -> String {
    super::binding_target(model, BindingKind::DurableObject, binding)
}

/// The resource `op` touches, as a flow step.
fn step(model: &Model, op: &ResourceOp) -> FlowStep {
    match op.kind {
        BindingKind::R2 => FlowStep::R2 {
            binding: op.binding.clone(),
            prefixes: op
                .key
                .as_ref()
                .map(Key::literal_prefix)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .into_iter()
                .collect(),
        },
        BindingKind::Kv => FlowStep::Kv {
            binding: op.binding.clone(),
        },
        BindingKind::QueueProducer => FlowStep::Queue {
            bindings: vec![op.binding.clone()],
            queues: super::queue_names(model, op),
        },
        _ if op.is_query() => FlowStep::Database {
            engine: engine_of(op, database_of(model, op)),
            tables: op.tables.clone(),
        },
        BindingKind::DurableObject => FlowStep::DurableObject {
            class: do_class(model, &op.binding),
        },
        BindingKind::Workflow => FlowStep::Workflow {
            binding: op.binding.clone(),
        },
        _ => FlowStep::Binding {
            binding: op.binding.clone(),
        },
    }
}

/// The engine a query runs on: its database's (`db`, found by
/// `database_of_op`), else a Durable Object's own storage is SQLite and
/// anything else D1.
fn engine_of(op: &ResourceOp, db: Option<&Database>) -> Engine {
    match db {
        Some(d) => d.engine,
        None if op.durable_object.is_some() => Engine::Sqlite,
        None => Engine::D1,
    }
}

/// The database a query runs on, when known.
fn database_of<'m>(model: &'m Model, op: &ResourceOp) -> Option<&'m Database> {
    super::database_of_op(model, op).and_then(|i| model.databases.get(i))
}

/// What a call of `method` into Durable Object `class` does: the
/// operations of the methods it reaches inside the object — a `fetch`
/// reaches the runtime's request and WebSocket handlers too — in source
/// order, less calls into other objects (one level is drawn).
fn inside<'m>(
    model: &'m Model,
    within: &Within<'m>,
    class: &str,
    method: &str,
) -> Vec<&'m ResourceOp> {
    let Some(object) = model.code_object(class) else {
        return Vec::new();
    };
    let mut seeds: Vec<&str> = vec![method];
    if method == "fetch" {
        // What the constructor sets up (a router of the object's methods)
        // serves its requests.
        seeds.push("constructor");
        seeds.extend(
            object
                .methods
                .iter()
                .filter(|m| {
                    m.handler.is_some_and(|h| {
                        matches!(
                            h,
                            Handler::Fetch
                                | Handler::Start
                                | Handler::WebSocketConnect
                                | Handler::WebSocketMessage
                                | Handler::WebSocketClose
                                | Handler::WebSocketError
                        )
                    })
                })
                .map(|m| m.name.as_str()),
        );
    }
    // The object's own helpers those call (`this.save(…)`), its own
    // methods and those it inherits.
    let reached = object.reached_from(&seeds);
    let mut ops: Vec<&ResourceOp> = std::iter::once(class)
        .chain(object.bases.iter().map(String::as_str))
        .flat_map(|c| within.get(c).map(Vec::as_slice).unwrap_or_default())
        .filter(|op| op.durable_object.as_deref().is_none_or(|d| d == class))
        .copied()
        .collect();
    ops.sort_by(|a, b| a.location.cmp(&b.location));
    ops.dedup_by(|a, b| std::ptr::eq(*a, *b));
    ops.into_iter()
        .filter(|op| {
            op.actor
                .as_deref()
                .is_some_and(|a| reached.contains(&a.rsplit('.').next().unwrap_or(a)))
        })
        .collect()
}

/// The operations code runs inside each class (its own storage, or its
/// methods' bindings), less calls into Durable Objects, in source order:
/// built once for every flow.
type Within<'m> = std::collections::HashMap<&'m str, Vec<&'m ResourceOp>>;

fn within(model: &Model) -> Within<'_> {
    let mut by: Within<'_> = std::collections::HashMap::new();
    for op in model
        .resource_ops
        .iter()
        .filter(|op| op.kind != BindingKind::DurableObject)
    {
        let classes = [op.durable_object.as_deref(), op.class.as_deref()];
        for (i, class) in classes.iter().enumerate() {
            if let Some(c) = class
                && !classes[..i].contains(class)
            {
                by.entry(c).or_default().push(op);
            }
        }
    }
    for ops in by.values_mut() {
        ops.sort_by(|a, b| a.location.cmp(&b.location));
    }
    by
}

/// A flow's steps: each operation's, a call into a Durable Object followed
/// by what the object does with it.
fn steps_of(model: &Model, within: &Within<'_>, ops: &[&ResourceOp]) -> Vec<FlowStep> {
    // A call of the same method of the same object again (a retry, a
    // second helper) is drawn once.
    let mut expanded: Vec<(String, &str)> = Vec::new();
    merged(
        ops.iter()
            .filter(|op| !undeclared_alternative(model, op, ops))
            .flat_map(|op| {
                let mut steps = vec![step(model, op)];
                if op.kind == BindingKind::DurableObject {
                    let class = do_class(model, &op.binding);
                    let method = op.method.as_deref().unwrap_or("fetch");
                    if expanded.contains(&(class.clone(), method)) {
                        return Vec::new();
                    }
                    expanded.push((class.clone(), method));
                    let runs_in = object_worker(model, op);
                    steps.extend(
                        inside(model, within, &class, method)
                            .into_iter()
                            .filter(|o| {
                                runs_in.is_none_or(|w| {
                                    Worker::owning(&model.workers, &o.location.path)
                                        .is_none_or(|x| x.folder() == w.folder())
                                })
                            })
                            .map(|o| step(model, o)),
                    );
                }
                steps
            }),
    )
}

/// The Durable Object whose code a method of `class` is: the class, or
/// the one object extending it.
fn object_of_class<'m>(model: &'m Model, class: &'m str) -> Option<&'m str> {
    if model.code_object(class).is_some() {
        return Some(class);
    }
    let mut heirs = model
        .code_durable_objects
        .iter()
        .filter(|d| d.bases.iter().any(|b| b == class));
    match (heirs.next(), heirs.next()) {
        (Some(d), None) => Some(d.class_name.as_str()),
        _ => None,
    }
}

/// The Worker whose code a call into a Durable Object runs in: the
/// caller's own, or the one its binding's `script_name` names; `None`
/// when config does not say (the code is then taken from anywhere).
fn object_worker<'m>(model: &'m Model, op: &ResourceOp) -> Option<&'m Worker> {
    let caller = Worker::owning(&model.workers, &op.location.path)?;
    let script = caller
        .bindings
        .iter()
        .find(|b| b.kind == BindingKind::DurableObject && b.name == op.binding)
        .and_then(|b| b.settings.get("script_name"));
    match script {
        None => Some(caller),
        Some(name) => model
            .workers
            .iter()
            .find(|w| w.environment.is_none() && &w.name == name),
    }
}

/// Whether `op` is one of the names a call picks between (`env.
/// durable_object(if shared { "A" } else { "B" })`) that its Worker does
/// not declare, while another is declared: the call reaches that one.
fn undeclared_alternative(model: &Model, op: &ResourceOp, ops: &[&ResourceOp]) -> bool {
    let worker = Worker::owning(&model.workers, &op.location.path);
    let declared = |name: &str| worker.is_some_and(|w| w.family_binds(&model.workers, name));
    !declared(&op.binding)
        && ops.iter().any(|o| {
            o.location == op.location
                && o.kind == op.kind
                && o.binding != op.binding
                && declared(&o.binding)
        })
}

/// Consecutive steps on one resource become one.
fn merged(steps: impl IntoIterator<Item = FlowStep>) -> Vec<FlowStep> {
    let mut out: Vec<FlowStep> = Vec::new();
    for s in steps {
        let absorbed = out.last_mut().is_some_and(|last| last.absorb(&s));
        if !absorbed {
            out.push(s);
        }
    }
    out
}

/// What starts a flow (`class`: the class whose handler it is, when
/// known).
fn entry_of(model: &Model, entry: &EntryPoint, at: &Location, class: Option<&str>) -> FlowEntry {
    let worker = Worker::owning(&model.workers, &at.path);
    match entry.handler() {
        // The Workflow bindings of that class start it.
        Some(Handler::Workflow) => FlowEntry::Workflow {
            bindings: worker
                .map(|w| {
                    let mut names: Vec<String> = w
                        .family(&model.workers)
                        .flat_map(|w| &w.bindings)
                        .filter(|b| b.kind == BindingKind::Workflow && b.target.as_deref() == class)
                        .map(|b| b.name.clone())
                        .collect();
                    names.sort();
                    names.dedup();
                    names
                })
                .unwrap_or_default(),
        },
        Some(Handler::Queue) => FlowEntry::Queues {
            queues: worker
                .map(|w| {
                    w.family_consumers(&model.workers)
                        .into_iter()
                        .map(|c| c.queue.clone())
                        .collect()
                })
                .unwrap_or_default(),
        },
        Some(Handler::Scheduled) => FlowEntry::Cron {
            schedules: worker.map(|w| w.crons.clone()).unwrap_or_default(),
        },
        _ => FlowEntry::Entry {
            entry: entry.clone(),
        },
    }
}

/// The `queue()` handler of each Worker's code (the first, by Worker
/// name).
fn handlers(model: &Model) -> HashMap<&str, &QueueHandler> {
    let mut out = HashMap::new();
    for h in &model.queue_handlers {
        if let Some(w) = Worker::owning(&model.workers, &h.location.path) {
            out.entry(w.name.as_str()).or_insert(h);
        }
    }
    out
}

/// A queue's Processing rows: its consumer's operations and the `ack()` /
/// `retry()` calls of its handler for that queue, in source order.
fn rows(
    model: &Model,
    c: &QueueConsumer,
    handler: Option<&QueueHandler>,
    ops: &[(&Location, &ResourceOp)],
) -> Vec<ProcessingStep> {
    let mut rows: Vec<(&Location, ProcessingStep)> = ops
        .iter()
        .map(|(at, op)| {
            let step = ProcessingStep {
                action: action(model, op),
                on_failure: Some(on_failure(c, handler)),
                location: op.location.clone(),
            };
            (*at, step)
        })
        .collect();
    for r in handler.map_or(&[][..], |h| h.requests.as_slice()) {
        let step = ProcessingStep {
            action: StepAction::Request {
                method: r.method.clone(),
                target: r.target.clone(),
            },
            on_failure: Some(on_failure(c, handler)),
            location: r.location.clone(),
        };
        rows.push((&r.location, step));
    }
    for s in handler.map_or(&[][..], |h| h.settles.as_slice()) {
        if !s.runs_for_queue(&c.queue) {
            continue;
        }
        let step = ProcessingStep {
            action: StepAction::Settle {
                kind: s.kind,
                delay_secs: s.delay_secs,
            },
            on_failure: None,
            location: s.location.clone(),
        };
        rows.push((&s.location, step));
    }
    rows.sort_by(|a, b| a.0.cmp(b.0));
    rows.into_iter().map(|(_, s)| s).collect()
}

fn on_failure(c: &QueueConsumer, handler: Option<&QueueHandler>) -> OnFailure {
    if handler.is_some_and(|h| h.acks_on_failure) {
        return OnFailure::Reject;
    }
    OnFailure::Retry {
        explicit: handler.is_some_and(|h| h.retries),
        // Cloudflare retries a failed message 3 times unless configured.
        max_retries: c.max_retries.unwrap_or(3),
        dead_letter_queue: c.dead_letter_queue.clone(),
    }
}

fn action(model: &Model, op: &ResourceOp) -> StepAction {
    match (op.kind, op.op) {
        (BindingKind::DurableObject, _) => StepAction::CallDurableObject {
            class: do_class(model, &op.binding),
            method: op.method.clone().unwrap_or_else(|| "fetch".into()),
        },
        _ if op.is_query() => match op.queries.as_slice() {
            [] => match op.sql.as_deref().map(str::trim_start) {
                // `CREATE TABLE IF NOT EXISTS cache (…)` → its head.
                Some(ddl)
                    if ddl
                        .get(..6)
                        .is_some_and(|h| h.eq_ignore_ascii_case("create")) =>
                {
                    StepAction::RunDdl {
                        head: ddl
                            .split(['(', '\n'])
                            .next()
                            .unwrap_or(ddl)
                            .trim()
                            .to_owned(),
                    }
                }
                _ => StepAction::Query {
                    tables: op.tables.clone(),
                },
            },
            shapes => {
                let db = database_of(model, op);
                let engine = engine_of(op, db);
                StepAction::Queries {
                    queries: shapes
                        .iter()
                        .map(|q| {
                            let table =
                                db.and_then(|d| crate::model::table_named(&d.tables, &q.table));
                            TableQuery {
                                engine,
                                table: q.table.clone(),
                                operation: table.map_or_else(
                                    || q.operation.clone(),
                                    |t| super::access::operation_for(t, &q.operation),
                                ),
                            }
                        })
                        .collect(),
                }
            }
        },
        (BindingKind::QueueProducer, _) => StepAction::Send {
            queues: super::queue_names(model, op),
        },
        (kind, o) => StepAction::Use {
            kind,
            op: o,
            binding: op.binding.clone(),
            key: op.key.clone(),
        },
    }
}

/// Fills `model.flows` and each consumed queue's processing steps.
pub fn collect(model: &mut Model) {
    let within = within(model);
    let handlers = handlers(model);
    let handler_of = |w: &Worker| handlers.get(w.name.as_str()).copied();
    // Entry points are per Worker: two Workers' `fetch` are two flows.
    let mut by_entry: BTreeMap<(String, EntryPoint), Vec<(&Location, &ResourceOp)>> =
        BTreeMap::new();
    for op in &model.resource_ops {
        for (entry, anchor) in &op.anchors {
            let worker = Worker::owning(&model.workers, &anchor.path)
                .map(|w| w.name.clone())
                .unwrap_or_default();
            // A Durable Object's own `fetch` is not its Worker's:
            // `Tally.fetch`, a flow of its own (`alarm` and the WebSocket
            // handlers are only ever an object's).
            // Its own storage is only ever reached through the object's
            // handlers: a `fetch` it does not have is its Worker's, whose
            // stub call the name-based call graph mistook for a call of
            // the method (the flow of that call draws it).
            if let (Some(class), Some(h)) = (&op.durable_object, entry.handler())
                && !model.code_object(class).is_some_and(|d| d.handles(h))
            {
                continue;
            }
            // The same for a binding call in the object's own `fetch` (or a
            // method it reaches).
            let object = op
                .durable_object
                .as_deref()
                .or_else(|| op.class.as_deref().and_then(|c| object_of_class(model, c)));
            let entry = match (object, entry.handler()) {
                (Some(class), Some(Handler::Fetch))
                    if op.durable_object.is_some()
                        || model
                            .code_object(class)
                            .is_some_and(|d| d.handles(Handler::Fetch)) =>
                {
                    EntryPoint::Function {
                        name: format!("{class}.{}", entry.name()),
                    }
                }
                _ => entry.clone(),
            };
            by_entry
                .entry((worker, entry))
                .or_default()
                .push((anchor, op));
        }
    }
    let mut workers_seen: Vec<&String> = by_entry.keys().map(|(w, _)| w).collect();
    workers_seen.dedup();
    let several = workers_seen.len() > 1;
    let mut flows = Vec::new();
    let mut processing: BTreeMap<String, Vec<ProcessingStep>> = BTreeMap::new();
    for ((worker, entry), mut ops) in by_entry {
        ops.sort_by(|a, b| (a.0, &a.1.location).cmp(&(b.0, &b.1.location)));
        let Some((first, _)) = ops.first() else {
            continue;
        };
        let at = (*first).clone();
        let worker = (several && !worker.is_empty()).then_some(worker);
        let is_queue = entry.handler() == Some(Handler::Queue);
        let consumer_worker = Worker::owning(&model.workers, &at.path)
            .filter(|w| is_queue && !w.family_consumers(&model.workers).is_empty());
        let Some(w) = consumer_worker else {
            let steps = steps_of(
                model,
                &within,
                &ops.iter().map(|(_, op)| *op).collect::<Vec<_>>(),
            );
            let own = entry.name();
            let class = ops
                .iter()
                .find(|(_, op)| op.actor.as_deref() == Some(own.as_str()))
                .and_then(|(_, op)| op.class.as_deref());
            if !steps.is_empty() {
                flows.push(Flow {
                    worker,
                    entry: entry_of(model, &entry, &at, class),
                    steps,
                    location: at.clone(),
                });
            }
            continue;
        };
        // A consumer's operations, less those a `batch.queue` check keeps
        // for other queues; queues that run the same operations share a
        // flow line.
        let handler = handler_of(w);
        let mut lines: Vec<(Vec<String>, Vec<&ResourceOp>)> = Vec::new();
        for c in w.family_consumers(&model.workers) {
            let mine_at: Vec<(&Location, &ResourceOp)> = ops
                .iter()
                .filter(|(_, op)| op.runs_for_queue(&c.queue))
                .copied()
                .collect();
            let mine: Vec<&ResourceOp> = mine_at.iter().map(|(_, op)| *op).collect();
            processing.insert(c.queue.clone(), rows(model, c, handler, &mine_at));
            match lines.iter_mut().find(|(_, o)| {
                o.len() == mine.len() && o.iter().zip(&mine).all(|(a, b)| std::ptr::eq(*a, *b))
            }) {
                Some((names, _)) => names.push(c.queue.clone()),
                None => lines.push((vec![c.queue.clone()], mine)),
            }
        }
        for (names, mine) in lines {
            let steps = steps_of(model, &within, &mine);
            if !steps.is_empty() {
                flows.push(Flow {
                    worker: worker.clone(),
                    entry: FlowEntry::Queues { queues: names },
                    steps,
                    location: at.clone(),
                });
            }
        }
    }
    // Consumers that touch no binding still settle their messages and send
    // requests.
    for w in model.workers.iter().filter(|w| w.environment.is_none()) {
        let handler = handler_of(w);
        if handler.is_none_or(|h| h.settles.is_empty() && h.requests.is_empty()) {
            continue;
        }
        for c in w.family_consumers(&model.workers) {
            if !processing.contains_key(&c.queue) {
                processing.insert(c.queue.clone(), rows(model, c, handler, &[]));
            }
        }
    }
    join_consumers(model, &mut flows);
    model.flows = flows;
    for q in &mut model.queues {
        if let Some(rows) = processing.remove(&q.name) {
            q.processing = rows;
        }
    }
}

/// Producer → queue → consumer: after a flow's own steps, the steps of
/// each flow consuming a queue it sends to (one level: what that consumer
/// sends on is not followed again).
fn join_consumers(model: &Model, flows: &mut [Flow]) {
    let consumers: Vec<(Vec<String>, String, Vec<FlowStep>)> = flows
        .iter()
        .filter_map(|f| match &f.entry {
            FlowEntry::Queues { queues } if !queues.is_empty() => Some((
                queues.clone(),
                Worker::owning(&model.workers, &f.location.path)
                    .map(|w| w.name.clone())
                    .unwrap_or_default(),
                f.steps.clone(),
            )),
            _ => None,
        })
        .collect();
    if consumers.is_empty() {
        return;
    }
    for f in flows
        .iter_mut()
        .filter(|f| !matches!(f.entry, FlowEntry::Queues { .. }))
    {
        let sent: Vec<&String> = f
            .steps
            .iter()
            .flat_map(|s| match s {
                FlowStep::Queue { queues, .. } => queues.as_slice(),
                _ => &[],
            })
            .collect();
        let mut later: Vec<FlowStep> = Vec::new();
        for (queues, worker, steps) in &consumers {
            let taken: Vec<String> = queues
                .iter()
                .filter(|q| sent.contains(q))
                .cloned()
                .collect();
            if !taken.is_empty() {
                later.push(FlowStep::Consumer {
                    queues: taken,
                    worker: worker.clone(),
                });
                later.extend(steps.iter().cloned());
            }
        }
        f.steps.extend(later);
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::rules::testing::{model_with, wrangler};
    use crate::render::words;

    /// A `queue` property naming a function declared in another module is
    /// the consumer; the webhook it posts each message to is a step, with
    /// the retry its `catch` asks for.
    #[test]
    fn a_consumer_declared_elsewhere_posts_to_a_webhook() {
        let config = wrangler(
            "[vars]\nHOOK_URL = \"https://example.com/hook\"\n[[queues.consumers]]\nqueue = \"feedback\"\n",
        );
        let consumer = "export const queue = async (batch: MessageBatch<{ id: string }>, env: Env) => {\n  for (const m of batch.messages) {\n    try {\n      await fetch(env.HOOK_URL, { method: \"post\", body: JSON.stringify(m.body) });\n    } catch {\n      m.retry();\n    }\n  }\n};\n";
        let main = "import { queue } from \"./queue\";\nexport default {\n  async fetch() { return new Response(\"ok\"); },\n  queue,\n};\n";
        let model = model_with(
            "",
            &[
                ("wrangler.toml", &config),
                ("src/queue.ts", consumer),
                ("src/index.ts", main),
            ],
        );
        let steps: Vec<String> = model.queues[0]
            .processing
            .iter()
            .map(|s| {
                format!(
                    "{} / {}",
                    words::step_action(&s.action),
                    s.on_failure
                        .as_ref()
                        .map(words::on_failure)
                        .unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(
            steps,
            ["HTTP POST `env.HOOK_URL` / Retry via retry() (max 3); no DLQ: then dropped"],
            "{:?}",
            model.queue_handlers
        );
    }
}
