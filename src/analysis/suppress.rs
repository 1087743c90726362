//! Inline suppression: a finding the team has looked at and decided to keep
//! is silenced where its evidence is, with the reason beside it.
//!
//! ```text
//! // dmqa-ignore kv-key-without-ttl: session keys are deleted on logout
//! await env.SESSIONS.put(`session:${id}`, body);
//! ```
//!
//! The comment sits on the line above one of the finding's locations (or
//! ends that line): `//` in code, `--` in SQL, `#` in TOML. Several rules
//! are separated by commas; the reason after `:` is required. A suppressed
//! finding leaves the report and `dmqa check`, and is listed with its
//! reason under `-v`; a comment naming no rule dmqa has, or giving no
//! reason, is a warning and silences nothing.

use crate::model::{Code, Diagnostic, Finding, Location, RuleId, Suppression};
use std::collections::HashMap;

/// The marker a suppression comment starts with.
const MARKER: &str = "dmqa-ignore";

/// One well-formed comment: the rules it names and why.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Comment {
    rules: Vec<RuleId>,
    reason: String,
}

/// Reads the suppression comment on `line`, if it holds one: `Ok` with the
/// rules and reason, `Err` with what is wrong with it.
fn comment(line: &str) -> Option<Result<Comment, String>> {
    let at = line.find(MARKER)?;
    // Only inside a comment: `//`, `--` or `#` before the marker.
    let before = line[..at].trim_end();
    if !["//", "--", "#", "/*"].iter().any(|c| before.ends_with(c)) {
        return None;
    }
    let rest = line[at + MARKER.len()..].trim_end().trim_end_matches("*/");
    let (names, reason) = match rest.split_once(':') {
        Some((n, r)) => (n, r.trim()),
        None => (rest, ""),
    };
    let mut rules = Vec::new();
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match RuleId::parse(name) {
            Some(r) => rules.push(r),
            None => {
                return Some(Err(format!(
                    "`{MARKER} {name}` names no rule; `dmqa rules` lists them"
                )));
            }
        }
    }
    if rules.is_empty() {
        return Some(Err(format!(
            "`{MARKER}` names no rule: write `{MARKER} RULE: reason`"
        )));
    }
    if reason.is_empty() {
        return Some(Err(format!(
            "`{MARKER}` without a reason silences nothing: write `{MARKER} {}: why`",
            rules
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Some(Ok(Comment {
        rules,
        reason: reason.to_owned(),
    }))
}

/// The suppression comments of one file, and a warning for each that is
/// malformed. Read as the file is read (before its text may be dropped).
pub fn comments(path: &str, text: &str) -> (Vec<Suppression>, Vec<Diagnostic>) {
    let mut found = (Vec::new(), Vec::new());
    if !text.contains(MARKER) {
        return found;
    }
    for (i, line) in text.lines().enumerate() {
        let Some(c) = comment(line) else { continue };
        let at = Location::line(path, u32::try_from(i + 1).unwrap_or(u32::MAX));
        match c {
            Ok(c) => found.0.push(Suppression {
                location: at,
                rules: c.rules,
                reason: c.reason,
            }),
            Err(why) => found
                .1
                .push(Diagnostic::warning(at, Code::SuppressionInvalid, why)),
        }
    }
    found
}

/// `findings` less those a comment beside their evidence silences (on a
/// location's line or the line above, naming the finding's rule); each
/// silenced one is said in an info diagnostic.
pub fn apply(
    findings: Vec<Finding>,
    suppressions: &[Suppression],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Finding> {
    if suppressions.is_empty() {
        return findings;
    }
    let by_line: HashMap<(&str, u32), &Suppression> = suppressions
        .iter()
        .map(|s| ((s.location.path.as_str(), s.location.line), s))
        .collect();
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let silencing = f.locations.iter().find_map(|l| {
            [l.line.saturating_sub(1), l.line]
                .into_iter()
                .filter_map(|line| by_line.get(&(l.path.as_str(), line)))
                .find(|s| s.rules.contains(&f.rule))
        });
        match silencing {
            Some(s) => diagnostics.push(Diagnostic::info(
                s.location.clone(),
                Code::Suppressed,
                format!("{} finding suppressed: {}", f.rule.as_str(), s.reason),
            )),
            None => kept.push(f),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_names_rules_and_a_reason() {
        let c = comment("  // dmqa-ignore kv-key-without-ttl: deleted on logout")
            .unwrap()
            .unwrap();
        assert_eq!(c.rules, vec![RuleId::parse("kv-key-without-ttl").unwrap()]);
        assert_eq!(c.reason, "deleted on logout");
        let sql = comment("-- dmqa-ignore unindexed-query, kv-key-without-ttl: tiny table")
            .unwrap()
            .unwrap();
        assert_eq!(sql.rules.len(), 2);
        let block = comment("/* dmqa-ignore unindexed-query: tiny */")
            .unwrap()
            .unwrap();
        assert_eq!(block.reason, "tiny");
    }

    #[test]
    fn a_bad_comment_is_an_error_and_prose_is_no_comment() {
        assert!(
            comment("// dmqa-ignore kv-key-without-ttl")
                .unwrap()
                .is_err()
        );
        assert!(
            comment("// dmqa-ignore no-such-rule: why")
                .unwrap()
                .is_err()
        );
        assert!(comment("// dmqa-ignore : why").unwrap().is_err());
        assert!(comment("const s = \"dmqa-ignore unindexed-query: x\";").is_none());
        assert!(comment("let x = 1;").is_none());
    }
}

#[cfg(test)]
mod applied {
    use super::*;

    #[test]
    fn comments_are_read_with_their_lines_and_bad_ones_warned() {
        let (ok, bad) = comments(
            "m.sql",
            "CREATE TABLE a (x);\n-- dmqa-ignore table-without-primary-key: a log\nCREATE TABLE b (x);\n-- dmqa-ignore nope: x\n",
        );
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].location, Location::line("m.sql", 2));
        assert_eq!(ok[0].reason, "a log");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].location.line, 4);
        assert_eq!(bad[0].code, Code::SuppressionInvalid);
        assert_eq!(comments("m.sql", "no marker here"), (vec![], vec![]));
    }
}
