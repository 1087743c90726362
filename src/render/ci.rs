//! What `dmqa check` tells a pull request: whether the committed report is
//! current (ignoring line endings and trailing newlines an editor or a
//! checkout changes), which findings the change adds to it, SARIF for code
//! scanning, and the Markdown job summary.

use super::view::RecommendationRow;
use crate::model::{Finding, FindingSeverity, RuleId};
use std::borrow::Cow;
use std::collections::HashSet;

/// The report as compared: `\r\n` read as `\n`, and however many newlines
/// it ends with read as one. A CRLF checkout, `end-of-file-fixer` or an
/// editor's final newline does not make a report stale.
pub fn normalized(text: &str) -> Cow<'_, str> {
    let body = text.trim_end_matches(['\n', '\r']);
    if body.contains('\r') {
        let mut s = body.replace("\r\n", "\n");
        s.push('\n');
        Cow::Owned(s)
    } else if body.len() + 1 == text.len() && text.ends_with('\n') {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{body}\n"))
    }
}

/// Whether the committed report says what the generated one says.
pub fn same_report(committed: &str, generated: &str) -> bool {
    normalized(committed) == normalized(generated)
}

/// A row's identity across commits: its Area, Current and Recommendation
/// cells as the report prints them, with line numbers after file names
/// (`index.ts:47`) left out — moving code does not make a finding new —
/// and runs of blanks made one.
fn row_key(cells: [&str; 3]) -> String {
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push('\u{1f}');
        }
        let mut chars = cell.trim().chars().peekable();
        let mut prev = ' ';
        while let Some(c) = chars.next() {
            if c == ':' && prev.is_alphanumeric() && chars.peek().is_some_and(char::is_ascii_digit)
            {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                continue;
            }
            if c.is_whitespace() {
                if prev != ' ' {
                    out.push(' ');
                }
                prev = ' ';
                continue;
            }
            out.push(c);
            prev = c;
        }
    }
    out
}

/// What a row says, as separate facts: each subject its Area names
/// (`Keys (clicks, hits)` → `Keys`/`clicks`, `Keys`/`hits`) and each part
/// of its Current cell (one per subject or absorbed query, `; `-joined),
/// both under its Recommendation. A row one more subject joins says a new
/// fact; a row whose evidence only moved does not.
fn facts(area: &str, current: &str, recommendation: &str) -> Vec<String> {
    let rec = row_key([recommendation, "", ""]);
    let (kind, items) = match area.split_once(" (") {
        Some((kind, rest)) => (kind, rest.strip_suffix(')').unwrap_or(rest)),
        None => (area, ""),
    };
    let mut out: Vec<String> = items
        .split(", ")
        .map(|item| format!("{rec}\u{1e}A\u{1e}{}", row_key([kind, item, ""])))
        .collect();
    out.extend(
        current
            .split("; ")
            .map(|part| format!("{rec}\u{1e}C\u{1e}{}", row_key([part, "", ""]))),
    );
    out
}

/// A generated row's cells, escaped as the report prints them.
fn cells(row: &RecommendationRow) -> [String; 3] {
    use super::escape::cell;
    [
        cell(&row.area),
        cell(&row.current),
        cell(&row.recommendation),
    ]
}

/// The findings a committed report already lists: the rows of its
/// Recommendations table. A report without that table (a custom
/// template) lists none, so every finding is new against it.
#[derive(Debug, Default)]
pub struct Baseline {
    facts: HashSet<String>,
}

impl Baseline {
    /// Reads the Recommendations table of a committed report.
    pub fn from_report(text: &str) -> Self {
        let text = normalized(text);
        let mut facts_seen = HashSet::new();
        let mut inside = false;
        for line in text.lines() {
            if line.starts_with("## ") {
                inside = line.trim_end() == "## Recommendations";
                continue;
            }
            if !inside {
                continue;
            }
            let Some(row) = line
                .trim_end()
                .strip_prefix("| ")
                .and_then(|r| r.strip_suffix(" |"))
            else {
                continue;
            };
            // An escaped pipe is `\|`, so ` | ` only ever separates.
            let c: Vec<&str> = row.split(" | ").collect();
            if c.len() < 3 || c[0] == "Area" {
                continue;
            }
            facts_seen.extend(facts(c[0], c[1], c[2]));
        }
        Baseline { facts: facts_seen }
    }

    /// Whether the report already says everything this row says.
    pub fn lists(&self, row: &RecommendationRow) -> bool {
        let [area, current, rec] = cells(row);
        facts(&area, &current, &rec)
            .iter()
            .all(|f| self.facts.contains(f))
    }
}

