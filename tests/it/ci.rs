//! `dmqa check` in a pull request: line-ending tolerance, `--fail-on`,
//! `--new-only`, inline suppression, SARIF and the job summary.

use super::cli::{dmqa, scratch, stderr};
use std::path::Path;
use std::process::Command;

/// A scratch project whose `hits` table has no primary key (a warning).
fn with_finding(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::write(
        dir.join("migrations/0002_log.sql"),
        "CREATE TABLE hits (path TEXT, at INTEGER);\n",
    )
    .unwrap();
    dir
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn crlf_and_trailing_newlines_do_not_make_the_report_stale() {
    let dir = scratch("crlf");
    let root = dir.to_str().unwrap();
    assert_eq!(dmqa(&["scan", root, "-q"]).status.code(), Some(0));
    let report = dir.join("data-model-qa.md");
    let text = std::fs::read_to_string(&report).unwrap();
    std::fs::write(
        &report,
        format!("{}\r\n\r\n", text.replace('\n', "\r\n").trim_end()),
    )
    .unwrap();
    let out = dmqa(&["check", root]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // A changed cell still is a change.
    std::fs::write(&report, text.replacen("| people |", "| persons |", 1)).unwrap();
    assert_eq!(dmqa(&["check", root, "-q"]).status.code(), Some(1));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fail_on_sets_the_severity_that_fails_a_current_report() {
    let dir = with_finding("fail-on");
    let root = dir.to_str().unwrap();
    assert_eq!(dmqa(&["scan", root, "-q"]).status.code(), Some(0));
    assert_eq!(dmqa(&["check", root, "-q"]).status.code(), Some(0));
    assert_eq!(
        dmqa(&["check", root, "-q", "--fail-on", "error"])
            .status
            .code(),
        Some(0)
    );
    let failed = dmqa(&["check", root, "-q", "--fail-on", "warning"]);
    assert_eq!(failed.status.code(), Some(1));
    let why = stderr(&failed);
    assert!(
        why.contains(
            "migrations/0002_log.sql:1:1: warning[table-without-primary-key]: Keys (hits)"
        ),
        "{why}"
    );
    assert_eq!(
        dmqa(&["check", root, "--fail-on", "sometimes"])
            .status
            .code(),
        Some(2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn new_only_reports_the_findings_the_committed_report_lacks() {
    let dir = with_finding("new-only");
    let root = dir.to_str().unwrap();
    assert_eq!(dmqa(&["scan", root, "-q"]).status.code(), Some(0));
    // Nothing new: a current report passes even failing on warnings.
    let args = ["check", root, "-q", "--new-only", "--fail-on", "warning"];
    assert_eq!(dmqa(&args).status.code(), Some(0));
    // Code moved down a line: the same finding, not a new one.
    std::fs::write(
        dir.join("migrations/0002_log.sql"),
        "-- Page hits.\nCREATE TABLE hits (path TEXT, at INTEGER);\n",
    )
    .unwrap();
    let moved = dmqa(&["check", root, "-q", "--new-only", "--format", "json"]);
    assert_eq!(
        moved.status.code(),
        Some(1),
        "stale: the report shows the line"
    );
    let v: serde_json::Value = serde_json::from_slice(&moved.stdout).unwrap();
    assert_eq!(v["stale"], true);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
    // A second table without a key joins the row of tables without one:
    // the row says something new.
    std::fs::write(
        dir.join("migrations/0003_clicks.sql"),
        "CREATE TABLE clicks (target TEXT);\n",
    )
    .unwrap();
    let out = stdout(&dmqa(&[
        "check",
        root,
        "-q",
        "--new-only",
        "--format",
        "github",
    ]));
    assert!(
        out.contains("title=table-without-primary-key::Keys (clicks, hits)"),
        "{out}"
    );
    // Committed with it, then a finding of another kind: only that one is
    // annotated.
    assert_eq!(dmqa(&["scan", root, "-q"]).status.code(), Some(0));
    std::fs::write(
        dir.join("migrations/0004_names.sql"),
        "CREATE INDEX people_name ON people(name);\nCREATE INDEX people_name_again ON people(name);\n",
    )
    .unwrap();
    let all = stdout(&dmqa(&["check", root, "-q", "--format", "github"]));
    let new = stdout(&dmqa(&[
        "check",
        root,
        "-q",
        "--new-only",
        "--format",
        "github",
    ]));
    let findings = |a: &str| -> Vec<String> {
        a.lines()
            .filter(|l| {
                l.starts_with("::warning")
                    || l.starts_with("::error file=") && !l.contains("title=dmqa check")
            })
            .map(str::to_owned)
            .collect()
    };
    assert!(findings(&all).len() >= 2, "{all}");
    assert!(
        findings(&all)
            .iter()
            .any(|l| l.contains("Keys (clicks, hits)")),
        "{all}"
    );
    let fresh = findings(&new);
    assert!(
        !fresh.is_empty() && fresh.iter().all(|l| !l.contains("Keys (")),
        "{new}"
    );
    assert!(fresh.iter().any(|l| l.contains("redundant-index")), "{new}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_dmqa_ignore_comment_with_a_reason_suppresses_its_rule_there() {
    let dir = with_finding("suppress");
    let root = dir.to_str().unwrap();
    std::fs::write(
        dir.join("migrations/0002_log.sql"),
        "-- dmqa-ignore table-without-primary-key: an append-only log, never updated\nCREATE TABLE hits (path TEXT, at INTEGER);\n-- dmqa-ignore table-without-primary-key\nCREATE TABLE clicks (target TEXT);\n",
    )
    .unwrap();
    let out = dmqa(&["scan", root, "-v", "--out", "-"]);
    assert_eq!(out.status.code(), Some(0));
    let report = stdout(&out);
    assert!(!report.contains("Keys (hits)"), "{report}");
    // No reason: a warning, and the finding stays.
    assert!(report.contains("Keys (clicks)"), "{report}");
    let said = stderr(&out);
    assert!(
        said.contains("migrations/0002_log.sql:1:1: info[suppressed]: table-without-primary-key finding suppressed: an append-only log, never updated"),
        "{said}"
    );
    assert!(
        said.contains("migrations/0002_log.sql:3:1: warning[suppression-invalid]: `dmqa-ignore` without a reason"),
        "{said}"
    );
    // Not under plain runs: the info line needs -v.
    let quiet = dmqa(&["scan", root, "--out", "-"]);
    assert!(!stderr(&quiet).contains("info[suppressed]"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The SARIF 2.1.0 schema as serde-sarif (a dev-dependency) ships it, in
/// cargo's registry sources at the version `Cargo.lock` pins.
fn sarif_schema() -> serde_json::Value {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lock = std::fs::read_to_string(manifest.join("Cargo.lock")).unwrap();
    let version = lock
        .split_once("name = \"serde-sarif\"\nversion = \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(v, _)| v)
        .expect("Cargo.lock pins serde-sarif");
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .expect("a cargo home");
    let package = format!("serde-sarif-{version}");
    let schema = std::fs::read_dir(home.join("registry/src"))
        .expect("cargo's registry sources")
        .map(|e| e.unwrap().path().join(&package).join("src/schema.json"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{package}/src/schema.json in {}", home.display()));
    serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap()
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let dir = with_finding("sarif");
    let root = dir.to_str().unwrap();
    let out = dmqa(&["check", root, "-q", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "the report is missing");
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The published schema's `run.language` pattern ends in a stray `]?`
    // that JavaScript reads as a literal and Rust's regex engines refuse,
    // so the schema itself would not load: that one pattern (a property
    // dmqa never writes) is read as meant.
    fn read_as_meant(v: &mut serde_json::Value, found: &mut usize) {
        match v {
            serde_json::Value::String(s) if s == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" => {
                *s = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".to_owned();
                *found += 1;
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|v| read_as_meant(v, found)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|v| read_as_meant(v, found)),
            _ => {}
        }
    }
    let mut schema = sarif_schema();
    let mut found = 0;
    read_as_meant(&mut schema, &mut found);
    assert!(found >= 1, "the schema still has its language pattern");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And serde-sarif reads it.
    let typed: Result<serde_sarif::sarif::Sarif, _> = serde_json::from_value(sarif.clone());
    assert!(typed.is_ok(), "{typed:?}");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| {
        r["id"] == "table-without-primary-key"
            && r["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## Why it matters")
    }));
    let results = run["results"].as_array().unwrap();
    let hit = results
        .iter()
        .find(|r| r["ruleId"] == "table-without-primary-key")
        .expect("the finding is a result");
    assert_eq!(hit["level"], "warning");
    let loc = &hit["locations"][0]["physicalLocation"];
    assert!(
        loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("migrations/0002_log.sql")
    );
    assert_eq!(loc["region"]["startLine"], 1);
    let print = hit["partialFingerprints"]["dmqaFinding/v1"]
        .as_str()
        .unwrap();
    assert_eq!(print.len(), 16);
    // The schema is not vacuous: a result without a message is refused.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator.is_valid(&broken));
    // The fingerprint does not move with the line.
    std::fs::write(
        dir.join("migrations/0002_log.sql"),
        "\n\nCREATE TABLE hits (path TEXT, at INTEGER);\n",
    )
    .unwrap();
    let moved: serde_json::Value =
        serde_json::from_slice(&dmqa(&["check", root, "-q", "--format", "sarif"]).stdout).unwrap();
    let again = moved["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "table-without-primary-key")
        .unwrap();
    assert_eq!(
        again["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert_eq!(again["partialFingerprints"]["dmqaFinding/v1"], print);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_job_summary_has_the_verdict_the_findings_and_the_diff() {
    let dir = with_finding("summary");
    let root = dir.to_str().unwrap();
    assert_eq!(dmqa(&["scan", root, "-q"]).status.code(), Some(0));
    std::fs::write(
        dir.join("migrations/0003_email.sql"),
        "ALTER TABLE people ADD COLUMN email TEXT;\n",
    )
    .unwrap();
    let summary = dir.with_extension("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dmqa"))
        .args(["check", root, "-q", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env_remove("GITHUB_WORKSPACE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n## dmqa check\n"), "{text}");
    assert!(
        text.contains("is stale: run `dmqa scan` and commit it"),
        "{text}"
    );
    assert!(text.contains("### 1 warning\n"), "{text}");
    assert!(
        text.contains("| `table-without-primary-key` | Keys (hits) |"),
        "{text}"
    );
    assert!(text.contains("+| email | TEXT | Yes | - | - |"), "{text}");
    // The annotations carry the diff in a group commands cannot escape.
    let annotations = stdout(&out);
    assert!(annotations.contains("::group::"), "{annotations}");
    assert!(
        annotations.contains("::stop-commands::dmqa-diff-"),
        "{annotations}"
    );
    assert!(
        annotations.contains("+| email | TEXT | Yes | - | - |"),
        "{annotations}"
    );
    std::fs::remove_file(&summary).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `dmqa model --format tbls` keeps to the shape tbls's published schema
/// (`spec/tbls.schema.json_schema.json`: no other keys, these required,
/// these cardinalities) gives `schema.json`; that file is not in a package
/// registry, so its constraints are checked here one by one.
#[test]
fn model_as_tbls_schema_json() {
    use serde_json::Value;
    fn object(v: &Value, what: &str, allowed: &[&str], required: &[&str]) {
        let o = v
            .as_object()
            .unwrap_or_else(|| panic!("{what} is an object: {v}"));
        for k in o.keys() {
            assert!(
                allowed.contains(&k.as_str()),
                "{what} has no key `{k}` in tbls: {v}"
            );
        }
        for k in required {
            assert!(o.contains_key(*k), "{what} needs `{k}`: {v}");
        }
    }
    let strings = |v: &Value| v.as_array().unwrap().iter().all(Value::is_string);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for fixture in [
        "monorepo_helpers",
        "codepush_d1",
        "drizzle_saas",
        "sql_engines",
    ] {
        let out = dmqa(&[
            "model",
            root.join(fixture).to_str().unwrap(),
            "-q",
            "--format",
            "tbls",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        object(
            &s,
            "schema",
            &[
                "name",
                "desc",
                "tables",
                "relations",
                "functions",
                "enums",
                "driver",
                "labels",
                "viewpoints",
            ],
            &["tables"],
        );
        // No driver when the databases are of several engines.
        if !s["driver"].is_null() {
            object(
                &s["driver"],
                "driver",
                &["name", "database_version", "meta"],
                &["name"],
            );
        }
        let tables = s["tables"].as_array().unwrap();
        assert!(!tables.is_empty(), "{fixture}");
        let names: Vec<&str> = tables.iter().map(|t| t["name"].as_str().unwrap()).collect();
        for t in tables {
            object(
                t,
                "table",
                &[
                    "name",
                    "type",
                    "comment",
                    "columns",
                    "indexes",
                    "constraints",
                    "triggers",
                    "def",
                    "labels",
                    "referenced_tables",
                ],
                &["name", "type", "columns"],
            );
            for c in t["columns"].as_array().unwrap() {
                object(
                    c,
                    "column",
                    &[
                        "name",
                        "type",
                        "nullable",
                        "default",
                        "extra_def",
                        "labels",
                        "comment",
                    ],
                    &["name", "type", "nullable"],
                );
                assert!(
                    c["nullable"].is_boolean()
                        && (c["default"].is_null() || c["default"].is_string())
                );
            }
            for i in t["indexes"].as_array().unwrap() {
                object(
                    i,
                    "index",
                    &["name", "def", "table", "columns", "comment"],
                    &["name", "def", "table", "columns"],
                );
                assert!(strings(&i["columns"]));
            }
            for c in t["constraints"].as_array().unwrap() {
                object(
                    c,
                    "constraint",
                    &[
                        "name",
                        "type",
                        "def",
                        "table",
                        "referenced_table",
                        "columns",
                        "referenced_columns",
                        "comment",
                    ],
                    &["name", "type", "def", "table", "columns"],
                );
                if c["type"] == "FOREIGN KEY" {
                    assert!(
                        names.contains(&c["referenced_table"].as_str().unwrap()),
                        "{c}"
                    );
                }
            }
            for tr in t["triggers"].as_array().unwrap() {
                object(tr, "trigger", &["name", "def", "comment"], &["name", "def"]);
            }
        }
        for r in s["relations"].as_array().unwrap() {
            object(
                r,
                "relation",
                &[
                    "table",
                    "columns",
                    "cardinality",
                    "parent_table",
                    "parent_columns",
                    "parent_cardinality",
                    "def",
                    "virtual",
                ],
                &["table", "columns", "parent_table", "parent_columns", "def"],
            );
            let cardinalities = [
                "zero_or_one",
                "exactly_one",
                "zero_or_more",
                "one_or_more",
                "",
            ];
            assert!(cardinalities.contains(&r["cardinality"].as_str().unwrap()));
            assert!(cardinalities.contains(&r["parent_cardinality"].as_str().unwrap()));
            assert!(
                names.contains(&r["table"].as_str().unwrap())
                    && names.contains(&r["parent_table"].as_str().unwrap()),
                "{r}"
            );
            assert!(strings(&r["columns"]) && strings(&r["parent_columns"]));
        }
    }
    // Several databases: tables named `database.table`; a relation dmqa
    // was told about is virtual.
    let out = dmqa(&[
        "model",
        root.join("monorepo_helpers").to_str().unwrap(),
        "-q",
        "--format",
        "tbls",
    ]);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let views = s["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["table"] == "notes-db.site_views")
        .unwrap();
    assert_eq!(views["virtual"], true);
    assert_eq!(views["parent_table"], "notes-db.sites");
}
