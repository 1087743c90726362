//! `append-only-table-without-retention`: an event log on D1 (or in a
//! Durable Object's SQLite storage) that nothing ever deletes from.

use super::{RuleId, finding};
use crate::analysis::estimates::is_log;
use crate::model::{Engine, Finding, FindingSeverity, Model, Table};

/// Documentation shown in the README.
pub const DOC: &str = "\
## What it finds
A table that reads as an append-only log (named like `*_events`, `*_logs`,
`*_views`, or keyless with a time column and no updates) in a D1
database or a Durable Object's SQLite storage, with no `DELETE` among the
queries the code runs on it. A log that is pruned gets a `✅ Keep` row.

## Why it matters
A D1 database stops accepting writes at 10 GB, and so does a Durable
Object's storage: a log that only grows is an outage on a schedule, and
every scan of it gets slower on the way there.

## Example
`device_pings` written on every update check → a cron trigger running
`DELETE FROM device_pings WHERE pinged_at < ?` (or roll old rows up into a
daily table first).
";

/// The column retention would cut on: the first `*_at` / timestamp column.
fn time_column(t: &Table) -> Option<&str> {
    t.columns
        .iter()
        .map(|c| c.name.as_str())
        .find(|n| n.ends_with("_at") || matches!(*n, "timestamp" | "ts" | "time" | "date"))
}

/// One finding per such table: a warning without a delete, a Keep with one.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in &model.databases {
        // D1, and each Durable Object's SQLite storage: both cap at 10 GB.
        if db.engine != Engine::D1 && !db.id.starts_with("Durable Object ") {
            continue;
        }
        for t in db.tables.iter().filter(|t| is_log(t)) {
            let deletes: Vec<&str> = t
                .access_patterns
                .iter()
                .filter(|a| a.operation.starts_with("Delete"))
                .map(|a| a.frequency.as_str())
                .collect();
            let area = format!("Retention ({})", t.name);
            if let Some(how) = deletes.first() {
                out.push(finding(
                    RuleId::AppendOnlyTableWithoutRetention,
                    FindingSeverity::Keep,
                    area,
                    format!("Append-only log pruned by a `DELETE` ({how})"),
                    "✅ Keep".into(),
                    "-",
                    vec![t.location.clone()],
                ));
                continue;
            }
            let cut = match time_column(t) {
                Some(c) => format!("`DELETE FROM {} WHERE {c} < ?`", t.name),
                None => format!("a `DELETE FROM {}` of old rows", t.name),
            };
            out.push(finding(
                RuleId::AppendOnlyTableWithoutRetention,
                FindingSeverity::Warning,
                area,
                format!(
                    "`{}` only grows: no query deletes from it ({})",
                    t.name, t.location
                ),
                format!(
                    "⚠️ Add retention before it meets the 10 GB limit: a cron trigger running {cut}"
                ),
                "Low",
                vec![t.location.clone()],
            ));
        }
    }
}
