//! Markdown rendering: the model's view through a minijinja template.
//!
//! Owns the template environment (strict undefined, no auto-escaping, the
//! `cell` filter) and the embedded default template. It computes nothing:
//! `view.rs` words the model's facts, the template lays them out.

pub mod view;

use crate::model::Model;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

/// The default template, embedded in the binary.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../templates/data-model-qa.md.j2");

/// Escapes a value for a Markdown table cell: `|` would end the cell and a
/// newline the row.
pub fn cell(value: String) -> String {
    let one_line = value.replace("\r\n", " ").replace(['\n', '\r'], " ");
    one_line.replace('|', "\\|")
}

/// Renders `model` with `template` (the default when `None`).
pub fn render(model: &Model, template: Option<&str>) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.add_filter("cell", cell);
    env.add_template("data-model-qa.md", template.unwrap_or(DEFAULT_TEMPLATE))?;
    let view = view::build(model);
    let out = env
        .get_template("data-model-qa.md")?
        .render(minijinja::value::Serde(&view))?;
    Ok(format!("{}\n", out.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_escapes_pipes_and_newlines() {
        assert_eq!(cell("a | b\nc".into()), "a \\| b c");
    }

    /// Every table header in the template is followed by a separator row
    /// with as many dashes as each header cell is wide (with its spaces).
    #[test]
    fn separator_rows_match_their_headers() {
        let lines: Vec<&str> = DEFAULT_TEMPLATE.lines().collect();
        let mut checked = 0;
        for pair in lines.windows(2) {
            let (head, sep) = (pair[0], pair[1]);
            if head.starts_with("| ") && !head.contains("{{") && sep.starts_with("|-") {
                let want: Vec<usize> = head
                    .trim_matches('|')
                    .split('|')
                    .map(|c| c.chars().count())
                    .collect();
                let got: Vec<usize> = sep.trim_matches('|').split('|').map(str::len).collect();
                assert_eq!(want, got, "{head}");
                checked += 1;
            }
        }
        assert_eq!(checked, 10);
    }

    #[test]
    fn empty_model_has_every_section_in_order() {
        let out = render(&Model::default(), None).unwrap();
        let headings: Vec<&str> = out.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            headings,
            vec![
                "# Data Model",
                "## Tables Summary",
                "## R2 Storage",
                "## KV Namespaces",
                "## Queue Messages",
                "## Durable Objects",
                "## Data Flow Diagram",
                "## Recommendations"
            ]
        );
        assert_eq!(out.matches("_None found._").count(), 7);
        assert!(!out.contains("\n\n\n"));
    }

    #[test]
    fn a_misspelled_field_fails() {
        let err = render(&Model::default(), Some("{{ summary_rows }}")).unwrap_err();
        assert!(err.to_string().contains("undefined"), "{err}");
    }
}
