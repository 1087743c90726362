//! Cloudflare resources as the report shows them: one entry per bucket
//! binding, KV binding, queue name and Durable Object class, merged across
//! Workers and environments, from what their configs declare.

use crate::cloudflare::{self, Lang};
use crate::model::{
    BindingKind, BindingRef, Bucket, ConsumerRef, DoStorage, DurableObject, EntryPoint, Frequency,
    Handler, Key, KeyPattern, KvNamespace, Lifecycle, Model, OpKind, Queue, ResourceAccess,
    ResourceOp, Worker,
};
use std::collections::BTreeMap;

fn binding_ref(w: &Worker, binding: &str) -> BindingRef {
    BindingRef {
        worker: w.name.clone(),
        environment: w.environment.clone(),
        binding: binding.to_owned(),
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Fills buckets, KV namespaces, queues and Durable Objects from the
/// Workers' bindings.
pub fn collect(model: &mut Model) {
    let mut buckets: BTreeMap<String, Bucket> = BTreeMap::new();
    let mut kvs: BTreeMap<String, KvNamespace> = BTreeMap::new();
    let mut queues: BTreeMap<String, Queue> = BTreeMap::new();
    let mut dos: BTreeMap<String, DurableObject> = BTreeMap::new();
    let new_queue = |name: &str, loc: &crate::model::Location| Queue {
        name: name.to_owned(),
        producers: Vec::new(),
        consumers: Vec::new(),
        is_dead_letter_queue: false,
        message_schema: Vec::new(),
        processing: Vec::new(),
        location: loc.clone(),
    };
    for w in &model.workers {
        for b in &w.bindings {
            match b.kind {
                BindingKind::R2 => {
                    let e = buckets.entry(b.name.clone()).or_insert_with(|| Bucket {
                        binding: b.name.clone(),
                        bucket_names: Vec::new(),
                        bound_by: Vec::new(),
                        path_patterns: Vec::new(),
                        access: Vec::new(),
                        location: b.location.clone(),
                    });
                    if let Some(t) = &b.target {
                        push_unique(&mut e.bucket_names, t.clone());
                    }
                    push_unique(&mut e.bound_by, binding_ref(w, &b.name));
                }
                BindingKind::Kv => {
                    let e = kvs.entry(b.name.clone()).or_insert_with(|| KvNamespace {
                        binding: b.name.clone(),
                        ids: Vec::new(),
                        bound_by: Vec::new(),
                        key_patterns: Vec::new(),
                        location: b.location.clone(),
                    });
                    if let Some(t) = &b.target {
                        push_unique(&mut e.ids, t.clone());
                    }
                    push_unique(&mut e.bound_by, binding_ref(w, &b.name));
                }
                BindingKind::QueueProducer => {
                    let Some(q) = &b.target else { continue };
                    let e = queues
                        .entry(q.clone())
                        .or_insert_with(|| new_queue(q, &b.location));
                    push_unique(&mut e.producers, binding_ref(w, &b.name));
                }
                BindingKind::DurableObject => {
                    let Some(class) = &b.target else { continue };
                    let e = dos
                        .entry(class.clone())
                        .or_insert_with(|| new_do(class, &b.location));
                    push_unique(&mut e.bound_by, binding_ref(w, &b.name));
                    if let Some(s) = b.settings.get("script_name") {
                        e.script_name = Some(s.clone());
                    }
                }
                _ => {}
            }
        }
        for c in &w.consumers {
            let e = queues
                .entry(c.queue.clone())
                .or_insert_with(|| new_queue(&c.queue, &c.location));
            push_unique(
                &mut e.consumers,
                ConsumerRef {
                    worker: w.name.clone(),
                    environment: w.environment.clone(),
                    settings: c.clone(),
                },
            );
            if let Some(dlq) = &c.dead_letter_queue {
                queues
                    .entry(dlq.clone())
                    .or_insert_with(|| new_queue(dlq, &c.location))
                    .is_dead_letter_queue = true;
            }
        }
    }
    // Storage comes from migrations and exports of any Worker: a binding
    // with `script_name` points at a class another Worker declares.
    for w in &model.workers {
        for m in &w.do_migrations {
            for (classes, storage) in [
                (&m.new_sqlite_classes, DoStorage::Sqlite),
                (&m.new_classes, DoStorage::Kv),
            ] {
                for c in classes {
                    dos.entry(c.clone())
                        .or_insert_with(|| new_do(c, &m.location))
                        .storage = storage;
                }
            }
            for (from, to) in &m.renamed_classes {
                let storage = dos.get(from).map_or(DoStorage::Undeclared, |d| d.storage);
                if dos.get(from).is_some_and(|d| d.bound_by.is_empty()) {
                    dos.remove(from);
                }
                let e = dos
                    .entry(to.clone())
                    .or_insert_with(|| new_do(to, &m.location));
                if e.storage == DoStorage::Undeclared {
                    e.storage = storage;
                }
            }
            for c in &m.deleted_classes {
                if dos.get(c).is_some_and(|d| d.bound_by.is_empty()) {
                    dos.remove(c);
                }
            }
        }
        for x in &w.do_exports {
            if x.state != "created" {
                continue;
            }
            let e = dos
                .entry(x.class_name.clone())
                .or_insert_with(|| new_do(&x.class_name, &x.location));
            e.storage = match x.storage.as_deref() {
                Some("sqlite") => DoStorage::Sqlite,
                Some(_) => DoStorage::Kv,
                None => e.storage,
            };
        }
    }
    from_code(model, &mut buckets, &mut kvs, &mut queues);
    for c in &model.code_durable_objects {
        let e = dos
            .entry(c.class_name.clone())
            .or_insert_with(|| new_do(&c.class_name, &c.location));
        e.purpose.clone_from(&c.purpose);
        e.state.clone_from(&c.state);
        e.mutated.clone_from(&c.mutated);
        e.methods.clone_from(&c.methods);
    }
    // How each class's callers pick an instance.
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.kind == BindingKind::DurableObject)
    {
        let class = super::binding_target(model, BindingKind::DurableObject, &op.binding);
        if let (Some(i), Some(d)) = (&op.instance, dos.get_mut(&class))
            && !d.instances.contains(i)
        {
            d.instances.push(i.clone());
        }
    }
    for d in dos.values_mut() {
        d.instances.sort();
    }
    model.buckets = buckets.into_values().collect();
    model.kv_namespaces = kvs.into_values().collect();
    model.queues = queues.into_values().collect();
    model.durable_objects = dos.into_values().collect();
    for q in &mut model.queues {
        q.producers.sort();
    }
}

/// Whether a key's literal prefix marks it as temporary (`tmp/…`).
pub(crate) fn looks_temporary(key: &Key) -> bool {
    let prefix = key.literal_prefix();
    TEMPORARY.iter().any(|t| prefix.starts_with(t))
}

/// Prefixes that mark an object or key as temporary.
const TEMPORARY: &[&str] = &[
    "pending/",
    "tmp/",
    "temp/",
    "temporary/",
    "staging/",
    "incoming/",
    "uploads/tmp",
];

/// How often an entry point runs.
pub(crate) fn frequency_of(entry: &EntryPoint) -> Frequency {
    match entry.handler() {
        _ if entry.is_request() => Frequency::High,
        Some(Handler::Queue) => Frequency::PerMessage,
        Some(Handler::Scheduled) => Frequency::PerCronRun,
        Some(Handler::Alarm) => Frequency::PerAlarm,
        Some(Handler::Workflow) => Frequency::PerWorkflowRun,
        Some(Handler::WebSocketMessage) => Frequency::PerWebSocketMessage,
        _ => Frequency::Unknown,
    }
}

/// Actor and frequency of an operation: the function it is in and the
/// entry points that reach it.
fn actor_and_frequency(op: &ResourceOp) -> (String, Vec<EntryPoint>, Vec<Frequency>) {
    let actor = op.actor.clone().unwrap_or_else(|| "-".into());
    let mut freqs: Vec<Frequency> = if op.entries.is_empty() {
        vec![frequency_of(&cloudflare::entry_point(
            Lang::TypeScript,
            &actor,
        ))]
    } else {
        op.entries.iter().map(frequency_of).collect()
    };
    freqs.dedup();
    let reached = if op.entries.len() == 1 && op.entries[0].name() == actor {
        Vec::new()
    } else {
        op.entries.clone()
    };
    (op.actor_label(), reached, freqs)
}

/// Adds what code does with R2, KV and queue bindings.
fn from_code(
    model: &Model,
    buckets: &mut BTreeMap<String, Bucket>,
    kvs: &mut BTreeMap<String, KvNamespace>,
    queues: &mut BTreeMap<String, Queue>,
) {
    let mut ops: Vec<&ResourceOp> = model.resource_ops.iter().collect();
    ops.sort_by(|a, b| a.location.cmp(&b.location));
    for op in &ops {
        match op.kind {
            BindingKind::R2 => {
                let b = buckets.entry(op.binding.clone()).or_insert_with(|| Bucket {
                    binding: op.binding.clone(),
                    bucket_names: Vec::new(),
                    bound_by: Vec::new(),
                    path_patterns: Vec::new(),
                    access: Vec::new(),
                    location: op.location.clone(),
                });
                let (actor, entries, frequency) = actor_and_frequency(op);
                match b
                    .access
                    .iter_mut()
                    .find(|a| a.operation == op.op && a.actor == actor && a.entries == entries)
                {
                    Some(a) => a.sources.push(op.location.clone()),
                    None => b.access.push(ResourceAccess {
                        operation: op.op,
                        frequency,
                        actor,
                        entries,
                        sources: vec![op.location.clone()],
                    }),
                }
                if let Some(key) = &op.key
                    && op.op != OpKind::List
                {
                    merge_pattern(&mut b.path_patterns, key, op);
                }
            }
            BindingKind::Kv => {
                let n = kvs
                    .entry(op.binding.clone())
                    .or_insert_with(|| KvNamespace {
                        binding: op.binding.clone(),
                        ids: Vec::new(),
                        bound_by: Vec::new(),
                        key_patterns: Vec::new(),
                        location: op.location.clone(),
                    });
                if let Some(key) = &op.key
                    && op.op != OpKind::List
                {
                    merge_pattern(&mut n.key_patterns, key, op);
                }
            }
            BindingKind::QueueProducer => {
                for name in super::queue_names(model, op) {
                    let q = queues.entry(name.clone()).or_insert_with(|| Queue {
                        name,
                        producers: Vec::new(),
                        consumers: Vec::new(),
                        is_dead_letter_queue: false,
                        message_schema: Vec::new(),
                        processing: Vec::new(),
                        location: op.location.clone(),
                    });
                    for (field, ty) in &op.message {
                        if !q.message_schema.iter().any(|(f, _)| f == field) {
                            q.message_schema.push((field.clone(), ty.clone()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // Declared message types win over fields read from `send({…})`.
    for q in queues.values_mut() {
        // A queue no config binds goes by the binding's name.
        let by_binding = model.message_types.iter().find(|t| {
            t.binding.as_ref().is_some_and(|b| {
                q.producers.iter().any(|p| &p.binding == b)
                    || (q.producers.is_empty() && *b == q.name)
            })
        });
        let by_consumer = || {
            model.message_types.iter().find(|t| {
                let Some(file) = &t.consumer_file else {
                    return false;
                };
                q.consumers.iter().any(|c| {
                    model
                        .workers
                        .iter()
                        .any(|w| w.name == c.worker && crate::model::in_folder(w.folder(), file))
                })
            })
        };
        if let Some(t) = by_binding.or_else(by_consumer) {
            // The declared type first; fields only the sent literals have
            // (`bundleKey` beside a narrower consumer type) after it.
            let mut fields = t.fields.clone();
            for (f, ty) in &q.message_schema {
                if !fields.iter().any(|(x, _)| x == f) {
                    fields.push((f.clone(), ty.clone()));
                }
            }
            q.message_schema = fields;
        }
    }
    // A dead letter queue nobody sends to holds the messages of the
    // queues it serves: their schema, when they agree on one.
    let mut served: BTreeMap<String, Vec<Vec<(String, String)>>> = BTreeMap::new();
    for q in queues.values() {
        for c in &q.consumers {
            if let Some(dlq) = &c.settings.dead_letter_queue
                && !q.message_schema.is_empty()
            {
                let list = served.entry(dlq.clone()).or_default();
                if !list.contains(&q.message_schema) {
                    list.push(q.message_schema.clone());
                }
            }
        }
    }
    for q in queues.values_mut() {
        if let Some([schema]) = served.get(&q.name).map(Vec::as_slice)
            && q.message_schema.is_empty()
        {
            q.message_schema.clone_from(schema);
        }
    }
    // Lifecycle and TTL once every operation on a pattern is known; a key
    // of run-time values only (opaque, or `{key}` from a route parameter)
    // may be any family, so it has no lifecycle.
    for b in buckets.values_mut() {
        for p in b
            .path_patterns
            .iter_mut()
            .filter(|p| p.pattern.has_literal())
        {
            let deleters: Vec<String> = ops
                .iter()
                .filter(|o| {
                    o.kind == BindingKind::R2 && o.binding == b.binding && o.op == OpKind::Delete
                })
                .filter(|o| o.key.as_ref().map(Key::shape) == Some(p.pattern.shape()))
                .filter(|o| o.actor.is_some())
                .map(|o| o.actor_label())
                .collect();
            let written = ops.iter().any(|o| {
                o.kind == BindingKind::R2
                    && o.binding == b.binding
                    && matches!(o.op, OpKind::Write | OpKind::MultipartWrite)
                    && o.key.as_ref().map(Key::shape) == Some(p.pattern.shape())
            });
            p.lifecycle = Some(match deleters.first() {
                None if !written => Lifecycle::ReadOnly,
                Some(d) => Lifecycle::DeletedBy { actor: d.clone() },
                None if looks_temporary(&p.pattern) => Lifecycle::TemporaryNeverDeleted,
                None => Lifecycle::Permanent,
            });
        }
    }
    for n in kvs.values_mut() {
        for p in &mut n.key_patterns {
            let writes: Vec<&&ResourceOp> = ops
                .iter()
                .filter(|o| {
                    o.kind == BindingKind::Kv && o.binding == n.binding && o.op == OpKind::Write
                })
                .filter(|o| o.key.as_ref().map(Key::shape) == Some(p.pattern.shape()))
                .collect();
            p.ttl = writes.iter().filter_map(|o| o.ttl.clone()).collect();
            p.ttl.sort();
            p.ttl.dedup();
            p.cache_ttl = ops
                .iter()
                .filter(|o| o.kind == BindingKind::Kv && o.binding == n.binding)
                .filter(|o| o.key.as_ref().map(Key::shape) == Some(p.pattern.shape()))
                .filter_map(|o| o.cache_ttl.clone())
                .collect();
            p.cache_ttl.sort();
            p.cache_ttl.dedup();
            let reads_type = ops
                .iter()
                .filter(|o| o.kind == BindingKind::Kv && o.binding == n.binding)
                .filter(|o| o.key.as_ref().map(Key::shape) == Some(p.pattern.shape()))
                .find_map(|o| o.value_type);
            p.value_type = writes.iter().find_map(|o| o.value_type).or(reads_type);
        }
    }
}

/// Adds `op`'s key to `patterns`, or its source to the existing pattern of
/// the same shape (keeping the more descriptive placeholder names).
fn merge_pattern(patterns: &mut Vec<KeyPattern>, key: &Key, op: &ResourceOp) {
    let key_shape = key.shape();
    // An opaque key is one row of its own, and what the code around it
    // says describes the code, not a family.
    let purpose = op.purpose.as_ref().filter(|_| !key.is_opaque());
    match patterns
        .iter_mut()
        .find(|p| p.pattern.shape() == key_shape && p.pattern.is_opaque() == key.is_opaque())
    {
        Some(p) => {
            if key.notation().len() > p.pattern.notation().len() {
                p.pattern = key.clone();
            }
            p.sources.push(op.location.clone());
            if p.purpose.is_empty()
                && let Some(pp) = purpose
            {
                p.purpose = pp.clone();
            }
        }
        None => patterns.push(KeyPattern {
            pattern: key.clone(),
            purpose: purpose.cloned().unwrap_or_default(),
            lifecycle: None,
            value_type: None,
            ttl: Vec::new(),
            cache_ttl: Vec::new(),
            sources: vec![op.location.clone()],
        }),
    }
    patterns.sort_by_cached_key(|p| p.pattern.notation());
}

fn new_do(class: &str, loc: &crate::model::Location) -> DurableObject {
    DurableObject {
        class_name: class.to_owned(),
        storage: DoStorage::Undeclared,
        bound_by: Vec::new(),
        script_name: None,
        purpose: None,
        state: Vec::new(),
        mutated: Vec::new(),
        methods: Vec::new(),
        instances: Vec::new(),
        location: loc.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::rules::testing::{fetch, model_with, wrangler};
    use crate::model::Lifecycle;

    /// A whole key held in a parameter or a loop variable is opaque: one
    /// row of its own, with no lifecycle and no purpose borrowed from the
    /// function around it; a key with literal parts is a family as usual.
    #[test]
    fn an_opaque_key_names_no_family() {
        let config = wrangler("[[r2_buckets]]\nbinding = \"MEDIA\"\nbucket_name = \"media\"\n");
        let code = format!(
            "/** Saves anything. */\nexport async function save(env: Env, key: string, body: string) {{\n  await env.MEDIA.put(key, body);\n}}\n{}",
            fetch(
                "    for (const name of new URL(request.url).searchParams.getAll(\"k\")) {\n      await env.MEDIA.delete(name);\n    }\n    await env.MEDIA.put(`avatars/${t}`, \"z\");"
            )
        );
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", &code)]);
        let rows: Vec<(String, bool, Option<Lifecycle>, String)> = model.buckets[0]
            .path_patterns
            .iter()
            .map(|p| {
                (
                    p.pattern.notation(),
                    p.pattern.is_opaque(),
                    p.lifecycle.clone(),
                    p.purpose.clone(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "avatars/{t}".to_owned(),
                    false,
                    Some(Lifecycle::Permanent),
                    String::new()
                ),
                ("{name}".to_owned(), true, None, String::new()),
            ],
            "{rows:?}"
        );
    }

    /// A `let` assigned in branches is each key it is assigned; a key of
    /// run-time values only (a request's path) gets no lifecycle.
    #[test]
    fn a_branch_assigned_key_is_each_family_and_a_runtime_key_none() {
        let config = wrangler("[[r2_buckets]]\nbinding = \"MEDIA\"\nbucket_name = \"media\"\n");
        let code = fetch(
            "    const wide = request.headers.has(\"w\");\n    let key;\n    if (wide) {\n      key = `wide/${t}.png`;\n    } else {\n      key = `thumbs/${t}.png`;\n    }\n    await env.MEDIA.put(key, \"z\");\n    const wanted = new URL(request.url).pathname.slice(1);\n    await env.MEDIA.get(wanted);",
        );
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", &code)]);
        let rows: Vec<(String, Option<Lifecycle>)> = model.buckets[0]
            .path_patterns
            .iter()
            .map(|p| (p.pattern.notation(), p.lifecycle.clone()))
            .collect();
        assert_eq!(
            rows,
            [
                ("thumbs/{t}.png".to_owned(), Some(Lifecycle::Permanent)),
                ("wide/{t}.png".to_owned(), Some(Lifecycle::Permanent)),
                ("{wanted}".to_owned(), None),
            ],
            "{rows:?}"
        );
    }
}
