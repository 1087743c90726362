//! `unused-binding`: a binding a Worker declares that its code never reads.
use crate::model::{BindingKind, Finding, FindingSeverity, Model, RuleId, Subject, Topic, Worker};
use std::collections::{HashMap, HashSet};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A declared binding no code reads.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A D1, R2, KV, queue, Durable Object, Hyperdrive, service or Vectorize
binding a Worker's wrangler config declares at its top level that no code
in the Worker's folder reads (`env.X`, `c.env.X`, `env[NAME]` with a
constant, destructuring), nor any code outside every Worker's folder (a
workspace package the Workers may import). Checked
only for Workers whose code dmqa read, and not where code picks bindings
by a computed name (in the Worker's folder, or in code beside it outside
every Worker's folder: a package's `src/` run by a config in its `dev/`)
or where `main` is a framework's generated Worker in a
hidden build folder (`.open-next/worker.js`: the framework's code, which
the checkout does not hold, reads bindings the app's config selects). Where the code hands its whole `env` to a package
(`routePartykitRequest(request, { ...env })`, an `McpAgent` subclass's
`serve().fetch(request, env)`), a Durable Object binding is a `✅ Keep` —
such routers find their namespace by binding name — and any other kind
is a warning that names the hand-off.

## Why it matters
Every binding is a resource to provision, pay for and secure in each
environment; one nothing uses is usually a leftover of a removed feature —
or the sign that the code reaching it lives somewhere dmqa did not look.

## Example
`[[r2_buckets]] binding = \"LEGACY_UPLOADS\"` with no `env.LEGACY_UPLOADS`
in the code → remove it (and the bucket, once empty).
";

/// One finding per such binding.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // Each read, dynamic read and hand-off is owned by one Worker (its
    // config path): found once each, not once per Worker.
    let owner = |path: &str| Worker::owning(&model.workers, path).map(|o| o.location.path.as_str());
    let mut reads_of: HashMap<&str, Vec<&str>> = HashMap::new();
    // Reads in code outside every Worker's folder (a workspace package the
    // Workers import: `createAuthenticatedApp()` reading `c.env.OAUTH_KV`)
    // may be any Worker's: they count for each that declares the name.
    let mut shared: HashSet<&str> = HashSet::new();
    for r in &model.binding_reads {
        match owner(&r.location.path) {
            Some(o) => reads_of.entry(o).or_default().push(r.name.as_str()),
            None => {
                shared.insert(r.name.as_str());
            }
        }
    }
    let dynamic: HashSet<&str> = model
        .dynamic_bindings
        .iter()
        .filter_map(|d| owner(&d.location.path))
        .collect();
    // A name computed outside every Worker's folder, beside it (the
    // package's `src/env[bucketName]` run by a config in its `dev/`), may
    // be that Worker's binding.
    let shared_dynamic: Vec<&str> = model
        .dynamic_bindings
        .iter()
        .filter(|d| owner(&d.location.path).is_none())
        .map(|d| d.location.path.as_str())
        .collect();
    let mut handoff_of: HashMap<&str, &crate::model::Handoff> = HashMap::new();
    for h in &model.env_handoffs {
        if let Some(o) = owner(&h.location.path) {
            handoff_of.entry(o).or_insert(h);
        }
    }
    for w in model.workers.iter().filter(|w| w.environment.is_none()) {
        let at = w.location.path.as_str();
        let reads = reads_of.get(at).map(Vec::as_slice).unwrap_or_default();
        // (A Worker handing its whole `env` to a package is told below.)
        let beside = crate::sources::parent(w.folder());
        let dynamic = dynamic.contains(at)
            || (!handoff_of.contains_key(at)
                && !w.folder().is_empty()
                && shared_dynamic
                    .iter()
                    .any(|p| crate::model::in_folder(beside, p)));
        // A framework's generated Worker may read any binding by name.
        if reads.is_empty() || dynamic || w.main_is_generated() {
            continue;
        }
        // A package handed the whole `env` may reach any binding by name.
        let handed = handoff_of.get(at);
        for b in &w.bindings {
            let resource = !matches!(
                b.kind,
                BindingKind::Var | BindingKind::Ai | BindingKind::AnalyticsEngine
            );
            if !resource || reads.contains(&b.name.as_str()) || shared.contains(b.name.as_str()) {
                continue;
            }
            if let Some(h) = handed {
                // Durable Object routers (partyserver, agents) find their
                // namespace by binding name: that is a use.
                let durable = b.kind == BindingKind::DurableObject;
                let advice = if durable {
                    "the package reaches Durable Objects by their binding name"
                } else {
                    "⚠️ Check that the package reads it; remove it if not"
                };
                out.push(Finding::new(
RuleId::UnusedBinding,
if durable {
                        FindingSeverity::Keep
                    } else {
                        FindingSeverity::Warning
                    },
Topic::Bindings,
Subject::Binding { name: b.name.clone() },
format!(
                        "`{}` ({}) is read by no code of `{}` by name, but `{}` is handed whole to {} at {}",
                        b.name, b.location, w.name, h.binding, h.to, h.location
                    ),
)
.advice(advice)
.at(vec![b.location.clone(), h.location.clone()]));
                continue;
            }
            let advice = "⚠️ Remove the binding if it is a leftover; if another package reaches it, keep it and say so in the config";
            out.push(
                Finding::new(
                    RuleId::UnusedBinding,
                    FindingSeverity::Warning,
                    Topic::Bindings,
                    Subject::Binding {
                        name: b.name.clone(),
                    },
                    format!(
                        "`{}` is declared for `{}` ({}) but no code in its folder reads it",
                        b.name, w.name, b.location
                    ),
                )
                .advice(advice)
                .at(vec![b.location.clone()]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = "[[r2_buckets]]\nbinding = \"AVATARS\"\nbucket_name = \"avatars\"\n\n[[kv_namespaces]]\nbinding = \"LINKS\"\nid = \"l\"\n";

    fn rows_for(code: &str) -> Vec<testing::Row> {
        rows(
            RuleId::UnusedBinding,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("src/index.ts", code),
            ],
        )
    }

    #[test]
    fn fires_on_a_binding_no_code_reads() {
        let rows = rows_for(&testing::fetch("    await env.LINKS.get(\"a\");"));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Bindings (AVATARS)");
    }

    #[test]
    fn stays_silent_when_code_reads_it() {
        let rows = rows_for(&testing::fetch(
            "    await env.LINKS.get(\"a\");\n    await env.AVATARS.get(\"a\");",
        ));
        assert!(rows.is_empty(), "{rows:?}");
    }

    /// A framework's generated Worker (`.open-next/worker.js`) reads
    /// bindings the app's config selects: no binding is provably unused.
    #[test]
    fn stays_silent_when_main_is_a_generated_worker() {
        let config = format!("name = \"app\"\nmain = \".open-next/worker.js\"\n{WRANGLER}");
        let rows = rows(
            RuleId::UnusedBinding,
            &[
                ("wrangler.toml", &config),
                (
                    "src/app/page.ts",
                    "export async function load(env: Env) { return env.LINKS.get(\"a\"); }\n",
                ),
            ],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    /// A workspace package outside every Worker's folder reading the
    /// binding (through code the Worker imports) is a use.
    #[test]
    fn stays_silent_when_a_shared_package_reads_it() {
        let rows = rows(
            RuleId::UnusedBinding,
            &[
                ("apps/api/wrangler.toml", &wrangler(WRANGLER)),
                (
                    "apps/api/src/index.ts",
                    &testing::fetch("    await env.LINKS.get(\"a\");"),
                ),
                (
                    "packages/avatars/src/index.ts",
                    "export async function avatar(c: any) { return c.env.AVATARS.get(\"a\"); }\n",
                ),
            ],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    /// Code beside a Worker's folder, outside every Worker's, that
    /// computes a binding name (`env[bucketName]` in `src/`, called by a
    /// Worker config's `dev/` entry) may reach any binding; the same code
    /// in another package may not.
    #[test]
    fn stays_silent_when_shared_code_computes_binding_names() {
        let rows_with = |code_at: &str| {
            rows(
                RuleId::UnusedBinding,
                &[
                    ("packages/explorer/dev/wrangler.toml", &wrangler(WRANGLER)),
                    (
                        "packages/explorer/dev/index.ts",
                        "import { explorer } from \"../src\";\nexport default { async fetch(request: Request, env: Env) {\n  await env.LINKS.get(\"a\");\n  return explorer(request, env);\n} };\n",
                    ),
                    (
                        code_at,
                        "export async function explorer(request: Request, env: Env) {\n  const bucket = new URL(request.url).searchParams.get(\"bucket\") ?? \"\";\n  return new Response((await env[bucket].get(\"k\"))?.body);\n}\n",
                    ),
                ],
            )
        };
        let beside = rows_with("packages/explorer/src/index.ts");
        assert!(beside.is_empty(), "{beside:?}");
        let elsewhere = rows_with("packages/other/src/index.ts");
        assert_eq!(elsewhere.len(), 1, "{elsewhere:?}");
    }

    /// The whole `env` handed to a workspace package: a Durable Object it
    /// finds by a name computed at run time is kept; a package reading no
    /// binding that way changes nothing.
    #[test]
    fn a_workspace_router_reaches_objects_by_name() {
        let config = "[[kv_namespaces]]\nbinding = \"LINKS\"\nid = \"l\"\n\n[[durable_objects.bindings]]\nname = \"Chat\"\nclass_name = \"Chat\"\n";
        let router = |body: &str| {
            rows(
                RuleId::UnusedBinding,
                &[
                    (
                        "package.json",
                        "{ \"name\": \"root\", \"private\": true }\n",
                    ),
                    ("apps/chat/wrangler.toml", &wrangler(config)),
                    (
                        "apps/chat/src/index.ts",
                        "import { routeRequest } from \"agents\";\nexport default { async fetch(request: Request, env: Env) {\n  await env.LINKS.get(\"a\");\n  return (await routeRequest(request, env)) ?? new Response(null, { status: 404 });\n} };\n",
                    ),
                    (
                        "packages/agents/package.json",
                        "{ \"name\": \"agents\", \"main\": \"src/index.ts\" }\n",
                    ),
                    ("packages/agents/src/index.ts", body),
                ],
            )
        };
        let rows = router(
            "export async function routeRequest(request: Request, env: Env) {\n  const name = new URL(request.url).pathname.split(\"/\")[2];\n  const ns = env[name];\n  return ns.get(ns.idFromName(\"a\")).fetch(request);\n}\n",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            rows[0][2],
            "✅ Keep: the package reaches Durable Objects by their binding name"
        );
        let rows = router(
            "export async function routeRequest(request: Request, env: { LINKS: KVNamespace }) {\n  return new Response(await env.LINKS.get(\"b\"));\n}\n",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].ends_with("but no code in its folder reads it"),
            "{rows:?}"
        );
    }

    /// Code that reads no binding at all is code dmqa did not follow, not
    /// proof that every binding is unused.
    #[test]
    fn stays_silent_when_no_code_reads_any_binding() {
        assert!(rows_for(&testing::fetch("")).is_empty());
    }
}
