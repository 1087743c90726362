//! dmqa's integration tests: one binary, one module per concern.

/// Every fixture repo under `fixtures/` → one snapshot of its whole report.
mod fixtures;

/// The real binary: exit codes, `check`, `--out`, atomic writes.
mod cli;

/// `check` in a pull request: `--fail-on`, `--new-only`, suppression,
/// SARIF, the job summary, line-ending tolerance.
mod ci;

/// Hostile checkouts: links out of the tree, special files, injected
/// names, runaway SQL.
mod hostile;

/// The Mermaid diagrams parse with Mermaid (where node is set up).
mod mermaid;

/// `npx dmqa` from the packed npm packages (where node is).
mod npm;

/// Randomized inputs (proptest) through every reader.
mod randomized;
