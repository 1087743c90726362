//! Routes: workers-rs `Router` (`.get_async("/x", handler)`), axum
//! (`.route("/x", get(a).post(b))`), and route-shaped macro calls
//! (`add_route!(router, get, "/x", handler)`) read from their tokens, in
//! code or in a `macro_rules!` body.

use super::*;
use proc_macro2::{TokenStream, TokenTree};

const VERBS: &[&str] = &["get", "post", "put", "delete", "patch", "head", "options"];

fn verb(name: &str) -> Option<&'static str> {
    VERBS.iter().copied().find(|v| *v == name)
}

/// `get(a)`, `axum::routing::get(a).post(b)`: (verb, handler) pairs of an
/// axum method router.
fn method_router(e: &Expr) -> Vec<(&'static str, &Expr)> {
    let mut out = Vec::new();
    let mut e = strip(e);
    for _ in 0..16 {
        match e {
            Expr::MethodCall(m) if m.args.len() == 1 => {
                let Some(v) = verb(&m.method.to_string()) else {
                    break;
                };
                out.push((v, &m.args[0]));
                e = strip(&m.receiver);
            }
            Expr::Call(c) if c.args.len() == 1 => {
                if let Expr::Path(p) = &*c.func
                    && let Some(v) = p
                        .path
                        .segments
                        .last()
                        .and_then(|s| verb(&s.ident.to_string()))
                {
                    out.push((v, &c.args[0]));
                }
                break;
            }
            _ => break,
        }
    }
    out.reverse();
    out
}

/// A macro call's arguments split at top-level commas, each parsed as an
/// expression if it is one (`$obj` in a `macro_rules!` body is not).
fn macro_args(ts: TokenStream) -> Vec<Option<Expr>> {
    let mut pieces = vec![TokenStream::new()];
    for tt in ts {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => pieces.push(TokenStream::new()),
            _ => pieces.last_mut().expect("one piece").extend([tt]),
        }
    }
    pieces
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| syn::parse2::<Expr>(p).ok())
        .collect()
}

/// A path built by a `format!`-like macro from literals: `format!` fills
/// them in; a project's own macro (`format_route!("/user/{}", "id")`)
/// names path parameters with them, so each becomes `:id` (a `*rest` or
/// `:id` stays as written). `None` when any argument is not a string
/// literal.
fn formatted(e: &Expr) -> Option<String> {
    let Expr::Macro(m) = e else { return None };
    let std_format = m.mac.path.is_ident("format");
    let args = macro_args(m.mac.tokens.clone());
    let lit = |a: &Option<Expr>| match a {
        Some(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        })) => Some(s.value()),
        _ => None,
    };
    let (first, rest) = args.split_first()?;
    let template = lit(first)?;
    let values: Vec<String> = rest
        .iter()
        .map(|a| {
            let v = lit(a)?;
            Some(if std_format || v.starts_with(['*', ':', '{']) {
                v
            } else {
                format!(":{v}")
            })
        })
        .collect::<Option<_>>()?;
    let mut out = String::new();
    let mut values = values.into_iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' {
            if chars.peek() == Some(&'{') {
                chars.next();
                out.push('{');
                continue;
            }
            // `{}` or `{name}`: the next argument.
            for d in chars.by_ref() {
                if d == '}' {
                    break;
                }
            }
            out.push_str(&values.next()?);
        } else if c == '}' && chars.peek() == Some(&'}') {
            chars.next();
            out.push('}');
        } else {
            out.push(c);
        }
    }
    Some(out)
}

