//! Row estimates and fallback purposes, from a table's shape and place in
//! the relationship graph. Deterministic rules, documented in the README:
//!
//! - a *log* (name ending in `log`, `logs`, `events`, `pings`, `history`,
//!   `audit`, `messages`, `metrics`, `visits`, `views`, or a table with a
//!   time column, no primary key, no `updated_at` and no access pattern
//!   that updates it) is `1M+`;
//! - a *join table* (primary key made of two foreign keys) is one order
//!   above its larger parent;
//! - a *lookup table* (references nothing; named like `*_types`, `roles`,
//!   `plans`, `categories`, `settings` with at most four columns, or at
//!   most three columns, referenced by others and no `*_at` column) is
//!   `10s`;
//! - a *root* (references nothing) is `1000s`; each foreign-key hop below a
//!   root (through its nearest parent) adds an order of magnitude
//!   (`10000s`, `100000s`, then `1M+`).
//!
//! A table without a purpose from a comment gets one from its shape: join
//! table of X and Y, 1:1 extension of X, append-only log, lookup table,
//! child of X, root entity referenced by Y, standalone table.

use crate::model::{AccessPattern, Database, Model, QueryVerb, Table, TableKind};
use std::collections::BTreeMap;

const ORDERS: &[&str] = &["10s", "100s", "1000s", "10000s", "100000s", "1M+"];

const LOG_SUFFIXES: &[&str] = &[
    "log", "logs", "events", "pings", "history", "audit", "messages", "metrics", "visits", "views",
];
const LOOKUP_NAMES: &[&str] = &[
    "types",
    "roles",
    "plans",
    "categories",
    "settings",
    "statuses",
    "features",
];

fn order(i: usize) -> String {
    ORDERS[i.min(ORDERS.len() - 1)].to_owned()
}

fn has_update(patterns: &[AccessPattern]) -> bool {
    patterns
        .iter()
        .any(|p| matches!(p.operation.verb, QueryVerb::Update | QueryVerb::Upsert))
}

pub(crate) fn is_log(t: &Table) -> bool {
    if LOG_SUFFIXES.iter().any(|s| ends_with_word(&t.name, s)) {
        return true;
    }
    let time = t.columns.iter().any(|c| {
        matches!(
            c.name.as_str(),
            "created_at" | "occurred_at" | "timestamp" | "pinged_at" | "logged_at"
        )
    });
    let updated = t.columns.iter().any(|c| c.name == "updated_at");
    // A key of its own (surrogate or natural) marks an entity or a
    // membership row; an event log is keyless.
    time && !updated && !has_update(&t.access_patterns) && t.primary_key.is_empty()
}

/// Whether `name`'s last word is `word`: `audit_logs`, `auditLogs`, `logs`,
/// not `catalog`, `blog` or `reviews`.
fn ends_with_word(name: &str, word: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let Some(head) = lower.strip_suffix(word) else {
        return false;
    };
    let cut = head.len();
    head.is_empty()
        || head.ends_with(['_', '-'])
        || (name.as_bytes()[cut].is_ascii_uppercase()
            && name.as_bytes()[cut - 1].is_ascii_lowercase())
}

/// A small reference table: references nothing, and is named like one
/// (`*_types`, `roles`, `plans`…) or is a tiny referenced table with no
/// timestamps (entities have `created_at`; code lists do not).
fn is_lookup(t: &Table, referenced: bool) -> bool {
    let name = t.name.to_ascii_lowercase();
    let timestamped = t.columns.iter().any(|c| c.name.ends_with("_at"));
    t.foreign_keys.is_empty()
        && ((t.columns.len() <= 4 && LOOKUP_NAMES.iter().any(|n| name.ends_with(n)))
            || (t.columns.len() <= 3 && referenced && !timestamped))
}

fn is_join(t: &Table) -> bool {
    t.primary_key.len() == 2
        && t.primary_key.iter().all(|k| {
            t.foreign_keys
                .iter()
                .any(|f| f.columns.len() == 1 && &f.columns[0] == k)
        })
}

