//! Binding usage in TypeScript → resource operations with key patterns.
//!
//! A call counts only when its receiver resolves to a binding of a known
//! kind — `env.X`, `c.env.X`, `this.env.X`, `ctx.env.X`, a local alias or
//! destructuring of one, or a small helper returning one — never by method
//! name alone (`map.put` and Hono's `c.get` are not KV). Kinds come from
//! wrangler config, else from `Env` interfaces (`BUNDLES: R2Bucket`). Keys
//! are read from string and template literals, concatenation, local
//! consts, folded constants and helper functions (two levels, across
//! imports), with `{placeholder}`s named after the expressions.

use super::callgraph::CallGraph;
use super::fold::{Value, fold};
use super::index::{CodeIndex, DeclKind, FileIndex, is_worker_env};
use super::syntax::{call_args, children, doc_comment, location, string_value, text, unwrap_expr};
use crate::cloudflare::{self, Lang, Opt};
use crate::model::{
    BindingKind, DynamicBinding, Expiry, Key, Model, OpKind, ResourceOp, ValueKind, ValueType,
};
use crate::sources::typescript::parse::NodeKind;
use std::collections::HashMap;
use tree_sitter::Node;

mod handoffs;
mod keys;
mod messages;
mod receivers;
mod values;

use handoffs::*;
pub(crate) use keys::*;
pub(crate) use messages::*;
pub(crate) use receivers::*;
use values::*;

/// The binding kind a declared TypeScript type names.
fn kind_of_type(ty: &str) -> Option<BindingKind> {
    let base = ty.split('<').next().unwrap_or(ty).trim();
    match base {
        // A read-replication session runs the database's queries.
        "D1Database" | "D1DatabaseSession" => Some(BindingKind::D1),
        "R2Bucket" => Some(BindingKind::R2),
        "KVNamespace" => Some(BindingKind::Kv),
        "Queue" => Some(BindingKind::QueueProducer),
        "DurableObjectNamespace" => Some(BindingKind::DurableObject),
        "Hyperdrive" => Some(BindingKind::Hyperdrive),
        "AnalyticsEngineDataset" => Some(BindingKind::AnalyticsEngine),
        "Ai" => Some(BindingKind::Ai),
        _ => None,
    }
}

/// Binding names → kinds declared by interfaces and type literals in code.
pub fn code_bindings(index: &CodeIndex<'_>) -> Vec<(String, BindingKind)> {
    let mut res: Vec<(String, BindingKind)> = Vec::new();
    for f in &index.files {
        for decl in f.decls.values() {
            if !matches!(decl.kind, DeclKind::Interface | DeclKind::TypeAlias) {
                continue;
            }
            for m in f.members(decl) {
                if let Some(k) = kind_of_type(&m.ty)
                    && !res.iter().any(|(n, _)| n == &m.name)
                {
                    res.push((m.name, k));
                }
            }
        }
    }
    res.sort();
    res
}

/// What a receiver expression resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Name(String),
    Dynamic(Key),
    /// A parameter typed `D1Database`, `R2Bucket`, …: the binding of that
    /// kind, when there is only one.
    Typed(BindingKind),
}

struct Reader<'i, 'a> {
    index: &'i CodeIndex<'a>,
    /// Worker scopes for following arguments; `None` when only keys are
    /// read.
    graph: Option<&'i CallGraph>,
    /// Callee name (the part after the last dot, or a constructed class)
    /// → the `arguments` nodes of its call sites, by file.
    sites: HashMap<&'a str, Vec<(usize, Node<'a>)>>,
    /// What callers pass for a parameter, by (file, function, position,
    /// depth):
    /// a helper called from every route is resolved once.
    passed: std::cell::RefCell<HashMap<PassedKey, Vec<Target>>>,
    /// Request-context variables set by name (Hono's `c.set("db",
    /// c.env.DB)` in a middleware): name → (file, value) of each `set`.
    context_sets: HashMap<String, Vec<(usize, Node<'a>)>>,
}

/// (file, function node id, parameter position, depth).
type PassedKey = (usize, usize, usize, u32);

/// Call sites followed for one parameter: enough for a helper called from
/// every route of a Worker, bounded so resolution stays cheap.
const MAX_ARGUMENT_SITES: usize = 16;

impl<'i, 'a> Reader<'i, 'a> {
    fn new(index: &'i CodeIndex<'a>, graph: Option<&'i CallGraph>) -> Self {
        let mut sites: HashMap<&'a str, Vec<(usize, Node<'a>)>> = HashMap::new();
        let mut context_sets: HashMap<String, Vec<(usize, Node<'a>)>> = HashMap::new();
        for (fi, f) in index.files.iter().enumerate().filter(|_| graph.is_some()) {
            for c in &f.calls {
                if let Some((name, value)) = context_set(c.node, f.src) {
                    context_sets.entry(name).or_default().push((fi, value));
                }
            }
            let calls = f.calls.iter().filter_map(|c| {
                let name = text(c.node.child_by_field_name("function")?, f.src);
                Some((name.rsplit('.').next()?, c.node))
            });
            let news = f.constructions.iter().filter_map(|(_, n)| {
                let name = text(n.child_by_field_name("constructor")?, f.src);
                Some((name.rsplit('.').next()?, *n))
            });
            for (name, node) in calls.chain(news) {
                if let Some(args) = node.child_by_field_name("arguments") {
                    sites.entry(name).or_default().push((fi, args));
                }
            }
        }
        Reader {
            index,
            graph,
            sites,
            passed: std::cell::RefCell::new(HashMap::new()),
            context_sets,
        }
    }

    /// What the request-context variable `name` holds, read in file `fi`:
    /// the union of what every `set` of it in the same Worker puts there.
    fn context_targets(&self, fi: usize, name: &str, depth: u32) -> Vec<Target> {
        let (Some(graph), Some(file)) = (self.graph, self.index.files.get(fi)) else {
            return Vec::new();
        };
        let scope = graph.scope_of(file.path);
        let mut out = Vec::new();
        for (sf, value) in self.context_sets.get(name).map_or(&[][..], Vec::as_slice) {
            let same_worker = self
                .index
                .files
                .get(*sf)
                .is_some_and(|f| graph.scope_of(f.path) == scope);
            if same_worker {
                add_new(&mut out, self.targets(*sf, *value, depth + 1));
            }
        }
        out
    }

    /// Whether the `env` that `subscript` indexes is a Worker's: not Node's
    /// (`import { env } from "node:process"`), not a local object (`const
    /// env: Record<string, string> = {}`), and read rather than assigned.
    fn worker_env(&self, fi: usize, subscript: Node<'a>) -> bool {
        let Some(file) = self.index.files.get(fi) else {
            return false;
        };
        let assigned = subscript.parent().is_some_and(|p| {
            p.kind_name() == "assignment_expression"
                && p.child_by_field_name("left")
                    .is_some_and(|l| l.id() == subscript.id())
        });
        let obj = subscript.child_by_field_name("object").map(unwrap_expr);
        let local_object = obj
            .filter(|o| o.kind_name() == "identifier")
            .and_then(|o| local_value(o, text(o, file.src), file.src))
            .is_some_and(|v| !is_worker_env(text(unwrap_expr(v), file.src)));
        let bare = obj.is_some_and(|o| o.kind_name() == "identifier");
        // `getRequiredEnv(env: Record<string, string>, key)`: a map of
        // strings, not a Worker env.
        let string_map = obj
            .filter(|o| o.kind_name() == "identifier")
            .and_then(|o| param_of(o, text(o, file.src), file.src))
            .and_then(|p| p.ty)
            .is_some_and(|t| {
                t.starts_with("Record<") || t.contains("ProcessEnv") || t.starts_with("{ [")
            });
        let node_env = bare && file.env_is_node();
        !(assigned || local_object || string_map || node_env)
    }

