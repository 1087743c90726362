//! `noop-upsert-update`: `INSERT … ON CONFLICT … DO UPDATE` whose update
//! changes nothing, written so that `RETURNING` yields the existing row.

use crate::model::{Finding, FindingSeverity, Location, Model, RuleId, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "An upsert whose DO UPDATE changes nothing: a write on every call.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
SQL the code runs of the form `INSERT … ON CONFLICT (k) DO UPDATE SET k =
k` (or `SET k = excluded.k` for a conflict column): every assignment sets
a column to the value it already has. The idiom makes `RETURNING id`
return the existing row.

## Why it matters
The update still writes the row on every call — on a sign-in or lookup
path, a write per request where a read would do. D1 serializes writes and
bills rows written, and every write is replicated.

## Example
`INSERT INTO user (email) VALUES (?) ON CONFLICT (email) DO UPDATE SET
email = email RETURNING id` → `SELECT id FROM user WHERE email = ?`, and
the insert only when it finds nothing.
";

/// The no-op `DO UPDATE SET …` of `sql`, when every assignment is one.
fn noop_update(sql: &str) -> Option<String> {
    let norm = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let upper = norm.to_ascii_uppercase();
    let conflict = upper.find("ON CONFLICT")?;
    let set = conflict + upper[conflict..].find("DO UPDATE SET ")? + "DO UPDATE SET ".len();
    let target: Vec<String> = match (upper[conflict..].find('('), upper[conflict..].find(')')) {
        (Some(a), Some(b)) if a < b && conflict + b < set => norm[conflict + a + 1..conflict + b]
            .split(',')
            .map(|c| clean(c).to_owned())
            .collect(),
        _ => Vec::new(),
    };
    let end = [" WHERE ", " RETURNING ", ";"]
        .iter()
        .filter_map(|w| upper[set..].find(w))
        .min()
        .map_or(norm.len(), |i| set + i);
    let assignments = &norm[set..end];
    let noop = assignments.split(',').all(|a| {
        let Some((lhs, rhs)) = a.split_once('=') else {
            return false;
        };
        let (lhs, rhs) = (clean(lhs), clean(rhs));
        rhs == lhs
            || rhs
                .strip_prefix("excluded.")
                .is_some_and(|r| r == lhs && target.iter().any(|t| t == lhs))
    });
    noop.then(|| format!("DO UPDATE SET {}", assignments.trim()))
}

/// A name without quotes, lower case.
fn clean(s: &str) -> &str {
    s.trim()
        .trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
}

/// One finding per (table, update).
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut found: BTreeMap<(String, String), Vec<Location>> = BTreeMap::new();
    for op in model.resource_ops.iter().filter(|o| o.is_query()) {
        let (Some(sql), Some(q)) = (&op.sql, op.queries.first()) else {
            continue;
        };
        if let Some(update) = noop_update(sql) {
            found
                .entry((q.table.clone(), update))
                .or_default()
                .push(op.location.clone());
        }
    }
    for ((table, update), mut locations) in found {
        let at = super::sort_first(&mut locations);
        out.push(
            Finding::new(
                RuleId::NoopUpsertUpdate,
                FindingSeverity::Warning,
                Topic::Queries,
                Subject::table(&table),
                format!(
                    "An upsert into `{table}` ends `{update}`: it writes the row on every call, also when it exists ({at})"
                ),
            )
            .advice("⚠️ A no-op update is still a write: read the row first and insert only when it is missing")
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use super::noop_update;
    use crate::model::RuleId;

    #[test]
    fn reads_no_op_updates() {
        assert_eq!(
            noop_update("INSERT INTO user (email) VALUES (?)\n ON CONFLICT (email) DO UPDATE SET email = email\n RETURNING id;").as_deref(),
            Some("DO UPDATE SET email = email")
        );
        assert!(
            noop_update(
                "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET k = excluded.k"
            )
            .is_some()
        );
        assert!(
            noop_update(
                "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
            )
            .is_none()
        );
        assert!(noop_update("INSERT INTO t (k) VALUES (?) ON CONFLICT DO NOTHING").is_none());
    }

    const SCHEMA: &str =
        "CREATE TABLE user (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, seen INTEGER);\n";

    #[test]
    fn fires_on_a_no_op_upsert() {
        let rows = testing::d1_fetch_rows(
            RuleId::NoopUpsertUpdate,
            SCHEMA,
            "INSERT INTO user (email) VALUES (?) ON CONFLICT (email) DO UPDATE SET email = email RETURNING id",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (user)");
        assert!(
            rows[0][1].contains("`DO UPDATE SET email = email`"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_the_update_changes_something() {
        let rows = testing::d1_fetch_rows(
            RuleId::NoopUpsertUpdate,
            SCHEMA,
            "INSERT INTO user (email, seen) VALUES (?, 1) ON CONFLICT (email) DO UPDATE SET seen = excluded.seen RETURNING id",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
