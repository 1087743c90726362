//! Checkouts written to attack the CI job that scans them: nothing outside
//! the tree is read or printed, special files are skipped unopened, and
//! every skip is named.

use crate::cli::{dmqa, scratch, stderr};
use std::path::PathBuf;

/// A folder outside the checkout holding files that must never show up.
fn outside(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dmqa-outside-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tree/migrations")).unwrap();
    std::fs::write(
        dir.join("secret.sql"),
        "CREATE TABLE stolen (k TEXT DEFAULT 'SECRET_MARKER_SQL');\n",
    )
    .unwrap();
    std::fs::write(dir.join("secret.txt"), "SECRET_MARKER_TXT\n").unwrap();
    std::fs::write(
        dir.join("tree/wrangler.toml"),
        "name = \"SECRET_MARKER_WORKER\"\n[[kv_namespaces]]\nbinding = \"SECRET_MARKER_KV\"\nid = \"x\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("tree/migrations/0001_x.sql"),
        "CREATE TABLE secret_marker_table (id INTEGER);\n",
    )
    .unwrap();
    dir
}

fn all_output(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(o))
}

fn assert_no_secret(text: &str) {
    for marker in ["SECRET_MARKER", "secret_marker", "stolen"] {
        assert!(!text.contains(marker), "{marker} leaked:\n{text}");
    }
}

