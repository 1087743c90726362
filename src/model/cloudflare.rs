//! Cloudflare resources: Workers and their bindings, R2 buckets, KV
//! namespaces, queues, Durable Objects and data flows.

use super::Location;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The kind of a Worker binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub enum BindingKind {
    /// `d1_databases`.
    D1,
    /// `r2_buckets`.
    R2,
    /// `kv_namespaces`.
    Kv,
    /// `queues.producers`.
    QueueProducer,
    /// `durable_objects.bindings`.
    DurableObject,
    /// `hyperdrive`.
    Hyperdrive,
    /// `services`.
    Service,
    /// `vectorize`.
    Vectorize,
    /// `analytics_engine_datasets`.
    AnalyticsEngine,
    /// `ai`.
    Ai,
    /// `workflows`: target is the class.
    Workflow,
    /// `vars`.
    Var,
}

/// One binding of a Worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Binding {
    /// Its kind.
    pub kind: BindingKind,
    /// The name code uses (`env.NAME`).
    pub name: String,
    /// What it points at: database name, bucket name, KV id, queue name,
    /// DO class, Hyperdrive id, service name, index name, or a var's value.
    pub target: Option<String>,
    /// Extra settings by key (`database_id`, `migrations_dir`, `script_name`, …).
    pub settings: BTreeMap<String, String>,
    /// Where it is declared.
    pub location: Location,
}

/// One Worker, or one `[env.NAME]` of it: bindings are not inherited by an
/// environment, so each is a complete set.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Worker {
    /// `name` from the config (or the config's folder when absent).
    pub name: String,
    /// `None` for the top level, `Some(NAME)` for `[env.NAME]`.
    pub environment: Option<String>,
    /// `main`, resolved relative to the repo root.
    pub main: Option<String>,
    /// Every binding, in config order.
    pub bindings: Vec<Binding>,
    /// Queue consumers.
    pub consumers: Vec<QueueConsumer>,
    /// `triggers.crons`.
    pub crons: Vec<String>,
    /// Durable Object migrations, in order.
    pub do_migrations: Vec<DoMigration>,
    /// Durable Object classes declared with `exports`.
    pub do_exports: Vec<DoExport>,
    /// The config file (line of the section for environments).
    pub location: Location,
}

impl Worker {
    /// The Worker (top level, not an environment) whose config folder
    /// holds `path`: the deepest one.
    pub fn owning<'m>(workers: &'m [Worker], path: &str) -> Option<&'m Worker> {
        workers
            .iter()
            .filter(|w| w.environment.is_none())
            .filter(|w| super::in_folder(w.folder(), path))
            .max_by_key(|w| w.location.path.len())
    }

    /// Whether `main` is a framework's generated Worker in a hidden build
    /// folder (`.open-next/worker.js`, `.svelte-kit/cloudflare/_worker.js`,
    /// `.output/server/index.mjs`): code the checkout does not hold, which
    /// may read bindings by name (a cache override chosen in a config).
    pub fn main_is_generated(&self) -> bool {
        self.main.as_deref().is_some_and(|m| {
            m.split('/')
                .any(|seg| seg.len() > 1 && seg.starts_with('.') && seg != "..")
        })
    }

    /// The folder of its config file (`""` at the root).
    pub fn folder(&self) -> &str {
        self.location.path.rsplit_once('/').map_or("", |(d, _)| d)
    }

    /// This Worker and its environments: its config's `[env.NAME]`
    /// sections and the sibling configs of its folder
    /// (`wrangler.production.toml`).
    pub fn family<'m>(&self, workers: &'m [Worker]) -> impl Iterator<Item = &'m Worker> + use<'m> {
        let dir = self.folder().to_owned();
        workers.iter().filter(move |w| w.folder() == dir)
    }

    /// Whether its config binds `name` at the top level or in some
    /// `[env.NAME]` section.
    pub fn family_binds(&self, workers: &[Worker], name: &str) -> bool {
        self.family(workers)
            .any(|f| f.bindings.iter().any(|b| b.name == name))
    }

    /// The Durable Object classes its migrations and `exports` leave in
    /// place: created or transferred here, a renamed class by its new name,
    /// a deleted one gone.
    pub fn live_classes(&self) -> Vec<String> {
        let mut live: Vec<String> = Vec::new();
        for m in &self.do_migrations {
            live.extend(m.new_classes.iter().chain(&m.new_sqlite_classes).cloned());
            live.extend(m.transferred_classes.iter().cloned());
            for (from, to) in &m.renamed_classes {
                live.retain(|c| c != from);
                live.push(to.clone());
            }
            live.retain(|c| !m.deleted_classes.contains(c));
        }
        live.extend(
            self.do_exports
                .iter()
                .filter(|x| x.state != "deleted")
                .map(|x| x.class_name.clone()),
        );
        live
    }

    /// The queue consumers of this Worker and of its environments (a
    /// Worker may consume queues only under `[env.NAME]`).
    pub fn family_consumers<'m>(&self, workers: &'m [Worker]) -> Vec<&'m QueueConsumer> {
        let mut out: Vec<&QueueConsumer> = Vec::new();
        for w in self.family(workers) {
            for c in &w.consumers {
                if !out.iter().any(|o| o.queue == c.queue) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// A `queues.consumers` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QueueConsumer {
    /// The queue it consumes.
    pub queue: String,
    /// `max_batch_size`.
    pub max_batch_size: Option<u64>,
    /// `max_batch_timeout` in seconds.
    pub max_batch_timeout: Option<u64>,
    /// `max_retries`.
    pub max_retries: Option<u64>,
    /// `max_concurrency`.
    pub max_concurrency: Option<u64>,
    /// `retry_delay` in seconds.
    pub retry_delay: Option<u64>,
    /// `dead_letter_queue`.
    pub dead_letter_queue: Option<String>,
    /// Where it is declared.
    pub location: Location,
}

/// One `[[migrations]]` entry for Durable Objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DoMigration {
    /// `tag`.
    pub tag: String,
    /// `new_classes` (KV-backed storage).
    pub new_classes: Vec<String>,
    /// `new_sqlite_classes` (SQLite-backed storage).
    pub new_sqlite_classes: Vec<String>,
    /// `renamed_classes` as (from, to).
    pub renamed_classes: Vec<(String, String)>,
    /// `deleted_classes`.
    pub deleted_classes: Vec<String>,
    /// The `to` classes of `transferred_classes` (moved here from another
    /// Worker).
    pub transferred_classes: Vec<String>,
    /// Where it is declared.
    pub location: Location,
}

