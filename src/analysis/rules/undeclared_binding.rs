//! `undeclared-binding`: code reads a binding that one environment of its
//! Worker does not declare.

use crate::model::{Finding, FindingSeverity, Model, RuleId, Subject, Topic, Worker};
use std::collections::{BTreeMap, BTreeSet};

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
(secrets, `.dev.vars`), bindings the code tests for presence (`if
(!env.CACHE) return`, `env.CACHE?.put(…)`) and a top level that declares
no binding at all (the base each environment is deployed from) are left
alone — except where the code names what
the binding is: a workers-rs accessor (`env.kv(\"CACHE\")`, `env.d1(…)`,
`env.bucket(…)`, `env.durable_object(…)`, `env.queue(…)`) for a name no
section of its Worker's config declares.

## Why it matters
A binding no section declares does not exist once deployed: the
workers-rs accessor returns an error (often `.unwrap()`ed into a panic)
on every request that reaches it. Environments do not inherit bindings: a namespace declared only at the
top level is `undefined` in `wrangler deploy --env staging`, and the code
fails there with `Cannot read properties of undefined` on first use.

## Example
`[[kv_namespaces]] binding = \"CACHE\"` at the top level only → repeat it
under `[[env.staging.kv_namespaces]]`.
";

/// A binding name and where code reads it.
type Read<'m> = (&'m str, Vec<crate::model::Location>);

/// One finding per (config, section) lacking bindings its code reads, and
/// one per binding a workers-rs accessor names that no section declares.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    missing_in_some_section(model, out);
    declared_nowhere(model, out);
}

/// Bindings a workers-rs accessor names (the kind is in the call) that no
/// section of the Worker owning the code declares.
fn declared_nowhere(model: &Model, out: &mut Vec<Finding>) {
    let mut found: BTreeMap<(&str, &str, crate::model::BindingKind), Vec<crate::model::Location>> =
        BTreeMap::new();
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.location.path.ends_with(".rs"))
    {
        let name = op.binding.as_str();
        let is_name = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !is_name {
            continue;
        }
        let Some(w) = Worker::owning(&model.workers, &op.location.path) else {
            continue;
        };
        if w.family_binds(&model.workers, name) {
            continue;
        }
        found
            .entry((w.location.path.as_str(), name, op.kind))
            .or_default()
            .push(op.location.clone());
    }
    for ((config, name, kind), mut locations) in found {
        let at = super::sort_first(&mut locations);
        let what = crate::render::words::binding_kind(kind);
        out.push(
            Finding::new(
                RuleId::UndeclaredBinding,
                FindingSeverity::Error,
                Topic::Bindings,
                Subject::Binding {
                    name: name.to_owned(),
                },
                format!(
                    "Code uses `{name}` as {what} ({at}), and no section of {config} declares it"
                ),
            )
            .advice(format!(
                "❌ Declare `{name}` in {config}: the accessor fails on every request that reaches it"
            ))
            .at(locations),
        );
    }
}

