//! `bound-parameters-over-limit`: a D1 statement whose placeholder list is
//! built from an array, with no cut that keeps it within D1's 100 bound
//! parameters per statement.

use crate::model::{BindingKind, Finding, FindingSeverity, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "A D1 statement binding one value per array item, past D1's 100 parameters.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Error;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A D1 statement whose SQL text builds its placeholders from an array at run
time (`IN (${ids.map(() => \"?\").join(\",\")})`, a multi-row `VALUES
${rows.map(() => \"(?, ?, ?)\").join(\", \")}`, `\"?,\".repeat(n)`,
`Array(n).fill(\"?\")`):
- an error when the code cuts the array into chunks that still bind more
  than 100 values per statement (`slice(i, i + 50)` of rows of 3 = 150);
- a warning when nothing cuts it: the statement fails once the array is
  longer than the number of items that fit.
Only a list the request sends counts (a parsed body, query or form values,
a string split into items, through locals and array methods): a literal
array, one record's fields, a parameter whose caller may cut it, or the
rows of an earlier lookup are left alone. A list written twice in the
statement binds twice.

## Why it matters
D1 accepts at most 100 bound parameters per statement (SQLite's own limit
is far higher, so local tests pass). Past it the statement fails with
`too many SQL variables`: the request that deletes 120 selected rows, or
imports 40 rows of 3 columns, errors.

## Example
`DELETE FROM items WHERE id IN (${ids.map(() => \"?\").join(\",\")})` →
run it per chunk of 100 ids (`for (let i = 0; i < ids.length; i += 100)` with
`ids.slice(i, i + 100)`) inside one `batch()`, or pass the ids as one JSON
value: `WHERE id IN (SELECT value FROM json_each(?))`.
";

/// D1's bound parameters per statement.
const MAX_PARAMS: u32 = 100;

/// One finding per statement.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for op in model
        .resource_ops
        .iter()
        .filter(|o| o.kind == BindingKind::D1)
    {
        let Some(list) = &op.spread else { continue };
        let table = op
            .queries
            .first()
            .map(|q| q.table.clone())
            .or_else(|| op.tables.first().cloned())
            .unwrap_or_default();
        let room = MAX_PARAMS.saturating_sub(list.fixed) / list.per_item.max(1);
        let per = if list.per_item == 1 {
            "one value".to_owned()
        } else {
            format!("{} values", list.per_item)
        };
        let (severity, message) = match list.chunk {
            Some(chunk) => {
                let total = list.fixed + list.per_item * chunk;
                if total <= MAX_PARAMS {
                    continue;
                }
                (
                    FindingSeverity::Error,
                    format!(
                        "The statement at {} binds {per} per item of `{}` in chunks of {chunk}: {total} parameters, over D1's {MAX_PARAMS}",
                        op.location, list.over
                    ),
                )
            }
            None => (
                FindingSeverity::Warning,
                format!(
                    "The statement at {} binds {per} per item of `{}`, which nothing cuts: it fails past {room} items (D1 binds at most {MAX_PARAMS} parameters)",
                    op.location, list.over
                ),
            ),
        };
        let subject = if table.is_empty() {
            Subject::Binding {
                name: op.binding.clone(),
            }
        } else {
            Subject::table(&table)
        };
        out.push(
            Finding::new(
                RuleId::BoundParametersOverLimit,
                severity,
                Topic::Queries,
                subject,
                message,
            )
            .advice(format!(
                "{} Bind at most {room} items per statement (chunks in one `batch()`), or pass the list as one JSON value: `IN (SELECT value FROM json_each(?))`",
                if severity == FindingSeverity::Error { "❌" } else { "⚠️" }
            ))
            .at(vec![op.location.clone()]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, D1, rows, wrangler};
    use crate::model::RuleId;

    const SCHEMA: &str = "CREATE TABLE items (id TEXT PRIMARY KEY, a TEXT, b TEXT, org TEXT);\n";

    fn rows_for(body: &str) -> Vec<testing::Row> {
        rows(
            RuleId::BoundParametersOverLimit,
            &[
                ("wrangler.toml", &wrangler(D1)),
                ("migrations/0001.sql", SCHEMA),
                ("src/index.ts", &testing::fetch(body)),
            ],
        )
    }

    #[test]
    fn warns_on_a_list_nothing_cuts() {
        let rows = rows_for(
            "    const ids: string[] = await request.json();\n    await env.DB.prepare(`DELETE FROM items WHERE org = ? AND id IN (${ids.map(() => \"?\").join(\",\")})`).bind(t, ...ids).run();",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Queries (items)");
        assert_eq!(
            rows[0][1],
            "The statement at src/index.ts:5 binds one value per item of `ids`, which nothing cuts: it fails past 99 items (D1 binds at most 100 parameters)"
        );
        assert!(
            rows[0][2].starts_with("⚠️ Bind at most 99 items"),
            "{rows:?}"
        );
    }

    #[test]
    fn errs_on_chunks_still_over_the_limit() {
        let rows = rows_for(
            "    const rows: string[][] = await request.json();\n    for (let i = 0; i < rows.length; i += 50) {\n      const chunk = rows.slice(i, i + 50);\n      const marks = chunk.map(() => \"(?, ?, ?)\").join(\", \");\n      await env.DB.prepare(`INSERT INTO items (id, a, b) VALUES ${marks}`).bind(...chunk.flat()).run();\n    }",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].ends_with(
                "binds 3 values per item of `chunk` in chunks of 50: 150 parameters, over D1's 100"
            ),
            "{rows:?}"
        );
        assert!(
            rows[0][2].starts_with("❌ Bind at most 33 items"),
            "{rows:?}"
        );
    }

    /// A list from the request: a destructured body, query values split
    /// from a string; one written twice binds twice.
    #[test]
    fn reads_lists_the_request_sends() {
        let rows = rows_for(
            "    const { ids } = await request.json<{ ids: string[] }>();\n    await env.DB.prepare(`SELECT id FROM items WHERE id IN (${ids.map(() => \"?\").join()})`).bind(...ids).all();",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        let rows = rows_for(
            "    const cs = (new URL(request.url).searchParams.get(\"c\") ?? \"\").split(\",\");\n    const marks = cs.map(() => \"?\").join(\",\");\n    await env.DB.prepare(`SELECT id FROM items WHERE a IN (${marks}) OR b IN (${marks})`).bind(...cs, ...cs).all();",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0][1].contains("binds 2 values per item of `cs`"),
            "{rows:?}"
        );
        assert!(rows[0][1].contains("fails past 50 items"), "{rows:?}");
    }

    /// A parameter (its caller may cut it: `batchQuery(ids, (batch) => …)`),
    /// the rows of an earlier lookup, a set of what a lookup returned: not
    /// known to be long.
    #[test]
    fn stays_silent_for_lists_it_cannot_trace_to_the_request() {
        for body in [
            "    const run = async (batch: string[]) => env.DB.prepare(`DELETE FROM items WHERE id IN (${batch.map(() => \"?\").join()})`).bind(...batch).run();\n    await run([t]);",
            "    const { results } = await env.DB.prepare(\"SELECT id FROM items WHERE org = ?\").bind(t).all();\n    const ids = results.map((r) => r.id);\n    await env.DB.prepare(`DELETE FROM items WHERE id IN (${ids.map(() => \"?\").join()})`).bind(...ids).run();",
            "    const kinds = [...new Set(rows.map((r) => tierOf(r)))];\n    await env.DB.prepare(`SELECT id FROM items WHERE a IN (${kinds.map(() => \"?\").join()})`).bind(...kinds).all();",
        ] {
            assert!(rows_for(body).is_empty(), "{body}");
        }
    }

    #[test]
    fn stays_silent_within_the_limit_or_for_literal_lists() {
        for body in [
            "    const ids: string[] = await request.json();\n    const some = ids.slice(0, 100);\n    await env.DB.prepare(`SELECT id FROM items WHERE id IN (${some.map(() => \"?\").join(\",\")})`).bind(...some).all();",
            "    const kinds = [\"a\", \"b\"];\n    await env.DB.prepare(`SELECT id FROM items WHERE a IN (${kinds.map(() => \"?\").join(\",\")})`).bind(...kinds).all();",
            "    await env.DB.prepare(`SELECT id FROM items WHERE id = ?`).bind(t).first();",
            "    const row = { id: t, a: \"x\" };\n    const cols = Object.keys(row).filter((c) => c !== \"id\");\n    await env.DB.prepare(`UPDATE items SET (${cols.join(\", \")}) = (${cols.map(() => \"?\").join(\", \")}) WHERE id = ?`).bind(...cols, t).run();",
        ] {
            assert!(rows_for(body).is_empty(), "{body}");
        }
    }
}
