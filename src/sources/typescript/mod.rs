//! TypeScript / JavaScript → the code index, and from it Drizzle schemas.
//!
//! Files are parsed only when they can matter: a cheap byte prefilter picks
//! the files that mention what a reader looks for, and every module those
//! files import (transitively) is parsed too, so a barrel or a helper is
//! never missed. Each file is parsed once.

mod bindings;
mod callgraph;
mod clock;
mod commands;
mod drizzle;
mod drizzle_queries;
mod durable;
pub mod fold;
pub mod index;
mod loops;
mod parse;
pub mod resolve;
mod rmw;
mod routes;
pub mod syntax;

use crate::model::{Diagnostic, DrizzleConfig, Model};
use crate::scan::SourceFile;
use crate::sources::typescript::parse::NodeKind;
use index::{CodeIndex, ParsedFile};
use rayon::prelude::*;
use resolve::{PathAliases, Resolver};
use std::collections::{BTreeSet, HashMap};

/// Words that make a file worth parsing as a starting point: Drizzle
/// schemas and clients, binding types in `Env` interfaces, Durable
/// Objects, queue consumers, the `cloudflare:workers` env import.
const NEEDLES: &[&str] = &[
    "drizzle",
    "R2Bucket",
    "KVNamespace",
    "D1Database",
    "DurableObject",
    "MessageBatch",
    "cloudflare:workers",
    // Reads of an Analytics Engine dataset through the SQL API.
    "analytics_engine/sql",
    // Query builders that name tables as strings.
    "kysely",
    "Kysely",
    "PrismaClient",
    "workers-qb",
];

/// Whether `text` reaches into a Worker `env`: `env.X` / `env[…]` /
/// `c.env.X`, but not `process.env.X` or `import.meta.env.X`. A cheap byte
/// scan, run before any parse.
fn mentions_env(text: &str) -> bool {
    text.match_indices("env").any(|(i, _)| env_read_at(text, i))
}

/// Whether the `env` at byte `i` of `text` is a Worker `env` being read
/// (`env.X`, `env[…]`, `c.env.X`), not part of a longer name or
/// `process.env` / `import.meta.env`.
fn env_read_at(text: &str, i: usize) -> bool {
    let bytes = text.as_bytes();
    if !matches!(bytes.get(i + 3), Some(b'.' | b'[')) {
        return false;
    }
    match i.checked_sub(1).and_then(|j| bytes.get(j)) {
        Some(b) if b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$' => false,
        Some(b'.') => {
            let head = text.get(..i - 1).unwrap_or("");
            !(head.ends_with("process") || head.ends_with("meta"))
        }
        _ => true,
    }
}

/// One pass over a file for everything that makes it a starting point:
/// [`NEEDLES`], a Worker `env` read, or a binding name as a whole word.
struct Prefilter {
    automaton: aho_corasick::AhoCorasick,
}

impl Prefilter {
    fn new(binding_names: &[String]) -> Option<Self> {
        let patterns = NEEDLES
            .iter()
            .map(|n| (*n).to_owned())
            .chain(std::iter::once("env".to_owned()))
            .chain(binding_names.iter().cloned())
            // Framework accessors that read a binding by name: whole words.
            .chain(
                crate::cloudflare::ACCESSORS
                    .iter()
                    .map(|a| a.function.to_owned()),
            );
        // Leftmost-longest, not overlapping: the fast search, and no match
        // is lost — every pattern but `cloudflare:workers` (always a hit) is
        // an identifier, so a match that fails its word check cannot hide
        // a whole-word match starting inside it, and of `DB` and `DB_URL`
        // at one place the longer is the one reported.
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(patterns)
            .ok()
            .map(|automaton| Prefilter { automaton })
    }

    fn matches(&self, text: &str) -> bool {
        self.automaton.find_iter(text).any(|m| {
            let p = m.pattern().as_usize();
            if p < NEEDLES.len() {
                true
            } else if p == NEEDLES.len() {
                env_read_at(text, m.start())
            } else {
                whole_word_at(text, m.start(), m.end())
            }
        })
    }
}

