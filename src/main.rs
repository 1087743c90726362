//! The `dmqa` command line: flags, printing and exit codes. The only file
//! that prints.
//!
//! Exit codes: 0 success (also with warnings), 1 `check` found the report
//! stale or missing, 2 usage or output error.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use dmqa::model::Severity;
use dmqa::{Options, REPORT_FILE, Scanned};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Reads a Cloudflare Workers / TypeScript / Rust / SQL checkout without
/// running it and writes data-model-qa.md: tables, R2 and KV key patterns,
/// queue messages, Durable Objects, data flows and recommendations.
#[derive(Parser)]
#[command(
    name = "dmqa",
    version,
    propagate_version = true,
    after_help = "Examples:\n  dmqa scan                     writes ./data-model-qa.md for this checkout\n  dmqa scan fixtures/codepush_d1 --out -\n                                prints the demo's report\n  dmqa check                    in CI: exit 1 with a diff when the report is stale\n  dmqa model | jq '.databases[].tables[].name'"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print errors only: no warnings, no summary.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// List every file read and why, and informational notes.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Scan a checkout and write the report.
    #[command(
        after_help = "Examples:\n  dmqa scan                     writes ./data-model-qa.md\n  dmqa scan apps/api --out -    prints the report to stdout\n  dmqa scan --watch             rewrites the report as you edit"
    )]
    Scan {
        #[command(flatten)]
        common: Common,
        /// Where to write the report; `-` for stdout [default: PATH/data-model-qa.md]
        #[arg(long, value_name = "FILE|-")]
        out: Option<String>,
        /// Template to render with instead of the embedded one.
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
        /// Keep running: scan again whenever a file dmqa reads changes
        /// (checked twice a second), until interrupted.
        #[arg(long)]
        watch: bool,
    },
    /// Fail (exit 1, with a diff) when the committed report is stale.
    #[command(
        after_help = "Examples:\n  dmqa check                    in CI, after checkout\n  dmqa check --format github    findings and staleness as GitHub annotations\n  dmqa check --format json      findings as JSON on stdout\n  dmqa check --format sarif > dmqa.sarif\n                                for GitHub code scanning\n  dmqa check --new-only --fail-on warning\n                                fail on findings this change adds\n  dmqa check . --report docs/data-model-qa.md"
    )]
    Check {
        #[command(flatten)]
        common: Common,
        /// The committed report [default: PATH/data-model-qa.md]
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Template the report was rendered with.
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
        /// How to print staleness and findings: a unified diff, GitHub
        /// annotations (`::warning file=…,line=…::…`), SARIF 2.1.0 for code
        /// scanning, or JSON.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also fail (exit 1) on findings of this severity or worse; by
        /// default only a stale or missing report fails.
        #[arg(long, value_enum, default_value_t = FailOn::Never, value_name = "LEVEL")]
        fail_on: FailOn,
        /// Annotate and fail only on findings the committed report's
        /// Recommendations do not list yet: what this change adds.
        #[arg(long)]
        new_only: bool,
    },
    /// Print the typed model as JSON on stdout.
    #[command(
        after_help = "Examples:\n  dmqa model | jq '.databases[].tables[].name'\n  dmqa model --schema          the JSON Schema of that output\n  dmqa model --format tbls > schema.json\n                                for tbls or Liam ERD"
    )]
    Model {
        #[command(flatten)]
        common: Common,
        /// Print the JSON Schema of the model instead, without scanning.
        #[arg(long)]
        schema: bool,
        /// dmqa's own model, or the schema as tbls's `schema.json` (for
        /// `tbls doc` and Liam ERD).
        #[arg(long, value_enum, default_value_t = ModelFormat::Json)]
        format: ModelFormat,
    },
    /// List the recommendation rules: id, severity, summary.
    #[command(after_help = "Examples:\n  dmqa rules\n  dmqa explain unindexed-query")]
    Rules,
    /// Print a shell completion script on stdout.
    #[command(
        after_help = "Examples:\n  dmqa completions bash > ~/.local/share/bash-completion/completions/dmqa\n  dmqa completions zsh > \"${fpath[1]}/_dmqa\"\n  dmqa completions fish > ~/.config/fish/completions/dmqa.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print what a rule finds, why it matters, and an example.
    #[command(after_help = "Examples:\n  dmqa explain kv-key-without-ttl")]
    Explain {
        /// The rule id, as `dmqa rules` lists it.
        rule: String,
    },
}

