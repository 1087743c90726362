//! dmqa reads a Cloudflare Workers / TypeScript / Rust / SQL checkout
//! without running it and writes `data-model-qa.md`.
//!
//! The pipeline is scan → sources → analysis → render: [`scan`] walks the
//! checkout and reads the files that matter, [`sources`] turns each into
//! model facts, [`analysis`] derives relationships, resources and
//! recommendations, and [`render`] lays the model out as Markdown. This
//! file wires them; `main.rs` owns flags, printing and exit codes.

pub mod analysis;
pub mod cloudflare;
pub mod config;
pub mod link;
pub mod model;
pub mod render;
pub mod sandbox;
pub mod scan;
pub mod sources;
pub mod unicode;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

pub use model::Model;

/// The report's default file name.
pub const REPORT_FILE: &str = "data-model-qa.md";

/// What to scan and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The checkout's root.
    pub root: PathBuf,
    /// `--config`; defaults to `ROOT/dmqa.toml` when that exists.
    pub config: Option<PathBuf>,
    /// `--template`; overrides the config's and the embedded template.
    pub template: Option<PathBuf>,
    /// Told what the scan is doing (`parsing 20000 files`), for a progress
    /// indicator; the library itself prints nothing.
    pub progress: Option<Progress>,
    /// `--diagrams`: draw Mermaid diagrams (also `diagrams = true` in
    /// `dmqa.toml`).
    pub diagrams: bool,
}

/// A callback told each phase of a scan.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// A scanned checkout.
#[derive(Debug)]
pub struct Scanned {
    /// The model.
    pub model: Model,
    /// Files read or classified, with why (for `-v`).
    pub files: Vec<(String, String)>,
    /// The template text to render with, when not the default.
    pub template: Option<String>,
    /// Whether the report draws Mermaid diagrams.
    pub diagrams: bool,
}

/// Scans and analyses the checkout at `opts.root`.
pub fn scan(opts: &Options) -> Result<Scanned> {
    let root = &opts.root;
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let boundary =
        scan::Boundary::new(root).with_context(|| format!("cannot read {}", root.display()))?;
    // Paths the checkout names stay inside it; only the command line may
    // point anywhere.
    let inside = |p: PathBuf, what: &str| -> Result<PathBuf> {
        boundary
            .resolve(&p)
            .map_err(|why| anyhow::anyhow!("{what} {why}; dmqa reads nothing outside the checkout"))
    };
    let own_config = root.join("dmqa.toml");
    let config_path = match &opts.config {
        Some(p) => Some(p.clone()),
        None if std::fs::symlink_metadata(&own_config).is_ok() => {
            Some(inside(own_config, "dmqa.toml")?).filter(|p| p.is_file())
        }
        None => None,
    };
    let config = match &config_path {
        Some(p) => config::Config::load(p, &display_path(&boundary, root, p))?,
        None => config::Config::default(),
    };
    let template_path = match (&opts.template, &config.template, &config_path) {
        (Some(t), _, _) => Some(t.clone()),
        (None, Some(t), Some(c)) => {
            let p = c.parent().unwrap_or(Path::new(".")).join(t);
            if opts.config.is_some() {
                Some(p)
            } else {
                Some(inside(p, &format!("dmqa.toml's template `{t}`"))?)
            }
        }
        _ => None,
    };
    let template = match template_path {
        Some(p) => Some(
            std::fs::read_to_string(&p)
                .with_context(|| format!("failed to read template {}", p.display()))?,
        ),
        None => None,
    };
    let say = |phase: &str| {
        if let Some(p) = &opts.progress {
            (p.0)(phase);
        }
    };
    say("finding and reading files");
    let mut model = Model::default();
    // The wrangler configs first: the binding names they declare decide
    // which TypeScript texts are kept as they are read.
    let (paths, mut found) = scan::walk(root, &config.ignore);
    let (configs, rest): (Vec<_>, Vec<_>) = paths
        .into_iter()
        .partition(|(_, _, k)| *k == sources::SourceKind::Wrangler);
    scan::read(configs, &|_| true, &mut found);
    sources::configs(&found.files, &mut model);
    scan::read(rest, &sources::keeps(&model), &mut found);
    found.sort();
    model.suppressions = std::mem::take(&mut found.suppressions);
    model.diagnostics.extend(found.diagnostics);
    model.stats.files_read = found.files.len();
    let mut files: Vec<(String, String)> = found
        .files
        .iter()
        .map(|f| (f.path.clone(), format!("read as {:?}", f.kind)))
        .collect();
    files.extend(
        found
            .unread
            .iter()
            .map(|(p, k)| (p.clone(), format!("classified as {k:?}, not read yet"))),
    );
    files.sort();
    say(&format!("parsing {} files", found.files.len()));
    sources::code(
        &found.files,
        scan::Enclosing::find(root).as_ref(),
        &mut model,
    );
    model.overrides = config.overrides();
    say("analysing");
    analysis::analyze(&mut model);
    Ok(Scanned {
        model,
        files,
        template,
        diagrams: opts.diagrams || config.diagrams,
    })
}

/// Renders a scanned checkout's report.
/// A hash of what a scan of `opts` would read: every file the walk finds
/// (path, size, modification time) and the config and template files.
/// `dmqa scan --watch` scans again when it changes. Reads no file's text.
pub fn fingerprint(opts: &Options) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let stamp = |p: &Path, h: &mut std::collections::hash_map::DefaultHasher| {
        if let Ok(m) = std::fs::metadata(p) {
            m.len().hash(h);
            m.modified().ok().hash(h);
        }
    };
    let config_path = opts
        .config
        .clone()
        .unwrap_or_else(|| opts.root.join("dmqa.toml"));
    stamp(&config_path, &mut h);
    let ignored = config::Config::load(&config_path, "dmqa.toml")
        .map(|c| c.ignore)
        .unwrap_or_default();
    if let Some(t) = &opts.template {
        stamp(t, &mut h);
    }
    let (found, _) = scan::walk(&opts.root, &ignored);
    for (rel, abs, _) in &found {
        rel.hash(&mut h);
        stamp(abs, &mut h);
    }
    h.finish()
}

pub fn render(scanned: &Scanned) -> Result<String> {
    render::render(
        &scanned.model,
        scanned.template.as_deref(),
        scanned.diagrams,
    )
    .map_err(|e| anyhow::anyhow!("cannot render the report template: {e:#}"))
}

/// `p` as the user knows it: relative to the checkout when inside it.
fn display_path(boundary: &scan::Boundary, root: &Path, p: &Path) -> String {
    match p.strip_prefix(root).ok().or_else(|| boundary.relative(p)) {
        Some(rel) => scan::relative(Path::new(""), rel),
        None => p.display().to_string(),
    }
}

/// Writes `text` to `path` atomically: a temporary file in the same folder,
/// then a rename, so a failure never leaves a half-written report.
///
/// A target that exists but is not a regular file (`/dev/null`, a FIFO) is
/// written in place: renaming over it would replace the device itself.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return std::fs::write(path, text)
                .with_context(|| format!("failed to write {}", path.display()));
        }
        Ok(_) if std::fs::read_to_string(path).is_ok_and(|old| old == text) => return Ok(()),
        _ => {}
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| REPORT_FILE.to_owned());
    let tmp = dir.join(format!(".{name}.dmqa-{}.tmp", std::process::id()));
    let res = std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("failed to write {}", path.display()));
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}