#[cfg(unix)]
#[test]
fn links_out_of_the_tree_are_named_and_never_followed() {
    use std::os::unix::fs::symlink;
    let out_dir = outside("links");
    let dir = scratch("links-out");
    // A migration, a folder, a loose SQL file and a wrangler config that
    // all lead outside; a link inside the tree is still followed.
    symlink(
        out_dir.join("secret.sql"),
        dir.join("migrations/0002_x.sql"),
    )
    .unwrap();
    symlink(out_dir.join("tree"), dir.join("vendor")).unwrap();
    symlink(out_dir.join("secret.txt"), dir.join("x.sql")).unwrap();
    symlink(
        out_dir.join("tree/wrangler.toml"),
        dir.join("wrangler.json"),
    )
    .unwrap();
    symlink("/dev/zero", dir.join("migrations/0003_zero.sql")).unwrap();
    symlink(dir.join("migrations"), dir.join("again")).unwrap();
    std::fs::create_dir_all(dir.join("build")).unwrap();
    std::fs::write(
        dir.join("build/gen.sql"),
        "CREATE TABLE generated (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("schema")).unwrap();
    symlink(dir.join("build/gen.sql"), dir.join("schema/gen.sql")).unwrap();
    let root = dir.to_str().unwrap();
    let out = dmqa(&["scan", root, "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = all_output(&out);
    assert_no_secret(&text);
    for link in [
        "migrations/0002_x.sql",
        "vendor",
        "x.sql",
        "wrangler.json",
        "migrations/0003_zero.sql",
    ] {
        assert!(
            stderr(&out).contains(&format!("{link}:1:1: warning[symlink-outside]")),
            "{link}: {}",
            stderr(&out)
        );
    }
    // Links inside the tree are followed: to a file the walk skips
    // (`build/`), read; to one it also finds, read once.
    assert!(text.contains("### Table: generated"), "{text}");
    assert!(!text.contains("(again)"), "{text}");
    let model = dmqa(&["model", root]);
    assert_no_secret(&all_output(&model));
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&out_dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_committed_report_or_config_that_leaves_the_tree_is_refused() {
    use std::os::unix::fs::symlink;
    let out_dir = outside("report");
    let dir = scratch("report-link");
    let root = dir.to_str().unwrap();
    let report = dir.join("data-model-qa.md");

    // `check` prints the committed side of a diff: never an outside file.
    symlink(out_dir.join("secret.txt"), &report).unwrap();
    let check = dmqa(&["check", root]);
    assert_eq!(check.status.code(), Some(2));
    assert_no_secret(&all_output(&check));
    assert!(
        stderr(&check).contains("is a symbolic link"),
        "{}",
        stderr(&check)
    );
    // Nor does `scan` write through it.
    let scan = dmqa(&["scan", root]);
    assert_eq!(scan.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(out_dir.join("secret.txt")).unwrap(),
        "SECRET_MARKER_TXT\n"
    );
    std::fs::remove_file(&report).unwrap();

    // A template named by the checkout's dmqa.toml stays in the tree.
    for template in [
        out_dir.join("secret.txt").to_string_lossy().into_owned(),
        "/proc/self/environ".to_owned(),
        format!(
            "../{}/secret.txt",
            out_dir.file_name().unwrap().to_string_lossy()
        ),
    ] {
        std::fs::write(dir.join("dmqa.toml"), format!("template = {template:?}\n")).unwrap();
        for cmd in ["scan", "check"] {
            let out = dmqa(&[cmd, root, "--out", "-"][..if cmd == "scan" { 4 } else { 2 }]);
            assert_eq!(out.status.code(), Some(2), "{template}: {}", stderr(&out));
            assert_no_secret(&all_output(&out));
            assert!(
                stderr(&out).contains("outside the checkout"),
                "{}",
                stderr(&out)
            );
        }
    }
    // …and so does dmqa.toml itself.
    std::fs::remove_file(dir.join("dmqa.toml")).unwrap();
    symlink(out_dir.join("secret.txt"), dir.join("dmqa.toml")).unwrap();
    let out = dmqa(&["scan", root, "--out", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_secret(&all_output(&out));
    // A path on the command line may point anywhere.
    std::fs::remove_file(dir.join("dmqa.toml")).unwrap();
    let elsewhere = out_dir.join("report.md");
    let out = dmqa(&["scan", root, "--out", elsewhere.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&elsewhere)
            .unwrap()
            .contains("people")
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&out_dir).unwrap();
}

#[cfg(unix)]
#[test]
fn special_files_are_named_and_never_opened() {
    let dir = scratch("fifo");
    for fifo in ["wrangler.jsonc", "migrations/0002_wait.sql", "src/index.ts"] {
        let path = dir.join(fifo);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here: nothing to test
        }
    }
    // Opening any of these FIFOs would block forever.
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0));
    for fifo in ["wrangler.jsonc", "migrations/0002_wait.sql", "src/index.ts"] {
        assert!(
            stderr(&out).contains(&format!(
                "{fifo}:1:1: warning[special-file]: skipped: a FIFO"
            )),
            "{}",
            stderr(&out)
        );
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("| people |"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_migrations_dir_outside_or_missing_is_named() {
    let dir = scratch("migrations-dir");
    let wrangler = |dir_setting: &str| {
        format!(
            "name = \"t\"\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"t\"\nmigrations_dir = \"{dir_setting}\"\n"
        )
    };
    let root = dir.to_str().unwrap();
    for (setting, says) in [
        ("../../../../etc", "leads outside the checkout"),
        ("/etc", "leads outside the checkout"),
        (
            "db/missing",
            "names `db/missing`, which holds no `.sql` file",
        ),
    ] {
        std::fs::write(dir.join("wrangler.toml"), wrangler(setting)).unwrap();
        let out = dmqa(&["scan", root, "--out", "-"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            stderr(&out).contains("wrangler.toml:")
                && stderr(&out).contains("warning[config-invalid-value]")
                && stderr(&out).contains(says),
            "{setting}: {}",
            stderr(&out)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn names_cannot_rewrite_the_report() {
    let dir = scratch("injection");
    std::fs::write(
        dir.join("wrangler.toml"),
        "name = \"t\"\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"t\"\n\
         [[queues.producers]]\nbinding = \"Q\"\nqueue = \"q|\\n## injected queue\"\n\
         [[r2_buckets]]\nbinding = \"B<!--\"\nbucket_name = \"<img src=x onerror=alert(1)>\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("migrations/0002_evil.sql"),
        "-- A purpose\n-- ```\n-- <!-- hidden\nCREATE TABLE \"x\n\n## Recommendations\n\n| fake |\" (id INTEGER PRIMARY KEY, \"a`b<c>\" TEXT);\n\
         CREATE TABLE \"<!--\" (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE \"us\u{200b}ers\" (id INTEGER PRIMARY KEY);\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = String::from_utf8(out.stdout).unwrap();
    // Every heading is the template's own.
    for line in report.lines().filter(|l| l.starts_with('#')) {
        assert!(
            [
                "# Data Model",
                "## Tables Summary",
                "## D1 Tables",
                "## R2 Storage",
                "## KV Namespaces",
                "## Queue Messages",
                "## Durable Objects",
                "## Data Flow Diagram",
                "## Recommendations",
            ]
            .contains(&line)
                || line.starts_with("### "),
            "injected heading: {line}\n{report}"
        );
    }
    let sections = report.lines().filter(|l| *l == "## Recommendations");
    assert_eq!(sections.count(), 1, "{report}");
    assert!(
        report.contains("### Queue: q| ## injected queue"),
        "the queue keeps its name on its own heading: {report}"
    );
    // No row starts with the injected cell, no raw HTML or comment opens.
    assert!(!report.lines().any(|l| l.starts_with("| fake")), "{report}");
    assert!(
        !report.contains("<!--") && !report.contains("<img"),
        "{report}"
    );
    // Hidden characters are shown, and the look-alike is named.
    assert!(report.contains("us\\u{200b}ers"), "{report}");
    assert!(
        report.contains("looks exactly like table `users`"),
        "{report}"
    );
    // Code blocks still close where the template closes them: fences pair up.
    let fences = report.lines().filter(|l| l.starts_with("```")).count();
    assert_eq!(fences % 2, 0, "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The tables of every database in `dmqa model`'s output for `dir`.
fn model_tables(dir: &std::path::Path) -> (usize, String) {
    let out = dmqa(&["model", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let model: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tables = model["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["tables"].as_array().unwrap().len())
        .sum::<usize>();
    (tables, stderr(&out))
}

#[test]
fn runaway_migrations_end_quickly() {
    let dir = scratch("runaway");
    let mut evil = String::new();
    // Plain SELECTs cannot change a schema: not run at all.
    for _ in 0..2_000 {
        evil.push_str("SELECT randomblob(16000000);\n");
    }
    evil.push_str("SELECT replace(hex(zeroblob(8000000)), '0', 'a') GLOB '*a*a*a*a*a*a*a*a*b';\n");
    evil.push_str("CREATE TABLE blobs (b BLOB);\n");
    // Past D1's string limit: rejected at once.
    evil.push_str("INSERT INTO blobs VALUES (randomblob(16000000));\n");
    // Rows past the memory or time budget: interrupted.
    evil.push_str("INSERT INTO blobs WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5000) SELECT randomblob(1900000) FROM c;\n");
    evil.push_str("CREATE TABLE after (id INTEGER PRIMARY KEY);\n");
    std::fs::write(dir.join("migrations/0002_evil.sql"), evil).unwrap();
    let start = std::time::Instant::now();
    let (tables, warnings) = model_tables(&dir);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    // people, blobs, and the table after the runaway statements.
    assert_eq!(tables, 3, "{warnings}");
    assert!(
        warnings.contains("0002_evil.sql:2003:1: warning[sqlite-rejected]"),
        "{warnings}"
    );
    assert!(
        warnings.contains("0002_evil.sql:2004:1: warning[sql-interrupted]"),
        "{warnings}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_database_of_two_thousand_tables_is_read_whole() {
    let dir = scratch("big-schema");
    let mut big = String::new();
    for i in 0..2_000_u32 {
        big.push_str(&format!(
            "CREATE TABLE t{i:04} (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES t{:04}(id), name TEXT);\nCREATE INDEX t{i:04}_name ON t{i:04}(name);\n",
            i.saturating_sub(1)
        ));
    }
    std::fs::write(dir.join("migrations/0002_big.sql"), big).unwrap();
    let (tables, warnings) = model_tables(&dir);
    assert_eq!(tables, 2_001, "{warnings}");
    assert!(!warnings.contains("sqlite-catalog"), "{warnings}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_bad_byte_costs_that_byte_and_every_skip_is_named() {
    let dir = scratch("bad-bytes");
    // A NUL inside a string literal is data, not a sign of a binary file.
    std::fs::write(
        dir.join("migrations/0002_nul.sql"),
        b"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT DEFAULT 'a\x00b');\n",
    )
    .unwrap();
    // One invalid byte in a comment does not drop the module's bindings.
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/index.ts"),
        b"// caf\xe9\nexport default { async fetch(req: Request, env: Env) { await env.DB.prepare(\"SELECT id FROM notes WHERE id = ?\").bind(1).first(); return new Response(\"ok\"); } };\n",
    )
    .unwrap();
    // A journal too deep to parse is named, and the migrations still apply.
    std::fs::create_dir_all(dir.join("drizzle/meta")).unwrap();
    std::fs::write(
        dir.join("drizzle/meta/_journal.json"),
        format!("{}{}", "[".repeat(50_000), "]".repeat(50_000)),
    )
    .unwrap();
    std::fs::write(
        dir.join("drizzle/0000_init.sql"),
        "CREATE TABLE journaled (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    let out = dmqa(&["scan", dir.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0));
    let (report, err) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(report.contains("### Table: notes"), "{report}");
    assert!(report.contains("### Table: journaled"), "{report}");
    assert!(
        report.contains("Get by id"),
        "the TypeScript file was read: {report}"
    );
    assert!(
        err.contains("migrations/0002_nul.sql:1:1: warning[invalid-utf8]"),
        "{err}"
    );
    assert!(
        err.contains("src/index.ts:1:1: warning[invalid-utf8]"),
        "{err}"
    );
    assert!(
        err.contains(
            "drizzle/meta/_journal.json:1:1: warning[config-parse-error]: drizzle journal not read"
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Imports climbing out of the scanned folder are read only inside the
/// checkout around it (the nearest `.git` above), never from a dependency
/// folder, and never beyond it; with no checkout around, never at all.
#[test]
fn imports_out_of_the_folder_stay_in_the_checkout() {
    let dir = outside("imports");
    let repo = dir.join("repo");
    let worker = repo.join("apps/api");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(worker.join("src")).unwrap();
    std::fs::create_dir_all(repo.join("packages/db")).unwrap();
    std::fs::create_dir_all(repo.join("node_modules/pkg")).unwrap();
    std::fs::write(
        worker.join("wrangler.toml"),
        "name = \"api\"\nmain = \"src/index.ts\"\n[[kv_namespaces]]\nbinding = \"KV\"\nid = \"x\"\n",
    )
    .unwrap();
    std::fs::write(
        worker.join("src/index.ts"),
        "import { load } from \"../../../packages/db/load\";\n\
         import { steal } from \"../../../node_modules/pkg/index\";\n\
         import { leak } from \"../../../../secret_outside\";\n\
         export default { async fetch(r: Request, env: Env) { await load(env.KV); await steal(env.KV); await leak(env.KV); return new Response(); } };\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("packages/db/load.ts"),
        "export async function load(kv: KVNamespace) { return kv.get(\"config:inside\"); }\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("node_modules/pkg/index.ts"),
        "export async function steal(kv: KVNamespace) { return kv.get(\"SECRET_MARKER_DEP\"); }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("secret_outside.ts"),
        "export async function leak(kv: KVNamespace) { return kv.get(\"SECRET_MARKER_OUT\"); }\n",
    )
    .unwrap();
    let o = dmqa(&["scan", worker.to_str().unwrap(), "--out", "-"]);
    let text = all_output(&o);
    assert!(text.contains("config:inside"), "{text}");
    assert_no_secret(&text);
    // The same folder with no checkout around it reads nothing outside.
    std::fs::remove_dir_all(repo.join(".git")).unwrap();
    let o = dmqa(&["scan", worker.to_str().unwrap(), "--out", "-"]);
    let text = all_output(&o);
    assert!(!text.contains("config:inside"), "{text}");
    assert_no_secret(&text);
    let _ = std::fs::remove_dir_all(&dir);
}