/// Output of `dmqa check`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A unified diff when stale.
    Text,
    /// GitHub Actions workflow commands: one annotation per finding and
    /// warning, and one for staleness.
    Github,
    /// `{ "report", "stale", "missing", "findings", "diagnostics" }`.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (`upload-sarif`).
    Sarif,
}

/// Output of `dmqa model`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelFormat {
    /// dmqa's model (its JSON Schema: `dmqa model --schema`).
    Json,
    /// tbls's `schema.json`: tables, columns, indexes, constraints,
    /// relations.
    Tbls,
}

/// The finding severity `dmqa check` fails on.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Findings never fail the check; a stale report does.
    Never,
    /// Error findings fail it.
    Error,
    /// Error and warning findings fail it.
    Warning,
}

impl FailOn {
    fn fails(self, severity: dmqa::model::FindingSeverity) -> bool {
        use dmqa::model::FindingSeverity as S;
        match self {
            FailOn::Never => false,
            FailOn::Error => severity == S::Error,
            FailOn::Warning => matches!(severity, S::Error | S::Warning),
        }
    }
}

#[derive(Args)]
struct Common {
    /// The checkout to read.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Config file [default: PATH/dmqa.toml when present]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Draw Mermaid diagrams GitHub renders: an ER diagram per database and
    /// the data flows (also `diagrams = true` in dmqa.toml).
    #[arg(long)]
    diagrams: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match try_main(&cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A spinner on stderr that appears only when the scan has run for half a
/// second, only on a terminal, never under CI or `--quiet`.
fn spinner(quiet: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} dmqa: {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let shown = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        if !shown.is_finished() {
            shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            shown.enable_steady_tick(Duration::from_millis(100));
        }
    });
    Some(bar)
}

fn scan(cli: &Cli, common: &Common, template: Option<PathBuf>) -> Result<Scanned> {
    let started = Instant::now();
    let bar = spinner(cli.quiet);
    let progress = bar.clone().map(|b| {
        dmqa::Progress(std::sync::Arc::new(move |phase: &str| {
            b.set_message(phase.to_owned());
        }))
    });
    let scanned = dmqa::scan(&options(common, template, progress));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let scanned = scanned?;
    if cli.verbose {
        for (path, why) in &scanned.files {
            eprintln!("{path}: {why}");
        }
    }
    let mut warnings = 0;
    for d in &scanned.model.diagnostics {
        let show = match d.severity {
            Severity::Warning => {
                warnings += 1;
                !cli.quiet
            }
            Severity::Info => cli.verbose,
        };
        if show {
            eprintln!("{d}");
        }
    }
    if !cli.quiet {
        eprintln!("{}", summary(&scanned, started, warnings));
    }
    Ok(scanned)
}

/// What `dmqa::scan` is asked to read.
fn options(
    common: &Common,
    template: Option<PathBuf>,
    progress: Option<dmqa::Progress>,
) -> Options {
    Options {
        root: common.path.clone(),
        config: common.config.clone(),
        template,
        progress,
        diagrams: common.diagrams,
    }
}

/// `dmqa scan`: the report written to `out` (`-`: stdout) or the
/// checkout's own report file.
fn scan_and_write(
    cli: &Cli,
    common: &Common,
    out: Option<&str>,
    template: &Option<PathBuf>,
) -> Result<()> {
    let scanned = scan(cli, common, template.clone())?;
    let report = dmqa::render(&scanned)?;
    match out {
        Some("-") => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(report.as_bytes())
                .and_then(|()| stdout.flush())
                .context("failed to write to stdout")?;
        }
        Some(path) => dmqa::write_atomic(&PathBuf::from(path), &report)?,
        None => {
            let path = common.path.join(REPORT_FILE);
            refuse_link(&path, "write through")?;
            dmqa::write_atomic(&path, &report)?
        }
    }
    Ok(())
}

