//! The one typed model every reader fills and every renderer reads.
//!
//! This module owns the types the layers exchange — schema facts, Cloudflare
//! resources, findings and diagnostics. It imports only `std` and `serde`:
//! no parser crate, no template engine, no `anyhow`. Every fact carries the
//! [`Location`] it was read from, even when the Markdown does not print it.
//! All collections are kept sorted (see [`Model::normalize`]) so the same
//! checkout always serialises to the same bytes.

mod cloudflare;
mod diagnostic;
mod finding;
mod invoker;
mod key;
mod schema;

pub use cloudflare::*;
pub use diagnostic::*;
pub use finding::*;
pub use invoker::*;
pub use key::*;
pub use schema::*;

use schemars::JsonSchema;
use serde::Serialize;

/// What `dmqa.toml` says the code cannot: applied by analysis.
#[derive(Debug, Default, Clone, Serialize, JsonSchema)]
pub struct Overrides {
    /// Table name → purpose and row estimate (in every database).
    pub tables: std::collections::BTreeMap<String, TableOverride>,
    /// Trigger (`GET /v1/updates`, a queue name, a cron) → the frequency
    /// level to print for it (`Very high`).
    pub frequency: std::collections::BTreeMap<String, String>,
    /// Relationships no schema declares.
    pub relationships: Vec<ConfiguredRelationship>,
    /// Rule ids (`unused-binding`) or rule ids with the subject of a row's
    /// area (`unused-binding:AVATARS`, `redundant-index:orders`) whose rows
    /// are left out.
    pub silence: Vec<String>,
}

/// `[[relationships]]` of `dmqa.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ConfiguredRelationship {
    /// The referencing table and column.
    pub from: (String, String),
    /// The referenced table and column.
    pub to: (String, String),
    /// Where in `dmqa.toml`.
    pub location: Location,
}

/// A table's purpose and row estimate from `dmqa.toml`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TableOverride {
    /// One sentence.
    pub purpose: Option<String>,
    /// An order of magnitude (`10M+`).
    pub rows: Option<String>,
}

/// Everything dmqa knows about one checkout.
#[derive(Debug, Default, Clone, Serialize, JsonSchema)]
pub struct Model {
    /// `dmqa.toml` overrides.
    pub overrides: Overrides,
    /// One entry per wrangler config and environment (`[env.NAME]`).
    pub workers: Vec<Worker>,
    /// Databases with their tables, D1 first, then Postgres, MySQL, SQLite.
    pub databases: Vec<Database>,
    /// Relationships between tables (declared and inferred).
    pub relationships: Vec<Relationship>,
    /// Tables declared by ORM schemas, before analysis matches them with
    /// databases (emptied by then).
    pub orm_tables: Vec<OrmTable>,
    /// Relationships declared by ORM schemas (Drizzle `relations()`), by
    /// table name; analysis places them in their database.
    pub orm_relations: Vec<Relationship>,
    /// `drizzle.config.*` files.
    pub drizzle_configs: Vec<DrizzleConfig>,
    /// Calls on bindings found in code, before analysis groups them by
    /// resource.
    pub resource_ops: Vec<ResourceOp>,
    /// Bindings reached by a computed name.
    pub dynamic_bindings: Vec<DynamicBinding>,
    /// SQL run on a D1 database by `wrangler d1 execute --command`.
    pub d1_commands: Vec<D1Command>,
    /// Every binding name code reads from a Worker `env` (`env.X`,
    /// `c.env.X`, `const { X } = env`), first place per file.
    pub binding_reads: Vec<BindingRead>,
    /// Bindings handed to a package's function or class.
    pub handoffs: Vec<Handoff>,
    /// A whole Worker `env` handed to a package (`binding` holds the
    /// expression, `env` or `{ ...env }`): it may reach any binding.
    pub env_handoffs: Vec<Handoff>,
    /// Queue message types declared in code.
    pub message_types: Vec<MessageType>,
    /// Arithmetic on the current time with a constant offset.
    pub clock_offsets: Vec<ClockOffset>,
    /// Durable Object classes found in code, before analysis merges them
    /// with what config declares.
    pub code_durable_objects: Vec<CodeDurableObject>,
    /// `queue()` consumer handlers and how they treat failures.
    pub queue_handlers: Vec<QueueHandler>,
    /// Binding names and kinds declared by `Env` interfaces in code
    /// (`BUNDLES: R2Bucket`), used when no config declares them.
    pub code_bindings: Vec<(String, BindingKind)>,
    /// R2 buckets by binding name.
    pub buckets: Vec<Bucket>,
    /// KV namespaces by binding name.
    pub kv_namespaces: Vec<KvNamespace>,
    /// Queues by queue name.
    pub queues: Vec<Queue>,
    /// Durable Object classes.
    pub durable_objects: Vec<DurableObject>,
    /// Data flows from entry points through the resources they touch.
    pub flows: Vec<Flow>,
    /// Recommendations, sorted by severity, then impact (the busiest
    /// code first), then area.
    pub findings: Vec<Finding>,
    /// `dmqa-ignore RULE: reason` comments met in the checkout.
    pub suppressions: Vec<Suppression>,
    /// Problems met while reading the checkout.
    pub diagnostics: Vec<Diagnostic>,
    /// Counters for the summary line.
    pub stats: Stats,
}

