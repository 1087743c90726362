//! Recommendation rules: one file per rule, one registry generated from
//! the list in `model::for_each_rule`.
//!
//! Each rule reads the finished model and pushes typed [`Finding`]s (rule,
//! topic, subject, fix); `render::words` words them. A rule that does not
//! apply pushes nothing; a rule that checked something and found it fine
//! may push a `✅ Keep` row. Rule ids are kebab-case and name the pattern
//! found, not the fix. Each rule file holds its `SUMMARY`, `SEVERITY` and
//! `DOC` (printed by `dmqa rules` / `dmqa explain`, and the README's rule
//! table), its `check`, and its tests.

use crate::model::{Finding, FindingSeverity, Fix, Model, RuleId, Subject, for_each_rule};

// Declared here, not by `registry!`, so that `cargo fmt` reaches them; a
// module missing from `for_each_rule` fails clippy (its check is unused).
mod append_only_table_without_retention;
mod bound_parameters_over_limit;
mod build_scoped_keys_never_pruned;
mod clock_units_mixed;
mod consumer_ignores_response_status;
mod consumer_without_dead_letter_queue;
mod dead_letter_queue_without_consumer;
mod delete_blocked_by_children;
mod drop_table_cascades;
mod durable_object_memory_only_state;
mod durable_object_without_migration;
mod dynamic_binding_name;
mod fts_content_without_triggers;
mod global_durable_object_instance;
mod hidden_character_in_name;
mod insert_omits_required_column;
mod key_holds_whole_url;
mod key_left_behind;
mod kv_key_never_read;
mod kv_key_without_ttl;
mod kv_read_modify_write;
mod kv_ttl_below_minimum;
mod limit_without_order_by;
mod list_scan_on_request;
mod noop_upsert_update;
mod optional_binding_drops_writes;
mod queue_delay_over_limit;
mod r2_delete_over_limit;
mod redundant_index;
mod rejected_ddl;
mod round_trip_in_loop;
mod schema_change_outside_migrations;
mod schema_drift;
mod select_star_on_hot_path;
mod send_batch_over_limit;
mod table_over_column_limit;
mod table_without_primary_key;
mod temporary_object_never_deleted;
mod unbounded_list_query;
mod undeclared_binding;
mod unindexed_foreign_key;
mod unindexed_query;
mod unknown_table_or_column;
mod unused_binding;
mod updated_at_never_set;
mod upsert_target_not_unique;

/// A rule: its id, the most severe row it reports, a one-line summary, its
/// check, and its documentation (What it finds / Why it matters / Example).
pub struct Rule {
    /// Stable id.
    pub id: RuleId,
    /// The most severe row it reports.
    pub severity: FindingSeverity,
    /// One line for `dmqa rules`.
    pub summary: &'static str,
    /// The check.
    pub check: fn(&Model, &mut Vec<Finding>),
    /// Markdown documentation, printed by `dmqa explain`.
    pub doc: &'static str,
}

macro_rules! registry {
    ($(($variant:ident, $module:ident, $id:literal)),* $(,)?) => {
        /// The registry, in id order: one entry per line of `for_each_rule`.
        pub const RULES: &[Rule] = &[$(Rule {
            id: RuleId::$variant,
            severity: $module::SEVERITY,
            summary: $module::SUMMARY,
            check: $module::check,
            doc: $module::DOC,
        }),*];
    };
}
for_each_rule!(registry);

#[cfg(test)]
pub(crate) mod testing {
    //! Rule tests read a small checkout in memory through the whole
    //! pipeline, so each rule is tested on the code that would trigger it.

    use crate::model::{Model, RuleId};
    use crate::scan::SourceFile;
    use crate::sources::SourceKind;

    /// One Recommendations row: Area, Current, Recommendation, Effort.
    pub type Row = [String; 4];

