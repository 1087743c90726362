//! `build-scoped-keys-never-pruned`: R2 objects written under the current
//! build's id that nothing deletes once the next build replaces them.
use crate::model::{
    BindingKind, Finding, FindingSeverity, Key, KeyPart, Model, OpKind, RuleId, Subject, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "R2 objects keyed by the build id that no code deletes after a deploy.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
An R2 key pattern with a part naming the build or deployment it belongs to
(`{buildId}`, `{build_id}`, `{deploymentId}`) when no code deletes keys of
another build: every delete on the bucket names a key of the current build
(`{prefix}/{buildId}/{hash}`), and none removes a listed key or a whole
prefix.

## Why it matters
Each deploy starts a new set of keys and the previous build's objects stay
behind, unread and billed, so the bucket grows with every deploy. Deleting
one key of the current build does not reach them; only a lifecycle rule or
a cleanup step that lists older builds does. (KV keys of this kind are
`kv-key-without-ttl` rows: a TTL retires them.)

## Example
`{prefix}/{buildId}/{hash}.cache` written by the cache handler →
`wrangler r2 bucket lifecycle add BUCKET --prefix <prefix>/ --expire-days 30`,
or a post-deploy step deleting every prefix but the current build's.
";

/// Whether a placeholder's name says it is a build or deployment id:
/// `buildId`, `BUILD_ID`, `deploymentId`, `deploy_id`, `build`.
pub(crate) fn names_a_build(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        n.as_str(),
        "build" | "buildid" | "buildnumber" | "deployment" | "deploymentid" | "deployid"
    )
}

/// Whether a key has a part naming the build it belongs to.
pub(crate) fn build_scoped(key: &Key) -> bool {
    key.parts()
        .iter()
        .any(|p| matches!(p, KeyPart::Placeholder(n) if names_a_build(n)))
}

/// One finding per such pattern.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for b in &model.buckets {
        // A delete of anything but a current-build key (a listed key, a
        // prefix, a key dmqa could not follow) may prune old builds.
        let ops = model
            .resource_ops
            .iter()
            .filter(|o| o.kind == BindingKind::R2 && o.binding == b.binding);
        let prunes = ops
            .clone()
            .any(|o| o.op == OpKind::Delete && !o.key.as_ref().is_some_and(build_scoped));
        if prunes {
            continue;
        }
        for p in b.path_patterns.iter().filter(|p| build_scoped(&p.pattern)) {
            let written = ops
                .clone()
                .any(|o| o.op == OpKind::Write && o.key.as_ref() == Some(&p.pattern));
            if !written {
                continue;
            }
            let prefix = p.pattern.literal_prefix();
            let rule = if prefix.is_empty() {
                String::new()
            } else {
                format!(" --prefix {prefix}")
            };
            let bucket = b.bucket_names.first().unwrap_or(&b.binding);
            out.push(
                Finding::new(
                    RuleId::BuildScopedKeysNeverPruned,
                    FindingSeverity::Warning,
                    Topic::R2,
                    Subject::Binding {
                        name: b.binding.clone(),
                    },
                    format!(
                        "`{}` starts a new set of objects with every build, and no code deletes a previous build's: the bucket grows with each deploy",
                        p.pattern.notation()
                    ),
                )
                .advice(format!(
                    "⚠️ Expire old builds: `wrangler r2 bucket lifecycle add {bucket}{rule} --expire-days 30`, or delete every build prefix but the current one after a deploy"
                ))
                .at(p.sources.clone()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = "[[r2_buckets]]\nbinding = \"CACHE\"\nbucket_name = \"cache\"\n";

    fn rows_for(body: &str) -> Vec<testing::Row> {
        let code = format!(
            "const buildId = process.env.BUILD_ID;\nexport default {{\n  async fetch(request: Request, env: Env) {{\n    const hash = new URL(request.url).pathname;\n{body}\n    return new Response(\"ok\");\n  }},\n}};\n"
        );
        rows(
            RuleId::BuildScopedKeysNeverPruned,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("src/index.ts", &code),
            ],
        )
    }

    #[test]
    fn fires_when_only_current_build_keys_are_deleted() {
        let rows = rows_for(
            "    await env.CACHE.put(`cache/${buildId}/${hash}`, request.body);\n    await env.CACHE.delete(`cache/${buildId}/${hash}`);",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "R2 (CACHE)");
        assert!(
            rows[0][1].starts_with("`cache/{buildId}/{hash}`"),
            "{rows:?}"
        );
        assert!(
            rows[0][2].contains("lifecycle add cache --prefix cache/"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_when_a_listed_key_is_deleted_or_no_build_is_named() {
        // A sweep deleting what a list returns may reach old builds.
        let rows = rows_for(
            "    await env.CACHE.put(`cache/${buildId}/${hash}`, request.body);\n    const old = await env.CACHE.list({ prefix: \"cache/\" });\n    for (const o of old.objects) await env.CACHE.delete(o.key);",
        );
        assert!(rows.is_empty(), "{rows:?}");
        // A version the user uploads is data, not a build.
        let rows = rows_for(
            "    const version = hash;\n    await env.CACHE.put(`apps/${version}/${hash}`, request.body);",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    #[test]
    fn build_names() {
        for n in ["buildId", "BUILD_ID", "build", "deploymentId", "deploy_id"] {
            assert!(super::names_a_build(n), "{n}");
        }
        for n in ["version", "rebuild", "builder", "releaseId", "commit"] {
            assert!(!super::names_a_build(n), "{n}");
        }
    }
}
