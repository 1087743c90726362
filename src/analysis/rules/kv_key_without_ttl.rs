//! `kv-key-without-ttl`: KV keys with a variable part written without a TTL.
use crate::model::{Expiry, Finding, FindingSeverity, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A KV key pattern written without a TTL.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
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
            // Every write leaves it without a TTL; what reads cache it
            // (`cacheTtl`) does not expire it.
            if p.ttl == [Expiry::Never] && p.pattern.contains('{') {
                let advice = "⚠️ Pass `expirationTtl` (or `expiration`) when writing it, or document why it is permanent";
                out.push(
                    Finding::new(
                        RuleId::KvKeyWithoutTtl,
                        FindingSeverity::Warning,
                        Topic::Kv,
                        Subject::Binding {
                            name: ns.binding.clone(),
                        },
                        format!("`{}` is written without a TTL", p.pattern),
                    )
                    .advice(advice)
                    .at(p.sources.clone()),
                );
            }
        }
    }
}