/// Test files are not the data model (and their `env.KV.put("test-key")`
/// calls would read as key patterns).
fn is_test(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    // `*.test-d.ts`: vitest / tsd type tests.
    [".test.", ".spec.", ".test-d.", ".spec-d."]
        .iter()
        .any(|t| name.contains(t))
        || super::in_test_dir(path)
}

/// Whether `text` names `word` as a whole word (`this.DB`, `DB.prepare`,
/// `(DB)`), not inside a longer identifier (`DBG`, `myDB`).
fn mentions_word(text: &str, word: &str) -> bool {
    text.match_indices(word)
        .any(|(i, _)| whole_word_at(text, i, i + word.len()))
}

/// Whether `text[start..end]` is a whole identifier: no identifier
/// character right before or after it.
pub(crate) fn whole_word_at(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let ident =
        |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$');
    !ident(start.checked_sub(1).and_then(|j| bytes.get(j))) && !ident(bytes.get(end))
}

/// Whether a file is parsed as a starting point: a module a file-routing
/// convention serves (`app/routes/api.users.tsx`, even when it only calls
/// helpers that reach the bindings), or one that mentions what a reader
/// looks for, or a binding the Workers declare (code that is handed a
/// binding, `constructor(DB) { this.DB = DB }`, never says `env`).
fn is_seed(f: &SourceFile, prefilter: Option<&Prefilter>, binding_names: &[String]) -> bool {
    if is_drizzle_config(&f.path) {
        return true;
    }
    !is_test(&f.path)
        && (routes::FileRoute::of(&f.path).is_some() || {
            let text = own_text(f);
            match prefilter {
                Some(p) => p.matches(text),
                None => {
                    NEEDLES.iter().any(|n| text.contains(n))
                        || mentions_env(text)
                        || binding_names.iter().any(|b| mentions_word(text, b))
                        || crate::cloudflare::ACCESSORS
                            .iter()
                            .any(|a| mentions_word(text, a.function))
                }
            }
        })
}

/// The part of a file that is the project's own: in a declaration file
/// `wrangler types` wrote, what comes before its `// Begin runtime types`
/// marker (the project's `Env`), not the half megabyte of runtime types
/// after it.
fn own_text(f: &SourceFile) -> &str {
    if f.path.ends_with(".d.ts")
        && let Some(at) = f.text.find("\n// Begin runtime types")
    {
        return &f.text[..at];
    }
    &f.text
}

/// Modules larger than this are named and not parsed: no hand-written
/// Worker module is this large, and tree-sitter plus the index spend
/// seconds on a generated one (an 8 MB file of 300,000 statements: ~6 s).
const MAX_PARSE_BYTES: usize = 2 * 1024 * 1024;

/// How many imports away from a starting file a module is still parsed:
/// enough for `route → helper → key builder → constants`, or
/// `client → barrel → schema → shared columns`.
const MAX_IMPORT_HOPS: u32 = 3;

/// Whether `path` is a JSX module (`.tsx`, `.jsx`).
fn is_component(path: &str) -> bool {
    path.ends_with(".tsx") || path.ends_with(".jsx")
}

/// Whether `path` is a drizzle-kit config.
fn is_drizzle_config(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with("drizzle.config.")
}

