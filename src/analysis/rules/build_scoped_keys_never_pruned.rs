//! `build-scoped-keys-never-pruned`: R2 objects or D1 rows keyed by the
//! current build's id that nothing deletes once the next build replaces
//! them.
use crate::model::{
    BindingKind, Finding, FindingSeverity, Key, KeyPart, Model, OpKind, QueryVerb, ResourceOp,
    RuleId, Subject, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "R2 objects or D1 rows keyed by the build id that no code deletes after a deploy.";

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


The same for a D1 table whose INSERT binds such a key to a column
(`.bind(`${buildId}/${tag}`, …)`) when no code deletes from the table.

## Why it matters
Each deploy starts a new set of keys and the previous build's objects stay
behind, unread and billed, so the bucket grows with every deploy. Deleting
one key of the current build does not reach them; only a lifecycle rule or
a cleanup step that lists older builds does. A D1 table keyed that way
gains a set of rows per deploy that no query reads again, toward the
database's 10 GB limit. (KV keys of this kind are `kv-key-without-ttl`
rows: a TTL retires them.)

## Example
`{prefix}/{buildId}/{hash}.cache` written by the cache handler →
`wrangler r2 bucket lifecycle add BUCKET --prefix <prefix>/ --expire-days 30`,
or a post-deploy step deleting every prefix but the current build's.
`INSERT INTO revalidations (tag, …)` binding `{buildId}/{tag}` → delete the
rows of older builds after a deploy.
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

/// Whether two D1 calls run on the same database: one binding, and the
/// same Durable Object's storage or none.
fn same_database(a: &ResourceOp, b: &ResourceOp) -> bool {
    a.kind == BindingKind::D1
        && b.kind == BindingKind::D1
        && a.binding == b.binding
        && a.durable_object == b.durable_object
}

/// Whether a key makes a set of keys per build: the build and something
/// else. A row keyed by the build alone is the build's own record.
fn per_build(key: &Key) -> bool {
    build_scoped(key)
        && key.parts().iter().any(|p| {
            matches!(p, KeyPart::Placeholder(n) | KeyPart::Opaque(n) | KeyPart::Generated(n) if !names_a_build(n))
        })
}

/// The D1 tables an INSERT keys by the build and no DELETE reaches: (the
/// first such write, table, column, key).
fn build_keyed_rows(model: &Model) -> Vec<(&ResourceOp, &str, &str, &Key)> {
    let mut out: Vec<(&ResourceOp, &str, &str, &Key)> = Vec::new();
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.kind == BindingKind::D1)
    {
        for q in op.queries.iter().filter(|q| q.operation.verb.inserts()) {
            let keyed = q
                .written_columns
                .iter()
                .zip(&q.value_params)
                .find_map(|(c, p)| {
                    let key = op.bound.get((*p)?)?.as_ref()?;
                    per_build(key).then_some((c.as_str(), key))
                });
            let Some((column, key)) = keyed else { continue };
            if !out
                .iter()
                .any(|(o, t, _, _)| same_database(o, op) && t.eq_ignore_ascii_case(&q.table))
            {
                out.push((op, q.table.as_str(), column, key));
            }
        }
    }
    // Any DELETE on the table may prune older builds.
    out.retain(|(op, table, _, _)| {
        !model.resource_ops.iter().any(|o| {
            same_database(o, op)
                && o.queries.iter().any(|q| {
                    q.operation.verb == QueryVerb::Delete && q.table.eq_ignore_ascii_case(table)
                })
        })
    });
    out
}

/// One finding per such pattern.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for (op, table, column, key) in build_keyed_rows(model) {
        out.push(
            Finding::new(
                RuleId::BuildScopedKeysNeverPruned,
                FindingSeverity::Warning,
                Topic::Retention,
                Subject::table(table),
                format!(
                    "`{table}.{column}` is written as `{}` ({}): each deploy starts a new set of rows and no code deletes from `{table}`, so the table grows with every deploy toward D1's 10 GB limit",
                    key.notation(),
                    op.location
                ),
            )
            .advice(format!(
                "⚠️ Delete the rows of older builds after a deploy (`DELETE FROM {table} WHERE {column} NOT LIKE ?` with the current build's prefix), or keep the build out of the key"
            ))
            .at(vec![op.location.clone()]),
        );
    }
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

    fn d1_rows_for(body: &str) -> Vec<testing::Row> {
        let code = format!(
            "const buildId = process.env.BUILD_ID;\nconst key = (tag: string) => `${{buildId}}/${{tag}}`;\nexport default {{\n  async fetch(request: Request, env: Env) {{\n    const tag = new URL(request.url).pathname;\n{body}\n    return new Response(\"ok\");\n  }},\n}};\n"
        );
        rows(
            RuleId::BuildScopedKeysNeverPruned,
            &[
                ("wrangler.toml", &wrangler(testing::D1)),
                (
                    "migrations/0001.sql",
                    "CREATE TABLE tags (tag TEXT PRIMARY KEY, at INTEGER NOT NULL);\n",
                ),
                ("src/index.ts", &code),
            ],
        )
    }

    #[test]
    fn fires_on_d1_rows_keyed_by_the_build_that_nothing_deletes() {
        let rows = d1_rows_for(
            "    await env.DB.prepare(\"INSERT INTO tags (at, tag) VALUES (?2, ?1)\").bind(key(tag), Date.now()).run();",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Retention (tags)");
        assert!(
            rows[0][1].starts_with("`tags.tag` is written as `{buildId}/{tag}` (src/index.ts:6)"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_on_d1_rows_a_delete_prunes_or_not_keyed_by_the_build() {
        let pruned = d1_rows_for(
            "    await env.DB.prepare(\"INSERT INTO tags (tag, at) VALUES (?, ?)\").bind(key(tag), Date.now()).run();\n    await env.DB.prepare(\"DELETE FROM tags WHERE at < ?\").bind(Date.now() - 1).run();",
        );
        assert!(pruned.is_empty(), "{pruned:?}");
        // The build is bound to another column than the key.
        let plain = d1_rows_for(
            "    await env.DB.prepare(\"INSERT INTO tags (tag, at) VALUES (?, ?)\").bind(tag, key(tag)).run();",
        );
        assert_eq!(plain.len(), 1, "{plain:?}");
        assert!(plain[0][1].starts_with("`tags.at`"), "{plain:?}");
        // One row per build is the build's record, not a set per build.
        let record = d1_rows_for(
            "    await env.DB.prepare(\"INSERT INTO tags (tag, at) VALUES (?, ?)\").bind(buildId, Date.now()).run();",
        );
        assert!(record.is_empty(), "{record:?}");
        let unkeyed = d1_rows_for(
            "    await env.DB.prepare(\"INSERT INTO tags (tag, at) VALUES (?, ?)\").bind(tag, Date.now()).run();",
        );
        assert!(unkeyed.is_empty(), "{unkeyed:?}");
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