/// The `order` index of every table of `db`, by name.
fn estimates(db: &Database) -> BTreeMap<String, usize> {
    let referenced: Vec<&str> = db
        .tables
        .iter()
        .flat_map(|t| t.foreign_keys.iter().map(|f| f.ref_table.as_str()))
        .collect();
    let mut res: BTreeMap<String, usize> = BTreeMap::new();
    // Depth below a root, by repeated relaxation (bounded: a cycle of
    // foreign keys stops at the bound).
    // A root references only itself or tables outside the database
    // (Supabase's `auth.users`).
    let inside: std::collections::BTreeSet<&str> =
        db.tables.iter().map(|t| t.name.as_str()).collect();
    let mut depth: BTreeMap<&str, usize> = db
        .tables
        .iter()
        .filter(|t| {
            t.foreign_keys
                .iter()
                .all(|f| f.ref_table == t.name || !inside.contains(f.ref_table.as_str()))
        })
        .map(|t| (t.name.as_str(), 0))
        .collect();
    for _ in 0..db.tables.len().min(16) {
        for t in &db.tables {
            let parents: Vec<usize> = t
                .foreign_keys
                .iter()
                .filter(|f| f.ref_table != t.name)
                .filter_map(|f| depth.get(f.ref_table.as_str()).copied())
                .collect();
            // The nearest root bounds how many rows a table has per
            // parent: `channels` hangs off `apps`, whatever else it names.
            if let Some(min) = parents.iter().min()
                && depth.get(t.name.as_str()).is_none_or(|d| *d > min + 1)
                && *min < 8
            {
                depth.insert(&t.name, min + 1);
            }
        }
    }
    for t in &db.tables {
        let lookup = is_lookup(t, referenced.contains(&t.name.as_str()));
        let i = if is_log(t) {
            5
        } else if lookup {
            0
        } else {
            2 + depth.get(t.name.as_str()).copied().unwrap_or(0)
        };
        res.insert(t.name.clone(), i);
    }
    // Join tables: one order above their larger parent.
    for t in db.tables.iter().filter(|t| is_join(t)) {
        let parent = t
            .foreign_keys
            .iter()
            .filter_map(|f| res.get(&f.ref_table).copied())
            .max()
            .unwrap_or(2);
        res.insert(t.name.clone(), parent + 1);
    }
    res
}

/// A purpose from a table's shape, for tables no comment describes.
/// `referenced` and `parents` are the tables referencing `t` and those it
/// references, by foreign key or inferred relationship.
fn shape_purpose(t: &Table, referenced: &[&str], parents: &[&str]) -> Option<String> {
    let is_referenced = !referenced.is_empty();
    if let TableKind::Virtual { module, .. } = &t.kind {
        return Some(format!("Virtual table ({module})"));
    }
    if is_join(t) {
        let parents: Vec<&str> = t
            .foreign_keys
            .iter()
            .map(|f| f.ref_table.as_str())
            .collect();
        return Some(format!("Join table of {}", parents.join(" and ")));
    }
    if let [pk] = t.primary_key.as_slice()
        && let Some(f) = t
            .foreign_keys
            .iter()
            .find(|f| f.columns.len() == 1 && &f.columns[0] == pk && f.ref_table != t.name)
    {
        return Some(format!("1:1 extension of {}", f.ref_table));
    }
    if is_log(t) {
        return Some("Append-only event log".to_owned());
    }
    if is_lookup(t, is_referenced) {
        return Some("Lookup table".to_owned());
    }
    if !parents.is_empty() {
        return Some(format!("Child of {}", english_list(parents)));
    }
    Some(if referenced.is_empty() {
        "Standalone table: no foreign keys in or out".to_owned()
    } else {
        format!("Root entity, referenced by {}", english_list(referenced))
    })
}

