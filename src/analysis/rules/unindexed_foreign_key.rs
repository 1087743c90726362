//! `unindexed-foreign-key`: a foreign key whose columns no index leads with.
use crate::model::{
    Database, Engine, Finding, FindingSeverity, Fix, ForeignKey, Model, QueryVerb, RuleId, Subject,
    Table, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A foreign key no index leads with.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A foreign key whose columns are not the leading columns of any index of
its table (SQLite, D1 and Postgres do not create one for you; MySQL does),
and that something uses: a query filters or joins the child by it, or the
code deletes parent rows or changes their key (each such write checks, or
cascades to, the children). Where no code in the checkout queries the
database, every unindexed foreign key is reported.

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

/// Whether code filters or joins `t` by the key's leading column, or
/// deletes or re-keys rows of the parent.
fn used(model: &Model, db: &Database, t: &Table, fk: &ForeignKey) -> bool {
    let Some(lead) = fk.columns.first() else {
        return false;
    };
    let filtered = t
        .access_patterns
        .iter()
        .any(|a| a.operation.by.iter().any(|c| c.eq_ignore_ascii_case(lead)));
    let joined = model
        .resource_ops
        .iter()
        .flat_map(|o| &o.queries)
        .flat_map(|q| &q.joins)
        .any(|(lt, lc, rt, rc)| {
            (lt.eq_ignore_ascii_case(&t.name) && lc.eq_ignore_ascii_case(lead))
                || (rt.eq_ignore_ascii_case(&t.name) && rc.eq_ignore_ascii_case(lead))
        });
    let parent_written = db
        .tables
        .iter()
        .filter(|p| p.name.eq_ignore_ascii_case(&fk.ref_table))
        .flat_map(|p| &p.access_patterns)
        .any(|a| match a.operation.verb {
            QueryVerb::Delete => true,
            QueryVerb::Update | QueryVerb::Upsert => a.operation.sets.iter().any(|s| {
                fk.ref_columns.iter().any(|r| r.eq_ignore_ascii_case(s))
                    || (fk.ref_columns.is_empty() && s.eq_ignore_ascii_case("id"))
            }),
            _ => false,
        });
    filtered || joined || parent_written
}

/// One finding per unindexed foreign key; a `✅ Keep` row per database
/// whose foreign keys are all indexed.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in model
        .databases
        .iter()
        .filter(|d| d.engine != Engine::MySql && d.indexes_known())
    {
        let mut checked = 0;
        let mut missing = 0;
        // Without code, any use is possible.
        let coded = db.tables.iter().any(|t| !t.access_patterns.is_empty());
        for t in &db.tables {
            for fk in &t.foreign_keys {
                checked += 1;
                if covered(t, &fk.columns) {
                    continue;
                }
                missing += 1;
                if coded && !used(model, db, t, fk) {
                    continue;
                }
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
                    format!("The foreign key in `{}` has an index", db.short_label())
                } else {
                    format!(
                        "All {checked} foreign keys in `{}` have an index",
                        db.short_label()
                    )
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

    /// With code, the key must be used: a child filtered by it or a parent
    /// deleted; an insert-only child is no reason for an index.
    #[test]
    fn with_code_only_a_used_key_is_reported() {
        let with = |body: &str| {
            rows(
                RuleId::UnindexedForeignKey,
                &[
                    ("wrangler.toml", &wrangler(WRANGLER)),
                    ("migrations/0001.sql", SCHEMA),
                    ("src/index.ts", &testing::fetch(body)),
                ],
            )
        };
        let insert = "    await env.DB.prepare(\"INSERT INTO releases (id, app_id) VALUES (?, ?)\").bind(t, t).run();";
        let inserted = with(insert);
        assert!(inserted.is_empty(), "{inserted:?}");
        let listed = with(&format!(
            "{insert}\n    await env.DB.prepare(\"SELECT id FROM releases WHERE app_id = ?\").bind(t).all();"
        ));
        assert_eq!(listed.len(), 1, "{listed:?}");
        let parent_deleted = with(&format!(
            "{insert}\n    await env.DB.prepare(\"DELETE FROM apps WHERE id = ?\").bind(t).run();"
        ));
        assert_eq!(parent_deleted.len(), 1, "{parent_deleted:?}");
    }

    /// A Drizzle schema no `drizzle.config` turns into migrations mirrors
    /// a database made elsewhere: what indexes it lacks is unknown.
    #[test]
    fn a_drizzle_schema_is_judged_only_when_a_config_applies_it() {
        let schema = "import { pgTable, text } from \"drizzle-orm/pg-core\";\nexport const apps = pgTable(\"apps\", { id: text(\"id\").primaryKey() });\nexport const releases = pgTable(\"releases\", {\n  id: text(\"id\").primaryKey(),\n  appId: text(\"app_id\").notNull().references(() => apps.id),\n});\n";
        let config = "import { defineConfig } from \"drizzle-kit\";\nexport default defineConfig({ dialect: \"postgresql\", schema: \"./src/schema.ts\" });\n";
        let mirror = rows(RuleId::UnindexedForeignKey, &[("src/schema.ts", schema)]);
        assert!(mirror.is_empty(), "{mirror:?}");
        let applied = rows(
            RuleId::UnindexedForeignKey,
            &[("src/schema.ts", schema), ("drizzle.config.ts", config)],
        );
        assert_eq!(applied.len(), 1, "{applied:?}");
        assert_eq!(applied[0][0], "Indexes (releases)");
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
        assert_eq!(
            rows[0][1], "The foreign key in `app` has an index",
            "{rows:?}"
        );
        assert_eq!(rows[0][2], "✅ Keep");
    }
}