/// A finding's identity for code scanning: its rule, its subject (the
/// table, binding or queue, with its database), its own words (line
/// numbers left out) and its advice — not the other subjects its row
/// lists, which come and go.
fn identity(f: &Finding, row: &RecommendationRow) -> String {
    use super::escape::cell;
    let subject = serde_json::to_string(&f.subject).unwrap_or_default();
    format!(
        "{}\u{1e}{subject}\u{1e}{}",
        f.rule.as_str(),
        row_key([&cell(&f.message), &cell(&row.recommendation), ""])
    )
}

/// A stable 64-bit FNV-1a hash, hex: the same text gives the same
/// fingerprint on every machine and release.
fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A repo-relative path as a URI reference: `/` kept, every byte outside
/// the unreserved set percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The severity word SARIF and GitHub use.
pub fn level(severity: FindingSeverity) -> Option<&'static str> {
    match severity {
        FindingSeverity::Error => Some("error"),
        FindingSeverity::Warning => Some("warning"),
        FindingSeverity::Keep => None,
    }
}

/// One line of a finding: where, what, what to do.
pub fn message(row: &RecommendationRow) -> String {
    format!("{}: {} → {}", row.area, row.current, row.recommendation)
}

/// Where a finding shows: its first location, or else its row in the
/// report (`report` path, line of the row in `generated`).
fn place(
    f: &Finding,
    row: &RecommendationRow,
    file: &dyn Fn(&str) -> String,
    report: &str,
    generated: &str,
) -> (String, u32, u32) {
    if let Some(l) = f.locations.first() {
        return (file(&l.path), l.line.max(1), l.column.max(1));
    }
    let needle = format!(
        "| {} | {} |",
        super::escape::cell(&row.area),
        super::escape::cell(&row.current)
    );
    let line = generated
        .lines()
        .position(|l| l.starts_with(&needle))
        .map_or(1, |i| i + 1);
    let report = report.strip_prefix("./").unwrap_or(report);
    (report.to_owned(), u32::try_from(line).unwrap_or(1), 1)
}

/// SARIF 2.1.0 for GitHub code scanning: every rule with its
/// documentation, one result per error or warning finding in `rows`,
/// located at its evidence (or its row in the report), with a fingerprint
/// that survives line moves. `file` maps a scanned path to the path from
/// the repository root.
pub fn sarif(
    rows: &[(&Finding, RecommendationRow)],
    file: &dyn Fn(&str) -> String,
    report: &str,
    generated: &str,
) -> serde_json::Value {
    use crate::analysis::rules::RULES;
    use serde_json::json;
    let home = option_env!("CARGO_PKG_REPOSITORY").filter(|r| !r.is_empty());
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            let doc = super::docs::explain(r.id);
            let mut rule = json!({
                "id": r.id.as_str(),
                "name": r.id.as_str(),
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": doc, "markdown": doc },
                "defaultConfiguration": {
                    "level": level(r.severity).unwrap_or("note"),
                },
                "properties": { "tags": ["data-model"] },
            });
            if let Some(home) = home {
                rule["helpUri"] =
                    json!(format!("{home}/blob/main/docs/rules.md#{}", r.id.as_str()));
            }
            rule
        })
        .collect();
    let index_of = |id: RuleId| RULES.iter().position(|r| r.id == id).unwrap_or(0);
    // Two results of one identity (the same words about the same subject
    // in two places) are told apart by their order, as GitHub's own
    // fingerprints are.
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    let results: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|(f, row)| {
            let level = level(f.severity)?;
            let (path, line, column) = place(f, row, file, report, generated);
            let id = identity(f, row);
            let n = seen.entry(id.clone()).or_default();
            *n += 1;
            let print = match *n {
                1 => fingerprint(&id),
                n => format!("{}:{n}", fingerprint(&id)),
            };
            Some(json!({
                "ruleId": f.rule.as_str(),
                "ruleIndex": index_of(f.rule),
                "level": level,
                "message": { "text": message(row) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&path) },
                        "region": { "startLine": line, "startColumn": column },
                    }
                }],
                "partialFingerprints": { "dmqaFinding/v1": print },
            }))
        })
        .collect();
    let mut driver = json!({
        "name": "dmqa",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    if let Some(home) = home {
        driver["informationUri"] = json!(home);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "results": results,
        }],
    })
}