/// One entry of the declarative `exports` map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DoExport {
    /// Class name (the key).
    pub class_name: String,
    /// `storage`: `sqlite` or `legacy-kv`.
    pub storage: Option<String>,
    /// `state`: `created` (default), `deleted`, `renamed`, `transferred`, …
    pub state: String,
    /// Where it is declared.
    pub location: Location,
}

/// A reference from a resource to the Worker binding that reaches it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct BindingRef {
    /// Worker name.
    pub worker: String,
    /// Environment (`None` = top level).
    pub environment: Option<String>,
    /// Binding name.
    pub binding: String,
}

/// An R2 bucket, by binding name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Bucket {
    /// Binding name (`BUNDLES`).
    pub binding: String,
    /// Bucket names this binding points at across environments.
    pub bucket_names: Vec<String>,
    /// Workers that bind it.
    pub bound_by: Vec<BindingRef>,
    /// Object key patterns found in code.
    pub path_patterns: Vec<KeyPattern>,
    /// Operations found in code.
    pub access: Vec<ResourceAccess>,
    /// First declaration.
    pub location: Location,
}

/// A key (R2 object key or KV key) pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct KeyPattern {
    /// `{appId}/{releaseId}/bundle.js`, as parts.
    pub pattern: super::Key,
    /// What it holds.
    pub purpose: String,
    /// R2 only: how long its objects live.
    pub lifecycle: Option<Lifecycle>,
    /// KV only: what its values are.
    pub value_type: Option<ValueType>,
    /// KV only: how long each write keeps the key, sorted (empty when code
    /// only reads it).
    pub ttl: Vec<Expiry>,
    /// KV only: the `cacheTtl`s its reads pass, sorted.
    pub cache_ttl: Vec<Expiry>,
    /// Where it is written or read.
    pub sources: Vec<Location>,
}

/// How long a KV key lives once written, or how long a read caches it.
/// Sorted by duration: fixed TTLs first, shortest first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expiry {
    /// `expirationTtl` / `cacheTtl` / `expiration_ttl(…)`: seconds.
    Ttl {
        /// Seconds.
        secs: u64,
    },
    /// `expiration`: an absolute time.
    Absolute,
    /// Written with neither: the key never expires.
    Never,
    /// Set by an expression dmqa cannot fold.
    Unknown {
        /// The expression as written.
        expr: String,
    },
    /// Set only on some paths (`if (remember) opts.expirationTtl = …`);
    /// the key never expires on the others.
    WhenSet {
        /// What it is when set.
        ttl: Box<Expiry>,
    },
}

/// What a KV value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// `JSON.stringify(…)`, `get(k, "json")`.
    Json,
    /// `String(n + 1)`: a number read, incremented and written back.
    Counter,
    /// A number.
    Number,
    /// Text.
    String,
    /// Buffers, streams, blobs.
    Binary,
}

