//! Recommendation rules: one file per rule, one explicit registry.
//!
//! Each rule reads the finished model and pushes [`Finding`]s. A rule that
//! does not apply pushes nothing; a rule that checked something and found
//! it fine may push a `✅ Keep` row. Rule ids are kebab-case and name the
//! pattern found, not the fix; the README documents each one with the same
//! text as its `DOC`.

mod append_only_table_without_retention;
mod consumer_without_dead_letter_queue;
mod durable_object_memory_only_state;
mod dynamic_binding_name;
mod kv_key_without_ttl;
mod redundant_index;
mod rejected_ddl;
mod schema_drift;
mod select_star_on_hot_path;
mod table_without_primary_key;
mod temporary_object_never_deleted;
mod undeclared_binding;
mod unindexed_foreign_key;
mod unindexed_query;
mod unknown_table_or_column;
mod unused_binding;

use crate::model::{Finding, FindingSeverity, Location, Model};

/// Every rule, by stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleId {
    /// An append-only log on D1 that nothing deletes from.
    AppendOnlyTableWithoutRetention,
    /// A queue consumer without a dead letter queue.
    ConsumerWithoutDeadLetterQueue,
    /// A Durable Object whose state lives only in memory.
    DurableObjectMemoryOnlyState,
    /// A binding reached through a name computed at run time.
    DynamicBindingName,
    /// A KV key pattern written without a TTL.
    KvKeyWithoutTtl,
    /// An index another index or the primary key already covers.
    RedundantIndex,
    /// DDL that SQLite, and so D1, rejects.
    RejectedDdl,
    /// A Drizzle schema and the migrations of its database disagree.
    SchemaDrift,
    /// `SELECT *` on a request path.
    SelectStarOnHotPath,
    /// A table without a primary key.
    TableWithoutPrimaryKey,
    /// A temporary-looking R2 prefix nothing deletes.
    TemporaryObjectNeverDeleted,
    /// A binding code reads that an environment does not declare.
    UndeclaredBinding,
    /// A foreign key no index leads with.
    UnindexedForeignKey,
    /// A hot query SQLite answers with a scan or a temporary sort.
    UnindexedQuery,
    /// A query naming a table or column its database does not have.
    UnknownTableOrColumn,
    /// A declared binding no code reads.
    UnusedBinding,
}

impl RuleId {
    /// The id used in output and in `dmqa.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::AppendOnlyTableWithoutRetention => "append-only-table-without-retention",
            RuleId::ConsumerWithoutDeadLetterQueue => "consumer-without-dead-letter-queue",
            RuleId::DurableObjectMemoryOnlyState => "durable-object-memory-only-state",
            RuleId::DynamicBindingName => "dynamic-binding-name",
            RuleId::KvKeyWithoutTtl => "kv-key-without-ttl",
            RuleId::RedundantIndex => "redundant-index",
            RuleId::RejectedDdl => "rejected-ddl",
            RuleId::SchemaDrift => "schema-drift",
            RuleId::SelectStarOnHotPath => "select-star-on-hot-path",
            RuleId::TableWithoutPrimaryKey => "table-without-primary-key",
            RuleId::TemporaryObjectNeverDeleted => "temporary-object-never-deleted",
            RuleId::UndeclaredBinding => "undeclared-binding",
            RuleId::UnindexedForeignKey => "unindexed-foreign-key",
            RuleId::UnindexedQuery => "unindexed-query",
            RuleId::UnknownTableOrColumn => "unknown-table-or-column",
            RuleId::UnusedBinding => "unused-binding",
        }
    }
}

/// A rule: its id, its check, and its documentation (What it finds / Why
/// it matters / Example).
pub struct Rule {
    /// Stable id.
    pub id: RuleId,
    /// The check.
    pub check: fn(&Model, &mut Vec<Finding>),
    /// Markdown documentation.
    pub doc: &'static str,
}

