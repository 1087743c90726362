//! Characters a reader cannot see: what makes `users` and `us\u{200b}ers`
//! look alike. The report shows them (`render::escape`); a rule names
//! the names that hold them.

/// Whether `c` renders as nothing or reorders the text around it: control
/// characters, zero-width and joiner characters, bidirectional controls,
/// tag characters and other format characters.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// A variation selector, which picks a glyph for the character before it
/// (`⚠️` is `⚠` and U+FE0F).
fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Whether `c`, after `before`, is hidden from a reader: an invisible
/// character, or a variation selector after ASCII (where it selects
/// nothing).
pub fn hidden(before: Option<char>, c: char) -> bool {
    if is_variation_selector(c) {
        before.is_none_or(|b| b.is_ascii())
    } else {
        is_invisible(c)
    }
}

/// Whether `s` holds a character [`hidden`] from a reader.
pub fn has_hidden(s: &str) -> bool {
    let mut before = None;
    s.chars().any(|c| {
        let h = hidden(before, c);
        before = Some(c);
        h
    })
}

/// `s` as a reader sees it: its hidden characters removed.
pub fn seen(s: &str) -> String {
    let mut before = None;
    s.chars()
        .filter(|&c| {
            let keep = !hidden(before, c);
            before = Some(c);
            keep
        })
        .collect()
}

/// `s` with every invisible character written as `\u{…}`; newlines and
/// tabs kept when `keep_lines` (inside a code block).
pub fn shown(s: &str, keep_lines: bool) -> String {
    if !has_hidden(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut before = None;
    for c in s.chars() {
        let hidden = hidden(before, c) && !(keep_lines && matches!(c, '\n' | '\t'));
        if hidden {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
        before = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_found_and_removed() {
        assert!(has_hidden("us\u{200b}ers") && seen("us\u{200b}ers") == "users");
        assert!(has_hidden("a\u{202e}b") && has_hidden("users\u{fe0f}"));
        assert!(!has_hidden("⚠️ café 表"));
        assert_eq!(seen("⚠️"), "⚠️");
        assert_eq!(shown("a\nb\u{feff}", true), "a\nb\\u{feff}");
        assert_eq!(shown("a\nb\u{1b}[31m", false), "a\\u{a}b\\u{1b}[31m");
    }
}