/// The type of a KV value, and whether it is written with metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct ValueType {
    /// What it holds, when the code says.
    pub kind: Option<ValueKind>,
    /// Written with `{ metadata }`.
    pub metadata: bool,
}

/// How long the objects of an R2 key pattern live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// Only read here: whoever writes it is elsewhere.
    ReadOnly,
    /// Deleted by this function.
    DeletedBy {
        /// The function.
        actor: String,
    },
    /// Under a temporary prefix and never deleted.
    TemporaryNeverDeleted,
    /// Written and never deleted.
    Permanent,
}

/// An operation on a resource by an actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ResourceAccess {
    /// What it does.
    pub operation: OpKind,
    /// The function that does it (`-` when none).
    pub actor: String,
    /// The entry points reaching that function, when they are not the
    /// function itself.
    pub entries: Vec<super::EntryPoint>,
    /// How often the entry points reaching it run.
    pub frequency: Vec<super::Frequency>,
    /// Where.
    pub sources: Vec<Location>,
}

/// A KV namespace, by binding name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KvNamespace {
    /// Binding name.
    pub binding: String,
    /// Namespace ids across environments.
    pub ids: Vec<String>,
    /// Workers that bind it.
    pub bound_by: Vec<BindingRef>,
    /// Key patterns found in code.
    pub key_patterns: Vec<KeyPattern>,
    /// First declaration.
    pub location: Location,
}

/// A queue, by queue name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Queue {
    /// Queue name (`upload-queue-p0`).
    pub name: String,
    /// Producer bindings.
    pub producers: Vec<BindingRef>,
    /// Consumers (one per Worker/environment that consumes it).
    pub consumers: Vec<ConsumerRef>,
    /// True when another queue names this one as its dead letter queue.
    pub is_dead_letter_queue: bool,
    /// Message schema: field → type, once code is read.
    pub message_schema: Vec<(String, String)>,
    /// Consumer processing steps, once code is read.
    pub processing: Vec<ProcessingStep>,
    /// First declaration.
    pub location: Location,
}

/// A consumer of a queue with the Worker that runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ConsumerRef {
    /// Worker name.
    pub worker: String,
    /// Environment.
    pub environment: Option<String>,
    /// The consumer settings.
    pub settings: QueueConsumer,
}

/// One step of a queue consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ProcessingStep {
    /// What it does.
    pub action: StepAction,
    /// What happens to the message when it fails (`None` for a step that
    /// settles the message itself).
    pub on_failure: Option<OnFailure>,
    /// Where.
    pub location: Location,
}

/// What a queue consumer's step does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// A Durable Object stub call.
    CallDurableObject {
        /// The class.
        class: String,
        /// The method (`fetch` for a plain stub fetch).
        method: String,
    },
    /// D1 DDL run from code (`CREATE TABLE IF NOT EXISTS cache`).
    RunDdl {
        /// The statement's head, up to its first parenthesis.
        head: String,
    },
    /// SQL dmqa could not shape, on the tables it names (if any).
    Query {
        /// The tables its text names (empty when none could be read).
        tables: Vec<String>,
    },
    /// Queries, each on one table.
    Queries {
        /// Each query's engine, table and operation.
        queries: Vec<TableQuery>,
    },
    /// A send to queues.
    Send {
        /// Queue names.
        queues: Vec<String>,
    },
    /// An HTTP request to another service (`fetch(env.WEBHOOK_URL, …)`).
    Request {
        /// `POST`, `GET`, ….
        method: String,
        /// The URL or what holds it.
        target: String,
    },
    /// The consumer settles messages itself: `ack()`, `retry()`.
    Settle {
        /// How.
        kind: SettleKind,
        /// `retry({ delaySeconds })`, when a number.
        delay_secs: Option<u64>,
    },
    /// An R2 or KV operation.
    Use {
        /// The binding's kind.
        kind: BindingKind,
        /// What it does.
        op: OpKind,
        /// The binding.
        binding: String,
        /// The key pattern (a `list` prefix).
        key: Option<super::Key>,
    },
}

/// One query of a consumer step, on one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TableQuery {
    /// The engine it runs on.
    pub engine: super::Engine,
    /// The table.
    pub table: String,
    /// What it does there.
    pub operation: super::Operation,
}

/// What happens to a message whose processing fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// The handler acks it in a `catch`: it is not retried.
    Reject,
    /// Retried up to `max_retries` times (0: never), then sent to the dead
    /// letter queue or dropped.
    Retry {
        /// Through an explicit `retry()` in the handler.
        explicit: bool,
        /// `max_retries` (Cloudflare's default is 3).
        max_retries: u64,
        /// The dead letter queue, if any.
        dead_letter_queue: Option<String>,
    },
}

