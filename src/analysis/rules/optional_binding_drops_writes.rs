//! `optional-binding-drops-writes`: a write or send through optional
//! chaining on a binding no config binds, skipped without a trace.
use crate::model::{
    BindingKind, Finding, FindingSeverity, Location, Model, OpKind, ResourceOp, RuleId, Subject,
    Topic, Worker,
};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "A write or queue send through `env.X?.…` on a binding no config of the checkout binds.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A queue `send` / `sendBatch`, or a KV / R2 `put` or `delete`, called
through optional chaining on its binding (`env.DLQ?.send(…)`,
`env.CACHE?.put(…)`) when no wrangler config of the checkout binds that
name for the Worker the code belongs to (or, for library code no Worker
owns, anywhere in the checkout).

## Why it matters
With the binding missing the call is skipped: no error, no log, and the
message or the object is gone. Used on a failure path — a dead letter
queue after the last retry — it loses exactly the data that needed a
second chance, and nothing shows it was lost.

## Example
`await env.FAILED_WRITES?.send({ tags })` after `maxRetries` → bind
`FAILED_WRITES` to a queue with a consumer, or log (or throw) when it is
missing.
";

/// What the op does, in the row's words.
fn verb(op: &ResourceOp) -> &'static str {
    match (op.kind, op.op) {
        (BindingKind::QueueProducer, OpKind::SendBatch) => "sendBatch",
        (BindingKind::QueueProducer, _) => "send",
        (_, OpKind::Delete) => "delete",
        _ => "put",
    }
}

/// Whether the config the code belongs to binds `name` (library code no
/// Worker owns: whether any config of the checkout does).
fn bound(model: &Model, op: &ResourceOp) -> bool {
    match Worker::owning(&model.workers, &op.location.path) {
        Some(w) => w.family_binds(&model.workers, &op.binding),
        None => model
            .workers
            .iter()
            .any(|w| w.bindings.iter().any(|b| b.name == op.binding)),
    }
}

/// One finding per binding and verb.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut found: BTreeMap<(&str, &str), Vec<Location>> = BTreeMap::new();
    for op in model.resource_ops.iter().filter(|o| {
        o.optional
            && matches!(
                o.op,
                OpKind::Write | OpKind::Send | OpKind::SendBatch | OpKind::Delete
            )
            && matches!(
                o.kind,
                BindingKind::QueueProducer | BindingKind::Kv | BindingKind::R2
            )
    }) {
        if !bound(model, op) {
            found
                .entry((op.binding.as_str(), verb(op)))
                .or_default()
                .push(op.location.clone());
        }
    }
    for ((binding, verb), mut locations) in found {
        let at = super::sort_first(&mut locations);
        let what = if verb.starts_with("send") {
            "the messages are dropped"
        } else {
            "the write is lost"
        };
        out.push(
            Finding::new(
                RuleId::OptionalBindingDropsWrites,
                FindingSeverity::Warning,
                Topic::Bindings,
                Subject::Binding {
                    name: binding.to_owned(),
                },
                format!(
                    "`{binding}?.{verb}(…)` ({at}) is skipped when `{binding}` is not bound, and no config of the checkout binds it: {what} without an error"
                ),
            )
            .advice(format!(
                "⚠️ Bind `{binding}` in the Worker's wrangler config, or log (or throw) when it is missing, so nothing is lost silently"
            ))
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    /// The code says what the bindings are, optional.
    const ENV: &str = "interface Env {\n  FAILED?: Queue;\n  CACHE?: KVNamespace;\n}\n";
    const CODE: &str = "    await env.FAILED?.send({ id: 1 });\n    await env.CACHE?.put(\"k\", \"v\");\n    await env.CACHE?.get(\"k\");";

    fn rows_for(config: &str) -> Vec<testing::Row> {
        rows(
            RuleId::OptionalBindingDropsWrites,
            &[
                ("wrangler.toml", &wrangler(config)),
                ("src/index.ts", &format!("{ENV}{}", testing::fetch(CODE))),
            ],
        )
    }

    #[test]
    fn fires_on_an_optional_send_or_put_nothing_binds() {
        let rows = rows_for("");
        let current: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            current,
            ["Bindings (CACHE)", "Bindings (FAILED)"],
            "{rows:?}"
        );
        assert!(
            rows[1][1].starts_with("`FAILED?.send(…)` (src/index.ts:"),
            "{rows:?}"
        );
        assert!(rows[1][1].ends_with("the messages are dropped without an error"));
    }

    #[test]
    fn stays_silent_when_bound_or_called_plainly() {
        let bound = rows_for(
            "[[queues.producers]]\nbinding = \"FAILED\"\nqueue = \"failed\"\n[[kv_namespaces]]\nbinding = \"CACHE\"\nid = \"c\"\n",
        );
        assert!(bound.is_empty(), "{bound:?}");
        let plain = rows(
            RuleId::OptionalBindingDropsWrites,
            &[
                ("wrangler.toml", &wrangler("")),
                (
                    "src/index.ts",
                    &format!(
                        "{ENV}{}",
                        testing::fetch("    await env.FAILED.send({ id: 1 });")
                    ),
                ),
            ],
        );
        assert!(plain.is_empty(), "{plain:?}");
    }
}
