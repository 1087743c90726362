//! The filesystem walk: which files exist, what kind of source each is, and
//! their text.
//!
//! Owns everything that touches the checkout on disk. It respects
//! `.gitignore` (but never a global or parent-directory ignore file, so the
//! result does not depend on where the checkout lives), always skips the
//! build and dependency folders in [`SKIPPED_DIRS`], and never follows a
//! symlink loop.
//!
//! The tree is the boundary: a symbolic link is followed only when its
//! target is inside the canonical root ([`Boundary`]); one leading out is
//! named (`symlink-outside`) and skipped, and so is a FIFO, socket or
//! device (`special-file`), without opening it. Paths handed on are
//! repo-relative with `/` separators and sorted, so everything downstream
//! is deterministic.

use crate::model::{Diagnostic, Location};
use serde::Serialize;
use std::path::Path;

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

/// What kind of source a file is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum SourceKind {
    /// `wrangler.toml`, `wrangler.json`, `wrangler.jsonc`, and their
    /// siblings `wrangler.<name>.toml|json|jsonc` (per environment or per
    /// Worker of one folder).
    Wrangler,
    /// `*.sql`.
    Sql,
    /// `*.ts`, `*.tsx`, `*.mts`, `*.cts`, `*.js`, `*.mjs`, `*.cjs`, `*.jsx`.
    TypeScript,
    /// `*.rs`.
    Rust,
    /// `tsconfig.json` (path aliases).
    TsConfig,
    /// drizzle-kit's `meta/_journal.json` (migration order).
    DrizzleJournal,
    /// `package.json`: where a package of a workspace starts (code outside
    /// every Worker's folder is told apart by its package).
    PackageJson,
}

impl SourceKind {
    /// Classifies a file by its name; `None` for files no reader wants.
    pub fn classify(file_name: &str) -> Option<SourceKind> {
        match file_name {
            "wrangler.toml" | "wrangler.json" | "wrangler.jsonc" => {
                return Some(SourceKind::Wrangler);
            }
            "tsconfig.json" => return Some(SourceKind::TsConfig),
            n if wrangler_sibling(n).is_some() => return Some(SourceKind::Wrangler),
            "_journal.json" => return Some(SourceKind::DrizzleJournal),
            "package.json" => return Some(SourceKind::PackageJson),
            _ => {}
        }
        let ext = file_name.rsplit_once('.')?.1;
        match ext {
            "sql" => Some(SourceKind::Sql),
            // Declaration files too: `worker-configuration.d.ts` (what
            // `wrangler types` writes) is often the only place binding
            // kinds are declared.
            "ts" | "tsx" | "mts" | "cts" | "js" | "mjs" | "cjs" | "jsx" => {
                Some(SourceKind::TypeScript)
            }
            "rs" => Some(SourceKind::Rust),
            _ => None,
        }
    }

    /// Whether a reader consumes this kind (all do now; the flag stays for
    /// kinds classified before their reader exists).
    pub fn is_read(self) -> bool {
        true
    }
}

/// A source file with its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Repo-relative path with `/`.
    pub path: String,
    /// What kind of source it is.
    pub kind: SourceKind,
    /// Its contents (valid UTF-8); empty when `deferred`.
    pub text: String,
    /// Where to read it again when its text was not kept: a TypeScript
    /// file no reader starts from, needed only if a starting file imports
    /// it (see [`read`]).
    pub deferred: Option<std::path::PathBuf>,
}

impl SourceFile {
    /// A file with its text.
    pub fn new(path: impl Into<String>, kind: SourceKind, text: impl Into<String>) -> Self {
        SourceFile {
            path: path.into(),
            kind,
            text: text.into(),
            deferred: None,
        }
    }
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
    /// `dmqa-ignore` comments in the files read, found before a text is
    /// dropped.
    pub suppressions: Vec<crate::model::Suppression>,
}

/// The checkout's canonical root: what every path taken from the checkout
/// (a walked link, `dmqa.toml`, its `template`, the committed report) must
/// stay inside.
#[derive(Debug, Clone)]
pub struct Boundary {
    root: std::path::PathBuf,
}