    /// A query call whose SQL is a parameter of the function it is in
    /// (`function all(db, sql, …args) { return db.prepare(sql)… }`): the
    /// SQL text each caller in the same scope passes there, with the call
    /// site and the function it is in. Empty when the SQL is not a
    /// parameter or no caller passes text dmqa can read.
    fn executor_sql(
        &self,
        fi: usize,
        call: Node<'a>,
    ) -> Vec<(usize, Node<'a>, String, Option<String>)> {
        let Some(file) = self.index.files.get(fi) else {
            return Vec::new();
        };
        let Some(arg) = call_args(call).first().map(|a| unwrap_expr(*a)) else {
            return Vec::new();
        };
        // `prepare(queries[i])` of an array the helper is handed: each
        // element its callers' array literals hold.
        let (arg, element) = match arg.kind_name() {
            "identifier" => (arg, false),
            "subscript_expression" => match arg.child_by_field_name("object").map(unwrap_expr) {
                Some(o) if o.kind_name() == "identifier" => (o, true),
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        let name = text(arg, file.src);
        if local_value(arg, name, file.src).is_some() {
            return Vec::new();
        }
        let Some(param) = param_of(arg, name, file.src).filter(|p| !p.constructed) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (cf, args) in self.sites_of(fi, &param).take(MAX_ARGUMENT_SITES * 4) {
            let Some(site) = args.parent() else { continue };
            let Some(a) = call_args(site).get(param.index).copied() else {
                continue;
            };
            let passed = if element {
                let csrc = self.index.files[cf].src;
                let mut list = unwrap_expr(a);
                if list.kind_name() == "identifier" {
                    match local_value(list, text(list, csrc), csrc) {
                        Some(v) => list = unwrap_expr(v),
                        None => continue,
                    }
                }
                if list.kind_name() != "array" {
                    continue;
                }
                children(list)
                    .into_iter()
                    .filter(|e| !matches!(e.kind_name(), "comment" | "spread_element"))
                    .collect()
            } else {
                vec![a]
            };
            let actor = self.index.files[cf]
                .calls
                .iter()
                .find(|c| c.node == site)
                .and_then(|c| c.enclosing.clone());
            for a in passed {
                if let Some(sql) = sql_literal(self.index, cf, a) {
                    out.push((cf, site, sql, actor.clone()));
                }
            }
        }
        out
    }

    /// The argument lists of the calls of `param`'s function in the same
    /// scope as file `fi` (`new` calls for a constructor's), with their
    /// files.
    fn sites_of<'s>(
        &'s self,
        fi: usize,
        param: &'s Param,
    ) -> impl Iterator<Item = (usize, Node<'a>)> + 's {
        let file = self.index.files.get(fi);
        let graph = self.graph;
        let scope = file.zip(graph).map(|(f, g)| g.scope_of(f.path));
        param
            .callee
            .as_deref()
            .and_then(|c| self.sites.get(c))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(move |(cf, args)| {
                let is_new = args
                    .parent()
                    .is_some_and(|p| p.kind_name() == "new_expression");
                is_new == param.constructed
                    && scope.is_some()
                    && self
                        .index
                        .files
                        .get(*cf)
                        .zip(graph)
                        .is_some_and(|(f, g)| Some(g.scope_of(f.path)) == scope)
            })
            .copied()
    }

    /// The keys a helper's callers hand it for the key it takes as a
    /// parameter: `saveGrant(env, grantKey, …)` called as
    /// ``this.saveGrant(env, `grant:${userId}:${id}`, …)``. A method's
    /// sites are its own class's `this.name(…)` calls; a function's, the
    /// calls of its name in the same Worker when no other function there
    /// has that name. `None` unless every site (at least one) passes a key
    /// dmqa can follow: a family is never guessed.
    fn passed_keys(&self, fi: usize, key_arg: Node<'a>) -> Option<Vec<Key>> {
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let arg = unwrap_expr(key_arg);
        if arg.kind_name() != "identifier" {
            return None;
        }
        let param = param_of(arg, text(arg, src), src)?;
        let callee = param.callee.as_deref()?;
        if param.constructed {
            return None;
        }
        let func = super::syntax::enclosing_function(arg)?;
        let method = func.kind_name() == "method_definition";
        let class = std::iter::successors(func.parent(), |n| n.parent())
            .take(4)
            .find(|n| {
                matches!(
                    n.kind_name(),
                    "class_declaration" | "abstract_class_declaration"
                )
            });
        if method && class.is_none() {
            return None;
        }
        // A method others may call (`store.save(k)` from another class or
        // file): only a private one is known to have only `this` callers.
        let private = method
            && (children(func)
                .iter()
                .any(|c| c.kind_name() == "accessibility_modifier" && text(*c, src) == "private")
                || callee.starts_with('#'));
        if !method {
            let scope = self.graph?.scope_of(file.path);
            let defining = self
                .index
                .files
                .iter()
                .filter(|f| self.graph.is_some_and(|g| g.scope_of(f.path) == scope))
                .filter(|f| f.decls.contains_key(callee))
                .count();
            if defining != 1 {
                return None;
            }
        }
        let mut keys: Vec<Key> = Vec::new();
        let mut sites = 0;
        for (cf, args) in self.sites_of(fi, &param) {
            let call = args.parent()?;
            let f = unwrap_expr(call.child_by_field_name("function")?);
            if method {
                // `this.name(…)` inside the same class.
                let on_this = f.kind_name() == "member_expression"
                    && f.child_by_field_name("object")
                        .is_some_and(|o| o.kind_name() == "this");
                let same_class =
                    cf == fi && class.is_some_and(|c| c.byte_range().contains(&call.start_byte()));
                if !(on_this && same_class) {
                    if private {
                        continue;
                    }
                    return None;
                }
            } else if f.kind_name() != "identifier" {
                continue;
            }
            sites += 1;
            if sites > MAX_ARGUMENT_SITES {
                return None;
            }
            let passed = children(args)
                .into_iter()
                .filter(|a| a.kind_name() != "comment")
                .nth(param.index)
                .filter(|a| a.kind_name() != "spread_element")?;
            let (k, _) = self.key(cf, passed, 1)?;
            if !k.has_literal() {
                return None;
            }
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        (!keys.is_empty()).then_some(keys)
    }

    /// The keys a `let` declared without a value holds at a call, from the
    /// assignments before it in the same function (`let key; if (w) key =
    /// `${h}_${w}.png`; else key = `${h}.png``): an operation each. `None`
    /// unless every assignment builds a key dmqa can follow.
    fn assigned_keys(&self, fi: usize, key_arg: Node<'a>) -> Option<Vec<Key>> {
        let src = self.index.files.get(fi)?.src;
        let arg = unwrap_expr(key_arg);
        if arg.kind_name() != "identifier" {
            return None;
        }
        let name = text(arg, src);
        if local_value(arg, name, src).is_some() || param_of(arg, name, src).is_some() {
            return None;
        }
        let body = super::syntax::enclosing_function(arg)?;
        let mut values = Vec::new();
        super::syntax::walk(body, |n| {
            if n.kind_name() == "assignment_expression"
                && n.start_byte() < arg.start_byte()
                && n.child_by_field_name("left")
                    .is_some_and(|l| l.kind_name() == "identifier" && text(l, src) == name)
                && let Some(v) = n.child_by_field_name("right")
            {
                values.push(v);
            }
        });
        // `key = key + "/"` builds on what it held: not followed.
        let builds_on_itself = values.iter().any(|v| {
            let t = text(*v, src);
            t.match_indices(name)
                .any(|(i, _)| super::whole_word_at(t, i, i + name.len()))
        });
        if values.is_empty() || values.len() > MAX_ARGUMENT_SITES || builds_on_itself {
            return None;
        }
        let mut keys: Vec<Key> = Vec::new();
        for v in values {
            let (k, _) = self.key(fi, v, 1)?;
            if !k.has_literal() {
                return None;
            }
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        Some(keys)
    }

    /// What the arguments passed for `param` (of a function in file `fi`)
    /// at its call sites in the same Worker resolve to.
    fn argument_targets(&self, fi: usize, param: &Param, depth: u32) -> Vec<Target> {
        if param.callee.is_none() || self.index.files.get(fi).is_none() || self.graph.is_none() {
            return Vec::new();
        }
        // By depth too: a walk cut short deeper down must not stand in for
        // a full one.
        let key = (fi, param.func, param.index, depth);
        if let Some(known) = self.passed.borrow().get(&key) {
            return known.clone();
        }
        // Seen while being resolved (recursion through itself): nothing.
        self.passed.borrow_mut().insert(key, Vec::new());
        let mut out = Vec::new();
        for (cf, args) in self.sites_of(fi, param).take(MAX_ARGUMENT_SITES) {
            let arg = children(args)
                .into_iter()
                .filter(|a| a.kind_name() != "comment")
                .nth(param.index);
            if let Some(arg) = arg.filter(|a| a.kind_name() != "spread_element") {
                add_new(&mut out, self.targets(cf, arg, depth + 2));
            }
        }
        self.passed.borrow_mut().insert(key, out.clone());
        out
    }
}

/// Reads every binding operation in the index into `model`.
pub fn extract(index: &CodeIndex<'_>, graph: &CallGraph, model: &mut Model) {
    let mut kinds: HashMap<String, BindingKind> = HashMap::new();
    for w in &model.workers {
        for b in &w.bindings {
            kinds.entry(b.name.clone()).or_insert(b.kind);
        }
    }
    for (n, k) in &model.code_bindings {
        kinds.entry(n.clone()).or_insert(*k);
    }
    let reader = Reader::new(index, Some(graph));
    let mut forwarders: Vec<Forwarder> = Vec::new();
    // Kinds with exactly one binding name: a parameter typed with the kind
    // can only be that binding.
    let mut names_of: HashMap<BindingKind, Vec<&String>> = HashMap::new();
    for (n, k) in &kinds {
        names_of.entry(*k).or_default().push(n);
    }
    let only_of_kind: HashMap<BindingKind, String> = names_of
        .into_iter()
        .filter_map(|(k, v)| match v.as_slice() {
            [one] => Some((k, (*one).clone())),
            _ => None,
        })
        .collect();
    let mut env_handed = Vec::new();
    for (fi, file) in index.files.iter().enumerate() {
        if file.env_is_node() {
            continue;
        }
        env_handoffs(index, fi, &mut env_handed);
        let first = model.binding_reads.len();
        for (name, node) in &file.env_reads {
            if let Some(to) = handed_to(index, fi, *node) {
                model.handoffs.push(crate::model::Handoff {
                    binding: name.clone(),
                    to,
                    location: location(file.path, *node),
                });
            }
            note_read(
                &mut model.binding_reads,
                first,
                name,
                location(file.path, *node),
                presence_test(*node, file.src),
            );
        }
    }
    for (fi, file) in index.files.iter().enumerate() {
        if file.src.contains("env[") {
            super::syntax::walk(file.root, |n| {
                if n.kind_name() != "subscript_expression" {
                    return;
                }
                let tested = presence_test(n, file.src);
                for target in reader.targets(fi, n, 0) {
                    match target {
                        Target::Dynamic(pattern) => {
                            model.dynamic_bindings.push(DynamicBinding {
                                pattern,
                                location: location(file.path, n),
                            });
                        }
                        // `env[BINDING_NAME]` with a constant that folds (or
                        // each name of a constant table): a read of that
                        // binding, like `env.X`.
                        Target::Name(name) => note_read(
                            &mut model.binding_reads,
                            0,
                            &name,
                            location(file.path, n),
                            tested,
                        ),
                        Target::Typed(_) => {}
                    }
                }
            });
        }
        // Both readers below look for words in this file's own text: a file
        // without them is not searched call by call.
        let sql_api = file.src.contains("/analytics_engine/sql");
        let accessors = cloudflare::ACCESSORS
            .iter()
            .any(|a| file.src.contains(a.function));
        for call in &file.calls {
            // A read of an Analytics Engine dataset through Cloudflare's SQL
            // API: the only way to read back what `writeDataPoint` wrote.
            if sql_api
                && let Some(binding) =
                    analytics_sql_read(&model.workers, file.path, call.node, file.src)
            {
                let mut op = ResourceOp {
                    actor: call.enclosing.clone(),
                    method: Some("sql".to_owned()),
                    ..ResourceOp::new(
                        BindingKind::AnalyticsEngine,
                        binding,
                        OpKind::Read,
                        location(file.path, call.node),
                    )
                };
                graph.place(index, &mut op);
                model.resource_ops.push(op);
                continue;
            }
            let Some((recv, method)) = member_call(call.node, file.src) else {
                continue;
            };
            // A framework accessor's wrapper: `hubKV().setItem(…)`.
            if accessors && let Some((acc, mapped)) = accessor_call(index, fi, recv, method) {
                if let Some(mut op) = reader.op(
                    fi,
                    acc.kind,
                    acc.binding,
                    mapped,
                    call.node,
                    call.enclosing.clone(),
                ) {
                    if let (Some(option), OpKind::Write) = (acc.ttl_option, op.op)
                        && acc.kind == BindingKind::Kv
                    {
                        let opts = call_args(call.node).get(2).copied();
                        op.ttl = Some(match option_value(opts, option, file.src) {
                            Some(v) => seconds(index, fi, v),
                            None => Expiry::Never,
                        });
                    }
                    graph.place(index, &mut op);
                    model.resource_ops.push(op);
                }
                continue;
            }
            // Only calls that could be binding operations are worth
            // resolving their receiver for.
            if !cloudflare::is_binding_method(Lang::TypeScript, method) {
                continue;
            }
            for target in reader.targets(fi, recv, 0) {
                let target = match target {
                    Target::Typed(k) => match only_of_kind.get(&k) {
                        Some(name) => Target::Name(name.clone()),
                        None => continue,
                    },
                    other => other,
                };
                match target {
                    // Found by the subscript walk above.
                    Target::Dynamic(_) | Target::Typed(_) => {}
                    Target::Name(name) => {
                        let Some(kind) = kinds.get(&name).copied() else {
                            continue;
                        };
                        if let Some(mut op) =
                            reader.op(fi, kind, &name, method, call.node, call.enclosing.clone())
                        {
                            // `prepare(sql)` of a helper's parameter: the SQL
                            // each caller hands it, one query per call.
                            if op.op == OpKind::Query && op.sql.is_none() {
                                let passed = reader.executor_sql(fi, call.node);
                                if !passed.is_empty() {
                                    for (cf, site, sql, actor) in passed {
                                        let mut q = ResourceOp {
                                            tables: tables_named(&sql),
                                            sql: Some(sql),
                                            actor,
                                            location: location(index.files[cf].path, site),
                                            ..op.clone()
                                        };
                                        graph.place(index, &mut q);
                                        model.resource_ops.push(q);
                                    }
                                    continue;
                                }
                            }
                            // A wrapper method handing its parameters on:
                            // its callers' calls are this operation too.
                            if let Some(w) = forwarder(call.node, file.src) {
                                forwarders.push((
                                    w,
                                    kind,
                                    name.clone(),
                                    method.to_owned(),
                                    op.location.clone(),
                                ));
                            }
                            // A key the helper is handed: the ones its
                            // callers build, an operation each.
                            // …or the ones a `let` is assigned before the
                            // call.
                            let split = call_args(call.node).first().and_then(|a| {
                                let k = op.key.as_ref()?;
                                if k.is_opaque() {
                                    reader.passed_keys(fi, *a)
                                } else if k.is_single_placeholder() {
                                    reader.assigned_keys(fi, *a)
                                } else {
                                    None
                                }
                            });
                            if let Some(keys) = split {
                                for k in keys {
                                    let mut each = op.clone();
                                    each.key = Some(k);
                                    graph.place(index, &mut each);
                                    model.resource_ops.push(each);
                                }
                                continue;
                            }
                            graph.place(index, &mut op);
                            model.resource_ops.push(op);
                        }
                    }
                }
            }
        }
    }
    forwarded_calls(index, &reader, graph, &forwarders, model);
    // A workspace package handed the whole `env` reaches a binding dmqa
    // does not see only by a name computed at run time there.
    for (h, workspace) in env_handed {
        let by_name = workspace.is_none_or(|dir| {
            model
                .dynamic_bindings
                .iter()
                .any(|d| crate::model::in_folder(&dir, &d.location.path))
        });
        if by_name {
            model.env_handoffs.push(h);
        }
    }
}

/// The string-literal arguments of a method call named `method`, when it
/// has exactly `n` arguments and the first is a string literal.
fn named_call<'t>(
    call: Node<'t>,
    method: &str,
    n: usize,
    src: &str,
) -> Option<(String, Vec<Node<'t>>)> {
    let (_, m) = member_call(call, src)?;
    if m != method {
        return None;
    }
    let args = call_args(call);
    if args.len() != n {
        return None;
    }
    Some((string_value(*args.first()?, src)?, args))
}

/// `c.set("db", value)`: a request-context variable's name and value.
fn context_set<'t>(call: Node<'t>, src: &str) -> Option<(String, Node<'t>)> {
    let (name, args) = named_call(call, "set", 2, src)?;
    Some((name, *args.get(1)?))
}

/// `c.get("db")`: the request-context variable read.
fn context_get(call: Node<'_>, src: &str) -> Option<String> {
    named_call(call, "get", 1, src).map(|(name, _)| name)
}

/// `hubKV().setItem(…)` (or through a local holding `hubKV()`): the
/// accessor, when the project does not define a function of that name,
/// and the binding method `method` calls.
fn accessor_call(
    index: &CodeIndex<'_>,
    fi: usize,
    recv: Node<'_>,
    method: &str,
) -> Option<(&'static cloudflare::Accessor, &'static str)> {
    let src = index.files.get(fi)?.src;
    let mut recv = unwrap_expr(recv);
    for _ in 0..3 {
        if recv.kind_name() == "await_expression" {
            recv = unwrap_expr(recv.named_child(0)?);
        }
        if recv.kind_name() != "identifier" {
            break;
        }
        recv = unwrap_expr(local_value(recv, text(recv, src), src)?);
    }
    if recv.kind_name() != "call_expression" {
        return None;
    }
    let f = recv.child_by_field_name("function")?;
    let name = text(f, src);
    let acc = cloudflare::ACCESSORS.iter().find(|a| a.function == name)?;
    if f.kind_name() != "identifier" || index.resolve(fi, name).is_some() {
        return None;
    }
    let mapped = acc.methods.iter().find(|(m, _)| *m == method)?.1;
    Some((acc, mapped))
}

/// The Analytics Engine binding a call reads through Cloudflare's SQL API
/// (`fetch(`https://api.cloudflare.com/client/v4/accounts/${id}/
/// analytics_engine/sql`, { body: query })`, the URL written in the call
/// or in a local): the one Analytics Engine binding of the Worker holding
/// the file. Which dataset the query reads is not followed, so with
/// several such bindings (or none) it is no binding's read.
fn analytics_sql_read(
    workers: &[crate::model::Worker],
    path: &str,
    call: Node<'_>,
    src: &str,
) -> Option<String> {
    let mut url = unwrap_expr(*call_args(call).first()?);
    if url.kind_name() == "identifier" {
        url = unwrap_expr(local_value(url, text(url, src), src)?);
    }
    if !matches!(url.kind_name(), "string" | "template_string")
        || !text(url, src).contains("/analytics_engine/sql")
    {
        return None;
    }
    let worker = crate::model::Worker::owning(workers, path)?;
    let mut datasets = worker
        .bindings
        .iter()
        .filter(|b| b.kind == BindingKind::AnalyticsEngine);
    match (datasets.next(), datasets.next()) {
        (Some(one), None) => Some(one.name.clone()),
        _ => None,
    }
}

/// The receiver and method name of a method call (`recv.method(…)`).
fn member_call<'t, 's>(call: Node<'t>, src: &'s str) -> Option<(Node<'t>, &'s str)> {
    let f = super::syntax::callee(call.child_by_field_name("function")?);
    if f.kind_name() != "member_expression" {
        return None;
    }
    Some((
        f.child_by_field_name("object")?,
        text(f.child_by_field_name("property")?, src),
    ))
}

/// `(class, method)` when `call` is a wrapper method handing its own
/// parameters straight to the binding: `async head(...parameters) { return
/// this.bucket.head(...parameters) }` in `class RetryBucket`.
fn forwarder(call: Node<'_>, src: &str) -> Option<(String, String)> {
    let first = call
        .child_by_field_name("arguments")
        .and_then(|a| children(a).into_iter().next())?;
    let method = std::iter::successors(call.parent(), |n| n.parent())
        .take(64)
        .find(|n| {
            matches!(
                n.kind_name(),
                "method_definition" | "function_declaration" | "class_declaration"
            )
        })
        .filter(|n| n.kind_name() == "method_definition")?;
    let params = method.child_by_field_name("parameters")?;
    let first_param = children(params).into_iter().next()?;
    let param_name = |p: Node<'_>| {
        let mut name = None;
        super::syntax::walk(p, |n| {
            if name.is_none() && n.kind_name() == "identifier" {
                name = Some(text(n, src).to_owned());
            }
        });
        name
    };
    let forwarded = match first.kind_name() {
        "spread_element" => first
            .named_child(0)
            .is_some_and(|e| Some(text(e, src).to_owned()) == param_name(first_param)),
        "identifier" => Some(text(first, src).to_owned()) == param_name(first_param),
        _ => false,
    };
    if !forwarded {
        return None;
    }
    let class = std::iter::successors(method.parent(), |n| n.parent())
        .take(8)
        .find(|n| n.kind_name() == "class_declaration")?;
    let class_name = text(class.child_by_field_name("name")?, src).to_owned();
    let method_name = text(method.child_by_field_name("name")?, src).to_owned();
    Some((class_name, method_name))
}

/// A forwarding wrapper's method and what it forwards to.
type Forwarder = (
    (String, String),
    BindingKind,
    String,
    String,
    crate::model::Location,
);

/// Calls on instances of forwarding wrappers (`this.retryBucket.head(key)`,
/// where `this.retryBucket = new RetryBucket(bucket, …)`), read as the
/// binding operation they forward to, with the caller's key and actor. The
/// wrapper's own operation, whose key is just its parameter, then goes.
fn forwarded_calls<'a>(
    index: &CodeIndex<'a>,
    reader: &Reader<'_, 'a>,
    graph: &CallGraph,
    forwarders: &[Forwarder],
    model: &mut Model,
) {
    if forwarders.is_empty() {
        return;
    }
    let mut replaced: Vec<crate::model::Location> = Vec::new();
    for (fi, file) in index.files.iter().enumerate() {
        for ((class, method), kind, binding, binding_method, at) in forwarders {
            if !file.constructions.iter().any(|(c, _)| c == class) {
                continue;
            }
            for call in &file.calls {
                let Some((recv, m)) = member_call(call.node, file.src) else {
                    continue;
                };
                if m != method || !instance_of(recv, class, file.src) {
                    continue;
                }
                if let Some(mut op) = reader.op(
                    fi,
                    *kind,
                    binding,
                    binding_method,
                    call.node,
                    call.enclosing.clone(),
                ) {
                    graph.place(index, &mut op);
                    model.resource_ops.push(op);
                    replaced.push(at.clone());
                }
            }
        }
    }
    model
        .resource_ops
        .retain(|op| !replaced.contains(&op.location));
}

