//! The TypeScript code index: one tree-sitter parse per file, and from it
//! imports, exports, top-level declarations and call sites, with module
//! specifiers resolved to files of the checkout.
//!
//! Every TypeScript fact dmqa reports is read from this index; nothing
//! parses a file twice. The index borrows the parsed trees, so it lives
//! only while the TypeScript readers run.

use super::resolve::Resolver;
use super::syntax::{
    children, doc_comment, extended_name, heritage, location, string_value, text, unwrap_expr,
};
use crate::model::Location;
use crate::sources::typescript::parse::NodeKind;
use std::collections::{BTreeMap, HashMap};
use tree_sitter::{Node, Tree};

/// A parsed file: its path, text and tree.
pub struct ParsedFile {
    /// Repo-relative path.
    pub path: String,
    /// Source text.
    pub src: String,
    /// The syntax tree.
    pub tree: Tree,
}

/// What an import binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// `import { name } from …` (or `name as local`).
    Named(String),
    /// `import local from …`.
    Default,
    /// `import * as local from …`.
    Namespace,
}

/// One imported binding.
#[derive(Debug, Clone)]
pub struct Import {
    /// The local name.
    pub local: String,
    /// What it refers to in the other module.
    pub imported: Imported,
    /// The module specifier as written.
    pub specifier: String,
    /// Where.
    pub location: Location,
}

/// One export.
#[derive(Debug, Clone)]
pub enum Export {
    /// `export const x` / `export { local as name }`.
    Local { name: String, local: String },
    /// `export { name as alias } from "…"`.
    From {
        name: String,
        imported: Imported,
        specifier: String,
    },
    /// `export * from "…"`.
    Star { specifier: String },
}

/// The kind of a top-level declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    /// `const` / `let` / `var`.
    Variable,
    /// `function`.
    Function,
    /// `class`.
    Class,
    /// `interface`.
    Interface,
    /// `type`.
    TypeAlias,
}

/// A top-level declaration.
#[derive(Debug, Clone, Copy)]
pub struct Decl<'a> {
    /// Its kind.
    pub kind: DeclKind,
    /// The declaring node (variable declarator, function, class, …).
    pub node: Node<'a>,
    /// A variable's initializer.
    pub value: Option<Node<'a>>,
}

/// A call site.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The callee as written (`env.DB.prepare`, `sqliteTable`).
    pub callee: String,
    /// The `call_expression` node.
    pub node: Node<'a>,
    /// The function, method or arrow-bound const it is in.
    pub enclosing: Option<String>,
    /// When `enclosing` is a route (`GET /users`), the router it is
    /// declared on (`users` in `users.get(…)`), for mount prefixes.
    pub router: Option<String>,
    /// The named class the call is in, when it is in one.
    pub class: Option<String>,
    /// The nearest class around the call, named or not (`class { … }`
    /// passed as a value): what `this` means in it.
    pub class_node: Option<Node<'a>>,
}

