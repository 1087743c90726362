//! Cloudflare resources as the report shows them: one entry per bucket
//! binding, KV binding, queue name and Durable Object class, merged across
//! Workers and environments, from what their configs declare.

use crate::model::{
    BindingKind, BindingRef, Bucket, ConsumerRef, DoStorage, DurableObject, KvNamespace, Model,
    Queue, Worker,
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
    model.buckets = buckets.into_values().collect();
    model.kv_namespaces = kvs.into_values().collect();
    model.queues = queues.into_values().collect();
    model.durable_objects = dos.into_values().collect();
    for q in &mut model.queues {
        q.producers.sort();
    }
}

fn new_do(class: &str, loc: &crate::model::Location) -> DurableObject {
    DurableObject {
        class_name: class.to_owned(),
        storage: DoStorage::Undeclared,
        bound_by: Vec::new(),
        script_name: None,
        purpose: None,
        state: Vec::new(),
        methods: Vec::new(),
        location: loc.clone(),
    }
}