/// One finding per (config, section) lacking bindings its code reads.
fn missing_in_some_section(model: &Model, out: &mut Vec<Finding>) {
    // (config path, binding) → the places code reads it.
    let mut reads: BTreeMap<(&str, &str), Vec<crate::model::Location>> = BTreeMap::new();
    // Bindings the code tests for presence: written to run without them.
    let mut tested: BTreeSet<(&str, &str)> = BTreeSet::new();
    for r in &model.binding_reads {
        if let Some(w) = Worker::owning(&model.workers, &r.location.path) {
            let key = (w.location.path.as_str(), r.name.as_str());
            reads.entry(key).or_default().push(r.location.clone());
            if r.tested {
                tested.insert(key);
            }
        }
    }
    reads.retain(|key, _| !tested.contains(key));
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
        // A top level that declares no binding at all is the base the
        // environments are deployed from, not a Worker of its own.
        let deployed = |w: &Worker| w.environment.is_some() || !w.bindings.is_empty();
        for w in family.iter().filter(|w| !declares(w) && deployed(w)) {
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
    fn fires_on_a_workers_rs_accessor_no_section_declares() {
        let code = "use worker::*;\n#[event(fetch)]\nasync fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {\n    let kv = env.kv(\"EXAMPLE\")?;\n    let v = kv.get(\"k\").text().await?;\n    Response::ok(v.unwrap_or_default())\n}\n";
        let rows = rows(
            RuleId::UndeclaredBinding,
            &[
                (
                    "wrangler.toml",
                    "name = \"app\"\nmain = \"build/index.js\"\n",
                ),
                ("src/lib.rs", code),
            ],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Bindings (EXAMPLE)");
        assert!(
            rows[0][1].starts_with("Code uses `EXAMPLE` as a KV namespace (src/lib.rs:5)"),
            "{rows:?}"
        );
        let declared = rows_with(
            RuleId::UndeclaredBinding,
            "",
            &[
                (
                    "wrangler.toml",
                    "name = \"app\"\nmain = \"build/index.js\"\n[[kv_namespaces]]\nbinding = \"EXAMPLE\"\nid = \"e\"\n",
                ),
                ("src/lib.rs", code),
            ],
        );
        assert!(declared.is_empty(), "{declared:?}");
    }

    /// A name picked by an `if` (or a `match`) is each of its names: the
    /// declared one stays silent, the other is reported.
    #[test]
    fn a_name_picked_by_a_branch_is_each_of_its_names() {
        let code = "use worker::*;\n#[event(fetch)]\nasync fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {\n    let name = if req.path().contains(\"shared\") {\n        \"SHARED\"\n    } else {\n        \"COUNTER\"\n    };\n    let ns = env.durable_object(name)?;\n    let stub = ns.id_from_name(\"A\")?.get_stub()?;\n    stub.fetch_with_str(\"https://x/\").await\n}\n";
        let config = "name = \"app\"\nmain = \"build/index.js\"\n[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n";
        let rows = rows(
            RuleId::UndeclaredBinding,
            &[("wrangler.toml", config), ("src/lib.rs", code)],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Bindings (SHARED)");
        // A branch that is not a string: nothing is known, nothing said.
        let computed = code.replace("\"SHARED\"", "&format!(\"S{}\", 1)");
        let rows = rows_with(
            RuleId::UndeclaredBinding,
            "",
            &[("wrangler.toml", config), ("src/lib.rs", &computed)],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    /// Code written to run without the binding, and a top level that is
    /// only the environments' base, say nothing.
    #[test]
    fn stays_silent_on_a_tested_binding_and_an_empty_top_level() {
        let config = wrangler(
            "[[kv_namespaces]]\nbinding = \"CACHE\"\nid = \"c\"\n\n[env.staging]\nname = \"app-staging\"\n",
        );
        for code in [
            "export default {\n  async fetch(request: Request, env: Env) {\n    if (!env.CACHE) return new Response(\"\");\n    return new Response(await env.CACHE.get(\"k\"));\n  },\n};\n",
            "export default {\n  async fetch(request: Request, env: Env) {\n    return new Response(await env.CACHE?.get(\"k\"));\n  },\n};\n",
            "export default {\n  async fetch(request: Request, env: Env) {\n    const v = env.CACHE ? await env.CACHE.get(\"k\") : null;\n    return new Response(v);\n  },\n};\n",
        ] {
            let rows = rows(
                RuleId::UndeclaredBinding,
                &[("wrangler.toml", &config), ("src/index.ts", code)],
            );
            assert!(rows.is_empty(), "{code}: {rows:?}");
        }
        // Only the environments declare bindings: the top level is their base.
        let base = "name = \"app\"\nmain = \"src/index.ts\"\n\n[env.prod]\nname = \"app-prod\"\n[[env.prod.kv_namespaces]]\nbinding = \"CACHE\"\nid = \"p\"\n\n[env.dev]\nname = \"app-dev\"\n";
        let rows = rows(
            RuleId::UndeclaredBinding,
            &[("wrangler.toml", base), ("src/index.ts", CODE)],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Bindings ([env.dev])");
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
