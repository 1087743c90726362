//! `kv-ttl-below-minimum`: a KV write or read with a TTL under the 60
//! seconds KV accepts.

use crate::model::{BindingKind, Expiry, Finding, FindingSeverity, Location, Model, OpKind};
use crate::model::{RuleId, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A KV expirationTtl or cacheTtl under the 60 seconds KV accepts.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A KV `put` whose `expirationTtl` (workers-rs `expiration_ttl`), or a `get`
whose `cacheTtl`, folds to fewer than 60 seconds.

## Why it matters
KV's minimum for both is 60 seconds: the call throws (`Invalid
expiration_ttl of 30. Expiration TTL must be at least 60`), so the write
never happens and the request fails. It works in local development, which
does not enforce the limit, and fails once deployed.

## Example
`env.OTP.put(key, code, { expirationTtl: 30 })` → `expirationTtl: 60`, or
keep the expiry time in the value and check it on read.
";

/// One finding per (binding, key, option, seconds).
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut found: BTreeMap<(&str, String, &str, u64), Vec<Location>> = BTreeMap::new();
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.kind == BindingKind::Kv)
    {
        let (option, ttl) = match op.op {
            OpKind::Write => ("expirationTtl", &op.ttl),
            OpKind::Read => ("cacheTtl", &op.cache_ttl),
            _ => continue,
        };
        if let Some(Expiry::Ttl { secs }) = ttl
            && *secs < 60
        {
            let key = op.key.as_ref().map(|k| k.notation()).unwrap_or_default();
            found
                .entry((op.binding.as_str(), key, option, *secs))
                .or_default()
                .push(op.location.clone());
        }
    }
    for ((binding, key, option, secs), mut locations) in found {
        let at = super::sort_first(&mut locations);
        out.push(
            Finding::new(
                RuleId::KvTtlBelowMinimum,
                FindingSeverity::Error,
                Topic::Kv,
                Subject::Binding {
                    name: binding.to_owned(),
                },
                format!("`{key}` uses `{option}: {secs}` ({at})"),
            )
            .advice(format!(
                "❌ KV rejects any {option} under 60 seconds and the call throws: use 60 or more"
            ))
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fetch, rows, wrangler};
    use crate::model::RuleId;

    fn rows_for(body: &str) -> Vec<super::super::testing::Row> {
        rows(
            RuleId::KvTtlBelowMinimum,
            &[
                (
                    "wrangler.toml",
                    &wrangler("[[kv_namespaces]]\nbinding = \"OTP\"\nid = \"k\"\n"),
                ),
                (
                    "src/index.ts",
                    &format!("const SHORT = 30;\n{}", fetch(body)),
                ),
            ],
        )
    }

    #[test]
    fn fires_on_a_ttl_under_a_minute() {
        let rows = rows_for("    await env.OTP.put(`otp:${t}`, \"1\", { expirationTtl: SHORT });");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "KV (OTP)");
        assert!(
            rows[0][1].starts_with("`otp:{t}` uses `expirationTtl: 30`"),
            "{rows:?}"
        );
        assert!(rows[0][2].starts_with("❌ KV rejects"), "{rows:?}");
        assert_eq!(
            rows_for("    await env.OTP.get(`otp:${t}`, { cacheTtl: 10 });").len(),
            1
        );
    }

    #[test]
    fn stays_silent_from_a_minute_up() {
        assert!(
            rows_for("    await env.OTP.put(`otp:${t}`, \"1\", { expirationTtl: 60 });").is_empty()
        );
        assert!(rows_for("    await env.OTP.get(`otp:${t}`, { cacheTtl: 300 });").is_empty());
    }
}
