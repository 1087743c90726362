//! `send-batch-over-limit`: a queue `sendBatch` of one message per item of
//! an array that nothing cuts to the 100 messages a batch may hold.

use crate::model::{BindingKind, Finding, FindingSeverity, Model, OpKind, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A queue sendBatch of one message per array item, past 100 messages.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A `sendBatch(items.map(…))` (or a local holding that list) that sends one
message per item of an array:
- an error when the code cuts the array into chunks of more than 100;
- a warning when nothing cuts it.
Only an array the request sends counts (a parsed body, query or form
values): a consumer's own `batch.messages` (at most 100), a parameter, the
rows of a lookup or a list built any other way are left alone.

## Why it matters
A `sendBatch` takes at most 100 messages (and 256 KB in all): a longer one
throws and none of the messages is sent, so the import of 150 rows, or the
fan-out to every subscriber, fails once the list grows.

## Example
`const { ids } = await request.json()` then
`await env.JOBS.sendBatch(ids.map((id) => ({ body: { id } })))` → send it
in chunks: `for (let i = 0; i < msgs.length; i += 100) await
env.JOBS.sendBatch(msgs.slice(i, i + 100))`.
";

/// The messages one `sendBatch` may hold.
const MAX_MESSAGES: u32 = 100;

/// One finding per such send.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.kind == BindingKind::QueueProducer && o.op == OpKind::SendBatch)
    {
        let Some(list) = &op.spread else { continue };
        let (severity, message) = match list.chunk {
            Some(chunk) if chunk <= MAX_MESSAGES => continue,
            Some(chunk) => (
                FindingSeverity::Error,
                format!(
                    "`sendBatch` at {} sends one message per item of `{}` in chunks of {chunk}, over the {MAX_MESSAGES} a batch may hold",
                    op.location, list.over
                ),
            ),
            None => (
                FindingSeverity::Warning,
                format!(
                    "`sendBatch` at {} sends one message per item of `{}`, which nothing cuts: it throws past {MAX_MESSAGES} messages",
                    op.location, list.over
                ),
            ),
        };
        out.push(
            Finding::new(
                RuleId::SendBatchOverLimit,
                severity,
                Topic::Queues,
                Subject::Binding {
                    name: op.binding.clone(),
                },
                message,
            )
            .advice(format!(
                "{} Send it in chunks of at most {MAX_MESSAGES} (`slice(i, i + {MAX_MESSAGES})`)",
                if severity == FindingSeverity::Error {
                    "❌"
                } else {
                    "⚠️"
                }
            ))
            .at(vec![op.location.clone()]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const QUEUE: &str = "[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"jobs\"\n";

    fn rows_for(body: &str) -> Vec<testing::Row> {
        rows(
            RuleId::SendBatchOverLimit,
            &[
                ("wrangler.toml", &wrangler(QUEUE)),
                ("src/index.ts", &testing::fetch(body)),
            ],
        )
    }

    #[test]
    fn warns_on_a_list_nothing_cuts_and_errs_on_big_chunks() {
        let rows = rows_for(
            "    const ids: string[] = await request.json();\n    await env.JOBS.sendBatch(ids.map((id) => ({ body: { id } })));",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queues (JOBS)");
        assert_eq!(
            rows[0][1],
            "`sendBatch` at src/index.ts:5 sends one message per item of `ids`, which nothing cuts: it throws past 100 messages"
        );
        let rows = rows_for(
            "    const ids: string[] = await request.json();\n    for (let i = 0; i < ids.length; i += 500) {\n      const part = ids.slice(i, i + 500);\n      const msgs = part.map((id) => ({ body: { id } }));\n      await env.JOBS.sendBatch(msgs);\n    }",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].ends_with("in chunks of 500, over the 100 a batch may hold"),
            "{rows:?}"
        );
        assert!(rows[0][2].starts_with("❌"), "{rows:?}");
    }

    #[test]
    fn stays_silent_within_the_limit() {
        for body in [
            "    const ids: string[] = await request.json();\n    await env.JOBS.sendBatch(ids.slice(0, 100).map((id) => ({ body: { id } })));",
            "    await env.JOBS.sendBatch([1, 2, 3].map((id) => ({ body: { id } })));",
            "    const msgs = [];\n    for (const id of [t]) msgs.push({ body: id });\n    await env.JOBS.sendBatch(msgs);",
        ] {
            assert!(rows_for(body).is_empty(), "{body}");
        }
    }
}