/// A consumer settling messages itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Settle {
    /// How.
    pub kind: SettleKind,
    /// `retry({ delaySeconds: 10 })` / `retry_with_options(…)`, when a
    /// number.
    pub delay_secs: Option<u64>,
    /// The queues it runs for, when the handler branches on the batch's
    /// queue (empty: every queue the handler consumes).
    pub queues: Vec<String>,
    /// Queues an earlier branch returned for (`if (batch.queue === "dlq")
    /// { …; continue }`).
    pub except_queues: Vec<String>,
    /// Where.
    pub location: Location,
}

impl Settle {
    /// Whether it runs for messages of `queue`.
    pub fn runs_for_queue(&self, queue: &str) -> bool {
        (self.queues.is_empty() || self.queues.iter().any(|q| q == queue))
            && !self.except_queues.iter().any(|q| q == queue)
    }
}

/// How a consumer settles a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettleKind {
    /// `message.ack()`: done, never redelivered.
    Ack,
    /// `batch.ackAll()` / `ack_all()`.
    AckAll,
    /// `message.retry()`: redelivered, counting against `max_retries`.
    Retry,
    /// `batch.retryAll()` / `retry_all()`.
    RetryAll,
}

impl SettleKind {
    /// The kind a method call settles with, in either language.
    pub fn parse(method: &str) -> Option<SettleKind> {
        Some(match method {
            "ack" => SettleKind::Ack,
            "ackAll" | "ack_all" => SettleKind::AckAll,
            "retry" | "retry_with_options" => SettleKind::Retry,
            "retryAll" | "retry_all" | "retry_all_with_options" => SettleKind::RetryAll,
            _ => return None,
        })
    }
}

/// How a Durable Object class stores its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum DoStorage {
    /// `new_sqlite_classes` or `exports` with `storage: "sqlite"`.
    Sqlite,
    /// `new_classes` or `storage: "legacy-kv"`.
    Kv,
    /// No migration or export names the class.
    Undeclared,
}

/// One piece of a Durable Object's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateItem {
    /// An in-memory field of the class.
    Field {
        /// Field name.
        name: String,
        /// Its type, as declared or inferred (`unknown` when neither).
        ty: String,
    },
    /// A key of `ctx.storage` (`put` / `get`).
    StorageKey {
        /// The key pattern.
        key: super::Key,
        /// The type of the value stored (`unknown` when not known).
        ty: String,
    },
    /// A table of the object's own SQLite storage.
    SqlTable {
        /// Table name.
        table: String,
        /// Columns and their declared SQL types (empty when none).
        columns: Vec<(String, String)>,
    },
}

impl StateItem {
    /// Whether it survives eviction: a storage key or a SQL table.
    pub fn persisted(&self) -> bool {
        !matches!(self, StateItem::Field { .. })
    }
}

/// A Durable Object class.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DurableObject {
    /// Class name.
    pub class_name: String,
    /// Storage backend from migrations / exports.
    pub storage: DoStorage,
    /// Bindings that reach it.
    pub bound_by: Vec<BindingRef>,
    /// `script_name` when the class lives in another Worker.
    pub script_name: Option<String>,
    /// Purpose from the class's doc comment, once code is read.
    pub purpose: Option<String>,
    /// State: in-memory fields, storage keys, SQL tables.
    pub state: Vec<StateItem>,
    /// In-memory fields a method other than the constructor changes.
    pub mutated: Vec<String>,
    /// Methods.
    pub methods: Vec<DoMethod>,
    /// How callers pick instances (`idFromName(roomId)`, a constant name,
    /// `newUniqueId()`), each scheme once, sorted.
    pub instances: Vec<Instance>,
    /// First declaration.
    pub location: Location,
}

/// A Durable Object method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DoMethod {
    /// Method name, as the code spells it.
    pub name: String,
    /// Its doc comment.
    pub doc: Option<String>,
    /// The runtime handler it is, if any (`fetch`, `alarm`, …).
    pub handler: Option<super::Handler>,
    /// What calls it.
    pub called_by: Vec<super::Caller>,
    /// Where.
    pub location: Location,
}

/// One data flow: an entry point and the resources it touches, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Flow {
    /// The Worker it runs in, when the checkout has several.
    pub worker: Option<String>,
    /// What starts it.
    pub entry: FlowEntry,
    /// The resources it touches, consecutive touches of one resource
    /// merged.
    pub steps: Vec<FlowStep>,
    /// Where the entry point is.
    pub location: Location,
}

