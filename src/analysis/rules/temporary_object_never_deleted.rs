//! `temporary-object-never-deleted`: an R2 prefix that looks temporary but
//! nothing deletes.
use crate::model::{
    BindingKind, Finding, FindingSeverity, Key, Lifecycle, Model, OpKind, RuleId, Subject, Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "A temporary-looking R2 prefix nothing deletes, or deletes only best-effort.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
An R2 key pattern under a temporary-looking prefix (`pending/`, `tmp/`,
`temp/`, `temporary/`, `staging/`, `incoming/`) that code writes but never
deletes, or deletes only best-effort: every delete sits in a `try` whose
`catch` drops the error, or chains a `.catch(…)` that does.

## Why it matters
Abandoned uploads and intermediate files accumulate and are billed as
storage forever. A delete whose failure is swallowed leaves the object
behind with nothing to retry it; only a lifecycle rule on the prefix is a
backstop.

## Example
`pending/{jobId}/bundle.js` written by the upload route, never deleted →
delete it after processing, or add a lifecycle rule:
`wrangler r2 bucket lifecycle add BUCKET --prefix pending/ --expire-days 1`.
";

/// One finding per such pattern.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for b in &model.buckets {
        let bucket = b
            .bucket_names
            .first()
            .cloned()
            .unwrap_or_else(|| b.binding.clone());
        for p in &b.path_patterns {
            let deletes: Vec<_> = model
                .resource_ops
                .iter()
                .filter(|o| {
                    o.kind == BindingKind::R2
                        && o.binding == b.binding
                        && o.op == OpKind::Delete
                        && o.key.as_ref().map(Key::shape) == Some(p.pattern.shape())
                })
                .collect();
            let current = match &p.lifecycle {
                Some(Lifecycle::TemporaryNeverDeleted) => format!(
                    "`{}` looks temporary but nothing deletes it",
                    p.pattern.notation()
                ),
                Some(Lifecycle::DeletedBy { actor })
                    if crate::analysis::resources::looks_temporary(&p.pattern)
                        && deletes.iter().all(|o| o.best_effort) =>
                {
                    let Some(first) = deletes.first() else {
                        continue;
                    };
                    format!(
                        "`{}` looks temporary and is deleted only best-effort: {actor} drops a failed delete ({}), and nothing else removes it",
                        p.pattern.notation(),
                        first.location
                    )
                }
                _ => continue,
            };
            let prefix = p.pattern.literal_prefix();
            let advice = format!(
                "⚠️ Delete it once processed, or expire it: `wrangler r2 bucket lifecycle add {bucket} --prefix {prefix} --expire-days 1`"
            );
            out.push(
                Finding::new(
                    RuleId::TemporaryObjectNeverDeleted,
                    FindingSeverity::Warning,
                    Topic::R2,
                    Subject::Binding {
                        name: b.binding.clone(),
                    },
                    current,
                )
                .advice(advice)
                .at(p.sources.clone()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = "[[r2_buckets]]\nbinding = \"UPLOADS\"\nbucket_name = \"uploads\"\n";

    fn rows_for(body: &str) -> Vec<testing::Row> {
        let code = format!(
            "export default {{\n  async fetch(request: Request, env: Env) {{\n    const id = crypto.randomUUID();\n{body}\n    return new Response(\"ok\");\n  }},\n}};\n"
        );
        rows(
            RuleId::TemporaryObjectNeverDeleted,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("src/index.ts", &code),
            ],
        )
    }

    #[test]
    fn fires_on_a_temporary_prefix_nothing_deletes() {
        let rows = rows_for("    await env.UPLOADS.put(`tmp/${id}`, request.body);");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "R2 (UPLOADS)");
        assert!(rows[0][2].contains("--prefix tmp/"), "{rows:?}");
    }

    #[test]
    fn stays_silent_when_code_deletes_it() {
        let rows = rows_for(
            "    await env.UPLOADS.put(`tmp/${id}`, request.body);\n    await env.UPLOADS.delete(`tmp/${id}`);",
        );
        assert!(rows.is_empty(), "{rows:?}");
        // A catch that throws again reports the failure.
        let rows = rows_for(
            "    await env.UPLOADS.put(`tmp/${id}`, request.body);\n    try {\n      await env.UPLOADS.delete(`tmp/${id}`);\n    } catch (e) {\n      throw new Error(`cleanup: ${e}`);\n    }",
        );
        assert!(rows.is_empty(), "{rows:?}");
        // One delete that is not best-effort is enough.
        let rows = rows_for(
            "    await env.UPLOADS.put(`tmp/${id}`, request.body);\n    await env.UPLOADS.delete(`tmp/${id}`).catch(() => {});\n    await env.UPLOADS.delete(`tmp/${id}`);",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    #[test]
    fn fires_when_every_delete_swallows_its_failure() {
        let rows = rows_for(
            "    await env.UPLOADS.put(`temporary/${id}`, request.body);\n    try {\n      await env.UPLOADS.delete(`temporary/${id}`);\n    } catch (e) {\n      console.log(e);\n    }",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].starts_with("`temporary/{id}` looks temporary and is deleted only best-effort: fetch drops a failed delete (src/index.ts:6)"),
            "{rows:?}"
        );
        let rows = rows_for(
            "    await env.UPLOADS.put(`tmp/${id}`, request.body);\n    await env.UPLOADS.delete(`tmp/${id}`).catch(() => undefined);",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
    }
}
