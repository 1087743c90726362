//! Rust sources with syn: workers-rs bindings and diesel schemas.
//!
//! One `syn::parse_file` per `.rs` file, then one visit:
//! - workers-rs bindings — `env.d1("DB")`, `env.kv("X")`, `env.bucket("X")`,
//!   `env.queue("X")` (also `ctx.env`, through `?` / `.await`, and `let`
//!   locals holding one) — and the operations on them: D1 `prepare(SQL)`,
//!   KV `get` / `put(…)?.expiration_ttl(N)` / `delete` / `list`, R2 `get` /
//!   `put` / `delete` / `list`, queue `send`. Keys come from string literals
//!   and `format!` (placeholders named after the arguments); TTLs fold
//!   integer `const`s (`60 * 60`).
//! - entry points: `#[event(fetch)]` / `#[event(queue)]` /
//!   `#[event(scheduled)]` functions, and `Router` routes
//!   (`.get_async("/path", …)`) for the closures they take.
//! - diesel `table! { … }` blocks as tables, diesel SQL types mapped to
//!   the SQL types the backend uses.
//!
//! A macro whose body cannot be read is a warning naming the macro.

use crate::cloudflare::{self, Lang, Opt};
use crate::model::{
    BindingKind, Caller, CodeDurableObject, Column, Diagnostic, DoMethod, Engine, EntryPoint,
    Expiry, Handler, Key, Location, MessageType, Model, OpKind, OrmTable, OrmTarget, RelationKind,
    Relationship, ResourceOp, StateItem, Table,
};
use crate::scan::SourceFile;
use std::collections::HashMap;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, ExprMethodCall, Lit};

mod callers;
mod calls;
mod diesel;
mod limits;
mod routes;

use callers::*;
use calls::*;
use diesel::*;
use limits::*;

/// Stack for syn's recursive parse, visit and drop.
const PARSE_STACK: usize = 256 * 1024 * 1024;

/// Reads every Rust file into `model`, on a thread with a stack large
/// enough for syn's recursion over anything [`too_deep`] lets through.
pub fn extract(files: &[&SourceFile], model: &mut Model) {
    if files.is_empty() {
        return;
    }
    let taken = std::mem::take(model);
    let result = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, move || {
                let mut m = taken;
                extract_here(files, &mut m);
                m
            })
            .ok()
            .and_then(|h| h.join().ok())
    });
    match result {
        Some(m) => *model = m,
        None => model.diagnostics.push(Diagnostic::warning(
            Location::line(files[0].path.as_str(), 1),
            crate::model::Code::IoError,
            "the Rust reader could not run; Rust files left out",
        )),
    }
}

