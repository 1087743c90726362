//! The filesystem walk: which files exist, what kind of source each is, and
//! their text.
//!
//! Owns everything that touches the checkout on disk. It respects
//! `.gitignore` (but never a global or parent-directory ignore file, so the
//! result does not depend on where the checkout lives), always skips the
//! build and dependency folders in [`SKIPPED_DIRS`], and never follows a
//! symlink loop. Paths handed on are repo-relative with `/` separators and
//! sorted, so everything downstream is deterministic.

use crate::model::{Diagnostic, Location};
use crate::sources::SourceKind;
use std::path::{Path, PathBuf};

/// Folders never descended into, whatever `.gitignore` says.
pub const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    ".git",
    "target",
    "dist",
    "build",
    ".wrangler",
    ".next",
    ".turbo",
];

/// Files larger than this are skipped with a warning: no hand-written
/// schema or config is this large, and reading one would cost memory.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A source file with its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Repo-relative path with `/`.
    pub path: String,
    /// What kind of source it is.
    pub kind: SourceKind,
    /// Its contents (valid UTF-8).
    pub text: String,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Files read, sorted by path.
    pub files: Vec<SourceFile>,
    /// Files classified but not read by any reader yet, with their kind.
    pub unread: Vec<(String, SourceKind)>,
    /// Problems met (unreadable files, symlink loops, …).
    pub diagnostics: Vec<Diagnostic>,
}

/// Walks `root` and reads every file a reader consumes. The walk and the
/// reads run in parallel (as ripgrep's do); results are sorted by path, so
/// the order never depends on scheduling.
pub fn scan(root: &Path, ignored: &[String]) -> Scan {
    use rayon::prelude::*;
    use std::sync::Mutex;
    let mut res = Scan::default();
    let found: Mutex<Vec<(String, PathBuf, SourceKind)>> = Mutex::new(Vec::new());
    let errors: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .parents(false)
        .git_global(false)
        .require_git(false)
        .follow_links(true)
        .filter_entry(|e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && e.depth() > 0 && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d))
        })
        .build_parallel()
        .run(|| {
            let (found, errors) = (&found, &errors);
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(e) => e,
                    Err(err) => {
                        if let Ok(mut e) = errors.lock() {
                            e.push(walk_error(root, &err));
                        }
                        return ignore::WalkState::Continue;
                    }
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return ignore::WalkState::Continue;
                }
                let name = entry.file_name().to_string_lossy();
                let Some(kind) = SourceKind::classify(&name) else {
                    return ignore::WalkState::Continue;
                };
                let rel = relative(root, entry.path());
                if ignored
                    .iter()
                    .any(|p| rel == *p || rel.starts_with(&format!("{p}/")))
                {
                    return ignore::WalkState::Continue;
                }
                if let Ok(mut f) = found.lock() {
                    f.push((rel, entry.path().to_path_buf(), kind));
                }
                ignore::WalkState::Continue
            })
        });
    let mut paths = found.into_inner().unwrap_or_default();
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    res.diagnostics = errors.into_inner().unwrap_or_default();
    let (read, unread): (Vec<_>, Vec<_>) = paths.into_iter().partition(|(_, _, k)| k.is_read());
    res.unread = unread.into_iter().map(|(rel, _, k)| (rel, k)).collect();
    let texts: Vec<(String, SourceKind, ReadResult)> = read
        .into_par_iter()
        .map(|(rel, abs, kind)| {
            let text = read_text(&abs);
            (rel, kind, text)
        })
        .collect();
    for (rel, kind, text) in texts {
        match text {
            Ok(text) => res.files.push(SourceFile {
                path: rel,
                kind,
                text,
            }),
            Err((code, msg)) => {
                res.diagnostics
                    .push(Diagnostic::warning(Location::line(&rel, 1), code, msg))
            }
        }
    }
    res.diagnostics.sort_by(|a, b| {
        (&a.location, &a.code, &a.message).cmp(&(&b.location, &b.code, &b.message))
    });
    res
}

/// A file's text, or the diagnostic code and message saying why not.
type ReadResult = Result<String, (&'static str, String)>;

/// Reads a file as UTF-8 text, refusing huge, binary or non-UTF-8 files.
fn read_text(path: &Path) -> ReadResult {
    use std::io::Read;
    let io = |e: std::io::Error| ("io-error", format!("cannot read: {e}"));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err((
            "file-too-large",
            format!(
                "skipped: {} bytes is over the {} byte limit for a source file",
                meta.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    // `take` bounds a file that grows while it is read.
    file.by_ref()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Err((
            "binary-file",
            "skipped: the file contains NUL bytes, so it is not text".to_owned(),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        (
            "invalid-utf8",
            format!(
                "skipped: not valid UTF-8 (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The repo-relative path of `path` with `/` separators.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

fn walk_error(root: &Path, err: &ignore::Error) -> Diagnostic {
    let path = find_path(err)
        .map(|p| relative(root, p))
        .unwrap_or_default();
    let (code, msg) = if is_loop(err) {
        (
            "symlink-loop",
            "skipped: symbolic link loop (the link points at one of its own parents)".to_owned(),
        )
    } else {
        ("io-error", format!("cannot read: {}", strip_path(err)))
    };
    Diagnostic::warning(Location::line(&path, 1), code, msg)
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => is_loop(err),
        _ => false,
    }
}

fn find_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            find_path(err)
        }
        _ => None,
    }
}

fn strip_path(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            strip_path(err)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_uses_forward_slashes() {
        let root = Path::new("/tmp/repo");
        assert_eq!(
            relative(root, Path::new("/tmp/repo/a/b/wrangler.toml")),
            "a/b/wrangler.toml"
        );
    }
}
