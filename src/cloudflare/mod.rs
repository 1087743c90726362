//! Cloudflare's runtime API, written once for every front end: which
//! method of which binding kind reads, writes, lists or deletes, and which
//! handlers are entry points — with their spellings in TypeScript
//! (`getWithMetadata`, `webSocketMessage`) and in Rust's workers-rs
//! (`send_batch`, `websocket_message`). Front ends turn syntax into a
//! method or handler name and ask here what it means; nothing else in dmqa
//! knows these names.

pub use crate::model::Handler;
use crate::model::{BindingKind, EntryPoint, OpKind};

/// The language a name is spelled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// TypeScript / JavaScript (camelCase).
    TypeScript,
    /// Rust, workers-rs (snake_case).
    Rust,
}

impl Lang {
    /// Of a TypeScript and a Rust spelling, the one in this language.
    fn pick<T>(self, typescript: T, rust: T) -> T {
        match self {
            Lang::TypeScript => typescript,
            Lang::Rust => rust,
        }
    }
}

/// A method of one binding kind: what a call does, and its name in each
/// language (`None` where that language's API has no such method).
struct Method {
    kind: BindingKind,
    op: OpKind,
    typescript: Option<&'static str>,
    rust: Option<&'static str>,
}

const fn m(
    kind: BindingKind,
    op: OpKind,
    typescript: Option<&'static str>,
    rust: Option<&'static str>,
) -> Method {
    Method {
        kind,
        op,
        typescript,
        rust,
    }
}

use BindingKind::{Ai, AnalyticsEngine, D1, DurableObject, Kv, QueueProducer, R2, Workflow};
use OpKind::{
    Call, Delete, Head, List, MultipartWrite, Query, Read, Send, SendBatch, Start, Write,
};

/// The methods whose calls dmqa records, by binding kind.
const METHODS: &[Method] = &[
    m(R2, Read, Some("get"), Some("get")),
    m(R2, Head, Some("head"), Some("head")),
    m(R2, Write, Some("put"), Some("put")),
    m(
        R2,
        MultipartWrite,
        Some("createMultipartUpload"),
        Some("create_multipart_upload"),
    ),
    m(
        R2,
        MultipartWrite,
        Some("resumeMultipartUpload"),
        Some("resume_multipart_upload"),
    ),
    m(R2, Delete, Some("delete"), Some("delete")),
    m(R2, Delete, None, Some("delete_multiple")),
    m(R2, List, Some("list"), Some("list")),
    m(Kv, Read, Some("get"), Some("get")),
    m(Kv, Read, Some("getWithMetadata"), None),
    m(Kv, Read, None, Some("get_bulk")),
    m(Kv, Write, Some("put"), Some("put")),
    m(Kv, Write, None, Some("put_bytes")),
    m(Kv, Delete, Some("delete"), Some("delete")),
    m(Kv, List, Some("list"), Some("list")),
    m(QueueProducer, Send, Some("send"), Some("send")),
    m(
        QueueProducer,
        SendBatch,
        Some("sendBatch"),
        Some("send_batch"),
    ),
    m(QueueProducer, Send, None, Some("send_raw")),
    m(QueueProducer, SendBatch, None, Some("send_raw_batch")),
    m(D1, Query, Some("prepare"), Some("prepare")),
    m(D1, Query, Some("exec"), Some("exec")),
    m(DurableObject, Call, None, Some("fetch_with_str")),
    m(Ai, Call, Some("run"), None),
    m(AnalyticsEngine, Write, Some("writeDataPoint"), None),
    m(DurableObject, Call, None, Some("fetch_with_request")),
    m(Workflow, Start, Some("create"), None),
    m(Workflow, Start, Some("createBatch"), None),
];

