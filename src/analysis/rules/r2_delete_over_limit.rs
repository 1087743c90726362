//! `r2-delete-over-limit`: an R2 `delete(keys)` of every key a paged
//! listing gathered, past the 1,000 keys one call takes.

use crate::model::{BindingKind, Finding, FindingSeverity, Model, OpKind, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "An R2 delete of every key a paged listing gathered, past the 1,000 keys one call takes.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
An R2 `delete(keys)` whose array the function starts empty and fills with
`push` inside a loop that pages through a listing (`do { … list({ cursor
}) … } while (…)`), deleted in one call after that loop. A delete inside
the loop (one page, at most 1,000 keys) or of a `slice` is left alone.

## Why it matters
One `delete` takes at most 1,000 keys. Past that it throws and deletes
nothing, so the cleanup of a prefix works in tests and fails once the
prefix holds more than 1,000 objects: the objects stay, billed, and every
retry fails the same way.

## Example
`do { const page = await env.BUCKET.list({ prefix, cursor }); keys.push(...)
… } while (page.truncated); await env.BUCKET.delete(keys)` → delete each
page inside the loop (`await env.BUCKET.delete(page.objects.map((o) =>
o.key))`), or in slices of 1,000.
";

/// One finding per such delete.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.kind == BindingKind::R2 && o.op == OpKind::Delete)
    {
        let Some(list) = &op.spread else { continue };
        out.push(
            Finding::new(
                RuleId::R2DeleteOverLimit,
                FindingSeverity::Warning,
                Topic::R2,
                Subject::Binding {
                    name: op.binding.clone(),
                },
                format!(
                    "`delete({})` at {} deletes every key a paged listing gathered in one call: it throws, deleting nothing, once the listing passes 1,000 keys",
                    list.over, op.location
                ),
            )
            .advice(format!(
                "⚠️ Delete each page inside the listing loop, or in slices of at most 1,000 (`{}.slice(i, i + 1000)`)",
                list.over
            ))
            .at(vec![op.location.clone()]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const BUCKET: &str = "[[r2_buckets]]\nbinding = \"FILES\"\nbucket_name = \"files\"\n";

    fn rows_for(body: &str) -> Vec<testing::Row> {
        rows(
            RuleId::R2DeleteOverLimit,
            &[
                ("wrangler.toml", &wrangler(BUCKET)),
                ("src/index.ts", &testing::fetch(body)),
            ],
        )
    }

    const PAGED: &str = "    const keys: string[] = [];\n    let cursor: string | undefined;\n    let page;\n    do {\n      page = await env.FILES.list({ prefix: \"exports/\", cursor });\n      for (const o of page.objects) keys.push(o.key);\n      cursor = page.truncated ? page.cursor : undefined;\n    } while (cursor);\n";

    #[test]
    fn fires_on_one_delete_after_a_paged_listing() {
        let rows = rows_for(&format!("{PAGED}    await env.FILES.delete(keys);"));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "R2 (FILES)");
        assert_eq!(
            rows[0][1],
            "`delete(keys)` at src/index.ts:12 deletes every key a paged listing gathered in one call: it throws, deleting nothing, once the listing passes 1,000 keys"
        );
    }

    #[test]
    fn stays_silent_on_a_page_a_slice_or_one_listing() {
        // Each page inside the loop: at most 1,000 keys.
        let rows = rows_for(
            "    let cursor: string | undefined;\n    do {\n      const page = await env.FILES.list({ prefix: \"exports/\", cursor });\n      const keys: string[] = [];\n      for (const o of page.objects) keys.push(o.key);\n      await env.FILES.delete(keys);\n      cursor = page.truncated ? page.cursor : undefined;\n    } while (cursor);",
        );
        assert!(rows.is_empty(), "{rows:?}");
        let rows = rows_for(&format!(
            "{PAGED}    for (let i = 0; i < keys.length; i += 1000) await env.FILES.delete(keys.slice(i, i + 1000));"
        ));
        assert!(rows.is_empty(), "{rows:?}");
        // One listing (at most 1,000 keys), no paging loop.
        let rows = rows_for(
            "    const keys: string[] = [];\n    const page = await env.FILES.list({ prefix: \"exports/\" });\n    for (const o of page.objects) keys.push(o.key);\n    await env.FILES.delete(keys);",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