/// The registry, in id order.
pub const RULES: &[Rule] = &[
    Rule {
        id: RuleId::AppendOnlyTableWithoutRetention,
        check: append_only_table_without_retention::check,
        doc: append_only_table_without_retention::DOC,
    },
    Rule {
        id: RuleId::ConsumerWithoutDeadLetterQueue,
        check: consumer_without_dead_letter_queue::check,
        doc: consumer_without_dead_letter_queue::DOC,
    },
    Rule {
        id: RuleId::DurableObjectMemoryOnlyState,
        check: durable_object_memory_only_state::check,
        doc: durable_object_memory_only_state::DOC,
    },
    Rule {
        id: RuleId::DynamicBindingName,
        check: dynamic_binding_name::check,
        doc: dynamic_binding_name::DOC,
    },
    Rule {
        id: RuleId::KvKeyWithoutTtl,
        check: kv_key_without_ttl::check,
        doc: kv_key_without_ttl::DOC,
    },
    Rule {
        id: RuleId::RedundantIndex,
        check: redundant_index::check,
        doc: redundant_index::DOC,
    },
    Rule {
        id: RuleId::RejectedDdl,
        check: rejected_ddl::check,
        doc: rejected_ddl::DOC,
    },
    Rule {
        id: RuleId::SchemaDrift,
        check: schema_drift::check,
        doc: schema_drift::DOC,
    },
    Rule {
        id: RuleId::SelectStarOnHotPath,
        check: select_star_on_hot_path::check,
        doc: select_star_on_hot_path::DOC,
    },
    Rule {
        id: RuleId::TableWithoutPrimaryKey,
        check: table_without_primary_key::check,
        doc: table_without_primary_key::DOC,
    },
    Rule {
        id: RuleId::TemporaryObjectNeverDeleted,
        check: temporary_object_never_deleted::check,
        doc: temporary_object_never_deleted::DOC,
    },
    Rule {
        id: RuleId::UndeclaredBinding,
        check: undeclared_binding::check,
        doc: undeclared_binding::DOC,
    },
    Rule {
        id: RuleId::UnindexedForeignKey,
        check: unindexed_foreign_key::check,
        doc: unindexed_foreign_key::DOC,
    },
    Rule {
        id: RuleId::UnindexedQuery,
        check: unindexed_query::check,
        doc: unindexed_query::DOC,
    },
    Rule {
        id: RuleId::UnknownTableOrColumn,
        check: unknown_table_or_column::check,
        doc: unknown_table_or_column::DOC,
    },
    Rule {
        id: RuleId::UnusedBinding,
        check: unused_binding::check,
        doc: unused_binding::DOC,
    },
];

/// Builds a finding of `rule`.
fn finding(
    rule: RuleId,
    severity: FindingSeverity,
    area: String,
    current: String,
    recommendation: String,
    effort: &str,
    locations: Vec<Location>,
) -> Finding {
    Finding {
        rule: rule.as_str().to_owned(),
        severity,
        area,
        current,
        recommendation,
        effort: effort.to_owned(),
        locations,
    }
}

/// Every rule id, in registry order.
pub fn ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.id.as_str()).collect()
}

/// Whether `dmqa.toml` silences `f`: its rule, or its rule for the subject
/// in its area's parentheses (`Bindings (AVATARS)` → `unused-binding:AVATARS`).
fn silenced(f: &Finding, silence: &[String]) -> bool {
    let subject = f
        .area
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or("");
    silence.iter().any(|s| match s.split_once(':') {
        Some((rule, what)) => rule == f.rule && what == subject,
        None => *s == f.rule,
    })
}

/// Runs every rule and appends its findings to the model, less those
/// `dmqa.toml` silences.
pub fn run(model: &mut Model) {
    let mut findings = Vec::new();
    for rule in RULES {
        (rule.check)(model, &mut findings);
    }
    findings.retain(|f| !silenced(f, &model.overrides.silence));
    for f in &mut findings {
        qualify_area(model, f);
    }
    model.findings.extend(findings);
}