/// Everything indexed about one file.
pub struct FileIndex<'a> {
    /// Repo-relative path.
    pub path: &'a str,
    /// Source text.
    pub src: &'a str,
    /// Root of the tree.
    pub root: Node<'a>,
    /// Imports, in order.
    pub imports: Vec<Import>,
    /// Exports, in order.
    pub exports: Vec<Export>,
    /// Top-level declarations by name.
    pub decls: BTreeMap<String, Decl<'a>>,
    /// Call sites, in source order.
    pub calls: Vec<Call<'a>>,
    /// Named functions defined inside another one, `(inner, outer)`: a
    /// callback or closure (`success: async () => …` inside `fetch`) runs
    /// when its outer function does, whoever calls it.
    pub nested: Vec<(String, String)>,
    /// Handlers a route names instead of defining inline (`app.get("/x",
    /// auth, getHandler)`): (handler, route, router object), moved into
    /// `nested` once mount prefixes are applied.
    pub handler_refs: Vec<(String, String, Option<String>)>,
    /// Identifiers passed as an argument inside a function (`withTables(req,
    /// db, handleRequest)` in `fetch`), with that function. Those naming a
    /// function of ours (not a local or parameter of that name) move into
    /// `nested`: the callee runs it for its caller.
    pub passed: Vec<(Node<'a>, String)>,
    /// Names read from a Worker `env` (`env.X`, `c.env.X`, `const { X } =
    /// env`), with where.
    pub env_reads: Vec<(String, Node<'a>)>,
    /// `new X(…)` sites, in source order: the constructor's name and the
    /// `new_expression` node (its arguments are the `arguments` field).
    pub constructions: Vec<(String, Node<'a>)>,
    /// Classes whose code hands `this` to other code (`attach(this)`,
    /// `new Helper(this)`, `{ host: this }`): others may call their
    /// methods on it.
    pub this_escapes: Vec<String>,
}

/// A class member or an interface / object-type field.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    /// Its name.
    pub name: String,
    /// The declared type as written (`string`, `Map<string, WebSocket>`),
    /// empty when none is written.
    pub ty: String,
    /// The member node (method, field or property signature).
    pub node: Node<'a>,
    /// Whether it is a method (for classes) or a method signature.
    pub is_method: bool,
}

impl<'a> FileIndex<'a> {
    /// Whether this file's `env` is Node's (`import { env } from
    /// "node:process"`), not a Worker's.
    pub fn env_is_node(&self) -> bool {
        self.imports
            .iter()
            .any(|i| i.local == "env" && matches!(i.specifier.as_str(), "node:process" | "process"))
    }

    /// Methods and fields of a class, or fields of an interface / type
    /// literal, in declaration order.
    pub fn members(&self, decl: &Decl<'a>) -> Vec<Member<'a>> {
        let body = match decl.kind {
            DeclKind::Class | DeclKind::Interface => decl.node.child_by_field_name("body"),
            DeclKind::TypeAlias => decl
                .node
                .child_by_field_name("value")
                .filter(|v| v.kind_name() == "object_type"),
            _ => None,
        };
        let Some(body) = body else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for m in children(body) {
            let is_method = matches!(m.kind_name(), "method_definition" | "method_signature");
            let is_field = matches!(
                m.kind_name(),
                "public_field_definition" | "property_signature"
            );
            if !(is_method || is_field) {
                continue;
            }
            let Some(name) = m.child_by_field_name("name") else {
                continue;
            };
            let ty = m
                .child_by_field_name("type")
                .map(|t| text(t, self.src).trim_start_matches(':').trim().to_owned())
                .unwrap_or_default();
            out.push(Member {
                name: name_text(name, self.src),
                ty,
                node: m,
                is_method,
            });
        }
        out
    }

    /// Indexes one parsed file.
    pub fn build(file: &'a ParsedFile) -> Self {
        let root = file.tree.root_node();
        let src = file.src.as_str();
        let mut res = FileIndex {
            path: &file.path,
            src,
            root,
            imports: Vec::new(),
            exports: Vec::new(),
            decls: BTreeMap::new(),
            calls: Vec::new(),
            nested: Vec::new(),
            handler_refs: Vec::new(),
            passed: Vec::new(),
            env_reads: Vec::new(),
            constructions: Vec::new(),
            this_escapes: Vec::new(),
        };
        for stmt in children(root) {
            res.top_level(stmt);
        }
        // One pass with an explicit ancestor stack: the enclosing function
        // of every node comes from the stack, not from `Node::parent`,
        // which tree-sitter answers by descending from the root (a
        // 400,000-line flat file or 5,000 nested blocks would make that
        // quadratic).
        let mut cursor = root.walk();
        let mut ancestors: Vec<Node<'a>> = Vec::new();
        // Shared, not copied: every node inside a function names it.
        let mut nearest: Vec<Option<std::rc::Rc<str>>> = Vec::new();
        // The named class around each ancestor, the same way: its name is
        // a slice of the source, so no string is copied per node.
        let mut classes: Vec<Option<&'a str>> = Vec::new();
        // And the nearest class node itself, named or not.
        let mut class_nodes: Vec<Option<Node<'a>>> = Vec::new();
        // A route file's top-level handlers are named by their route.
        let file_route = super::routes::FileRoute::of(res.path);
        loop {
            let n = cursor.node();
            let parent = ancestors.last().copied();
            let grand = ancestors.len().checked_sub(2).map(|i| ancestors[i]);
            let enclosing = nearest.last().cloned().flatten();
            let class = classes.last().copied().flatten();
            let class_node = class_nodes.last().copied().flatten();
            res.visit(n, parent, grand, enclosing.as_deref(), (class, class_node));
            if cursor.goto_first_child() {
                let mut own = function_label_in(n, parent, grand, src);
                if let Some(r) = file_route.as_ref().filter(|_| enclosing.is_none()) {
                    let great = ancestors.len().checked_sub(3).map(|i| ancestors[i]);
                    own = match own {
                        // `export default async function Home()`: the
                        // default export, whatever its name.
                        Some(name) => Some(
                            r.label(&name)
                                .or_else(|| {
                                    parent
                                        .filter(|p| is_default_export(*p))
                                        .and_then(|_| r.default_label())
                                })
                                .unwrap_or(name),
                        ),
                        // `export default defineEventHandler(async (e) => …)`
                        None if matches!(
                            n.kind_name(),
                            "arrow_function" | "function_expression"
                        ) && parent.is_some_and(|p| p.kind_name() == "arguments")
                            && great.is_some_and(|g| g.kind_name() == "export_statement") =>
                        {
                            r.default_label()
                        }
                        None => None,
                    };
                }
                nearest.push(own.map(std::rc::Rc::from).or(enclosing));
                let is_class = matches!(
                    n.kind_name(),
                    "class_declaration" | "class" | "abstract_class_declaration"
                );
                let named = is_class
                    .then(|| n.child_by_field_name("name").map(|c| text(c, src)))
                    .flatten();
                classes.push(named.or(class));
                class_nodes.push(if is_class { Some(n) } else { class_node });
                ancestors.push(n);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return res;
                }
                ancestors.pop();
                nearest.pop();
                classes.pop();
                class_nodes.pop();
                if cursor.node() == root {
                    return res;
                }
            }
        }
    }

    /// Indexes one node of the walk, given its parent, grandparent and
    /// the name of the function around it.
    fn visit(
        &mut self,
        n: Node<'a>,
        parent: Option<Node<'a>>,
        grand: Option<Node<'a>>,
        enclosing: Option<&str>,
        (class, class_node): (Option<&str>, Option<Node<'a>>),
    ) {
        let src = self.src;
        env_reads(n, src, &mut self.env_reads);
        if n.kind_name() == "this"
            && parent.is_some_and(|p| matches!(p.kind_name(), "arguments" | "pair" | "array"))
            && !binds_this(parent, grand, src)
            && let Some(c) = class
            && !self.this_escapes.iter().any(|e| e == c)
        {
            self.this_escapes.push(c.to_owned());
        }
        if matches!(n.kind_name(), "arrow_function" | "function_expression")
            && let Some(inner) = function_label_in(n, parent, grand, src)
            && let Some(outer) = enclosing.map(str::to_owned)
            && inner != outer
        {
            self.nested.push((inner, outer));
        }
        // `export default { queue: queueConsumer }`: the runtime calls
        // `queueConsumer` as the `queue` handler.
        if n.kind_name() == "pair"
            && let Some(handler) = exported_handler(n, src)
        {
            self.nested.push(handler);
        }
        // `app.get("/read/:id", auth, getHandler)`: the route runs its
        // named middleware and handler.
        if n.kind_name() == "identifier"
            && let (Some(args), Some(call)) = (parent, grand)
            && args
                .named_child(0)
                .is_some_and(|first| first.id() != n.id())
            && let Some(route) = route_in(args, call, src)
        {
            let router = call
                .child_by_field_name("function")
                .and_then(|f| f.child_by_field_name("object"))
                .map(|o| text(o, src).to_owned());
            self.handler_refs
                .push((text(n, src).to_owned(), route, router));
        } else if n.kind_name() == "identifier"
            && parent.is_some_and(|p| p.kind_name() == "arguments")
            && grand.is_some_and(|g| g.kind_name() == "call_expression")
            && let Some(outer) = enclosing
            && text(n, src) != outer
        {
            self.passed.push((n, outer.to_owned()));
        }
        if n.kind_name() == "new_expression"
            && let Some(c) = n.child_by_field_name("constructor")
        {
            let name = text(c, src).rsplit('.').next().unwrap_or_default();
            self.constructions.push((name.to_owned(), n));
        }
        if n.kind_name() == "call_expression"
            && let Some(f) = n.child_by_field_name("function")
        {
            let callee = super::syntax::callee_text(f, src);
            let router = enclosing
                .filter(|e| e.contains(" /"))
                .and_then(|_| route_router(n, src));
            self.calls.push(Call {
                callee,
                node: n,
                enclosing: enclosing.map(str::to_owned),
                router,
                class: class.map(str::to_owned),
                class_node,
            });
        }
    }

    fn top_level(&mut self, stmt: Node<'a>) {
        self.top_level_in(stmt, 0);
    }

    /// A top-level statement; the bodies of `declare global { … }`,
    /// `declare module "x" { … }` and `namespace N { … }` count as top
    /// level too (where `interface CloudflareEnv` is often declared).
    fn top_level_in(&mut self, stmt: Node<'a>, depth: u32) {
        match stmt.kind_name() {
            "import_statement" => self.import(stmt),
            "export_statement" => self.export(stmt),
            "ambient_declaration" | "module" | "internal_module" | "expression_statement"
                if depth < 4 =>
            {
                let body = children(stmt)
                    .into_iter()
                    .find_map(|c| match c.kind_name() {
                        "statement_block" => Some(c),
                        "module" | "internal_module" => c.child_by_field_name("body"),
                        _ => None,
                    });
                match body.or_else(|| stmt.child_by_field_name("body")) {
                    Some(block) => {
                        for inner in children(block) {
                            self.top_level_in(inner, depth + 1);
                        }
                    }
                    None => self.declaration(stmt, None),
                }
            }
            _ => self.declaration(stmt, None),
        }
    }

    fn import(&mut self, stmt: Node<'a>) {
        let Some(spec) = stmt
            .child_by_field_name("source")
            .and_then(|s| string_value(s, self.src))
        else {
            return;
        };
        let loc = location(self.path, stmt);
        for clause in children(stmt)
            .into_iter()
            .filter(|c| c.kind_name() == "import_clause")
        {
            for part in children(clause) {
                match part.kind_name() {
                    "identifier" => self.imports.push(Import {
                        local: text(part, self.src).to_owned(),
                        imported: Imported::Default,
                        specifier: spec.clone(),
                        location: loc.clone(),
                    }),
                    "namespace_import" => {
                        if let Some(id) = children(part)
                            .into_iter()
                            .find(|c| c.kind_name() == "identifier")
                        {
                            self.imports.push(Import {
                                local: text(id, self.src).to_owned(),
                                imported: Imported::Namespace,
                                specifier: spec.clone(),
                                location: loc.clone(),
                            });
                        }
                    }
                    "named_imports" => {
                        for s in children(part)
                            .into_iter()
                            .filter(|c| c.kind_name() == "import_specifier")
                        {
                            let Some(name) = s.child_by_field_name("name") else {
                                continue;
                            };
                            let name = name_text(name, self.src);
                            let local = s
                                .child_by_field_name("alias")
                                .map_or_else(|| name.clone(), |a| text(a, self.src).to_owned());
                            self.imports.push(Import {
                                local,
                                imported: Imported::Named(name),
                                specifier: spec.clone(),
                                location: loc.clone(),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn export(&mut self, stmt: Node<'a>) {
        let source = stmt
            .child_by_field_name("source")
            .and_then(|s| string_value(s, self.src));
        if let Some(decl) = stmt.child_by_field_name("declaration") {
            self.declaration(decl, Some(true));
            return;
        }
        let parts = children(stmt);
        if let Some(value) = stmt.child_by_field_name("value") {
            // `export default <expr>`: an identifier re-exports a local.
            if value.kind_name() == "identifier" {
                self.exports.push(Export::Local {
                    name: "default".into(),
                    local: text(value, self.src).to_owned(),
                });
            }
            return;
        }
        if let Some(clause) = parts.iter().find(|p| p.kind_name() == "export_clause") {
            for s in children(*clause)
                .into_iter()
                .filter(|c| c.kind_name() == "export_specifier")
            {
                let Some(name) = s.child_by_field_name("name") else {
                    continue;
                };
                let name = name_text(name, self.src);
                let alias = s
                    .child_by_field_name("alias")
                    .map_or_else(|| name.clone(), |a| name_text(a, self.src));
                self.exports.push(match &source {
                    Some(spec) => Export::From {
                        name: alias,
                        imported: if name == "default" {
                            Imported::Default
                        } else {
                            Imported::Named(name)
                        },
                        specifier: spec.clone(),
                    },
                    None => Export::Local {
                        name: alias,
                        local: name,
                    },
                });
            }
            return;
        }
        if let Some(ns) = parts.iter().find(|p| p.kind_name() == "namespace_export") {
            if let (Some(spec), Some(id)) = (&source, children(*ns).first()) {
                self.exports.push(Export::From {
                    name: name_text(*id, self.src),
                    imported: Imported::Namespace,
                    specifier: spec.clone(),
                });
            }
            return;
        }
        if let Some(spec) = source {
            // `export * from "…"` (and `export type * from`, which older
            // grammars read with an ERROR node but the same source field).
            self.exports.push(Export::Star { specifier: spec });
        }
    }

    fn declaration(&mut self, node: Node<'a>, exported: Option<bool>) {
        let add = |this: &mut Self, name: String, decl: Decl<'a>| {
            if exported.is_some() {
                this.exports.push(Export::Local {
                    name: name.clone(),
                    local: name.clone(),
                });
            }
            this.decls.insert(name, decl);
        };
        match node.kind_name() {
            "lexical_declaration" | "variable_declaration" => {
                for d in children(node)
                    .into_iter()
                    .filter(|c| c.kind_name() == "variable_declarator")
                {
                    let Some(name) = d.child_by_field_name("name") else {
                        continue;
                    };
                    if name.kind_name() != "identifier" {
                        continue;
                    }
                    let decl = Decl {
                        kind: DeclKind::Variable,
                        node: d,
                        value: d.child_by_field_name("value"),
                    };
                    add(self, text(name, self.src).to_owned(), decl);
                }
            }
            "function_declaration"
            | "generator_function_declaration"
            | "class_declaration"
            | "abstract_class_declaration"
            | "interface_declaration"
            | "type_alias_declaration" => {
                let kind = match node.kind_name() {
                    "interface_declaration" => DeclKind::Interface,
                    "type_alias_declaration" => DeclKind::TypeAlias,
                    "class_declaration" | "abstract_class_declaration" => DeclKind::Class,
                    _ => DeclKind::Function,
                };
                if let Some(name) = node.child_by_field_name("name") {
                    let decl = Decl {
                        kind,
                        node,
                        value: None,
                    };
                    add(self, text(name, self.src).to_owned(), decl);
                }
            }
            _ => {}
        }
    }

    /// The JSDoc of a top-level declaration.
    pub fn doc(&self, decl: &Decl<'a>) -> Option<String> {
        doc_comment(decl.node, self.src)
    }
}

fn name_text(node: Node<'_>, src: &str) -> String {
    string_value(node, src).unwrap_or_else(|| text(node, src).to_owned())
}

/// Whether an expression is a Worker `env` (`env`, `c.env`, `this.env`),
/// not another runtime's (`process.env`, `import.meta.env`, `Bun.env`,
/// `Deno.env`).
pub fn is_worker_env(text: &str) -> bool {
    (text == "env" || text.ends_with(".env"))
        && !["process.env", "meta.env", "Bun.env", "Deno.env"]
            .iter()
            .any(|other| text.ends_with(other))
}

/// Whether `this` is the receiver handed to `fn.bind(this)`, `fn.call(this,
/// …)` or `fn.apply(this, …)`: the function runs as a method of the
/// object, which no other code gets to hold.
fn binds_this(args: Option<Node<'_>>, call: Option<Node<'_>>, src: &str) -> bool {
    let first_argument = args
        .filter(|a| a.kind_name() == "arguments")
        .and_then(|a| a.named_child(0))
        .is_some_and(|a| a.kind_name() == "this");
    first_argument
        && call
            .filter(|c| c.kind_name() == "call_expression")
            .and_then(|c| c.child_by_field_name("function"))
            .filter(|f| f.kind_name() == "member_expression")
            .and_then(|f| f.child_by_field_name("property"))
            .is_some_and(|p| matches!(text(p, src), "bind" | "call" | "apply"))
}

/// The binding names `n` reads from a Worker `env`.
fn env_reads<'a>(n: Node<'a>, src: &str, out: &mut Vec<(String, Node<'a>)>) {
    match n.kind_name() {
        "member_expression" => {
            let obj = n
                .child_by_field_name("object")
                .map(|o| text(unwrap_expr(o), src));
            if let Some(p) = n.child_by_field_name("property")
                && p.kind_name() == "property_identifier"
                && obj.is_some_and(is_worker_env)
            {
                out.push((text(p, src).to_owned(), n));
            }
        }
        "variable_declarator" => {
            let (Some(pat), Some(val)) = (
                n.child_by_field_name("name"),
                n.child_by_field_name("value"),
            ) else {
                return;
            };
            if pat.kind_name() != "object_pattern" || !is_worker_env(text(unwrap_expr(val), src)) {
                return;
            }
            for p in children(pat) {
                let name = match p.kind_name() {
                    "shorthand_property_identifier_pattern" => Some(p),
                    "pair_pattern" => p.child_by_field_name("key"),
                    _ => None,
                };
                if let Some(k) = name {
                    out.push((text(k, src).to_owned(), p));
                }
            }
        }
        _ => {}
    }
}

/// `(function, handler)` for a pair of the default-exported handler
/// object that names a function (`queue: queueConsumer`, `fetch:
/// app.fetch` → `("fetch", "fetch")` is skipped as a self-edge).
fn exported_handler(pair: Node<'_>, src: &str) -> Option<(String, String)> {
    let key = name_text(pair.child_by_field_name("key")?, src);
    if !crate::cloudflare::is_entry(crate::cloudflare::Lang::TypeScript, &key) {
        return None;
    }
    let value = pair.child_by_field_name("value")?;
    let func = match value.kind_name() {
        "identifier" => text(value, src),
        "member_expression" => text(value.child_by_field_name("property")?, src),
        _ => return None,
    };
    let mut up = pair
        .parent()
        .filter(|o| o.kind_name() == "object")?
        .parent()?;
    while matches!(
        up.kind_name(),
        "parenthesized_expression" | "as_expression" | "satisfies_expression"
    ) {
        up = up.parent()?;
    }
    let is_default =
        up.kind_name() == "export_statement" && up.child_by_field_name("value").is_some();
    (is_default && func != key).then(|| (func.to_owned(), key))
}

/// The name a function node goes by: its own name, the const or object key
/// it is bound to, or its route (`GET /v1/apps`); `None` for anonymous
/// callbacks and non-functions. `parent` and `grand` are its parent and
/// grandparent.
fn function_label_in(
    n: Node<'_>,
    parent: Option<Node<'_>>,
    grand: Option<Node<'_>>,
    src: &str,
) -> Option<String> {
    match n.kind_name() {
        // The runtime runs a `WorkflowEntrypoint`'s `run`: the handler.
        "method_definition"
            if n.child_by_field_name("name")
                .is_some_and(|x| text(x, src) == "run")
                && grand.is_some_and(|c| {
                    extended_name(heritage(c, src)) == Some("WorkflowEntrypoint")
                }) =>
        {
            Some(
                crate::cloudflare::Handler::Workflow
                    .name(crate::cloudflare::Lang::TypeScript)
                    .to_owned(),
            )
        }
        "function_declaration" | "method_definition" | "generator_function_declaration" => n
            .child_by_field_name("name")
            .map(|x| text(x, src).to_owned()),
        "arrow_function" | "function_expression" => {
            let mut p = parent?;
            // `export const loader = (async () => …) satisfies LoaderFunction`:
            // wrappers that do not change the value (rare, so the parent
            // walk costs little).
            for _ in 0..4 {
                if !matches!(
                    p.kind_name(),
                    "parenthesized_expression" | "satisfies_expression" | "as_expression"
                ) {
                    break;
                }
                p = p.parent()?;
            }
            if p.kind_name() == "variable_declarator" {
                return p
                    .child_by_field_name("name")
                    .map(|x| text(x, src).to_owned());
            }
            // A class field holding a function: `close = async (id) => …`.
            if p.kind_name() == "public_field_definition" {
                return p
                    .child_by_field_name("name")
                    .map(|x| text(x, src).trim_start_matches('#').to_owned());
            }
            if let Some(route) = grand.and_then(|g| route_in(p, g, src)) {
                return Some(route);
            }
            // `export default { queue: async (batch, env) => … }`
            if p.kind_name() == "pair"
                && let Some(k) = p.child_by_field_name("key")
            {
                let key = name_text(k, src);
                // `registerTool({ name: "list_files", callback: async … })`:
                // a generic slot is named by the object's `name`.
                if matches!(key.as_str(), "callback" | "handler" | "execute" | "fn")
                    && let Some(name) = p.parent().and_then(|o| sibling_name(o, src))
                {
                    return Some(name);
                }
                return Some(key);
            }
            None
        }
        _ => None,
    }
}

/// The string an object literal gives as its `name` (`{ name: "x", … }`).
fn sibling_name(object: Node<'_>, src: &str) -> Option<String> {
    if object.kind_name() != "object" {
        return None;
    }
    children(object).into_iter().find_map(|p| {
        let k = p.child_by_field_name("key")?;
        (p.kind_name() == "pair" && name_text(k, src) == "name")
            .then(|| string_value(p.child_by_field_name("value")?, src))?
            .filter(|n| !n.is_empty() && n.len() <= 80)
    })
}

/// The router object of the route whose inline handler holds `node`.
fn route_router(node: Node<'_>, src: &str) -> Option<String> {
    let mut cur = node.parent();
    for _ in 0..10_000 {
        let n = cur?;
        if matches!(n.kind_name(), "arrow_function" | "function_expression")
            && route_of(n, src).is_some()
        {
            let call = n.parent()?.parent()?;
            let f = call.child_by_field_name("function")?;
            return f
                .child_by_field_name("object")
                .map(|o| text(o, src).to_owned());
        }
        cur = n.parent();
    }
    None
}

/// `GET /v1/apps` when `handler` is an inline handler of a Hono /
/// itty-router / Express-style route: `app.get("/v1/apps", …, handler)`.
pub fn route_of(handler: Node<'_>, src: &str) -> Option<String> {
    let args = handler.parent()?;
    route_in(args, args.parent()?, src)
}

/// [`route_of`] for a handler whose parent (`args`) and grandparent
/// (`call`) are known.
fn route_in(args: Node<'_>, call: Node<'_>, src: &str) -> Option<String> {
    if args.kind_name() != "arguments" {
        return None;
    }
    let f = call.child_by_field_name("function")?;
    if f.kind_name() != "member_expression" {
        return None;
    }
    let method = text(f.child_by_field_name("property")?, src);
    let verb = match method {
        "get" | "post" | "put" | "delete" | "patch" | "head" | "options" | "all" => {
            method.to_ascii_uppercase()
        }
        // `app.use("/api/*", authenticate)`: middleware for every request
        // under the path.
        "use" => "ALL".to_owned(),
        _ => return None,
    };
    let path = route_path(args.named_child(0)?, src)?;
    path.starts_with('/').then(|| format!("{verb} {path}"))
}

/// A route's path: a string, or a template whose substitutions are string
/// constants of the same file (`` `/read/${PREFIX}/:id` `` with `const
/// PREFIX = "attachments"` at the top level).
fn route_path(node: Node<'_>, src: &str) -> Option<String> {
    if let Some(s) = string_value(node, src) {
        return Some(s);
    }
    let node = super::syntax::unwrap_expr(node);
    if node.kind_name() != "template_string" {
        return None;
    }
    let mut program = node;
    while let Some(p) = program.parent() {
        program = p;
    }
    let constant = |name: &str| {
        super::syntax::children(program)
            .into_iter()
            .find_map(|stmt| {
                if stmt.kind_name() != "lexical_declaration"
                    || !text(stmt, src).starts_with("const")
                {
                    return None;
                }
                super::syntax::children(stmt).into_iter().find_map(|d| {
                    (d.kind_name() == "variable_declarator"
                        && d.child_by_field_name("name").map(|n| text(n, src)) == Some(name))
                    .then(|| string_value(d.child_by_field_name("value")?, src))?
                })
            })
    };
    let mut out = String::new();
    for ch in super::syntax::children(node) {
        match ch.kind_name() {
            "string_fragment" | "escape_sequence" => out.push_str(text(ch, src)),
            "template_substitution" => {
                let e = ch.named_child(0)?;
                if e.kind_name() != "identifier" {
                    return None;
                }
                out.push_str(&constant(text(e, src))?);
            }
            _ => {}
        }
    }
    Some(out)
}

/// The whole index.
pub struct CodeIndex<'a> {
    /// Indexed files, sorted by path.
    pub files: Vec<FileIndex<'a>>,
    by_path: HashMap<&'a str, usize>,
    resolver: Resolver,
    /// Call sites by the callee's last name (`save` of `store.save(…)`):
    /// (file, call), built on first use.
    sites: std::sync::OnceLock<HashMap<String, Vec<(usize, usize)>>>,
    /// What a stub receiver (file, node id) comes from, found on first use:
    /// the call graph and every Durable Object class ask about the same
    /// receivers.
    stubs: std::sync::Mutex<HashMap<(usize, usize), StubOrigins<'a>>>,
    /// Import specifiers already resolved, by the importing file's folder
    /// (what a specifier means depends only on that): every reader asks
    /// about the same imports.
    modules: std::sync::Mutex<HashMap<&'a str, HashMap<String, Option<usize>>>>,
}

/// What one receiver may hold a stub from, shared between its askers.
pub type StubOrigins<'a> = std::sync::Arc<[StubOrigin<'a>]>;

/// A Durable Object namespace's `get(id)` / `getByName(n)` call a stub may
/// come from.
#[derive(Debug, Clone)]
pub struct StubOrigin<'a> {
    /// The file of the call.
    pub file: usize,
    /// Its argument: the id or the name.
    pub arg: Option<Node<'a>>,
    /// The texts naming the namespace: the callee (`env.ROOM.get`), and
    /// what a local it is called on holds.
    pub namespace: Vec<String>,
    /// Whether it is `getByName`.
    pub by_name: bool,
}

/// Where a name resolves to.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    /// The file declaring it.
    pub file: usize,
    /// The declaration.
    pub decl: Decl<'a>,
}

impl<'a> CodeIndex<'a> {
    /// Indexes `files`, resolving imports with `resolver`.
    pub fn new(files: &'a [ParsedFile], resolver: Resolver) -> Self {
        use rayon::prelude::*;
        // Files index independently; `collect` keeps their order.
        let files: Vec<FileIndex<'a>> = files.par_iter().map(FileIndex::build).collect();
        let by_path = files.iter().enumerate().map(|(i, f)| (f.path, i)).collect();
        let mut index = CodeIndex {
            files,
            by_path,
            resolver,
            sites: std::sync::OnceLock::new(),
            stubs: Default::default(),
            modules: Default::default(),
        };
        index.apply_mounts();
        index
    }

    /// Prefixes routes with their mount points: `app.route("/v1", api)`
    /// makes `api.get("/users")` the route `GET /v1/users` (chains of
    /// mounts included, across files).
    fn apply_mounts(&mut self) {
        // Router declaration (file, node id) → (parent router, prefix).
        type Key = (usize, usize);
        let mut mounts: HashMap<Key, (Option<Key>, String)> = HashMap::new();
        for (fi, f) in self.files.iter().enumerate() {
            for c in &f.calls {
                if !c.callee.ends_with(".route") {
                    continue;
                }
                let args = c
                    .node
                    .child_by_field_name("arguments")
                    .map(children)
                    .unwrap_or_default();
                let (Some(prefix), Some(child)) = (
                    args.first().and_then(|a| string_value(*a, f.src)),
                    args.get(1).filter(|a| a.kind_name() == "identifier"),
                ) else {
                    continue;
                };
                let Some(child) = self.resolve(fi, text(*child, f.src)) else {
                    continue;
                };
                let parent = c
                    .callee
                    .strip_suffix(".route")
                    .and_then(|p| self.resolve(fi, p))
                    .map(|r| (r.file, r.decl.node.id()));
                mounts.insert((child.file, child.decl.node.id()), (parent, prefix));
            }
        }
        let full = |mut key: (usize, usize)| {
            let mut parts = Vec::new();
            for _ in 0..8 {
                let Some((parent, prefix)) = mounts.get(&key) else {
                    break;
                };
                parts.push(prefix.trim_end_matches('/').to_owned());
                match parent {
                    Some(p) => key = *p,
                    None => break,
                }
            }
            parts.reverse();
            parts.concat()
        };
        let prefixed = |route: &str, prefix: &str| {
            let (verb, path) = route.split_once(' ')?;
            let path = if path == "/" { "" } else { path };
            Some(format!("{verb} {prefix}{path}"))
        };
        // A function of ours passed to another runs for the function
        // passing it.
        use super::bindings::{destructured_from, local_value, loop_variable, param_of};
        for fi in 0..self.files.len() {
            let passed = std::mem::take(&mut self.files[fi].passed);
            let src = self.files[fi].src;
            for (node, outer) in passed {
                let name = text(node, src).to_owned();
                let function = self.resolve(fi, &name).is_some_and(|r| match r.decl.kind {
                    DeclKind::Function => true,
                    DeclKind::Variable => {
                        r.decl
                            .value
                            .map(super::syntax::unwrap_expr)
                            .is_some_and(|v| {
                                matches!(v.kind_name(), "arrow_function" | "function_expression")
                            })
                    }
                    _ => false,
                });
                // A local or parameter of that name is what is passed.
                let ours = function
                    && local_value(node, &name, src).is_none()
                    && param_of(node, &name, src).is_none()
                    && destructured_from(node, &name, src).is_none()
                    && !loop_variable(node, &name, src);
                let edge = (name, outer);
                if ours && !self.files[fi].nested.contains(&edge) {
                    self.files[fi].nested.push(edge);
                }
            }
        }
        // Routes that name their handler: an edge from the (mounted) route.
        for fi in 0..self.files.len() {
            let refs = std::mem::take(&mut self.files[fi].handler_refs);
            for (handler, route, router) in refs {
                let prefix = router
                    .filter(|_| !mounts.is_empty())
                    .and_then(|r| self.resolve(fi, &r))
                    .map(|r| full((r.file, r.decl.node.id())))
                    .unwrap_or_default();
                let route = if prefix.is_empty() {
                    route
                } else {
                    prefixed(&route, &prefix).unwrap_or(route)
                };
                let edge = (handler, route);
                if !self.files[fi].nested.contains(&edge) {
                    self.files[fi].nested.push(edge);
                }
            }
        }
        if mounts.is_empty() {
            return;
        }
        let mut rewrites: Vec<(usize, usize, String)> = Vec::new();
        for (fi, f) in self.files.iter().enumerate() {
            for (ci, c) in f.calls.iter().enumerate() {
                let (Some(router), Some(route)) = (&c.router, &c.enclosing) else {
                    continue;
                };
                let Some(r) = self.resolve(fi, router) else {
                    continue;
                };
                let prefix = full((r.file, r.decl.node.id()));
                if prefix.is_empty() {
                    continue;
                }
                if let Some(label) = prefixed(route, &prefix) {
                    rewrites.push((fi, ci, label));
                }
            }
        }
        for (fi, ci, label) in rewrites {
            self.files[fi].calls[ci].enclosing = Some(label);
        }
    }

    /// The stub origins of receiver `recv` in file `fi`, found with `find`
    /// the first time they are asked for.
    pub fn stub_origins(
        &self,
        fi: usize,
        recv: Node<'a>,
        find: impl FnOnce() -> Vec<StubOrigin<'a>>,
    ) -> StubOrigins<'a> {
        let key = (fi, recv.id());
        // Not held while finding: `find` may ask about other receivers.
        let cached = self.stubs.lock().ok().and_then(|s| s.get(&key).cloned());
        if let Some(found) = cached {
            return found;
        }
        let found: StubOrigins<'a> = find().into();
        if let Ok(mut s) = self.stubs.lock() {
            s.insert(key, found.clone());
        }
        found
    }

    /// The calls of a function or method named `name`, as (file, call).
    pub fn call_sites(&self, name: &str) -> &[(usize, usize)] {
        self.sites
            .get_or_init(|| {
                let mut map: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
                for (fi, f) in self.files.iter().enumerate() {
                    for (ci, c) in f.calls.iter().enumerate() {
                        let Some(func) = c.node.child_by_field_name("function") else {
                            continue;
                        };
                        let func = super::syntax::callee(func);
                        let name = if func.kind_name() == "member_expression" {
                            func.child_by_field_name("property")
                        } else {
                            Some(func)
                        };
                        if let Some(n) = name {
                            map.entry(super::syntax::text(n, f.src).to_owned())
                                .or_default()
                                .push((fi, ci));
                        }
                    }
                }
                map
            })
            .get(name)
            .map_or(&[], Vec::as_slice)
    }

    /// The indexed file at `path`.
    pub fn file(&self, path: &str) -> Option<&FileIndex<'a>> {
        self.by_path.get(path).and_then(|i| self.files.get(*i))
    }

    /// The indexed file `specifier` names when imported from file `from`.
    /// The folder of the workspace package a bare specifier names.
    pub fn package_dir(&self, specifier: &str) -> Option<&str> {
        self.resolver.package_dir(specifier)
    }

    pub fn resolve_module(&self, from: usize, specifier: &str) -> Option<usize> {
        let path = self.files.get(from)?.path;
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        let cached = self
            .modules
            .lock()
            .ok()
            .and_then(|m| m.get(dir).and_then(|m| m.get(specifier)).copied());
        if let Some(found) = cached {
            return found;
        }
        let found = self
            .resolver
            .resolve(path, specifier)
            .and_then(|p| self.by_path.get(p).copied());
        if let Ok(mut m) = self.modules.lock() {
            m.entry(dir)
                .or_default()
                .insert(specifier.to_owned(), found);
        }
        found
    }

    /// Resolves `name` as seen from file `from`: a local declaration, or an
    /// import followed through exports, re-exports and `export *` barrels.
    pub fn resolve(&self, from: usize, name: &str) -> Option<Resolved<'a>> {
        self.resolve_depth(from, name, 0)
    }

    fn resolve_depth(&self, from: usize, name: &str, depth: u32) -> Option<Resolved<'a>> {
        if depth > 24 {
            return None;
        }
        let file = self.files.get(from)?;
        if let Some(decl) = file.decls.get(name) {
            return Some(Resolved {
                file: from,
                decl: *decl,
            });
        }
        let imp = file.imports.iter().find(|i| i.local == name)?;
        let target = self.resolve_module(from, &imp.specifier)?;
        match &imp.imported {
            Imported::Named(n) => self.export_of(target, n, depth + 1),
            Imported::Default => self.export_of(target, "default", depth + 1),
            Imported::Namespace => None,
        }
    }

    /// The declaration file `file` exports as `name`.
    pub fn export_of(&self, file: usize, name: &str, depth: u32) -> Option<Resolved<'a>> {
        if depth > 24 {
            return None;
        }
        let f = self.files.get(file)?;
        for e in &f.exports {
            match e {
                Export::Local { name: n, local } if n == name => {
                    return self.resolve_depth(file, local, depth + 1);
                }
                Export::From {
                    name: n,
                    imported: Imported::Named(orig),
                    specifier,
                } if n == name => {
                    let target = self.resolve_module(file, specifier)?;
                    return self.export_of(target, orig, depth + 1);
                }
                _ => {}
            }
        }
        for e in &f.exports {
            if let Export::Star { specifier } = e
                && let Some(target) = self.resolve_module(file, specifier)
                && let Some(r) = self.export_of(target, name, depth + 1)
            {
                return Some(r);
            }
        }
        None
    }

    /// The file whose import `local` (in file `from`) names, when it is a
    /// namespace import or a namespace re-export.
    pub fn namespace_target(&self, from: usize, local: &str) -> Option<usize> {
        let imp = self
            .files
            .get(from)?
            .imports
            .iter()
            .find(|i| i.local == local)?;
        if imp.imported != Imported::Namespace {
            return None;
        }
        self.resolve_module(from, &imp.specifier)
    }
}