impl Boundary {
    /// The boundary of the tree at `root` (which must exist).
    pub fn new(root: &Path) -> std::io::Result<Boundary> {
        Ok(Boundary {
            root: std::fs::canonicalize(root)?,
        })
    }

    /// Where `path` leads, every link resolved, when that is inside the
    /// tree; `Err` says why not, as a predicate ("leads outside the
    /// checkout"). A path that does not exist is checked through its
    /// parent folder.
    pub fn resolve(&self, path: &Path) -> Result<std::path::PathBuf, String> {
        let target = match std::fs::canonicalize(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A dangling link is refused outright: what it would create
                // is up to its target.
                if std::fs::symlink_metadata(path).is_ok() {
                    return Err("points at nothing".to_owned());
                }
                let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                    return Err(format!("cannot be resolved ({e})"));
                };
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                std::fs::canonicalize(parent)
                    .map_err(|e| format!("cannot be resolved ({e})"))?
                    .join(name)
            }
            Err(e) => return Err(format!("cannot be resolved ({e})")),
        };
        if target.starts_with(&self.root) {
            Ok(target)
        } else {
            Err("leads outside the checkout".to_owned())
        }
    }

    /// `path` (canonical) relative to the root, when inside it.
    pub fn relative<'p>(&self, path: &'p Path) -> Option<&'p Path> {
        path.strip_prefix(&self.root).ok()
    }
}

/// `wrangler.production.toml` → `production`: the name a sibling wrangler
/// config gives its Worker or environment.
pub fn wrangler_sibling(file_name: &str) -> Option<&str> {
    let rest = file_name.strip_prefix("wrangler.")?;
    let (name, ext) = rest.rsplit_once('.')?;
    (matches!(ext, "toml" | "json" | "jsonc")
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    .then_some(name)
}

/// The checkout a scanned folder sits in: the nearest folder above it
/// holding `.git` (or a workspace root's `pnpm-workspace.yaml`). A file there that the scanned code imports is read (a
/// Worker whose logic lives in a sibling package: `../../shared/db.ts`);
/// nothing outside that checkout, and nothing in [`SKIPPED_DIRS`], ever is.
#[derive(Debug, Clone)]
pub struct Enclosing {
    /// The scanned folder, canonical.
    root: std::path::PathBuf,
    /// The checkout holding it, canonical.
    outer: std::path::PathBuf,
}

/// At most this many files are read from around the scanned folder.
pub const MAX_ENCLOSING_FILES: usize = 2_000;

impl Enclosing {
    /// The checkout above `root`, when `root` is a folder inside one (not
    /// its top: then nothing is outside to follow).
    pub fn find(root: &Path) -> Option<Enclosing> {
        let root = std::fs::canonicalize(root).ok()?;
        let top = |d: &Path| d.join(".git").exists() || d.join("pnpm-workspace.yaml").is_file();
        if top(&root) {
            return None;
        }
        let outer = root
            .ancestors()
            .skip(1)
            .take(64)
            .find(|a| top(a))?
            .to_path_buf();
        Some(Enclosing { root, outer })
    }

    /// The file at `rel` (relative to the scanned folder, leading `../`)
    /// when it is a regular file of the checkout outside the scanned
    /// folder and outside dependency and build folders; `None` when there
    /// is no such file, `Some(Err)` when it cannot be read.
    pub fn read(&self, rel: &str) -> Option<ReadResult> {
        let mut path = self.root.clone();
        for part in rel.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    path.pop();
                }
                p => path.push(p),
            }
        }
        let inner = path.strip_prefix(&self.outer).ok()?;
        if inner
            .components()
            .any(|c| SKIPPED_DIRS.iter().any(|d| c.as_os_str() == *d))
        {
            return None;
        }
        // Links resolved: still in the checkout, still outside the
        // scanned folder (which the walk reads itself).
        let target = std::fs::canonicalize(&path).ok()?;
        if !target.starts_with(&self.outer) || target.starts_with(&self.root) {
            return None;
        }
        if !std::fs::metadata(&target).ok()?.is_file() {
            return None;
        }
        Some(read_text(&target, &mut Vec::new()))
    }
}