/// The Markdown job summary (`$GITHUB_STEP_SUMMARY`): the verdict, the
/// findings grouped by severity, and the diff when the report is stale
/// (bounded: GitHub takes at most 1 MiB per step).
pub fn summary(
    report: &str,
    verdict: Verdict,
    rows: &[(&Finding, RecommendationRow)],
    new_only: bool,
    diff: Option<&str>,
) -> String {
    let mut out = String::from("## dmqa check\n\n");
    out.push_str(&match verdict {
        Verdict::Current => format!("✅ `{report}` is up to date.\n\n"),
        Verdict::Stale => format!("❌ `{report}` is stale: run `dmqa scan` and commit it.\n\n"),
        Verdict::Missing => {
            format!("❌ `{report}` does not exist: run `dmqa scan` and commit it.\n\n")
        }
    });
    let shown: Vec<&(&Finding, RecommendationRow)> = rows
        .iter()
        .filter(|(f, _)| level(f.severity).is_some())
        .collect();
    let scope = if new_only { "new " } else { "" };
    if shown.is_empty() {
        out.push_str(&format!("No {scope}findings.\n"));
    }
    for (sev, one, many) in [
        (FindingSeverity::Error, "error", "errors"),
        (FindingSeverity::Warning, "warning", "warnings"),
    ] {
        let group: Vec<_> = shown.iter().filter(|(f, _)| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "### {} {scope}{}\n\n| Rule | Area | Current | Recommendation |\n|---|---|---|---|\n",
            group.len(),
            if group.len() == 1 { one } else { many }
        ));
        for (f, row) in group {
            use super::escape::cell;
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                f.rule.as_str(),
                cell(&row.area),
                cell(&row.current),
                cell(&row.recommendation)
            ));
        }
        out.push('\n');
    }
    if let Some(diff) = diff {
        const MAX: usize = 512 * 1024;
        let mut body = diff;
        let mut cut = false;
        if body.len() > MAX {
            let mut end = MAX;
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            body = &body[..body[..end].rfind('\n').map_or(end, |i| i + 1)];
            cut = true;
        }
        let fence = super::escape::fence(body, "diff");
        out.push_str(&format!(
            "<details><summary>What changed in {report}</summary>\n\n{fence}\n{}\n</details>\n",
            if cut {
                "\n_(diff cut at 512 KiB)_\n"
            } else {
                ""
            }
        ));
    }
    out
}

/// The committed report's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Says what the generated report says.
    Current,
    /// Differs from it.
    Stale,
    /// Not there.
    Missing,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(area: &str, current: &str, rec: &str) -> RecommendationRow {
        RecommendationRow {
            area: area.into(),
            current: current.into(),
            recommendation: rec.into(),
            effort: "Low".into(),
        }
    }

    #[test]
    fn line_endings_and_final_newlines_do_not_make_a_report_stale() {
        assert!(same_report("a\r\nb\r\n", "a\nb\n"));
        assert!(same_report("a\nb\n\n\n", "a\nb\n"));
        assert!(same_report("a\nb", "a\nb\n"));
        assert!(!same_report("a\nb\n", "a\nc\n"));
        assert!(!same_report("a\n\nb\n", "a\nb\n"));
        assert!(matches!(normalized("a\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_row_is_known_whatever_lines_its_evidence_moved_to() {
        let committed = "# R\n\n## Recommendations\n\n| Area | Current | Recommendation | Effort |\n|------|---------|----------------|--------|\n| KV (C) | `k:{id}` read then written (src/a.ts:48) | ⚠️ Use a DO | Low |\n| Keys (t) | `t` has no key \\| none | ⚠️ Declare one | Low |\n\n## Next\n\n| Area | Current | Recommendation | x |\n";
        let b = Baseline::from_report(committed);
        assert!(b.lists(&row(
            "KV (C)",
            "`k:{id}` read then written (src/a.ts:51)",
            "⚠️ Use a DO"
        )));
        assert!(b.lists(&row("Keys (t)", "`t` has no key | none", "⚠️ Declare one")));
        assert!(!b.lists(&row(
            "KV (C)",
            "`k:{id}` read then written (src/b.ts:48)",
            "⚠️ Use a DO"
        )));
        // Rows of other sections are no baseline.
        assert!(!b.lists(&row("Area", "Current", "Recommendation")));
        assert_eq!(b.facts.len(), 4);
        // One more subject joining a row is news.
        assert!(!b.lists(&row(
            "Keys (c, t)",
            "`c` has no key; `t` has no key \\| none",
            "⚠️ Declare one"
        )));
    }

    #[test]
    fn fingerprints_are_stable_and_paths_are_uri_references() {
        assert_eq!(fingerprint(""), "cbf29ce484222325");
        assert_eq!(fingerprint("a"), fingerprint("a"));
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(uri("apps/my api/ä.ts"), "apps/my%20api/%C3%A4.ts");
    }
}
