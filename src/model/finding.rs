//! Recommendations as facts: which rule found what about which subject,
//! and the change it asks for. Their wording is `render`'s.

use super::Location;
use schemars::JsonSchema;
use serde::Serialize;

/// Every rule dmqa has, one line each: its [`RuleId`] variant, the module
/// under `analysis/rules/` that implements it, and its id. `RuleId`, the
/// rule registry and the ids `dmqa.toml` accepts are all generated from
/// this one list: adding a rule is its file, one line here and its `mod`
/// line in `analysis/rules/mod.rs`.
macro_rules! for_each_rule {
    ($then:ident) => {
        $then! {
            (AppendOnlyTableWithoutRetention, append_only_table_without_retention, "append-only-table-without-retention"),
            (BoundParametersOverLimit, bound_parameters_over_limit, "bound-parameters-over-limit"),
            (BuildScopedKeysNeverPruned, build_scoped_keys_never_pruned, "build-scoped-keys-never-pruned"),
            (ClockUnitsMixed, clock_units_mixed, "clock-units-mixed"),
            (ConsumerIgnoresResponseStatus, consumer_ignores_response_status, "consumer-ignores-response-status"),
            (ConsumerWithoutDeadLetterQueue, consumer_without_dead_letter_queue, "consumer-without-dead-letter-queue"),
            (DeadLetterQueueWithoutConsumer, dead_letter_queue_without_consumer, "dead-letter-queue-without-consumer"),
            (DeleteBlockedByChildren, delete_blocked_by_children, "delete-blocked-by-children"),
            (DropTableCascades, drop_table_cascades, "drop-table-cascades"),
            (DurableObjectMemoryOnlyState, durable_object_memory_only_state, "durable-object-memory-only-state"),
            (DurableObjectWithoutMigration, durable_object_without_migration, "durable-object-without-migration"),
            (DynamicBindingName, dynamic_binding_name, "dynamic-binding-name"),
            (FtsContentWithoutTriggers, fts_content_without_triggers, "fts-content-without-triggers"),
            (GlobalDurableObjectInstance, global_durable_object_instance, "global-durable-object-instance"),
            (HiddenCharacterInName, hidden_character_in_name, "hidden-character-in-name"),
            (InsertOmitsRequiredColumn, insert_omits_required_column, "insert-omits-required-column"),
            (KeyHoldsWholeUrl, key_holds_whole_url, "key-holds-whole-url"),
            (KeyLeftBehind, key_left_behind, "key-left-behind"),
            (KvKeyNeverRead, kv_key_never_read, "kv-key-never-read"),
            (KvKeyWithoutTtl, kv_key_without_ttl, "kv-key-without-ttl"),
            (KvReadModifyWrite, kv_read_modify_write, "kv-read-modify-write"),
            (KvTtlBelowMinimum, kv_ttl_below_minimum, "kv-ttl-below-minimum"),
            (LimitWithoutOrderBy, limit_without_order_by, "limit-without-order-by"),
            (ListScanOnRequest, list_scan_on_request, "list-scan-on-request"),
            (NoopUpsertUpdate, noop_upsert_update, "noop-upsert-update"),
            (OptionalBindingDropsWrites, optional_binding_drops_writes, "optional-binding-drops-writes"),
            (QueueDelayOverLimit, queue_delay_over_limit, "queue-delay-over-limit"),
            (R2DeleteOverLimit, r2_delete_over_limit, "r2-delete-over-limit"),
            (RedundantIndex, redundant_index, "redundant-index"),
            (RejectedDdl, rejected_ddl, "rejected-ddl"),
            (RoundTripInLoop, round_trip_in_loop, "round-trip-in-loop"),
            (SchemaChangeOutsideMigrations, schema_change_outside_migrations, "schema-change-outside-migrations"),
            (SchemaDrift, schema_drift, "schema-drift"),
            (SelectStarOnHotPath, select_star_on_hot_path, "select-star-on-hot-path"),
            (SendBatchOverLimit, send_batch_over_limit, "send-batch-over-limit"),
            (TableOverColumnLimit, table_over_column_limit, "table-over-column-limit"),
            (TableWithoutPrimaryKey, table_without_primary_key, "table-without-primary-key"),
            (TemporaryObjectNeverDeleted, temporary_object_never_deleted, "temporary-object-never-deleted"),
            (UnboundedListQuery, unbounded_list_query, "unbounded-list-query"),
            (UndeclaredBinding, undeclared_binding, "undeclared-binding"),
            (UnindexedForeignKey, unindexed_foreign_key, "unindexed-foreign-key"),
            (UnindexedQuery, unindexed_query, "unindexed-query"),
            (UnknownTableOrColumn, unknown_table_or_column, "unknown-table-or-column"),
            (UnusedBinding, unused_binding, "unused-binding"),
            (UpdatedAtNeverSet, updated_at_never_set, "updated-at-never-set"),
            (UpsertTargetNotUnique, upsert_target_not_unique, "upsert-target-not-unique"),
        }
    };
}
pub(crate) use for_each_rule;

