//! Markdown escaping for everything a checkout names: no table name, key,
//! comment or queue can add a heading, a row, a list item, raw HTML or an
//! HTML comment to the report, or close a code block early; characters a
//! reader cannot see are shown (`us\u{200b}ers`).
//!
//! The view's own Markdown (backtick code spans around names, `**bold**`)
//! passes through: inline text is split into code spans the way CommonMark
//! splits it, and only the text outside them is HTML-escaped (inside a
//! code span `<` is already literal).

/// One line of inline Markdown: line breaks and tabs become spaces,
/// invisible characters are shown, and outside code spans a `<` that could
/// open HTML (before a letter, `/`, `!` or `?`) becomes `&lt;`: no raw
/// HTML, no `<!--` hiding the rest of the report, while `a <= 0` stays as
/// written.
pub fn inline(s: &str) -> String {
    let one_line = s.replace("\r\n", " ").replace(['\n', '\r', '\t'], " ");
    let shown = crate::unicode::shown(&one_line, false);
    let mut out = String::with_capacity(shown.len());
    for (code, part) in spans(&shown) {
        if code {
            out.push_str(part);
        } else {
            let mut chars = part.chars().peekable();
            while let Some(c) = chars.next() {
                let opens_html = c == '<'
                    && chars
                        .peek()
                        .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'));
                if opens_html {
                    out.push_str("&lt;");
                } else {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// A Markdown table cell: [`inline`], and `|` escaped (GFM splits cells on
/// a pipe even inside a code span).
pub fn cell(s: &str) -> String {
    inline(s).replace('|', "\\|")
}

/// A fenced code block around `body`: a fence longer than any backtick
/// run in it, so nothing inside can close it.
pub fn fence(body: &str, lang: &str) -> String {
    let body = crate::unicode::shown(body, true);
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat((longest + 1).max(3));
    format!("{ticks}{lang}\n{}\n{ticks}", body.trim_end_matches('\n'))
}

/// `s` split into (is code span, text) parts as CommonMark reads it: a run
/// of N backticks opens a span that the next run of exactly N closes; an
/// unclosed run, or a backtick after a backslash, is literal text.
fn spans(s: &str) -> Vec<(bool, &str)> {
    let b = s.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'`' => {
                let run = b[i..].iter().take_while(|&&c| c == b'`').count();
                let close = find_run(b, i + run, run);
                match close {
                    Some(end) => {
                        if start < i {
                            parts.push((false, &s[start..i]));
                        }
                        parts.push((true, &s[i..end + run]));
                        i = end + run;
                        start = i;
                    }
                    None => i += run,
                }
            }
            _ => i += 1,
        }
    }
    if start < s.len() {
        parts.push((false, &s[start..]));
    }
    parts
}

/// Where the next run of exactly `n` backticks at or after `from` starts.
fn find_run(b: &[u8], from: usize, n: usize) -> Option<usize> {
    let mut i = from;
    while i < b.len() {
        if b[i] == b'`' {
            let run = b[i..].iter().take_while(|&&c| c == b'`').count();
            if run == n {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_outside_code_spans_is_inert_and_code_spans_stay_literal() {
        assert_eq!(inline("<!-- x -->"), "&lt;!-- x -->");
        assert_eq!(inline("<img src=x onerror=y>"), "&lt;img src=x onerror=y>");
        assert_eq!(inline("</table><?php"), "&lt;/table>&lt;?php");
        assert_eq!(inline("`WHERE a < ?` on <b>"), "`WHERE a < ?` on &lt;b>");
        // A comparison is not HTML.
        assert_eq!(
            inline("CHECK (a <= 0 AND b < 1)"),
            "CHECK (a <= 0 AND b < 1)"
        );
        // An unclosed backtick is text: what follows is escaped.
        assert_eq!(inline("a`b <c"), "a`b &lt;c");
        // An escaped backtick opens nothing.
        assert_eq!(inline("\\`<x>`"), "\\`&lt;x>`");
        // Runs must match in length.
        assert_eq!(inline("``a`<b>``"), "``a`<b>``");
    }

    #[test]
    fn a_name_cannot_add_a_line_or_a_cell() {
        let injected = "x\n\n## Recommendations\n\n| fake |";
        assert_eq!(cell(injected), "x  ## Recommendations  \\| fake \\|");
        assert!(!inline(injected).contains('\n'));
        assert_eq!(inline("q|\r\n## injected"), "q| ## injected");
    }

    #[test]
    fn invisible_characters_are_shown() {
        assert_eq!(inline("us\u{200b}ers"), "us\\u{200b}ers");
        assert_eq!(inline("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(inline("tab\there"), "tab here");
        assert_eq!(inline("bell\u{7}"), "bell\\u{7}");
        // An emoji's variation selector is part of it; after a letter it
        // hides.
        assert_eq!(inline("⚠️ Fix"), "⚠️ Fix");
        assert_eq!(inline("users\u{fe0f}"), "users\\u{fe0f}");
    }

    #[test]
    fn a_fence_outlasts_any_backtick_run_inside() {
        assert_eq!(fence("{ a: 1 }", "json"), "```json\n{ a: 1 }\n```");
        let hostile = "x\n```\n## Injected\n````";
        let block = fence(hostile, "");
        assert!(
            block.starts_with("`````\n") && block.ends_with("\n`````"),
            "{block}"
        );
    }
}