/// What starts a data flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowEntry {
    /// A route (`POST /v1/uploads`), `fetch`, or another entry point.
    Entry {
        /// The entry point.
        entry: super::EntryPoint,
    },
    /// A queue consumer, for these queues (empty when none is known).
    Queues {
        /// Queue names.
        queues: Vec<String>,
    },
    /// A `scheduled` handler, on these cron schedules.
    Cron {
        /// Cron expressions.
        schedules: Vec<String>,
    },
    /// A Workflow's `run`, by the bindings that start it (empty when
    /// none is known).
    Workflow {
        /// Workflow binding names.
        bindings: Vec<String>,
    },
}

/// One resource a data flow touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowStep {
    /// A Workflow started.
    Workflow {
        /// Binding.
        binding: String,
    },
    /// An R2 bucket, with the static key prefixes written or read.
    R2 {
        /// Binding.
        binding: String,
        /// Key prefixes (`pending/`).
        prefixes: Vec<String>,
    },
    /// A KV namespace.
    Kv {
        /// Binding.
        binding: String,
    },
    /// Queues sent to.
    Queue {
        /// The producer binding(s) sent through.
        bindings: Vec<String>,
        /// Queue names (one per environment when the binding's queue
        /// differs by environment).
        queues: Vec<String>,
    },
    /// A database, with the tables queried.
    Database {
        /// Its engine.
        engine: super::Engine,
        /// Tables, each once.
        tables: Vec<String>,
    },
    /// A Durable Object class called through a stub.
    DurableObject {
        /// The class.
        class: String,
    },
    /// Another binding.
    Binding {
        /// Binding.
        binding: String,
    },
    /// Later, the consumer of a queue the flow sends to: the steps after
    /// it are the consumer's (after the producer's own steps).
    Consumer {
        /// The queues it consumes among those sent to.
        queues: Vec<String>,
        /// The consuming Worker's name.
        worker: String,
    },
}

impl FlowStep {
    /// Merges `next` into this step when both touch the same resource:
    /// its details (prefixes, queues, tables) are added, each once.
    pub fn absorb(&mut self, next: &FlowStep) -> bool {
        fn union(into: &mut Vec<String>, from: &[String]) {
            for x in from {
                if !into.contains(x) {
                    into.push(x.clone());
                }
            }
        }
        match (self, next) {
            (
                FlowStep::R2 { binding, prefixes },
                FlowStep::R2 {
                    binding: b,
                    prefixes: p,
                },
            ) if binding == b => {
                union(prefixes, p);
                true
            }
            (
                FlowStep::Queue { bindings, queues },
                FlowStep::Queue {
                    bindings: b,
                    queues: q,
                },
            ) => {
                union(bindings, b);
                union(queues, q);
                true
            }
            (
                FlowStep::Database { engine, tables },
                FlowStep::Database {
                    engine: e,
                    tables: t,
                },
            ) if engine == e => {
                union(tables, t);
                true
            }
            (a, b) => a == b,
        }
    }
}

/// What an operation on a binding does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub enum OpKind {
    /// R2 `get`, KV `get`.
    Read,
    /// R2 `head`.
    Head,
    /// R2 `put`, KV `put`.
    Write,
    /// R2 `createMultipartUpload` / `resumeMultipartUpload`.
    MultipartWrite,
    /// `delete`.
    Delete,
    /// `list`.
    List,
    /// Queue `send`.
    Send,
    /// Queue `sendBatch`.
    SendBatch,
    /// D1 `prepare` / `exec` / `batch`: `key` lists the tables the SQL
    /// names.
    Query,
    /// A Durable Object stub call: `key` is the method.
    Call,
    /// Workflow `create` / `createBatch`: starts instances.
    Start,
}

impl ResourceOp {
    /// The request and queue-message entry points that run it: its hot
    /// paths.
    pub fn hot_entries(&self) -> Vec<&super::EntryPoint> {
        self.entries
            .iter()
            .filter(|e| e.is_request() || e.handler() == Some(super::Handler::Queue))
            .collect()
    }

    /// The class whose code runs it: the Durable Object whose own storage
    /// it uses, else the class its method is in.
    pub fn home_class(&self) -> Option<&str> {
        self.durable_object.as_deref().or(self.class.as_deref())
    }

    /// The function the call is in as a reader names it: `Class.method`
    /// for a class method, else the function (`-` when none).
    pub fn actor_label(&self) -> String {
        match (&self.class, &self.actor) {
            (Some(class), Some(actor)) => format!("{class}.{actor}"),
            (None, Some(actor)) => actor.clone(),
            _ => "-".to_owned(),
        }
    }

