//! `consumer-ignores-response-status`: a queue consumer sends an HTTP
//! request and never looks at the response.

use crate::model::{Finding, FindingSeverity, Location, Model, RuleId, StepAction, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A queue consumer that sends an HTTP request and ignores its status.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A `fetch()` a queue handler sends (a webhook, an API) whose response the
code never reads: the awaited call is a statement of its own, or the local
holding it is never used.

## Why it matters
`fetch()` throws only when the request cannot be sent. A `4xx` / `5xx`
answer resolves normally, so the handler carries on, the message is
acknowledged and lost: the queue's retries and dead letter queue never see
the failure.

## Example
`await fetch(env.WEBHOOK_URL, { method: \"POST\", body })` → `const res =
await fetch(…); if (!res.ok) { message.retry(); continue; }`.
";

/// One finding per request, naming the queues whose consumer sends it.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let unread: Vec<(&Location, &str, &str)> = model
        .queue_handlers
        .iter()
        .flat_map(|h| &h.requests)
        .filter(|r| !r.response_read)
        .map(|r| (&r.location, r.method.as_str(), r.target.as_str()))
        .collect();
    let mut found: BTreeMap<(&Location, &str, &str), Vec<&str>> = BTreeMap::new();
    for q in &model.queues {
        for step in &q.processing {
            if !matches!(step.action, StepAction::Request { .. }) {
                continue;
            }
            if let Some((at, method, target)) = unread.iter().find(|(at, ..)| **at == step.location)
            {
                found
                    .entry((at, method, target))
                    .or_default()
                    .push(q.name.as_str());
            }
        }
    }
    for ((at, method, target), mut queues) in found {
        queues.sort_unstable();
        queues.dedup();
        out.push(
            Finding::new(
                RuleId::ConsumerIgnoresResponseStatus,
                FindingSeverity::Warning,
                Topic::Queues,
                Subject::Queue {
                    name: queues[0].to_owned(),
                },
                format!(
                    "The consumer of {} sends HTTP {method} `{target}` and never reads the response ({at})",
                    queues
                        .iter()
                        .map(|q| format!("`{q}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .advice("⚠️ A 4xx / 5xx answer counts as success and the message is acknowledged and lost: check `res.ok` and `retry()` the message when it is not")
            .at(vec![at.clone()]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rows, wrangler};
    use crate::model::RuleId;

    const CONSUMER: &str = "[[queues.consumers]]\nqueue = \"hooks\"\n";

    fn rows_for(body: &str) -> Vec<super::super::testing::Row> {
        let code = format!(
            "export default {{\n  async queue(batch: MessageBatch<{{ id: string }}>, env: Env) {{\n    for (const m of batch.messages) {{\n{body}\n    }}\n  }},\n}};\n"
        );
        rows(
            RuleId::ConsumerIgnoresResponseStatus,
            &[
                ("wrangler.toml", &wrangler(CONSUMER)),
                ("src/index.ts", &code),
            ],
        )
    }

    #[test]
    fn fires_when_the_response_is_dropped() {
        let rows = rows_for(
            "      await fetch(env.HOOK_URL, { method: \"POST\", body: JSON.stringify(m.body) });",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queues (hooks)");
        assert!(
            rows[0][1].starts_with("The consumer of `hooks` sends HTTP POST `env.HOOK_URL` and never reads the response"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_the_status_is_read() {
        let rows = rows_for(
            "      const res = await fetch(env.HOOK_URL, { method: \"POST\" });\n      if (!res.ok) m.retry();",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
