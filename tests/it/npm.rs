//! `npx dmqa` from the npm packages: `npm/stage.mjs` stages the launcher
//! and this machine's platform package around the binary under test, `npm
//! pack` packs both, a temporary project installs the tarballs (offline,
//! no scripts) and runs `npx dmqa scan` there. Skipped, saying so, where
//! node or npm is missing.

use super::cli::{scratch, stderr};
use std::path::Path;
use std::process::{Command, Output};

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    out
}

/// The platform key the launcher picks on this machine, when the release
/// builds one for it.
fn platform() -> Option<&'static str> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("linux-x64"),
        ("linux", "aarch64") => Some("linux-arm64"),
        ("macos", "x86_64") => Some("darwin-x64"),
        ("macos", "aarch64") => Some("darwin-arm64"),
        ("windows", "x86_64") => Some("win32-x64"),
        _ => None,
    }
}

#[test]
fn npx_dmqa_scan_runs_from_the_packed_packages() {
    let has = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("node") || !has("npm") {
        eprintln!("skipped: node and npm are needed to pack and install the npm packages");
        return;
    }
    let Some(mut key) = platform().map(str::to_owned) else {
        eprintln!("skipped: no npm platform package for this machine");
        return;
    };
    if key.starts_with("linux") {
        // What the launcher asks Node: glibc reports its version.
        let glibc = Command::new("node")
            .args(["-e", "process.stdout.write(String(!!process.report.getReport().header.glibcVersionRuntime))"])
            .output()
            .unwrap();
        key.push_str(if glibc.stdout == b"true" {
            "-gnu"
        } else {
            "-musl"
        });
    }
    let work = std::env::temp_dir().join(format!("dmqa-npm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let (stage, tarballs) = (work.join("stage"), work.join("tarballs"));
    std::fs::create_dir_all(&tarballs).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(Command::new("node")
        .arg(repo.join("npm/stage.mjs"))
        .arg("--out")
        .arg(&stage)
        .arg("--binary")
        .arg(format!("{key}={}", env!("CARGO_BIN_EXE_dmqa"))));
    for package in ["dmqa".to_owned(), format!("dmqa-{key}")] {
        run(Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&tarballs)
            .current_dir(stage.join(package)));
    }
    let mut packed: Vec<_> = std::fs::read_dir(&tarballs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    packed.sort();
    assert_eq!(packed.len(), 2, "{packed:?}");
    // A Workers project: its wrangler.toml and migrations, then dmqa.
    let project = scratch("npm-project");
    std::fs::write(
        project.join("package.json"),
        "{\"name\":\"app\",\"version\":\"1.0.0\",\"private\":true}\n",
    )
    .unwrap();
    run(Command::new("npm")
        .args([
            "install",
            "--offline",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
        ])
        .args(&packed)
        .current_dir(&project));
    let scan = run(Command::new("npx")
        .args(["--offline", "dmqa", "scan", ".", "--out", "-", "-q"])
        .env_remove("DMQA_BINARY")
        .current_dir(&project));
    let report = String::from_utf8(scan.stdout).unwrap();
    assert!(report.starts_with("# Data Model\n"), "{report}");
    assert!(report.contains("| people | People |"), "{report}");
    // The launcher passes the exit code through.
    let check = Command::new("npx")
        .args(["--offline", "dmqa", "check", ".", "-q"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(1),
        "no committed report: {}",
        stderr(&check)
    );
    std::fs::remove_dir_all(&work).unwrap();
    std::fs::remove_dir_all(&project).unwrap();
}
