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
            if p.ttl == [Expiry::Never] && p.pattern.has_placeholder() {
                let advice = "⚠️ Pass `expirationTtl` (or `expiration`) when writing it, or document why it is permanent";
                out.push(
                    Finding::new(
                        RuleId::KvKeyWithoutTtl,
                        FindingSeverity::Warning,
                        Topic::Kv,
                        Subject::Binding {
                            name: ns.binding.clone(),
                        },
                        format!("`{}` is written without a TTL", p.pattern.notation()),
                    )
                    .advice(advice)
                    .at(p.sources.clone()),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = "[[kv_namespaces]]\nbinding = \"LINKS\"\nid = \"links\"\n";

    fn rows_for(code: &str) -> Vec<testing::Row> {
        rows(
            RuleId::KvKeyWithoutTtl,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("src/index.ts", code),
            ],
        )
    }

    #[test]
    fn fires_on_a_variable_key_written_without_a_ttl() {
        let rows = rows_for(&testing::fetch(
            "    await env.LINKS.put(`session:${t}`, \"u\");",
        ));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "KV (LINKS)");
        assert_eq!(rows[0][1], "`session:{t}` is written without a TTL");
    }

    #[test]
    fn stays_silent_with_a_ttl_or_a_fixed_key() {
        let with_ttl = rows_for(&testing::fetch(
            "    await env.LINKS.put(`session:${t}`, \"u\", { expirationTtl: 3600 });",
        ));
        assert!(with_ttl.is_empty(), "{with_ttl:?}");
        let fixed = rows_for(&testing::fetch(
            "    await env.LINKS.put(\"config\", \"{}\");",
        ));
        assert!(fixed.is_empty(), "{fixed:?}");
    }

    /// A read that caches the key at the edge (`cacheTtl`) does not expire
    /// it: the key written without a TTL is still reported.
    #[test]
    fn a_read_with_cache_ttl_does_not_hide_it() {
        let rows = rows_for(&testing::fetch(
            "    await env.LINKS.put(`session:${t}`, \"u\");\n    await env.LINKS.get(`session:${t}`, { cacheTtl: 60 });",
        ));
        assert_eq!(rows.len(), 1, "{rows:?}");
    }
}