/// The checkout's own report file is a file of the checkout, never a link
/// (which could lead anywhere) nor a FIFO or device; `--out` / `--report`
/// on the command line may name anything.
fn refuse_link(path: &std::path::Path, verb: &str) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => anyhow::bail!(
            "{} is a symbolic link; dmqa does not {verb} a link in the checkout (name the file with {})",
            path.display(),
            if verb == "read" { "--report" } else { "--out" }
        ),
        Ok(m) if !m.is_file() => anyhow::bail!(
            "{} is not a regular file; dmqa does not {verb} it",
            path.display()
        ),
        _ => Ok(()),
    }
}

fn try_main(cli: &Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Scan {
            common,
            out,
            template,
            watch: false,
        } => {
            scan_and_write(cli, common, out.as_deref(), template)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Scan {
            common,
            out,
            template,
            watch: true,
        } => {
            let options = options(common, template.clone(), None);
            loop {
                let seen = dmqa::fingerprint(&options);
                // A scan that fails (a broken dmqa.toml mid-edit) is said,
                // and the next change tried again.
                if let Err(e) = scan_and_write(cli, common, out.as_deref(), template) {
                    eprintln!("error: {e:#}");
                }
                if !cli.quiet {
                    eprintln!(
                        "watching {} for changes (Ctrl-C to stop)",
                        common.path.display()
                    );
                }
                while dmqa::fingerprint(&options) == seen {
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }
        Command::Check {
            common,
            report,
            template,
            format,
            fail_on,
            new_only,
        } => {
            let path = report
                .clone()
                .unwrap_or_else(|| common.path.join(REPORT_FILE));
            if report.is_none() {
                refuse_link(&path, "read")?;
            }
            let scanned = scan(cli, common, template.clone())?;
            let fresh = dmqa::render(&scanned)?;
            let shown = path.display().to_string();
            let committed = match std::fs::read_to_string(&path) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e).with_context(|| format!("failed to read {shown}")),
            };
            check(
                cli,
                &Checked {
                    scanned: &scanned,
                    root: &common.path,
                    report: &shown,
                    fresh: &fresh,
                    committed: committed.as_deref(),
                },
                *format,
                *fail_on,
                *new_only,
            )
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut text = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "dmqa", &mut text);
            print_stdout(&String::from_utf8_lossy(&text))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules => {
            print_stdout(&dmqa::render::docs::list())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => {
            let Some(id) = dmqa::model::RuleId::parse(rule) else {
                anyhow::bail!(
                    "no rule `{rule}`; `dmqa rules` lists them: {}",
                    dmqa::model::RuleId::list()
                );
            };
            print_stdout(&dmqa::render::docs::explain(id))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Model { schema: true, .. } => {
            let schema = schemars::schema_for!(dmqa::model::Model);
            print_stdout(&format!("{}\n", serde_json::to_string_pretty(&schema)?))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Model { common, format, .. } => {
            let scanned = scan(cli, common, None)?;
            let json = match format {
                ModelFormat::Json => serde_json::to_string_pretty(&scanned.model)?,
                ModelFormat::Tbls => {
                    serde_json::to_string_pretty(&dmqa::render::tbls::schema(&scanned.model))?
                }
            };
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{json}")
                .and_then(|()| stdout.flush())
                .context("failed to write to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes `text` to stdout.
fn print_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("failed to write to stdout")
}

/// `1204` → `1,204`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn summary(scanned: &Scanned, started: Instant, warnings: usize) -> String {
    let m = &scanned.model;
    let tables: usize = m.databases.iter().map(|d| d.tables.len()).sum();
    format!(
        "scanned {} in {} ms: {}, {}, {}, {}, {}; {}",
        plural(scanned.files.len(), "file", "files"),
        started.elapsed().as_millis(),
        plural(tables, "table", "tables"),
        plural(m.buckets.len(), "bucket", "buckets"),
        plural(m.kv_namespaces.len(), "KV namespace", "KV namespaces"),
        plural(m.queues.len(), "queue", "queues"),
        plural(m.durable_objects.len(), "Durable Object", "Durable Objects"),
        plural(warnings, "warning", "warnings"),
    )
}

/// Escapes a GitHub workflow-command message (`%`, CR, LF) or, with
/// `property`, a property value (also `:` and `,`).
fn gh_escape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            _ => out.push(c),
        }
    }
    out
}

/// What `dmqa check` compares.
struct Checked<'a> {
    scanned: &'a Scanned,
    root: &'a std::path::Path,
    /// The committed report's path, as shown.
    report: &'a str,
    fresh: &'a str,
    committed: Option<&'a str>,
}

fn check(
    cli: &Cli,
    c: &Checked<'_>,
    format: Format,
    fail_on: FailOn,
    new_only: bool,
) -> Result<ExitCode> {
    use dmqa::render::ci::{self, Verdict};
    let verdict = match c.committed {
        None => Verdict::Missing,
        Some(text) if ci::same_report(text, c.fresh) => Verdict::Current,
        Some(_) => Verdict::Stale,
    };
    let baseline = match (new_only, c.committed) {
        (true, Some(text)) => Some(ci::Baseline::from_report(text)),
        (true, None) => Some(ci::Baseline::default()),
        (false, _) => None,
    };
    let rows: Vec<_> = dmqa::render::view::recommendations(&c.scanned.model)
        .into_iter()
        .filter(|(_, row)| baseline.as_ref().is_none_or(|b| !b.lists(row)))
        .collect();
    let diff = (verdict == Verdict::Stale).then(|| {
        let (old, new) = (
            ci::normalized(c.committed.unwrap_or_default()),
            ci::normalized(c.fresh),
        );
        similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{} (committed)", c.report),
                &format!("{} (generated)", c.report),
            )
            .to_string()
    });
    let file = workspace_paths(c.root);
    let failing: Vec<_> = rows
        .iter()
        .filter(|(f, _)| fail_on.fails(f.severity))
        .collect();
    if let Some(to) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let text = ci::summary(c.report, verdict, &rows, new_only, diff.as_deref());
        let written = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&to)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            eprintln!("warning: cannot write the job summary: {e}");
        }
    }
    let out = match format {
        Format::Text => {
            // The findings that fail the check, on stderr: why it failed.
            for (f, row) in &failing {
                let at = f
                    .locations
                    .first()
                    .map(|l| format!("{}:{}:{}: ", file(&l.path), l.line, l.column))
                    .unwrap_or_default();
                eprintln!(
                    "{at}{}[{}]: {}",
                    ci::level(f.severity).unwrap_or("note"),
                    f.rule.as_str(),
                    ci::message(row)
                );
            }
            match verdict {
                Verdict::Missing => eprintln!(
                    "error: {} does not exist; run `dmqa scan` to create it",
                    c.report
                ),
                Verdict::Stale => {
                    eprintln!("error: {} is stale; run `dmqa scan` to update it", c.report)
                }
                Verdict::Current if !cli.quiet => eprintln!("{} is up to date", c.report),
                Verdict::Current => {}
            }
            diff.clone().unwrap_or_default()
        }
        Format::Json => check_json(c, &rows, verdict)?,
        Format::Github => github_annotations(c, &file, &rows, verdict, diff.as_deref()),
        Format::Sarif => format!(
            "{}\n",
            serde_json::to_string_pretty(&ci::sarif(&rows, &file, c.report, c.fresh))?
        ),
    };
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{out}")
        .and_then(|()| stdout.flush())
        .context("failed to write to stdout")?;
    let failed = verdict != Verdict::Current || !failing.is_empty();
    Ok(ExitCode::from(u8::from(failed)))
}

