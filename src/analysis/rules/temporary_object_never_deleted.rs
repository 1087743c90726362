//! `temporary-object-never-deleted`: an R2 prefix that looks temporary but
//! nothing deletes.
use crate::model::{Finding, FindingSeverity, Lifecycle, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A temporary-looking R2 prefix nothing deletes.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
An R2 key pattern under a temporary-looking prefix (`pending/`, `tmp/`,
`temp/`, `staging/`, `incoming/`) that code writes but never deletes.

## Why it matters
Abandoned uploads and intermediate files accumulate and are billed as
storage forever.

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
            if p.lifecycle != Some(Lifecycle::TemporaryNeverDeleted) {
                continue;
            }
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
                    format!(
                        "`{}` looks temporary but nothing deletes it",
                        p.pattern.notation()
                    ),
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
    }
}