fn extract_here(files: &[&SourceFile], model: &mut Model) {
    let mut ops: Vec<ResourceOp> = Vec::new();
    // (Worker config, callee) → callers.
    let mut callers: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut parsed: Vec<(&SourceFile, syn::File)> = Vec::new();
    for f in files {
        // syn parses and visits recursively: a file nested deeper than any
        // hand-written code is skipped rather than risk the stack.
        if let Some(why) = too_deep(&f.text) {
            model.diagnostics.push(Diagnostic::warning(
                Location::line(&f.path, 1),
                crate::model::Code::RustTooDeep,
                format!("skipped: {why}"),
            ));
            continue;
        }
        match syn::parse_file(&f.text) {
            Ok(ast) => parsed.push((f, ast)),
            Err(e) => {
                let at = e.span().start();
                model.diagnostics.push(Diagnostic::warning(
                    Location::at(&f.path, at.line as u32, at.column as u32 + 1),
                    crate::model::Code::RustSyntaxError,
                    format!("this file does not parse as Rust ({e}); skipped"),
                ));
            }
        }
    }
    // What every file may use: the crate's constants, then the binding
    // each struct field holds (from the struct literals that build it,
    // read by a first visit with the constants known).
    let mut shared = Shared {
        fns: crate_fns(&parsed),
        strs: crate_strings(&parsed),
        fields: HashMap::new(),
        params: HashMap::new(),
        returns: HashMap::new(),
        types: crate_types(&parsed),
    };
    // A handle passed through a parameter into a field reaches its uses
    // after two visits; a third follows one more call.
    for _ in 0..3 {
        let flows: Vec<Flow> = parsed
            .iter()
            .map(|(f, ast)| {
                let mut v = Reader::new(&f.path, &shared);
                v.prepare(ast);
                v.visit_file(ast);
                v.flow
            })
            .collect();
        if !shared.learn(flows) {
            break;
        }
    }
    for (f, ast) in &parsed {
        let mut v = Reader::new(&f.path, &shared);
        v.prepare(ast);
        v.visit_file(ast);
        v.finish();
        for (name, consumer, at) in &v.messages {
            if let Some(fields) = v.structs.get(name) {
                model.message_types.push(MessageType {
                    binding: None,
                    consumer_file: consumer.then(|| f.path.clone()),
                    fields: fields.clone(),
                    location: at.clone(),
                });
            }
        }
        // Sends of a struct literal: the schema of their queue.
        for (i, name) in &v.sent {
            if let (Some(op), Some(fields)) = (v.ops.get_mut(*i), v.structs.get(name)) {
                op.message = fields.clone();
            }
        }
        let scope = scope_of(&model.workers, &f.path);
        for (from, to) in v.calls {
            let list = callers.entry((scope.clone(), to)).or_default();
            if !list.contains(&from) {
                list.push(from);
            }
        }
        for mut d in std::mem::take(&mut v.objects) {
            for (ty, key) in &v.storage_keys {
                let entry = StateItem::StorageKey {
                    key: key.clone(),
                    ty: "unknown".to_owned(),
                };
                if *ty == d.class_name && !d.state.contains(&entry) {
                    d.state.push(entry);
                }
            }
            for (ty, ddl, at) in &v.object_sql {
                if *ty == d.class_name {
                    d.sql.push((ddl.clone(), at.clone()));
                }
            }
            for (ty, name, doc, at) in &v.methods {
                if *ty != d.class_name || d.methods.iter().any(|m| m.name == *name) {
                    continue;
                }
                let handler = Handler::parse(Lang::Rust, name);
                let mut called_by: Vec<Caller> = handler
                    .filter(|h| h.runtime_only())
                    .map(|handler| Caller::Runtime { handler })
                    .into_iter()
                    .collect();
                // Helpers the object calls itself.
                for (t, from, callee) in &v.self_calls {
                    let by = Caller::Internal {
                        from: cloudflare::entry_point(Lang::Rust, from),
                    };
                    if *t == d.class_name
                        && callee == name
                        && from != name
                        && !called_by.contains(&by)
                    {
                        called_by.push(by);
                    }
                }
                d.methods.push(DoMethod {
                    name: name.clone(),
                    doc: doc.clone(),
                    handler,
                    called_by,
                    location: at.clone(),
                });
            }
            model.code_durable_objects.push(d);
        }
        ops.extend(v.ops);
        model.queue_handlers.extend(v.queue_handlers);
        model.orm_tables.extend(v.tables);
        model.orm_relations.extend(v.relations);
        model.diagnostics.extend(v.diags);
    }
    let plain = by_plain_name(&callers);
    for op in &mut ops {
        place(
            op,
            &callers,
            &plain,
            &scope_of(&model.workers, &op.location.path),
        );
    }
    // `fetch()` of a Rust Durable Object: who calls it on a stub.
    for d in model.code_durable_objects.iter_mut() {
        let Some(m) = d.methods.iter_mut().find(|m| m.name == "fetch") else {
            continue;
        };
        for op in ops.iter().filter(|o| o.kind == BindingKind::DurableObject) {
            let bound = model.workers.iter().flat_map(|w| &w.bindings).any(|b| {
                b.kind == BindingKind::DurableObject
                    && b.name == op.binding
                    && b.target.as_deref() == Some(d.class_name.as_str())
            });
            if !bound {
                continue;
            }
            let by = match (op.entries.first(), &op.actor) {
                (Some(e), Some(a)) if e.name() != *a => Caller::Stub {
                    actor: a.clone(),
                    entries: vec![e.clone()],
                },
                (Some(_), Some(actor)) | (None, Some(actor)) => Caller::Stub {
                    actor: actor.clone(),
                    entries: Vec::new(),
                },
                (Some(e), None) => Caller::Stub {
                    actor: e.name(),
                    entries: Vec::new(),
                },
                (None, None) => continue,
            };
            if !m.called_by.contains(&by) {
                m.called_by.push(by);
            }
        }
    }
    model.resource_ops.extend(ops);
}

/// What one file's visit may use from the whole crate.
struct Shared<'p> {
    /// Free functions by name, with their file (a name two files declare
    /// is left out): a helper a call may be read through.
    fns: HashMap<String, (&'p str, &'p syn::ItemFn)>,
    /// `const NAME: &str = "…"` of every file, by name (a name two files
    /// give different values is left out).
    strs: HashMap<String, String>,
    /// (struct, field) → the handle its struct literals put there.
    fields: HashMap<(String, String), Handle>,
    /// (function, parameter index) → the handle every call passes it.
    params: HashMap<(String, usize), Handle>,
    /// Function → the handle it returns (`fn stub(env: &Env) -> …`).
    returns: HashMap<String, Handle>,
    /// The types the crate declares (structs, enums, traits, aliases):
    /// `Foo::bar(…)` of one of them may call a function of ours,
    /// `Response::error(…)` never does.
    types: std::collections::HashSet<String>,
}

/// What one visit learnt about fields and parameters.
#[derive(Default)]
struct Flow {
    /// (struct, field) ← a handle, or the parameter its literal stores.
    fields: Vec<((String, String), Handle)>,
    /// (function, parameter index) ← the handle a call passes.
    params: Vec<((String, usize), Handle)>,
    /// Function ← the handle its body's value is.
    returns: Vec<(String, Handle)>,
}

