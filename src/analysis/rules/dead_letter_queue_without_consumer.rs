//! `dead-letter-queue-without-consumer`: a dead letter queue nothing in the
//! checkout consumes.

use crate::model::{Finding, FindingSeverity, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A dead letter queue no Worker of the checkout consumes.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A queue some consumer names as its `dead_letter_queue` while no
`[[queues.consumers]]` entry of any Worker in the checkout reads it.

## Why it matters
Messages land in a dead letter queue after their last retry. With nobody
consuming it they are never inspected, replayed or alerted on, and the
queue deletes them after its retention period (4 days by default): the
failures are lost as surely as without a DLQ, only later.

## Example
`dead_letter_queue = \"jobs-dlq\"` and no consumer of `jobs-dlq` → add a
consumer that logs, alerts and stores or replays the messages.
";

/// One finding per such queue.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for q in model
        .queues
        .iter()
        .filter(|q| q.is_dead_letter_queue && q.consumers.is_empty())
    {
        let from: Vec<String> = model
            .workers
            .iter()
            .flat_map(|w| &w.consumers)
            .filter(|c| c.dead_letter_queue.as_deref() == Some(q.name.as_str()))
            .map(|c| format!("`{}`", c.queue))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        out.push(
            Finding::new(
                RuleId::DeadLetterQueueWithoutConsumer,
                FindingSeverity::Warning,
                Topic::Queues,
                Subject::Queue {
                    name: q.name.clone(),
                },
                format!(
                    "Dead letter queue of {}; no Worker in the checkout consumes it",
                    from.join(", ")
                ),
            )
            .advice("⚠️ Failed messages are never processed and expire with the queue's retention: add a consumer that alerts and stores or replays them")
            .at(vec![q.location.clone()]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rows, wrangler};
    use crate::model::RuleId;

    const CONSUMER: &str =
        "[[queues.consumers]]\nqueue = \"jobs\"\ndead_letter_queue = \"jobs-dlq\"\n";

    fn rows_for(toml: &str) -> Vec<super::super::testing::Row> {
        rows(
            RuleId::DeadLetterQueueWithoutConsumer,
            &[
                ("wrangler.toml", &wrangler(toml)),
                ("src/index.ts", "export default { async queue() {} };\n"),
            ],
        )
    }

    #[test]
    fn fires_on_a_dead_letter_queue_nobody_consumes() {
        let rows = rows_for(CONSUMER);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queues (jobs-dlq)");
        assert_eq!(
            rows[0][1],
            "Dead letter queue of `jobs`; no Worker in the checkout consumes it"
        );
    }

    #[test]
    fn stays_silent_when_a_worker_consumes_it() {
        let rows = rows_for(&format!(
            "{CONSUMER}[[queues.consumers]]\nqueue = \"jobs-dlq\"\n"
        ));
        assert!(rows.is_empty(), "{rows:?}");
    }
}