    /// An operation of `kind` on `binding` at `location`, with nothing
    /// else known yet.
    pub fn new(kind: BindingKind, binding: String, op: OpKind, location: Location) -> Self {
        ResourceOp {
            kind,
            binding,
            op,
            key: None,
            method: None,
            instance: None,
            tables: Vec::new(),
            ttl: None,
            value_type: None,
            cache_ttl: None,
            message: Vec::new(),
            delay_secs: None,
            actor: None,
            class: None,
            entries: Vec::new(),
            anchors: Vec::new(),
            sql: None,
            spread: None,
            rows_sent_whole: false,
            in_loop: None,
            paged: false,
            writes_back: None,
            checked_first: None,
            optional: false,
            best_effort: false,
            whole_url: None,
            queries: Vec::new(),
            bound: Vec::new(),
            purpose: None,
            queues: Vec::new(),
            except_queues: Vec::new(),
            table_location: None,
            durable_object: None,
            engine: None,
            location,
        }
    }

    /// Whether this runs SQL on a database: D1 `prepare()` / `exec()`, or
    /// an ORM query on any engine.
    pub fn is_query(&self) -> bool {
        self.op == OpKind::Query
            && (self.kind == BindingKind::D1
                || self.table_location.is_some()
                || self.durable_object.is_some()
                || self.engine.is_some())
    }

    /// Whether a `queue` handler runs this for messages of `queue`.
    pub fn runs_for_queue(&self, queue: &str) -> bool {
        (self.queues.is_empty() || self.queues.iter().any(|q| q == queue))
            && !self.except_queues.iter().any(|q| q == queue)
    }
}

/// SQL run on a D1 database by `wrangler d1 execute DATABASE --command
/// "…"` in a package script, or in code that builds that command line:
/// outside the database's migrations, so nothing records that it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct D1Command {
    /// The database as the command names it: a binding or a
    /// `database_name`.
    pub database: String,
    /// The SQL.
    pub sql: String,
    /// The wrangler config it runs with, repo-relative: `--config`, else
    /// the folder of the package whose script it is; `None` when code
    /// builds it without one.
    pub config: Option<String>,
    /// Where.
    pub location: Location,
}

/// A binding name read from a Worker `env`, whatever is done with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BindingRead {
    /// The name (`BUNDLES`).
    pub name: String,
    /// Where.
    pub location: Location,
    /// Whether code of this file tests the binding for presence (`if
    /// (!env.X) return`, `env.X?.put(…)`, `env.X ? … : …`, `env.X &&
    /// …`): it is written to run without it.
    pub tested: bool,
}

/// A binding handed to a package's function or class, which then chooses
/// its keys: `new WorkersKVStore({ namespace: env.CACHE })`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Handoff {
    /// The binding name (`CACHE`).
    pub binding: String,
    /// What it is handed to: `WorkersKVStore` (`@hono-rate-limiter/cloudflare`).
    pub to: String,
    /// Where.
    pub location: Location,
}