/// Whether `recv` holds a `new class(…)`: the `new` itself, a local built
/// by it, or a `this.field` its class assigns one to (not `this`: the
/// wrapper calling itself).
fn instance_of(recv: Node<'_>, class: &str, src: &str) -> bool {
    unwrap_expr(recv).kind_name() != "this"
        && receiver_class(recv, src).is_some_and(|h| h == Holds::Built(class.to_owned()))
}

/// A key a helper returns, its placeholders for the helper's parameters
/// named after what this call passes (`getCacheKey(tag)` of `` `${id}/${key}` ``
/// with parameter `key` → `{id}/{tag}`). `fsrc` is the helper's source,
/// `csrc` the call's.
fn named_by_arguments(k: Key, func: Node<'_>, call: Node<'_>, fsrc: &str, csrc: &str) -> Key {
    let Some(params) = func.child_by_field_name("parameters") else {
        return k;
    };
    let names: Vec<&str> = children(params)
        .into_iter()
        .map(|p| p.child_by_field_name("pattern").unwrap_or(p))
        .map(|p| {
            if p.kind_name() == "identifier" {
                text(p, fsrc)
            } else {
                ""
            }
        })
        .collect();
    let args = call_args(call);
    k.rename_placeholders(|n| {
        let i = names.iter().position(|p| *p == n)?;
        let arg = args.get(i)?;
        Some(keys::placeholder(*arg, csrc))
    })
}