    /// The model of a checkout of `files` (path, text), with `dmqa.toml`
    /// text `config`.
    pub fn model_with(config: &str, files: &[(&str, &str)]) -> Model {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(path, text)| {
                let name = path.rsplit('/').next().unwrap_or(path);
                let kind = SourceKind::classify(name).expect("a file dmqa reads");
                SourceFile::new(*path, kind, *text)
            })
            .collect();
        let mut model = Model::default();
        crate::sources::extract(&files, &mut model);
        model.overrides = crate::config::Config::parse(config, "dmqa.toml")
            .expect("a valid dmqa.toml")
            .overrides();
        crate::analysis::analyze(&mut model);
        model
    }

    /// The rows `rule` makes for a checkout of `files`, in report order.
    pub fn rows_with(rule: RuleId, config: &str, files: &[(&str, &str)]) -> Vec<Row> {
        let model = model_with(config, files);
        crate::render::view::recommendations(&model)
            .into_iter()
            .filter(|(f, _)| f.rule == rule)
            .map(|(_, r)| [r.area, r.current, r.recommendation, r.effort])
            .collect()
    }

    /// The rows `rule` makes for a checkout of `files`.
    pub fn rows(rule: RuleId, files: &[(&str, &str)]) -> Vec<Row> {
        rows_with(rule, "", files)
    }

    /// The wrangler lines of one D1 binding, `DB`.
    pub const D1: &str = "[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"app\"\n";

    /// The rows `rule` makes for a Worker whose D1 migration is `schema`
    /// and whose `fetch` handler runs `sql` on it.
    pub fn d1_fetch_rows(rule: RuleId, schema: &str, sql: &str) -> Vec<Row> {
        let code = format!(
            "export default {{\n  async fetch(request: Request, env: Env) {{\n    const r = await env.DB.prepare(\"{sql}\").bind(\"a\").first();\n    return Response.json(r);\n  }},\n}};\n"
        );
        rows(
            rule,
            &[
                ("wrangler.toml", &wrangler(D1)),
                ("migrations/0001.sql", schema),
                ("src/index.ts", &code),
            ],
        )
    }

    /// A Worker module whose `fetch` handler runs `body` (with `request`,
    /// `env` and `t`, the request's path, in scope).
    pub fn fetch(body: &str) -> String {
        format!(
            "export default {{\n  async fetch(request: Request, env: Env) {{\n    const t = new URL(request.url).pathname;\n{body}\n    return new Response(\"ok\");\n  }},\n}};\n"
        )
    }

    /// A Worker named `app` with the bindings of `toml` (wrangler.toml
    /// lines after `name` and `main`).
    pub fn wrangler(toml: &str) -> String {
        format!("name = \"app\"\nmain = \"src/index.ts\"\n{toml}")
    }
}

/// Sorts and dedups a finding's `locations` and names the first
/// (`src/index.ts:12`), empty when there is none.
fn sort_first(locations: &mut Vec<crate::model::Location>) -> String {
    locations.sort();
    locations.dedup();
    locations
        .first()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The rule with id `id`.
pub fn rule(id: RuleId) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .expect("every RuleId has a registry entry")
}

/// Whether `dmqa.toml` silences `f`: its rule, or its rule for its
/// subject (`unused-binding:AVATARS`, `undeclared-binding:[env.staging]`).
fn silenced(f: &Finding, silence: &[String]) -> bool {
    let key = f.subject.key();
    silence.iter().any(|s| match s.split_once(':') {
        Some((rule, what)) => rule == f.rule.as_str() && what == key,
        None => s == f.rule.as_str(),
    })
}

/// Runs every rule and appends its findings to the model, less those
/// `dmqa.toml` silences.
pub fn run(model: &mut Model) {
    let mut findings = Vec::new();
    for rule in RULES {
        (rule.check)(model, &mut findings);
    }
    // Each finding judged alone, before rows merge.
    let findings = super::suppress::apply(findings, &model.suppressions, &mut model.diagnostics);
    let mut findings = merge_same_index(findings);
    findings.retain(|f| !silenced(f, &model.overrides.silence));
    for f in &mut findings {
        qualify_table(model, f);
        f.impact = impact(model, &f.subject);
    }
    model.findings.extend(merge_same_cause(findings));
}

