//! `append-only-table-without-retention`: an event log on D1 (or in a
//! Durable Object's SQLite storage) that nothing ever deletes from.

use crate::analysis::estimates::is_log;
use crate::model::{
    AccessPattern, DatabaseOrigin, Engine, Finding, FindingSeverity, Invoker, Model, QueryVerb,
    RuleId, Subject, Table, Topic,
};
use crate::render::words;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "An append-only log on D1 that nothing deletes from.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A table that reads as an append-only log (named like `*_events`, `*_logs`,
`*_views`, or keyless with a time column and no updates) in a D1
database or a Durable Object's SQLite storage, with no `DELETE` among the
queries the code runs on it that could prune it: one that compares (`<`,
`>`), deletes every row, filters on the time column, or runs on a cron
trigger. Deleting one row by id on request is not retention. A log that is
pruned gets a `✅ Keep` row.

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

/// Whether a `DELETE` could prune the log, rather than remove one row a
/// user asked to remove: a range (`WHERE created_at < ?`), every row, the
/// time column, or a scheduled trigger.
fn prunes(a: &AccessPattern, time: Option<&str>) -> bool {
    let names_time = time.is_some_and(|c| {
        a.query
            .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
            .any(|w| w == c)
    });
    a.query.contains('<')
        || a.query.contains('>')
        || (a.operation.verb == QueryVerb::Delete && a.operation.by.is_empty())
        || names_time
        || a.frequency
            .iter()
            .any(|r| matches!(r.invoker, Invoker::Cron { .. }))
}

