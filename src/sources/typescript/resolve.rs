//! Module specifiers to files of the checkout: relative paths,
//! extension-less and `.js`-for-`.ts` specifiers, `index` files, and
//! tsconfig `paths` aliases.

use std::collections::HashSet;

/// `compilerOptions.paths` of one tsconfig: alias pattern → targets, each
/// relative to the repo root.
#[derive(Debug, Clone, Default)]
pub struct PathAliases {
    /// The folder the tsconfig is in.
    pub dir: String,
    /// `("@/*", ["src/*"])`, targets already joined with `baseUrl`.
    pub paths: Vec<(String, Vec<String>)>,
    /// `baseUrl`, when set: bare specifiers are also looked up under it
    /// (`import { db } from "schema"` → `app/schema.ts`).
    pub base_url: Option<String>,
}

/// Extensions tried, in order, for an extension-less specifier.
const EXTENSIONS: &[&str] = &[".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/// Resolves module specifiers to files of the checkout: relative paths,
/// extension-less and `.js`-for-`.ts` specifiers, `index` files, and
/// tsconfig `paths` aliases (the nearest tsconfig above the importer).
pub struct Resolver {
    paths: HashSet<String>,
    aliases: Vec<PathAliases>,
}

impl Resolver {
    /// A resolver over `paths` (every TypeScript file of the checkout).
    pub fn new(paths: impl IntoIterator<Item = String>, aliases: Vec<PathAliases>) -> Self {
        Resolver {
            paths: paths.into_iter().collect(),
            aliases,
        }
    }

    /// The file `specifier` names when imported from `from`.
    pub fn resolve(&self, from: &str, specifier: &str) -> Option<&str> {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let mut bases: Vec<String> = Vec::new();
        if specifier.starts_with('.') {
            bases.push(super::super::path_join_keep(dir, specifier));
        } else if let Some(a) = self
            .aliases
            .iter()
            .filter(|a| a.dir.is_empty() || from.starts_with(&format!("{}/", a.dir)))
            .max_by_key(|a| a.dir.len())
        {
            for (pattern, targets) in &a.paths {
                let rest = match pattern.strip_suffix('*') {
                    Some(prefix) => specifier.strip_prefix(prefix),
                    None => (specifier == pattern).then_some(""),
                };
                if let Some(rest) = rest {
                    bases.extend(targets.iter().map(|t| t.replace('*', rest)));
                }
            }
            if let Some(base) = &a.base_url {
                bases.push(super::super::path_join(base, specifier));
            }
        }
        bases.iter().find_map(|b| self.find(b))
    }

    fn find(&self, base: &str) -> Option<&str> {
        candidates(base)
            .into_iter()
            .find_map(|c| self.paths.get(&c).map(String::as_str))
    }

    /// A file read from around the scanned folder joins the files
    /// specifiers resolve to.
    pub fn add(&mut self, path: String) {
        self.paths.insert(path);
    }

    /// Where a relative `specifier` imported from `from` leads when that
    /// is above the scanned folder: the files it may name, in the order
    /// tried.
    pub fn outside(&self, from: &str, specifier: &str) -> Vec<String> {
        if !specifier.starts_with('.') {
            return Vec::new();
        }
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let base = super::super::path_join_keep(dir, specifier);
        if !base.starts_with("../") {
            return Vec::new();
        }
        candidates(&base)
    }
}

/// The files an import of `base` may name: itself, with each extension
/// (`./schema.js` is `./schema.ts` in ESM TypeScript), or its `index`.
fn candidates(base: &str) -> Vec<String> {
    let stem = [".js", ".jsx", ".mjs", ".cjs"]
        .iter()
        .find_map(|e| base.strip_suffix(e))
        .unwrap_or(base);
    std::iter::once(base.to_owned())
        .chain(EXTENSIONS.iter().map(|e| format!("{stem}{e}")))
        .chain(EXTENSIONS.iter().map(|e| format!("{base}/index{e}")))
        .collect()
}
