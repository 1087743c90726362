//! `queue-delay-over-limit`: a queue message delay over the 12-hour limit.
use crate::model::{
    Finding, FindingSeverity, Location, Model, OpKind, RuleId, SettleKind, Subject, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A queue send, retry or consumer delay over the 12-hour limit.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A `delaySeconds` over 43,200 (12 hours) that code passes to a queue
`send` / `sendBatch` or to a message's `retry` / `retryAll`, or a
consumer's `retry_delay` in the wrangler config over it.

## Why it matters
Cloudflare Queues delays a message by at most 12 hours. A longer delay is
rejected: the send or retry throws (the message is not queued, or is
retried at once by the failing consumer), and a config with a longer
`retry_delay` fails to deploy.

## Example
`env.REMINDERS.send(job, { delaySeconds: 60 * 60 * 24 })` → keep the
delay at 43,200 or less and re-queue the message until its time comes, or
schedule it with a Durable Object alarm or a Workflow `sleep`.
";

/// The longest delay Queues accepts, in seconds.
const MAX_DELAY: u64 = 12 * 60 * 60;

/// One finding per place.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut push = |queue: &str, what: String, at: &Location| {
        out.push(
            Finding::new(
                RuleId::QueueDelayOverLimit,
                FindingSeverity::Error,
                Topic::Queues,
                Subject::Queue {
                    name: queue.to_owned(),
                },
                format!("{what} ({at}): over the 12-hour (43,200 s) limit"),
            )
            .advice(
                "❌ Delay by 43,200 s or less and re-queue until the time comes, or schedule it with a Durable Object alarm or a Workflow `sleep`",
            )
            .at(vec![at.clone()]),
        );
    };
    for op in &model.resource_ops {
        if let Some(d) = op.delay_secs.filter(|d| *d > MAX_DELAY) {
            let verb = if op.op == OpKind::SendBatch {
                "sendBatch"
            } else {
                "send"
            };
            let queue = crate::analysis::queue_names(model, op)
                .into_iter()
                .next()
                .unwrap_or_else(|| op.binding.clone());
            push(
                &queue,
                format!("`{}.{verb}(…)` delays by {d} s", op.binding),
                &op.location,
            );
        }
    }
    for h in &model.queue_handlers {
        for s in &h.settles {
            if let Some(d) = s.delay_secs.filter(|d| *d > MAX_DELAY) {
                let verb = if s.kind == SettleKind::RetryAll {
                    "retryAll"
                } else {
                    "retry"
                };
                let queue = s.queues.first().map_or("*", String::as_str);
                push(queue, format!("`{verb}()` delays by {d} s"), &s.location);
            }
        }
    }
    for w in &model.workers {
        for c in &w.consumers {
            if let Some(d) = c.retry_delay.filter(|d| *d > MAX_DELAY) {
                push(
                    &c.queue,
                    format!("`retry_delay = {d}` for `{}`", c.queue),
                    &c.location,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = "[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"jobs\"\n";

    fn rows_for(code: &str, config: &str) -> Vec<testing::Row> {
        rows(
            RuleId::QueueDelayOverLimit,
            &[
                ("wrangler.toml", &wrangler(&format!("{WRANGLER}{config}"))),
                ("src/index.ts", &testing::fetch(code)),
            ],
        )
    }

    #[test]
    fn fires_on_a_send_or_consumer_delay_over_twelve_hours() {
        let rows = rows_for(
            "    await env.JOBS.send({ t }, { delaySeconds: 60 * 60 * 24 });",
            "[[queues.consumers]]\nqueue = \"jobs\"\nretry_delay = 86400\n",
        );
        let current: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(current.len(), 2, "{rows:?}");
        assert!(
            current
                .iter()
                .any(|r| r.starts_with("`JOBS.send(…)` delays by 86400 s (src/index.ts:"))
        );
        assert!(
            current
                .iter()
                .any(|r| r.starts_with("`retry_delay = 86400` for `jobs` (wrangler.toml:"))
        );
    }

    #[test]
    fn stays_silent_at_or_under_twelve_hours() {
        let rows = rows_for(
            "    await env.JOBS.send({ t }, { delaySeconds: 43200 });",
            "[[queues.consumers]]\nqueue = \"jobs\"\nretry_delay = 300\n",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