impl<'a> Reader<'_, 'a> {
    /// The bindings `recv` (in file `fi`) can be.
    fn targets(&self, fi: usize, recv: Node<'a>, depth: u32) -> Vec<Target> {
        if depth > 4 {
            return Vec::new();
        }
        let Some(file) = self.index.files.get(fi) else {
            return Vec::new();
        };
        let src = file.src;
        let recv = unwrap_expr(recv);
        let recv = if recv.kind_name() == "await_expression" {
            recv.named_child(0).map(unwrap_expr).unwrap_or(recv)
        } else {
            recv
        };
        match recv.kind_name() {
            "member_expression" => {
                let obj = recv
                    .child_by_field_name("object")
                    .map(|o| text(unwrap_expr(o), src));
                let prop = recv.child_by_field_name("property").map(|p| text(p, src));
                match (obj, prop) {
                    (Some(o), Some(p)) if is_worker_env(o) => vec![Target::Name(p.to_owned())],
                    // Hono's typed context variables: `c.var.db`.
                    (Some(o), Some(p)) if o == "var" || o.ends_with(".var") => {
                        self.context_targets(fi, p, depth)
                    }
                    // `this.db` where the class sets `this.db = env.DB`.
                    (Some("this"), Some(p)) => match class_field_value(recv, p, src) {
                        Some(v) => self.targets(fi, v, depth + 1),
                        None => Vec::new(),
                    },
                    _ => Vec::new(),
                }
            }
            "subscript_expression" => {
                let obj = recv
                    .child_by_field_name("object")
                    .map(|o| text(unwrap_expr(o), src));
                let Some(idx) = recv.child_by_field_name("index") else {
                    return Vec::new();
                };
                if !obj.is_some_and(is_worker_env) || !self.worker_env(fi, recv) {
                    return Vec::new();
                }
                // A literal, or a constant that folds to one
                // (`env[BINDING_NAME]`).
                let named = string_value(idx, src).or_else(|| {
                    match fold(self.index, fi, unwrap_expr(idx)) {
                        Some(Value::Str(s)) => Some(s),
                        _ => None,
                    }
                });
                if named.is_none()
                    && let Some(names) = element_strings(self.index, fi, idx)
                {
                    return names.into_iter().map(Target::Name).collect();
                }
                match named {
                    Some(name) => vec![Target::Name(name)],
                    None => vec![Target::Dynamic(
                        self.key(fi, idx, 0)
                            .map_or_else(|| Key::placeholder("name"), |k| k.0),
                    )],
                }
            }
            "identifier" => {
                let name = text(recv, src);
                if let Some(v) = local_value(recv, name, src) {
                    return self.targets(fi, v, depth + 1);
                }
                if let Some(b) = destructured(recv, name, src) {
                    return vec![Target::Name(b)];
                }
                // `const { db } = this.getConfig()`: the property of what
                // the helper returns.
                if let Some(v) = destructured_from(recv, name, src) {
                    let found = self.property_targets(fi, v, name, depth);
                    if !found.is_empty() {
                        return found;
                    }
                }
                // A parameter: what its callers pass (`loadEvents(c.env.
                // EVENTS)`), else by its type when only one binding has
                // that kind, else by its name (`constructor(DB) { this.DB
                // = DB }`).
                let Some(param) = param_of(recv, name, src) else {
                    return Vec::new();
                };
                // Only a parameter that can hold a binding is worth following:
                // typed with a binding type, or untyped (JavaScript).
                let may_bind = param
                    .ty
                    .as_deref()
                    .is_none_or(|t| kind_of_type(t).is_some());
                let passed = if may_bind {
                    self.argument_targets(fi, &param, depth)
                } else {
                    Vec::new()
                };
                if !passed.is_empty() {
                    return passed;
                }
                match param.ty {
                    Some(t) => kind_of_type(&t).map(Target::Typed).into_iter().collect(),
                    None => vec![Target::Name(name.to_owned())],
                }
            }
            "call_expression" => {
                // A helper returning a binding: `bucket(env)`, a `switch`
                // over priority queues.
                // A request-context variable: `c.get("db")`.
                if let Some(name) = context_get(recv, src) {
                    return self.context_targets(fi, &name, depth);
                }
                // `env.DB.withSession(bookmark)`: a D1 session runs the
                // database's queries.
                if let Some((db, "withSession")) = member_call(recv, src) {
                    return self.targets(fi, db, depth + 1);
                }
                let Some((file, returned)) = self.returned(fi, recv) else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                for e in returned {
                    add_new(&mut out, self.targets(file, e, depth + 1));
                }
                out
            }
            // `disabled ? undefined : kv`: either branch.
            "ternary_expression" => {
                let mut out = Vec::new();
                for branch in ["consequence", "alternative"] {
                    if let Some(b) = recv.child_by_field_name(branch) {
                        add_new(&mut out, self.targets(fi, b, depth + 1));
                    }
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// The keys of the values `prepare(…).bind(a, b, …)` binds, in order;
    /// empty past a spread (`bind(...values)`).
    fn bound_keys(&self, fi: usize, prepare: Node<'a>) -> Vec<Option<Key>> {
        let Some(src) = self.index.files.get(fi).map(|f| f.src) else {
            return Vec::new();
        };
        let bind = prepare
            .parent()
            .filter(|m| {
                m.kind_name() == "member_expression"
                    && m.child_by_field_name("property")
                        .is_some_and(|p| text(p, src) == "bind")
            })
            .and_then(|m| m.parent())
            .filter(|c| c.kind_name() == "call_expression");
        let args = bind.map(call_args).unwrap_or_default();
        if args.iter().any(|a| a.kind_name() == "spread_element") {
            return Vec::new();
        }
        args.into_iter()
            .map(|a| self.key(fi, a, 0).map(|(k, _)| k))
            .collect()
    }

    /// What the helper `call` runs returns, and the file it is in:
    /// `this.getKv()` → what that method of the class returns, `bucket(env)`
    /// → what the function `bucket` returns.
    fn returned(&self, fi: usize, call: Node<'a>) -> Option<(usize, Vec<Node<'a>>)> {
        let src = self.index.files.get(fi)?.src;
        let f = call.child_by_field_name("function")?;
        if f.kind_name() == "member_expression"
            && f.child_by_field_name("object")
                .is_some_and(|o| o.kind_name() == "this")
        {
            let m = f
                .child_by_field_name("property")
                .and_then(|p| receivers::class_method(call, text(p, src), src))?;
            Some((fi, returns(m, None)))
        } else if f.kind_name() == "identifier" {
            let r = self.index.resolve(fi, text(f, src))?;
            Some((r.file, returns(r.decl.node, r.decl.value)))
        } else {
            None
        }
    }

    /// The bindings property `prop` of `value` can be, where `value` builds
    /// an object: a literal (`{ db }`, `{ db: env.DB }`), either branch of a
    /// ternary, or what a helper returns.
    fn property_targets(&self, fi: usize, value: Node<'a>, prop: &str, depth: u32) -> Vec<Target> {
        // The structure around the value (a ternary, the literal) is no
        // step of its own: only a helper's return adds to the depth.
        if depth > 4 {
            return Vec::new();
        }
        let Some(src) = self.index.files.get(fi).map(|f| f.src) else {
            return Vec::new();
        };
        let value = unwrap_expr(value);
        let value = if value.kind_name() == "await_expression" {
            value.named_child(0).map(unwrap_expr).unwrap_or(value)
        } else {
            value
        };
        let mut out: Vec<Target> = Vec::new();
        let mut add = |found: Vec<Target>| add_new(&mut out, found);
        match value.kind_name() {
            "object" => {
                for p in children(value) {
                    match p.kind_name() {
                        "shorthand_property_identifier" if text(p, src) == prop => {
                            if let Some(v) = local_value(p, prop, src) {
                                add(self.targets(fi, v, depth + 1));
                            }
                        }
                        "pair"
                            if p.child_by_field_name("key")
                                .is_some_and(|k| text(k, src) == prop) =>
                        {
                            if let Some(v) = p.child_by_field_name("value") {
                                add(self.targets(fi, v, depth));
                            }
                        }
                        _ => {}
                    }
                }
            }
            "ternary_expression" => {
                for branch in ["consequence", "alternative"] {
                    if let Some(b) = value.child_by_field_name(branch) {
                        add(self.property_targets(fi, b, prop, depth));
                    }
                }
            }
            "call_expression" => {
                if let Some((file, returned)) = self.returned(fi, value) {
                    for e in returned {
                        add(self.property_targets(file, e, prop, depth + 1));
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// A key pattern and the JSDoc of the helper that built it.
    fn key(&self, fi: usize, node: Node<'a>, depth: u32) -> Option<(Key, Option<String>)> {
        if depth > 6 {
            return None;
        }
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let node = unwrap_expr(node);
        if let Some(v) = fold(self.index, fi, node) {
            return Some((Key::literal(v.as_string()), None));
        }
        let whole = |n: Node<'a>| value_part(n, src);
        if let Some(k) = self.listed_key(fi, node, depth) {
            return Some((k, None));
        }
        match node.kind_name() {
            "template_string" => {
                let mut out = Key::default();
                let mut doc = None;
                for ch in children(node) {
                    match ch.kind_name() {
                        "string_fragment" | "escape_sequence" => out.push_literal(text(ch, src)),
                        "template_substitution" => {
                            let e = ch.named_child(0)?;
                            match fold(self.index, fi, e) {
                                Some(v) => out.push_literal(&v.as_string()),
                                // A nested helper call contributes its pattern.
                                None => match self.helper_key(fi, e, depth) {
                                    Some((k, d)) => {
                                        out.append(k);
                                        doc = doc.or(d);
                                    }
                                    None => out.append(whole(e)),
                                },
                            }
                        }
                        _ => {}
                    }
                }
                Some((out, doc))
            }
            "binary_expression" => {
                let op = node.child_by_field_name("operator").map(|o| text(o, src));
                if op != Some("+") {
                    return None;
                }
                let part = |n: Node<'a>| {
                    self.key(fi, n, depth + 1)
                        .unwrap_or_else(|| (whole(n), None))
                };
                // `parts.length + 1`: arithmetic, one value — not the text
                // of the number appended.
                let (left, right) = (
                    unwrap_expr(node.child_by_field_name("left")?),
                    unwrap_expr(node.child_by_field_name("right")?),
                );
                let texty = |n: Node<'a>| matches!(n.kind_name(), "string" | "template_string");
                if !texty(left) && !texty(right) {
                    match (left.kind_name() == "number", right.kind_name() == "number") {
                        (true, false) => return Some((whole(right), None)),
                        (false, true) => return Some((whole(left), None)),
                        _ => {}
                    }
                }
                let (mut l, ld) = part(node.child_by_field_name("left")?);
                let (r, rd) = part(node.child_by_field_name("right")?);
                l.append(r);
                Some((l, ld.or(rd)))
            }
            "identifier" | "shorthand_property_identifier" => {
                let name = text(node, src);
                // An array filled by `push` (`keys.push(o.key)`): the keys
                // pushed, or none dmqa can name.
                if let Some(pushes) = filled_array(node, name, src) {
                    let item = pushes.iter().find_map(|push| {
                        call_args(*push)
                            .first()
                            .copied()
                            .filter(|a| a.kind_name() != "spread_element")
                    });
                    return match item {
                        Some(item) => self.key(fi, item, depth + 1),
                        None => Some((Key::opaque(name), None)),
                    };
                }
                match local_value(node, name, src).and_then(|v| self.key(fi, v, depth + 1)) {
                    // A local that is only a value (`const url =
                    // params.get("url")`) is best named by itself.
                    Some((k, _)) if k.is_single_placeholder() => Some((k.renamed(name), None)),
                    Some(found) => Some(found),
                    // A parameter or a loop variable: built elsewhere.
                    None if param_of(node, name, src).is_some()
                        || loop_variable(node, name, src) =>
                    {
                        Some((Key::opaque(name), None))
                    }
                    None => Some((Key::placeholder(name), None)),
                }
            }
            "call_expression" => self
                .helper_key(fi, node, depth)
                .or_else(|| self.reshaped_key(fi, node, depth))
                .or_else(|| self.mapped_key(fi, node, depth))
                .or_else(|| Some((whole(node), None))),
            // `this.todosKey`, set in the constructor from a template.
            "member_expression"
                if node
                    .child_by_field_name("object")
                    .is_some_and(|o| text(o, src) == "this") =>
            {
                let field = node.child_by_field_name("property").map(|p| text(p, src));
                field
                    .and_then(|f| class_field_value(node, f, src))
                    .filter(|v| v.kind_name() != "identifier")
                    .and_then(|v| self.key(fi, v, depth + 1))
                    .or_else(|| Some((whole(node), None)))
            }
            _ => Some((whole(node), None)),
        }
    }

    /// `for (const k of (await env.KV.list({ prefix: "a:" })).keys)
    /// env.KV.get(k.name)` (R2: `.objects` and `.key`): a key a listing
    /// returned is the listed prefix followed by one more part.
    fn listed_key(&self, fi: usize, node: Node<'a>, depth: u32) -> Option<Key> {
        let src = self.index.files.get(fi)?.src;
        if node.kind_name() != "member_expression" {
            return None;
        }
        let field = text(node.child_by_field_name("property")?, src);
        let var = unwrap_expr(node.child_by_field_name("object")?);
        if !matches!(field, "name" | "key") {
            return None;
        }
        let (name, items) = match var.kind_name() {
            "identifier" => (text(var, src), iterated(var, text(var, src), src)?),
            // `keys[i].name`, `keys` being `list.keys` or a local holding it.
            "subscript_expression" => {
                let list = unwrap_expr(var.child_by_field_name("object")?);
                let held = (list.kind_name() == "identifier")
                    .then(|| local_value(list, text(list, src), src))
                    .flatten();
                ("key", held.unwrap_or(list))
            }
            _ => return None,
        };
        let items = unwrap_expr(items);
        // `listing.keys`, or `keys` destructured from the listing.
        let mut listing = match items.kind_name() {
            "member_expression" => {
                let list_of = text(items.child_by_field_name("property")?, src);
                if !matches!(list_of, "keys" | "objects") {
                    return None;
                }
                unwrap_expr(items.child_by_field_name("object")?)
            }
            "identifier" if matches!(text(items, src), "keys" | "objects") => {
                unwrap_expr(destructured_from(items, text(items, src), src)?)
            }
            _ => return None,
        };
        if listing.kind_name() == "identifier" {
            listing = unwrap_expr(local_value(listing, text(listing, src), src)?);
        }
        if listing.kind_name() == "await_expression" {
            listing = unwrap_expr(listing.named_child(0)?);
        }
        let f = listing.child_by_field_name("function")?;
        if listing.kind_name() != "call_expression"
            || f.kind_name() != "member_expression"
            || f.child_by_field_name("property").map(|p| text(p, src)) != Some("list")
        {
            return None;
        }
        let opt = Opt::Prefix.name(Lang::TypeScript)?;
        let options = listing.child_by_field_name("arguments")?.named_child(0);
        let prefix = option_value(options_object(options, opt, src), opt, src)?;
        let (mut key, _) = self.key(fi, prefix, depth + 1)?;
        // Under a prefix dmqa cannot follow, the key is any family too.
        if !key.is_opaque() {
            key.push_placeholder(name);
        }
        Some(key)
    }

    /// `items.map((o) => o.key)`, a list of keys (`delete([...])`): the key
    /// of one item, what the callback returns.
    fn mapped_key(&self, fi: usize, call: Node<'a>, depth: u32) -> Option<(Key, Option<String>)> {
        let src = self.index.files.get(fi)?.src;
        let (_, "map") = member_call(call, src)? else {
            return None;
        };
        let callback = call_args(call).first().map(|a| unwrap_expr(*a))?;
        let body = callback.child_by_field_name("body").filter(|b| {
            callback.kind_name() == "arrow_function" && b.kind_name() != "statement_block"
        })?;
        // `(o) => o.key` of items dmqa cannot trace to a listing: a key it
        // cannot follow, not a family named after the field.
        let item = callback
            .child_by_field_name("parameter")
            .or_else(|| callback.child_by_field_name("parameters")?.named_child(0))
            .map(|p| text(p.child_by_field_name("pattern").unwrap_or(p), src));
        let of_item = body.kind_name() == "member_expression"
            && body
                .child_by_field_name("object")
                .is_some_and(|o| Some(text(o, src)) == item);
        if of_item {
            let key = self
                .listed_key(fi, body, depth + 1)
                .unwrap_or_else(|| Key::opaque(text(body, src)));
            return Some((key, None));
        }
        self.key(fi, body, depth + 1)
    }

    /// `` `${a}/${b}`.replace(/\/+/g, "/") ``, `id.toLowerCase()`: a string
    /// method keeps the pattern of what it is called on.
    fn reshaped_key(&self, fi: usize, call: Node<'a>, depth: u32) -> Option<(Key, Option<String>)> {
        let src = self.index.files.get(fi)?.src;
        let f = unwrap_expr(call.child_by_field_name("function")?);
        if f.kind_name() != "member_expression" {
            return None;
        }
        let method = text(f.child_by_field_name("property")?, src);
        if !keys::STRING_METHODS.contains(&method) {
            return None;
        }
        let (k, d) = self.key(fi, f.child_by_field_name("object")?, depth + 1)?;
        // A bare value reshaped is still that value, named by `whole`.
        (!k.is_single_placeholder()).then_some((k, d))
    }

    /// `releaseBundleKey(appId, id)` → the pattern its body returns.
    fn helper_key(&self, fi: usize, call: Node<'a>, depth: u32) -> Option<(Key, Option<String>)> {
        if call.kind_name() != "call_expression" || depth >= 2 {
            return None;
        }
        let src = self.index.files.get(fi)?.src;
        let f = unwrap_expr(call.child_by_field_name("function")?);
        // `this.getKey(…)`: a method of the class the call is in.
        if f.kind_name() == "member_expression"
            && f.child_by_field_name("object")
                .is_some_and(|o| o.kind_name() == "this")
        {
            let name = text(f.child_by_field_name("property")?, src);
            let method = class_method(call, name, src)?;
            let ret = returns(method, None).into_iter().next()?;
            let (k, d) = self.key(fi, ret, depth + 1)?;
            let k = named_by_arguments(k, method, call, src, src);
            return Some((k, d.or_else(|| doc_comment(method, src))));
        }
        if f.kind_name() != "identifier" {
            return None;
        }
        let r = self.index.resolve(fi, text(f, src))?;
        if !matches!(r.decl.kind, DeclKind::Function | DeclKind::Variable) {
            return None;
        }
        let ret = returns(r.decl.node, r.decl.value).into_iter().next()?;
        let (k, d) = self.key(r.file, ret, depth + 1)?;
        let rfile = self.index.files.get(r.file)?;
        let func = r.decl.value.map(unwrap_expr).unwrap_or(r.decl.node);
        let k = named_by_arguments(k, func, call, rfile.src, src);
        Some((k, d.or_else(|| rfile.doc(&r.decl))))
    }

    fn op(
        &self,
        fi: usize,
        kind: BindingKind,
        binding: &str,
        method: &str,
        call: Node<'a>,
        actor: Option<String>,
    ) -> Option<ResourceOp> {
        let op = cloudflare::op_kind(Lang::TypeScript, kind, method)?;
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let args = call_args(call);
        let mut res = ResourceOp {
            actor: actor.clone(),
            optional: optional_call(call, src),
            best_effort: best_effort(call, src),
            ..ResourceOp::new(kind, binding.to_owned(), op, location(file.path, call))
        };
        let mut key_doc = None;
        match op {
            OpKind::List => {
                let prefix = Opt::Prefix.name(Lang::TypeScript).and_then(|k| {
                    option_value(options_object(args.first().copied(), k, src), k, src)
                });
                res.key = Some(match prefix.and_then(|p| self.key(fi, p, 0)) {
                    Some((k, d)) => {
                        key_doc = d;
                        k
                    }
                    None => Key::default(),
                });
            }
            OpKind::Query => {
                res.sql = args.first().and_then(|q| sql_literal(self.index, fi, *q));
                res.spread = args.first().and_then(|q| spread_list(self.index, fi, *q));
                res.rows_sent_whole = rows_sent_whole(self.index, fi, call, src);
                res.tables = res.sql.as_deref().map(tables_named).unwrap_or_default();
                if res.sql.as_deref().is_some_and(inserts) {
                    res.bound = self.bound_keys(fi, call);
                }
            }
            OpKind::Send | OpKind::SendBatch => {
                res.delay_secs = messages::delay_seconds(self.index, fi, args.get(1).copied());
                if op == OpKind::Send
                    && let Some(m) = args.first().map(|a| unwrap_expr(*a))
                    && m.kind_name() == "object"
                {
                    res.message = message_fields(self.index, fi, m);
                }
                if op == OpKind::SendBatch {
                    res.spread = args.first().and_then(|a| batch_list(*a, src));
                }
            }
            _ => {
                if let Some((k, d)) = args.first().and_then(|a| self.key(fi, *a, 0)) {
                    res.key = Some(k);
                    key_doc = d;
                }
                if kind == BindingKind::R2 && op == OpKind::Delete {
                    res.spread = args.first().and_then(|a| listed_list(*a, call, src));
                }
                if matches!(kind, BindingKind::Kv | BindingKind::R2) {
                    res.whole_url = args.first().and_then(|a| whole_url(*a, src));
                }
            }
        }
        if kind == BindingKind::Kv {
            match op {
                OpKind::Write => {
                    let kind = args.get(1).and_then(|v| value_type(*v, src));
                    let metadata = option(args.get(2).copied(), Opt::Metadata, src).is_some();
                    res.value_type =
                        (kind.is_some() || metadata).then_some(ValueType { kind, metadata });
                    res.ttl = Some(ttl(self.index, fi, args.get(2).copied()));
                }
                OpKind::Read => {
                    res.value_type =
                        args.get(1)
                            .and_then(|t| read_type(*t, src))
                            .map(|kind| ValueType {
                                kind: Some(kind),
                                metadata: false,
                            });
                    res.cache_ttl = option(args.get(1).copied(), Opt::CacheTtl, src)
                        .map(|v| seconds(self.index, fi, v));
                }
                _ => {}
            }
        }
        res.purpose = key_doc.or_else(|| enclosing_doc(call, src));
        Some(res)
    }
}

/// Adds to `out` the targets of `found` it does not hold yet, in order.
fn add_new(out: &mut Vec<Target>, found: Vec<Target>) {
    for t in found {
        if !out.contains(&t) {
            out.push(t);
        }
    }
}

/// Whether SQL text inserts rows (`INSERT …`, `REPLACE …`).
fn inserts(sql: &str) -> bool {
    sql.split_whitespace()
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("insert") || w.eq_ignore_ascii_case("replace"))
}

/// Records a read of binding `name` at `at`: the first of its file (looked
/// for among `reads[from..]`), or whether it is tested, on the one there.
fn note_read(
    reads: &mut Vec<crate::model::BindingRead>,
    from: usize,
    name: &str,
    at: crate::model::Location,
    tested: bool,
) {
    match reads[from..]
        .iter_mut()
        .find(|r| r.name == name && r.location.path == at.path)
    {
        Some(r) => r.tested |= tested,
        None => reads.push(crate::model::BindingRead {
            name: name.to_owned(),
            location: at,
            tested,
        }),
    }
}

/// Whether the read `env.X` (a member or subscript expression) tests the
/// binding for presence rather than only using it: `!env.X`, `if
/// (env.X)`, `env.X ? … : …`, `env.X && …` / `|| …` / `?? …`, `typeof
/// env.X`, a comparison with `undefined` / `null`, `env.X?.put(…)`.
fn presence_test(read: Node<'_>, src: &str) -> bool {
    let mut n = read;
    while let Some(p) = n.parent().filter(|p| {
        matches!(
            p.kind_name(),
            "parenthesized_expression" | "non_null_expression" | "as_expression"
        )
    }) {
        n = p;
    }
    let Some(p) = n.parent() else {
        return false;
    };
    let first = |field: &str| {
        p.child_by_field_name(field)
            .is_some_and(|c| c.id() == n.id())
    };
    match p.kind_name() {
        "unary_expression" => p
            .child_by_field_name("operator")
            .is_some_and(|o| matches!(text(o, src), "!" | "typeof")),
        "if_statement" | "while_statement" => first("condition"),
        "ternary_expression" => first("condition"),
        "binary_expression" => {
            let op = p.child_by_field_name("operator").map(|o| text(o, src));
            let other = if first("left") { "right" } else { "left" };
            let other = p.child_by_field_name(other).map(|o| text(o, src));
            match op {
                Some("&&" | "||" | "??") => first("left"),
                Some("===" | "!==" | "==" | "!=") => {
                    matches!(other, Some("undefined" | "null"))
                }
                _ => false,
            }
        }
        "member_expression" => {
            first("object")
                && p.child_by_field_name("property").is_some_and(|prop| {
                    src.get(n.end_byte()..prop.start_byte())
                        .is_some_and(|between| between.contains("?."))
                })
        }
        _ => false,
    }
}

/// Whether a method call goes through optional chaining on its receiver:
/// `env.DLQ?.send(…)`, `env.DLQ?.send?.(…)`.
fn optional_call(call: Node<'_>, src: &str) -> bool {
    let Some(f) = call.child_by_field_name("function").map(unwrap_expr) else {
        return false;
    };
    if f.kind_name() != "member_expression" {
        return false;
    }
    let (Some(object), Some(property)) = (
        f.child_by_field_name("object"),
        f.child_by_field_name("property"),
    ) else {
        return false;
    };
    src.get(object.end_byte()..property.start_byte())
        .is_some_and(|between| between.contains("?."))
        || src
            .get(
                f.end_byte()
                    ..call
                        .child_by_field_name("arguments")
                        .map_or(f.end_byte(), |a| a.start_byte()),
            )
            .is_some_and(|between| between.contains("?."))
}

/// The value of `key` in an options-object argument: the `prefix` of
/// `list({ prefix })`, the `delaySeconds` of `retry({ delaySeconds })`.
/// The options object of a call: the literal written there, or the one a
/// local holds (`const listOptions = { prefix: "grant:" }; list(listOptions)`)
/// when the function never sets that `key` on it afterwards
/// (`listOptions.prefix = …`); adding a `cursor` keeps the prefix.
fn options_object<'t>(arg: Option<Node<'t>>, key: &str, src: &str) -> Option<Node<'t>> {
    let arg = unwrap_expr(arg?);
    if arg.kind_name() != "identifier" {
        return Some(arg);
    }
    let name = text(arg, src);
    let value = unwrap_expr(local_value(arg, name, src)?);
    let body = super::syntax::enclosing_function(arg).unwrap_or(arg);
    let set = format!("{name}.{key}");
    let reassigned = text(body, src).match_indices(&set).any(|(i, _)| {
        let after = text(body, src)[i + set.len()..].trim_start();
        after.starts_with('=') && !after.starts_with("==")
    });
    (value.kind_name() == "object" && !reassigned).then_some(value)
}

fn option_value<'t>(options: Option<Node<'t>>, key: &str, src: &str) -> Option<Node<'t>> {
    let o = unwrap_expr(options?);
    if o.kind_name() != "object" {
        return None;
    }
    children(o).into_iter().find_map(|p| {
        // `{ prefix }`: the local of that name.
        if p.kind_name() == "shorthand_property_identifier" {
            return (text(p, src) == key).then_some(p);
        }
        let k = p.child_by_field_name("key")?;
        (text(k, src) == key).then(|| p.child_by_field_name("value"))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tables_in_sql() {
        assert_eq!(
            tables_named(
                "SELECT * FROM apps a JOIN releases r ON r.app_id = a.id WHERE x IN (SELECT y FROM channels)"
            ),
            vec!["apps", "releases", "channels"]
        );
        assert_eq!(
            tables_named("INSERT OR IGNORE INTO `users` (id) VALUES (?)"),
            vec!["users"]
        );
        assert_eq!(
            tables_named("UPDATE upload_jobs SET status = ?"),
            vec!["upload_jobs"]
        );
        assert_eq!(
            tables_named(
                "INSERT INTO c (k) VALUES (?) ON CONFLICT (k) DO UPDATE SET k = excluded.k"
            ),
            vec!["c"]
        );
    }

    #[test]
    fn placeholders_are_named_after_what_a_string_method_reshapes() {
        let src = "k(`a/${crypto.randomUUID().slice(0, 8)}/${user.id}/${String(n)}/${name.trim().toLowerCase()}/${c.req.param(\"boardId\")}`)";
        let file = super::super::parse::parse_source("a.ts", src).unwrap();
        let mut names = Vec::new();
        super::super::syntax::walk(file.tree.root_node(), |n| {
            if n.kind_name() == "template_substitution"
                && let Some(e) = n.named_child(0)
            {
                names.push(placeholder(e, src));
            }
        });
        assert_eq!(names, vec!["randomUUID", "userId", "n", "name", "boardId"]);
    }

    #[test]
    fn sql_built_by_concatenation() {
        let src = "const T = \"users\";\nq(\"SELECT id FROM \" + T + \" WHERE org_id = \" + orgId + \" LIMIT 5\");\n";
        let files = vec![super::super::parse::parse_source("a.ts", src).unwrap()];
        let index = CodeIndex::new(
            &files,
            super::super::resolve::Resolver::new(["a.ts".to_owned()], Vec::new()),
        );
        let mut got = None;
        super::super::syntax::walk(index.files[0].root, |n| {
            if n.kind_name() == "arguments"
                && let Some(a) = n.named_child(0)
            {
                got = sql_literal(&index, 0, a);
            }
        });
        assert_eq!(
            got.as_deref(),
            Some("SELECT id FROM users WHERE org_id = ? LIMIT 5")
        );
    }
}

#[cfg(test)]
mod key_helpers {
    use crate::analysis::rules::testing::{model_with, wrangler};

    /// Keys built by a method of the class the call is in, through a
    /// module helper whose template is reshaped by `.replace()`.
    #[test]
    fn a_key_built_by_a_class_method_is_followed_to_its_template() {
        let helper = "export function cacheKey(key: string, o: { prefix: string; buildId: string }) {\n  const { prefix, buildId } = o;\n  const hash = digest(key);\n  return `${prefix}/${buildId}/${hash}.cache`.replace(/\\/+/g, \"/\");\n}\n";
        let code = "import { cacheKey } from \"./keys\";\nexport class Cache {\n  constructor(private env: Env) {}\n  async get(key: string) {\n    return this.env.KV.get(this.kvKey(key), \"json\");\n  }\n  protected kvKey(key: string): string {\n    return cacheKey(key, { prefix: \"p\", buildId: \"b\" });\n  }\n}\nexport default { async fetch(req: Request, env: Env) { await new Cache(env).get(req.url); return new Response(); } };\n";
        let config = wrangler("[[kv_namespaces]]\nbinding = \"KV\"\nid = \"k\"\n");
        let model = model_with(
            "",
            &[
                ("wrangler.toml", &config),
                ("src/keys.ts", helper),
                ("src/index.ts", code),
            ],
        );
        let patterns: Vec<String> = model.kv_namespaces[0]
            .key_patterns
            .iter()
            .map(|p| p.pattern.notation())
            .collect();
        assert_eq!(patterns, ["{prefix}/{buildId}/{hash}.cache"]);
    }

    /// `const { db } = this.getConfig()`: the binding is the property of
    /// the object the helper returns, through a ternary and a private
    /// method's parameter.
    #[test]
    fn a_binding_destructured_from_what_a_helper_returns() {
        let code = "const NAME = \"TAGS\";\nclass TagCache {\n  async get(tag: string) {\n    const { disabled, db } = this.getConfig();\n    if (disabled) return null;\n    return this.#read(tag, db);\n  }\n  async #read(tag: string, db: D1Database) {\n    return db.prepare(\"SELECT v FROM tags WHERE tag = ?\").bind(tag).first();\n  }\n  async put(tag: string) {\n    const { db: other } = this.getConfig();\n    const { db } = this.getConfig();\n    await db.prepare(\"INSERT INTO tags (tag) VALUES (?)\").bind(tag).run();\n  }\n  private getConfig() {\n    const db = getCloudflareContext().env[NAME];\n    return !db ? { disabled: true } : { disabled: false, db };\n  }\n}\nexport default { async fetch(req: Request, env: Env) { const t = new TagCache(); await t.put(req.url); return Response.json(await t.get(req.url)); } };\n";
        let config = wrangler(
            "[[d1_databases]]\nbinding = \"TAGS\"\ndatabase_name = \"tags\"\ndatabase_id = \"a\"\n\n[[d1_databases]]\nbinding = \"OTHER\"\ndatabase_name = \"other\"\ndatabase_id = \"b\"\n",
        );
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", code)]);
        let ops: Vec<(&str, u32)> = model
            .resource_ops
            .iter()
            .map(|o| (o.binding.as_str(), o.location.line))
            .collect();
        assert_eq!(ops, [("TAGS", 9), ("TAGS", 14)]);
    }

    /// A D1 read-replication session (`env.DB.withSession(…)`) runs the
    /// database's queries, also in a handler `fetch` passes by name to a
    /// wrapper that calls it.
    #[test]
    fn a_d1_session_passed_with_its_handler() {
        let code = "export default {\n  async fetch(request: Request, env: Env) {\n    const session = env.DB.withSession(\"first-unconstrained\");\n    await session.prepare(\"INSERT INTO hits (at) VALUES (?)\").bind(1).run();\n    return withRetry(request, session, handle);\n  },\n};\nasync function withRetry(request: Request, session: D1DatabaseSession, handler: (r: Request, s: D1DatabaseSession) => Promise<Response>) {\n  return handler(request, session);\n}\nasync function handle(request: Request, session: D1DatabaseSession) {\n  return Response.json(await session.prepare(\"SELECT id FROM orders\").all());\n}\n";
        let one =
            "[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"db\"\ndatabase_id = \"a\"\n";
        let ops = |config: &str| -> Vec<(String, u32, bool)> {
            let model = model_with(
                "",
                &[("wrangler.toml", &wrangler(config)), ("src/index.ts", code)],
            );
            model
                .resource_ops
                .iter()
                .map(|o| {
                    let from_fetch = o.entries.iter().any(|e| e.is_request());
                    (o.binding.clone(), o.location.line, from_fetch)
                })
                .collect()
        };
        // The handler's parameter is known by its type when one D1
        // database is bound; it runs for `fetch`.
        assert_eq!(
            ops(one),
            [("DB".to_owned(), 4, true), ("DB".to_owned(), 12, true)]
        );
        // With two, only the session built from `env.DB` is known.
        let two = format!(
            "{one}\n[[d1_databases]]\nbinding = \"OTHER\"\ndatabase_name = \"other\"\ndatabase_id = \"b\"\n"
        );
        assert_eq!(ops(&two), [("DB".to_owned(), 4, true)]);
    }

    /// The keys of a list of keys: mapped from a listing (whose `prefix`
    /// is a shorthand property), pushed into an array, or — from items
    /// dmqa cannot trace — a key it cannot follow.
    #[test]
    fn a_list_of_keys_is_keyed_like_its_items() {
        use crate::model::{Key, OpKind};
        let code = "export default {\n  async fetch(request: Request, env: Env) {\n    const prefix = `exports/${request.headers.get(\"user\")}/`;\n    const listed = await env.FILES.list({ prefix });\n    await env.FILES.delete(listed.objects.map((o) => o.key));\n    const keys: string[] = [];\n    for (const o of listed.objects) keys.push(o.key);\n    await env.FILES.delete(keys);\n    await env.FILES.list({ prefix }).then((res) => env.FILES.delete(res.objects.map((x) => x.key)));\n    return new Response();\n  },\n};\n";
        let config = wrangler("[[r2_buckets]]\nbinding = \"FILES\"\nbucket_name = \"files\"\n");
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", code)]);
        let deleted: Vec<String> = model
            .resource_ops
            .iter()
            .filter(|o| o.op == OpKind::Delete)
            .filter_map(|o| o.key.as_ref().map(Key::notation))
            .collect();
        assert_eq!(
            deleted,
            ["exports/{user}/{o}", "exports/{user}/{o}", "{x.key}"]
        );
        let untraced = model
            .resource_ops
            .iter()
            .filter(|o| o.op == OpKind::Delete)
            .nth(2)
            .and_then(|o| o.key.as_ref());
        assert!(untraced.is_some_and(Key::is_opaque), "{untraced:?}");
        // Under a prefix dmqa cannot follow (a parameter), any family.
        let code = "export async function sweep(env: Env, prefix: string) {\n  const l = await env.FILES.list({ prefix });\n  await env.FILES.delete(l.objects.map((o) => o.key));\n}\nexport default { async fetch(request: Request, env: Env) { await sweep(env, request.url); return new Response(); } };\n";
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", code)]);
        let deleted = model
            .resource_ops
            .iter()
            .find(|o| o.op == OpKind::Delete)
            .and_then(|o| o.key.as_ref());
        assert!(deleted.is_some_and(Key::is_opaque), "{deleted:?}");
    }

    /// A key a helper is handed is the one each caller builds; a listing's
    /// options held in a local keep their prefix; a ternary of options
    /// objects sets its TTL on one branch only.
    #[test]
    fn keys_handed_to_helpers_and_options_held_in_locals() {
        use crate::model::{Expiry, Key, OpKind};
        let code = "async function save(env: Env, key: string, expiresAt?: number) {\n  const opts = expiresAt !== undefined ? { expiration: expiresAt } : {};\n  await env.KV.put(key, \"{}\", opts);\n}\nasync function drop(env: Env, key: string) { await env.KV.delete(key); }\nexport default { async fetch(req: Request, env: Env) {\n  const id = new URL(req.url).pathname;\n  const grantKey = `grant:${id}`;\n  await save(env, grantKey, 1);\n  await save(env, `token:${id}`);\n  await drop(env, `grant:${id}`);\n  await drop(env, req.headers.get(\"k\") ?? \"\");\n  const listOptions: { prefix: string; cursor?: string } = { prefix: \"grant:\" };\n  listOptions.cursor = \"c\";\n  const page = await env.KV.list(listOptions);\n  for (const k of page.keys) await env.KV.get(k.name);\n  return new Response();\n} };\n";
        let config = wrangler("[[kv_namespaces]]\nbinding = \"KV\"\nid = \"x\"\n");
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", code)]);
        let keyed = |op: OpKind| -> Vec<String> {
            model
                .resource_ops
                .iter()
                .filter(|o| o.op == op)
                .filter_map(|o| o.key.as_ref().map(Key::notation))
                .collect()
        };
        // Both callers of `save` build their key: one write each.
        assert_eq!(keyed(OpKind::Write), ["grant:{id}", "token:{id}"]);
        let ttl = model
            .resource_ops
            .iter()
            .find(|o| o.op == OpKind::Write)
            .and_then(|o| o.ttl.clone());
        assert_eq!(
            ttl,
            Some(Expiry::WhenSet {
                ttl: Box::new(Expiry::Absolute)
            })
        );
        // One caller of `drop` passes a header: the key stays one dmqa
        // cannot follow, never a guessed family.
        let deleted = model.resource_ops.iter().find(|o| o.op == OpKind::Delete);
        assert!(
            deleted
                .and_then(|o| o.key.as_ref())
                .is_some_and(Key::is_opaque)
        );
        assert_eq!(keyed(OpKind::List), ["grant:"]);
        assert_eq!(keyed(OpKind::Read), ["grant:{k}"]);
        // A public method another class may call stays a key dmqa cannot
        // follow, even when its own class's calls build one; a `let`
        // building on itself is not followed either.
        let code = "export class Store {\n  constructor(private kv: KVNamespace) {}\n  async save(key: string) { await this.kv.put(key, \"1\"); }\n  async touch(id: string) { await this.save(`seen:${id}`); }\n}\nexport class Other { async go(s: Store, k: string) { await s.save(k); } }\nexport default { async fetch(req: Request, env: Env) {\n  await new Store(env.KV).touch(req.url);\n  let key;\n  key = `a:${req.url}`;\n  key = key + \"/\";\n  await env.KV.delete(key);\n  return new Response();\n} };\n";
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", code)]);
        let write = model.resource_ops.iter().find(|o| o.op == OpKind::Write);
        assert!(
            write
                .and_then(|o| o.key.as_ref())
                .is_some_and(Key::is_opaque),
            "{write:?}"
        );
        let delete = model.resource_ops.iter().find(|o| o.op == OpKind::Delete);
        assert_eq!(
            delete
                .and_then(|o| o.key.as_ref())
                .map(Key::notation)
                .as_deref(),
            Some("{key}")
        );
    }

    /// `keys[i].name` of a listing's keys held in a local is the listed
    /// family too.
    #[test]
    fn an_indexed_listed_key_is_the_listed_family() {
        use crate::model::{Key, OpKind};
        let code = "export default { async fetch(request: Request, env: Env) {\n  const list = await env.KV.list({ prefix: \"post:\" });\n  const keys = list.keys;\n  for (let i = 0; i < keys.length; i++) await env.KV.get(keys[i].name);\n  return new Response();\n} };\n";
        let config = wrangler("[[kv_namespaces]]\nbinding = \"KV\"\nid = \"x\"\n");
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", code)]);
        let read: Vec<String> = model
            .resource_ops
            .iter()
            .filter(|o| o.op == OpKind::Read)
            .filter_map(|o| o.key.as_ref().map(Key::notation))
            .collect();
        assert_eq!(read, ["post:{key}"]);
    }

    /// A fetch of Cloudflare's Analytics Engine SQL API reads the Worker's
    /// one Analytics Engine dataset; with two, which one is not known.
    #[test]
    fn an_analytics_engine_sql_read_is_the_one_dataset_s() {
        let code = "const SQL = `https://api.cloudflare.com/client/v4/accounts/${id}/analytics_engine/sql`;\nexport default { async fetch(req: Request, env: Env) {\n  env.HITS.writeDataPoint({ blobs: [req.url] });\n  return fetch(SQL, { method: \"POST\", body: \"SELECT 1 FROM hits\" });\n} };\n";
        let reads = |datasets: &str| {
            let config = wrangler(datasets);
            let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", code)]);
            model
                .resource_ops
                .iter()
                .filter(|o| o.op == crate::model::OpKind::Read)
                .map(|o| (o.binding.clone(), o.entries.len()))
                .collect::<Vec<_>>()
        };
        let one = "[[analytics_engine_datasets]]\nbinding = \"HITS\"\ndataset = \"hits\"\n";
        assert_eq!(reads(one), [("HITS".to_owned(), 1)]);
        let two = format!(
            "{one}\n[[analytics_engine_datasets]]\nbinding = \"AUDIT\"\ndataset = \"audit\"\n"
        );
        assert!(reads(&two).is_empty());
    }
}
