//! The Mermaid dmqa draws parses with Mermaid itself. Needs `node` and a
//! folder where `npm install mermaid jsdom` was run, named by
//! `DMQA_MERMAID` (`.ci/run` makes one); skipped, saying so, otherwise.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn every_diagram_of_the_fixtures_parses_with_mermaid() {
    let Some(dir) = std::env::var_os("DMQA_MERMAID").filter(|d| !d.is_empty()) else {
        eprintln!("skipped: DMQA_MERMAID names no folder with mermaid and jsdom installed");
        return;
    };
    let dir = Path::new(&dir);
    assert!(
        dir.join("node_modules/mermaid").is_dir(),
        "DMQA_MERMAID={} has no node_modules/mermaid",
        dir.display()
    );
    let script = dir.join("dmqa-parse.mjs");
    std::fs::write(&script, include_str!("../mermaid/parse.mjs")).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut blocks = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let root = entry.unwrap().path();
        let scanned = dmqa::scan(&dmqa::Options {
            root: root.clone(),
            diagrams: true,
            ..Default::default()
        })
        .unwrap();
        let report = dmqa::render(&scanned).unwrap();
        if !report.contains("```mermaid") {
            continue;
        }
        blocks += report.matches("```mermaid").count();
        let mut node = Command::new("node")
            .arg(&script)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        node.stdin
            .take()
            .unwrap()
            .write_all(report.as_bytes())
            .unwrap();
        let out = node.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            root.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert!(blocks >= 20, "{blocks} diagrams");
}
