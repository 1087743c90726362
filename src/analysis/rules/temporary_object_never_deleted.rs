//! `temporary-object-never-deleted`: an R2 prefix that looks temporary but
//! nothing deletes.

use super::{RuleId, finding};
use crate::model::{Finding, FindingSeverity, Model};

/// Documentation shown in the README.
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
            if !p
                .lifecycle
                .as_deref()
                .is_some_and(|l| l.starts_with("Temporary"))
            {
                continue;
            }
            let prefix = p.pattern.split('{').next().unwrap_or("");
            out.push(finding(
                RuleId::TemporaryObjectNeverDeleted,
                FindingSeverity::Warning,
                format!("R2 ({})", b.binding),
                format!("`{}` looks temporary but nothing deletes it", p.pattern),
                format!(
                    "⚠️ Delete it once processed, or expire it: `wrangler r2 bucket lifecycle add {bucket} --prefix {prefix} --expire-days 1`"
                ),
                "Low",
                p.sources.clone(),
            ));
        }
    }
}