/// Values gathered by key, a key given two different values keeping none:
/// what every place agrees on.
struct Agreed<K, V>(HashMap<K, Option<V>>);

impl<K: std::hash::Hash + Eq, V: PartialEq> Agreed<K, V> {
    fn new() -> Self {
        Agreed(HashMap::new())
    }

    fn add(&mut self, k: K, v: V) {
        self.0
            .entry(k)
            .and_modify(|old| {
                if old.as_ref() != Some(&v) {
                    *old = None;
                }
            })
            .or_insert(Some(v));
    }

    /// The keys every place gave one value, with that value.
    fn settled(self) -> impl Iterator<Item = (K, V)> {
        self.0.into_iter().filter_map(|(k, v)| Some((k, v?)))
    }
}

impl Shared<'_> {
    /// Folds one pass's flow in: a field or parameter two places fill
    /// with different handles is left unknown.
    fn learn(&mut self, flows: Vec<Flow>) -> bool {
        let mut fields = Agreed::new();
        let mut params = Agreed::new();
        let mut returns = Agreed::new();
        for f in flows {
            for (k, h) in f.params {
                params.add(k, h);
            }
            for (k, h) in f.fields {
                fields.add(k, h);
            }
            for (k, h) in f.returns {
                returns.add(k, h);
            }
        }
        let returns: HashMap<_, _> = returns
            .settled()
            .filter(|(_, h)| !matches!(h, Handle::Param(..)))
            .collect();
        let params: HashMap<_, _> = params.settled().collect();
        // A field stored from a parameter holds what the calls pass.
        let fields: HashMap<_, _> = fields
            .settled()
            .filter_map(|(k, v)| match v {
                Handle::Param(p, i) => Some((k, params.get(&(p, i))?.clone())),
                h => Some((k, h)),
            })
            .collect();
        let changed = fields != self.fields || params != self.params || returns != self.returns;
        self.fields = fields;
        self.params = params;
        self.returns = returns;
        changed
    }
}

/// A runtime handle a local or a struct field holds.
#[derive(Debug, Clone, PartialEq)]
enum Handle {
    /// `env.kv("X")?` and the like: a binding of that kind, and its name —
    /// or each name it may be (`env.durable_object(if shared { "A" } else
    /// { "B" })`), sorted.
    Binding(BindingKind, Vec<String>),
    /// `state.storage().sql()`: the Durable Object's SQLite.
    Sql,
    /// `state.storage()`: the Durable Object's key-value storage.
    Storage,
    /// A function's parameter (function, index), until the calls say
    /// what they pass.
    Param(String, usize),
    /// Not a handle: keys built from this pattern (`let keys: Vec<String>
    /// = (0..n).map(|i| format!("key_{i}")).collect()`, and a `for` loop's
    /// variable over them).
    Keys(Key),
    /// Not a handle: a value of this kind, as a KV put stores it
    /// (`serde_json::to_string(&record)?` or a struct is JSON, a literal or
    /// `format!` text).
    Value(crate::model::ValueKind),
    /// Not a handle: text that is one of these strings (`let name = if
    /// shared { "A" } else { "B" };`), sorted.
    Text(Vec<String>),
    /// Not a handle: text `format!` builds, of this pattern (`let key =
    /// format!("user:{id}")`): a key of that pattern, a KV value of text.
    Formatted(Key),
    /// Not a handle: the KV read or write builder the operation at this
    /// place returned (`let get = kv.get(&key);` then `get.json()`), kept
    /// in a local declared this many `if` / `match` deep.
    Builder(crate::model::Location, u32),
    /// Not a handle: each item of a collection dmqa did not see built
    /// (`for key in listed.keys`), so a key made from it may be anything.
    Item,
}

/// The names of the types the crate declares.
fn crate_types(parsed: &[(&SourceFile, syn::File)]) -> std::collections::HashSet<String> {
    #[derive(Default)]
    struct Types(std::collections::HashSet<String>);
    impl<'ast> Visit<'ast> for Types {
        fn visit_item_struct(&mut self, i: &'ast syn::ItemStruct) {
            self.0.insert(i.ident.to_string());
        }
        fn visit_item_enum(&mut self, i: &'ast syn::ItemEnum) {
            self.0.insert(i.ident.to_string());
        }
        fn visit_item_trait(&mut self, i: &'ast syn::ItemTrait) {
            self.0.insert(i.ident.to_string());
            visit::visit_item_trait(self, i);
        }
        fn visit_item_type(&mut self, i: &'ast syn::ItemType) {
            self.0.insert(i.ident.to_string());
        }
        fn visit_item_union(&mut self, i: &'ast syn::ItemUnion) {
            self.0.insert(i.ident.to_string());
        }
    }
    let mut all = Types::default();
    for (_, ast) in parsed {
        all.visit_file(ast);
    }
    all.0
}