/// One call on a binding found in code: `env.BUNDLES.put(key, body)`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ResourceOp {
    /// The binding's kind.
    pub kind: BindingKind,
    /// The binding name.
    pub binding: String,
    /// What the call does.
    pub op: OpKind,
    /// The key pattern, when the call takes a key (a `list({ prefix })`:
    /// the prefix, empty for a `list()` of everything).
    pub key: Option<super::Key>,
    /// Durable Object stub: the method called (`fetch` for a request).
    pub method: Option<String>,
    /// Durable Object stub: how the call picks its instance, when the code
    /// shows it.
    pub instance: Option<Instance>,
    /// D1: the tables the SQL text names, when it could not be shaped
    /// into [`queries`](Self::queries) or its reader read them directly.
    pub tables: Vec<String>,
    /// KV `put`: how long the key lives.
    pub ttl: Option<Expiry>,
    /// KV: what the value is.
    pub value_type: Option<ValueType>,
    /// KV `get` with `cacheTtl`: the edge cache time.
    pub cache_ttl: Option<Expiry>,
    /// Queue `send`: message fields → types, from an object literal.
    pub message: Vec<(String, String)>,
    /// Queue `send` / `sendBatch`: the `delaySeconds` option, when it folds.
    pub delay_secs: Option<u64>,
    /// The function (or route) the call is in.
    pub actor: Option<String>,
    /// The class whose method `actor` is (`R2IncrementalCache` for its
    /// `get`), when the call is in a class method.
    pub class: Option<String>,
    /// The entry points (routes, `fetch`, `queue`, `scheduled`, Durable
    /// Object handlers) whose calls reach `actor`, by name.
    pub entries: Vec<super::EntryPoint>,
    /// For each entry point, where in it the call leading here is: what
    /// orders an entry point's side effects in the data flow.
    pub anchors: Vec<(super::EntryPoint, Location)>,
    /// The queues a `queue` handler runs this for, when its call sits
    /// under a `batch.queue` check (`if (batch.queue === "x")`, `case
    /// "x":`); empty for every queue the Worker consumes.
    pub queues: Vec<String>,
    /// The queues an earlier `if (batch.queue === "x") { …; continue }`
    /// turns away before this runs.
    pub except_queues: Vec<String>,
    /// For an ORM query (`db.select().from(users)`): where the ORM table
    /// it names is declared, which finds its database when the binding
    /// does not.
    pub table_location: Option<Location>,
    /// The Durable Object class whose own SQLite storage this runs on
    /// (`this.ctx.storage.sql.exec(…)` in `Room`).
    pub durable_object: Option<String>,
    /// The engine of a client with no binding (`postgres(url)`, `new
    /// Pool()`): the query runs on the only database of that engine.
    pub engine: Option<super::Engine>,
    /// D1: the SQL text, when the code passes a literal (or a const).
    pub sql: Option<String>,
    /// D1: a placeholder list the SQL text builds from an array at run
    /// time (`IN (${ids.map(() => "?").join(",")})`); queue `sendBatch`:
    /// one message per item of an array (`items.map(…)`); R2 `delete`: the
    /// keys a paged listing gathered into one array.
    pub spread: Option<SpreadList>,
    /// D1: the rows it returns leave the function whole (serialized with
    /// `JSON.stringify`, `Response.json`, `c.json`), so every column it
    /// reads is used.
    pub rows_sent_whole: bool,
    /// The loop it runs in once per item (`for (const x of xs)`, `xs.map(…)`),
    /// when it is sent there: one round trip per item.
    pub in_loop: Option<Location>,
    /// A `list` called again and again in a `while` / `do` loop: it pages
    /// through every key under its prefix.
    pub paged: bool,
    /// KV `put`: the `get` of the same key whose value it writes back
    /// changed (read-modify-write), in its function or through a helper.
    pub writes_back: Option<Location>,
    /// KV `put`: the `get` of the same key that checked, just before, that
    /// the key did not exist (a create that refuses to overwrite).
    pub checked_first: Option<Location>,
    /// KV / R2: the whole request URL the key holds, as written
    /// (`request.url`, `url.href`): a client chooses its length.
    pub whole_url: Option<String>,
    /// Its failure is caught and dropped: the call sits in a `try` whose
    /// `catch` throws nothing, or chains a `.catch(…)` that throws nothing.
    pub best_effort: bool,
    /// Called through optional chaining on the binding (`env.DLQ?.send(…)`):
    /// skipped, without an error, when the binding is not bound.
    pub optional: bool,
    /// D1: what the SQL does to which table, once read.
    pub queries: Vec<QueryShape>,
    /// D1 `INSERT`: the keys of the values `.bind(…)` passes, in order
    /// (`None` where a value is not followed); empty past a spread.
    pub bound: Vec<Option<super::Key>>,
    /// JSDoc of the helper that builds the key, else of the function the
    /// call is in.
    pub purpose: Option<String>,
    /// Where.
    pub location: Location,
}

/// A list of bound values whose length the code decides at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SpreadList {
    /// What sets its length, as written (`ids`, `rows`, `keys.length`).
    pub over: String,
    /// Values bound per item (`(?, ?, ?)` → 3).
    pub per_item: u32,
    /// Items per statement when the code cuts the array into chunks
    /// (`ids.slice(i, i + 50)` → 50).
    pub chunk: Option<u32>,
    /// Other values the statement binds.
    pub fixed: u32,
}

/// A binding reached by a name computed at run time
/// (`` env[`WADDLE_DB_${id}`] ``).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DynamicBinding {
    /// The name pattern (`WADDLE_DB_{id}`).
    pub pattern: super::Key,
    /// Where.
    pub location: Location,
}

/// A message type declared in code: `Queue<UploadJob>` on a producer
/// binding, or `MessageBatch<UploadJob>` in a consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MessageType {
    /// The producer binding (`UPLOAD_QUEUE_P0`) for `Queue<T>`.
    pub binding: Option<String>,
    /// The file of a `queue(batch: MessageBatch<T>)` consumer.
    pub consumer_file: Option<String>,
    /// Fields → types (`string`, `number (optional)`, `'a' | 'b'`).
    pub fields: Vec<(String, String)>,
    /// Where the type is used.
    pub location: Location,
}

/// A Durable Object class as its code declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CodeDurableObject {
    /// Class name.
    pub class_name: String,
    /// The class's JSDoc.
    pub purpose: Option<String>,
    /// State: in-memory fields, `storage` keys and SQL tables.
    pub state: Vec<StateItem>,
    /// In-memory fields a method other than the constructor changes
    /// (`this.count++`, `this.sessions.set(…)`): state, not settings.
    pub mutated: Vec<String>,
    /// Methods with purposes and callers.
    pub methods: Vec<DoMethod>,
    /// `CREATE TABLE …` run through `storage.sql.exec`, with where.
    pub sql: Vec<(String, Location)>,
    /// Each `storage.put` / `get` / `delete` of one key, and each
    /// `deleteAll()` (a `Delete` of the empty key), in source order.
    pub storage_ops: Vec<StorageOp>,
    /// The project classes it extends whose state and methods it has
    /// (`Room` for `class Lobby extends Room`), nearest first: code in
    /// their methods runs in this object too.
    pub bases: Vec<String>,
    /// Where the class is declared.
    pub location: Location,
}

