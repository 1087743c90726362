//! `upsert-target-not-unique`: an `INSERT … ON CONFLICT (cols)` whose
//! columns no primary key or unique index of the table covers exactly.
use crate::model::{Finding, FindingSeverity, Location, Model, RuleId, Subject, Table, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "An upsert whose ON CONFLICT columns no primary key or unique index matches: it always fails.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
SQL the code runs of the form `INSERT … ON CONFLICT (a, b) DO …` where
the table, as its schema declares it, has no PRIMARY KEY and no UNIQUE
index (nor constraint) on exactly those columns. Only tables whose whole
schema dmqa reads are judged; a conflict target with a `WHERE` (a
partial index) is left alone.

## Why it matters
SQLite (and so D1) refuses to prepare the statement — `ON CONFLICT clause
does not match any PRIMARY KEY or UNIQUE constraint` — and Postgres
raises `there is no unique or exclusion constraint matching the ON
CONFLICT specification`: the write fails on every call, usually on the
path that was meant to make it idempotent.

## Example
`INSERT INTO likes (user_id, post_id) VALUES (?, ?) ON CONFLICT (user_id,
post_id) DO NOTHING` on a table with only `id` as its key → `CREATE UNIQUE
INDEX likes_user_post ON likes(user_id, post_id);`.
";

/// Whether a key or unique index of `t` is exactly `cols` (as a set).
fn covered(t: &Table, cols: &[String]) -> bool {
    let same = |have: &mut dyn Iterator<Item = &str>| {
        let mut have: Vec<String> = have.map(str::to_ascii_lowercase).collect();
        let mut want: Vec<String> = cols.iter().map(|c| c.to_ascii_lowercase()).collect();
        have.sort();
        want.sort();
        have == want
    };
    same(&mut t.primary_key.iter().map(String::as_str))
        || t.indexes.iter().any(|i| {
            i.unique && i.partial.is_none() && same(&mut i.columns.iter().map(|c| c.name.as_str()))
        })
}

/// One finding per (table, target), listing every place.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    let mut found: BTreeMap<(String, Vec<String>), Vec<Location>> = BTreeMap::new();
    for op in model.resource_ops.iter().filter(|o| o.is_query()) {
        let Some(db) = crate::analysis::database_of_op(model, op).map(|i| &model.databases[i])
        else {
            continue;
        };
        if !db.indexes_known() || !db.uncreated.is_empty() {
            continue;
        }
        for q in op.queries.iter().filter(|q| !q.conflict_target.is_empty()) {
            let Some(t) = crate::model::table_named(&db.tables, &q.table) else {
                continue;
            };
            if !covered(t, &q.conflict_target) {
                found
                    .entry((t.name.clone(), q.conflict_target.clone()))
                    .or_default()
                    .push(op.location.clone());
            }
        }
    }
    for ((table, target), mut locations) in found {
        let at = super::sort_first(&mut locations);
        let cols = target.join(", ");
        out.push(
            Finding::new(
                RuleId::UpsertTargetNotUnique,
                FindingSeverity::Error,
                Topic::Queries,
                Subject::table(&table),
                format!(
                    "`INSERT … ON CONFLICT ({cols})` ({at}): no primary key or unique index of `{table}` is exactly ({cols}), so the database rejects the statement on every call"
                ),
            )
            .advice(format!(
                "❌ Add `CREATE UNIQUE INDEX {table}_{} ON {table}({cols});`, or conflict on the key the table has",
                target.join("_")
            ))
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    fn rows_for(schema: &str) -> Vec<testing::Row> {
        let body = "    await env.DB.prepare(\"INSERT INTO likes (user_id, post_id) VALUES (?, ?) ON CONFLICT (post_id, user_id) DO NOTHING\").bind(t, t).run();";
        rows(
            RuleId::UpsertTargetNotUnique,
            &[
                ("wrangler.toml", &wrangler(testing::D1)),
                ("migrations/0001.sql", schema),
                ("src/index.ts", &testing::fetch(body)),
            ],
        )
    }

    #[test]
    fn fires_on_a_target_no_unique_index_matches() {
        let rows = rows_for(
            "CREATE TABLE likes (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, post_id TEXT NOT NULL);\nCREATE INDEX likes_user ON likes(user_id, post_id);\n",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (likes)");
        assert!(
            rows[0][1].starts_with("`INSERT … ON CONFLICT (post_id, user_id)` (src/index.ts:"),
            "{rows:?}"
        );
        assert!(
            rows[0][2]
                .contains("CREATE UNIQUE INDEX likes_post_id_user_id ON likes(post_id, user_id);"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_a_key_or_unique_index_matches() {
        for schema in [
            "CREATE TABLE likes (user_id TEXT, post_id TEXT, PRIMARY KEY (user_id, post_id));\n",
            "CREATE TABLE likes (id INTEGER PRIMARY KEY, user_id TEXT, post_id TEXT, UNIQUE (user_id, post_id));\n",
            "CREATE TABLE likes (id INTEGER PRIMARY KEY, user_id TEXT, post_id TEXT);\nCREATE UNIQUE INDEX l ON likes(user_id, post_id);\n",
        ] {
            let rows = rows_for(schema);
            assert!(rows.is_empty(), "{schema}: {rows:?}");
        }
        // A history that starts after the table was made: not judged.
        let partial = rows_for("ALTER TABLE likes ADD COLUMN n TEXT;\n");
        assert!(partial.is_empty(), "{partial:?}");
    }
}