/// `const NAME: &str = "…"` (and `static`) anywhere in the crate's files,
/// top level or in a function or module.
fn crate_fns<'p>(
    parsed: &'p [(&SourceFile, syn::File)],
) -> HashMap<String, (&'p str, &'p syn::ItemFn)> {
    let mut all: HashMap<String, Option<(&'p str, &'p syn::ItemFn)>> = HashMap::new();
    for (f, ast) in parsed {
        for item in &ast.items {
            if let syn::Item::Fn(func) = item {
                all.entry(func.sig.ident.to_string())
                    .and_modify(|v| *v = None)
                    .or_insert(Some((f.path.as_str(), func)));
            }
        }
    }
    all.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()
}

fn crate_strings(parsed: &[(&SourceFile, syn::File)]) -> HashMap<String, String> {
    struct Strings(Agreed<String, String>);
    impl Strings {
        fn add(&mut self, name: String, value: &Expr) {
            if let Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) = strip(value)
            {
                self.0.add(name, s.value());
            }
        }
    }
    impl<'ast> Visit<'ast> for Strings {
        fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
            self.add(c.ident.to_string(), &c.expr);
        }
        fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
            self.add(s.ident.to_string(), &s.expr);
        }
        fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
            self.add(c.ident.to_string(), &c.expr);
        }
    }
    let mut all = Strings(Agreed::new());
    for (_, ast) in parsed {
        all.visit_file(ast);
    }
    all.0.settled().collect()
}

struct Reader<'f> {
    path: &'f str,
    shared: &'f Shared<'f>,
    /// What fields and parameters were seen to hold.
    flow: Flow,
    /// Struct name → fields and types (`Option<T>` marked optional).
    structs: HashMap<String, Vec<(String, String)>>,
    /// Message types used: (struct, whether a `MessageBatch<T>` consumer,
    /// where).
    messages: Vec<(String, bool, Location)>,
    /// `joinable!(child -> parent (fk))`.
    relations: Vec<Relationship>,
    /// (index in `ops`, struct name) of each `send(&Struct { … })`.
    sent: Vec<(usize, String)>,
    /// (caller, callee) by name, for the entry points reaching a call.
    calls: Vec<(String, String)>,
    /// `#[durable_object]` structs, by name.
    objects: Vec<CodeDurableObject>,
    /// `storage().put("key", …)` / `get` keys seen in each impl type's
    /// methods: (type, key).
    storage_keys: Vec<(String, Key)>,
    /// Methods of each impl block: (type, method, doc, where).
    methods: Vec<(String, String, Option<String>, Location)>,
    /// The type of the `impl` block the visit is in.
    impl_type: Option<String>,
    /// `self.bump()` calls: (impl type, calling method, called method).
    self_calls: Vec<(String, String, String)>,
    /// `storage().sql().exec("CREATE TABLE …")` per impl type.
    object_sql: Vec<(String, String, Location)>,
    consts: HashMap<String, u64>,
    /// `let kv = env.kv("SESSIONS")?;` per function: local → handle.
    locals: Vec<(String, Handle)>,
    /// How many `if` / `match` branches the visit is inside.
    branch_depth: u32,
    /// The entry point or function the visit is inside, innermost last.
    actor: Vec<String>,
    ops: Vec<ResourceOp>,
    tables: Vec<OrmTable>,
    diags: Vec<Diagnostic>,
    /// `macro_rules!` reaching bindings or building routes: (name,
    /// whether it reaches bindings, where).
    unread_macros: Vec<(String, bool, Location)>,
    /// Macros whose invocations were read as routes.
    route_macros: Vec<String>,
    /// `#[event(queue)]` functions and how they settle messages.
    queue_handlers: Vec<crate::model::QueueHandler>,
    /// The helpers being read through at a call, innermost last.
    inlining: Vec<String>,
}

impl<'f> Reader<'f> {
    fn new(path: &'f str, shared: &'f Shared<'f>) -> Self {
        Reader {
            path,
            shared,
            flow: Flow::default(),
            structs: HashMap::new(),
            messages: Vec::new(),
            relations: Vec::new(),
            sent: Vec::new(),
            calls: Vec::new(),
            objects: Vec::new(),
            storage_keys: Vec::new(),
            methods: Vec::new(),
            impl_type: None,
            self_calls: Vec::new(),
            object_sql: Vec::new(),
            consts: HashMap::new(),
            locals: Vec::new(),
            branch_depth: 0,
            actor: Vec::new(),
            ops: Vec::new(),
            tables: Vec::new(),
            diags: Vec::new(),
            unread_macros: Vec::new(),
            route_macros: Vec::new(),
            queue_handlers: Vec::new(),
            inlining: Vec::new(),
        }
    }

    /// After the visit: a macro is named unread unless it only builds
    /// routes and its uses were read as routes.
    fn finish(&mut self) {
        for (name, bindings, at) in std::mem::take(&mut self.unread_macros) {
            if !bindings && self.route_macros.contains(&name) {
                continue;
            }
            self.diags.push(Diagnostic::warning(
                at,
                crate::model::Code::RustMacroUnread,
                format!(
                    "`{name}!` builds routes or reaches bindings, and dmqa does not expand macros: what its uses do is not in the report"
                ),
            ));
        }
    }

