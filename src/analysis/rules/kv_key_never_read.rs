//! `kv-key-never-read`: a KV key family the code writes and nothing in the
//! checkout reads, lists or hands to a library that could.

use crate::model::{BindingKind, Finding, FindingSeverity, Model, OpKind, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A KV key family the code writes and no code of the checkout reads.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A KV key pattern that code writes (`put`) and that no code of the checkout
reads back: no `get` / `getWithMetadata` of the same pattern, no `list()`
whose prefix covers it. It stays silent for a namespace read through a key
dmqa cannot follow or made only of run-time values (any family could be
read there: `get(key.name)` of a listing under a run-time prefix), for a namespace no code of the checkout reads at all (its reader
may be elsewhere), and for a binding handed to a library or a whole `env`
handed to a package, which may read it by name.

## Why it matters
Every write is billed (KV writes cost ten times a read) and every key is
stored until it expires: a family no one reads is either a leftover of
removed code, or a reader that lives outside the repository. Say which:
delete the writes, or note the outside reader so a reviewer does not.

## Example
`env.CACHE.put(`stats:${day}`, json)` in a namespace the code reads only
for `page:{path}` → remove the write, or read it where the stats are
served.
";

/// One finding per such pattern.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // A package given the whole `env` may read any binding.
    if !model.env_handoffs.is_empty() {
        return;
    }
    for ns in &model.kv_namespaces {
        let ops: Vec<_> = model
            .resource_ops
            .iter()
            .filter(|o| o.kind == BindingKind::Kv && o.binding == ns.binding)
            .collect();
        let reads: Vec<_> = ops
            .iter()
            .filter(|o| matches!(o.op, OpKind::Read | OpKind::Head))
            .collect();
        // A key of run-time values only (`{url}{key}`: a listing of
        // another namespace under a run-time prefix) may be any family.
        let unfollowed = reads
            .iter()
            .any(|o| o.key.as_ref().is_none_or(|k| !k.has_literal()));
        let handed = model.handoffs.iter().any(|h| h.binding == ns.binding);
        // A namespace with no read dmqa found may be read where it cannot
        // see (a library, another repository): only a family missing among
        // the reads it does see is said to be unread.
        if reads.is_empty() || unfollowed || handed {
            continue;
        }
        let listed: Vec<&str> = ops
            .iter()
            .filter(|o| o.op == OpKind::List)
            .map(|o| o.key.as_ref().map_or("", |k| k.literal_prefix()))
            .collect();
        for p in &ns.key_patterns {
            let shape = p.pattern.shape();
            let written = ops.iter().any(|o| {
                o.op == OpKind::Write && o.key.as_ref().is_some_and(|k| k.shape() == shape)
            });
            let read = reads
                .iter()
                .any(|o| o.key.as_ref().is_some_and(|k| k.shape() == shape));
            let in_list = listed
                .iter()
                .any(|prefix| p.pattern.literal_prefix().starts_with(prefix));
            if !written || read || in_list || p.pattern.is_opaque() {
                continue;
            }
            out.push(
                Finding::new(
                    RuleId::KvKeyNeverRead,
                    FindingSeverity::Warning,
                    Topic::Kv,
                    Subject::Binding {
                        name: ns.binding.clone(),
                    },
                    format!(
                        "`{}` is written ({}) and no code of the checkout reads or lists it",
                        p.pattern.notation(),
                        p.sources.first().map(ToString::to_string).unwrap_or_default()
                    ),
                )
                .advice(
                    "⚠️ Remove the writes if nothing reads them (each one is billed), or say in a comment which outside reader uses it",
                )
                .at(p.sources.clone()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const KV: &str = "[[kv_namespaces]]\nbinding = \"KV\"\nid = \"k\"\n";

    fn rows_for(body: &str) -> Vec<testing::Row> {
        rows(
            RuleId::KvKeyNeverRead,
            &[
                ("wrangler.toml", &wrangler(KV)),
                ("src/index.ts", &testing::fetch(body)),
            ],
        )
    }

    const WRITE: &str = "    await env.KV.put(`stats:${t}`, \"1\");";

    #[test]
    fn fires_on_a_family_written_and_never_read() {
        let rows = rows_for(&format!(
            "{WRITE}\n    const v = await env.KV.get(`user:${{t}}`);\n    await env.KV.put(`user:${{t}}`, v ?? \"\");"
        ));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "KV (KV)");
        assert_eq!(
            rows[0][1],
            "`stats:{t}` is written (src/index.ts:4) and no code of the checkout reads or lists it"
        );
    }

    #[test]
    fn stays_silent_when_read_listed_or_read_through_an_unknown_key() {
        // No read of the namespace at all: its reader may be elsewhere.
        assert!(rows_for(WRITE).is_empty());
        let read = format!("{WRITE}\n    await env.KV.get(`stats:${{request.url}}`);");
        assert!(rows_for(&read).is_empty());
        let listed = format!("{WRITE}\n    await env.KV.list({{ prefix: \"stats:\" }});");
        assert!(rows_for(&listed).is_empty());
        let unknown =
            format!("{WRITE}\n    const k = await request.text();\n    await env.KV.get(k);");
        assert!(rows_for(&unknown).is_empty());
        // A key of run-time values only: a listing of another namespace
        // under a run-time prefix, its names read here.
        let runtime_only = format!(
            "{WRITE}\n    const p = new URL(request.url).pathname;\n    const l = await env.OTHER.list({{ prefix: p }});\n    for (const k of l.keys) await env.KV.get(k.name);"
        );
        let two = format!("{KV}[[kv_namespaces]]\nbinding = \"OTHER\"\nid = \"o\"\n");
        let rows_two = rows(
            RuleId::KvKeyNeverRead,
            &[
                ("wrangler.toml", &wrangler(&two)),
                ("src/index.ts", &testing::fetch(&runtime_only)),
            ],
        );
        assert!(rows_two.is_empty(), "{rows_two:?}");
    }
}
