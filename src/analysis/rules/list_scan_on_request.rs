//! `list-scan-on-request`: a request pages through a whole KV or R2
//! listing.

use crate::model::{BindingKind, EntryPoint, Finding, FindingSeverity, Location, Model, OpKind};
use crate::model::{RuleId, Subject, Topic};
use std::collections::BTreeMap;

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A request that pages through every key of a KV or R2 listing.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A KV or R2 `list()` called again and again in a `while` / `do` loop —
following the cursor until the listing is complete — in code an HTTP route
or `fetch` handler runs. A function that deletes what it lists (a purge)
is left alone: scanning is its job.

## Why it matters
Each page is a billed list operation of at most 1,000 keys: the request's
cost and latency grow with the namespace or bucket, and a big one exhausts
the invocation's time or subrequest budget. KV listings are also
eventually consistent, so a key written a moment ago may be missing.

## Example
`GET /api/search` listing every `link:` key to filter them → keep an index
(a D1 table with the searchable fields, or one KV value per query) and
read only it.
";

/// One finding per (binding, prefix).
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    type Scans<'m> = (Vec<&'m EntryPoint>, Vec<Location>);
    // A function that deletes what it lists is a purge: scanning is its job.
    let purges: Vec<(&str, String)> = model
        .resource_ops
        .iter()
        .filter(|o| o.op == OpKind::Delete)
        .map(|o| (o.binding.as_str(), o.actor_label()))
        .collect();
    let mut found: BTreeMap<(&str, BindingKind, String), Scans<'_>> = BTreeMap::new();
    for op in &model.resource_ops {
        if op.op != OpKind::List
            || !op.paged
            || !matches!(op.kind, BindingKind::Kv | BindingKind::R2)
        {
            continue;
        }
        if purges.contains(&(op.binding.as_str(), op.actor_label())) {
            continue;
        }
        let hot: Vec<&EntryPoint> = op.entries.iter().filter(|e| e.is_request()).collect();
        if hot.is_empty() {
            continue;
        }
        let prefix = op.key.as_ref().map(|k| k.notation()).unwrap_or_default();
        let e = found
            .entry((op.binding.as_str(), op.kind, prefix))
            .or_default();
        e.0.extend(hot);
        e.1.push(op.location.clone());
    }
    for ((binding, kind, prefix), (mut entries, mut locations)) in found {
        entries.sort();
        entries.dedup();
        let at = super::sort_first(&mut locations);
        let (topic, store) = match kind {
            BindingKind::R2 => (Topic::R2, "object"),
            _ => (Topic::Kv, "key"),
        };
        let under = if prefix.is_empty() {
            format!("every {store} of `{binding}`")
        } else {
            format!("every {store} under `{prefix}`")
        };
        out.push(
            Finding::new(
                RuleId::ListScanOnRequest,
                FindingSeverity::Warning,
                topic,
                Subject::Binding {
                    name: binding.to_owned(),
                },
                format!(
                    "{} lists {under}, page by page, on each call ({at})",
                    crate::render::words::entry_list(entries)
                ),
            )
            .advice("⚠️ Cost and latency grow with every key added (a billed list operation per 1,000): keep an index to read instead of scanning")
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fetch, rows, wrangler};
    use crate::model::RuleId;

    fn rows_for(body: &str) -> Vec<super::super::testing::Row> {
        rows(
            RuleId::ListScanOnRequest,
            &[
                (
                    "wrangler.toml",
                    &wrangler("[[kv_namespaces]]\nbinding = \"LINKS\"\nid = \"l\"\n"),
                ),
                ("src/index.ts", &fetch(body)),
            ],
        )
    }

    #[test]
    fn fires_on_paging_through_a_listing_in_a_request() {
        let rows = rows_for(
            "    let cursor: string | undefined;\n    while (true) {\n      const page = await env.LINKS.list({ prefix: \"link:\", cursor });\n      if (page.list_complete) break;\n      cursor = page.cursor;\n    }",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "KV (LINKS)");
        assert!(
            rows[0][1].starts_with("fetch lists every key under `link:`, page by page"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_for_one_page() {
        assert!(
            rows_for("    const page = await env.LINKS.list({ prefix: \"link:\", limit: 50 });")
                .is_empty()
        );
    }
}
