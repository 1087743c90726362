//! A binding call, read: which binding a receiver is, the key pattern an
//! argument builds (`format!` included), integer TTLs, and the
//! `ResourceOp` each call records.

use super::*;
use crate::model::{ValueKind, ValueType};

/// `x?`, `x.await`, `(x)`, `&x` → `x`.
pub(super) fn strip(mut e: &Expr) -> &Expr {
    for _ in 0..32 {
        e = match e {
            Expr::Try(t) => &t.expr,
            Expr::Await(a) => &a.base,
            Expr::Paren(p) => &p.expr,
            Expr::Reference(r) => &r.expr,
            _ => return e,
        };
    }
    e
}

fn kind_of(method: &str) -> Option<BindingKind> {
    Some(match method {
        "d1" => BindingKind::D1,
        "kv" => BindingKind::Kv,
        "bucket" => BindingKind::R2,
        "queue" => BindingKind::QueueProducer,
        "durable_object" => BindingKind::DurableObject,
        _ => return None,
    })
}

/// The name an expression goes by in a key: `token`, `user.id` → `userId`.
fn placeholder(e: &Expr) -> String {
    let mut e = strip(e);
    // `token.trim().to_string()` names `token`.
    for _ in 0..64 {
        match e {
            Expr::MethodCall(m) => e = strip(&m.receiver),
            _ => break,
        }
    }
    match e {
        Expr::Path(p) => p
            .path
            .segments
            .last()
            .map_or_else(|| "value".to_owned(), |s| s.ident.to_string()),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(m) => m.to_string(),
            syn::Member::Unnamed(_) => "value".to_owned(),
        },
        _ => "value".to_owned(),
    }
}

/// `format!("session:{}:{id}", token)` → `session:{token}:{id}`.
fn format_pattern(m: &syn::Macro) -> Option<Key> {
    let args = m
        .parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    let mut it = args.iter();
    let Expr::Lit(syn::ExprLit {
        lit: Lit::Str(fmt), ..
    }) = it.next()?
    else {
        return None;
    };
    let rest: Vec<&Expr> = it.collect();
    let fmt = fmt.value();
    let mut out = Key::default();
    let mut next = 0;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '}' if chars.peek() == Some(&c) => {
                chars.next();
                out.push_literal(&c.to_string());
            }
            '{' => {
                let mut spec = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    spec.push(d);
                }
                let name = spec.split(':').next().unwrap_or("");
                let arg = if name.is_empty() {
                    next += 1;
                    rest.get(next - 1)
                } else if let Ok(i) = name.parse::<usize>() {
                    rest.get(i)
                } else {
                    None
                };
                let named = match arg {
                    Some(e) => placeholder(e),
                    None if name.is_empty() || name.parse::<usize>().is_ok() => "value".to_owned(),
                    None => name.to_owned(),
                };
                if arg.is_some_and(|e| fresh(e)) {
                    out.append(Key::generated(named));
                } else {
                    out.push_placeholder(named);
                }
            }
            _ => out.push_literal(c.encode_utf8(&mut [0; 4])),
        }
    }
    Some(out)
}

