//! `consumer-without-dead-letter-queue`: a queue consumer with no DLQ.
use crate::model::{Finding, FindingSeverity, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A queue consumer without a dead letter queue.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A queue consumer configured without `dead_letter_queue` (dead letter
queues themselves are exempt).

## Why it matters
A message that still fails after `max_retries` is deleted: the work is
lost without a trace to inspect or replay.

## Example
`[[queues.consumers]] queue = \"thumbnails\"` →
add `dead_letter_queue = \"thumbnails-dlq\"` and consume or alert on it.
";

/// One finding per consumer without a DLQ; a `✅ Keep` row when every
/// consumer has one.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut consumers = 0;
    let mut missing = 0;
    for q in model.queues.iter().filter(|q| !q.is_dead_letter_queue) {
        for c in &q.consumers {
            consumers += 1;
            if c.settings.dead_letter_queue.is_some() {
                continue;
            }
            missing += 1;
            let advice = format!(
                "⚠️ Add `dead_letter_queue = \"{}-dlq\"`: failed messages are dropped after their retries",
                q.name
            );
            out.push(
                Finding::new(
                    RuleId::ConsumerWithoutDeadLetterQueue,
                    FindingSeverity::Warning,
                    Topic::Queues,
                    Subject::Queue {
                        name: q.name.clone(),
                    },
                    format!("Consumer in `{}` has no dead letter queue", c.worker),
                )
                .advice(advice)
                .at(vec![c.settings.location.clone()]),
            );
        }
    }
    if consumers > 0 && missing == 0 {
        out.push(Finding::new(
            RuleId::ConsumerWithoutDeadLetterQueue,
            FindingSeverity::Keep,
            Topic::Queues,
            Subject::Topic,
            if consumers == 1 {
                "The queue consumer has a dead letter queue".to_owned()
            } else {
                format!("All {consumers} queue consumers have a dead letter queue")
            },
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rows, wrangler};
    use crate::model::RuleId;

    #[test]
    fn fires_on_a_consumer_without_a_dead_letter_queue() {
        let rows = rows(
            RuleId::ConsumerWithoutDeadLetterQueue,
            &[(
                "wrangler.toml",
                &wrangler("[[queues.consumers]]\nqueue = \"thumbnails\"\n"),
            )],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queues (thumbnails)");
        assert!(
            rows[0][2].contains("dead_letter_queue = \"thumbnails-dlq\""),
            "{rows:?}"
        );
    }

    #[test]
    fn keeps_consumers_that_have_one() {
        let rows = rows(
            RuleId::ConsumerWithoutDeadLetterQueue,
            &[(
                "wrangler.toml",
                &wrangler(
                    "[[queues.consumers]]\nqueue = \"thumbnails\"\ndead_letter_queue = \"thumbnails-dlq\"\n",
                ),
            )],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][2], "✅ Keep");
    }
}