/// The unit a clock reading counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockUnit {
    /// `Date.now()`, `new Date().getTime()`.
    Milliseconds,
    /// `Date.now() / 1000`, `Math.floor(Date.now() / 1000)`.
    Seconds,
}

/// The current time plus or minus a constant offset
/// (`Date.now() + 60 * 60 * 24 * 30`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ClockOffset {
    /// The clock's unit.
    pub clock: ClockUnit,
    /// Whether the offset is taken from the clock (`-`), not added.
    pub subtracts: bool,
    /// The offset's factors as written, each folded (`60 * 60 * DAYS` →
    /// 60, 60, 30).
    pub factors: Vec<f64>,
    /// The offset as written.
    pub offset: String,
    /// The name the result is stored under (`subscription_ends_at`), when
    /// the code says.
    pub target: Option<String>,
    /// Where the sum is.
    pub location: Location,
}

/// Counters printed in the one-line summary on stderr.
#[derive(Debug, Default, Clone, Serialize, JsonSchema)]
pub struct Stats {
    /// Files the walker looked at and classified as a source.
    pub files_read: usize,
}

/// Whether repo-relative `path` lies under folder `dir` (`""`, the root,
/// holds everything).
pub fn in_folder(dir: &str, path: &str) -> bool {
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Model {
    /// The Durable Object class the code declares as `class`.
    pub fn code_object(&self, class: &str) -> Option<&CodeDurableObject> {
        self.code_durable_objects
            .iter()
            .find(|d| d.class_name == class)
    }

    /// Sorts every collection into its canonical order. Called once after
    /// analysis; readers may push in any order.
    pub fn normalize(&mut self) {
        self.workers.sort_by(|a, b| {
            (&a.location.path, &a.environment).cmp(&(&b.location.path, &b.environment))
        });
        self.databases
            .sort_by(|a, b| (a.engine, &a.id).cmp(&(b.engine, &b.id)));
        for db in &mut self.databases {
            db.tables.sort_by(|a, b| a.name.cmp(&b.name));
            db.views.sort_by(|a, b| a.name.cmp(&b.name));
            db.triggers.sort_by(|a, b| a.name.cmp(&b.name));
            db.orm_tables.sort_by(|a, b| a.name.cmp(&b.name));
            for t in db.tables.iter_mut().chain(db.orm_tables.iter_mut()) {
                t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        self.relationships.sort();
        self.relationships.dedup();
        self.binding_reads
            .sort_by(|a, b| (&a.location, &a.name).cmp(&(&b.location, &b.name)));
        self.clock_offsets
            .sort_by(|a, b| a.location.cmp(&b.location));
        for h in [&mut self.handoffs, &mut self.env_handoffs] {
            h.sort_by(|a, b| (&a.location, &a.binding).cmp(&(&b.location, &b.binding)));
        }
        self.buckets.sort_by(|a, b| a.binding.cmp(&b.binding));
        self.kv_namespaces.sort_by(|a, b| a.binding.cmp(&b.binding));
        self.queues.sort_by(|a, b| a.name.cmp(&b.name));
        self.durable_objects
            .sort_by(|a, b| a.class_name.cmp(&b.class_name));
        self.findings.sort_by(|a, b| {
            (
                a.severity,
                a.rank(),
                a.topic,
                &a.subject,
                &a.message,
                &a.locations,
            )
                .cmp(&(
                    b.severity,
                    b.rank(),
                    b.topic,
                    &b.subject,
                    &b.message,
                    &b.locations,
                ))
        });
        self.findings.dedup();
        self.diagnostics.sort();
        self.diagnostics.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::in_folder;

    #[test]
    fn a_folder_holds_its_own_paths_only() {
        assert!(in_folder("", "src/index.ts"));
        assert!(in_folder("apps/api", "apps/api/src/index.ts"));
        assert!(!in_folder("apps/api", "apps/api-v2/src/index.ts"));
        assert!(!in_folder("apps/api", "apps/api"));
        assert!(!in_folder("apps/api", "apps/ap"));
    }
}