/// How a call on a Durable Object namespace picks the instance it reaches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Instance {
    /// `idFromName(name)` / `getByName(name)`: one instance per value of
    /// the pattern; all literal text is one global instance.
    Named {
        /// The name's pattern.
        name: super::Key,
    },
    /// `newUniqueId()`: a new instance.
    Unique,
    /// `idFromString(id)`: an id kept from an earlier call.
    FromString,
}

/// One call on a Durable Object's key-value storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StorageOp {
    /// `put` (write), `get` (read) or `delete`.
    pub op: OpKind,
    /// The key's pattern (empty for `deleteAll()`).
    pub key: super::Key,
    /// The method of the class it is in.
    pub method: Option<String>,
    /// Where.
    pub location: Location,
}

impl CodeDurableObject {
    /// Whether one of its methods is the runtime's `handler`.
    pub fn handles(&self, handler: super::Handler) -> bool {
        self.methods.iter().any(|m| m.handler == Some(handler))
    }

    /// The methods `from` reach inside the object: themselves and the
    /// helpers they call on `this` / `self`, transitively.
    pub fn reached_from<'s>(&'s self, from: &[&'s str]) -> Vec<&'s str> {
        let mut reached: Vec<&str> = from.to_vec();
        loop {
            let before = reached.len();
            for m in &self.methods {
                let called = m.called_by.iter().any(|c| {
                    matches!(c, super::Caller::Internal { from } if reached.contains(&from.name().as_str()))
                });
                if called && !reached.contains(&m.name.as_str()) {
                    reached.push(&m.name);
                }
            }
            if reached.len() == before {
                return reached;
            }
        }
    }
}

/// How a `queue()` consumer handles a failing message, as its code says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QueueHandler {
    /// Calls `message.retry()` / `batch.retryAll()`.
    pub retries: bool,
    /// Calls `ack()` / `ackAll()` inside a `catch`: failures are dropped.
    pub acks_on_failure: bool,
    /// Each `ack()` / `retry()` in the handler, in source order.
    pub settles: Vec<Settle>,
    /// Each HTTP request the handler sends with the global `fetch()`
    /// (a webhook, an API), in source order.
    pub requests: Vec<OutboundRequest>,
    /// Where the handler is.
    pub location: Location,
}

/// An HTTP request code sends with the global `fetch()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OutboundRequest {
    /// The method its options name (`POST`), `GET` when they name none.
    pub method: String,
    /// Where it goes, as written: a URL literal, or what holds one
    /// (`env.FEEDBACK_URL`).
    pub target: String,
    /// Whether the code looks at the response (its status, body or the
    /// local holding it); `false` when the awaited call is a statement of
    /// its own or its local is never read.
    pub response_read: bool,
    /// Where.
    pub location: Location,
}

/// What one SQL statement does to one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QueryShape {
    /// The table.
    pub table: String,
    /// What it does: `Get by id`, `List by org_id`, `Insert`.
    pub operation: super::Operation,
    /// The normalised `WHERE … ORDER BY … LIMIT …` (or `INSERT (cols)`).
    pub query: String,
    /// `SELECT *`.
    pub select_star: bool,
    /// Columns the WHERE compares, in order.
    pub filter_columns: Vec<String>,
    /// Columns of the ORDER BY, in order.
    pub order_columns: Vec<String>,
    /// Filter columns compared only by a range (`<`, `>`, `BETWEEN`,
    /// `LIKE`): an index serving the query puts them after its equality
    /// and sort columns.
    pub range_columns: Vec<String>,
    /// Columns written: an INSERT's column list, an UPDATE's SET targets.
    pub written_columns: Vec<String>,
    /// An INSERT of one row of values: the bound parameter (from 0) each
    /// written column takes, in the order of `written_columns` (`None`
    /// for a literal or an expression).
    pub value_params: Vec<Option<usize>>,
    /// Every table the statement names in FROM / JOIN (aliases resolved),
    /// the main one first.
    pub tables: Vec<String>,
    /// An upsert's `ON CONFLICT (cols)` target columns; empty otherwise
    /// (no target, a named constraint).
    pub conflict_target: Vec<String>,
    /// `JOIN b ON b.a_id = a.id` equalities between two tables:
    /// `(table, column, other table, other column)`.
    pub joins: Vec<(String, String, String, String)>,
}
