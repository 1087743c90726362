//! `drizzle.config.*` files and Drizzle clients: which schema files a
//! config names, and which database (`drizzle(env.DB)`, a config's `out`
//! folder) a schema file's tables belong to.

use super::*;
use crate::sources::typescript::parse::NodeKind;

/// Which tables `drizzle(env.DB, { schema })` calls and `drizzle.config`
/// files say belong where, by schema file.
pub(crate) fn client_targets(
    index: &CodeIndex<'_>,
    configs: &[DrizzleConfig],
) -> HashMap<usize, OrmTarget> {
    let mut res: HashMap<usize, OrmTarget> = HashMap::new();
    // drizzle.config: files matching its schema paths go with its `out`.
    for c in configs {
        for (i, f) in index.files.iter().enumerate() {
            if c.names_schema_file(f.path) {
                res.entry(i)
                    .or_insert_with(|| OrmTarget::MigrationsDir(c.out.clone()));
            }
        }
    }
    // `drizzle(env.DB, { schema })`: the binding wins over a config.
    for (fi, file) in index.files.iter().enumerate() {
        for call in &file.calls {
            if call.callee != "drizzle" {
                continue;
            }
            let args = call_args(call.node);
            let Some(binding) = args.first().and_then(|a| binding_name(*a, file.src)) else {
                continue;
            };
            let Some(opts) = args.get(1).map(|o| unwrap_expr(*o)) else {
                continue;
            };
            for (k, v, _, _) in object_entries(index, fi, opts, 0) {
                if k != "schema" {
                    continue;
                }
                for target in schema_files(index, fi, v) {
                    res.insert(
                        target,
                        OrmTarget::Binding {
                            binding: binding.clone(),
                            client: file.path.to_owned(),
                        },
                    );
                }
            }
        }
    }
    res
}

/// `env.DB`, `c.env.DB`, `this.env.DB`, `context.env.DB` → `DB`.
pub(crate) fn binding_name(node: Node<'_>, src: &str) -> Option<String> {
    let node = unwrap_expr(node);
    if node.kind_name() != "member_expression" {
        return None;
    }
    let obj = text(node.child_by_field_name("object")?, src);
    if obj == "env" || obj.ends_with(".env") {
        return Some(text(node.child_by_field_name("property")?, src).to_owned());
    }
    None
}

/// The files a `schema` option draws its tables from: a namespace import
/// (and what that module re-exports), or an object of imported tables.
fn schema_files(index: &CodeIndex<'_>, fi: usize, value: Node<'_>) -> Vec<usize> {
    schema_files_depth(index, fi, value, 0)
}

fn schema_files_depth(index: &CodeIndex<'_>, fi: usize, value: Node<'_>, depth: u32) -> Vec<usize> {
    let Some(file) = index.files.get(fi) else {
        return Vec::new();
    };
    if depth > 16 {
        return Vec::new();
    }
    let value = unwrap_expr(value);
    let mut out = Vec::new();
    let add_module = |m: usize, out: &mut Vec<usize>| {
        let mut stack = vec![m];
        while let Some(x) = stack.pop() {
            if out.contains(&x) || out.len() > 1000 {
                continue;
            }
            out.push(x);
            for e in &index.files[x].exports {
                let spec = match e {
                    super::super::index::Export::Star { specifier } => specifier,
                    super::super::index::Export::From { specifier, .. } => specifier,
                    super::super::index::Export::Local { .. } => continue,
                };
                if let Some(t) = index.resolve_module(x, spec) {
                    stack.push(t);
                }
            }
        }
    };
    match value.kind_name() {
        "identifier" => {
            let name = text(value, file.src);
            if let Some(m) = index.namespace_target(fi, name) {
                add_module(m, &mut out);
            } else if let Some(r) = index.resolve(fi, name)
                && let Some(v) = r.decl.value
            {
                out.extend(schema_files_depth(index, r.file, v, depth + 1));
            }
        }
        "object" => {
            for ch in children(value) {
                let id = match ch.kind_name() {
                    "shorthand_property_identifier" => Some(ch),
                    "spread_element" => ch.named_child(0),
                    "pair" => ch.child_by_field_name("value"),
                    _ => None,
                };
                let Some(id) = id.map(unwrap_expr) else {
                    continue;
                };
                let name = text(id, file.src);
                if let Some(m) = index.namespace_target(fi, name) {
                    add_module(m, &mut out);
                } else if let Some(r) = index.resolve(fi, name) {
                    out.push(r.file);
                }
            }
        }
        _ => {}
    }
    out
}

/// Reads a `drizzle.config.*` file: `defineConfig({ … })` or
/// `export default { … }` — with `cond ? { … } : { … }`, both branches,
/// each key from the first that sets it (one branch for local SQLite, one
/// with `out` for D1, are the same schema).
pub(crate) fn config(index: &CodeIndex<'_>, fi: usize) -> Option<DrizzleConfig> {
    let file = index.files.get(fi)?;
    let src = file.src;
    let dir = file.path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut objs = Vec::new();
    walk(file.root, |n| {
        if n.kind_name() == "object" {
            let parent = n.parent().map(|p| p.kind_name()).unwrap_or("");
            let grand = n.parent().and_then(|p| p.parent());
            let in_define = parent == "arguments"
                && grand.is_some_and(|g| {
                    g.child_by_field_name("function")
                        .is_some_and(|f| text(f, src) == "defineConfig")
                });
            let exported = matches!(
                parent,
                "export_statement" | "satisfies_expression" | "as_expression"
            );
            // `export default cond ? ({ … }) : ({ … })`
            let branch = matches!(parent, "parenthesized_expression" | "ternary_expression")
                && n.parent()
                    .and_then(|p| {
                        if parent == "ternary_expression" {
                            Some(p)
                        } else {
                            p.parent()
                        }
                    })
                    .is_some_and(|t| {
                        t.kind_name() == "ternary_expression"
                            || t.parent()
                                .is_some_and(|tp| tp.kind_name() == "ternary_expression")
                    });
            if in_define || exported || branch {
                objs.push(n);
            }
        }
    });
    let obj = *objs.first()?;
    let mut entries: BTreeMap<String, Node<'_>> = BTreeMap::new();
    for o in &objs {
        for (k, v, _, _) in object_entries(index, fi, *o, 0) {
            entries.entry(k).or_insert(v);
        }
    }
    let s = |k: &str| entries.get(k).and_then(|v| string_value(*v, src));
    let schema = match entries.get("schema").map(|v| unwrap_expr(*v)) {
        Some(v) if v.kind_name() == "array" => string_items(v, src),
        Some(v) => string_value(v, src).into_iter().collect(),
        None => Vec::new(),
    };
    Some(DrizzleConfig {
        dialect: s("dialect"),
        driver: s("driver"),
        schema: schema
            .iter()
            .map(|p| crate::sources::path_join(dir, p))
            .collect(),
        out: crate::sources::path_join(dir, &s("out").unwrap_or_else(|| "drizzle".into())),
        casing: s("casing"),
        // Known once the package.json beside it is read.
        pushed: false,
        location: location(file.path, obj),
    })
}
