use std::path::PathBuf;

fn fixture_root(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The report followed by every diagnostic, as a user would see both.
fn render_fixture(name: &str) -> String {
    let scanned = dmqa::scan(&dmqa::Options {
        root: fixture_root(name),
        ..Default::default()
    })
    .expect("fixture scans");
    let report = dmqa::render(&scanned).expect("fixture renders");
    let diags: Vec<String> = scanned
        .model
        .diagnostics
        .iter()
        .map(ToString::to_string)
        .collect();
    format!(
        "{report}\n==== diagnostics ====\n{}\n",
        if diags.is_empty() {
            "(none)".to_owned()
        } else {
            diags.join("\n")
        }
    )
}

macro_rules! fixture {
    ($name:ident) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(render_fixture(stringify!($name)));
        }
    };
}

fixture!(codepush_d1);
fixture!(kysely_d1);
fixture!(prisma_next);
fixture!(kv_tag_cache);
fixture!(d1_query_helpers);
fixture!(waddle_chat);
fixture!(broken_inputs);
fixture!(sql_engines);
fixture!(drizzle_saas);
fixture!(d1_drizzle_drift);
fixture!(drizzle_monorepo);
fixture!(worker_bindings);
fixture!(monorepo_helpers);
fixture!(workers_rs);
fixture!(workers_rs_axum);
fixture!(env_configs);
fixture!(remix_workflow);
fixture!(workspace_names);
fixture!(party_router);
fixture!(d1_loose_sql);
fixture!(openapi_qb);
fixture!(d1_external_schema);
fixture!(d1_limits);
fixture!(workers_pitfalls);
fixture!(mirrored_examples);
fixture!(nuxthub_app);
fixture!(upload_router);
fixture!(service_classes);
fixture!(pushed_schema);

/// The demo with its diagrams (`--diagrams`): an ER diagram after the
/// Tables Summary, the flows as a flowchart.
#[test]
fn codepush_d1_diagrams() {
    let scanned = dmqa::scan(&dmqa::Options {
        root: fixture_root("codepush_d1"),
        diagrams: true,
        ..Default::default()
    })
    .expect("fixture scans");
    insta::assert_snapshot!(dmqa::render(&scanned).expect("fixture renders"));
}

/// A Worker folder scanned alone, its code imported from a package of the
/// workspace around it.
#[test]
fn workspace_package_api() {
    insta::assert_snapshot!(render_fixture("workspace_package/apps/api"));
}

/// The same checkout scanned from two different places gives the same bytes.
#[test]
fn output_does_not_depend_on_the_checkout_location() {
    let here = render_fixture("codepush_d1");
    let tmp = std::env::temp_dir().join(format!("dmqa-copy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    copy_dir(&fixture_root("codepush_d1"), &tmp.join("somewhere/else"));
    let scanned = dmqa::scan(&dmqa::Options {
        root: tmp.join("somewhere/else"),
        ..Default::default()
    })
    .unwrap();
    let there = dmqa::render(&scanned).unwrap();
    std::fs::remove_dir_all(&tmp).unwrap();
    assert!(here.starts_with(&there), "reports differ between locations");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The D1 schema dmqa reports is what an ordinary SQLite makes of the same
/// migrations, applied in order (the `sqlite3` check, done with rusqlite).
#[test]
fn d1_schema_matches_plain_sqlite() {
    let dir = fixture_root("codepush_d1").join("packages/api/migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for f in &files {
        conn.execute_batch(&std::fs::read_to_string(f).unwrap())
            .unwrap();
    }
    let strings = |sql: &str, arg: &str| -> Vec<String> {
        let mut st = conn.prepare(sql).unwrap();
        st.query_map([arg], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let want_tables = strings(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != ?1 ORDER BY name",
        "",
    );

    let scanned = dmqa::scan(&dmqa::Options {
        root: fixture_root("codepush_d1"),
        ..Default::default()
    })
    .unwrap();
    let db = &scanned.model.databases[0];
    let got_tables: Vec<String> = db.tables.iter().map(|t| t.name.clone()).collect();
    assert_eq!(got_tables, want_tables);

    for t in &db.tables {
        let want_cols = strings(
            r#"SELECT name || ' ' || type || ' ' || "notnull" || ' ' || coalesce(dflt_value, '-') || ' ' || pk FROM pragma_table_info(?1) ORDER BY cid"#,
            &t.name,
        );
        let got_cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| {
                // dmqa reports a rowid primary key as NOT NULL, which it is;
                // SQLite's `notnull` only reflects the declared constraint.
                let rowid = c.primary_key_position > 0
                    && c.sql_type == "INTEGER"
                    && t.primary_key.len() == 1;
                let declared_not_null = !c.nullable && !rowid;
                format!(
                    "{} {} {} {} {}",
                    c.name,
                    c.sql_type,
                    u8::from(declared_not_null),
                    c.default.as_deref().unwrap_or("-"),
                    c.primary_key_position
                )
            })
            .collect();
        assert_eq!(got_cols, want_cols, "columns of {}", t.name);

        let want_idx = strings(
            "SELECT l.name || ' ' || l.\"unique\" || ' ' || group_concat(i.name, ',') FROM pragma_index_list(?1) l, pragma_index_info(l.name) i GROUP BY l.name ORDER BY l.name",
            &t.name,
        );
        let got_idx: Vec<String> = t
            .indexes
            .iter()
            .map(|i| {
                let cols: Vec<&str> = i.columns.iter().map(|c| c.name.as_str()).collect();
                format!("{} {} {}", i.name, u8::from(i.unique), cols.join(","))
            })
            .collect();
        assert_eq!(got_idx, want_idx, "indexes of {}", t.name);

        let want_fk = strings(
            r#"SELECT "from" || ' ' || "table" || ' ' || on_delete FROM pragma_foreign_key_list(?1) ORDER BY "from""#,
            &t.name,
        );
        let mut got_fk: Vec<String> = t
            .foreign_keys
            .iter()
            .map(|f| {
                format!(
                    "{} {} {}",
                    f.columns.join(","),
                    f.ref_table,
                    f.on_delete.as_deref().unwrap_or("NO ACTION")
                )
            })
            .collect();
        got_fk.sort();
        assert_eq!(got_fk, want_fk, "foreign keys of {}", t.name);
    }
}

/// The demo report committed under `examples/` is what dmqa writes for the
/// demo now, and the README shows its first lines as they are.
#[test]
fn the_committed_example_report_and_the_readme_excerpt_are_current() {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let scanned = dmqa::scan(&dmqa::Options {
        root: fixture_root("codepush_d1"),
        ..Default::default()
    })
    .unwrap();
    let report = dmqa::render(&scanned).unwrap();
    let example =
        std::fs::read_to_string(manifest.join("examples/codepush_d1/data-model-qa.md")).unwrap();
    assert!(
        example == report,
        "examples/codepush_d1/data-model-qa.md is stale: run `cargo run -q -- scan fixtures/codepush_d1 --out examples/codepush_d1/data-model-qa.md`"
    );
    let readme = std::fs::read_to_string(manifest.join("README.md")).unwrap();
    let excerpt = readme
        .split_once("<!-- excerpt: the first 40 lines of examples/codepush_d1/data-model-qa.md -->\n````markdown\n")
        .and_then(|(_, rest)| rest.split_once("\n````\n<!-- end of excerpt -->"))
        .map(|(e, _)| e)
        .expect("the README has the excerpt markers");
    let first: Vec<&str> = report.lines().take(40).collect();
    assert_eq!(
        excerpt,
        first.join("\n"),
        "paste the first 40 lines of the example report into the README"
    );
}