/// Paths in the model are relative to the scanned `root`; annotations and
/// SARIF name files from the repository root: `$GITHUB_WORKSPACE` in a
/// workflow, else the working directory (where `dmqa check` runs).
fn workspace_paths(root: &std::path::Path) -> impl Fn(&str) -> String + use<> {
    let base = std::env::var_os("GITHUB_WORKSPACE")
        .filter(|w| !w.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .and_then(|b| b.canonicalize().ok());
    let prefix = match (root.canonicalize().ok(), base) {
        (Some(r), Some(b)) if r.starts_with(&b) => r
            .strip_prefix(&b)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default(),
        _ => root.to_string_lossy().replace('\\', "/"),
    };
    let prefix = prefix
        .trim_end_matches('/')
        .trim_start_matches("./")
        .to_owned();
    move |p: &str| {
        if prefix.is_empty() || prefix == "." {
            p.to_owned()
        } else {
            format!("{prefix}/{p}")
        }
    }
}

/// One annotation per error or warning finding in `rows` and per warning
/// diagnostic, and one for a stale or missing report, with the diff in a
/// collapsed group.
fn github_annotations(
    c: &Checked<'_>,
    file: &dyn Fn(&str) -> String,
    rows: &[(&dmqa::model::Finding, dmqa::render::view::RecommendationRow)],
    verdict: dmqa::render::ci::Verdict,
    diff: Option<&str>,
) -> String {
    use dmqa::render::ci::{self, Verdict};
    let mut out = String::new();
    for (f, row) in rows {
        let Some(level) = ci::level(f.severity) else {
            continue;
        };
        let at = f
            .locations
            .first()
            .map(|l| format!(" file={},line={},", gh_escape(&file(&l.path), true), l.line))
            .unwrap_or_else(|| " ".to_owned());
        out.push_str(&format!(
            "::{level}{at}title={}::{}\n",
            gh_escape(f.rule.as_str(), true),
            gh_escape(&ci::message(row), false)
        ));
    }
    for d in &c.scanned.model.diagnostics {
        if d.severity != Severity::Warning {
            continue;
        }
        out.push_str(&format!(
            "::warning file={},line={},col={},title={}::{}\n",
            gh_escape(&file(&d.location.path), true),
            d.location.line,
            d.location.column,
            gh_escape(d.code.as_str(), true),
            gh_escape(&d.message, false)
        ));
    }
    let why = match verdict {
        Verdict::Current => return out,
        Verdict::Missing => "does not exist; run `dmqa scan` to create it",
        Verdict::Stale => "is stale; run `dmqa scan` and commit it",
    };
    out.push_str(&format!(
        "::error file={},title=dmqa check::{}\n",
        gh_escape(c.report.strip_prefix("./").unwrap_or(c.report), true),
        gh_escape(&format!("{} {why}", c.report), false)
    ));
    if let Some(diff) = diff {
        // A line starting `::` would be read as a command: stop commands
        // for the diff's length with a token it cannot contain.
        let token = format!("dmqa-diff-{:x}", diff.len());
        out.push_str(&format!(
            "::group::{} diff\n::stop-commands::{token}\n{diff}{}::{token}::\n::endgroup::\n",
            gh_escape(c.report, false),
            if diff.ends_with('\n') { "" } else { "\n" }
        ));
    }
    out
}

/// `{ "report", "missing", "stale", "findings", "diagnostics" }`; with
/// `--new-only`, only the findings the committed report does not list.
fn check_json(
    c: &Checked<'_>,
    rows: &[(&dmqa::model::Finding, dmqa::render::view::RecommendationRow)],
    verdict: dmqa::render::ci::Verdict,
) -> Result<String> {
    use dmqa::render::ci::Verdict;
    let findings: Vec<&dmqa::model::Finding> = rows.iter().map(|(f, _)| *f).collect();
    let value = serde_json::json!({
        "report": c.report,
        "missing": verdict == Verdict::Missing,
        "stale": verdict != Verdict::Current,
        "findings": findings,
        "diagnostics": c.scanned.model.diagnostics,
    });
    Ok(format!("{}\n", serde_json::to_string_pretty(&value)?))
}
