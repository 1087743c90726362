//! The words for the model's typed facts: every phrase the report and the
//! annotations print for a fact is chosen here, once.

use crate::model::{
    Effort, Expiry, Finding, FindingSeverity, Fix, Lifecycle, Model, Subject, Topic, ValueKind,
    ValueType,
};

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

/// Seconds in the largest exact unit: `60s` → `1m`, `300` → `5m`, `7d`.
pub fn duration(secs: u64) -> String {
    if secs == 0 {
        "0s".into()
    } else if secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else if secs.is_multiple_of(3_600) {
        format!("{}h", secs / 3_600)
    } else if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// A TTL: `5m`, `Absolute`, `None`, or the expression that sets it.
pub fn expiry(e: &Expiry) -> String {
    match e {
        Expiry::Ttl { secs } => duration(*secs),
        Expiry::Absolute => "Absolute".into(),
        Expiry::Never => "None".into(),
        Expiry::Unknown { expr } => format!("`{expr}`"),
    }
}

/// A KV key pattern's TTL cell: every TTL its writes set (`-` when code
/// only reads it), then the `cacheTtl` its reads pass.
pub fn ttl_cell(written: &[Expiry], cached: &[Expiry]) -> String {
    let join = |v: &[Expiry]| v.iter().map(expiry).collect::<Vec<_>>().join(" / ");
    let mut out = if written.is_empty() {
        "-".to_owned()
    } else {
        join(written)
    };
    if !cached.is_empty() {
        out.push_str(&format!(" (read with cacheTtl {})", join(cached)));
    }
    out
}

/// A KV value type: `JSON`, `Counter`, `- + metadata`.
pub fn value_type(v: ValueType) -> String {
    let kind = match v.kind {
        Some(ValueKind::Json) => "JSON",
        Some(ValueKind::Counter) => "Counter",
        Some(ValueKind::Number) => "Number",
        Some(ValueKind::String) => "String",
        Some(ValueKind::Binary) => "Binary",
        None => "-",
    };
    if v.metadata {
        format!("{kind} + metadata")
    } else {
        kind.to_owned()
    }
}

/// An R2 key pattern's Lifecycle cell.
pub fn lifecycle(l: &Lifecycle) -> String {
    match l {
        Lifecycle::ReadOnly => "Read only (written elsewhere)".into(),
        Lifecycle::DeletedBy { actor } => format!("Deleted by {actor}()"),
        Lifecycle::TemporaryNeverDeleted => "Temporary, never deleted".into(),
        Lifecycle::Permanent => "Permanent".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_exact_unit() {
        assert_eq!(duration(60), "1m");
        assert_eq!(duration(90), "90s");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(3_600), "1h");
        assert_eq!(duration(604_800), "7d");
        assert_eq!(duration(0), "0s");
    }

    #[test]
    fn ttls_are_listed_by_duration_not_by_text() {
        let mut ttls = vec![
            Expiry::Never,
            Expiry::Ttl { secs: 600 },
            Expiry::Unknown {
                expr: "opts.ttl".into(),
            },
            Expiry::Ttl { secs: 300 },
            Expiry::Absolute,
        ];
        ttls.sort();
        assert_eq!(
            ttl_cell(&ttls, &[Expiry::Ttl { secs: 60 }]),
            "5m / 10m / Absolute / None / `opts.ttl` (read with cacheTtl 1m)"
        );
        assert_eq!(ttl_cell(&[], &[]), "-");
    }
}
