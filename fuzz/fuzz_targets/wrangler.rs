//! The wrangler reader: the input as `wrangler.toml` or `wrangler.jsonc`
//! (by its first byte), beside code and a migration that use its bindings.
#![no_main]

use dmqa::sources::SourceKind::{Sql, TypeScript, Wrangler};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::{file, twice};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let config = String::from_utf8_lossy(rest).into_owned();
    let name = if mode % 2 == 0 {
        "wrangler.toml"
    } else {
        "wrangler.jsonc"
    };
    twice(&[
        file(name, Wrangler, config),
        file(
            "migrations/0001_init.sql",
            Sql,
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
        ),
        file(
            "src/index.ts",
            TypeScript,
            "export default { async fetch(req: Request, env: Env) { await env.KV.put(`u:${req.url}`, \"x\"); await env.DB.prepare(\"SELECT * FROM users WHERE id = ?\").bind(1).first(); return new Response(\"ok\"); } };\n",
        ),
    ]);
});