impl Reader<'_> {
    /// One route: the handler a path names is called by it; a closure is
    /// visited as the route.
    fn route(&mut self, verb: &str, path: &str, handler: &Expr) {
        let label = format!("{} {path}", verb.to_ascii_uppercase());
        match strip(handler) {
            Expr::Path(h) if !h.path.segments.is_empty() => {
                self.calls.push((label, callee_name(&h.path)));
            }
            other => {
                self.actor.push(label);
                let saved = self.locals.len();
                self.visit_expr(other);
                self.locals.truncate(saved);
                self.actor.pop();
            }
        }
    }

    /// `router.get_async("/x", handler)` or axum `.route("/x", get(h))`:
    /// read as routes; false when `call` is neither.
    pub(super) fn route_call(&mut self, call: &ExprMethodCall) -> bool {
        let method = call.method.to_string();
        if call.args.len() != 2 {
            return false;
        }
        let Some(path) = self.string(&call.args[0]).filter(|p| p.starts_with('/')) else {
            return false;
        };
        let handler = &call.args[1];
        if method == "route" {
            let pairs = method_router(handler);
            if pairs.is_empty() {
                return false;
            }
            self.visit_expr(&call.receiver);
            for (v, h) in pairs {
                self.route(v, &path, h);
            }
            return true;
        }
        let Some(v) = verb(method.trim_end_matches("_async")) else {
            return false;
        };
        if !matches!(strip(handler), Expr::Closure(_) | Expr::Path(_)) {
            return false;
        }
        self.visit_expr(&call.receiver);
        self.route(v, &path, handler);
        true
    }

    /// Route-shaped macro calls anywhere in `ts`: an HTTP verb, then a
    /// path, then the handler last (`add_route!(r, get, sync, "/x", h)`).
    pub(super) fn token_routes(&mut self, ts: TokenStream) {
        let trees: Vec<TokenTree> = ts.into_iter().collect();
        for (i, tt) in trees.iter().enumerate() {
            let TokenTree::Group(g) = tt else { continue };
            if i >= 2
                && let (TokenTree::Ident(name), TokenTree::Punct(bang)) =
                    (&trees[i - 2], &trees[i - 1])
                && bang.as_char() == '!'
            {
                self.route_macro(&name.to_string(), g.stream());
            }
            self.token_routes(g.stream());
        }
    }

    /// `name!(args)` as a route, if its arguments have the shape.
    pub(super) fn route_macro(&mut self, name: &str, args: TokenStream) {
        let args = macro_args(args);
        let Some((verb_at, v)) = args.iter().enumerate().find_map(|(i, a)| match a {
            Some(Expr::Path(p)) => Some((i, verb(&p.path.get_ident()?.to_string())?)),
            _ => None,
        }) else {
            return;
        };
        let path = args[verb_at + 1..].iter().flatten().find_map(|a| {
            self.string(a)
                .or_else(|| formatted(a))
                .filter(|s| s.starts_with('/'))
        });
        let (Some(path), Some(Some(handler))) = (path, args.last()) else {
            return;
        };
        if !matches!(handler, Expr::Path(_)) {
            return;
        }
        let handler = handler.clone();
        self.route(v, &path, &handler);
        if !self.route_macros.iter().any(|m| m == name) {
            self.route_macros.push(name.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axum_method_routers_name_each_verb() {
        let e: Expr = syn::parse_str("get(list).post(api::create)").unwrap();
        let pairs: Vec<(&str, String)> = method_router(&e)
            .into_iter()
            .map(|(v, h)| (v, quote::quote!(#h).to_string()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("get", "list".to_owned()),
                ("post", "api :: create".to_owned())
            ]
        );
        let e: Expr = syn::parse_str("axum::routing::delete(remove)").unwrap();
        assert_eq!(method_router(&e).len(), 1);
        let e: Expr = syn::parse_str("service_fn(handle)").unwrap();
        assert!(method_router(&e).is_empty());
    }

    #[test]
    fn a_path_formatted_from_literals_is_read() {
        let e: Expr = syn::parse_str("format_route!(\"/sql-counter/{}\", \"*path\")").unwrap();
        assert_eq!(formatted(&e).as_deref(), Some("/sql-counter/*path"));
        let e: Expr = syn::parse_str("format_route!(\"/user/{}/test\", \"id\")").unwrap();
        assert_eq!(formatted(&e).as_deref(), Some("/user/:id/test"));
        let e: Expr = syn::parse_str("format!(\"/x/{}\", \"y\")").unwrap();
        assert_eq!(formatted(&e).as_deref(), Some("/x/y"));
        let e: Expr = syn::parse_str("format!(\"/x/{}\", name)").unwrap();
        assert_eq!(formatted(&e), None);
    }

    #[test]
    fn macro_arguments_parse_one_by_one() {
        let ts: TokenStream = "$obj, get, sync, \"/x\", a::b".parse().unwrap();
        let args = macro_args(ts);
        assert_eq!(args.len(), 5);
        assert!(args[0].is_none());
        assert!(matches!(args[4], Some(Expr::Path(_))));
    }
}
