//! The TypeScript extraction: the input as a Worker's entry module, beside
//! a config and a migration the code can refer to.
#![no_main]

use dmqa::sources::SourceKind::{Sql, TypeScript, Wrangler};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::{WRANGLER, file, twice};

fuzz_target!(|data: &[u8]| {
    let code = String::from_utf8_lossy(data).into_owned();
    twice(&[
        file("wrangler.toml", Wrangler, WRANGLER),
        file(
            "migrations/0001_init.sql",
            Sql,
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, org_id INTEGER);\n",
        ),
        file("src/index.ts", TypeScript, code),
    ]);
});
