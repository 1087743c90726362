//! `table-without-primary-key`: a table with no declared primary key.

use super::{RuleId, finding};
use crate::model::{Finding, FindingSeverity, Model, TableKind};

/// Documentation shown in the README.
pub const DOC: &str = "\
## What it finds
An ordinary table that declares no primary key.

## Why it matters
Rows have no stable identity to update, delete or reference by; duplicates
creep in, and tools that sync or replicate tables need a key.

## Example
`CREATE TABLE device_pings (device_id TEXT, pinged_at INTEGER)` → add an
`id INTEGER PRIMARY KEY`, or a composite key such as
`PRIMARY KEY (device_id, pinged_at)`.
";

/// One finding per ordinary table without a primary key.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for db in &model.databases {
        for t in db.tables.iter().filter(|t| t.kind == TableKind::Base) {
            if t.primary_key.is_empty() {
                out.push(finding(
                    RuleId::TableWithoutPrimaryKey,
                    FindingSeverity::Warning,
                    format!("Keys ({})", t.name),
                    format!("`{}` has no primary key ({})", t.name, t.location),
                    "⚠️ Declare a primary key (a surrogate `id` or a composite of the columns that identify a row)".into(),
                    "Low",
                    vec![t.location.clone()],
                ));
            }
        }
    }
}
