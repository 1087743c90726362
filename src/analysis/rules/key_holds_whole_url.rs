//! `key-holds-whole-url`: a KV or R2 key holding the whole request URL,
//! whose length the client chooses, past the key size limit.

use crate::model::{
    BindingKind, Finding, FindingSeverity, Location, Model, RuleId, Subject, Topic,
};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "A KV or R2 key holding the whole request URL, which can pass the 512 / 1,024-byte key limit.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A KV or R2 call whose key holds the whole request URL: `request.url`,
`c.req.url`, or the `href` / `toString()` / template of a `new
URL(request.url)`, through locals, templates and `+`. A key built from the
path, one query value or a hash of the URL is left alone.

## Why it matters
A KV key holds at most 512 bytes and an R2 key 1,024. A URL is as long as
the client makes it (tracking parameters, a long query), so a cache keyed
by it works in tests and throws on the first long URL: the `get` or `put`
fails and the request with it.

## Example
`await env.CACHE.get(request.url)` → key by a SHA-256 of the URL
(`crypto.subtle.digest(\"SHA-256\", new TextEncoder().encode(url))`), or by
the parts that name the resource (the path and the query values it reads).
";

/// One finding per (binding, key pattern).
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut found: BTreeMap<(&str, BindingKind, String), (&str, Vec<Location>)> = BTreeMap::new();
    for op in &model.resource_ops {
        let (Some(url), Some(key)) = (&op.whole_url, &op.key) else {
            continue;
        };
        let e = found
            .entry((op.binding.as_str(), op.kind, key.notation()))
            .or_insert((url.as_str(), Vec::new()));
        e.1.push(op.location.clone());
    }
    for ((binding, kind, key), (url, mut locations)) in found {
        let (limit, topic) = match kind {
            BindingKind::Kv => ("512", Topic::Kv),
            BindingKind::R2 => ("1,024", Topic::R2),
            _ => continue,
        };
        let at = super::sort_first(&mut locations);
        out.push(
            Finding::new(
                RuleId::KeyHoldsWholeUrl,
                FindingSeverity::Warning,
                topic,
                Subject::Binding {
                    name: binding.to_owned(),
                },
                format!(
                    "`{key}` holds the whole request URL (`{url}`, {at}): a client can send a longer URL than the {limit} bytes a key may hold, and the call throws"
                ),
            )
            .advice("⚠️ Key by a SHA-256 of the URL, or by the parts that name the resource (its path and the query values it reads)")
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const CONFIG: &str = "[[kv_namespaces]]\nbinding = \"CACHE\"\nid = \"c\"\n\n[[r2_buckets]]\nbinding = \"PAGES\"\nbucket_name = \"pages\"\n";

    fn rows_for(body: &str) -> Vec<testing::Row> {
        rows(
            RuleId::KeyHoldsWholeUrl,
            &[
                ("wrangler.toml", &wrangler(CONFIG)),
                ("src/index.ts", &testing::fetch(body)),
            ],
        )
    }

    #[test]
    fn fires_on_a_key_holding_the_whole_url() {
        let rows = rows_for(
            "    const url = new URL(request.url);\n    const hit = await env.CACHE.get(request.url);\n    await env.PAGES.put(`full/${url.href}`, hit);",
        );
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0][0], "KV (CACHE)");
        assert_eq!(
            rows[0][1],
            "`{url}` holds the whole request URL (`request.url`, src/index.ts:5): a client can send a longer URL than the 512 bytes a key may hold, and the call throws"
        );
        assert_eq!(rows[1][0], "R2 (PAGES)");
        assert!(rows[1][1].contains("than the 1,024 bytes"), "{rows:?}");
    }

    #[test]
    fn stays_silent_on_a_path_a_query_value_or_a_hash() {
        let rows = rows_for(
            "    const url = new URL(request.url);\n    await env.PAGES.put(url.pathname, request.body);\n    await env.CACHE.put(`q:${url.searchParams.get(\"q\")}`, \"1\");\n    await env.CACHE.put(await sha256(request.url), \"1\");",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