/// The rules whose rows repeat one cause about many subjects, with one
/// remedy: a table without a key, a binding no code reads, `SELECT *` on a
/// route. Rows of other rules stay apart: each is its own decision.
const ONE_ROW_PER_CAUSE: &[RuleId] = &[
    RuleId::LimitWithoutOrderBy,
    RuleId::SelectStarOnHotPath,
    RuleId::TableWithoutPrimaryKey,
    RuleId::UnusedBinding,
    RuleId::UpdatedAtNeverSet,
];

/// Warnings and errors of one of those rules with the same advice and no
/// fix of their own (`SELECT *` on five routes, five tables without a
/// primary key; unused bindings of one config) become one row: the busiest
/// subject's, listing the others.
fn merge_same_cause(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| {
        (a.rank(), &a.subject, &a.message, &a.locations).cmp(&(
            b.rank(),
            &b.subject,
            &b.message,
            &b.locations,
        ))
    });
    let database = |s: &Subject| match s {
        Subject::Table { database, .. } => database.clone(),
        _ => None,
    };
    // Bindings are declared per Worker: one row per config file.
    let config = |f: &Finding| {
        (f.rule == RuleId::UnusedBinding)
            .then(|| f.locations.first().map(|l| l.path.clone()))
            .flatten()
    };
    let mergeable = |f: &Finding| {
        ONE_ROW_PER_CAUSE.contains(&f.rule)
            && f.fix.is_none()
            && f.query.is_none()
            && f.also_needed_by.is_empty()
            && !f.advice.is_empty()
    };
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        let same = |m: &&mut Finding| {
            mergeable(m)
                && mergeable(&f)
                && (m.rule, m.severity, m.topic) == (f.rule, f.severity, f.topic)
                && m.advice == f.advice
                && database(&m.subject) == database(&f.subject)
                && config(m) == config(&f)
        };
        match out.iter_mut().find(same) {
            Some(m) => m.repeats.push(crate::model::Repeat {
                subject: f.subject,
                message: f.message,
                locations: f.locations,
            }),
            None => out.push(f),
        }
    }
    out
}

/// How often the code using `subject` runs at most: a table's queries, a
/// binding's calls, a queue's consumer, the stub calls of a Durable
/// Object's methods. `None` when nothing reaches it (or
/// only a level `dmqa.toml` names, which does not rank).
fn impact(model: &Model, subject: &Subject) -> Option<crate::model::Frequency> {
    use crate::model::Frequency;
    let mut levels: Vec<Frequency> = match subject {
        Subject::Table { name, database } => model
            .databases
            .iter()
            .filter(|d| database.as_ref().is_none_or(|id| &d.id == id))
            .flat_map(|d| &d.tables)
            .filter(|t| &t.name == name)
            .flat_map(|t| &t.access_patterns)
            .flat_map(|a| &a.frequency)
            .map(|r| r.frequency.clone())
            .collect(),
        Subject::Binding { name } => model
            .resource_ops
            .iter()
            .filter(|o| &o.binding == name)
            .flat_map(|o| &o.entries)
            .map(crate::analysis::resources::frequency_of)
            .collect(),
        Subject::Queue { name } => model
            .queues
            .iter()
            .filter(|q| &q.name == name && !q.consumers.is_empty())
            .map(|_| Frequency::PerMessage)
            .collect(),
        Subject::Class { name } => model
            .durable_objects
            .iter()
            .filter(|d| &d.class_name == name)
            .flat_map(|d| &d.methods)
            .flat_map(|m| &m.called_by)
            .flat_map(|c| match c {
                // A caller that is an entry point itself lists none.
                crate::model::Caller::Stub { entries, actor } if entries.is_empty() => {
                    vec![crate::cloudflare::entry_point(
                        crate::cloudflare::Lang::TypeScript,
                        actor,
                    )]
                }
                crate::model::Caller::Stub { entries, .. } => entries.clone(),
                _ => Vec::new(),
            })
            .map(|e| crate::analysis::resources::frequency_of(&e))
            .collect(),
        _ => Vec::new(),
    };
    levels.retain(|l| !matches!(l, Frequency::Unknown | Frequency::Configured(_)));
    levels.into_iter().min()
}