/// Whether `e` draws a fresh value each time it runs: `Uuid::new_v4()`,
/// `Date::now()`, `Utc::now()`, `SystemTime::now()`.
fn fresh(e: &Expr) -> bool {
    let t = quote::quote!(#e).to_string().replace(' ', "");
    t.len() <= 2048
        && [
            "Uuid::new_v4(",
            "Uuid::now_v7(",
            "Date::now(",
            "Utc::now(",
            "SystemTime::now(",
            "nanoid!(",
        ]
        .iter()
        .any(|g| t.contains(g))
}

impl Reader<'_> {
    /// An integer expression: a literal, a known `const`, `a * b`, `a + b`.
    pub(super) fn int(&self, e: &Expr) -> Option<u64> {
        self.int_depth(e, 0)
    }

    fn int_depth(&self, e: &Expr, depth: u32) -> Option<u64> {
        if depth > 32 {
            return None;
        }
        match strip(e) {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(i), ..
            }) => i.base10_parse().ok(),
            Expr::Path(p) => self
                .consts
                .get(&p.path.segments.last()?.ident.to_string())
                .copied(),
            Expr::Binary(b) => {
                let (l, r) = (
                    self.int_depth(&b.left, depth + 1)?,
                    self.int_depth(&b.right, depth + 1)?,
                );
                match b.op {
                    syn::BinOp::Mul(_) => l.checked_mul(r),
                    syn::BinOp::Add(_) => l.checked_add(r),
                    _ => None,
                }
            }
            Expr::Cast(c) => self.int_depth(&c.expr, depth + 1),
            _ => None,
        }
    }

    /// The binding an expression is: `env.kv("X")`, `ctx.env.kv(NAME)?`
    /// (a string `const`), a local or a `self` field holding one.
    /// Each name it may be, when code picks one of several.
    pub(super) fn binding(&self, e: &Expr) -> Option<(BindingKind, Vec<String>)> {
        match self.handle(e)? {
            Handle::Binding(kind, names) => Some((kind, names)),
            Handle::Sql
            | Handle::Storage
            | Handle::Param(..)
            | Handle::Keys(_)
            | Handle::Value(_)
            | Handle::Formatted(_)
            | Handle::Text(_)
            | Handle::Builder(..)
            | Handle::Item => None,
        }
    }

    /// `message.ack()`, `batch.retry_all()`, `message.retry_with_options(…
    /// .with_delay_seconds(10) …)` in a queue handler, each arm of a
    /// `match batch.queue().as_str() { NAME => … }` under its queue.
    pub(super) fn settles(
        &self,
        block: &syn::Block,
        queue: Option<&str>,
        out: &mut Vec<crate::model::Settle>,
    ) {
        struct Walk<'r, 'f> {
            reader: &'r Reader<'f>,
            queue: Option<String>,
            out: &'r mut Vec<crate::model::Settle>,
        }
        impl<'ast> Visit<'ast> for Walk<'_, '_> {
            fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
                let on_queue = matches!(strip(&m.expr), Expr::MethodCall(c)
                    if c.method == "as_str" && matches!(strip(&c.receiver), Expr::MethodCall(q) if q.method == "queue"));
                if !on_queue {
                    return visit::visit_expr_match(self, m);
                }
                for arm in &m.arms {
                    let name = match &arm.pat {
                        syn::Pat::Lit(l) => self.reader.string(&Expr::Lit(l.clone())),
                        syn::Pat::Path(p) => self.reader.string(&Expr::Path(p.clone())),
                        syn::Pat::Ident(i) => {
                            self.reader.shared.strs.get(&i.ident.to_string()).cloned()
                        }
                        _ => None,
                    };
                    let inner = name.or_else(|| self.queue.clone());
                    let saved = std::mem::replace(&mut self.queue, inner);
                    self.visit_expr(&arm.body);
                    self.queue = saved;
                }
            }
            fn visit_expr_method_call(&mut self, c: &'ast ExprMethodCall) {
                visit::visit_expr_method_call(self, c);
                let Some(kind) = crate::model::SettleKind::parse(&c.method.to_string()) else {
                    return;
                };
                // `…with_delay_seconds(10)…` anywhere in the options.
                let mut delay = None;
                let mut find = Delay(&mut delay, self.reader);
                for a in &c.args {
                    find.visit_expr(a);
                }
                self.out.push(crate::model::Settle {
                    kind,
                    delay_secs: delay,
                    queues: self.queue.clone().into_iter().collect(),
                    except_queues: Vec::new(),
                    location: loc(self.reader.path, c.method.span()),
                });
            }
        }
        struct Delay<'d, 'r, 'f>(&'d mut Option<u64>, &'r Reader<'f>);
        impl<'ast> Visit<'ast> for Delay<'_, '_, '_> {
            fn visit_expr_method_call(&mut self, c: &'ast ExprMethodCall) {
                visit::visit_expr_method_call(self, c);
                if c.method == "with_delay_seconds" {
                    *self.0 = c.args.first().and_then(|a| self.1.int(a));
                }
            }
        }
        let mut w = Walk {
            reader: self,
            queue: queue.map(str::to_owned),
            out,
        };
        w.visit_block(block);
    }

    /// The handle a function body's value is: its tail expression
    /// (`Ok(ns.id_from_name("x")?.get_stub()?)` included), with the body's
    /// locals still known.
    pub(super) fn returned(&mut self, key: String, body: &syn::Block) {
        let Some(syn::Stmt::Expr(tail, None)) = body.stmts.last() else {
            return;
        };
        let tail = match strip(tail) {
            Expr::Call(c)
                if c.args.len() == 1
                    && matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Ok") || p.path.is_ident("Some")) =>
            {
                &c.args[0]
            }
            e => e,
        };
        if let Some(h) = self.handle(tail) {
            self.flow.returns.push((key, h));
        }
    }

    /// A function's typed parameters as locals, each the handle its calls
    /// pass (known from an earlier visit) or a `Param` until then.
    pub(super) fn params(&mut self, key: String, sig: &syn::Signature) {
        let known = |i: usize| self.shared.params.get(&(key.clone(), i)).cloned();
        let given: Vec<Option<Handle>> = (0..sig.inputs.len()).map(known).collect();
        self.bind_params(&key, sig, &given);
    }

    /// Function `key`'s typed parameters as locals, each the handle
    /// `given` holds for its position, or a `Param`.
    fn bind_params(&mut self, key: &str, sig: &syn::Signature, given: &[Option<Handle>]) {
        let typed = sig.inputs.iter().filter_map(|i| match i {
            syn::FnArg::Typed(pt) => Some(pt),
            syn::FnArg::Receiver(_) => None,
        });
        for (i, pt) in typed.enumerate() {
            if let syn::Pat::Ident(p) = &*pt.pat {
                let h = given
                    .get(i)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| Handle::Param(key.to_owned(), i));
                self.locals.push((p.ident.to_string(), h));
            }
        }
    }

    /// Records what a call of function `key` passes to each parameter.
    pub(super) fn passes(
        &mut self,
        key: &str,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) {
        for (i, a) in args.iter().enumerate() {
            if let Some(h) = self.handle(a).filter(|h| !matches!(h, Handle::Param(..))) {
                self.flow.params.push(((key.to_owned(), i), h));
            }
        }
    }

    /// A call of a helper whose callers pass it different bindings
    /// (`put_full_properties("with-props", &bucket)` from two routes, each
    /// with its own bucket): no one binding holds for its body, so it is
    /// read again here with this call's arguments — the operations it
    /// makes are this call's, on this call's binding and keys, and their
    /// actor is the caller. Two helpers deep at most, never recursively.
    pub(super) fn read_through(
        &mut self,
        key: &str,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) {
        let Some(&(path, f)) = self.shared.fns.get(key) else {
            return;
        };
        if self.inlining.len() >= 2 || self.inlining.iter().any(|k| k == key) {
            return;
        }
        let handles: Vec<Option<Handle>> = args.iter().map(|a| self.handle(a)).collect();
        let contested = handles.iter().enumerate().any(|(i, h)| {
            matches!(h, Some(Handle::Binding(..)))
                && !self.shared.params.contains_key(&(key.to_owned(), i))
        });
        if !contested {
            return;
        }
        let saved = (
            self.locals.len(),
            self.path,
            self.impl_type.take(),
            self.ops.len(),
        );
        self.bind_params(key, &f.sig, &handles);
        self.path = path;
        self.inlining.push(key.to_owned());
        syn::visit::visit_block(self, &f.block);
        self.inlining.pop();
        let (locals, path, impl_type, before) = saved;
        self.path = path;
        self.impl_type = impl_type;
        self.locals.truncate(locals);
        // The same call read twice (two calls alike): one each — unless a
        // send recorded there points at its operation by index.
        if self.sent.iter().all(|(i, _)| *i < before) {
            let mut fresh = self.ops.split_off(before);
            fresh.retain(|op| !self.ops.contains(op));
            fresh.dedup();
            self.ops.extend(fresh);
        }
    }

    /// The runtime handle an expression is, if dmqa can follow it.
    pub(super) fn handle(&self, e: &Expr) -> Option<Handle> {
        self.handle_depth(e, 0)
    }

    fn handle_depth(&self, e: &Expr, depth: u32) -> Option<Handle> {
        if depth > 16 {
            return None;
        }
        match strip(e) {
            // `ns.id_from_name("a")?.get_stub()?`, or the id in a local: a
            // stub of that namespace.
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "get_stub" | "id_from_name" | "id_from_string" | "unique_id" | "get_by_name"
                ) =>
            {
                self.handle_depth(&m.receiver, depth + 1)
                    .filter(|h| matches!(h, Handle::Binding(BindingKind::DurableObject, _)))
            }
            // What a KV put stores: JSON from serde or a struct (workers-rs
            // serializes any `Serialize` value), text from a literal.
            Expr::Call(c)
                if matches!(strip(&c.func), Expr::Path(p)
                    if p.path.segments.len() >= 2
                        && p.path.segments[0].ident == "serde_json"
                        && p.path.segments.last().is_some_and(|s| s.ident.to_string().starts_with("to_"))) =>
            {
                Some(Handle::Value(ValueKind::Json))
            }
            Expr::Struct(_) => Some(Handle::Value(ValueKind::Json)),
            // `if shared { "A" } else { "B" }`: text, one of these.
            Expr::Lit(_) | Expr::If(_) | Expr::Match(_) | Expr::Block(_)
                if let texts = self.strings_depth(e, depth + 1)
                    && !texts.is_empty() =>
            {
                Some(Handle::Text(texts))
            }
            Expr::Macro(m) if m.mac.path.is_ident("format") => Some(
                format_pattern(&m.mac).map_or(Handle::Value(ValueKind::String), Handle::Formatted),
            ),
            // `self.state.storage()`
            Expr::MethodCall(m) if m.method == "storage" && m.args.is_empty() => {
                Some(Handle::Storage)
            }
            // `state.storage().sql()`
            Expr::MethodCall(m) if m.method == "sql" => {
                matches!(strip(&m.receiver), Expr::MethodCall(s) if s.method == "storage")
                    .then_some(Handle::Sql)
            }
            // `(0..n).map(|i| format!("key_{i}")).collect()`: keys of
            // that pattern.
            Expr::MethodCall(m)
                if m.method == "map"
                    && let Some(Expr::Closure(c)) = m.args.first()
                    && let Expr::Macro(f) = strip(&c.body)
                    && f.mac.path.is_ident("format") =>
            {
                format_pattern(&f.mac).map(Handle::Keys)
            }
            // `keys.iter().map(|s| s.as_str())`: the same keys.
            Expr::MethodCall(m)
                if m.method == "map"
                    && let Some(Expr::Closure(c)) = m.args.first()
                    && matches!(strip(&c.body), Expr::MethodCall(b) if b.args.is_empty()) =>
            {
                self.handle_depth(&m.receiver, depth + 1)
                    .filter(|h| matches!(h, Handle::Keys(_)))
            }
            Expr::MethodCall(m) if m.method == "collect" || m.method == "iter" => {
                self.handle_depth(&m.receiver, depth + 1)
            }
            // `env.kv("X").unwrap()`, `kv.clone()`: the same handle.
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "unwrap" | "expect" | "clone" | "to_owned" | "into"
                ) =>
            {
                self.handle_depth(&m.receiver, depth + 1)
            }
            // `db.with_session(None)`: the same database.
            Expr::MethodCall(m) if m.method == "with_session" => self
                .handle_depth(&m.receiver, depth + 1)
                .filter(|h| matches!(h, Handle::Binding(BindingKind::D1, _))),
            Expr::MethodCall(m) => {
                if let Some(kind) = kind_of(&m.method.to_string()) {
                    let names = self.strings_depth(m.args.first()?, depth + 1);
                    return (!names.is_empty()).then_some(Handle::Binding(kind, names));
                }
                // `self.stub()`: what that method returns.
                let Expr::Path(recv) = strip(&m.receiver) else {
                    return None;
                };
                if !recv.path.is_ident("self") {
                    return None;
                }
                let key = format!("{}::{}", self.impl_type.as_deref()?, m.method);
                self.shared.returns.get(&key).cloned()
            }
            Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                self.locals
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == name)
                    .map(|(_, h)| h.clone())
            }
            // `self.kv`, filled by a struct literal somewhere in the crate.
            Expr::Field(f) => {
                let syn::Member::Named(field) = &f.member else {
                    return None;
                };
                let Expr::Path(base) = strip(&f.base) else {
                    return None;
                };
                if !base.path.is_ident("self") {
                    return None;
                }
                let ty = self.impl_type.as_deref()?;
                self.shared
                    .fields
                    .get(&(ty.to_owned(), field.to_string()))
                    .cloned()
            }
            // `tally_stub(&env)?`: what the function returns.
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else { return None };
                let key = callee_key(&p.path, self.impl_type.as_deref())?;
                self.shared.returns.get(&key).cloned()
            }
            // `match env.queue("q") { Ok(q) => q, Err(e) => return … }`
            Expr::Match(m)
                if m.arms.iter().any(|arm| {
                    matches!(&arm.pat, syn::Pat::TupleStruct(t)
                        if t.elems.len() == 1
                            && matches!((&t.elems[0], strip(&arm.body)),
                                (syn::Pat::Ident(a), Expr::Path(b)) if b.path.is_ident(&a.ident)))
                }) =>
            {
                self.handle_depth(&m.expr, depth + 1)
            }
            _ => None,
        }
    }

    /// A string literal, a string `const` of the crate, or a local holding
    /// one.
    pub(super) fn string(&self, e: &Expr) -> Option<String> {
        let mut texts = self.strings_depth(e, 0);
        (texts.len() == 1).then(|| texts.remove(0))
    }

    /// Every string an expression may be, sorted: a literal, a string
    /// `const`, a local holding text, or an `if` / `match` / block each of
    /// whose branches is one (`if shared { "A" } else { "B" }`). Empty when
    /// some branch is not.
    fn strings_depth(&self, e: &Expr, depth: u32) -> Vec<String> {
        if depth > 16 {
            return Vec::new();
        }
        let mut out = match strip(e) {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => vec![s.value()],
            Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                match self.locals.iter().rev().find(|(n, _)| *n == name) {
                    Some((_, Handle::Text(t))) => t.clone(),
                    Some(_) => Vec::new(),
                    None => self.shared.strs.get(&name).cloned().into_iter().collect(),
                }
            }
            Expr::Path(p) => self
                .shared
                .strs
                .get(
                    &p.path
                        .segments
                        .last()
                        .map(|s| s.ident.to_string())
                        .unwrap_or_default(),
                )
                .cloned()
                .into_iter()
                .collect(),
            // `"X".into()`, `NAME.to_string()`
            Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(
                        m.method.to_string().as_str(),
                        "into" | "to_string" | "to_owned"
                    ) =>
            {
                self.strings_depth(&m.receiver, depth + 1)
            }
            Expr::Block(b) => self.tail_strings(&b.block, depth),
            Expr::If(i) => {
                let Some((_, other)) = &i.else_branch else {
                    return Vec::new();
                };
                let (a, b) = (
                    self.tail_strings(&i.then_branch, depth),
                    self.strings_depth(other, depth + 1),
                );
                if a.is_empty() || b.is_empty() {
                    return Vec::new();
                }
                [a, b].concat()
            }
            Expr::Match(m) => {
                let mut all = Vec::new();
                for arm in &m.arms {
                    let t = self.strings_depth(&arm.body, depth + 1);
                    if t.is_empty() {
                        return Vec::new();
                    }
                    all.extend(t);
                }
                all
            }
            _ => Vec::new(),
        };
        out.sort();
        out.dedup();
        out
    }

    /// The strings a block's tail expression may be.
    fn tail_strings(&self, b: &syn::Block, depth: u32) -> Vec<String> {
        match b.stmts.as_slice() {
            [syn::Stmt::Expr(tail, None)] => self.strings_depth(tail, depth + 1),
            _ => Vec::new(),
        }
    }

    /// A key argument's pattern.
    fn key(&self, e: &Expr) -> Option<Key> {
        if let Some(s) = self.string(e) {
            return Some(Key::literal(s));
        }
        if let Some(Handle::Keys(k) | Handle::Formatted(k)) = self.handle(e) {
            return Some(k);
        }
        match strip(e) {
            Expr::Macro(m) if m.mac.path.is_ident("format") => format_pattern(&m.mac),
            // A parameter callers do not say, or an item of a loop: built
            // elsewhere, so any family.
            other if self.built_elsewhere(other) => Some(Key::opaque(placeholder(other))),
            other => Some(Key::placeholder(placeholder(other))),
        }
    }

    /// Whether `e` (`key`, `key.name`, `key.as_str()`) is read from a
    /// parameter whose callers dmqa did not follow or from a loop item.
    fn built_elsewhere(&self, e: &Expr) -> bool {
        let mut e = strip(e);
        for _ in 0..64 {
            e = match e {
                Expr::MethodCall(m) => strip(&m.receiver),
                Expr::Field(f) => strip(&f.base),
                _ => break,
            };
        }
        matches!(e, Expr::Path(p) if p.path.segments.len() == 1)
            && matches!(self.handle(e), Some(Handle::Param(..) | Handle::Item))
    }

    pub(super) fn entry(&self) -> Option<String> {
        self.actor.last().cloned()
    }

    /// An operation at `at` in the function the visit is in; in an `impl`,
    /// a method (or associated function) of its type.
    pub(super) fn new_op(
        &self,
        kind: BindingKind,
        binding: String,
        op: OpKind,
        at: Location,
    ) -> ResourceOp {
        ResourceOp {
            actor: self.entry(),
            class: self.impl_type.clone(),
            ..ResourceOp::new(kind, binding, op, at)
        }
    }

    pub(super) fn record(
        &mut self,
        call: &ExprMethodCall,
        kind: BindingKind,
        binding: String,
        op: OpKind,
    ) {
        let location = loc(self.path, call.method.span());
        let actor = self.entry();
        let mut res = ResourceOp {
            actor,
            ..self.new_op(kind, binding, op, location)
        };
        let first = call.args.first();
        if kind == BindingKind::Kv
            && op == OpKind::Write
            && let Some(v) = call.args.get(1).and_then(|v| match self.handle(v)? {
                Handle::Value(v) => Some(v),
                Handle::Formatted(_) => Some(ValueKind::String),
                Handle::Text(_) => Some(ValueKind::String),
                _ => None,
            })
        {
            res.value_type = Some(ValueType {
                kind: Some(v),
                metadata: false,
            });
        }
        match op {
            OpKind::Query => {
                res.sql = first.and_then(|a| match strip(a) {
                    Expr::Lit(syn::ExprLit {
                        lit: Lit::Str(s), ..
                    }) => Some(s.value()),
                    _ => None,
                });
            }
            // The struct sent (`send(&Click { … })`), resolved to its
            // fields once the file's structs are known.
            OpKind::Send | OpKind::SendBatch => {
                if let Some(name) = first.and_then(struct_literal_name) {
                    self.sent.push((self.ops.len(), name));
                }
            }
            OpKind::List => res.key = Some(Key::default()),
            OpKind::Call => res.method = Some("fetch".to_owned()),
            // `get_bulk(&["a", "b"])`, `delete_multiple(vec!["a", "b"])`:
            // one operation per key.
            _ => {
                if let Some(keys) = first.and_then(key_list) {
                    for k in &keys {
                        let key = self.key(k);
                        self.ops.push(ResourceOp { key, ..res.clone() });
                    }
                    return;
                }
                // A collection of keys names a pattern only when dmqa saw
                // it built.
                let many = matches!(
                    call.method.to_string().as_str(),
                    "get_bulk" | "delete_multiple"
                );
                res.key = match first.map(|a| self.handle(a)) {
                    Some(Some(Handle::Keys(k))) => Some(k),
                    _ if many => None,
                    _ => first.and_then(|a| self.key(a)),
                };
            }
        }
        self.ops.push(res);
    }

    /// `kv.put(k, v)?.metadata(m)?.execute()`: a put executed in the
    /// chain that builds it, with no expiration there, never expires. A
    /// builder kept in a local (and maybe given an expiration later, under
    /// a condition) is left unknown.
    pub(super) fn execute_call(&mut self, call: &ExprMethodCall) {
        if call.method != "execute" {
            return;
        }
        let mut e = strip(&call.receiver);
        for _ in 0..16 {
            let Expr::MethodCall(m) = e else { return };
            let method = m.method.to_string();
            if matches!(
                Opt::parse(Lang::Rust, &method),
                Some(Opt::ExpirationTtl | Opt::Expiration)
            ) {
                return;
            }
            if is_kv_write(&method) {
                let at = loc(self.path, m.method.span());
                if let Some(op) = self.op_at(&at, OpKind::Write)
                    && op.kind == BindingKind::Kv
                    && op.ttl.is_none()
                {
                    op.ttl = Some(Expiry::Never);
                }
                return;
            }
            e = strip(&m.receiver);
        }
    }

    /// `kv.get(k).json::<Foo>()` (`text()`, `bytes()`): how the value
    /// a KV get reads is read.
    pub(super) fn read_as_call(&mut self, call: &ExprMethodCall) {
        let kind = match call.method.to_string().as_str() {
            "json" => ValueKind::Json,
            "text" => ValueKind::String,
            "bytes" => ValueKind::Binary,
            _ => return,
        };
        // Every key of a `get_bulk(…)` is read so.
        let Some((at, _)) = self.builder_at(&call.receiver) else {
            return;
        };
        for op in self
            .ops
            .iter_mut()
            .filter(|o| o.location == at && o.op == OpKind::Read && o.kind == BindingKind::Kv)
        {
            op.value_type = Some(ValueType {
                kind: Some(kind),
                metadata: false,
            });
        }
    }

    /// `….list().prefix("a/".into())`: the prefix the list it follows
    /// reads.
    pub(super) fn prefix_call(&mut self, call: &ExprMethodCall) {
        if Opt::parse(Lang::Rust, &call.method.to_string()) != Some(Opt::Prefix) {
            return;
        }
        let Expr::MethodCall(list) = strip(&call.receiver) else {
            return;
        };
        let at = loc(self.path, list.method.span());
        let key = call.args.first().and_then(|a| self.key(a));
        if let Some(op) = self.op_at(&at, OpKind::List) {
            op.key = key;
        }
    }

    /// The operation recorded for the call at `at`: a builder method
    /// chained on it (`.expiration_ttl(N)`, `.prefix(p)`, `.execute()`)
    /// completes it.
    /// Where the KV operation whose builder `e` is was recorded: the call
    /// itself (`kv.get(&k).json()`) or a local holding its builder.
    /// With the branch depth of the local's declaration, when a local.
    pub(super) fn builder_at(&self, e: &Expr) -> Option<(Location, Option<u32>)> {
        let (at, declared) = match strip(e) {
            Expr::MethodCall(m) => (loc(self.path, m.method.span()), None),
            e @ Expr::Path(_) => match self.handle(e)? {
                Handle::Builder(at, depth) => (at, Some(depth)),
                _ => return None,
            },
            _ => return None,
        };
        self.ops
            .iter()
            .any(|o| o.location == at && o.kind == BindingKind::Kv)
            .then_some((at, declared))
    }

    fn op_at(&mut self, at: &Location, op: OpKind) -> Option<&mut ResourceOp> {
        self.ops
            .iter_mut()
            .rev()
            .find(|o| o.location == *at && o.op == op)
    }

    /// `…put(k, v)?.expiration_ttl(N)`: the TTL of the put it follows.
    pub(super) fn ttl_call(&mut self, call: &ExprMethodCall) {
        let Some(opt) = Opt::parse(Lang::Rust, &call.method.to_string())
            .filter(|o| matches!(o, Opt::ExpirationTtl | Opt::Expiration))
        else {
            return;
        };
        let Some((at, declared)) = self.builder_at(&call.receiver) else {
            return;
        };
        let ttl = if opt == Opt::Expiration {
            Expiry::Absolute
        } else {
            match call.args.first() {
                Some(a) => match self.int(a) {
                    Some(secs) => Expiry::Ttl { secs },
                    None => Expiry::Unknown {
                        expr: quote::ToTokens::to_token_stream(a).to_string(),
                    },
                },
                None => return,
            }
        };
        // Given to a builder kept in a local, in a branch the local is
        // not in (`if let Some(s) = ttl { put = put.expiration_ttl(s) }`):
        // the other paths write the key without one.
        let ttl = match declared {
            Some(d) if self.branch_depth > d => Expiry::WhenSet { ttl: Box::new(ttl) },
            _ => ttl,
        };
        if let Some(op) = self.op_at(&at, OpKind::Write) {
            op.ttl = Some(ttl);
        }
    }
}