    /// Integer constants and struct shapes first, so TTLs and message
    /// schemas anywhere in the file resolve.
    fn prepare(&mut self, ast: &syn::File) {
        for item in &ast.items {
            if let syn::Item::Const(c) = item
                && let Some(n) = self.int(&c.expr)
            {
                self.consts.insert(c.ident.to_string(), n);
            }
            if let syn::Item::Struct(st) = item {
                self.structs.insert(st.ident.to_string(), struct_fields(st));
            }
        }
    }
}

fn loc(path: &str, span: proc_macro2::Span) -> Location {
    let s = span.start();
    Location::at(
        path,
        u32::try_from(s.line).unwrap_or(u32::MAX),
        u32::try_from(s.column)
            .unwrap_or(u32::MAX)
            .saturating_add(1),
    )
}

impl<'ast> Visit<'ast> for Reader<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let name = event_of(&f.attrs).unwrap_or_else(|| f.sig.ident.to_string());
        // `batch: MessageBatch<Click>` in a queue consumer.
        for input in &f.sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                let ty = &pt.ty;
                let text = quote::quote!(#ty).to_string().replace(' ', "");
                if let Some(inner) = text
                    .strip_prefix("MessageBatch<")
                    .and_then(|t| t.strip_suffix('>'))
                {
                    self.messages.push((
                        inner.to_owned(),
                        name == "queue",
                        loc(self.path, pt.span()),
                    ));
                }
            }
        }
        if name == "queue" {
            let mut settles = Vec::new();
            self.settles(&f.block, None, &mut settles);
            self.queue_handlers.push(crate::model::QueueHandler {
                retries: settles.iter().any(|s| {
                    matches!(
                        s.kind,
                        crate::model::SettleKind::Retry | crate::model::SettleKind::RetryAll
                    )
                }),
                acks_on_failure: false,
                settles,
                requests: Vec::new(),
                location: loc(self.path, f.sig.ident.span()),
            });
        }
        self.actor.push(name);
        let saved = self.locals.len();
        self.params(f.sig.ident.to_string(), &f.sig);
        visit::visit_item_fn(self, f);
        self.returned(f.sig.ident.to_string(), &f.block);
        self.locals.truncate(saved);
        self.actor.pop();
    }

    /// `macro_rules!` that builds routes or reaches bindings: dmqa does
    /// not expand macros, so what its uses do is not in the report —
    /// except the routes its body or its uses spell out
    /// (`add_route!(r, get, "/x", handler)`), read from the tokens.
    fn visit_item_macro(&mut self, im: &'ast syn::ItemMacro) {
        if im.mac.path.is_ident("macro_rules")
            && let Some(name) = &im.ident
        {
            let body = im.mac.tokens.to_string().replace(' ', "");
            let has = |needles: &[&str]| needles.iter().any(|n| body.contains(n));
            let bindings = has(&[".d1(", ".kv(", ".bucket(", ".queue(", ".durable_object("]);
            let routes = has(&[
                "get_async",
                "post_async",
                "put_async",
                "delete_async",
                ".route(",
            ]);
            if bindings || routes {
                self.unread_macros
                    .push((name.to_string(), bindings, loc(self.path, name.span())));
            }
        }
        visit::visit_item_macro(self, im);
    }

    fn visit_item_struct(&mut self, st: &'ast syn::ItemStruct) {
        if st.attrs.iter().any(|a| a.path().is_ident("durable_object")) {
            let state = st
                .fields
                .iter()
                .filter_map(|f| {
                    let name = f.ident.as_ref()?.to_string();
                    let ty = &f.ty;
                    let ty = quote::quote!(#ty).to_string().replace(' ', "");
                    // The runtime handles, not state.
                    (!matches!(ty.as_str(), "State" | "Env"))
                        .then_some(StateItem::Field { name, ty })
                })
                .collect();
            self.objects.push(CodeDurableObject {
                class_name: st.ident.to_string(),
                purpose: doc_of(&st.attrs),
                state,
                mutated: Vec::new(),
                methods: Vec::new(),
                sql: Vec::new(),
                storage_ops: Vec::new(),
                bases: Vec::new(),
                location: loc(self.path, st.ident.span()),
            });
        }
        visit::visit_item_struct(self, st);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let ty = &i.self_ty;
        let name = quote::quote!(#ty).to_string();
        let saved = self.impl_type.replace(name);
        visit::visit_item_impl(self, i);
        self.impl_type = saved;
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if let Some(ty) = &self.impl_type
            && f.sig.ident != "new"
        {
            self.methods.push((
                ty.clone(),
                f.sig.ident.to_string(),
                doc_of(&f.attrs),
                loc(self.path, f.sig.ident.span()),
            ));
        }
        self.actor.push(f.sig.ident.to_string());
        let saved = self.locals.len();
        let key = match &self.impl_type {
            Some(ty) => format!("{ty}::{}", f.sig.ident),
            None => f.sig.ident.to_string(),
        };
        self.params(key.clone(), &f.sig);
        visit::visit_impl_item_fn(self, f);
        self.returned(key, &f.block);
        self.locals.truncate(saved);
        self.actor.pop();
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        // `let kv = …;`, `let kv: KvStore = …;`
        let pat = match &l.pat {
            syn::Pat::Type(t) => &*t.pat,
            p => p,
        };
        if let (syn::Pat::Ident(p), Some(init)) = (pat, &l.init)
            && let Some(h) = self.handle(&init.expr).or_else(|| {
                let (at, _) = self.builder_at(&init.expr)?;
                Some(Handle::Builder(at, self.branch_depth))
            })
        {
            self.locals.push((p.ident.to_string(), h));
        }
    }

    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        self.branch_depth += 1;
        visit::visit_expr_if(self, e);
        self.branch_depth -= 1;
    }

    fn visit_expr_match(&mut self, e: &'ast syn::ExprMatch) {
        self.branch_depth += 1;
        visit::visit_expr_match(self, e);
        self.branch_depth -= 1;
    }

    /// `for key in &keys`: each key of a collection of known pattern, or
    /// an item of one dmqa did not see built.
    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        if let syn::Pat::Ident(p) = &*f.pat {
            let h = match self.handle(&f.expr) {
                Some(Handle::Keys(k)) => Handle::Keys(k),
                _ => Handle::Item,
            };
            self.locals.push((p.ident.to_string(), h));
        }
        visit::visit_expr_for_loop(self, f);
    }

    /// `if let Ok(stub) = tally_stub(&env)`, `if let Some(kv) = …`.
    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        visit::visit_expr_let(self, l);
        let pat = match &*l.pat {
            syn::Pat::TupleStruct(t) if t.elems.len() == 1 => &t.elems[0],
            p => p,
        };
        if let syn::Pat::Ident(p) = pat
            && let Some(h) = self.handle(&l.expr)
        {
            self.locals.push((p.ident.to_string(), h));
        }
    }

    /// `Self { kv, sql: state.storage().sql() }`: what each field holds.
    fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
        visit::visit_expr_struct(self, e);
        let Some(last) = e.path.segments.last() else {
            return;
        };
        let ty = if last.ident == "Self" {
            match &self.impl_type {
                Some(t) => t.clone(),
                None => return,
            }
        } else {
            last.ident.to_string()
        };
        for f in &e.fields {
            if let syn::Member::Named(name) = &f.member
                && let Some(h) = self.handle(&f.expr)
            {
                self.flow.fields.push(((ty.clone(), name.to_string()), h));
            }
        }
    }

    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        if self.route_call(call) {
            return;
        }
        let method = call.method.to_string();
        visit::visit_expr_method_call(self, call);
        // `self.bump()` inside `impl Tally`: the object calling itself.
        if let (Some(ty), Some(actor), Expr::Path(recv)) =
            (&self.impl_type, self.actor.last(), strip(&call.receiver))
            && recv.path.is_ident("self")
        {
            self.self_calls
                .push((ty.clone(), actor.clone(), method.clone()));
            // What each parameter of that method receives, as for a call
            // of `Self::store(…)`.
            let key = format!("{ty}::{method}");
            self.passes(&key, &call.args);
        }
        // Plumbing and binding methods name no function of ours by their
        // name alone; called on a field or local, they may be a method of
        // the type it holds, named by the holder (`state.foo_service.
        // get(id)` → `foo_service.get`, the `get` of `FooService`).
        if let Some(actor) = self.actor.last() {
            if !PLUMBING.contains(&method.as_str())
                && !cloudflare::names_only_a_binding_method(Lang::Rust, &method)
            {
                // `.get`: called with method syntax, so a method, never a
                // free function of that name.
                self.calls.push((actor.clone(), format!(".{method}")));
            } else if let Some(holder) = holder_name(&call.receiver) {
                self.calls
                    .push((actor.clone(), format!("{holder}.{method}")));
            }
        }
        // `self.state.storage().sql().exec("CREATE TABLE …", None)`: DDL
        // builds the object's tables, anything else queries them.
        if method == "exec"
            && self.handle(&call.receiver) == Some(Handle::Sql)
            && let (
                Some(ty),
                Some(Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(q), ..
                })),
            ) = (&self.impl_type, call.args.first())
        {
            let q = q.value();
            let at = loc(self.path, call.method.span());
            if q.trim_start()
                .get(..6)
                .is_some_and(|h| h.eq_ignore_ascii_case("create"))
            {
                self.object_sql.push((ty.clone(), q, at));
            } else {
                self.ops.push(ResourceOp {
                    sql: Some(q),
                    durable_object: Some(ty.clone()),
                    ..self.new_op(BindingKind::D1, String::new(), OpKind::Query, at)
                });
            }
        }
        // `self.state.storage().put("count", n)`, or through a local
        // holding the storage.
        if matches!(
            method.as_str(),
            "put" | "get" | "delete" | "put_raw" | "get_raw"
        ) && self.handle(&call.receiver) == Some(Handle::Storage)
            && let (Some(ty), Some(k)) = (
                self.impl_type.clone(),
                call.args.first().and_then(|a| self.string(a)),
            )
        {
            self.storage_keys.push((ty, Key::literal(k)));
        }
        if let Some((kind, names)) = self.binding(&call.receiver)
            && let Some(op) = cloudflare::op_kind(Lang::Rust, kind, &method)
        {
            for name in names {
                self.record(call, kind, name, op);
            }
        }
        self.ttl_call(call);
        self.prefix_call(call);
        self.execute_call(call);
        self.read_as_call(call);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        visit::visit_expr_call(self, call);
        // `FooService::new(kv)`, `handler(env.d1("DB")?)`: what each
        // parameter receives.
        if let Expr::Path(p) = &*call.func
            && let Some(key) = callee_key(&p.path, self.impl_type.as_deref())
        {
            self.passes(&key, &call.args);
            self.read_through(&key, &call.args);
        }
        // `Type::new(…)` names a constructor of some type: linking every
        // `new` to each other by name would join unrelated code.
        // `Response::error(…)`: a function of a type the crate does not
        // declare is the library's, whatever its name.
        let foreign = |p: &syn::Path| {
            qualifier(p).is_some_and(|q| {
                q != "Self"
                    && q.starts_with(|c: char| c.is_ascii_uppercase())
                    && !self.shared.types.contains(&q)
            })
        };
        if let (Some(actor), Expr::Path(p)) = (self.actor.last(), &*call.func)
            && let Some(seg) = p.path.segments.last()
            && !CONSTRUCTORS.contains(&seg.ident.to_string().as_str())
            && !foreign(&p.path)
        {
            self.calls.push((actor.clone(), callee_name(&p.path)));
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let last = m.path.segments.last().map(|s| s.ident.to_string());
        // workers-rs: `query!(&db, "SELECT … ?1", id)` on a D1 binding.
        if last.as_deref() == Some("query")
            && let Ok(args) = m.parse_body_with(
                syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
            )
            && let (
                Some(db),
                Some(Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(q), ..
                })),
            ) = (args.first(), args.iter().nth(1))
            && let Some((BindingKind::D1, names)) = self.binding(db)
        {
            for binding in names {
                self.ops.push(ResourceOp {
                    sql: Some(q.value()),
                    ..self.new_op(
                        BindingKind::D1,
                        binding,
                        OpKind::Query,
                        loc(self.path, m.path.span()),
                    )
                });
            }
            visit::visit_macro(self, m);
            return;
        }
        // sqlx: `query!("SELECT …", id)`, `query_as!(User, "SELECT …")`,
        // `query_scalar!("…")`: the SQL the service runs, on its Postgres
        // database (sqlx has no binding to say which).
        if let Some(name) = last.as_deref()
            && matches!(
                name,
                "query" | "query_as" | "query_scalar" | "query_unchecked" | "query_as_unchecked"
            )
            && let Ok(args) = m.parse_body_with(
                syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
            )
            && let Some(sql) = args.iter().find_map(|a| match a {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            })
        {
            let op = ResourceOp {
                sql: Some(sql),
                engine: Some(Engine::Postgres),
                ..self.new_op(
                    BindingKind::Hyperdrive,
                    String::new(),
                    OpKind::Query,
                    loc(self.path, m.path.span()),
                )
            };
            self.ops.push(op);
        }
        // `joinable!(child -> parent (fk))`
        if m.path
            .segments
            .last()
            .is_some_and(|s| s.ident == "joinable")
            && let Ok((child, parent, fk)) = m.parse_body_with(|i: ParseStream| {
                let child: syn::Ident = i.parse()?;
                i.parse::<syn::Token![->]>()?;
                let parent: syn::Ident = i.parse()?;
                let c;
                syn::parenthesized!(c in i);
                let fk: syn::Ident = c.parse()?;
                Ok((child, parent, fk))
            })
        {
            self.relations.push(Relationship {
                database: String::new(),
                from_table: child.to_string(),
                from_columns: vec![fk.to_string()],
                to_table: parent.to_string(),
                to_columns: vec!["id".to_owned()],
                kind: RelationKind::DrizzleRelations,
                location: loc(self.path, child.span()),
            });
        }
        if m.path.segments.last().is_some_and(|s| s.ident == "table") {
            match m.parse_body::<DieselTable>() {
                Ok(t) => self.tables.push(t.into_orm(self.path)),
                Err(e) => self.diags.push(Diagnostic::warning(
                    loc(self.path, e.span()),
                    crate::model::Code::RustMacroUnread,
                    format!("`table!` body is not one dmqa reads ({e}); the table is left out"),
                )),
            }
            visit::visit_macro(self, m);
            return;
        }
        // Any other macro: a route if it has the shape; the expressions of
        // its arguments (`vec![query!(…)]`, `assert!(kv.get("a")…)`)
        // visited as code, nested macros included; a body that is no list
        // of expressions (a `macro_rules!` body) searched for route-shaped
        // calls.
        if let Some(name) = &last {
            self.route_macro(name, m.tokens.clone());
        }
        match m
            .parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)
        {
            Ok(_) if matches!(last.as_deref(), Some("query" | "query_as" | "query_scalar")) => {}
            Ok(args) => {
                for a in &args {
                    self.visit_expr(a);
                }
            }
            Err(_) => self.token_routes(m.tokens.clone()),
        }
        visit::visit_macro(self, m);
    }
}

