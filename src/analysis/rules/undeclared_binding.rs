//! `undeclared-binding`: code reads a binding that one environment of its
//! Worker does not declare.

use crate::model::{Finding, FindingSeverity, Model, RuleId, Subject, Topic, Worker};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A binding code reads that an environment does not declare.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A binding the Worker's code reads (`env.CACHE`, `c.env.CACHE`, `const {
CACHE } = env`) that its wrangler config declares at the top level or in
some `[env.NAME]` section, but not in every one. Names no section declares
(secrets, `.dev.vars`) are left alone.

## Why it matters
Environments do not inherit bindings: a namespace declared only at the
top level is `undefined` in `wrangler deploy --env staging`, and the code
fails there with `Cannot read properties of undefined` on first use.

## Example
`[[kv_namespaces]] binding = \"CACHE\"` at the top level only → repeat it
under `[[env.staging.kv_namespaces]]`.
";

/// A binding name and where code reads it.
type Read<'m> = (&'m str, Vec<crate::model::Location>);

/// One finding per (config, section) lacking bindings its code reads.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // (config path, binding) → the places code reads it.
    let mut reads: BTreeMap<(&str, &str), Vec<crate::model::Location>> = BTreeMap::new();
    for r in &model.binding_reads {
        if let Some(w) = Worker::owning(&model.workers, &r.location.path) {
            reads
                .entry((w.location.path.as_str(), r.name.as_str()))
                .or_default()
                .push(r.location.clone());
        }
    }
    // (config, section) → (binding, where code reads it).
    let mut missing: BTreeMap<(&str, Option<String>), Vec<Read<'_>>> = BTreeMap::new();
    for ((config, name), locations) in reads {
        let family: Vec<&Worker> = model
            .workers
            .iter()
            .filter(|w| w.location.path == config)
            .collect();
        let declares = |w: &Worker| w.bindings.iter().any(|b| b.name == name);
        if family.len() < 2 || !family.iter().any(|w| declares(w)) {
            continue;
        }
        for w in family.iter().filter(|w| !declares(w)) {
            missing
                .entry((config, w.environment.clone()))
                .or_default()
                .push((name, locations.clone()));
        }
    }
    for ((config, env), names) in missing {
        let subject = Subject::Environment { env };
        let section = subject.key();
        let list: Vec<String> = names.iter().map(|(n, _)| format!("`{n}`")).collect();
        let first = names
            .first()
            .and_then(|(_, l)| l.first())
            .map(ToString::to_string)
            .unwrap_or_default();
        let mut locations: Vec<crate::model::Location> =
            names.into_iter().flat_map(|(_, l)| l).collect();
        locations.sort();
        locations.dedup();
        let advice = format!("⚠️ Declare them in {section}: environments do not inherit bindings");
        out.push(
            Finding::new(
                RuleId::UndeclaredBinding,
                FindingSeverity::Error,
                Topic::Bindings,
                subject,
                format!(
                    "Code reads {} ({first}, …), which {config} does not declare in {section}",
                    list.join(", ")
                ),
            )
            .advice(advice)
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rows, rows_with, wrangler};
    use crate::model::RuleId;

    const CODE: &str = "export default {\n  async fetch(request: Request, env: Env) {\n    return new Response(await env.CACHE.get(\"k\"));\n  },\n};\n";

    #[test]
    fn fires_on_a_binding_an_environment_does_not_declare() {
        let rows = rows(
            RuleId::UndeclaredBinding,
            &[
                (
                    "wrangler.toml",
                    &wrangler(
                        "[[kv_namespaces]]\nbinding = \"CACHE\"\nid = \"c\"\n\n[env.staging]\nname = \"app-staging\"\n",
                    ),
                ),
                ("src/index.ts", CODE),
            ],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Bindings ([env.staging])");
        assert!(rows[0][1].starts_with("Code reads `CACHE`"), "{rows:?}");
    }

    #[test]
    fn stays_silent_when_every_environment_declares_it() {
        let rows = rows(
            RuleId::UndeclaredBinding,
            &[
                (
                    "wrangler.toml",
                    &wrangler(
                        "[[kv_namespaces]]\nbinding = \"CACHE\"\nid = \"c\"\n\n[env.staging]\nname = \"app-staging\"\n[[env.staging.kv_namespaces]]\nbinding = \"CACHE\"\nid = \"s\"\n",
                    ),
                ),
                ("src/index.ts", CODE),
            ],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    #[test]
    fn silencing_by_environment() {
        let rows = rows_with(
            RuleId::UndeclaredBinding,
            "silence = [\"undeclared-binding:[env.staging]\"]\n",
            &[
                (
                    "wrangler.toml",
                    &wrangler(
                        "[[kv_namespaces]]\nbinding = \"CACHE\"\nid = \"c\"\n\n[env.staging]\nname = \"app-staging\"\n",
                    ),
                ),
                ("src/index.ts", CODE),
            ],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
