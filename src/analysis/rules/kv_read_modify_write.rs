//! `kv-read-modify-write`: a KV value read, changed and written back.

use crate::model::{BindingKind, EntryPoint, Finding, FindingSeverity, Location, Model, OpKind};
use crate::model::{RuleId, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "A KV value read, changed and written back, or created after a read found it missing.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
In code an entry point reaches, a KV `put` whose value is built from what
a `get` of the same key returned — in the same function, or through a
helper that returns the read (`const sites = await getSites(env);
sites.push(site); await env.KV.put(\"sites\", JSON.stringify(sites))`) — or
a `put` that runs only after a `get` of the same key found nothing (`if
(existing) throw createError({ status: 409 })`: a create that refuses to
overwrite).

## Why it matters
KV has no transactions and no compare-and-set, and a read may return a
value up to 60 seconds old: two requests that change the same key at once
both write, and the last write silently drops the other's change. A list
or counter kept in one KV value loses entries under concurrent use, and two
creates of the same key both pass the existence check.

## Example
`sites` read, appended to and written back by `POST /api/sites` → keep the
list in a Durable Object (single-threaded per key) or D1, or store one key
per item (`site:{domain}`) and list them by prefix.
";

/// The entry points that write a key, and where it is read and written.
type Writes<'m> = (Vec<&'m EntryPoint>, Vec<Location>);

/// One finding per (binding, key, shape), with every write.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // The bool: a create after an existence check, not a change.
    let mut found: BTreeMap<(&str, String, bool), Writes<'_>> = BTreeMap::new();
    for op in &model.resource_ops {
        if op.kind != BindingKind::Kv || op.op != OpKind::Write || op.entries.is_empty() {
            continue;
        }
        let (read, create) = match (&op.writes_back, &op.checked_first) {
            (Some(r), _) => (r, false),
            (None, Some(r)) => (r, true),
            _ => continue,
        };
        let Some(key) = &op.key else {
            continue;
        };
        let e = found
            .entry((op.binding.as_str(), key.notation(), create))
            .or_default();
        e.0.extend(&op.entries);
        e.1.push(op.location.clone());
        e.1.push(read.clone());
    }
    for ((binding, key, create), (mut entries, mut locations)) in found {
        entries.sort();
        entries.dedup();
        let first = super::sort_first(&mut locations);
        let by = crate::render::words::entry_list(entries);
        let (current, advice) = if create {
            (
                format!("`{key}` is created by {by} after a get found it missing ({first})"),
                "⚠️ Not atomic: two concurrent creates both find it missing and the last write wins (KV has no compare-and-set and a read may be 60 s old); create it in a Durable Object or behind a D1 UNIQUE key",
            )
        } else {
            (
                format!("`{key}` is read, changed and written back by {by} ({first})"),
                "⚠️ Concurrent writers lose updates: KV has no transactions or compare-and-set and a read may be 60 s old; keep this state in a Durable Object or D1, or one key per item",
            )
        };
        out.push(
            Finding::new(
                RuleId::KvReadModifyWrite,
                FindingSeverity::Warning,
                Topic::Kv,
                Subject::Binding {
                    name: binding.to_owned(),
                },
                current,
            )
            .advice(advice)
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fetch, rows, wrangler};
    use crate::model::RuleId;

    const KV: &str = "[[kv_namespaces]]\nbinding = \"KV\"\nid = \"k\"\n";

    fn rows_for(code: &str) -> Vec<super::super::testing::Row> {
        rows(
            RuleId::KvReadModifyWrite,
            &[("wrangler.toml", &wrangler(KV)), ("src/index.ts", code)],
        )
    }

    const HELPER: &str = "async function getSites(env: Env): Promise<string[]> {\n  return ((await env.KV.get(\"sites\", \"json\")) as string[]) ?? [];\n}\n";

    #[test]
    fn fires_on_a_value_read_through_a_helper_and_written_back() {
        let code = format!(
            "{HELPER}{}",
            fetch(
                "    const sites = await getSites(env);\n    sites.push(t);\n    await env.KV.put(\"sites\", JSON.stringify(sites));"
            )
        );
        let rows = rows_for(&code);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "KV (KV)");
        assert!(
            rows[0][1]
                .starts_with("`sites` is read, changed and written back by fetch (src/index.ts:"),
            "{rows:?}"
        );
        assert!(rows[0][2].contains("lose updates"), "{rows:?}");
    }

    #[test]
    fn fires_on_a_read_in_the_same_function_through_locals() {
        let rows = rows_for(&fetch(
            "    const raw = await env.KV.get(`results:${t}`, \"json\");\n    const list = (raw as string[] | null) ?? [];\n    await env.KV.put(`results:${t}`, JSON.stringify([t, ...list].slice(0, 90)));",
        ));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0][1].starts_with("`results:{t}` is read"), "{rows:?}");
    }

    #[test]
    fn fires_on_a_create_after_an_existence_check() {
        let rows = rows_for(&fetch(
            "    const existing = await env.KV.get(`link:${t}`);\n    if (existing) {\n      throw new Error(\"taken\");\n    }\n    await env.KV.put(`link:${t}`, \"x\");",
        ));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].starts_with("`link:{t}` is created by fetch after a get found it missing"),
            "{rows:?}"
        );
        assert!(rows[0][2].starts_with("⚠️ Not atomic"), "{rows:?}");
    }

    #[test]
    fn stays_silent_when_the_value_does_not_come_from_the_read() {
        // A cache fill: the read decides, the value is computed afresh.
        assert!(rows_for(&fetch(
            "    const hit = await env.KV.get(`page:${t}`);\n    if (hit) return new Response(hit);\n    const body = await render(t);\n    await env.KV.put(`page:${t}`, body, { expirationTtl: 300 });"
        ))
        .is_empty());
        // A cache fill through the same local: what is written is loaded.
        assert!(rows_for(&fetch(
            "    let app = await env.KV.get(`app:${t}`, \"json\");\n    if (!app) {\n      app = await load(t);\n      await env.KV.put(`app:${t}`, JSON.stringify(app));\n    }"
        ))
        .is_empty());
        // Another key.
        assert!(rows_for(&format!(
            "{HELPER}{}",
            fetch("    const sites = await getSites(env);\n    await env.KV.put(\"backup\", JSON.stringify(sites));")
        ))
        .is_empty());
    }
}