/// The first sentence of `///` doc attributes.
fn doc_of(attrs: &[syn::Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

/// A struct's fields as message-schema rows: Rust types in JSON terms,
/// `Option<T>` optional.
fn struct_fields(st: &syn::ItemStruct) -> Vec<(String, String)> {
    st.fields
        .iter()
        .filter_map(|f| {
            let name = f.ident.as_ref()?.to_string();
            let ty = &f.ty;
            let text = quote::quote!(#ty).to_string().replace(' ', "");
            let (inner, optional) = match text
                .strip_prefix("Option<")
                .and_then(|t| t.strip_suffix('>'))
            {
                Some(i) => (i.to_owned(), true),
                None => (text, false),
            };
            let json = match inner.as_str() {
                "String" | "&str" | "str" => "string".to_owned(),
                "bool" => "boolean".to_owned(),
                t if t.starts_with(['u', 'i', 'f'])
                    && t[1..].chars().all(|c| c.is_ascii_digit()) =>
                {
                    "number".to_owned()
                }
                "usize" | "isize" => "number".to_owned(),
                t if t.starts_with("Vec<") => {
                    format!("{}[]", t.trim_start_matches("Vec<").trim_end_matches('>'))
                }
                t => t.to_owned(),
            };
            Some((
                name,
                if optional {
                    format!("{json} (optional)")
                } else {
                    json
                },
            ))
        })
        .collect()
}

/// `&Click { … }` / `Click { … }` → `Click`.
fn struct_literal_name(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Struct(s) => s.path.segments.last().map(|seg| seg.ident.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_measured_without_recursion() {
        let deep = format!(
            "fn f() {{ let x = {}1{}; }}",
            "(".repeat(20_000),
            ")".repeat(20_000)
        );
        assert!(nesting(&deep) > MAX_NESTING);
        assert_eq!(nesting("fn f() { g(a[0]); }"), 3);
    }

    #[test]
    fn a_field_stored_from_a_parameter_holds_what_calls_pass() {
        let kv = Handle::Binding(BindingKind::Kv, vec!["CACHE".into()]);
        let mut shared = Shared {
            fns: HashMap::new(),
            strs: HashMap::new(),
            fields: HashMap::new(),
            params: HashMap::new(),
            returns: HashMap::new(),
            types: Default::default(),
        };
        let field = ("Svc".to_owned(), "kv".to_owned());
        let flow = Flow {
            fields: vec![(field.clone(), Handle::Param("Svc::new".into(), 0))],
            params: vec![(("Svc::new".into(), 0), kv.clone())],
            returns: Vec::new(),
        };
        assert!(shared.learn(vec![flow]));
        assert_eq!(shared.fields.get(&field), Some(&kv));
        // Two calls passing different bindings: the field is unknown.
        let other = Handle::Binding(BindingKind::Kv, vec!["OTHER".into()]);
        let flows = vec![
            Flow {
                fields: vec![(field.clone(), Handle::Param("Svc::new".into(), 0))],
                params: vec![(("Svc::new".into(), 0), kv)],
                returns: Vec::new(),
            },
            Flow {
                params: vec![(("Svc::new".into(), 0), other)],
                ..Flow::default()
            },
        ];
        shared.learn(flows);
        assert!(shared.fields.is_empty());
    }

    #[test]
    fn callee_keys_name_the_type_of_associated_functions() {
        let key = |s: &str, ty| callee_key(&syn::parse_str::<syn::Path>(s).unwrap(), ty);
        assert_eq!(
            key("FooService::new", None).as_deref(),
            Some("FooService::new")
        );
        assert_eq!(key("Self::new", Some("Foo")).as_deref(), Some("Foo::new"));
        assert_eq!(
            key("crate::kv::get_stub", None).as_deref(),
            Some("get_stub")
        );
        assert_eq!(key("Self::new", None), None);
    }

    #[test]
    fn diesel_types_and_nullability() {
        let ty: syn::Type = syn::parse_str("Nullable<diesel::sql_types::Text>").unwrap();
        assert_eq!(unwrap_nullable(&ty), ("Text".to_owned(), true));
        assert_eq!(sql_type("Int4"), ("integer", Some(Engine::Postgres)));
    }
}
