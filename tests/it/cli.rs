use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn dmqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dmqa"))
        .args(args)
        // A test run inside GitHub Actions writes no job summary.
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE")
        .output()
        .expect("runs dmqa")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A fresh scratch folder with a copy of a small D1 project.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dmqa-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    std::fs::write(
        dir.join("wrangler.toml"),
        "name = \"t\"\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"t\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("migrations/0001_init.sql"),
        "-- People\nCREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
    )
    .unwrap();
    dir
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn scan_to_stdout_writes_no_file() {
    let dir = scratch("stdout");
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(report.starts_with("# Data Model\n"));
    assert!(
        report.contains("| people | People | 1000s | - |"),
        "{report}"
    );
    assert_eq!(files_in(&dir), vec!["migrations", "wrangler.toml"]);
    let summary = stderr(&out);
    assert!(
        summary.contains("scanned 2 files in ") && summary.contains(": 1 table, 0 buckets"),
        "{summary}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_is_fresh_after_scan_stale_after_an_edit_and_fails_when_missing() {
    let dir = scratch("check");
    let root = dir.to_str().unwrap();

    let missing = dmqa(&["check", root]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("does not exist; run `dmqa scan`"));

    let scan = dmqa(&["scan", root]);
    assert_eq!(scan.status.code(), Some(0), "{}", stderr(&scan));
    // Written atomically: the report and nothing else.
    assert_eq!(
        files_in(&dir),
        vec!["data-model-qa.md", "migrations", "wrangler.toml"]
    );
    assert_eq!(dmqa(&["check", root, "-q"]).status.code(), Some(0));

    std::fs::write(
        dir.join("migrations/0002_email.sql"),
        "ALTER TABLE people ADD COLUMN email TEXT;\n",
    )
    .unwrap();
    let stale = dmqa(&["check", root]);
    assert_eq!(stale.status.code(), Some(1));
    let diff = String::from_utf8(stale.stdout.clone()).unwrap();
    assert!(
        diff.contains("(committed)") && diff.contains("(generated)"),
        "{diff}"
    );
    assert!(diff.contains("+| email | TEXT | Yes | - | - |"), "{diff}");
    assert!(stderr(&stale).contains("is stale"));

    assert_eq!(dmqa(&["scan", root, "-q"]).status.code(), Some(0));
    assert_eq!(dmqa(&["check", root, "-q"]).status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_formats_for_github_and_json() {
    let dir = scratch("formats");
    let root = dir.to_str().unwrap();
    // No primary key: a finding to annotate.
    std::fs::write(
        dir.join("migrations/0002_log.sql"),
        "CREATE TABLE hits (path TEXT, at INTEGER);\n",
    )
    .unwrap();
    let missing = dmqa(&["check", root, "--format", "github", "-q"]);
    assert_eq!(missing.status.code(), Some(1));
    let out = String::from_utf8(missing.stdout).unwrap();
    assert!(
        out.contains(&format!(
            "::warning file={root}/migrations/0002_log.sql,line=1,title=table-without-primary-key::"
        )),
        "{out}"
    );
    assert!(
        out.lines()
            .last()
            .is_some_and(|l| l.starts_with("::error file=") && l.contains("does not exist")),
        "{out}"
    );
    assert_eq!(dmqa(&["scan", root, "-q"]).status.code(), Some(0));
    let fresh = dmqa(&["check", root, "--format", "json", "-q"]);
    assert_eq!(fresh.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&fresh.stdout).unwrap();
    assert_eq!(v["stale"], false);
    assert_eq!(v["missing"], false);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "table-without-primary-key"),
        "{v}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_and_output_errors_exit_2_with_one_line() {
    let missing = dmqa(&["scan", "/definitely/not/here"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        stderr(&missing),
        "error: /definitely/not/here is not a directory\n"
    );

    let unknown = dmqa(&["scan", "--frobnicate"]);
    assert_eq!(unknown.status.code(), Some(2));

    let dir = scratch("unwritable");
    let target = dir.join("no/such/dir/report.md");
    let out = dmqa(&[
        "scan",
        dir.to_str().unwrap(),
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("error: failed to write"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files_in(&dir), vec!["migrations", "wrangler.toml"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_config_is_a_usage_error_naming_the_line() {
    let dir = scratch("config");
    std::fs::write(dir.join("dmqa.toml"), "ignore = []\nignroe = [\"x\"]\n").unwrap();
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: dmqa.toml:2:1: unknown field `ignroe`"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn config_ignores_paths() {
    let dir = scratch("ignore");
    std::fs::write(dir.join("dmqa.toml"), "ignore = [\"migrations\"]\n").unwrap();
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8(out.stdout).unwrap().contains("people"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn broken_inputs_are_warnings_and_exit_0() {
    let out = dmqa(&["scan", &fixture("broken_inputs"), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("wrangler.toml:2:16: warning[config-parse-error]"),
        "{err}"
    );
    assert!(err.contains("; 12 warnings"), "{err}");
    let quiet = dmqa(&["scan", &fixture("broken_inputs"), "--out", "-", "-q"]);
    assert_eq!(stderr(&quiet), "");
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_named_and_skipped() {
    let dir = scratch("loop");
    std::os::unix::fs::symlink(&dir, dir.join("migrations/again")).unwrap();
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("migrations/again:1:1: warning[symlink-loop]"),
        "{}",
        stderr(&out)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("| people |")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn model_prints_json_with_locations() {
    let out = dmqa(&["model", &fixture("codepush_d1")]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let db = &v["databases"][0];
    assert_eq!(db["engine"], "D1");
    assert_eq!(db["bindings"][0]["binding"], "DB");
    let apps = db["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "apps")
        .unwrap();
    assert_eq!(
        apps["location"]["path"],
        "packages/api/migrations/0001_init.sql"
    );
    assert_eq!(apps["location"]["line"], 10);
}

/// `dmqa model --schema` is the committed `docs/model.schema.json`, and the
/// model of every fixture conforms to it.
#[test]
fn model_schema_is_committed_and_every_fixture_model_conforms() {
    let out = dmqa(&["model", "--schema"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/model.schema.json"),
    )
    .unwrap();
    assert!(
        text == committed,
        "docs/model.schema.json is stale: run `cargo run -q -- model --schema > docs/model.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let mut checked = 0;
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")).unwrap()
    {
        let dir = entry.unwrap().path();
        let out = dmqa(&["model", dir.to_str().unwrap(), "-q"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let model: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&model)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", dir.display());
        checked += 1;
    }
    assert!(checked >= 10, "{checked} fixtures");
    // The schema is not vacuous: a finding with an unknown rule is refused.
    let mut model: serde_json::Value =
        serde_json::from_slice(&dmqa(&["model", &fixture("codepush_d1"), "-q"]).stdout).unwrap();
    model["findings"] = serde_json::json!([{ "rule": "no-such-rule" }]);
    assert!(!validator.is_valid(&model));
}

#[test]
fn help_shows_an_example_per_subcommand() {
    for sub in ["scan", "check", "model", "rules", "explain"] {
        let out = dmqa(&[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Examples:"), "{sub}: {text}");
    }
    assert_eq!(dmqa(&["--version"]).status.code(), Some(0));
}

#[test]
fn rules_lists_every_rule_and_explain_prints_one() {
    let out = dmqa(&["rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = String::from_utf8(out.stdout).unwrap();
    let line = list
        .lines()
        .find(|l| l.starts_with("kv-key-without-ttl "))
        .expect("kv-key-without-ttl is listed");
    assert!(
        line.contains(" warning ") && line.ends_with("without a TTL."),
        "{line}"
    );
    assert!(list.lines().count() >= 16, "{list}");

    let out = dmqa(&["explain", "unindexed-foreign-key"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = String::from_utf8(out.stdout).unwrap();
    assert!(
        doc.starts_with("# unindexed-foreign-key (warning)\n"),
        "{doc}"
    );
    for heading in ["## What it finds", "## Why it matters", "## Example"] {
        assert!(doc.contains(heading), "{doc}");
    }

    // An unknown id is a usage error that names the valid ones.
    let out = dmqa(&["explain", "no-such-rule"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no rule `no-such-rule`") && err.contains("unused-binding"),
        "{err}"
    );
}

/// `--out` naming a FIFO (or `/dev/null`) writes into it: renaming a file
/// over it would replace the device. Tested on a FIFO in a scratch folder
/// so a regression cannot break the machine's `/dev/null`.
#[cfg(unix)]
#[test]
fn out_to_a_fifo_writes_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch("fifo");
    let fifo = dir.join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = dmqa(&[
        "scan",
        dir.to_str().unwrap(),
        "--out",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = reader.join().unwrap();
    assert!(report.starts_with("# Data Model\n"));
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Hostile TypeScript: 20,000 nested parentheses, an import cycle, a
/// self-referencing const, invalid UTF-8 — named or survived, never a
/// crash or a hang, and the rest of the report still there.
#[test]
fn hostile_typescript_is_survived() {
    let dir = scratch("hostile-ts");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let deep = format!(
        "import {{ sqliteTable, text }} from \"drizzle-orm/sqlite-core\";\nexport const t = sqliteTable({}\"deep\"{}, {{ a: text(\"a\") }});\nconst x = {}1{};\n",
        "(".repeat(20_000),
        ")".repeat(20_000),
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    std::fs::write(dir.join("src/deep.ts"), deep).unwrap();
    std::fs::write(
        dir.join("src/a.ts"),
        "import { b } from './b';\nexport const a = b;\nenv.KV.put(a, 1);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/b.ts"),
        "import { a } from './a';\nexport const b = a;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/loop.ts"),
        "const k = k + 1;\nenv.DB.prepare(k);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/bad.ts"),
        b"const s = \"\xff\xfe\"; env.X.get(s);\n",
    )
    .unwrap();
    // Bindings passed through recursive and mutually recursive helpers.
    std::fs::write(
        dir.join("src/rec.ts"),
        "export function walk(kv: KVNamespace, n: number): unknown {\n  if (n > 0) return walk(kv, n - 1);\n  return kv.get(\"k\");\n}\nexport function ping(kv: KVNamespace): unknown { kv.put(\"p\", \"1\"); return pong(kv); }\nexport function pong(kv: KVNamespace): unknown { return ping(kv); }\nwalk(env.KV, 3);\n",
    )
    .unwrap();
    // A 400,000-line generated module that reaches a binding.
    let mut generated = String::from("env.KV.get(\"gen\");\n");
    for i in 0..400_000 {
        generated.push_str(if i % 2 == 0 { "x;\n" } else { "y();\n" });
    }
    std::fs::write(dir.join("src/generated.ts"), generated).unwrap();
    // A 3 MB generated table: named, not parsed.
    let mut table = String::from("env.KV.get(\"table\");\nexport const T = [\n");
    while table.len() < 3 * 1024 * 1024 {
        table.push_str("  [1, 2, 3, 4, 5, 6, 7, 8],\n");
    }
    table.push_str("];\n");
    std::fs::write(dir.join("src/table.ts"), table).unwrap();
    // Key placeholders through 20,000 nested `String(…)` and `.trim()`.
    std::fs::write(
        dir.join("src/keys.ts"),
        format!(
            "interface E {{ KV: KVNamespace }}\nenv.KV.put(`k:${{{}x{}}}`, \"v\");\nenv.KV.put(`m:${{x{}}}`, \"v\");\n",
            "String(".repeat(20_000),
            ")".repeat(20_000),
            ".trim()".repeat(20_000)
        ),
    )
    .unwrap();
    // `batch.queue` and path checks nested 5,000 deep.
    let mut nested = String::from("export default { async queue(batch, env) {\n");
    nested.push_str(&"if (batch.queue === \"q\") {\n".repeat(5_000));
    nested.push_str("await env.KV.put(\"deep\", \"1\");\n");
    nested.push_str(&"}\n".repeat(5_000));
    nested.push_str("} };\n");
    std::fs::write(dir.join("src/nested.ts"), nested).unwrap();
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(report.contains("| people |"), "the SQL facts survive");
    // The schema is read; the migrations own the database, so it is drift.
    assert!(
        report.contains("Drift (deep)"),
        "the deep table is still read"
    );
    assert!(
        stderr(&out).contains("src/bad.ts:1:1: warning[invalid-utf8]"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("src/table.ts:1:1: warning[ts-too-large]"),
        "{}",
        stderr(&out)
    );
    assert!(report.contains("`gen`"), "the 400,000-line module is read");
    assert!(!report.contains("`table`"), "the 3 MB one is not");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hostile_rust_is_survived() {
    let dir = scratch("hostile-rs");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let chain = format!("fn g() {{ let a = x{}; }}\n", ".m()".repeat(20_000));
    std::fs::write(dir.join("src/chain.rs"), chain).unwrap();
    let ops = format!("const A: u64 = {};\n", vec!["2"; 20_000].join(" * "));
    std::fs::write(dir.join("src/ops.rs"), ops).unwrap();
    let parens = format!(
        "fn f() {{ let x = {}1{}; }}\n",
        "(".repeat(20_000),
        ")".repeat(20_000)
    );
    std::fs::write(dir.join("src/parens.rs"), parens).unwrap();
    // Deep but within bounds: read, not skipped.
    let ok = format!(
        "fn h(env: Env) {{ let a = x{}; env.kv(\"K\").put(\"k\", \"v\"); }}\n",
        ".m()".repeat(3_000)
    );
    std::fs::write(dir.join("src/ok.rs"), ok).unwrap();
    std::fs::write(dir.join("src/bad.rs"), b"fn \xff() {}\n").unwrap();
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    for f in ["chain.rs", "ops.rs", "parens.rs"] {
        assert!(
            err.contains(&format!("src/{f}:1:1: warning[rust-too-deep]")),
            "{err}"
        );
    }
    assert!(
        err.contains("src/bad.rs:1:1: warning[invalid-utf8]"),
        "{err}"
    );
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("| people |"), "the SQL facts survive");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_module_dropped_at_the_walk_is_read_again_when_imported() {
    // `keys.ts` mentions no binding, env or Drizzle: its text is dropped as
    // soon as it is read, and read again because `index.ts` imports it.
    let dir = scratch("deferred");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("wrangler.toml"),
        "name = \"t\"\nmain = \"src/index.ts\"\n[[kv_namespaces]]\nbinding = \"CACHE\"\nid = \"c\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/keys.ts"),
        "export const PREFIX = \"profile\";\nexport const DAY = 86400;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/index.ts"),
        "import { DAY, PREFIX } from \"./keys\";\nexport default {\n  async fetch(request: Request, env: { CACHE: KVNamespace }) {\n    await env.CACHE.put(`${PREFIX}:me`, \"{}\", { expirationTtl: DAY });\n    return new Response(\"ok\");\n  },\n};\n",
    )
    .unwrap();
    // Unrelated modules nobody imports stay dropped.
    for i in 0..50 {
        std::fs::write(dir.join(format!("src/util{i}.ts")), "export const n = 1;\n").unwrap();
    }
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("| `profile:me` |"), "{report}");
    assert!(report.contains("| 1d |"), "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn env_handed_whole_to_a_package_keeps_durable_object_bindings() {
    let dir = scratch("env-handoff");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("wrangler.toml"),
        "name = \"party\"\nmain = \"src/index.ts\"\n\n[[durable_objects.bindings]]\nname = \"Rooms\"\nclass_name = \"Room\"\n\n[[kv_namespaces]]\nbinding = \"LEFTOVER\"\nid = \"l\"\n\n[[kv_namespaces]]\nbinding = \"FLAGS\"\nid = \"f\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/index.ts"),
        "import { routePartykitRequest, Server } from \"partyserver\";\n\nexport class Room extends Server {}\n\nexport default {\n  async fetch(request: Request, env: Env) {\n    await env.FLAGS.get(\"on\");\n    return (await routePartykitRequest(request, { ...env })) ?? new Response(null, { status: 404 });\n  },\n};\n",
    )
    .unwrap();
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| {
        report
            .lines()
            .find(|l| l.starts_with(&format!("| Bindings ({name}) |")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        row("Rooms")
            .contains("handed whole to `routePartykitRequest` (`partyserver`) at src/index.ts:8")
            && row("Rooms").contains("✅ Keep"),
        "{report}"
    );
    assert!(
        row("LEFTOVER").contains("⚠️ Check that the package reads it"),
        "{report}"
    );
    assert_eq!(row("FLAGS"), "", "read by name: no row");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `scan --watch` writes the report, then writes it again when a file it
/// reads changes.
#[test]
fn scan_watch_rescans_on_change() {
    let dir = scratch("watch");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dmqa"))
        .args(["scan", dir.to_str().unwrap(), "--watch", "-q"])
        .spawn()
        .expect("runs dmqa");
    let report = dir.join("data-model-qa.md");
    let wait_for = |what: &str| {
        for _ in 0..200 {
            if std::fs::read_to_string(&report).is_ok_and(|r| r.contains(what)) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    };
    let first = wait_for("| people |");
    std::fs::write(
        dir.join("migrations/0002_email.sql"),
        "ALTER TABLE people ADD COLUMN email TEXT;\n",
    )
    .unwrap();
    let second = wait_for("| email | TEXT |");
    let _ = child.kill();
    let _ = child.wait();
    assert!(first, "the first report was written");
    assert!(second, "the report was written again after the change");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn completions_name_the_commands_and_flags() {
    let bash = dmqa(&["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0));
    let text = String::from_utf8(bash.stdout).unwrap();
    assert!(text.contains("_dmqa()") && text.contains("--new-only") && text.contains("--diagrams"));
    assert_eq!(dmqa(&["completions", "tcsh"]).status.code(), Some(2));
}
