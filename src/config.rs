//! `dmqa.toml`: what the code cannot say.
//!
//! Optional, at the scanned root or given with `--config`. Unknown keys are
//! errors naming the key's line, so a typo never silently does nothing.

use anyhow::{Context, Result, anyhow};
use serde::Deserialize;
use std::path::Path;

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
}

impl Config {
    /// Reads `path`; `display` is how the path is named in errors.
    pub fn load(path: &Path, display: &str) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("failed to read {display}"))?;
        Self::parse(&text, display)
    }

    /// Parses config text.
    pub fn parse(text: &str, display: &str) -> Result<Config> {
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let before = text.get(..offset).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            anyhow!("{display}:{line}:{col}: {}", e.message().trim())
        })
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
}