/// `put`, `put_bytes`: a KV write in workers-rs.
fn is_kv_write(method: &str) -> bool {
    cloudflare::op_kind(Lang::Rust, BindingKind::Kv, method) == Some(OpKind::Write)
}

/// The key a called function's parameters go by: `Type::f` for an
/// associated function (`Self::f` inside `impl Type`), `f` for a free one.
pub(super) fn callee_key(path: &syn::Path, impl_type: Option<&str>) -> Option<String> {
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segs.as_slice() {
        [] => None,
        [f] => Some(f.clone()),
        [.., ty, f] if ty == "Self" => Some(format!("{}::{f}", impl_type?)),
        [.., ty, f] if ty.starts_with(|c: char| c.is_ascii_uppercase()) => {
            Some(format!("{ty}::{f}"))
        }
        // `module::f`
        [.., f] => Some(f.clone()),
    }
}

/// The keys of an array argument: `&["a", "b"]`, `vec!["a", "b"]`.
fn key_list(e: &Expr) -> Option<Vec<Expr>> {
    match strip(e) {
        Expr::Array(a) => Some(a.elems.iter().cloned().collect()),
        Expr::Macro(m) if m.mac.path.is_ident("vec") => m
            .mac
            .parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)
            .ok()
            .map(|p| p.into_iter().collect()),
        _ => None,
    }
}

