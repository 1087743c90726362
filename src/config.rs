//! `dmqa.toml`: what the code cannot say.
//!
//! Optional, at the scanned root or given with `--config`. Unknown keys are
//! errors naming the key's line, so a typo never silently does nothing.

use anyhow::{Context, Result, anyhow};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// The parsed config.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Repo-relative paths (files or folders) to leave out of the scan.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// A template to render with instead of the embedded one, relative to
    /// the config file.
    pub template: Option<String>,
    /// Draw Mermaid diagrams (an ER diagram per database, the data flows).
    #[serde(default)]
    pub diagrams: bool,
    /// Rule ids, or `rule-id:subject`, whose rows are left out.
    #[serde(default)]
    pub silence: Vec<Spanned<String>>,
    /// `[tables.NAME]`: purpose and row estimate.
    #[serde(default)]
    pub tables: BTreeMap<String, TableConfig>,
    /// `[frequency]`: trigger → level (`"GET /v1/updates" = "Very high"`).
    #[serde(default)]
    pub frequency: BTreeMap<String, String>,
    /// `[[relationships]]`: `from = "table.column"`, `to = "table.column"`.
    #[serde(default)]
    pub relationships: Vec<RelationshipConfig>,
    /// The text and display name it was parsed from, for positions.
    #[serde(skip)]
    source: (String, String),
}

/// `[tables.NAME]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    /// One sentence.
    pub purpose: Option<String>,
    /// An order of magnitude (`10M+`).
    pub rows: Option<String>,
}

/// `[[relationships]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipConfig {
    /// `table.column` holding the reference.
    pub from: Spanned<String>,
    /// `table.column` referenced.
    pub to: Spanned<String>,
}

/// `table.column` → its two parts.
fn table_column(s: &str) -> Option<(String, String)> {
    let (t, c) = s.rsplit_once('.')?;
    (!t.is_empty() && !c.is_empty()).then(|| (t.to_owned(), c.to_owned()))
}

impl Config {
    /// Reads `path`; `display` is how the path is named in errors.
    pub fn load(path: &Path, display: &str) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("failed to read {display}"))?;
        Self::parse(&text, display)
    }

    /// Parses config text; bad values are errors at their position.
    pub fn parse(text: &str, display: &str) -> Result<Config> {
        let at = |offset: usize, msg: &str| {
            let before = text.get(..offset).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            anyhow!("{display}:{line}:{col}: {msg}")
        };
        let mut config: Config = toml::from_str(text)
            .map_err(|e| at(e.span().map_or(0, |s| s.start), e.message().trim()))?;
        for s in &config.silence {
            let rule = s.get_ref().split(':').next().unwrap_or("");
            if crate::model::RuleId::parse(rule).is_none() {
                return Err(at(
                    s.span().start,
                    &format!(
                        "unknown rule `{rule}` (rules: {})",
                        crate::model::RuleId::list()
                    ),
                ));
            }
        }
        for r in &config.relationships {
            for end in [&r.from, &r.to] {
                if table_column(end.get_ref()).is_none() {
                    return Err(at(
                        end.span().start,
                        &format!("`{}` is not `table.column`", end.get_ref()),
                    ));
                }
            }
        }
        config.source = (text.to_owned(), display.to_owned());
        Ok(config)
    }

    /// The overrides analysis applies.
    pub fn overrides(&self) -> crate::model::Overrides {
        let (text, display) = (&self.source.0, &self.source.1);
        let line_of = |offset: usize| {
            let line = text.get(..offset).unwrap_or("").matches('\n').count() + 1;
            crate::model::Location::line(display, u32::try_from(line).unwrap_or(u32::MAX))
        };
        crate::model::Overrides {
            tables: self
                .tables
                .iter()
                .map(|(name, t)| {
                    (
                        name.clone(),
                        crate::model::TableOverride {
                            purpose: t.purpose.clone(),
                            rows: t.rows.clone(),
                        },
                    )
                })
                .collect(),
            frequency: self.frequency.clone(),
            relationships: self
                .relationships
                .iter()
                .filter_map(|r| {
                    Some(crate::model::ConfiguredRelationship {
                        from: table_column(r.from.get_ref())?,
                        to: table_column(r.to.get_ref())?,
                        location: line_of(r.from.span().start),
                    })
                })
                .collect(),
            silence: self.silence.iter().map(|s| s.get_ref().clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let err =
            Config::parse("ignore = [\"legacy\"]\ntempalte = \"x\"\n", "dmqa.toml").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("dmqa.toml:2:1: unknown field `tempalte`"),
            "{msg}"
        );
        let ok = Config::parse("ignore = [\"legacy\"]", "dmqa.toml").unwrap();
        assert_eq!(ok.ignore, vec!["legacy"]);
    }

    #[test]
    fn overrides_are_read_and_bad_values_named_at_their_line() {
        let text = "silence = [\"unused-binding:AVATARS\"]\n[tables.device_pings]\npurpose = \"Pings\"\nrows = \"10M+\"\n[frequency]\n\"GET /v1/updates\" = \"Very high\"\n[[relationships]]\nfrom = \"device_pings.app_id\"\nto = \"apps.id\"\n";
        let o = Config::parse(text, "dmqa.toml").unwrap().overrides();
        assert_eq!(o.silence, vec!["unused-binding:AVATARS"]);
        assert_eq!(o.tables["device_pings"].rows.as_deref(), Some("10M+"));
        assert_eq!(o.frequency["GET /v1/updates"], "Very high");
        let r = &o.relationships[0];
        assert_eq!(
            (&r.from.0, &r.from.1, &r.to.0, &r.to.1, r.location.line),
            (
                &"device_pings".into(),
                &"app_id".into(),
                &"apps".into(),
                &"id".into(),
                8
            )
        );
        let bad_rule = Config::parse("ignore = []\nsilence = [\"no-such-rule\"]\n", "dmqa.toml");
        let msg = bad_rule.unwrap_err().to_string();
        assert!(
            msg.starts_with("dmqa.toml:2:12: unknown rule `no-such-rule`"),
            "{msg}"
        );
        let bad_end = Config::parse(
            "[[relationships]]\nfrom = \"apps\"\nto = \"orgs.id\"\n",
            "dmqa.toml",
        );
        let msg = bad_end.unwrap_err().to_string();
        assert!(
            msg.starts_with("dmqa.toml:2:8: `apps` is not `table.column`"),
            "{msg}"
        );
        let typo = Config::parse("[tables.apps]\npurpos = \"x\"\n", "dmqa.toml");
        assert!(
            typo.unwrap_err()
                .to_string()
                .starts_with("dmqa.toml:2:1: unknown field `purpos`")
        );
    }
}