/// One finding per such table: a warning without a delete, a Keep with one.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in &model.databases {
        // D1, and each Durable Object's SQLite storage: both cap at 10 GB.
        let capped =
            db.engine == Engine::D1 || matches!(db.origin, DatabaseOrigin::DurableObject { .. });
        // Triggers or a schema elsewhere may delete rows: unknown.
        if !capped || !db.schema_known() {
            continue;
        }
        for t in db.tables.iter().filter(|t| is_log(t)) {
            let time = time_column(t);
            let (deletes, one_rows): (Vec<&AccessPattern>, Vec<&AccessPattern>) = t
                .access_patterns
                .iter()
                .filter(|a| a.operation.verb == QueryVerb::Delete)
                .partition(|a| prunes(a, time));
            if let Some(how) = deletes.first().map(|a| words::runs(&a.frequency)) {
                out.push(
                    Finding::new(
                        RuleId::AppendOnlyTableWithoutRetention,
                        FindingSeverity::Keep,
                        Topic::Retention,
                        Subject::table(&t.name),
                        format!("Append-only log pruned by a `DELETE` ({how})"),
                    )
                    .at(vec![t.location.clone()]),
                );
                continue;
            }
            let cut = match time {
                Some(c) => format!("`DELETE FROM {} WHERE {c} < ?`", t.name),
                None => format!("a `DELETE FROM {}` of old rows", t.name),
            };
            let advice = format!(
                "⚠️ Add retention before it meets the 10 GB limit: a cron trigger running {cut}"
            );
            let message = match one_rows.first() {
                Some(a) => format!(
                    "`{}` only grows: its `DELETE` removes rows one at a time (`{}` on {}), nothing prunes old ones ({})",
                    t.name,
                    a.query,
                    words::triggers(&a.frequency),
                    t.location
                ),
                None => format!(
                    "`{}` only grows: no query deletes from it ({})",
                    t.name, t.location
                ),
            };
            out.push(
                Finding::new(
                    RuleId::AppendOnlyTableWithoutRetention,
                    FindingSeverity::Warning,
                    Topic::Retention,
                    Subject::table(&t.name),
                    message,
                )
                .advice(advice)
                .at(vec![t.location.clone()]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use super::*;
    use crate::model::{Frequency, Operation, Run};

    fn route(entry: &str) -> Run {
        Run {
            frequency: Frequency::High,
            invoker: Invoker::Request {
                entry: crate::cloudflare::entry_point(crate::cloudflare::Lang::TypeScript, entry),
            },
        }
    }

    fn delete(by: &[&str], query: &str, run: Run) -> AccessPattern {
        AccessPattern {
            operation: Operation {
                verb: QueryVerb::Delete,
                by: by.iter().map(|c| (*c).to_owned()).collect(),
                sets: Vec::new(),
            },
            query: query.into(),
            frequency: vec![run],
            sources: Vec::new(),
        }
    }

    #[test]
    fn a_range_a_sweep_the_time_column_or_a_cron_prunes() {
        let t = Some("created_at");
        let cron = Run {
            frequency: Frequency::Daily,
            invoker: Invoker::Cron {
                schedules: vec!["0 3 * * *".into()],
            },
        };
        let unreached = Run {
            frequency: Frequency::Unknown,
            invoker: Invoker::Unreached {
                actor: "sweep".into(),
            },
        };
        for a in [
            delete(&["created_at"], "WHERE created_at < ?", route("POST /x")),
            delete(&[], "(all rows)", route("POST /reset")),
            delete(&["day"], "WHERE day = ?", cron),
            delete(&["created_at"], "WHERE created_at = ?", unreached),
        ] {
            assert!(prunes(&a, t), "{a:?}");
        }
    }

    #[test]
    fn deleting_one_row_by_id_on_request_is_not_retention() {
        let a = delete(&["id"], "WHERE id = ?", route("DELETE /api/reviews/:id"));
        assert!(!prunes(&a, Some("created_at")));
        assert!(!prunes(&a, None));
        // The time column as a word, not inside another name.
        let a = delete(&["posts_id"], "WHERE posts_id = ?", route("DELETE /p/:id"));
        assert!(!prunes(&a, Some("ts")));
    }

    /// A route whose path says `cron` is still a request, not a schedule
    /// (the frequency's words were once searched for `cron`).
    #[test]
    fn a_route_named_cron_is_not_a_cron_trigger() {
        let a = delete(&["id"], "WHERE id = ?", route("DELETE /cron/:id"));
        assert!(!prunes(&a, Some("created_at")));
    }

    const WRANGLER: &str = "[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"app\"\n\n[triggers]\ncrons = [\"0 3 * * *\"]\n";
    const SCHEMA: &str = "CREATE TABLE page_views (id INTEGER PRIMARY KEY, path TEXT NOT NULL, created_at INTEGER NOT NULL);\n";

    fn rows_for(scheduled: &str) -> Vec<testing::Row> {
        let code = format!(
            "export default {{\n  async fetch(request: Request, env: Env) {{\n    await env.DB.prepare(\"INSERT INTO page_views (path, created_at) VALUES (?, ?)\").bind(\"/\", 1).run();\n    return new Response(\"ok\");\n  }},\n  async scheduled(event: ScheduledEvent, env: Env) {{\n{scheduled}\n  }},\n}};\n"
        );
        rows(
            RuleId::AppendOnlyTableWithoutRetention,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("migrations/0001.sql", SCHEMA),
                ("src/index.ts", &code),
            ],
        )
    }

    #[test]
    fn fires_on_a_log_nothing_prunes() {
        let rows = rows_for("    return;");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Retention (page_views)");
        assert!(
            rows[0][2].ends_with("`DELETE FROM page_views WHERE created_at < ?`"),
            "{rows:?}"
        );
    }

    #[test]
    fn keeps_a_log_a_cron_prunes() {
        let rows = rows_for(
            "    await env.DB.prepare(\"DELETE FROM page_views WHERE created_at < ?\").bind(0).run();",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            rows[0][1],
            "Append-only log pruned by a `DELETE` (Daily (cron 0 3 * * *))"
        );
        assert_eq!(rows[0][2], "✅ Keep");
    }
}
