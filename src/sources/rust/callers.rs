//! The entry points reaching a function, by name up its callers within
//! one Worker (bounded in depth and breadth), as in the TypeScript call
//! graph.

use super::*;

/// The Worker config whose folder holds `path` (`""` outside every one).
pub(crate) fn scope_of(workers: &[crate::model::Worker], path: &str) -> String {
    crate::model::Worker::owning(workers, path)
        .map(|w| w.location.path.clone())
        .unwrap_or_default()
}

/// How a path calls or names a function: `kv::get` when a module
/// qualifies it (so `kv::get` and `r2::get` stay two functions),
/// `Response::error` or `Self::error` when a type does (a function of that
/// type's `impl`, never a free `error`), else its name.
pub(crate) fn callee_name(path: &syn::Path) -> String {
    let name = path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    match qualifier(path) {
        Some(q) if !matches!(q.as_str(), "self" | "super" | "crate") => {
            format!("{q}::{name}")
        }
        _ => name,
    }
}

/// The segment naming what a path's last one belongs to: `kv` of
/// `kv::get`, `Response` of `Response::error`.
pub(crate) fn qualifier(path: &syn::Path) -> Option<String> {
    let n = path.segments.len();
    n.checked_sub(2).map(|i| path.segments[i].ident.to_string())
}

/// The field or local a method is called on: `state.foo_service` →
/// `foo_service`, `svc` → `svc`.
pub(crate) fn holder_name(e: &syn::Expr) -> Option<String> {
    match strip(e) {
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::Path(p) if p.path.segments.len() == 1 && !p.path.is_ident("self") => {
            Some(p.path.segments[0].ident.to_string())
        }
        _ => None,
    }
}

/// A type name as a field holding it is named: `FooService` →
/// `foo_service`.
fn snake(ty: &str) -> String {
    crate::sources::split_camel(ty.rsplit("::").next().unwrap_or(ty), '_')
}

/// The module a file is (`src/kv.rs` → `kv`, `src/kv/mod.rs` → `kv`).
fn module_of(path: &str) -> &str {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or(path);
    match file.strip_suffix(".rs") {
        Some("mod") => parts.next().unwrap_or(""),
        Some(stem) => stem,
        None => file,
    }
}