/// A file the walk found for a reader: repo-relative path, where it is on
/// disk, and its kind.
pub type Found = (String, std::path::PathBuf, SourceKind);

/// Walks `root` for the files readers consume, sorted by path, without
/// reading them: [`read`] does that once the configs are known.
pub fn walk(root: &Path, ignored: &[String]) -> (Vec<Found>, Scan) {
    use std::sync::Mutex;
    let found: Mutex<Vec<Found>> = Mutex::new(Vec::new());
    let errors: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());
    // Links inside the tree: (link, target), both repo-relative.
    let links: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let boundary = match Boundary::new(root) {
        Ok(b) => b,
        Err(e) => {
            let mut scan = Scan::default();
            scan.diagnostics.push(Diagnostic::warning(
                Location::line("", 1),
                crate::model::Code::IoError,
                format!("cannot read the checkout: {e}"),
            ));
            return (Vec::new(), scan);
        }
    };
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
            let (found, errors, boundary, links) = (&found, &errors, &boundary, &links);
            Box::new(move |entry| {
                let skip = |code, msg: String, path: &Path| {
                    if let Ok(mut e) = errors.lock() {
                        e.push(Diagnostic::warning(
                            Location::line(&relative(root, path), 1),
                            code,
                            msg,
                        ));
                    }
                    ignore::WalkState::Skip
                };
                let entry = match entry {
                    Ok(e) => e,
                    Err(err) => {
                        if let Ok(mut e) = errors.lock() {
                            e.push(walk_error(root, &err));
                        }
                        return ignore::WalkState::Continue;
                    }
                };
                // A link is followed only inside the tree: checked before
                // the walk descends into it or a reader opens it.
                if entry.path_is_symlink() {
                    match boundary.resolve(entry.path()) {
                        Err(why) => {
                            return skip(
                                crate::model::Code::SymlinkOutside,
                                format!("skipped: the symbolic link {why}"),
                                entry.path(),
                            );
                        }
                        Ok(target) => {
                            if let (Ok(mut l), Some(t)) = (links.lock(), boundary.relative(&target))
                            {
                                l.push((relative(root, entry.path()), relative(Path::new(""), t)));
                            }
                        }
                    }
                }
                let Some(file_type) = entry.file_type() else {
                    return ignore::WalkState::Continue;
                };
                if file_type.is_dir() {
                    return ignore::WalkState::Continue;
                }
                if !file_type.is_file() {
                    return skip(
                        crate::model::Code::SpecialFile,
                        format!("skipped: {}, not a regular file", special_kind(&file_type)),
                        entry.path(),
                    );
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
                    f.push((rel, entry.into_path(), kind));
                }
                ignore::WalkState::Continue
            })
        });
    let mut paths = found.into_inner().unwrap_or_default();
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    drop_linked_copies(&mut paths, &links.into_inner().unwrap_or_default());
    let (read, unread): (Vec<_>, Vec<_>) = paths.into_iter().partition(|(_, _, k)| k.is_read());
    let res = Scan {
        files: Vec::new(),
        unread: unread.into_iter().map(|(rel, _, k)| (rel, k)).collect(),
        diagnostics: errors.into_inner().unwrap_or_default(),
        suppressions: Vec::new(),
    };
    (read, res)
}

