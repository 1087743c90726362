//! Parsing with tree-sitter-typescript: the TSX grammar for `.tsx`/`.jsx`,
//! the TypeScript grammar for everything else (TSX rejects `<T>x` casts,
//! TypeScript rejects JSX).

use super::index::ParsedFile;
use std::cell::RefCell;
use tree_sitter::{Language, Parser};

thread_local! {
    static PARSERS: RefCell<Option<(Parser, Parser)>> = const { RefCell::new(None) };
}

fn language(tsx: bool) -> Language {
    if tsx {
        tree_sitter_typescript::LANGUAGE_TSX.into()
    } else {
        tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()
    }
}

/// Parses `src`; `None` only if the grammar cannot be loaded.
pub fn parse_source(path: &str, src: &str) -> Option<ParsedFile> {
    let tsx = path.ends_with(".tsx") || path.ends_with(".jsx");
    PARSERS.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut ts = Parser::new();
            ts.set_language(&language(false)).ok()?;
            let mut x = Parser::new();
            x.set_language(&language(true)).ok()?;
            *slot = Some((ts, x));
        }
        let (ts, x) = slot.as_mut()?;
        let parser = if tsx { x } else { ts };
        let tree = parser.parse(src, None)?;
        Some(ParsedFile {
            path: path.to_owned(),
            src: src.to_owned(),
            tree,
        })
    })
}