/// Reads `compilerOptions.baseUrl` / `paths` of a tsconfig.
pub fn tsconfig_aliases(file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<PathAliases> {
    let value = super::read_jsonc(file, "its path aliases are not used", diags)?;
    let dir = file.path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
    let co = value.get("compilerOptions")?;
    let base_url = co
        .get("baseUrl")
        .and_then(|b| b.as_str())
        .map(|b| super::path_join(&dir, b));
    let base = base_url.clone().unwrap_or_else(|| dir.clone());
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
    Some(PathAliases {
        dir,
        paths,
        base_url,
    })
}

/// Parses what matters, indexes it and reads Drizzle schemas into `model`.
/// Returns the drizzle configs (SQL planning needs their `out` folders).
/// Which files are starting points, for the Workers' binding names.
pub struct Seeds {
    binding_names: Vec<String>,
    prefilter: Option<Prefilter>,
    /// The Workers' `main` modules: where their routes are registered,
    /// whether or not the file itself names a binding.
    mains: BTreeSet<String>,
}

impl Seeds {
    pub fn new(workers: &[crate::model::Worker]) -> Self {
        let mut binding_names: Vec<String> = workers
            .iter()
            .flat_map(|w| &w.bindings)
            .filter(|b| b.kind != crate::model::BindingKind::Var)
            .map(|b| b.name.clone())
            .collect();
        binding_names.sort();
        binding_names.dedup();
        let prefilter = Prefilter::new(&binding_names);
        let mains = workers.iter().filter_map(|w| w.main.clone()).collect();
        Seeds {
            binding_names,
            prefilter,
            mains,
        }
    }

    /// Whether `f` is parsed as a starting point (a deferred file, whose
    /// text was dropped because it is not one, never is). A Worker's
    /// `main` is one even when it only calls helpers that reach the
    /// bindings.
    pub fn is_seed(&self, f: &SourceFile) -> bool {
        f.deferred.is_none()
            && (self.mains.contains(&f.path)
                || is_seed(f, self.prefilter.as_ref(), &self.binding_names))
    }
}

pub fn extract(
    ts: &[&SourceFile],
    aliases: Vec<PathAliases>,
    packages: Vec<resolve::Package>,
    around: Option<&crate::scan::Enclosing>,
    model: &mut Model,
) {
    let by_path: HashMap<&str, &SourceFile> = ts.iter().map(|f| (f.path.as_str(), *f)).collect();
    let dirs: Vec<String> = packages.iter().map(|p| p.dir.clone()).collect();
    let pushing: Vec<resolve::Package> = packages
        .iter()
        .filter(|p| !p.pushed_configs.is_empty())
        .cloned()
        .collect();
    let named = packages
        .into_iter()
        .filter(|p| !p.name.is_empty())
        .collect();
    let mut resolver =
        Resolver::new(ts.iter().map(|f| f.path.clone()), aliases).with_packages(named);
    let seeds = Seeds::new(&model.workers);
    let mut wanted: BTreeSet<String> = ts
        .par_iter()
        .filter(|f| seeds.is_seed(f))
        .map(|f| f.path.clone())
        .collect();
    // Files imported from around the scanned folder (`../../shared/x.ts`),
    // read as the imports reach them.
    let mut outside: HashMap<String, SourceFile> = HashMap::new();
    let mut parsed: Vec<ParsedFile> = Vec::new();
    // Breadth-first over imports, a bounded number of hops from a seed:
    // helpers, barrels and constant modules a fact is built from sit close
    // to the file using them; the rest of a large program does not. Each
    // level is parsed in parallel (a parser per thread).
    let mut level: Vec<String> = wanted.iter().cloned().collect();
    for hops in 0..=MAX_IMPORT_HOPS {
        if level.is_empty() {
            break;
        }
        let batch: Vec<Result<(ParsedFile, Vec<String>), Diagnostic>> = level
            .par_iter()
            .filter_map(|path| {
                let file = by_path
                    .get(path.as_str())
                    .copied()
                    .or_else(|| outside.get(path))?;
                // A file imported but not kept at the walk: read it now.
                let reread;
                let file = match &file.deferred {
                    Some(abs) => {
                        let text = crate::scan::read_text(abs, &mut Vec::new()).ok()?.text;
                        reread = SourceFile::new(file.path.as_str(), file.kind, text);
                        &reread
                    }
                    None => file,
                };
                let text = own_text(file);
                if text.len() > MAX_PARSE_BYTES {
                    return Some(Err(Diagnostic::warning(
                        crate::model::Location::line(&file.path, 1),
                        crate::model::Code::TsTooLarge,
                        format!(
                            "not parsed: {} bytes of code is over the {MAX_PARSE_BYTES} byte limit for a module dmqa parses (a generated bundle or table?)",
                            text.len()
                        ),
                    )));
                }
                let p = parse::parse_source(&file.path, text)?;
                let specs = specifiers(&p);
                Some(Ok((p, specs)))
            })
            .collect();
        let batch: Vec<(ParsedFile, Vec<String>)> = batch
            .into_iter()
            .filter_map(|r| r.map_err(|d| model.diagnostics.push(d)).ok())
            .collect();
        let mut next = Vec::new();
        for (p, specs) in batch {
            let page = routes::FileRoute::of(&p.path).is_some_and(|r| r.is_page());
            if hops < MAX_IMPORT_HOPS {
                for spec in specs {
                    let mut target = resolver.resolve(&p.path, &spec).map(str::to_owned);
                    // Not here: maybe in the checkout around the folder.
                    if target.is_none()
                        && let Some(around) = around
                        && outside.len() < crate::scan::MAX_ENCLOSING_FILES
                    {
                        target = read_outside(
                            around,
                            &mut resolver,
                            &mut outside,
                            &p.path,
                            &spec,
                            model,
                        );
                    }
                    // A page's `.tsx` / `.jsx` imports are its UI
                    // components; what it reads data with sits in plain
                    // modules (a component that reaches a binding itself
                    // is a seed).
                    if let Some(target) = target
                        && !(page && is_component(&target))
                        && wanted.insert(target.clone())
                    {
                        next.push(target);
                    }
                }
            }
            parsed.push(p);
        }
        next.sort_unstable();
        level = next;
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
        .map(|mut c| {
            let (dir, file) = c
                .location
                .path
                .rsplit_once('/')
                .unwrap_or(("", c.location.path.as_str()));
            c.pushed = pushing.iter().any(|p| p.dir == dir && p.pushes(file));
            c
        })
        .collect();
    let mut facts = drizzle::extract(&index, &configs, &mut model.diagnostics);
    let drizzle_tables = std::mem::take(&mut facts.by_decl);
    model.orm_tables.extend(facts.tables);
    model.orm_relations.extend(facts.relations);
    model.drizzle_configs.extend(configs);
    model.code_bindings = bindings::code_bindings(&index);
    // One call graph for every reader of this index.
    let graph = callgraph::CallGraph::new(&index, &model.workers, &dirs);
    // Durable Object classes config names, and each class's bindings.
    let mut classes = std::collections::BTreeSet::new();
    let mut bindings_of: HashMap<String, Vec<String>> = HashMap::new();
    for w in &model.workers {
        for b in w
            .bindings
            .iter()
            .filter(|b| b.kind == crate::model::BindingKind::DurableObject)
        {
            if let Some(class) = &b.target {
                classes.insert(class.clone());
                let list = bindings_of.entry(class.clone()).or_default();
                if !list.contains(&b.name) {
                    list.push(b.name.clone());
                }
            }
        }
        classes.extend(w.live_classes());
    }
    // The binding readers and the ORM / Durable Object readers read the
    // same index and graph and write apart: side by side, their results
    // joined in the order one thread would give.
    let workers = model.workers.clone();
    let (queries, (dos, calls)) = rayon::join(
        || {
            bindings::extract(&index, &graph, model);
            commands::extract(&index, model);
            model.message_types = bindings::message_types(&index);
            model.clock_offsets.extend(clock::extract(&index));
            model.queue_handlers = bindings::queue_handlers(&index);
        },
        || {
            (
                drizzle_queries::extract(&index, &drizzle_tables, &graph),
                durable::extract(&index, &graph, &classes, &bindings_of, &workers),
            )
        },
    )
    .1;
    model.resource_ops.extend(queries);
    model.code_durable_objects = dos;
    model.resource_ops.extend(calls);
    loops::mark(&index, &mut model.resource_ops);
    rmw::mark(&index, &graph, &mut model.resource_ops);
}

/// The file a relative import leading above the scanned folder names, read
/// from the checkout around it (the import resolves nowhere here).
fn read_outside(
    around: &crate::scan::Enclosing,
    resolver: &mut Resolver,
    outside: &mut HashMap<String, SourceFile>,
    from: &str,
    spec: &str,
    model: &mut Model,
) -> Option<String> {
    for candidate in resolver.outside(from, spec) {
        let Some(read) = around.read(&candidate) else {
            continue;
        };
        let kind = crate::scan::SourceKind::TypeScript;
        let (file, note) = crate::scan::source_file(candidate.clone(), kind, read);
        model.diagnostics.extend(note);
        let f = file?;
        outside.insert(candidate.clone(), f);
        resolver.add(candidate.clone());
        return Some(candidate);
    }
    None
}

/// Module specifiers a file imports or re-exports from.
fn specifiers(p: &ParsedFile) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in syntax::children(p.tree.root_node()) {
        if matches!(stmt.kind_name(), "import_statement" | "export_statement")
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
    if n.is_missing() && parent.kind_name() == "non_null_expression" {
        return parent
            .named_child(0)
            .is_some_and(|c| c.kind_name() == "instantiation_expression");
    }
    // `type R = import("x").Runtime<Env>`: the grammar reads the import
    // type as an expression and stops at its type arguments.
    let import_alias = |alias: Option<tree_sitter::Node<'_>>| {
        alias.is_some_and(|a| {
            a.kind_name() == "type_alias_declaration"
                && a.child_by_field_name("value")
                    .is_some_and(|v| syntax::text(v, src).starts_with("import("))
        })
    };
    if (n.is_missing() && import_alias(Some(parent)))
        || (n.is_error() && import_alias(n.prev_sibling()))
    {
        return true;
    }
    n.is_error()
        && parent.kind_name() == "export_statement"
        && parent.child_by_field_name("source").is_some()
        && syntax::text(parent, src).starts_with("export type")
}

/// One warning per file whose tree has ERROR or MISSING nodes, at the first
/// one: facts around it may be incomplete.
fn report_syntax_errors(p: &ParsedFile, diags: &mut Vec<Diagnostic>) {
    let root = p.tree.root_node();
    // What `wrangler types` generates uses type forms the grammar lags on
    // (`import("./x").Y['run']`); it is not the project's code to fix.
    let generated = p.path.ends_with(".d.ts")
        && p.src
            .get(..512)
            .unwrap_or(&p.src)
            .contains("Generated by Wrangler");
    if !root.has_error() || generated {
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
            crate::model::Code::TsSyntaxError,
            "this part of the file does not parse; dmqa read the rest",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_types_with_type_arguments_are_a_known_gap() {
        let p = parse::parse_source(
            "env.d.ts",
            "type Runtime = import(\"@astrojs/cloudflare\").Runtime<Env>;\ninterface Env { DB: D1Database }\n",
        )
        .unwrap();
        let mut diags = Vec::new();
        report_syntax_errors(&p, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let broken = parse::parse_source("a.ts", "const x = ;\n").unwrap();
        report_syntax_errors(&broken, &mut diags);
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn prefilter_sees_worker_env_but_not_process_env() {
        assert!(mentions_env("await env.KV.get(k)"));
        assert!(mentions_env("c.env.DB.prepare(q)"));
        assert!(mentions_env("this.env[name]"));
        assert!(!mentions_env("const url = process.env.DATABASE_URL;"));
        assert!(!mentions_env(
            "import.meta.env.VITE_KEY; environment.x; dotenv.config()"
        ));
        assert!(is_test("src/__tests__/a.ts") && is_test("src/a.spec.ts"));
        assert!(!is_test("src/testing-utils.ts"));
        assert!(is_test("src/routing.test-d.ts"));
        assert!(mentions_word("this.DB = DB;", "DB"));
        let p = Prefilter::new(&["DB".to_owned(), "BUNDLES".to_owned()]).unwrap();
        assert!(p.matches("constructor(DB) { this.DB = DB; }"));
        assert!(p.matches("await c.env.X.get(k)"));
        assert!(p.matches("type E = { B: R2Bucket }"));
        assert!(!p.matches("const DBG = process.env.DEBUG; myDB.run(); BUNDLESS"));
        assert!(!mentions_word("const DBG = myDB;", "DB"));
        // A failed shorter match does not hide a longer whole word at the
        // same place, nor a needle right after a failed word.
        let p = Prefilter::new(&["DB".to_owned(), "DB_URL".to_owned()]).unwrap();
        assert!(p.matches("connect(DB_URL)"));
        assert!(p.matches("xDB drizzle"));
        assert!(p.matches("processenv.env.X"));
        assert!(!p.matches("DB_URLS DBX"));
    }
}