macro_rules! rule_ids {
    ($(($variant:ident, $module:ident, $id:literal)),* $(,)?) => {
        /// Every rule, by stable id (see `for_each_rule`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
        #[serde(rename_all = "kebab-case")]
        pub enum RuleId {
            $(
                #[doc = concat!("`", $id, "`.")]
                $variant,
            )*
        }

        impl RuleId {
            /// Every rule, in id order.
            pub const ALL: &[RuleId] = &[$(RuleId::$variant),*];

            /// The id used in output and in `dmqa.toml`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $id,)*
                }
            }

            /// The rule with id `id`.
            pub fn parse(id: &str) -> Option<RuleId> {
                RuleId::ALL.iter().copied().find(|r| r.as_str() == id)
            }

            /// Every id, comma-separated: what an error naming an unknown
            /// rule lists.
            pub fn list() -> String {
                RuleId::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}
for_each_rule!(rule_ids);

/// How urgent a finding is; findings are sorted by this first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FindingSeverity {
    /// Will break a deploy or lose data.
    Error,
    /// Worth fixing before it bites.
    Warning,
    /// Checked and fine: a `✅ Keep` row.
    Keep,
}

/// The part of the data model a finding is about (the head of its Area).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Worker bindings.
    Bindings,
    /// One DDL statement of a table.
    Ddl,
    /// A Drizzle schema against its migrations.
    Drift,
    /// Durable Object state.
    DurableObjects,
    /// Table indexes.
    Indexes,
    /// Primary keys.
    Keys,
    /// KV keys.
    Kv,
    /// A migration file as a whole.
    Migration,
    /// Names of tables, columns, bindings, queues and classes.
    Names,
    /// Queries the code runs.
    Queries,
    /// Queue consumers.
    Queues,
    /// R2 objects.
    R2,
    /// How long rows are kept.
    Retention,
    /// Times the code computes.
    Time,
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Nothing narrower than its topic (a `✅ Keep` summary row).
    Topic,
    /// A table; `database` is the id of its database when several
    /// databases have a table of that name.
    Table {
        /// Table name.
        name: String,
        /// The database, when the name alone is ambiguous.
        database: Option<String>,
    },
    /// A binding (R2, KV, any kind), by binding name.
    Binding {
        /// Binding name.
        name: String,
    },
    /// A queue, by queue name.
    Queue {
        /// Queue name.
        name: String,
    },
    /// A Durable Object class.
    Class {
        /// Class name.
        name: String,
    },
    /// A value the code computes, by the name it stores it under.
    Value {
        /// The variable, property or parameter name.
        name: String,
    },
    /// One environment of a wrangler config: `None` for the top level.
    Environment {
        /// `[env.NAME]`.
        env: Option<String>,
    },
}

impl Subject {
    /// A table subject, not yet qualified by its database.
    pub fn table(name: &str) -> Subject {
        Subject::Table {
            name: name.to_owned(),
            database: None,
        }
    }

    /// The name `dmqa.toml` silences it by (`unused-binding:AVATARS`,
    /// `undeclared-binding:[env.staging]`); empty for [`Subject::Topic`].
    pub fn key(&self) -> String {
        match self {
            Subject::Topic => String::new(),
            Subject::Table { name, .. }
            | Subject::Binding { name }
            | Subject::Queue { name }
            | Subject::Class { name }
            | Subject::Value { name } => name.clone(),
            Subject::Environment { env: Some(e) } => format!("[env.{e}]"),
            Subject::Environment { env: None } => "the top level".to_owned(),
        }
    }
}

/// A change a finding asks for, precise enough to apply or compare.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fix {
    /// `CREATE INDEX idx_<table>_<columns> ON table(columns);`
    CreateIndex {
        /// The table.
        table: String,
        /// Its columns, in index order.
        columns: Vec<String>,
        /// SQLite's plan of the query with the index, when measured.
        plan: Vec<String>,
    },
    /// `DROP INDEX name;` (`… ON table;` on MySQL).
    DropIndex {
        /// The index.
        index: String,
        /// The table, where the dialect names it (MySQL).
        on_table: Option<String>,
    },
}