/// Reads `found` in parallel (a reused buffer per thread, one `read` per
/// source file, no `stat`) into `into`, in `found`'s order. A file `keep`
/// refuses is not kept: its text is dropped as soon as it is read and the
/// file is [`SourceFile::deferred`], so memory holds only what readers
/// start from.
pub fn read(found: Vec<Found>, keep: &(dyn Fn(&SourceFile) -> bool + Sync), into: &mut Scan) {
    use rayon::prelude::*;
    type Read = (
        Option<SourceFile>,
        Option<Diagnostic>,
        (Vec<crate::model::Suppression>, Vec<Diagnostic>),
    );
    let read: Vec<Read> = found
        .into_par_iter()
        .map_init(Vec::new, |buf, (rel, abs, kind)| {
            let (mut f, note) = source_file(rel, kind, read_text(&abs, buf));
            let marks = f.as_ref().map_or_else(Default::default, |f| {
                crate::analysis::suppress::comments(&f.path, &f.text)
            });
            if let Some(f) = f.as_mut()
                && !keep(f)
            {
                f.text = String::new();
                f.deferred = Some(abs);
            }
            (f, note, marks)
        })
        .collect();
    for (f, d, (marks, bad)) in read {
        into.files.extend(f);
        into.diagnostics.extend(d);
        into.diagnostics.extend(bad);
        into.suppressions.extend(marks);
    }
}

impl Scan {
    /// Sorts files and diagnostics, so nothing depends on scheduling.
    pub fn sort(&mut self) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.suppressions.sort();
        self.diagnostics.sort_by(|a, b| {
            (&a.location, &a.code, &a.message).cmp(&(&b.location, &b.code, &b.message))
        });
    }
}

/// A file's text, or the diagnostic code and message saying why not.
pub type ReadResult = Result<Text, (crate::model::Code, String)>;

/// A file read for a reader at `rel`, and the warning its reading earned
/// (repaired bytes, or why it was skipped).
pub fn source_file(
    rel: String,
    kind: SourceKind,
    read: ReadResult,
) -> (Option<SourceFile>, Option<Diagnostic>) {
    match read {
        Ok(Text { text, repaired }) => {
            let note = repaired.map(|msg| {
                Diagnostic::warning(
                    Location::line(&rel, 1),
                    crate::model::Code::InvalidUtf8,
                    msg,
                )
            });
            (Some(SourceFile::new(rel, kind, text)), note)
        }
        Err((code, msg)) => (
            None,
            Some(Diagnostic::warning(Location::line(&rel, 1), code, msg)),
        ),
    }
}

/// A file's text, and what was repaired to make it text.
#[derive(Debug)]
pub struct Text {
    /// The text.
    pub text: String,
    /// The warning when invalid UTF-8 or stray NUL bytes were replaced.
    pub repaired: Option<String>,
}

/// A file is binary, not text with a stray NUL, when more than one byte in
/// this many of its first 8 KiB is NUL.
const BINARY_NUL_SHARE: usize = 64;

/// Reads a file as UTF-8 text, refusing huge, binary or non-UTF-8 files.
/// `buf` is the walker thread's reusable buffer: a source file is read
/// with one `read` (and one that finds the end), no `stat`, and copied out
/// at its exact size.
pub fn read_text(path: &Path, buf: &mut Vec<u8>) -> ReadResult {
    use std::io::Read;
    let io = |e: std::io::Error| (crate::model::Code::IoError, format!("cannot read: {e}"));
    let file = std::fs::File::open(path).map_err(io)?;
    buf.clear();
    // `take` bounds a huge file (or one that grows while it is read).
    let read = file.take(MAX_FILE_BYTES + 1).read_to_end(buf).map_err(io)?;
    if read as u64 > MAX_FILE_BYTES {
        // Keep the buffer of a thread that met a huge file small again.
        *buf = Vec::new();
        let size = std::fs::metadata(path).map_or(read as u64, |m| m.len());
        return Err((
            crate::model::Code::FileTooLarge,
            format!(
                "skipped: {size} bytes is over the {MAX_FILE_BYTES} byte limit for a source file"
            ),
        ));
    }
    let head = &buf[..buf.len().min(8192)];
    let nuls = head.iter().filter(|&&b| b == 0).count();
    if nuls * BINARY_NUL_SHARE > head.len().max(BINARY_NUL_SHARE) {
        return Err((
            crate::model::Code::BinaryFile,
            "skipped: the file is largely NUL bytes, so it is not text".to_owned(),
        ));
    }
    let nul_at = buf.iter().position(|&b| b == 0);
    let bad_at = match std::str::from_utf8(buf) {
        // The common case: valid UTF-8 with no NUL, validated once.
        Ok(text) if nul_at.is_none() => {
            return Ok(Text {
                text: text.to_owned(),
                repaired: None,
            });
        }
        Ok(_) => None,
        Err(e) => Some(e.valid_up_to()),
    };
    // Keep what can be kept: a stray bad byte or NUL (in a string literal,
    // a comment) costs that byte, not the file.
    let text = String::from_utf8_lossy(buf).replace('\0', "\u{FFFD}");
    let first = bad_at.into_iter().chain(nul_at).min().unwrap_or(0);
    Ok(Text {
        text,
        repaired: Some(format!(
            "not valid UTF-8 text (first bad byte at offset {first}); read with each invalid byte and NUL as U+FFFD"
        )),
    })
}

