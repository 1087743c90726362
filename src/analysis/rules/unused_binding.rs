//! `unused-binding`: a binding a Worker declares that its code never reads.

use super::{RuleId, finding};
use crate::model::{BindingKind, Finding, FindingSeverity, Model, Worker};

/// Documentation shown in the README.
pub const DOC: &str = "\
## What it finds
A D1, R2, KV, queue, Durable Object, Hyperdrive, service or Vectorize
binding a Worker's wrangler config declares at its top level that no code
in the Worker's folder reads (`env.X`, `c.env.X`, destructuring). Checked
only for Workers whose code dmqa read, and not where code picks bindings
by a computed name.

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
    for w in model.workers.iter().filter(|w| w.environment.is_none()) {
        let owned = |path: &str| {
            Worker::owning(&model.workers, path).is_some_and(|o| o.location.path == w.location.path)
        };
        let reads: Vec<&str> = model
            .binding_reads
            .iter()
            .filter(|r| owned(&r.location.path))
            .map(|r| r.name.as_str())
            .collect();
        let dynamic = model
            .dynamic_bindings
            .iter()
            .any(|d| owned(&d.location.path));
        if reads.is_empty() || dynamic {
            continue;
        }
        for b in &w.bindings {
            let resource = !matches!(
                b.kind,
                BindingKind::Var | BindingKind::Ai | BindingKind::AnalyticsEngine
            );
            if resource && !reads.contains(&b.name.as_str()) {
                out.push(finding(
                    RuleId::UnusedBinding,
                    FindingSeverity::Warning,
                    format!("Bindings ({})", b.name),
                    format!(
                        "`{}` is declared for `{}` ({}) but no code in its folder reads it",
                        b.name, w.name, b.location
                    ),
                    "⚠️ Remove the binding if it is a leftover; if another package reaches it, keep it and say so in the config".into(),
                    "Low",
                    vec![b.location.clone()],
                ));
            }
        }
    }
}
