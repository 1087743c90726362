//! `key-left-behind`: code deletes two key families of one entity together
//! in one place and only one of them in another, leaving the other behind.
use crate::model::{
    BindingKind, Expiry, Finding, FindingSeverity, Key, KeyPart, Location, Model, OpKind, RuleId,
    Subject, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "Keys deleted together in one place, and only one of them in another: the other is left behind.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
Two key families of one store — a Durable Object's storage, a KV
namespace, an R2 bucket — named by the same values (`session-{id}` and
`heartbeat-{id}`), which one function deletes together, while another
function deletes the first and neither it nor the helpers it calls on the
object deletes the second (nor every key, nor a key dmqa cannot follow). A
KV family written with a TTL is left alone: it expires.

## Why it matters
The code itself says the two keys live and die together. On the path that
deletes only one, the other stays: in a long-lived Durable Object or a
namespace it piles up, one orphan per entity, and readers of the second
family see entities that are gone.

## Example
`onLeave()` deletes `session-{id}` and `heartbeat-{id}`, the timeout sweep
deletes only `session-{id}` → delete both in one helper both paths call.
";

/// A key operation of one store, in the function it runs in.
struct Op<'m> {
    scope: String,
    op: OpKind,
    key: Option<&'m Key>,
    location: &'m Location,
}

/// A function as called (`` `sweep()` ``), a route as named.
fn called(scope: &str) -> String {
    if scope.contains(' ') {
        scope.to_owned()
    } else {
        format!("`{scope}()`")
    }
}

/// The values a key is named by, sorted: `{id}` of `session-{id}`.
fn names(k: &Key) -> Vec<&str> {
    let mut v: Vec<&str> = k
        .parts()
        .iter()
        .filter_map(|p| match p {
            KeyPart::Placeholder(n) | KeyPart::Generated(n) => Some(n.as_str()),
            KeyPart::Literal(_) | KeyPart::Opaque(_) => None,
        })
        .collect();
    v.sort_unstable();
    v
}

/// A family one entity's keys belong to: named by values, not opaque.
fn family(k: &Key) -> bool {
    !k.is_opaque() && !names(k).is_empty()
}

/// One store: its row's subject and topic, its operations, and which
/// scopes a scope reaches (a Durable Object's helpers on `this`).
struct Store<'m> {
    subject: Subject,
    topic: Topic,
    ops: Vec<Op<'m>>,
    /// The Durable Object whose helpers a method reaches (none for KV / R2,
    /// whose paths are entry points already).
    object: Option<&'m crate::model::CodeDurableObject>,
    /// Every function of the store's code (a Durable Object's methods),
    /// also those with no operation of their own.
    scopes: Vec<String>,
    /// Families that expire on their own (a KV TTL).
    expiring: Vec<&'m Key>,
}

impl Store<'_> {
    /// The functions a path starting at `scope` runs: itself and the
    /// object's helpers it calls.
    fn reach(&self, scope: &str) -> Vec<String> {
        match self.object {
            Some(d) => d
                .reached_from(&[scope])
                .into_iter()
                .map(str::to_owned)
                .collect(),
            None => vec![scope.to_owned()],
        }
    }
}

fn stores(model: &Model) -> Vec<Store<'_>> {
    let mut out = Vec::new();
    for d in &model.code_durable_objects {
        out.push(Store {
            subject: Subject::Class {
                name: d.class_name.clone(),
            },
            topic: Topic::DurableObjects,
            ops: d
                .storage_ops
                .iter()
                .filter_map(|o| {
                    Some(Op {
                        scope: o.method.clone()?,
                        op: o.op,
                        key: Some(&o.key),
                        location: &o.location,
                    })
                })
                .collect(),
            object: Some(d),
            scopes: d.methods.iter().map(|m| m.name.clone()).collect(),
            expiring: Vec::new(),
        });
    }
    let mut by: std::collections::BTreeMap<(BindingKind, &str), Vec<Op<'_>>> =
        std::collections::BTreeMap::new();
    let mut expiring: Vec<(&str, &Key)> = Vec::new();
    for o in model
        .resource_ops
        .iter()
        .filter(|o| matches!(o.kind, BindingKind::Kv | BindingKind::R2))
    {
        if let (Some(k), Some(t)) = (&o.key, &o.ttl)
            && *t != Expiry::Never
        {
            expiring.push((&o.binding, k));
        }
        // A path is an entry point, with every helper it reaches; code no
        // entry point reaches is its own function.
        let scopes: Vec<String> = if o.entries.is_empty() {
            let Some(actor) = &o.actor else { continue };
            vec![match &o.class {
                Some(c) => format!("{c}.{actor}"),
                None => actor.clone(),
            }]
        } else {
            o.entries
                .iter()
                .map(crate::model::EntryPoint::name)
                .collect()
        };
        for scope in scopes {
            by.entry((o.kind, &o.binding)).or_default().push(Op {
                scope,
                op: o.op,
                key: o.key.as_ref(),
                location: &o.location,
            });
        }
    }
    for ((kind, binding), ops) in by {
        out.push(Store {
            subject: Subject::Binding {
                name: binding.to_owned(),
            },
            topic: if kind == BindingKind::Kv {
                Topic::Kv
            } else {
                Topic::R2
            },
            ops,
            object: None,
            scopes: Vec::new(),
            expiring: expiring
                .iter()
                .filter(|(b, _)| *b == binding)
                .map(|(_, k)| *k)
                .collect(),
        });
    }
    out
}

