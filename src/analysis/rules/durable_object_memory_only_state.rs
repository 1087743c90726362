//! `durable-object-memory-only-state`: a Durable Object whose state is
//! only in memory.
use crate::model::{Effort, Finding, FindingSeverity, Model, RuleId, StateItem, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A Durable Object whose state lives only in memory.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A Durable Object class whose methods change in-memory fields
(`this.count++`, `this.sessions.set(…)`) and that has no `storage` keys or
`storage.sql` tables. Fields only set where they are declared or in the
constructor (`defaultPort = 8080`, `server = new McpServer(…)`) are
settings, not state. Fields holding WebSockets (`Map<string, WebSocket>`)
and caches (a field named `cache`, refilled on a miss) are meant to live in
memory and are left out.

## Why it matters
An object is evicted when idle and restarted on deploys: in-memory state
is gone. That is fine for live WebSocket sessions that clients re-create,
not for anything else.

## Example
`sessions = new Map()` and `lastProgress = 0` only → keep `sessions` in
memory, persist `lastProgress` with `this.ctx.storage.put(\"lastProgress\", …)`.
";

/// One finding per such class.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for d in &model.durable_objects {
        let persisted = d.state.iter().any(StateItem::persisted);
        let in_memory: Vec<&str> = d
            .state
            .iter()
            .filter_map(|s| match s {
                // Live sockets (clients reconnect) and caches (refilled on
                // a miss) are meant to live in memory.
                StateItem::Field { name, ty }
                    if !ty.contains("WebSocket")
                        && !name.to_ascii_lowercase().contains("cache") =>
                {
                    Some(name.as_str())
                }
                _ => None,
            })
            .filter(|k| d.mutated.iter().any(|m| m == k))
            .collect();
        if persisted || in_memory.is_empty() {
            continue;
        }
        let advice = "⚠️ Lost on eviction or deploy: persist what must survive in `ctx.storage` (live WebSocket sessions may stay in memory)";
        out.push(
            Finding::new(
                RuleId::DurableObjectMemoryOnlyState,
                FindingSeverity::Warning,
                Topic::DurableObjects,
                Subject::Class {
                    name: d.class_name.clone(),
                },
                format!("State only in memory: `{}`", in_memory.join("`, `")),
            )
            .advice(advice)
            .effort(Effort::Medium)
            .at(vec![d.location.clone()]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = "[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Counter\"]\n";

    fn rows_for(body: &str) -> Vec<testing::Row> {
        let code = format!(
            "import {{ DurableObject }} from \"cloudflare:workers\";\n\nexport class Counter extends DurableObject {{\n  count = 0;\n  async fetch(request: Request) {{\n{body}\n    return new Response(String(this.count));\n  }}\n}}\n\nexport default {{\n  async fetch(request: Request, env: Env) {{\n    return env.COUNTER.get(env.COUNTER.idFromName(\"a\")).fetch(request);\n  }},\n}};\n"
        );
        rows(
            RuleId::DurableObjectMemoryOnlyState,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("src/index.ts", &code),
            ],
        )
    }

    #[test]
    fn fires_on_state_changed_only_in_memory() {
        let rows = rows_for("    this.count++;");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Durable Objects (Counter)");
        assert_eq!(rows[0][1], "State only in memory: `count`");
        assert_eq!(rows[0][3], "Medium");
    }

    #[test]
    fn stays_silent_on_sockets_and_caches() {
        let code = "import { DurableObject } from \"cloudflare:workers\";\n\nexport class Counter extends DurableObject {\n  sockets = new Map<string, WebSocket>();\n  #cache: Uint8Array | undefined;\n  async fetch(request: Request) {\n    const pair = new WebSocketPair();\n    this.sockets.set(request.url, pair[1]);\n    this.#cache = new Uint8Array(1);\n    return new Response(null, { status: 101, webSocket: pair[0] });\n  }\n}\n\nexport default {\n  async fetch(request: Request, env: Env) {\n    return env.COUNTER.get(env.COUNTER.idFromName(\"a\")).fetch(request);\n  },\n};\n";
        let rows = rows(
            RuleId::DurableObjectMemoryOnlyState,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("src/index.ts", code),
            ],
        );
        assert!(rows.is_empty(), "{rows:?}");
    }

    #[test]
    fn stays_silent_when_state_is_persisted() {
        let rows =
            rows_for("    this.count++;\n    await this.ctx.storage.put(\"count\", this.count);");
        assert!(rows.is_empty(), "{rows:?}");
    }
}
