//! `kv-key-without-ttl`: KV keys with a variable part written without a TTL.

use super::{RuleId, finding};
use crate::model::{Finding, FindingSeverity, Model};

/// Documentation shown in the README.
pub const DOC: &str = "\
## What it finds
A KV key pattern with a variable part (`session:{token}`) that code writes
without `expirationTtl` or `expiration`.

## Why it matters
Every distinct key lives forever: sessions, caches and rate-limit counters
pile up without bound and stale values are served long after they stop
being true. Fixed keys (`config`) are left alone.

## Example
`env.LINKS.put(`session:${token}`, userId)` →
`env.LINKS.put(`session:${token}`, userId, { expirationTtl: 60 * 60 * 24 })`
";

/// One finding per such pattern.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for ns in &model.kv_namespaces {
        for p in &ns.key_patterns {
            if p.ttl.as_deref() == Some("None") && p.pattern.contains('{') {
                out.push(finding(
                    RuleId::KvKeyWithoutTtl,
                    FindingSeverity::Warning,
                    format!("KV ({})", ns.binding),
                    format!("`{}` is written without a TTL", p.pattern),
                    "⚠️ Pass `expirationTtl` (or `expiration`) when writing it, or document why it is permanent".into(),
                    "Low",
                    p.sources.clone(),
                ));
            }
        }
    }
}
