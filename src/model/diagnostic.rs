//! Source locations, diagnostics and findings: the facts about the facts.

use schemars::JsonSchema;
use serde::Serialize;
use std::fmt;

/// A place in the checkout: repo-relative path with `/` separators and a
/// 1-based line and column (column 1 when only the line is known).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Location {
    /// Path relative to the scanned root, always with `/`.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Location {
    /// A location at `line`, column 1.
    pub fn line(path: &str, line: u32) -> Self {
        Location {
            path: path.to_owned(),
            line: line.max(1),
            column: 1,
        }
    }

    /// A location at `line:column`.
    pub fn at(path: &str, line: u32, column: u32) -> Self {
        Location {
            path: path.to_owned(),
            line: line.max(1),
            column: column.max(1),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// How bad a diagnostic is. Only warnings are printed by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something could not be read; the report may be missing facts.
    Warning,
    /// Something was read in a degraded way; shown with `-v`.
    Info,
}

macro_rules! codes {
    ($(($variant:ident, $id:literal, $meaning:literal)),* $(,)?) => {
        /// Every diagnostic code, with what it means.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
        #[serde(rename_all = "kebab-case")]
        pub enum Code {
            $(
                #[doc = $meaning]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &[Code] = &[$(Code::$variant),*];

            /// The stable kebab-case id printed in `warning[id]`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $id,)*
                }
            }

            /// What it means and what dmqa did, for the README.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

// One line per code, sorted by id (diagnostics sort by code among other
// things): adding one is a line here; the README's table is generated
// from these (`render::docs::diagnostics_table`).
codes! {
    (BinaryFile, "binary-file", "a file whose first 8 KiB is more than 1/64 NUL bytes; skipped"),
    (ClickhouseSql, "clickhouse-sql", "a folder of ClickHouse DDL (`ENGINE = …MergeTree`): an analytics store, not a database dmqa reads; skipped (info)"),
    (ConfigInvalidValue, "config-invalid-value", "a wrangler setting dmqa reads has a value it cannot use (such as a `migrations_pattern` that is not a glob); the default is used"),
    (ConfigParseError, "config-parse-error", "a wrangler config is not valid TOML / JSONC (its Worker is left out), or a drizzle journal is not valid JSON (its migrations are applied in file-name order)"),
    (ConfigUnknownTable, "config-unknown-table", "a `dmqa.toml` relationship names tables no single database has; it is left out"),
    (DrizzleUnreadColumn, "drizzle-unread-column", "a Drizzle table whose columns argument (warning) or one of whose columns (info) is not something dmqa can read; listed without it"),
    (FileTooLarge, "file-too-large", "a file over 8 MiB; skipped"),
    (IncompleteHistory, "incomplete-history", "a migrations folder is not the database's history — it alters or indexes tables it never creates, or its package applies the schema with `drizzle-kit push` and no script runs migrations — so where an ORM schema declares the same database, that schema is taken as the schema (info)"),
    (InvalidUtf8, "invalid-utf8", "a file with bytes that are not UTF-8, or a stray NUL; read with each such byte as U+FFFD"),
    (IoError, "io-error", "a file or folder that cannot be read; skipped"),
    (NotASchema, "not-a-schema", "a folder of `.sql` files creates and alters nothing: read as queries, not as a database (info)"),
    (RustMacroUnread, "rust-macro-unread", "a diesel `table!` body, or a `macro_rules!` building routes or reaching bindings, that dmqa cannot read; what it declares is left out"),
    (RustSyntaxError, "rust-syntax-error", "a Rust file that does not parse; skipped"),
    (RustTooDeep, "rust-too-deep", "a Rust file nested deeper than 256 brackets or with a statement over 32 KiB; skipped before syn recurses through it"),
    (SandboxDenied, "sandbox-denied", "a statement could touch files or settings (`ATTACH`, `VACUUM INTO`, most pragmas); not run"),
    (SpecialFile, "special-file", "a FIFO, socket or device in the checkout; skipped without opening it"),
    (SqlInterrupted, "sql-interrupted", "a migration statement ran past its budget (10^7 SQLite steps, 1 s, 256 MiB), or its file or database past theirs (30 s, 60 s); the rest is not run"),
    (SqlParseError, "sql-parse-error", "a Postgres / MySQL statement sqlparser cannot read; skipped"),
    (SqliteCatalog, "sqlite-catalog", "the schema could not be read back from SQLite after the migrations ran"),
    (SqliteRejected, "sqlite-rejected", "SQLite (so D1) rejects a migration statement"),
    (SqliteUnavailable, "sqlite-unavailable", "the in-memory SQLite could not be opened; the database is left empty"),
    (Suppressed, "suppressed", "a finding silenced by a `dmqa-ignore RULE: reason` comment beside its evidence; left out of the report and `check`, listed with its reason under `-v` (info)"),
    (SuppressionInvalid, "suppression-invalid", "a `dmqa-ignore` comment that names no rule dmqa has, or gives no reason after `:`; it silences nothing"),
    (SymlinkLoop, "symlink-loop", "a symbolic link pointing at one of its own parents; skipped"),
    (SymlinkOutside, "symlink-outside", "a symbolic link leading out of the checkout; skipped: dmqa reads nothing outside the tree it scans"),
    (TsSyntaxError, "ts-syntax-error", "part of a TypeScript file does not parse (forms the grammar lags on but dmqa reads anyway, such as `` sql<T[]>`…` `` and `export type *`, are not reported)"),
    (TsTooLarge, "ts-too-large", "a TypeScript module over 2 MiB (a generated bundle or data table) was not parsed; tree-sitter and the index would spend seconds on it"),
}

/// A problem met while reading the checkout. The scan always goes on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// Warning or info.
    pub severity: Severity,
    /// A stable kebab-case code such as `sql-parse-error`.
    pub code: Code,
    /// What was found and what to change.
    pub message: String,
}

impl Diagnostic {
    /// A warning at `location`.
    pub fn warning(location: Location, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity: Severity::Warning,
            code,
            message: message.into(),
        }
    }

    /// An informational note at `location` (printed with `-v`).
    pub fn info(location: Location, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity: Severity::Info,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        // A path or message quoting the checkout cannot move the cursor or
        // recolour the terminal of the CI log it lands in.
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            crate::unicode::shown(&self.location.path, false),
            self.location.line,
            self.location.column,
            sev,
            self.code.as_str(),
            crate::unicode::shown(&self.message, false)
        )
    }
}