/// One finding per (store, family deleted alone, family left behind).
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for store in stores(model) {
        let deletes: Vec<&Op<'_>> = store
            .ops
            .iter()
            .filter(|o| o.op == OpKind::Delete)
            .collect();
        // Two families deleted somewhere, or nothing to compare.
        let mut families: Vec<&Key> = deletes
            .iter()
            .filter_map(|o| o.key.filter(|k| family(k)))
            .collect();
        families.sort();
        families.dedup();
        if families.len() < 2 {
            continue;
        }
        let written = |k: &Key| {
            store
                .ops
                .iter()
                .any(|o| o.op == OpKind::Write && o.key == Some(k))
        };
        let mut scopes: Vec<&str> = store
            .scopes
            .iter()
            .map(String::as_str)
            .chain(store.ops.iter().map(|o| o.scope.as_str()))
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        let reach: std::collections::HashMap<&str, std::collections::HashSet<String>> = scopes
            .iter()
            .map(|s| (*s, store.reach(s).into_iter().collect()))
            .collect();
        let reaches = |from: &str, to: &str| reach.get(from).is_some_and(|r| r.contains(to));
        // A path starts where nothing of the store's code calls it; a helper
        // is judged with each path that reaches it.
        let paths = scopes
            .iter()
            .filter(|s| !scopes.iter().any(|o| o != *s && reaches(o, s)));
        let mut reported: Vec<(&Key, &Key)> = Vec::new();
        for path in paths {
            let here: Vec<&Op<'_>> = deletes
                .iter()
                .copied()
                .filter(|o| reaches(path, &o.scope))
                .collect();
            // Every key, or one dmqa cannot follow, may be the other.
            if here.iter().any(|o| o.key.is_none_or(|k| !family(k))) {
                continue;
            }
            for a in &here {
                let Some(ka) = a.key else { continue };
                // Another path deleting `ka` with a sibling `kb` this one
                // never deletes.
                for together in deletes
                    .iter()
                    .filter(|o| !reaches(path, &o.scope) && o.key == Some(ka))
                {
                    for b in deletes
                        .iter()
                        .filter(|o| reaches(&together.scope, &o.scope))
                    {
                        let Some(kb) = b.key.filter(|k| family(k) && *k != ka) else {
                            continue;
                        };
                        if names(kb) != names(ka)
                            || here.iter().any(|o| o.key == Some(kb))
                            || store.expiring.contains(&kb)
                            || !written(kb)
                            || reported.contains(&(ka, kb))
                        {
                            continue;
                        }
                        reported.push((ka, kb));
                        let (na, nb) = (ka.notation(), kb.notation());
                        let via = if a.scope == *path {
                            String::new()
                        } else {
                            format!(" in {}", called(&a.scope))
                        };
                        out.push(
                            Finding::new(
                                RuleId::KeyLeftBehind,
                                FindingSeverity::Warning,
                                store.topic,
                                store.subject.clone(),
                                format!(
                                    "{} deletes `{na}`{via} ({}) but leaves `{nb}`, which {} deletes with it ({}): those keys are never removed on that path",
                                    called(path),
                                    a.location,
                                    called(&together.scope),
                                    b.location
                                ),
                            )
                            .advice(format!(
                                "⚠️ Delete `{nb}` wherever `{na}` is deleted (one helper both paths call)"
                            ))
                            .at(vec![a.location.clone(), b.location.clone()]),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    fn room(sweep: &str) -> Vec<testing::Row> {
        let code = format!(
            "import {{ DurableObject }} from \"cloudflare:workers\";\nexport class Room extends DurableObject {{\n  async join(id: string) {{\n    await this.ctx.storage.put(`session-${{id}}`, 1);\n    await this.ctx.storage.put(`heartbeat-${{id}}`, Date.now());\n  }}\n  async leave(id: string) {{\n    await this.ctx.storage.delete(`session-${{id}}`);\n    await this.ctx.storage.delete(`heartbeat-${{id}}`);\n  }}\n  async sweep(id: string) {{\n{sweep}\n  }}\n}}\nexport default {{ async fetch() {{ return new Response(); }} }};\n"
        );
        rows(
            RuleId::KeyLeftBehind,
            &[
                (
                    "wrangler.toml",
                    &wrangler(
                        "[[durable_objects.bindings]]\nname = \"ROOM\"\nclass_name = \"Room\"\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Room\"]\n",
                    ),
                ),
                ("src/index.ts", &code),
            ],
        )
    }

    #[test]
    fn fires_when_a_path_deletes_one_of_two_keys_deleted_together() {
        let rows = room("    await this.ctx.storage.delete(`session-${id}`);");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Durable Objects (Room)");
        assert!(
            rows[0][1].starts_with("`sweep()` deletes `session-{id}` (src/index.ts:12)")
                && rows[0][1].contains(
                    "but leaves `heartbeat-{id}`, which `leave()` deletes with it (src/index.ts:9)"
                ),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_the_path_deletes_both_or_everything() {
        // Both, one through a helper of the object.
        let rows = room(
            "    await this.ctx.storage.delete(`session-${id}`);\n    await this.forget(id);\n  }\n  async forget(id: string) {\n    await this.ctx.storage.delete(`heartbeat-${id}`);",
        );
        assert!(rows.is_empty(), "{rows:?}");
        // Every key.
        let rows = room(
            "    await this.ctx.storage.delete(`session-${id}`);\n    await this.ctx.storage.deleteAll();",
        );
        assert!(rows.is_empty(), "{rows:?}");
        // Keys deleted in one call.
        let rows = room(
            "    await this.ctx.storage.delete(`session-${id}`);\n    await this.ctx.storage.delete([`heartbeat-${id}`, `typing-${id}`]);",
        );
        assert!(rows.is_empty(), "{rows:?}");
        // A key dmqa cannot follow may be the other one.
        let rows = room(
            "    await this.ctx.storage.delete(`session-${id}`);\n    for (const k of await this.keys()) await this.ctx.storage.delete(k);",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    /// KV: a sibling written with a TTL expires on its own.
    #[test]
    fn kv_siblings_with_a_ttl_are_left_alone() {
        let code = |ttl: &str| {
            format!(
                "export default {{\n  async fetch(request: Request, env: Env) {{\n    const t = new URL(request.url).pathname;\n    await env.LINKS.put(`user:${{t}}`, \"{{}}\");\n    await env.LINKS.put(`seen:${{t}}`, \"1\"{ttl});\n    await env.LINKS.delete(`user:${{t}}`);\n    return new Response(\"ok\");\n  }},\n}};\nexport async function remove(env: Env, t: string) {{\n  await env.LINKS.delete(`user:${{t}}`);\n  await env.LINKS.delete(`seen:${{t}}`);\n}}\n"
            )
        };
        let run = |ttl: &str| {
            rows(
                RuleId::KeyLeftBehind,
                &[
                    (
                        "wrangler.toml",
                        &wrangler("[[kv_namespaces]]\nbinding = \"LINKS\"\nid = \"l\"\n"),
                    ),
                    ("src/index.ts", &code(ttl)),
                ],
            )
        };
        assert_eq!(run("").len(), 1, "{:?}", run(""));
        assert!(run(", { expirationTtl: 3600 }").is_empty());
        // The route deleting both through the helper it calls.
        let through = code("").replace(
            "    await env.LINKS.delete(`user:${t}`);\n    return",
            "    await remove(env, t);\n    return",
        );
        let rows = rows(
            RuleId::KeyLeftBehind,
            &[
                (
                    "wrangler.toml",
                    &wrangler("[[kv_namespaces]]\nbinding = \"LINKS\"\nid = \"l\"\n"),
                ),
                ("src/index.ts", &through),
            ],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