/// Associated functions every type may have: a call names no one function.
pub(super) const CONSTRUCTORS: &[&str] =
    &["new", "default", "from", "try_from", "Ok", "Err", "Some"];

/// Method names too common to link a call to a function of the project
/// (binding methods too: [`cloudflare::is_binding_method`]).
pub(super) const PLUMBING: &[&str] = &[
    "get",
    "put",
    "delete",
    "list",
    "head",
    "send",
    "send_batch",
    "prepare",
    "exec",
    "bind",
    "first",
    "all",
    "run",
    "execute",
    "expiration_ttl",
    "expiration",
    "text",
    "json",
    "bytes",
    "unwrap",
    "expect",
    "clone",
    "into",
    "to_string",
    "map",
    "map_err",
    "ok",
    "ok_or",
    "param",
    "d1",
    "kv",
    "bucket",
    "queue",
    "durable_object",
    "iter",
    "collect",
    "len",
    "push",
];

/// The `#[event(fetch)]` kind of a function, if any.
pub(super) fn event_of(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| {
        if !a.path().is_ident("event") {
            return None;
        }
        let ident: syn::Ident = a
            .parse_args_with(|i: ParseStream| {
                let id: syn::Ident = i.parse()?;
                let _: proc_macro2::TokenStream = i.parse()?;
                Ok(id)
            })
            .ok()?;
        Some(ident.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KeyPart;

    #[test]
    fn format_keys_name_their_arguments() {
        let m: syn::Macro =
            syn::parse_str(r#"format!("session:{}:{id}:{0}", user.token)"#).unwrap();
        assert_eq!(
            format_pattern(&m).map(|k| k.notation()).as_deref(),
            Some("session:{token}:{id}:{token}")
        );
        let m: syn::Macro = syn::parse_str(r#"format!("{{literal}}/{}", key)"#).unwrap();
        let k = format_pattern(&m).unwrap();
        assert_eq!(
            k.parts(),
            [
                KeyPart::Literal("{literal}/".into()),
                KeyPart::Placeholder("key".into())
            ]
        );
    }
}