/// Callers by plain name, whatever module qualified the calls: what a
/// walk uses above the function it starts from, whose module it no
/// longer knows.
pub(crate) fn by_plain_name(
    callers: &HashMap<(String, String), Vec<String>>,
) -> HashMap<(String, String), Vec<String>> {
    let mut out: HashMap<(String, String), Vec<String>> = HashMap::new();
    for ((scope, callee), from) in callers {
        let plain = callee.rsplit("::").next().unwrap_or(callee);
        let plain = plain.strip_prefix('.').unwrap_or(plain);
        let list = out.entry((scope.clone(), plain.to_owned())).or_default();
        for f in from {
            if !list.contains(f) {
                list.push(f.clone());
            }
        }
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}

/// The entry points reaching `op`'s function, by name up its callers
/// (bounded in depth and breadth), as in the TypeScript call graph. The
/// function itself is called by its name or by its module's
/// (`kv::get` reaches `get` in `kv.rs` only).
pub(crate) fn place(
    op: &mut ResourceOp,
    callers: &HashMap<(String, String), Vec<String>>,
    plain: &HashMap<(String, String), Vec<String>>,
    scope: &str,
) {
    let Some(actor) = op.actor.clone() else {
        return;
    };
    let key = |f: String| (scope.to_owned(), f);
    let in_module = format!("{}::{actor}", module_of(&op.location.path));
    // A method of `FooService` is called with method syntax (`x.get(…)`,
    // or `foo_service.get(…)` for names the runtime's methods share), or
    // as `FooService::get(…)` / `Self::get(…)`; a free function by its
    // name or its module's, never with method syntax.
    let names: Vec<String> = match op.class.as_deref() {
        Some(c) => vec![
            format!(".{actor}"),
            format!("{}.{actor}", snake(c)),
            format!("{c}::{actor}"),
            format!("Self::{actor}"),
        ],
        None => vec![actor.clone(), in_module.clone()],
    };
    let own: Vec<String> = names
        .into_iter()
        .flat_map(|f| callers.get(&key(f)).cloned().unwrap_or_default())
        .collect();
    // The walk starts from this function, not from every function of its
    // name: another `get` calling it is a caller like any other.
    let start = if cloudflare::is_entry(Lang::Rust, &actor) {
        actor.clone()
    } else {
        in_module
    };
    let mut entries: Vec<EntryPoint> = cloudflare::walk_up(Lang::Rust, &start, |f| {
        if f == start {
            return own.clone();
        }
        plain.get(&key(f.to_owned())).cloned().unwrap_or_default()
    })
    .entries
    .into_iter()
    .map(|(e, _)| cloudflare::entry_point(Lang::Rust, &e))
    .collect();
    entries.sort();
    op.anchors = entries
        .iter()
        .map(|e| (e.clone(), op.location.clone()))
        .collect();
    op.entries = entries;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> syn::Path {
        syn::parse_str(s).expect("a path")
    }

    #[test]
    fn module_qualified_calls_keep_their_module() {
        assert_eq!(callee_name(&path("kv::get")), "kv::get");
        assert_eq!(callee_name(&path("crate::foos::api::get")), "api::get");
        assert_eq!(callee_name(&path("get")), "get");
        // A type's function keeps its type: `Response::error` is no free
        // `error` of the crate; `Self`'s and `self`'s go by their name.
        assert_eq!(callee_name(&path("Response::error")), "Response::error");
        assert_eq!(callee_name(&path("Self::get")), "Self::get");
        assert_eq!(callee_name(&path("super::get")), "get");
        assert_eq!(module_of("src/kv.rs"), "kv");
        assert_eq!(module_of("src/kv/mod.rs"), "kv");
        assert_eq!(snake("FooService"), "foo_service");
        let e: syn::Expr = syn::parse_str("state.foo_service").unwrap();
        assert_eq!(holder_name(&e).as_deref(), Some("foo_service"));
        let e: syn::Expr = syn::parse_str("self").unwrap();
        assert_eq!(holder_name(&e), None);
    }

    #[test]
    fn a_walk_from_a_function_takes_only_its_modules_callers() {
        let calls = [
            ("GET /kv/get", "kv::get"),
            ("GET /r2/get", "r2::get"),
            ("GET /foo", "api::get"),
            ("get", "foo_service.get"),
            ("GET /batch", "batch"),
            ("GET /session", ".batch"),
        ];
        let mut callers: HashMap<(String, String), Vec<String>> = HashMap::new();
        for (from, to) in calls {
            callers
                .entry((String::new(), to.to_owned()))
                .or_default()
                .push(from.to_owned());
        }
        let plain = by_plain_name(&callers);
        let entries_of = |actor: &str, path: &str, class: Option<&str>| {
            let mut op = ResourceOp {
                actor: Some(actor.into()),
                class: class.map(str::to_owned),
                ..ResourceOp::new(
                    BindingKind::Kv,
                    "KV".into(),
                    crate::model::OpKind::Read,
                    Location::line(path, 1),
                )
            };
            place(&mut op, &callers, &plain, "");
            op.entries.iter().map(EntryPoint::name).collect::<Vec<_>>()
        };
        let entries = |path: &str, class: Option<&str>| entries_of("get", path, class);
        // A free function is never called with method syntax
        // (`session.batch(…)`), and a method never as a bare name.
        assert_eq!(entries_of("batch", "src/d1.rs", None), ["GET /batch"]);
        assert_eq!(
            entries_of("batch", "src/session.rs", Some("Session")),
            ["GET /session"]
        );
        assert_eq!(entries("src/kv.rs", None), ["GET /kv/get"]);
        assert_eq!(entries("src/r2.rs", None), ["GET /r2/get"]);
        // `FooService::get`, called as `state.foo_service.get` from the
        // `get` the route names. Above the first function the walk knows
        // names only (a limit, not a wish): every route calling a `get`
        // comes along.
        assert_eq!(
            entries("src/foos/service.rs", Some("FooService")),
            ["GET /foo", "GET /kv/get", "GET /r2/get"]
        );
    }
}
