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
fixture!(waddle_chat);
fixture!(broken_inputs);
fixture!(sql_engines);

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
