//! Parsing with tree-sitter-typescript: the TSX grammar for `.tsx`/`.jsx`,
//! the TypeScript grammar for everything else (TSX rejects `<T>x` casts,
//! TypeScript rejects JSX).

use super::index::ParsedFile;
use std::cell::RefCell;
use tree_sitter::{Language, Node, Parser};

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

/// Node kind names by kind id, for each grammar dmqa parses with (their
/// names are static in the grammar; each is looked up once).
fn kind_names() -> &'static [(&'static Language, Vec<&'static str>)] {
    static NAMES: std::sync::OnceLock<Vec<(&'static Language, Vec<&'static str>)>> =
        std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        [false, true]
            .into_iter()
            .map(|tsx| {
                let lang: &'static Language = Box::leak(Box::new(language(tsx)));
                let names = (0..lang.node_kind_count())
                    .map(|id| {
                        u16::try_from(id)
                            .ok()
                            .and_then(|id| lang.node_kind_for_id(id))
                            .unwrap_or("")
                    })
                    .collect();
                (lang, names)
            })
            .collect()
    })
}

/// [`Node::kind`] without its per-call `strlen` and UTF-8 check: a table
/// lookup by kind id. The index and the readers ask every node its kind.
pub trait NodeKind<'t> {
    /// The node's kind (`call_expression`), as `Node::kind` gives it.
    fn kind_name(&self) -> &'t str;
}

impl<'t> NodeKind<'t> for Node<'t> {
    #[inline]
    fn kind_name(&self) -> &'t str {
        let lang = self.language();
        let id = usize::from(self.kind_id());
        for (l, names) in kind_names() {
            if **l == *lang
                && let Some(name) = names.get(id).filter(|n| !n.is_empty())
            {
                return name;
            }
        }
        self.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table gives every node the kind tree-sitter gives it, in both
    /// grammars (aliased and anonymous nodes included).
    #[test]
    fn kind_names_match_tree_sitter() {
        let src = "import { x as y } from './a';\nexport default class A extends B<C> { #p = new Map(); async *m(a?: T, ...r: U[]) { for await (const v of r) yield <T>v; } }\nconst f = (a) => a?.b ?? `t${a}`;\ntype T = { [k: string]: number } | keyof U;\nlabel: while (1) { break label; }\n";
        for path in ["a.ts", "a.tsx"] {
            let p = parse_source(path, src).unwrap();
            let mut checked = 0;
            crate::sources::typescript::syntax::walk(p.tree.root_node(), |n| {
                assert_eq!(n.kind_name(), n.kind());
                checked += 1;
            });
            assert!(checked > 100, "{checked}");
        }
    }
}
