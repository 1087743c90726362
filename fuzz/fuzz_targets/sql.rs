//! The SQL front end: the input as a D1 migration, as loose SQL (any
//! engine), or as the query text code passes to `prepare()`, chosen by its
//! first byte.
#![no_main]

use dmqa::sources::SourceKind::{Sql, TypeScript, Wrangler};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::{WRANGLER, file, twice};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let sql = String::from_utf8_lossy(rest).into_owned();
    let files = match mode % 3 {
        0 => vec![
            file("wrangler.toml", Wrangler, WRANGLER),
            file("migrations/0001_init.sql", Sql, sql),
        ],
        1 => vec![file("db/schema.sql", Sql, sql)],
        _ => {
            let literal = serde_json_string(&sql);
            vec![
                file("wrangler.toml", Wrangler, WRANGLER),
                file(
                    "migrations/0001_init.sql",
                    Sql,
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, org_id INTEGER);\n",
                ),
                file(
                    "src/index.ts",
                    TypeScript,
                    format!(
                        "export default {{ async fetch(req: Request, env: Env) {{ await env.DB.prepare({literal}).bind(1).all(); return new Response(\"ok\"); }} }};\n"
                    ),
                ),
            ]
        }
    };
    twice(&files);
});

/// `s` as a double-quoted JavaScript string literal.
fn serde_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
