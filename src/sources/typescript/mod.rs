//! TypeScript / JavaScript → the code index, and from it Drizzle schemas.
//!
//! Files are parsed only when they can matter: a cheap byte prefilter picks
//! the files that mention what a reader looks for, and every module those
//! files import (transitively) is parsed too, so a barrel or a helper is
//! never missed. Each file is parsed once.

mod bindings;
mod drizzle;
pub mod fold;
pub mod index;
mod parse;
pub mod syntax;

use crate::model::{Diagnostic, DrizzleConfig, Location, Model};
use crate::scan::SourceFile;
use index::{CodeIndex, ParsedFile, PathAliases, Resolver};
use std::collections::{BTreeSet, HashMap};

/// Words a file must contain (as bytes) to be parsed as a starting point:
/// Drizzle schemas and clients, and code reaching bindings (`env.X`,
/// `env[…]`, destructured `env`, binding types in `Env` interfaces).
const NEEDLES: &[&str] = &[
    "drizzle",
    "env",
    "R2Bucket",
    "KVNamespace",
    "D1Database",
    "DurableObject",
];

/// Whether `path` is a drizzle-kit config.
fn is_drizzle_config(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with("drizzle.config.")
}

/// Reads `compilerOptions.baseUrl` / `paths` of a tsconfig.
pub fn tsconfig_aliases(file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<PathAliases> {
    let opts = jsonc_parser::ParseOptions::default();
    let value: serde_json::Value = match jsonc_parser::parse_to_serde_value(&file.text, &opts) {
        Ok(v) => v,
        Err(e) => {
            diags.push(Diagnostic::warning(
                Location::at(
                    &file.path,
                    u32::try_from(e.line_display()).unwrap_or(1),
                    u32::try_from(e.column_display()).unwrap_or(1),
                ),
                "config-parse-error",
                format!(
                    "cannot parse this tsconfig ({}); its path aliases are not used",
                    e.kind()
                ),
            ));
            return None;
        }
    };
    let dir = file.path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
    let co = value.get("compilerOptions")?;
    let base = co
        .get("baseUrl")
        .and_then(|b| b.as_str())
        .map_or_else(|| dir.clone(), |b| super::path_join(&dir, b));
    let paths = co
        .get("paths")
        .and_then(|p| p.as_object())
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let targets = v
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|t| t.as_str())
                                .map(|t| super::path_join(&base, t))
                                .collect()
                        })
                        .unwrap_or_default();
                    (k.clone(), targets)
                })
                .collect()
        })
        .unwrap_or_default();
    Some(PathAliases { dir, paths })
}

/// Parses what matters, indexes it and reads Drizzle schemas into `model`.
/// Returns the drizzle configs (SQL planning needs their `out` folders).
pub fn extract(ts: &[&SourceFile], aliases: Vec<PathAliases>, model: &mut Model) {
    let by_path: HashMap<&str, &SourceFile> = ts.iter().map(|f| (f.path.as_str(), *f)).collect();
    let resolver = Resolver::new(ts.iter().map(|f| f.path.clone()), aliases);
    let mut wanted: BTreeSet<&str> = ts
        .iter()
        .filter(|f| is_drizzle_config(&f.path) || NEEDLES.iter().any(|n| f.text.contains(n)))
        .map(|f| f.path.as_str())
        .collect();
    let mut parsed: Vec<ParsedFile> = Vec::new();
    let mut queue: Vec<&str> = wanted.iter().copied().collect();
    while let Some(path) = queue.pop() {
        let Some(file) = by_path.get(path) else {
            continue;
        };
        let Some(p) = parse::parse_source(&file.path, &file.text) else {
            continue;
        };
        for spec in specifiers(&p) {
            if let Some(target) = resolver.resolve(path, &spec)
                && let Some((k, _)) = by_path.get_key_value(target)
                && wanted.insert(k)
            {
                queue.push(k);
            }
        }
        parsed.push(p);
    }
    parsed.sort_by(|a, b| a.path.cmp(&b.path));
    for p in &parsed {
        report_syntax_errors(p, &mut model.diagnostics);
    }
    let index = CodeIndex::new(&parsed, resolver);
    let configs: Vec<DrizzleConfig> = index
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| is_drizzle_config(f.path))
        .filter_map(|(i, _)| drizzle::config(&index, i))
        .collect();
    let facts = drizzle::extract(&index, &configs, &mut model.diagnostics);
    model.orm_tables.extend(facts.tables);
    model.orm_relations.extend(facts.relations);
    model.drizzle_configs.extend(configs);
    model.code_bindings = bindings::code_bindings(&index);
    bindings::extract(&index, model);
    model.message_types = bindings::message_types(&index);
}

/// Module specifiers a file imports or re-exports from.
fn specifiers(p: &ParsedFile) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in syntax::children(p.tree.root_node()) {
        if matches!(stmt.kind(), "import_statement" | "export_statement")
            && let Some(s) = stmt
                .child_by_field_name("source")
                .and_then(|s| syntax::string_value(s, &p.src))
        {
            out.push(s);
        }
    }
    out
}

/// Valid TypeScript the 0.23 grammar does not know, which dmqa reads
/// correctly anyway, so it is not worth a warning: generic tagged
/// templates (`` sql<T[]>`…` `` parse as a call with a missing `!`) and
/// `export type * from "…"` (an ERROR inside an export with its source).
fn known_grammar_gap(n: tree_sitter::Node<'_>, src: &str) -> bool {
    let Some(parent) = n.parent() else {
        return false;
    };
    if n.is_missing() && parent.kind() == "non_null_expression" {
        return parent
            .named_child(0)
            .is_some_and(|c| c.kind() == "instantiation_expression");
    }
    n.is_error()
        && parent.kind() == "export_statement"
        && parent.child_by_field_name("source").is_some()
        && syntax::text(parent, src).starts_with("export type")
}

/// One warning per file whose tree has ERROR or MISSING nodes, at the first
/// one: facts around it may be incomplete.
fn report_syntax_errors(p: &ParsedFile, diags: &mut Vec<Diagnostic>) {
    let root = p.tree.root_node();
    if !root.has_error() {
        return;
    }
    let mut first = None;
    syntax::walk(root, |n| {
        if first.is_none() && (n.is_error() || n.is_missing()) && !known_grammar_gap(n, &p.src) {
            first = Some(n);
        }
    });
    if let Some(n) = first {
        diags.push(Diagnostic::warning(
            syntax::location(&p.path, n),
            "ts-syntax-error",
            "this part of the file does not parse; dmqa read the rest",
        ));
    }
}
