//! `kv-key-without-ttl`: KV keys with a variable part written without a TTL.
use crate::model::{
    BindingKind, Expiry, Finding, FindingSeverity, KeyPart, Model, OpKind, RuleId, Subject, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A KV key family that keeps making new keys, written without a TTL.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A KV key pattern that code writes without `expirationTtl` or `expiration`
and that makes a new key again and again: a part drawn fresh on each write
(`crypto.randomUUID()`, `nanoid()`, Rust `Uuid::new_v4()`, the clock:
`Date.now()`, a time bucket), a part naming the build it belongs to
(`{buildId}`: each deploy starts a new set), or a family named for short-lived data (`session:`, `cache:`,
`token:`, `otp:`, `nonce:`, `lock:`, `ratelimit:`, `tmp:` …, in the key or
in the namespace's binding: `SESSIONS`, `PAGE_CACHE`).

## Why it matters
Every distinct key lives forever: sessions, caches and rate-limit counters
pile up without bound and stale values are served long after they stop
being true. Records keyed by an entity (`user:{id}`, `site:{domain}:config`,
an index kept in one key) live as long as the entity and are left alone,
as are fixed keys (`config`).

## Example
`env.LINKS.put(`session:${token}`, userId)` →
`env.LINKS.put(`session:${token}`, userId, { expirationTtl: 60 * 60 * 24 })`
";

/// One finding per such pattern.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for ns in &model.kv_namespaces {
        for p in &ns.key_patterns {
            // Every write leaves it without a TTL; what reads cache it
            // (`cacheTtl`) does not expire it. A key built elsewhere may
            // be any family: nothing to say of it.
            if p.ttl == [Expiry::Never]
                && p.pattern.has_placeholder()
                && !p.pattern.is_opaque()
                && grows(model, &ns.binding, p)
            {
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

/// Words of a key's literal text that name short-lived data.
const SHORT_LIVED: &[&str] = &[
    "cache",
    "cached",
    "session",
    "sessions",
    "sess",
    "token",
    "tokens",
    "otp",
    "nonce",
    "nonces",
    "lock",
    "locks",
    "ratelimit",
    "ratelimits",
    "throttle",
    "tmp",
    "temp",
    "temporary",
    "challenge",
    "csrf",
    "verification",
    "idempotency",
    "dedupe",
    "dedup",
];

/// Whether writes of `p` keep making new keys: one of its writes draws a
/// part fresh each time, or its literal text or the namespace's binding
/// (`SESSIONS`, `NEXT_INC_CACHE_KV`) names short-lived data.
fn grows(model: &Model, binding: &str, p: &crate::model::KeyPattern) -> bool {
    let shape = p.pattern.shape();
    let fresh = model.resource_ops.iter().any(|o| {
        o.kind == BindingKind::Kv
            && o.binding == binding
            && o.op == OpKind::Write
            && o.key
                .as_ref()
                .is_some_and(|k| k.shape() == shape && k.is_generated())
    });
    // `sessionToken`, `rate_limit:`, `NEXT_INC_CACHE_KV` → their words.
    let short_lived = |s: &str| {
        let words = if s.chars().any(|c| c.is_ascii_lowercase()) {
            crate::sources::split_camel(s, '_')
        } else {
            s.to_ascii_lowercase()
        };
        words
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| SHORT_LIVED.contains(&w))
    };
    // `{buildId}/{tag}`: a new set of keys with every deploy.
    fresh
        || super::build_scoped_keys_never_pruned::build_scoped(&p.pattern)
        || short_lived(binding)
        || p.pattern.parts().iter().any(|part| match part {
            KeyPart::Literal(s) => short_lived(s),
            _ => false,
        })
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
        // A key handed in as a parameter may be any family, here in a
        // namespace whose name says cache.
        let opaque = rows(
            RuleId::KvKeyWithoutTtl,
            &[
                (
                    "wrangler.toml",
                    &wrangler("[[kv_namespaces]]\nbinding = \"PAGE_CACHE\"\nid = \"c\"\n"),
                ),
                (
                    "src/index.ts",
                    "export async function store(env: Env, key: string) {\n  await env.PAGE_CACHE.put(key, \"v\");\n}\n",
                ),
            ],
        );
        assert!(opaque.is_empty(), "{opaque:?}");
    }

    /// A key drawn fresh on each write grows without bound: a UUID (also
    /// through a local), the clock; a record keyed by an entity does not.
    #[test]
    fn fires_on_fresh_keys_and_stays_silent_on_entity_records() {
        let fresh = rows_for(&testing::fetch(
            "    const id = crypto.randomUUID();\n    await env.LINKS.put(id, \"u\");\n    await env.LINKS.put(`hit:${t}:${Math.floor(Date.now() / 60000)}`, \"1\");",
        ));
        let current: Vec<&str> = fresh.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(
            current,
            [
                "`hit:{t}:{floor}` is written without a TTL",
                "`{id}` is written without a TTL"
            ],
            "{fresh:?}"
        );
        let cache = rows(
            RuleId::KvKeyWithoutTtl,
            &[
                (
                    "wrangler.toml",
                    &wrangler("[[kv_namespaces]]\nbinding = \"PAGE_CACHE\"\nid = \"c\"\n"),
                ),
                (
                    "src/index.ts",
                    &testing::fetch("    await env.PAGE_CACHE.put(`${t}`, \"<html>\");"),
                ),
            ],
        );
        assert_eq!(cache.len(), 1, "{cache:?}");
        let records = rows_for(&testing::fetch(
            "    await env.LINKS.put(`site:${t}:models`, \"[]\");\n    await env.LINKS.put(`user:${t}`, \"{}\");",
        ));
        assert!(records.is_empty(), "{records:?}");
        // Keyed by the build: every deploy writes a new set.
        let builds = rows_for(&testing::fetch(
            "    const buildId = env.BUILD_ID;\n    await env.LINKS.put(`${buildId}/${t}`, \"1\");",
        ));
        assert_eq!(builds.len(), 1, "{builds:?}");
    }

    /// Rust: a `format!` argument drawn fresh (`Uuid::new_v4()`) makes a
    /// new key per write; one from the request does not prove it.
    #[test]
    fn rust_fresh_keys_fire() {
        let with = |arg: &str| {
            let code = format!(
                "use worker::*;\n#[event(fetch)]\nasync fn main(req: Request, env: Env, _ctx: Context) -> Result<Response> {{\n    let kv = env.kv(\"LINKS\")?;\n    kv.put(&format!(\"event:{{}}\", {arg}), \"x\")?.execute().await?;\n    Response::ok(\"ok\")\n}}\n"
            );
            rows(
                RuleId::KvKeyWithoutTtl,
                &[
                    ("wrangler.toml", &wrangler(WRANGLER)),
                    ("src/lib.rs", &code),
                ],
            )
        };
        assert_eq!(with("uuid::Uuid::new_v4()").len(), 1);
        assert!(with("req.path()").is_empty());
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
