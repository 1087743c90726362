//! `clock-units-mixed`: a time computed by adding seconds to a clock in
//! milliseconds (`Date.now() + 60 * 60 * 24 * 30`), or milliseconds to a
//! clock in seconds.

use crate::model::{
    ClockOffset, ClockUnit, Finding, FindingSeverity, Model, RuleId, Subject, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "Seconds added to Date.now() (milliseconds), or milliseconds to a clock in seconds.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A constant offset added to (or taken from) the current time in the other
unit: `Date.now()` counts milliseconds, so `Date.now() + 60 * 60 * 24 * 30`
(a product with a 60 and no 1000, or a plain 3,600 / 86,400 / 604,800 /
2,592,000 / 31,536,000) is 43 minutes from now, not 30 days; and
`Math.floor(Date.now() / 1000) + 60 * 60 * 1000` adds milliseconds to
seconds. Constants are folded (`60 * 60 * 24 * DAYS`); an offset that is
not a constant is left alone.

## Why it matters
The value is usually an expiry stored in a column, a KV `expiration` or a
token: a subscription that ends in 43 minutes, a session that lasts 41
days, a cache row that is stale at once. Tests that run within the minute
do not see it.

## Example
`subscription_ends_at = Date.now() + 60 * 60 * 24 * 30` →
`Date.now() + 30 * 24 * 60 * 60 * 1000`, or store seconds with
`Math.floor(Date.now() / 1000) + 60 * 60 * 24 * 30` if the column holds
seconds.
";

/// Seconds counts that are plainly a duration in seconds: an hour, a day,
/// a week, 30 days, a year.
const SECONDS: &[f64] = &[3_600.0, 86_400.0, 604_800.0, 2_592_000.0, 31_536_000.0];

/// Whether a factor carries the 1000 of a unit change.
fn thousands(f: f64) -> bool {
    f != 0.0 && f % 1000.0 == 0.0
}

/// What the offset is in the clock's terms, when it is in the other unit:
/// the unit it was written in.
fn mixed(o: &ClockOffset) -> Option<ClockUnit> {
    let calendar = |f: &f64| [60.0, 24.0].contains(f) || SECONDS.contains(f);
    match o.clock {
        ClockUnit::Milliseconds => {
            let seconds = if o.factors.len() == 1 {
                SECONDS.contains(&o.factors[0])
            } else {
                o.factors.contains(&60.0)
            };
            (seconds && !o.factors.iter().any(|f| thousands(*f))).then_some(ClockUnit::Seconds)
        }
        ClockUnit::Seconds => {
            let millis = if o.factors.len() == 1 {
                SECONDS.iter().any(|s| o.factors[0] == s * 1000.0)
            } else {
                o.factors.iter().any(|f| thousands(*f)) && o.factors.iter().any(calendar)
            };
            millis.then_some(ClockUnit::Milliseconds)
        }
    }
}

/// `2592000` → `2,592,000`.
fn grouped(n: f64) -> String {
    let digits = format!("{}", n.abs().round() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in seconds in the largest unit it reaches: `30 days`,
/// `43.2 minutes`, `2.6 seconds`.
fn duration(seconds: f64) -> String {
    let (n, unit) = [(86_400.0, "day"), (3_600.0, "hour"), (60.0, "minute")]
        .iter()
        .find(|(size, _)| seconds >= *size)
        .map_or((seconds, "second"), |(size, unit)| (seconds / size, *unit));
    let n = (n * 10.0).round() / 10.0;
    let plural = if n == 1.0 { "" } else { "s" };
    format!("{n} {unit}{plural}")
}

/// One finding per sum whose units disagree.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for o in &model.clock_offsets {
        let Some(written) = mixed(o) else { continue };
        let value: f64 = o.factors.iter().product();
        let (clock, meant, lands, fix) = match written {
            ClockUnit::Seconds => (
                "`Date.now()`, which counts milliseconds",
                format!("{} in seconds", duration(value)),
                duration(value / 1000.0),
                "multiply the offset by 1000, or use `Math.floor(Date.now() / 1000)` where seconds are stored",
            ),
            ClockUnit::Milliseconds => (
                "a clock in seconds",
                format!("{} in milliseconds", duration(value / 1000.0)),
                duration(value),
                "divide the offset by 1000, or use `Date.now()` where milliseconds are stored",
            ),
        };
        let name = o.target.clone().unwrap_or_else(|| "Date.now()".to_owned());
        out.push(
            Finding::new(
                RuleId::ClockUnitsMixed,
                FindingSeverity::Warning,
                Topic::Time,
                Subject::Value { name: name.clone() },
                format!(
                    "`{name}` {} `{}` ({}) = {} ({meant}) {} {clock}: it lands {lands} {}",
                    if o.subtracts { "takes" } else { "adds" },
                    o.offset,
                    o.location,
                    grouped(value),
                    if o.subtracts { "from" } else { "to" },
                    if o.subtracts { "ago" } else { "from now" },
                ),
            )
            .advice(format!("⚠️ State the unit once: {fix}"))
            .at(vec![o.location.clone()]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use super::*;
    use crate::model::RuleId;

    fn rows_for(body: &str) -> Vec<testing::Row> {
        rows(
            RuleId::ClockUnitsMixed,
            &[
                (
                    "wrangler.toml",
                    &wrangler("[[kv_namespaces]]\nbinding = \"KV\"\nid = \"k\"\n"),
                ),
                ("src/index.ts", &testing::fetch(body)),
            ],
        )
    }

    #[test]
    fn fires_on_seconds_added_to_milliseconds() {
        let rows = rows_for(
            "    const ends_at = Date.now() + 60 * 60 * 24 * 30;\n    await env.KV.put(t, String(ends_at));",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Time (ends_at)");
        assert_eq!(
            rows[0][1],
            "`ends_at` adds `60 * 60 * 24 * 30` (src/index.ts:4) = 2,592,000 (30 days in seconds) to `Date.now()`, which counts milliseconds: it lands 43.2 minutes from now"
        );
    }

    #[test]
    fn fires_on_milliseconds_added_to_seconds() {
        let rows = rows_for(
            "    const exp = Math.floor(Date.now() / 1000) - 60 * 60 * 1000;\n    await env.KV.put(t, \"v\", { expiration: exp });",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].ends_with("= 3,600,000 (1 hour in milliseconds) from a clock in seconds: it lands 41.7 days ago"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_the_units_agree_or_are_unknown() {
        for body in [
            "    const a = Date.now() + 60 * 60 * 24 * 30 * 1000;",
            "    const b = Math.floor(Date.now() / 1000) + 60 * 60 * 24;",
            "    const c = Date.now() + 5000;",
            "    const d = Date.now() + 60;",
            "    const DAY_MS = 24 * 60 * 60 * 1000;\n    const e = Date.now() - DAY_MS;",
            "    const f = Date.now() + ttl * 60;",
        ] {
            assert!(rows_for(body).is_empty(), "{body}");
        }
    }

    #[test]
    fn durations_read_in_their_largest_unit() {
        assert_eq!(duration(2_592_000.0), "30 days");
        assert_eq!(duration(2_592.0), "43.2 minutes");
        assert_eq!(duration(3_600.0), "1 hour");
        assert_eq!(duration(2.6), "2.6 seconds");
        assert_eq!(grouped(43_200.0), "43,200");
        assert_eq!(grouped(999.0), "999");
    }
}
