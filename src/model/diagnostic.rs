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

/// A problem met while reading the checkout. The scan always goes on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// Warning or info.
    pub severity: Severity,
    /// A stable kebab-case code such as `sql-parse-error`.
    pub code: String,
    /// What was found and what to change.
    pub message: String,
}

impl Diagnostic {
    /// A warning at `location`.
    pub fn warning(location: Location, code: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity: Severity::Warning,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// An informational note at `location` (printed with `-v`).
    pub fn info(location: Location, code: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity: Severity::Info,
            code: code.to_owned(),
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
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.location.path,
            self.location.line,
            self.location.column,
            sev,
            self.code,
            self.message
        )
    }
}
