//! Recommendation rules: one file per rule, one explicit registry.
//!
//! Each rule reads the finished model and pushes [`Finding`]s. A rule that
//! does not apply pushes nothing. Rule ids are kebab-case and name the
//! pattern found, not the fix; the README documents each one with the same
//! text as its `DOC`.

mod dynamic_binding_name;
mod rejected_ddl;
mod schema_drift;

use crate::model::{Finding, Model};

/// Every rule, by stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleId {
    /// A binding reached through a name computed at run time.
    DynamicBindingName,
    /// DDL that SQLite, and so D1, rejects.
    RejectedDdl,
    /// A Drizzle schema and the migrations of its database disagree.
    SchemaDrift,
}

impl RuleId {
    /// The id used in output and in `dmqa.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::DynamicBindingName => "dynamic-binding-name",
            RuleId::RejectedDdl => "rejected-ddl",
            RuleId::SchemaDrift => "schema-drift",
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
        id: RuleId::DynamicBindingName,
        check: dynamic_binding_name::check,
        doc: dynamic_binding_name::DOC,
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
];

/// Runs every rule and appends its findings to the model.
pub fn run(model: &mut Model) {
    let mut findings = Vec::new();
    for rule in RULES {
        (rule.check)(model, &mut findings);
    }
    model.findings.extend(findings);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_registered_once_with_a_doc() {
        let ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted, "RULES must be sorted by id without duplicates");
        for r in RULES {
            for heading in ["## What it finds", "## Why it matters", "## Example"] {
                assert!(r.doc.contains(heading), "{} lacks {heading}", r.id.as_str());
            }
        }
        // A new variant must be added to RULES: this match fails to compile
        // when a variant is missing here, and the assert fails when it is
        // missing from RULES.
        for id in [
            RuleId::DynamicBindingName,
            RuleId::RejectedDdl,
            RuleId::SchemaDrift,
        ] {
            match id {
                RuleId::DynamicBindingName | RuleId::RejectedDdl | RuleId::SchemaDrift => {
                    assert!(ids.contains(&id))
                }
            }
        }
    }
}