/// Findings that ask for the same index become one row: an unindexed
/// foreign key's row, else the first query's, names every other query
/// that needs it. Whatever order the rules ran in, the same rows result.
fn merge_same_index(findings: Vec<Finding>) -> Vec<Finding> {
    let creates = |f: &Finding| matches!(f.fix, Some(Fix::CreateIndex { .. }));
    let (mut index_rows, mut out): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(creates);
    // Foreign keys first, each rule's rows in the order it made them.
    index_rows.sort_by_key(|f| f.rule != RuleId::UnindexedForeignKey);
    let mut merged: Vec<Finding> = Vec::new();
    for f in index_rows {
        let same = |m: &&mut Finding| match (&m.fix, &f.fix) {
            (Some(a), Some(b)) => a.same_change(b),
            _ => false,
        };
        match (merged.iter_mut().find(same), &f.query) {
            (Some(m), Some(q)) => {
                m.also_needed_by.push(q.clone());
                m.locations.extend(f.locations);
            }
            _ => merged.push(f),
        }
    }
    out.extend(merged);
    out
}

/// A table subject several databases have a table of that name for
/// names the database the finding's locations are in.
fn qualify_table(model: &Model, f: &mut Finding) {
    let Subject::Table { name, database } = &mut f.subject else {
        return;
    };
    let holders: Vec<&crate::model::Database> = model
        .databases
        .iter()
        .filter(|d| d.tables.iter().any(|t| &t.name == name))
        .collect();
    if holders.len() < 2 {
        return;
    }
    let of_finding = |d: &&&crate::model::Database| {
        f.locations.iter().any(|l| {
            d.sources.contains(&l.path)
                || d.tables
                    .iter()
                    .any(|t| &t.name == name && t.location.path == l.path)
        })
    };
    let mut found = holders.iter().filter(of_finding);
    let one = match (found.next(), found.next()) {
        (Some(d), None) => Some(*d),
        // Found in code (a query): the database beside that code.
        (None, _) => {
            let scored: Vec<(&crate::model::Database, usize)> = holders
                .iter()
                .map(|d| {
                    let near = f
                        .locations
                        .iter()
                        .map(|l| crate::analysis::shared_folders(&d.id, &l.path));
                    (*d, near.max().unwrap_or(0))
                })
                .collect();
            crate::analysis::nearest(&scored)
        }
        _ => None,
    };
    *database = one.map(|d| d.id.clone());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Database, Engine, FindingSeverity, HotQuery, Location, Table, Topic};

    fn index_row(rule: RuleId, columns: &[&str], query: Option<&str>, line: u32) -> Finding {
        let f = Finding::new(
            rule,
            FindingSeverity::Warning,
            Topic::Indexes,
            Subject::table("geese"),
            format!("row {line}"),
        )
        .fix(Fix::CreateIndex {
            table: "geese".into(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            plan: Vec::new(),
        })
        .at(vec![Location::line("src/index.ts", line)]);
        match query {
            Some(q) => f.query(HotQuery {
                query: q.into(),
                entries: vec![crate::cloudflare::entry_point(
                    crate::cloudflare::Lang::TypeScript,
                    "GET /geese",
                )],
            }),
            None => f,
        }
    }

    #[test]
    fn a_table_name_two_databases_share_says_which() {
        let mut model = Model::default();
        for (id, file) in [
            ("a/migrations", "a/migrations/0001.sql"),
            ("b/migrations", "b/migrations/0001.sql"),
        ] {
            let mut db = Database::empty(id, Engine::Sqlite, vec![file.to_owned()]);
            db.tables.push(Table::new("geese", Location::line(file, 1)));
            model.databases.push(db);
        }
        let database = |path: &str| {
            let mut f = index_row(RuleId::UnindexedQuery, &["x"], None, 3);
            f.locations = vec![Location::line(path, 3)];
            qualify_table(&model, &mut f);
            match f.subject {
                Subject::Table { database, .. } => database,
                _ => unreachable!(),
            }
        };
        // By the schema file, by the code beside it, or not at all.
        assert_eq!(
            database("b/migrations/0001.sql").as_deref(),
            Some("b/migrations")
        );
        assert_eq!(database("a/src/index.ts").as_deref(), Some("a/migrations"));
        assert_eq!(database("src/index.ts"), None);
    }

    #[test]
    fn rows_asking_for_one_index_merge_whatever_order_the_rules_ran_in() {
        let fk = index_row(RuleId::UnindexedForeignKey, &["flock_id"], None, 1);
        let q1 = index_row(
            RuleId::UnindexedQuery,
            &["flock_id"],
            Some("WHERE flock_id = ?"),
            2,
        );
        let q2 = index_row(RuleId::UnindexedQuery, &["name"], Some("WHERE name = ?"), 3);
        let forward = merge_same_index(vec![fk.clone(), q1.clone(), q2.clone()]);
        let backward = merge_same_index(vec![q2.clone(), q1.clone(), fk.clone()]);
        let sorted = |mut v: Vec<Finding>| {
            v.sort_by(|a, b| a.message.cmp(&b.message));
            v
        };
        let forward = sorted(forward);
        assert_eq!(forward, sorted(backward));
        assert_eq!(forward.len(), 2, "{forward:?}");
        assert_eq!(forward[0].rule, RuleId::UnindexedForeignKey);
        assert_eq!(forward[0].message, "row 1");
        assert_eq!(
            forward[0].also_needed_by,
            q1.query.clone().into_iter().collect::<Vec<_>>()
        );
        assert_eq!(
            crate::render::words::current(&forward[0]),
            "row 1; `WHERE flock_id = ?` on GET /geese needs it"
        );
        assert_eq!(forward[0].locations.len(), 2);
        assert_eq!(forward[1].message, "row 3");
        // Two queries needing one index: the first names the second.
        let merged = merge_same_index(vec![
            q1.clone(),
            index_row(
                RuleId::UnindexedQuery,
                &["flock_id"],
                Some("WHERE flock_id = ? LIMIT 1"),
                4,
            ),
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].message, "row 2");
        assert_eq!(merged[0].also_needed_by.len(), 1);
        assert_eq!(
            merged[0].also_needed_by[0].query,
            "WHERE flock_id = ? LIMIT 1"
        );
    }

    #[test]
    fn silencing_compares_the_rule_and_the_subject_key() {
        let f = Finding::new(
            RuleId::UnusedBinding,
            FindingSeverity::Warning,
            Topic::Bindings,
            Subject::Binding {
                name: "AVATARS".into(),
            },
            "unused",
        );
        assert!(silenced(&f, &["unused-binding".into()]));
        assert!(silenced(&f, &["unused-binding:AVATARS".into()]));
        assert!(!silenced(&f, &["unused-binding:OTHER".into()]));
        assert!(!silenced(&f, &["redundant-index:AVATARS".into()]));
        // The words of the message do not matter.
        let g = Finding {
            message: "Bindings (AVATARS)".into(),
            subject: Subject::Topic,
            ..f
        };
        assert!(!silenced(&g, &["unused-binding:AVATARS".into()]));
        let env = Finding::new(
            RuleId::UndeclaredBinding,
            FindingSeverity::Error,
            Topic::Bindings,
            Subject::Environment {
                env: Some("staging".into()),
            },
            "x",
        );
        assert!(silenced(&env, &["undeclared-binding:[env.staging]".into()]));
    }

    /// The model of a Worker whose migration is `schema` and whose `fetch`
    /// inserts into `hot`.
    fn inserting_into(hot: &str, schema: &str) -> Model {
        let body = format!(
            "    await env.DB.prepare(\"INSERT INTO {hot} (y) VALUES (?)\").bind(t).run();"
        );
        testing::model_with(
            "",
            &[
                ("wrangler.toml", &testing::wrangler(testing::D1)),
                ("migrations/0001.sql", schema),
                ("src/index.ts", &testing::fetch(&body)),
            ],
        )
    }

    /// The Area and impact of each row of `rule`, in report order.
    fn ranked(model: &Model, rule: RuleId) -> Vec<String> {
        crate::render::view::recommendations(model)
            .into_iter()
            .filter(|(f, _)| f.rule == rule)
            .map(|(f, r)| format!("{} {:?}", r.area, f.impact))
            .collect()
    }

    /// Within a severity, the row about what a route uses comes before
    /// the row about what nothing reaches, whatever their names.
    #[test]
    fn rows_about_hot_code_come_first() {
        let schema = "CREATE TABLE a_cold_events (y TEXT, created_at TEXT);\nCREATE TABLE z_hot_events (y TEXT, created_at TEXT);\n";
        let model = inserting_into("z_hot_events", schema);
        assert_eq!(
            ranked(&model, RuleId::AppendOnlyTableWithoutRetention),
            [
                "Retention (z_hot_events) Some(High)",
                "Retention (a_cold_events) None"
            ]
        );
    }

    /// A cause that repeats is one row, led by its busiest subject; a rule
    /// whose rows are each their own decision keeps them apart (above).
    #[test]
    fn a_repeated_cause_is_one_row_listing_its_subjects() {
        let schema = "CREATE TABLE a_cold (y TEXT);\nCREATE TABLE z_hot (y TEXT);\n";
        let model = inserting_into("z_hot", schema);
        assert_eq!(
            ranked(&model, RuleId::TableWithoutPrimaryKey),
            ["Keys (z_hot, a_cold) Some(High)"]
        );
        let rows = testing::rows_with(
            RuleId::TableWithoutPrimaryKey,
            "",
            &[
                ("wrangler.toml", &testing::wrangler(testing::D1)),
                ("migrations/0001.sql", schema),
            ],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            rows[0][1],
            "`a_cold` has no primary key (migrations/0001.sql:1); `z_hot` has no primary key (migrations/0001.sql:2)"
        );
    }

    /// Unused bindings are one row per config that declares them.
    #[test]
    fn unused_bindings_are_one_row_per_config() {
        let config = |name: &str| {
            format!(
                "name = \"{name}\"\nmain = \"src/index.ts\"\n[[kv_namespaces]]\nbinding = \"A\"\nid = \"a\"\n[[kv_namespaces]]\nbinding = \"B\"\nid = \"b\"\n[[kv_namespaces]]\nbinding = \"C\"\nid = \"c\"\n"
            )
        };
        let code = testing::fetch("    await env.C.get(\"a\");");
        let code = code.as_str();
        let rows = testing::rows(
            RuleId::UnusedBinding,
            &[
                ("one/wrangler.toml", &config("one")),
                ("one/src/index.ts", code),
                ("two/wrangler.toml", &config("two")),
                ("two/src/index.ts", code),
            ],
        );
        let areas: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(areas, ["Bindings (A, B)", "Bindings (A, B)"], "{rows:?}");
        assert!(
            rows[0][1].contains("`one`") && rows[1][1].contains("`two`"),
            "{rows:?}"
        );
    }

    #[test]
    fn every_rule_file_is_registered_once_with_a_doc() {
        let ids: Vec<RuleId> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids, RuleId::ALL, "RULES follows for_each_rule");
        // Each rule file in this folder is a registry entry: a file left out
        // of for_each_rule fails here.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/analysis/rules");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rs") && n != "mod.rs")
            .map(|n| n.trim_end_matches(".rs").replace('_', "-"))
            .collect();
        files.sort();
        let registered: Vec<&str> = RULES.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(files, registered);
        for r in RULES {
            for heading in ["## What it finds", "## Why it matters", "## Example"] {
                assert!(r.doc.contains(heading), "{} lacks {heading}", r.id.as_str());
            }
            assert!(r.summary.ends_with('.') && !r.summary.contains('\n'));
            assert_eq!(RuleId::parse(r.id.as_str()), Some(r.id));
        }
    }
}
