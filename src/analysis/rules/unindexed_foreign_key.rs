//! `unindexed-foreign-key`: a foreign key whose columns no index leads with.
use crate::model::{Engine, Finding, FindingSeverity, Fix, Model, RuleId, Subject, Table, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A foreign key no index leads with.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A foreign key whose columns are not the leading columns of any index of
its table (SQLite, D1 and Postgres do not create one for you; MySQL does).

## Why it matters
Every join on the key and every `ON DELETE` check on the parent scans the
whole child table. On D1 that is rows read (and billed) per request.

## Example
`releases.app_id REFERENCES apps(id)` with no index →
`CREATE INDEX idx_releases_app_id ON releases(app_id);`
";

fn covered(t: &Table, cols: &[String]) -> bool {
    t.indexes.iter().any(|i| {
        i.partial.is_none()
            && i.columns.len() >= cols.len()
            && i.columns
                .iter()
                .take(cols.len())
                .all(|c| cols.iter().any(|x| x.eq_ignore_ascii_case(&c.name)))
    }) || (t.primary_key.len() >= cols.len()
        && t.primary_key
            .iter()
            .take(cols.len())
            .all(|c| cols.iter().any(|x| x.eq_ignore_ascii_case(c))))
}

/// One finding per unindexed foreign key; a `✅ Keep` row per database
/// whose foreign keys are all indexed.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in model.databases.iter().filter(|d| d.engine != Engine::MySql) {
        let mut checked = 0;
        let mut missing = 0;
        for t in &db.tables {
            for fk in &t.foreign_keys {
                checked += 1;
                if covered(t, &fk.columns) {
                    continue;
                }
                missing += 1;
                let cols = fk.columns.join(", ");
                out.push(
                    Finding::new(
                        RuleId::UnindexedForeignKey,
                        FindingSeverity::Warning,
                        Topic::Indexes,
                        Subject::table(&t.name),
                        format!(
                            "FK `{}({cols})` → {} has no index ({})",
                            t.name, fk.ref_table, fk.location
                        ),
                    )
                    .fix(Fix::CreateIndex {
                        table: t.name.clone(),
                        columns: fk.columns.clone(),
                        plan: Vec::new(),
                    })
                    .at(vec![fk.location.clone()]),
                );
            }
        }
        if checked > 0 && missing == 0 {
            out.push(Finding::new(
                RuleId::UnindexedForeignKey,
                FindingSeverity::Keep,
                Topic::Indexes,
                Subject::Topic,
                if checked == 1 {
                    format!("The foreign key of `{}` has an index", db.id)
                } else {
                    format!("All {checked} foreign keys of `{}` have an index", db.id)
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = testing::D1;
    const SCHEMA: &str = "CREATE TABLE apps (id TEXT PRIMARY KEY);\n\
        CREATE TABLE releases (id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id));\n";

    #[test]
    fn fires_on_a_foreign_key_no_index_leads_with() {
        let rows = rows(
            RuleId::UnindexedForeignKey,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("migrations/0001.sql", SCHEMA),
            ],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Indexes (releases)");
        assert_eq!(
            rows[0][2],
            "⚠️ Add `CREATE INDEX idx_releases_app_id ON releases(app_id);`"
        );
    }

    #[test]
    fn keeps_a_database_whose_foreign_keys_are_indexed() {
        let sql = format!("{SCHEMA}CREATE INDEX idx_releases_app ON releases(app_id, id);\n");
        let rows = rows(
            RuleId::UnindexedForeignKey,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("migrations/0001.sql", &sql),
            ],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Indexes");
        assert!(rows[0][1].starts_with("The foreign key of "), "{rows:?}");
        assert_eq!(rows[0][2], "✅ Keep");
    }
}