/// A framework function returning a binding it reads by a fixed name
/// (NuxtHub's `hubKV()` reads `KV`), and the methods of the wrapper it
/// returns that call the binding's own (`setItem` → `put`).
pub struct Accessor {
    /// The function (`hubKV`).
    pub function: &'static str,
    /// The binding's kind.
    pub kind: BindingKind,
    /// The binding name it reads.
    pub binding: &'static str,
    /// Wrapper method → the binding method it calls (TypeScript names).
    pub methods: &'static [(&'static str, &'static str)],
    /// The option of a write that holds the TTL in seconds, when the
    /// wrapper renames `expirationTtl` (unstorage's `ttl`).
    pub ttl_option: Option<&'static str>,
}

/// NuxtHub's server utilities (`@nuxthub/core`): `hubKV()` is an unstorage
/// instance over `KV`, `hubBlob()` wraps `BLOB`, `hubDatabase()` is `DB`,
/// `hubAnalytics().put()` writes a data point to `ANALYTICS`, `hubAI()` is
/// `AI`.
pub const ACCESSORS: &[Accessor] = &[
    Accessor {
        function: "hubKV",
        kind: Kv,
        binding: "KV",
        methods: &[
            ("get", "get"),
            ("getItem", "get"),
            ("has", "get"),
            ("hasItem", "get"),
            ("set", "put"),
            ("setItem", "put"),
            ("del", "delete"),
            ("remove", "delete"),
            ("removeItem", "delete"),
            ("keys", "list"),
            ("getKeys", "list"),
        ],
        ttl_option: Some("ttl"),
    },
    Accessor {
        function: "hubBlob",
        kind: R2,
        binding: "BLOB",
        methods: &[
            ("put", "put"),
            ("get", "get"),
            ("head", "head"),
            ("del", "delete"),
            ("delete", "delete"),
            ("list", "list"),
        ],
        ttl_option: None,
    },
    Accessor {
        function: "hubDatabase",
        kind: D1,
        binding: "DB",
        methods: &[("prepare", "prepare"), ("exec", "exec")],
        ttl_option: None,
    },
    Accessor {
        function: "hubAnalytics",
        kind: AnalyticsEngine,
        binding: "ANALYTICS",
        methods: &[("put", "writeDataPoint")],
        ttl_option: None,
    },
    Accessor {
        function: "hubAI",
        kind: Ai,
        binding: "AI",
        methods: &[("run", "run")],
        ttl_option: None,
    },
];

fn name(lang: Lang, method: &Method) -> Option<&'static str> {
    lang.pick(method.typescript, method.rust)
}

/// What calling `method` on a binding of `kind` does, spelled in `lang`.
pub fn op_kind(lang: Lang, kind: BindingKind, method: &str) -> Option<OpKind> {
    METHODS
        .iter()
        .find(|m| m.kind == kind && name(lang, m) == Some(method))
        .map(|m| m.op)
}

/// Whether `method` is a binding method of any kind in `lang`.
pub fn is_binding_method(lang: Lang, method: &str) -> bool {
    METHODS.iter().any(|m| name(lang, m) == Some(method))
}

/// Whether a call of `method` is taken, by its name alone, for a binding's
/// and never for a project function of that name. A Workflow's `create`
/// is not: too many project methods are called that (a call on the
/// binding itself is told by its receiver).
pub fn names_only_a_binding_method(lang: Lang, method: &str) -> bool {
    METHODS
        .iter()
        .any(|m| m.kind != Workflow && name(lang, m) == Some(method))
}

/// An option of a binding call that changes what dmqa reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    /// KV `put`: seconds until the key expires.
    ExpirationTtl,
    /// KV `put`: the absolute time the key expires.
    Expiration,
    /// KV `put`: metadata stored beside the value.
    Metadata,
    /// KV `get`: how long the edge caches the value.
    CacheTtl,
    /// KV `get`: how the value is read (`json`, `arrayBuffer`, …).
    Type,
    /// R2 / KV `list`: the key prefix listed.
    Prefix,
}