/// Whether `n` is `export default …`.
fn is_default_export(n: Node<'_>) -> bool {
    n.kind_name() == "export_statement" && {
        let mut c = n.walk();
        n.children(&mut c).any(|ch| ch.kind_name() == "default")
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse_source;
    use super::*;
    use crate::sources::typescript::resolve::PathAliases;

    fn parsed(files: &[(&str, &str)]) -> Vec<ParsedFile> {
        files
            .iter()
            .map(|(p, s)| parse_source(p, s).expect("parses"))
            .collect()
    }

    #[test]
    fn a_generic_callback_slot_is_named_by_its_object() {
        let src = "server.registerTool({ name: \"list_files\", callback: async () => { await env.FILES.list(); } });\nconst hooks = { callback: async () => { await env.FILES.head(\"a\"); } };\n";
        let p = parse_source("src/tools.ts", src).expect("parses");
        let file = FileIndex::build(&p);
        let enclosing: Vec<Option<String>> = file
            .calls
            .iter()
            .filter(|c| c.callee.starts_with("env.FILES"))
            .map(|c| c.enclosing.clone())
            .collect();
        assert_eq!(
            enclosing,
            [Some("list_files".to_owned()), Some("callback".to_owned())]
        );
    }

    #[test]
    fn route_paths_fold_the_files_string_constants() {
        let src = "const PREFIX = 'attachments';\nlet other = 'x';\napp.get(`/read/${PREFIX}/:id`, (c) => c.text('a'));\napp.get(`/x/${other}`, (c) => c.text('b'));\n";
        let p = parse_source("src/files.ts", src).expect("parses");
        let mut routes = Vec::new();
        super::super::syntax::walk(p.tree.root_node(), |n| {
            if n.kind_name() == "arrow_function" {
                routes.push(route_of(n, src));
            }
        });
        // A `let` may change: that path is not known.
        assert_eq!(routes, [Some("GET /read/attachments/:id".to_owned()), None]);
    }

    #[test]
    fn imports_exports_and_barrels_resolve() {
        let files = parsed(&[
            (
                "src/db/users.ts",
                "/** People who sign in */\nexport const users = table('users');\nconst hidden = 1;",
            ),
            (
                "src/db/index.ts",
                "export * from './users';\nexport { posts as articles } from './posts.js';",
            ),
            ("src/db/posts.ts", "export const posts = 2;"),
            (
                "src/app.ts",
                "import { users, articles } from './db';\nimport * as db from './db/index';\nimport x from '@/db/users';\nfunction handler() { return users.find(); }\nconst go = () => db.posts;",
            ),
        ]);
        let aliases = vec![PathAliases {
            dir: String::new(),
            paths: vec![("@/*".into(), vec!["src/*".into()])],
            base_url: Some("src".into()),
        }];
        let resolver = Resolver::new(files.iter().map(|f| f.path.clone()), aliases);
        let index = CodeIndex::new(&files, resolver);
        let app = index
            .files
            .iter()
            .position(|f| f.path == "src/app.ts")
            .unwrap();
        let users = index.resolve(app, "users").unwrap();
        assert_eq!(index.files[users.file].path, "src/db/users.ts");
        assert_eq!(
            index.files[users.file].doc(&users.decl).as_deref(),
            Some("People who sign in")
        );
        let articles = index.resolve(app, "articles").unwrap();
        assert_eq!(index.files[articles.file].path, "src/db/posts.ts");
        assert!(index.resolve(app, "hidden").is_none());
        let ns = index.namespace_target(app, "db").unwrap();
        assert_eq!(index.files[ns].path, "src/db/index.ts");
        assert_eq!(
            index
                .resolve_module(app, "@/db/users")
                .map(|i| index.files[i].path),
            Some("src/db/users.ts")
        );
        // A bare specifier under `baseUrl`; a package name stays unresolved.
        assert_eq!(
            index
                .resolve_module(app, "db/posts")
                .map(|i| index.files[i].path),
            Some("src/db/posts.ts")
        );
        assert_eq!(index.resolve_module(app, "hono"), None);
        let classes = parsed(&[(
            "do.ts",
            "/** A room */\nexport class Room extends DurableObject {\n  sessions: Map<string, WebSocket> = new Map();\n  /** Joins */\n  async connect(id: string) {}\n}\ninterface Env { DB: D1Database; Q: Queue<Job> }",
        )]);
        let ci = CodeIndex::new(&classes, Resolver::new(["do.ts".to_owned()], Vec::new()));
        let f = &ci.files[0];
        let room: Vec<_> = f
            .members(&f.decls["Room"])
            .into_iter()
            .map(|m| (m.name, m.ty, m.is_method, doc_comment(m.node, f.src)))
            .collect();
        assert_eq!(
            room,
            vec![
                (
                    "sessions".into(),
                    "Map<string, WebSocket>".into(),
                    false,
                    None
                ),
                ("connect".into(), String::new(), true, Some("Joins".into())),
            ]
        );
        let env: Vec<_> = f
            .members(&f.decls["Env"])
            .into_iter()
            .map(|m| (m.name, m.ty))
            .collect();
        assert_eq!(
            env,
            vec![
                ("DB".into(), "D1Database".into()),
                ("Q".into(), "Queue<Job>".into())
            ]
        );
        assert_eq!(f.doc(&f.decls["Room"]).as_deref(), Some("A room"));
        // Interfaces inside `declare global`, `declare module` and
        // namespaces are declarations too.
        let ambient = parsed(&[(
            "env.d.ts",
            "declare global {\n  interface CloudflareEnv { CACHE: KVNamespace }\n}\ndeclare module \"x\" { interface XEnv { B: R2Bucket } }\nnamespace App { export interface AppEnv { Q: Queue } }\nexport {};\n",
        )]);
        let ci = CodeIndex::new(&ambient, Resolver::new(["env.d.ts".to_owned()], Vec::new()));
        let names: Vec<&String> = ci.files[0].decls.keys().collect();
        assert_eq!(names, ["AppEnv", "CloudflareEnv", "XEnv"]);

        let calls: Vec<_> = index.files[app]
            .calls
            .iter()
            .map(|c| (c.callee.as_str(), c.enclosing.as_deref()))
            .collect();
        assert_eq!(calls, vec![("users.find", Some("handler"))]);
    }

    #[test]
    fn other_runtimes_env_objects_are_not_a_worker_env() {
        for worker in ["env", "c.env", "this.env", "ctx.env"] {
            assert!(is_worker_env(worker), "{worker}");
        }
        for other in ["process.env", "import.meta.env", "Bun.env", "Deno.env"] {
            assert!(!is_worker_env(other), "{other}");
        }
    }
}