/// `Indexes (geese)` → `Indexes (geese, placegoose-d1)` when several
/// databases have a `geese` table: the one the finding's locations are in.
fn qualify_area(model: &Model, f: &mut Finding) {
    let Some((head, rest)) = f.area.split_once(" (") else {
        return;
    };
    let Some(subject) = rest.strip_suffix(')') else {
        return;
    };
    let holders: Vec<&crate::model::Database> = model
        .databases
        .iter()
        .filter(|d| d.tables.iter().any(|t| t.name == subject))
        .collect();
    if holders.len() < 2 {
        return;
    }
    let of_finding = |d: &&&crate::model::Database| {
        f.locations.iter().any(|l| {
            d.sources.contains(&l.path)
                || d.tables
                    .iter()
                    .any(|t| t.name == subject && t.location.path == l.path)
        })
    };
    let mut found = holders.iter().filter(of_finding);
    let one = match (found.next(), found.next()) {
        (Some(d), None) => Some(*d),
        // Found in code (a query): the database beside that code.
        (None, _) => {
            let scored: Vec<(&crate::model::Database, usize)> = holders
                .iter()
                .map(|d| {
                    let near = f
                        .locations
                        .iter()
                        .map(|l| crate::analysis::shared_folders(&d.id, &l.path));
                    (*d, near.max().unwrap_or(0))
                })
                .collect();
            crate::analysis::nearest(&scored)
        }
        _ => None,
    };
    if let Some(d) = one {
        f.area = format!("{head} ({subject}, {})", d.short_label());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Database, Engine, Table};

    #[test]
    fn a_table_name_two_databases_share_says_which() {
        let mut model = Model::default();
        for (id, file) in [
            ("a/migrations", "a/migrations/0001.sql"),
            ("b/migrations", "b/migrations/0001.sql"),
        ] {
            let mut db = Database::empty(id, Engine::Sqlite, vec![file.to_owned()]);
            db.tables.push(Table::new("geese", Location::line(file, 1)));
            model.databases.push(db);
        }
        let area = |path: &str| {
            let mut f = finding(
                RuleId::UnindexedQuery,
                FindingSeverity::Warning,
                "Indexes (geese)".into(),
                String::new(),
                String::new(),
                "Low",
                vec![Location::line(path, 3)],
            );
            qualify_area(&model, &mut f);
            f.area
        };
        // By the schema file, by the code beside it, or not at all.
        assert_eq!(
            area("b/migrations/0001.sql"),
            "Indexes (geese, b/migrations)"
        );
        assert_eq!(area("a/src/index.ts"), "Indexes (geese, a/migrations)");
        assert_eq!(area("src/index.ts"), "Indexes (geese)");
    }

    #[test]
    fn every_rule_is_registered_once_with_a_doc_and_in_the_readme() {
        let ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted, "RULES must be sorted by id without duplicates");
        let readme = include_str!("../../../README.md");
        for r in RULES {
            for heading in ["## What it finds", "## Why it matters", "## Example"] {
                assert!(r.doc.contains(heading), "{} lacks {heading}", r.id.as_str());
            }
            let row = format!("| `{}` |", r.id.as_str());
            assert!(
                readme.contains(&row),
                "README lacks a row for {}",
                r.id.as_str()
            );
        }
        // A new variant must be added to RULES: this match fails to compile
        // when a variant is missing here, and the assert fails when it is
        // missing from RULES.
        for id in [
            RuleId::AppendOnlyTableWithoutRetention,
            RuleId::ConsumerWithoutDeadLetterQueue,
            RuleId::DurableObjectMemoryOnlyState,
            RuleId::DynamicBindingName,
            RuleId::KvKeyWithoutTtl,
            RuleId::RedundantIndex,
            RuleId::RejectedDdl,
            RuleId::SchemaDrift,
            RuleId::SelectStarOnHotPath,
            RuleId::TableWithoutPrimaryKey,
            RuleId::TemporaryObjectNeverDeleted,
            RuleId::UndeclaredBinding,
            RuleId::UnindexedForeignKey,
            RuleId::UnindexedQuery,
            RuleId::UnknownTableOrColumn,
            RuleId::UnusedBinding,
        ] {
            match id {
                RuleId::AppendOnlyTableWithoutRetention
                | RuleId::ConsumerWithoutDeadLetterQueue
                | RuleId::DurableObjectMemoryOnlyState
                | RuleId::DynamicBindingName
                | RuleId::KvKeyWithoutTtl
                | RuleId::RedundantIndex
                | RuleId::RejectedDdl
                | RuleId::SchemaDrift
                | RuleId::SelectStarOnHotPath
                | RuleId::TableWithoutPrimaryKey
                | RuleId::TemporaryObjectNeverDeleted
                | RuleId::UndeclaredBinding
                | RuleId::UnindexedForeignKey
                | RuleId::UnindexedQuery
                | RuleId::UnknownTableOrColumn
                | RuleId::UnusedBinding => assert!(ids.contains(&id)),
            }
        }
    }
}
