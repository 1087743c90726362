//! `durable-object-without-migration`: a Worker binds a Durable Object class
//! of its own that none of its migrations creates.

use crate::model::{BindingKind, Location};
use crate::model::{Effort, Finding, FindingSeverity, Model, RuleId, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "A Durable Object class bound by its own Worker that no migration creates.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A `durable_objects` binding whose class lives in the same Worker (no
`script_name`, or its own name) while the Worker's `[[migrations]]` and
`exports` never create it: no `new_classes` / `new_sqlite_classes`, no
`renamed_classes` or `transferred_classes` ending at it, or a later
`deleted_classes` removes it. Migrations are inherited by `[env.NAME]`
sections, so each environment is checked against the top-level list.

## Why it matters
Cloudflare creates a Durable Object namespace only through a migration: a
deploy that binds a class no migration created is rejected (\"not currently
configured to implement Durable Objects\"), and a class deleted by a
migration while still bound fails the same way.

## Example
`{ name = \"COUNTER\", class_name = \"Counter\" }` with `[[migrations]] tag =
\"v1\" new_sqlite_classes = [\"SqlCounter\"]` → add `[[migrations]] tag =
\"v2\" new_sqlite_classes = [\"Counter\"]`.
";

/// One finding per config file: the classes its Workers bind and never
/// create, with the bindings that name them.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // config path → class → the binding declarations naming it.
    let mut missing: BTreeMap<&str, BTreeMap<&str, Vec<Location>>> = BTreeMap::new();
    for w in &model.workers {
        let live = w.live_classes();
        // The names a `script_name` gives this Worker itself.
        let own_names = [
            Some(w.name.clone()),
            w.environment.as_ref().map(|e| format!("{}-{e}", w.name)),
        ];
        for b in &w.bindings {
            if b.kind != BindingKind::DurableObject {
                continue;
            }
            let Some(class) = b.target.as_deref() else {
                continue;
            };
            // A class of another Worker: that Worker's migrations create it.
            if b.settings
                .get("script_name")
                .is_some_and(|s| !own_names.iter().flatten().any(|n| n == s))
            {
                continue;
            }
            if live.iter().any(|c| c == class) {
                continue;
            }
            missing
                .entry(w.location.path.as_str())
                .or_default()
                .entry(class)
                .or_default()
                .push(b.location.clone());
        }
    }
    for (config, classes) in missing {
        let names: Vec<String> = classes.keys().map(|c| format!("`{c}`")).collect();
        let subject = match classes.keys().collect::<Vec<_>>().as_slice() {
            [one] => Subject::Class {
                name: (**one).to_owned(),
            },
            _ => Subject::Topic,
        };
        let mut locations: Vec<Location> = classes.into_values().flatten().collect();
        locations.sort();
        locations.dedup();
        let (class, verb) = if names.len() == 1 {
            ("class", "creates it")
        } else {
            ("classes", "creates them")
        };
        out.push(
            Finding::new(
                RuleId::DurableObjectWithoutMigration,
                FindingSeverity::Error,
                Topic::DurableObjects,
                subject,
                format!(
                    "{config} binds the Durable Object {class} {} of this Worker, and no migration of it {verb}",
                    names.join(", ")
                ),
            )
            .advice(format!(
                "❌ Add a `[[migrations]]` entry with `new_sqlite_classes = [{}]`: a deploy binding a class no migration created is rejected",
                names.iter().map(|n| n.replace('`', "\"")).collect::<Vec<_>>().join(", ")
            ))
            .effort(Effort::Low)
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rows, wrangler};
    use crate::model::RuleId;

    const CODE: &str = "import { DurableObject } from \"cloudflare:workers\";\nexport class Counter extends DurableObject {}\nexport class Room extends DurableObject {}\nexport default { async fetch() { return new Response(\"ok\"); } };\n";

    fn rows_for(toml: &str) -> Vec<super::super::testing::Row> {
        rows(
            RuleId::DurableObjectWithoutMigration,
            &[("wrangler.toml", &wrangler(toml)), ("src/index.ts", CODE)],
        )
    }

    const BINDINGS: &str = "[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n[[durable_objects.bindings]]\nname = \"ROOM\"\nclass_name = \"Room\"\n";

    #[test]
    fn fires_on_a_bound_class_no_migration_creates() {
        let rows = rows_for(&format!(
            "{BINDINGS}\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Room\"]\n"
        ));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Durable Objects (Counter)");
        assert!(
            rows[0][1].starts_with("wrangler.toml binds the Durable Object class `Counter` of this Worker, and no migration of it creates it"),
            "{rows:?}"
        );
        assert!(
            rows[0][2].starts_with("❌ Add a `[[migrations]]`"),
            "{rows:?}"
        );
    }

    #[test]
    fn fires_on_a_class_a_later_migration_deletes() {
        let rows = rows_for(&format!(
            "{BINDINGS}\n[[migrations]]\ntag = \"v1\"\nnew_classes = [\"Room\", \"Counter\"]\n[[migrations]]\ntag = \"v2\"\ndeleted_classes = [\"Counter\"]\n"
        ));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0][1].contains("`Counter`"), "{rows:?}");
    }

    #[test]
    fn lists_every_missing_class_in_one_row() {
        let rows = rows_for(&format!("{BINDINGS}\n[[migrations]]\ntag = \"v1\"\n"));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0][1].contains("`Counter`, `Room`"), "{rows:?}");
    }

    #[test]
    fn stays_silent_when_created_renamed_or_transferred() {
        let rows = rows_for(&format!(
            "{BINDINGS}\n[[migrations]]\ntag = \"v1\"\nnew_classes = [\"OldCounter\"]\n[[migrations]]\ntag = \"v2\"\nrenamed_classes = [{{ from = \"OldCounter\", to = \"Counter\" }}]\ntransferred_classes = [{{ from = \"Room\", from_script = \"old\", to = \"Room\" }}]\n"
        ));
        assert!(rows.is_empty(), "{rows:?}");
    }

    #[test]
    fn stays_silent_for_a_class_of_another_worker_and_in_inheriting_environments() {
        let rows = rows_for(
            "[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\nscript_name = \"counter-worker\"\n[[durable_objects.bindings]]\nname = \"ROOM\"\nclass_name = \"Room\"\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Room\"]\n\n[env.staging]\nname = \"app-staging\"\n[[env.staging.durable_objects.bindings]]\nname = \"ROOM\"\nclass_name = \"Room\"\n",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
