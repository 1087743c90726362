//! `global-durable-object-instance`: every request reaches one Durable
//! Object instance, named by a constant.
use crate::model::{
    BindingKind, Finding, FindingSeverity, Instance, Location, Model, RuleId, Subject, Topic,
};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "Every caller on a request path reaches one Durable Object instance, named by a constant.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A Durable Object class that code reaches only through one constant name
(`idFromName(\"global\")`, `getByName(\"lobby\")`) — no caller picks an
instance by a value of the request — when an HTTP route or a queue
consumer makes such a call.

## Why it matters
That one instance runs every call one at a time, in one location: a
single Durable Object serves on the order of 1,000 requests per second,
and every request from far away pays the round trip to it. What was a
counter or a lock for a few users becomes the bottleneck of the whole
Worker as traffic grows.

## Example
`env.COUNTER.getByName(\"global\").increment()` on every page view → shard
it (`getByName(`counter-${hash(path) % 16}`)`) and sum the shards when
reading, or keep per-user state in per-user instances.
";

/// One finding per class.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // Class → where its hot paths call it, and those paths.
    let mut hot: BTreeMap<String, (Vec<Location>, Vec<String>)> = BTreeMap::new();
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.kind == BindingKind::DurableObject && o.instance.is_some())
    {
        let on_hot_path = op.hot_entries();
        if !on_hot_path.is_empty() {
            let class =
                super::super::binding_target(model, BindingKind::DurableObject, &op.binding);
            let (at, routes) = hot.entry(class).or_default();
            at.push(op.location.clone());
            routes.extend(on_hot_path.into_iter().map(crate::model::EntryPoint::name));
        }
    }
    for d in &model.durable_objects {
        let [Instance::Named { name }] = d.instances.as_slice() else {
            continue;
        };
        if name.has_placeholder() || name.is_opaque() {
            continue;
        }
        let Some((mut at, mut routes)) = hot.remove(&d.class_name) else {
            continue;
        };
        routes.sort();
        routes.dedup();
        let first = super::sort_first(&mut at);
        out.push(
            Finding::new(
                RuleId::GlobalDurableObjectInstance,
                FindingSeverity::Warning,
                Topic::DurableObjects,
                Subject::Class {
                    name: d.class_name.clone(),
                },
                format!(
                    "Every call from {} goes to one `{}` instance, `\"{}\"` ({first}): it runs them one at a time, about 1,000 requests/s at most",
                    routes.join(", "),
                    d.class_name,
                    name.notation()
                ),
            )
            .advice(
                "⚠️ Shard it by a value of the request (user, room, `hash(key) % N`) before traffic outgrows one instance",
            )
            .at(at),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    fn rows_for(name: &str) -> Vec<testing::Row> {
        let code = format!(
            "import {{ DurableObject }} from \"cloudflare:workers\";\nexport class Counter extends DurableObject {{\n  async increment() {{ return 1; }}\n}}\n{}",
            testing::fetch(&format!(
                "    await env.COUNTER.getByName({name}).increment();"
            ))
        );
        rows(
            RuleId::GlobalDurableObjectInstance,
            &[
                (
                    "wrangler.toml",
                    &wrangler(
                        "[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Counter\"]\n",
                    ),
                ),
                ("src/index.ts", &code),
            ],
        )
    }

    #[test]
    fn fires_on_one_constant_name_on_a_request_path() {
        let rows = rows_for("\"global\"");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Durable Objects (Counter)");
        assert!(
            rows[0][1]
                .starts_with("Every call from fetch goes to one `Counter` instance, `\"global\"`"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_the_name_comes_from_the_request() {
        assert!(rows_for("t").is_empty());
    }
}
