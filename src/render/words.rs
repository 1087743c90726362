//! The words for the model's typed facts: every phrase the report and the
//! annotations print for a fact is chosen here, once.

use crate::model::{Effort, Finding, FindingSeverity, Fix, Model, Subject, Topic};

/// The head of a finding's Area (`Indexes`, `Durable Objects`).
pub fn topic(t: Topic) -> &'static str {
    match t {
        Topic::Bindings => "Bindings",
        Topic::Ddl => "DDL",
        Topic::Drift => "Drift",
        Topic::DurableObjects => "Durable Objects",
        Topic::Indexes => "Indexes",
        Topic::Keys => "Keys",
        Topic::Kv => "KV",
        Topic::Migration => "Migration",
        Topic::Queries => "Queries",
        Topic::Queues => "Queues",
        Topic::R2 => "R2",
        Topic::Retention => "Retention",
    }
}

/// A finding's Area: `Indexes`, `Bindings (AVATARS)`, `Indexes (geese,
/// placegoose-d1)` when several databases have a `geese` table.
pub fn area(model: &Model, f: &Finding) -> String {
    let head = topic(f.topic);
    let database = match &f.subject {
        Subject::Table {
            database: Some(id), ..
        } => model
            .databases
            .iter()
            .find(|d| &d.id == id)
            .map(|d| d.short_label()),
        _ => None,
    };
    match (f.subject.key(), database) {
        (key, _) if key.is_empty() => head.to_owned(),
        (key, Some(db)) => format!("{head} ({key}, {db})"),
        (key, None) => format!("{head} ({key})"),
    }
}

/// A finding's Recommendation cell.
pub fn recommendation(f: &Finding) -> String {
    if f.severity == FindingSeverity::Keep {
        // A checked-and-fine row reads `✅ Keep`, with the rule's remark after.
        return match f.advice.trim() {
            "" | "Keep" | "✅ Keep" => "✅ Keep".to_owned(),
            other if other.starts_with('✅') => other.to_owned(),
            other => format!("✅ Keep — {other}"),
        };
    }
    match &f.fix {
        Some(fix @ Fix::CreateIndex { plan, .. }) if !plan.is_empty() => {
            format!("⚠️ Add `{}` (plan then: `{}`)", fix.sql(), plan.join("; "))
        }
        Some(fix @ Fix::CreateIndex { .. }) => format!("⚠️ Add `{}`", fix.sql()),
        Some(fix @ Fix::DropIndex { .. }) => format!("⚠️ Drop it: `{}`", fix.sql()),
        None => f.advice.clone(),
    }
}

/// A rule's or finding's severity.
pub fn severity(s: FindingSeverity) -> &'static str {
    match s {
        FindingSeverity::Error => "error",
        FindingSeverity::Warning => "warning",
        FindingSeverity::Keep => "keep",
    }
}

/// A finding's Effort cell.
pub fn effort(e: Effort) -> &'static str {
    match e {
        Effort::None => "-",
        Effort::Low => "Low",
        Effort::Medium => "Medium",
        Effort::High => "High",
    }
}