/// The repo-relative path of `path` with `/` separators.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    // The walk's own paths are already clean: `/`-separated UTF-8 with no
    // `.` or empty parts. Anything else goes through its components.
    if std::path::MAIN_SEPARATOR == '/'
        && let Some(s) = rel.to_str()
        && !s.starts_with('/')
        && !s.ends_with('/')
        && !s.contains("//")
        && !s.split('/').any(|part| part == ".")
    {
        return s.to_owned();
    }
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Drops a file reached through a link inside the tree when the walk also
/// found it where the link points: one file, one path (the link's).
fn drop_linked_copies(paths: &mut Vec<Found>, links: &[(String, String)]) {
    if links.is_empty() {
        return;
    }
    let all: std::collections::HashSet<String> = paths.iter().map(|f| f.0.clone()).collect();
    paths.retain(|(rel, _, _)| {
        !links.iter().any(|(link, target)| {
            let rest = if rel == link {
                Some("")
            } else {
                rel.strip_prefix(link.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            };
            rest.is_some_and(|rest| {
                let real = if rest.is_empty() {
                    target.clone()
                } else if target.is_empty() {
                    rest.to_owned()
                } else {
                    format!("{target}/{rest}")
                };
                real != *rel && all.contains(&real)
            })
        })
    });
}

/// What a file that is neither a regular file nor a folder is.
fn special_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    let _ = t;
    "a special file"
}

fn walk_error(root: &Path, err: &ignore::Error) -> Diagnostic {
    let path = find_path(err)
        .map(|p| relative(root, p))
        .unwrap_or_default();
    let (code, msg) = if is_loop(err) {
        (
            crate::model::Code::SymlinkLoop,
            "skipped: symbolic link loop (the link points at one of its own parents)".to_owned(),
        )
    } else {
        (
            crate::model::Code::IoError,
            format!("cannot read: {}", strip_path(err)),
        )
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
    fn classifies_by_file_name() {
        assert_eq!(
            SourceKind::classify("wrangler.jsonc"),
            Some(SourceKind::Wrangler)
        );
        assert_eq!(SourceKind::classify("0001_init.sql"), Some(SourceKind::Sql));
        assert_eq!(
            SourceKind::classify("index.tsx"),
            Some(SourceKind::TypeScript)
        );
        assert_eq!(
            SourceKind::classify("worker-configuration.d.ts"),
            Some(SourceKind::TypeScript)
        );
        assert_eq!(SourceKind::classify("lib.rs"), Some(SourceKind::Rust));
        assert_eq!(SourceKind::classify("README.md"), None);
    }

    #[test]
    fn relative_uses_forward_slashes() {
        let root = Path::new("/tmp/repo");
        assert_eq!(
            relative(root, Path::new("/tmp/repo/a/b/wrangler.toml")),
            "a/b/wrangler.toml"
        );
        // Paths the fast path does not take still come out clean.
        assert_eq!(
            relative(root, Path::new("/tmp/repo/a/./b//c.ts")),
            "a/b/c.ts"
        );
        assert_eq!(relative(root, Path::new("/tmp/repo")), "");
        assert_eq!(relative(Path::new("."), Path::new("./a/b.sql")), "a/b.sql");
    }
}
