//! dmqa's integration tests: one binary, one module per concern.

/// Every fixture repo under `fixtures/` → one snapshot of its whole report.
mod fixtures;

/// The real binary: exit codes, `check`, `--out`, atomic writes.
mod cli;

/// Randomized inputs (proptest) through every reader.
mod randomized;