impl Fix {
    /// The statement that makes the change.
    pub fn sql(&self) -> String {
        match self {
            Fix::CreateIndex { table, columns, .. } => format!(
                "CREATE INDEX idx_{table}_{} ON {table}({});",
                columns.join("_"),
                columns.join(", ")
            ),
            Fix::DropIndex {
                index,
                on_table: Some(t),
            } => format!("DROP INDEX {index} ON {t};"),
            Fix::DropIndex {
                index,
                on_table: None,
            } => format!("DROP INDEX {index};"),
        }
    }

    /// Whether two fixes make the same change (the same index on the same
    /// columns), whatever each measured.
    pub fn same_change(&self, other: &Fix) -> bool {
        match (self, other) {
            (
                Fix::CreateIndex { table, columns, .. },
                Fix::CreateIndex {
                    table: t2,
                    columns: c2,
                    ..
                },
            ) => table == t2 && columns == c2,
            _ => self == other,
        }
    }
}

/// How much work a fix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    /// Nothing to do (a `✅ Keep` row).
    None,
    /// One statement or line.
    Low,
    /// A change across a few places.
    Medium,
    /// A redesign.
    High,
}

/// One row of the Recommendations table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub struct Finding {
    /// The rule that found it.
    pub rule: RuleId,
    /// Error, warning or keep.
    pub severity: FindingSeverity,
    /// The part of the model it concerns.
    pub topic: Topic,
    /// What exactly.
    pub subject: Subject,
    /// What the checkout does today.
    pub message: String,
    /// What to do, when no [`Fix`] says it; on a `✅ Keep` row, the remark
    /// after it (empty when none).
    pub advice: String,
    /// The change to make, when it is one statement.
    pub fix: Option<Fix>,
    /// How much work it is.
    pub effort: Effort,
    /// The hot query it is about, for a row another row with the same
    /// [`Fix`] absorbs.
    pub query: Option<HotQuery>,
    /// The hot queries of the rows it absorbed (same [`Fix`]): each needs
    /// the change too.
    pub also_needed_by: Vec<HotQuery>,
    /// Where the evidence is.
    pub locations: Vec<Location>,
    /// The same cause found about other subjects (same rule, severity and
    /// advice): one row lists them all.
    pub repeats: Vec<Repeat>,
    /// How often the code its subject is used by runs: the most frequent
    /// run of that table's queries, that binding's calls, that queue's
    /// consumer; `None` when no code dmqa found reaches it. Rows are ranked
    /// by it within a severity.
    pub impact: Option<super::Frequency>,
}

/// One more subject of a finding whose cause repeats.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub struct Repeat {
    /// What exactly.
    pub subject: Subject,
    /// What the checkout does there.
    pub message: String,
    /// Where the evidence is.
    pub locations: Vec<Location>,
}

/// A query that request or message entry points run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub struct HotQuery {
    /// The normalised `WHERE … ORDER BY … LIMIT`.
    pub query: String,
    /// The entry points that run it.
    pub entries: Vec<super::EntryPoint>,
}

impl Finding {
    /// A finding of `rule` about `subject`, with no advice, fix or
    /// location yet; effort `Low`, or none for a `✅ Keep` row.
    pub fn new(
        rule: RuleId,
        severity: FindingSeverity,
        topic: Topic,
        subject: Subject,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            topic,
            subject,
            message: message.into(),
            advice: String::new(),
            fix: None,
            also_needed_by: Vec::new(),
            effort: match severity {
                FindingSeverity::Keep => Effort::None,
                _ => Effort::Low,
            },
            query: None,
            locations: Vec::new(),
            repeats: Vec::new(),
            impact: None,
        }
    }

    /// Where it ranks among rows of its severity: its impact, what no
    /// entry point reaches last.
    pub fn rank(&self) -> super::Frequency {
        self.impact.clone().unwrap_or(super::Frequency::Unknown)
    }

    /// With `advice`.
    pub fn advice(mut self, advice: impl Into<String>) -> Finding {
        self.advice = advice.into();
        self
    }

    /// With `fix`.
    pub fn fix(mut self, fix: Fix) -> Finding {
        self.fix = Some(fix);
        self
    }

    /// With `effort`.
    pub fn effort(mut self, effort: Effort) -> Finding {
        self.effort = effort;
        self
    }

    /// About the hot query `query`.
    pub fn query(mut self, query: HotQuery) -> Finding {
        self.query = Some(query);
        self
    }

    /// With its evidence at `locations`.
    pub fn at(mut self, locations: Vec<Location>) -> Finding {
        self.locations = locations;
        self
    }
}

/// A `dmqa-ignore RULE: reason` comment: the team has looked at what the
/// rules find beside it and keeps it, for the reason given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Suppression {
    /// The comment's line: it silences findings there and on the next line.
    pub location: Location,
    /// The rules it silences.
    pub rules: Vec<RuleId>,
    /// Why.
    pub reason: String,
}