/// `a`, `a and b`, `a, b and c`.
fn english_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Fills `row_estimate` and missing purposes.
pub fn collect(model: &mut Model) {
    for db in &mut model.databases {
        let est = estimates(db);
        let known = db.schema_known();
        // Table → the other tables referencing it, and those it
        // references, sorted: declared, Drizzle and inferred alike.
        let mut referenced_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut parents_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in model
            .relationships
            .iter()
            .filter(|r| r.database == db.id && r.from_table != r.to_table)
        {
            referenced_by
                .entry(&r.to_table)
                .or_default()
                .push(&r.from_table);
            parents_of
                .entry(&r.from_table)
                .or_default()
                .push(&r.to_table);
        }
        for list in referenced_by.values_mut().chain(parents_of.values_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        for t in &mut db.tables {
            let none = Vec::new();
            let children = referenced_by.get(t.name.as_str()).unwrap_or(&none);
            let parents = parents_of.get(t.name.as_str()).unwrap_or(&none);
            if t.row_estimate.is_none() {
                t.row_estimate = est.get(&t.name).map(|i| order(*i));
            }
            // A shape needs the schema's keys.
            if t.purpose.is_none() {
                t.purpose = if known {
                    shape_purpose(t, children, parents)
                } else {
                    Some("Queried by the code; no migration, ORM schema or DDL in the checkout creates it".to_owned())
                };
            }
            // `dmqa.toml` `[tables.NAME]` wins over comments and shapes.
            if let Some(o) = model.overrides.tables.get(&t.name) {
                if let Some(p) = &o.purpose {
                    t.purpose = Some(p.clone());
                }
                if let Some(r) = &o.rows {
                    t.row_estimate = Some(r.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Engine, ForeignKey, Location};

    #[test]
    fn a_log_suffix_is_a_whole_word() {
        for log in [
            "logs",
            "audit_logs",
            "auditLogs",
            "page-views",
            "device_pings",
        ] {
            assert!(LOG_SUFFIXES.iter().any(|s| ends_with_word(log, s)), "{log}");
        }
        for entity in ["reviews", "catalog", "blog", "previews", "Catalog", "ÉLog"] {
            assert!(
                !LOG_SUFFIXES.iter().any(|s| ends_with_word(entity, s)),
                "{entity}"
            );
        }
    }

    fn table(name: &str, cols: &[&str], pk: &[&str], fks: &[(&str, &str)]) -> Table {
        let mut t = Table::new(name, Location::line("m.sql", 1));
        for c in cols {
            t.columns
                .push(Column::new(c, "TEXT", Location::line("m.sql", 1)));
        }
        t.primary_key = pk.iter().map(|s| (*s).into()).collect();
        for (col, to) in fks {
            t.foreign_keys.push(ForeignKey {
                columns: vec![(*col).into()],
                ref_table: (*to).into(),
                ref_columns: vec!["id".into()],
                on_delete: None,
                on_update: None,
                location: Location::line("m.sql", 1),
            });
        }
        t
    }

    #[test]
    fn estimates_follow_roles_and_depth() {
        let mut db = Database::empty("m", Engine::D1, vec![]);
        db.tables = vec![
            table(
                "orgs",
                &["id", "name", "slug", "plan", "created_at", "updated_at"],
                &["id"],
                &[],
            ),
            table(
                "apps",
                &["id", "org_id", "name", "created_at", "updated_at"],
                &["id"],
                &[("org_id", "orgs")],
            ),
            table(
                "releases",
                &["id", "app_id", "v", "created_at", "updated_at"],
                &["id"],
                &[("app_id", "apps")],
            ),
            table("plans", &["id", "name"], &["id"], &[]),
            table(
                "app_tags",
                &["app_id", "tag_id"],
                &["app_id", "tag_id"],
                &[("app_id", "apps"), ("tag_id", "plans")],
            ),
            table("audit_log", &["id", "action", "created_at"], &["id"], &[]),
        ];
        let est = estimates(&db);
        let got: Vec<(&str, String)> =
            ["orgs", "apps", "releases", "plans", "app_tags", "audit_log"]
                .iter()
                .map(|n| (*n, order(est[*n])))
                .collect();
        assert_eq!(
            got,
            vec![
                ("orgs", "1000s".into()),
                ("apps", "10000s".into()),
                ("releases", "100000s".into()),
                ("plans", "10s".into()),
                ("app_tags", "100000s".into()),
                ("audit_log", "1M+".into()),
            ]
        );
        assert_eq!(
            shape_purpose(&db.tables[4], &[], &["apps", "plans"]).as_deref(),
            Some("Join table of apps and plans")
        );
        assert_eq!(
            shape_purpose(&db.tables[5], &[], &[]).as_deref(),
            Some("Append-only event log")
        );
        assert_eq!(
            shape_purpose(&db.tables[3], &["app_tags"], &[]).as_deref(),
            Some("Lookup table")
        );
        assert_eq!(
            shape_purpose(&db.tables[2], &[], &["apps"]).as_deref(),
            Some("Child of apps")
        );
        assert_eq!(
            shape_purpose(&db.tables[0], &["apps", "teams"], &[]).as_deref(),
            Some("Root entity, referenced by apps and teams")
        );
    }

    #[test]
    fn keyed_tables_with_a_timestamp_are_not_logs() {
        // A membership row keyed by its natural key is not an event log.
        let acl = table(
            "site_acl",
            &["site_id", "principal", "created_at"],
            &["site_id", "principal"],
            &[],
        );
        assert!(!is_log(&acl));
        let pings = table("device_hits", &["device_id", "created_at"], &[], &[]);
        assert!(is_log(&pings));
        assert_eq!(
            shape_purpose(&acl, &[], &[]).as_deref(),
            Some("Standalone table: no foreign keys in or out")
        );
    }
}
