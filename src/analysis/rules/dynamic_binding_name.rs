//! `dynamic-binding-name`: a binding reached through a name computed at
//! run time.
use crate::model::{Effort, Finding, FindingSeverity, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A binding reached through a name computed at run time.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
Code that picks a binding by a name built at run time, such as
`` env[`WADDLE_DB_${id}`] ``.

## Why it matters
Neither dmqa nor `wrangler types` can tell which databases, buckets or
namespaces this reaches, so their schemas and key patterns are missing
from the report, and a binding missing from one environment only fails at
run time.

## Example
`` env[`WADDLE_DB_${id}`] `` → list the bindings it can reach in a typed map
(`const shards = { a: env.WADDLE_DB_A, … }`) or route through one binding.
";

/// One finding per distinct pattern, with every place it is used.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // One row per pattern as printed (an opaque `{name}` and a placeholder
    // `{name}` read the same).
    let mut patterns: Vec<String> = model
        .dynamic_bindings
        .iter()
        .map(|d| d.pattern.notation())
        .collect();
    patterns.sort();
    patterns.dedup();
    for p in patterns {
        let locations: Vec<_> = model
            .dynamic_bindings
            .iter()
            .filter(|d| d.pattern.notation() == p)
            .map(|d| d.location.clone())
            .collect();
        let first = locations
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        out.push(
            Finding::new(
                RuleId::DynamicBindingName,
                FindingSeverity::Warning,
                Topic::Bindings,
                Subject::Topic,
                format!("Binding name computed at run time: `env[\"{p}\"]` ({first})"),
            )
            .advice("⚠️ Resources reached this way are invisible to dmqa and `wrangler types`; name each binding it can reach explicitly and declare it in every environment")
            .effort(Effort::Medium)
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    fn rows_for(expr: &str) -> Vec<testing::Row> {
        let code = format!(
            "export default {{\n  async fetch(request: Request, env: Env) {{\n    const id = new URL(request.url).searchParams.get(\"t\");\n    const db = {expr};\n    await db.prepare(\"SELECT 1\").first();\n    return new Response(\"ok\");\n  }},\n}};\n"
        );
        rows(
            RuleId::DynamicBindingName,
            &[
                (
                    "wrangler.toml",
                    &wrangler("[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"app\"\n"),
                ),
                ("src/index.ts", &code),
            ],
        )
    }

    #[test]
    fn fires_on_a_binding_name_built_at_run_time() {
        let rows = rows_for("env[`TENANT_DB_${id}`]");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Bindings");
        assert!(rows[0][1].contains("TENANT_DB_{id}"), "{rows:?}");
    }

    #[test]
    fn stays_silent_on_a_named_binding() {
        assert!(rows_for("env.DB").is_empty());
        // A module constant folds to the name: not computed at run time.
        let code = "const BINDING = \"DB\";\nexport default {\n  async fetch(request: Request, env: Env) {\n    await env[BINDING].prepare(\"SELECT 1\").first();\n    return new Response(\"ok\");\n  },\n};\n";
        let rows = rows(
            RuleId::DynamicBindingName,
            &[
                (
                    "wrangler.toml",
                    &wrangler("[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"app\"\n"),
                ),
                ("src/index.ts", code),
            ],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    /// A name taken from a constant table (a callback over it, a `for …
    /// of`, a `find` result) is each of the table's names, read like
    /// `env.X`; a table with one computed name stays dynamic.
    #[test]
    fn stays_silent_on_a_name_from_a_constant_table() {
        let config = wrangler(
            "[[d1_databases]]\nbinding = \"EU\"\ndatabase_name = \"eu\"\n[[d1_databases]]\nbinding = \"US\"\ndatabase_name = \"us\"\n",
        );
        let table = "const ROUTES = [\n  { region: \"eu\", binding: \"EU\" },\n  { region: \"us\", binding: \"US\" },\n];\n";
        for body in [
            "const r = ROUTES.find((route) => route.region === region && env[route.binding]);\n    if (!r) return new Response(\"\");\n    await env[r.binding].prepare(\"SELECT 1\").first();",
            "for (const route of ROUTES) await env[route.binding].prepare(\"SELECT 1\").first();",
        ] {
            let code = format!(
                "{table}export default {{\n  async fetch(request: Request, env: Env) {{\n    const region = request.headers.get(\"r\");\n    {body}\n    return new Response(\"ok\");\n  }},\n}};\n"
            );
            let files = [("wrangler.toml", config.as_str()), ("src/index.ts", &code)];
            assert!(
                rows(RuleId::DynamicBindingName, &files).is_empty(),
                "{body}"
            );
            let model = testing::model_with("", &files);
            let mut read: Vec<&str> = model
                .binding_reads
                .iter()
                .map(|r| r.name.as_str())
                .collect();
            read.sort();
            assert_eq!(read, ["EU", "US"], "{body}");
        }
        let computed = "const ROUTES = [{ binding: \"EU\" }, { binding: `DB_${Date.now()}` }];\nexport default {\n  async fetch(request: Request, env: Env) {\n    for (const route of ROUTES) await env[route.binding].prepare(\"SELECT 1\").first();\n    return new Response(\"ok\");\n  },\n};\n";
        let rows = rows(
            RuleId::DynamicBindingName,
            &[("wrangler.toml", &config), ("src/index.ts", computed)],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
    }
}