/// Each option's name: a key of the options object in TypeScript, a
/// builder method in workers-rs (`None` where it has no such name).
const OPTIONS: &[(Opt, &str, Option<&str>)] = &[
    (Opt::ExpirationTtl, "expirationTtl", Some("expiration_ttl")),
    (Opt::Expiration, "expiration", Some("expiration")),
    (Opt::Metadata, "metadata", Some("metadata")),
    (Opt::CacheTtl, "cacheTtl", Some("cache_ttl")),
    (Opt::Type, "type", None),
    (Opt::Prefix, "prefix", Some("prefix")),
];

impl Opt {
    /// Its name in `lang`, if that API has it.
    pub fn name(self, lang: Lang) -> Option<&'static str> {
        OPTIONS
            .iter()
            .find(|(o, _, _)| *o == self)
            .and_then(|(_, ts, rs)| lang.pick(Some(*ts), *rs))
    }

    /// The option `name` spells in `lang`.
    pub fn parse(lang: Lang, name: &str) -> Option<Opt> {
        OPTIONS
            .iter()
            .find(|(o, _, _)| o.name(lang) == Some(name))
            .map(|(o, _, _)| *o)
    }
}

/// Each handler with its name in TypeScript and in workers-rs (the
/// `#[event(…)]` name or the `DurableObject` trait method).
const HANDLERS: &[(Handler, &str, &str)] = &[
    (Handler::Fetch, "fetch", "fetch"),
    (Handler::Queue, "queue", "queue"),
    (Handler::Scheduled, "scheduled", "scheduled"),
    (Handler::Email, "email", "email"),
    (Handler::Tail, "tail", "tail"),
    (Handler::Alarm, "alarm", "alarm"),
    (
        Handler::WebSocketMessage,
        "webSocketMessage",
        "websocket_message",
    ),
    (Handler::WebSocketClose, "webSocketClose", "websocket_close"),
    (Handler::WebSocketError, "webSocketError", "websocket_error"),
    // The readers name a `WorkflowEntrypoint`'s `run` so: no function of
    // the project can be called that.
    (
        Handler::Workflow,
        "WorkflowEntrypoint.run",
        "WorkflowEntrypoint.run",
    ),
];

/// What each [`Handler`] is called in each language (an inherent impl of
/// the model's type: the spellings are this module's business).
impl Handler {
    /// The handler `name` spells in `lang`.
    pub fn parse(lang: Lang, name: &str) -> Option<Handler> {
        HANDLERS
            .iter()
            .find(|(_, ts, rs)| lang.pick(*ts, *rs) == name)
            .map(|(h, _, _)| *h)
    }

    /// Its name in `lang`.
    pub fn name(self, lang: Lang) -> &'static str {
        HANDLERS
            .iter()
            .find(|(h, _, _)| *h == self)
            .map(|(_, ts, rs)| lang.pick(*ts, *rs))
            .unwrap_or_default()
    }
}

/// Whether `name` is an entry point: a runtime handler spelled in `lang`,
/// or a route (`GET /v1/apps`).
pub fn is_entry(lang: Lang, name: &str) -> bool {
    !matches!(entry_point(lang, name), EntryPoint::Function { .. })
}

/// The `(method, path)` of a route label (`GET /v1/apps`), the name the
/// readers give a route handler in the call graph.
fn route(name: &str) -> Option<(&str, &str)> {
    name.split_once(' ').filter(|(verb, path)| {
        !verb.is_empty() && verb.chars().all(|c| c.is_ascii_uppercase()) && path.starts_with('/')
    })
}

/// The entry point a call-graph name (spelled in `lang`) stands for: a
/// route label, a runtime handler, or else a function.
pub fn entry_point(lang: Lang, name: &str) -> EntryPoint {
    if let Some((method, path)) = route(name) {
        return EntryPoint::Route {
            method: method.to_owned(),
            path: path.to_owned(),
        };
    }
    match Handler::parse(lang, name) {
        Some(handler) => EntryPoint::Handler { handler },
        None => EntryPoint::Function {
            name: name.to_owned(),
        },
    }
}

