//! The bounds a Rust file must keep before syn parses it: syn recurses on
//! nesting, so files nested too deep or with statements too long are
//! skipped with `rust-too-deep`.

/// Deeper bracket nesting than this is no hand-written Rust.
pub(crate) const MAX_NESTING: usize = 256;

/// A longer run without `;`, `{` or `}` is no hand-written statement (a
/// 20,000-link method chain or operator chain would be).
const MAX_STATEMENT: usize = 32 * 1024;

/// Why a file is beyond what syn is trusted to recurse through, if it is.
pub(crate) fn too_deep(text: &str) -> Option<String> {
    if nesting(text) > MAX_NESTING {
        return Some(format!("brackets nest more than {MAX_NESTING} deep"));
    }
    let longest = text.split([';', '{', '}']).map(str::len).max().unwrap_or(0);
    (longest > MAX_STATEMENT)
        .then(|| format!("a statement runs {longest} bytes, over the {MAX_STATEMENT} byte bound"))
}

/// The deepest `(` `[` `{` nesting of `text` (strings and comments are not
/// told apart: a bound, not a parse).
pub(crate) fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}
