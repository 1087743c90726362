//! A binding call, read: which binding a receiver is, the key pattern an
//! argument builds (`format!` included), integer TTLs, and the
//! `ResourceOp` each call records.

use super::*;

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
                let named = if name.is_empty() {
                    let e = rest
                        .get(next)
                        .map_or_else(|| "value".to_owned(), |e| placeholder(e));
                    next += 1;
                    e
                } else if let Ok(i) = name.parse::<usize>() {
                    rest.get(i)
                        .map_or_else(|| "value".to_owned(), |e| placeholder(e))
                } else {
                    name.to_owned()
                };
                out.push_placeholder(named);
            }
            _ => out.push_literal(c.encode_utf8(&mut [0; 4])),
        }
    }
    Some(out)
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

    /// The binding an expression is: `env.kv("X")`, `ctx.env.kv("X")?`,
    /// or a local holding one.
    pub(super) fn binding(&self, e: &Expr) -> Option<(BindingKind, String)> {
        match strip(e) {
            // `ns.id_from_name("a")?.get_stub()?`: a stub of that namespace.
            Expr::MethodCall(m) if m.method == "get_stub" => {
                let Expr::MethodCall(id) = strip(&m.receiver) else {
                    return None;
                };
                self.binding(&id.receiver)
                    .filter(|(k, _)| *k == BindingKind::DurableObject)
            }
            Expr::MethodCall(m) => {
                let kind = kind_of(&m.method.to_string())?;
                let Some(Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(s), ..
                })) = m.args.first()
                else {
                    return None;
                };
                Some((kind, s.value()))
            }
            Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                self.locals
                    .iter()
                    .rev()
                    .find(|(n, _, _)| *n == name)
                    .map(|(_, k, b)| (*k, b.clone()))
            }
            _ => None,
        }
    }

    /// A key argument's pattern.
    fn key(&self, e: &Expr) -> Option<Key> {
        match strip(e) {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(Key::literal(s.value())),
            Expr::Macro(m) if m.mac.path.is_ident("format") => format_pattern(&m.mac),
            other => Some(Key::placeholder(placeholder(other))),
        }
    }

    pub(super) fn entry(&self) -> Option<String> {
        self.actor.last().cloned()
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
            ..ResourceOp::new(kind, binding, op, location)
        };
        let first = call.args.first();
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
            _ => res.key = first.and_then(|a| self.key(a)),
        }
        if kind == BindingKind::Kv && op == OpKind::Write {
            res.ttl = Some(Expiry::Never);
        }
        self.ops.push(res);
    }

    /// `…put(k, v)?.expiration_ttl(N)`: the TTL of the put it follows.
    pub(super) fn ttl_call(&mut self, call: &ExprMethodCall) {
        let Some(opt) = Opt::parse(Lang::Rust, &call.method.to_string())
            .filter(|o| matches!(o, Opt::ExpirationTtl | Opt::Expiration))
        else {
            return;
        };
        let inner = strip(&call.receiver);
        let Expr::MethodCall(put) = inner else { return };
        if put.method != "put" {
            return;
        }
        let at = loc(self.path, put.method.span());
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
        if let Some(op) = self.ops.iter_mut().rev().find(|o| o.location == at) {
            op.ttl = Some(ttl);
        }
    }
}

/// `….storage().sql()`, or a local holding it.
pub(super) fn is_sql_handle(e: &Expr, locals: &[String]) -> bool {
    match e {
        Expr::MethodCall(m) => {
            m.method == "sql"
                && matches!(strip(&m.receiver), Expr::MethodCall(s) if s.method == "storage")
        }
        Expr::Path(p) => p
            .path
            .get_ident()
            .is_some_and(|i| locals.iter().any(|l| i == l)),
        _ => false,
    }
}

/// Method names too common to link a call to a function of the project.
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