/// The call-graph spelling of each entry point (an inherent impl of the
/// model's type, as for [`Handler`]).
impl EntryPoint {
    /// `GET /v1/apps`, `webSocketMessage`, `handleUpload`: how entry
    /// points are listed, sorted and named in `dmqa.toml`.
    pub fn name(&self) -> String {
        match self {
            EntryPoint::Route { method, path } => format!("{method} {path}"),
            EntryPoint::Handler { handler } => handler.name(Lang::TypeScript).to_owned(),
            EntryPoint::Function { name } => name.clone(),
        }
    }
}

/// The entry points a walk up from a function reached.
#[derive(Debug, Default)]
pub struct Reached {
    /// Each entry point once, in the order found, with the function it
    /// calls on the way (`None` when the function itself is the entry).
    pub entries: Vec<(String, Option<String>)>,
    /// For each function passed, the one it was reached from (toward the
    /// starting function): what leads from an entry point back down.
    pub toward: std::collections::HashMap<String, String>,
}

/// Levels of callers a walk climbs.
const WALK_DEPTH: usize = 8;
/// Functions a walk visits at most.
const WALK_BREADTH: usize = 256;

/// The entry points (spelled in `lang`) reaching `actor`, breadth-first up
/// `callers_of` (bounded in depth and breadth): the one caller walk both
/// front ends use. Callers are matched by name, per Worker, by the front
/// end that builds `callers_of`.
pub fn walk_up(lang: Lang, actor: &str, callers_of: impl Fn(&str) -> Vec<String>) -> Reached {
    let mut reached = Reached::default();
    let mut seen: Vec<String> = vec![actor.to_owned()];
    let mut frontier: Vec<String> = vec![actor.to_owned()];
    let add = |entries: &mut Vec<(String, Option<String>)>, e: &str, below: Option<&str>| {
        if !entries.iter().any(|(x, _)| x == e) {
            entries.push((e.to_owned(), below.map(str::to_owned)));
        }
    };
    for _ in 0..WALK_DEPTH {
        let mut next = Vec::new();
        for f in &frontier {
            if is_entry(lang, f) {
                if f == actor {
                    add(&mut reached.entries, f, None);
                }
                continue;
            }
            for caller in &callers_of(f) {
                if is_entry(lang, caller) {
                    add(&mut reached.entries, caller, Some(f));
                }
                if !seen.contains(caller) && seen.len() < WALK_BREADTH {
                    seen.push(caller.clone());
                    reached.toward.insert(caller.clone(), f.clone());
                    next.push(caller.clone());
                }
            }
        }
        frontier = next;
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row by row, both spellings of each method mean the same operation.
    #[test]
    fn typescript_and_rust_spellings_agree() {
        for m in METHODS {
            for lang in [Lang::TypeScript, Lang::Rust] {
                if let Some(n) = name(lang, m) {
                    assert_eq!(op_kind(lang, m.kind, n), Some(m.op), "{lang:?} {n}");
                    assert!(is_binding_method(lang, n));
                    assert_eq!(
                        names_only_a_binding_method(lang, n),
                        m.kind != Workflow,
                        "{n}"
                    );
                }
            }
        }
        // The pairs users meet most, spelled both ways.
        for (kind, ts, rs, op) in [
            (R2, "head", "head", Head),
            (R2, "get", "get", Read),
            (QueueProducer, "sendBatch", "send_batch", SendBatch),
            (
                R2,
                "createMultipartUpload",
                "create_multipart_upload",
                MultipartWrite,
            ),
        ] {
            assert_eq!(op_kind(Lang::TypeScript, kind, ts), Some(op));
            assert_eq!(op_kind(Lang::Rust, kind, rs), Some(op));
        }
        assert_eq!(op_kind(Lang::TypeScript, Kv, "getWithMetadata"), Some(Read));
        assert_eq!(op_kind(Lang::TypeScript, Workflow, "create"), Some(Start));
        assert!(!names_only_a_binding_method(Lang::TypeScript, "create"));
        assert_eq!(op_kind(Lang::TypeScript, Kv, "head"), None);
        assert_eq!(op_kind(Lang::Rust, R2, "sendBatch"), None);
    }

    #[test]
    fn the_walk_climbs_callers_to_entry_points() {
        let callers: std::collections::HashMap<&str, Vec<String>> = [
            ("save", vec!["upload".to_owned(), "retry".to_owned()]),
            ("upload", vec!["POST /v1/uploads".to_owned()]),
            ("retry", vec!["queue".to_owned(), "retry".to_owned()]),
        ]
        .into_iter()
        .collect();
        let of = |f: &str| callers.get(f).cloned().unwrap_or_default();
        let r = walk_up(Lang::TypeScript, "save", of);
        assert_eq!(
            r.entries,
            [
                ("POST /v1/uploads".to_owned(), Some("upload".to_owned())),
                ("queue".to_owned(), Some("retry".to_owned())),
            ]
        );
        assert_eq!(r.toward.get("upload").map(String::as_str), Some("save"));
        // An entry point is its own entry.
        let r = walk_up(Lang::Rust, "alarm", of);
        assert_eq!(r.entries, [("alarm".to_owned(), None)]);
    }

    #[test]
    fn options_in_both_languages() {
        assert_eq!(
            Opt::parse(Lang::TypeScript, "expirationTtl"),
            Some(Opt::ExpirationTtl)
        );
        assert_eq!(
            Opt::parse(Lang::Rust, "expiration_ttl"),
            Some(Opt::ExpirationTtl)
        );
        assert_eq!(Opt::parse(Lang::Rust, "expiration"), Some(Opt::Expiration));
        assert_eq!(Opt::CacheTtl.name(Lang::TypeScript), Some("cacheTtl"));
        assert_eq!(Opt::Type.name(Lang::Rust), None);
        for (o, ts, rs) in OPTIONS {
            assert_eq!(Opt::parse(Lang::TypeScript, ts), Some(*o));
            if let Some(rs) = rs {
                assert_eq!(Opt::parse(Lang::Rust, rs), Some(*o));
            }
        }
    }

    #[test]
    fn handlers_in_both_languages() {
        for (h, ts, rs) in HANDLERS {
            assert_eq!(Handler::parse(Lang::TypeScript, ts), Some(*h));
            assert_eq!(Handler::parse(Lang::Rust, rs), Some(*h));
            assert_eq!(h.name(Lang::Rust), *rs);
        }
        assert!(is_entry(Lang::Rust, "alarm") && is_entry(Lang::Rust, "email"));
        assert!(is_entry(Lang::TypeScript, "tail"));
        assert!(is_entry(Lang::TypeScript, "GET /v1/apps"));
        assert!(!is_entry(Lang::TypeScript, "websocket_message"));
        assert!(!is_entry(Lang::Rust, "helper"));
        let handler = |handler| EntryPoint::Handler { handler };
        assert_eq!(
            entry_point(Lang::Rust, "websocket_message"),
            handler(Handler::WebSocketMessage)
        );
        assert_eq!(
            entry_point(Lang::Rust, "websocket_message").name(),
            "webSocketMessage"
        );
        let get = entry_point(Lang::Rust, "GET /x");
        assert_eq!(
            get,
            EntryPoint::Route {
                method: "GET".into(),
                path: "/x".into()
            }
        );
        assert_eq!(get.name(), "GET /x");
        assert!(get.is_request() && entry_point(Lang::TypeScript, "fetch").is_request());
        assert!(!entry_point(Lang::TypeScript, "queue").is_request());
        // A path check is a route only with an upper-case method and a path.
        for name in ["get /x", "GET x", "cron /cron/:id"] {
            assert!(matches!(
                entry_point(Lang::TypeScript, name),
                EntryPoint::Function { .. }
            ));
        }
    }
}
