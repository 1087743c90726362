//! Keys and SQL text: key patterns with `{placeholder}`s named after the
//! expressions that build them, SQL literals, and the tables SQL names.

use super::*;
use crate::sources::typescript::parse::NodeKind;

/// Placeholder name for an expression: `appId`, `app.id` → `appId`.
/// Methods that reshape a string without changing what it names.
pub(super) const STRING_METHODS: &[&str] = &[
    "slice",
    "substring",
    "toLowerCase",
    "toUpperCase",
    "trim",
    "toString",
    "padStart",
    "padEnd",
    "replace",
    "replaceAll",
    "normalize",
];

/// The key part a run-time value `node` makes: a [`Key::generated`] one
/// when the code makes it anew on each call (`crypto.randomUUID()`,
/// `nanoid()`, `Date.now()`, `new Date().toISOString()`), else a
/// placeholder; both named by [`placeholder`].
pub(crate) fn value_part(node: Node<'_>, src: &str) -> crate::model::Key {
    let name = placeholder(node, src);
    if generates(node, src) {
        crate::model::Key::generated(name)
    } else {
        crate::model::Key::placeholder(name)
    }
}

/// Functions that return a new unique value on each call.
const GENERATORS: &[&str] = &[
    "randomUUID",
    "uuid",
    "uuidv4",
    "uuidv7",
    "v4",
    "v7",
    "nanoid",
    "ulid",
    "cuid",
    "createId",
    "generateId",
];

/// Whether `node` draws a fresh value anywhere inside it: a generator call,
/// the clock (`Math.floor(Date.now() / 60_000)` is a new key each minute).
fn generates(node: Node<'_>, src: &str) -> bool {
    let node = unwrap_expr(node);
    // A key part is a short expression; a long one is not walked.
    if node.byte_range().len() > 2048 {
        return false;
    }
    let mut found = false;
    super::super::syntax::walk(node, |n| found = found || fresh(n, src));
    found
}

/// `n` itself is a call returning a new value each time.
fn fresh(node: Node<'_>, src: &str) -> bool {
    if node.kind_name() == "new_expression" {
        // `new Date()` with no argument is the clock.
        return node
            .child_by_field_name("constructor")
            .is_some_and(|c| text(c, src) == "Date")
            && node
                .child_by_field_name("arguments")
                .is_none_or(|a| a.named_child_count() == 0);
    }
    if node.kind_name() != "call_expression" {
        return false;
    }
    let Some(f) = node.child_by_field_name("function").map(unwrap_expr) else {
        return false;
    };
    let callee = super::super::syntax::callee_text(f, src);
    let last = callee.rsplit('.').next().unwrap_or(&callee);
    GENERATORS.contains(&last) || matches!(callee.as_str(), "Date.now" | "performance.now")
}

/// Whether `name` at `at` is the variable of an enclosing `for (… of …)` /
/// `for (… in …)` loop.
pub(crate) fn loop_variable(at: Node<'_>, name: &str, src: &str) -> bool {
    std::iter::successors(at.parent(), |n| n.parent())
        .take(10_000)
        .filter(|n| n.kind_name() == "for_in_statement")
        .filter_map(|n| n.child_by_field_name("left"))
        .any(|left| text(left, src) == name)
}

pub(crate) fn placeholder(node: Node<'_>, src: &str) -> String {
    placeholder_depth(node, src, 0)
}

/// [`placeholder`], bounded: `String(String(…))` 20,000 deep is a name,
/// not a stack overflow.
fn placeholder_depth(node: Node<'_>, src: &str, depth: u32) -> String {
    if depth > 32 {
        return "value".to_owned();
    }
    let node = unwrap_expr(node);
    let raw = match node.kind_name() {
        "identifier" | "property_identifier" => text(node, src).to_owned(),
        "member_expression" => {
            let prop = node
                .child_by_field_name("property")
                .map(|p| text(p, src))
                .unwrap_or("");
            let obj = node.child_by_field_name("object").map(unwrap_expr);
            let obj_name = obj
                .map(|o| {
                    let t = text(o, src);
                    t.rsplit('.').next().unwrap_or(t).to_owned()
                })
                .unwrap_or_default();
            if matches!(prop, "id" | "key" | "name" | "slug" | "hash")
                && !obj_name.is_empty()
                && obj_name.chars().all(|c| c.is_alphanumeric() || c == '_')
            {
                let mut p = prop.to_owned();
                if let Some(first) = p.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!("{obj_name}{p}")
            } else {
                prop.to_owned()
            }
        }
        "call_expression" => {
            // `String(n)`, `encodeURIComponent(x)`: name the argument.
            let callee = node
                .child_by_field_name("function")
                .map(|f| text(f, src))
                .unwrap_or("");
            let args = node
                .child_by_field_name("arguments")
                .map(children)
                .unwrap_or_default();
            let method = callee.rsplit('.').next().unwrap_or("");
            match (callee, args.first()) {
                ("String" | "encodeURIComponent" | "encodeURI" | "Number", Some(a)) => {
                    return placeholder_depth(*a, src, depth + 1);
                }
                // `c.req.param("id")`, `url.searchParams.get("name")`: the
                // name asked for.
                (_, Some(a))
                    if matches!(method, "param" | "query" | "header" | "get")
                        && args.len() == 1
                        && string_value(*a, src).is_some() =>
                {
                    string_value(*a, src).unwrap_or_default()
                }
                _ => {
                    // `id.toLowerCase()`, `crypto.randomUUID().slice(0, 8)`:
                    // a string method names what it is called on.
                    let f = node.child_by_field_name("function").map(unwrap_expr);
                    if let Some(f) = f.filter(|f| f.kind_name() == "member_expression")
                        && let (Some(obj), Some(method)) = (
                            f.child_by_field_name("object"),
                            f.child_by_field_name("property").map(|p| text(p, src)),
                        )
                        && STRING_METHODS.contains(&method)
                    {
                        return placeholder_depth(obj, src, depth + 1);
                    }
                    // `this.getBuildId()`: a getter names what it gets.
                    let name = callee.rsplit('.').next().unwrap_or("value");
                    match name.strip_prefix("get") {
                        Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => {
                            let mut r = rest.to_owned();
                            r[..1].make_ascii_lowercase();
                            r
                        }
                        _ => name.to_owned(),
                    }
                }
            }
        }
        // `parts.length + 1`: named after what is counted.
        "binary_expression" => {
            let side = |f: &str| node.child_by_field_name(f).map(unwrap_expr);
            match (side("left"), side("right")) {
                (Some(l), Some(r)) if r.kind_name() == "number" => {
                    return placeholder_depth(l, src, depth + 1);
                }
                (Some(l), Some(r)) if l.kind_name() == "number" => {
                    return placeholder_depth(r, src, depth + 1);
                }
                _ => "value".to_owned(),
            }
        }
        _ => "value".to_owned(),
    };
    let clean: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if clean.is_empty() {
        "value".into()
    } else {
        clean
    }
}

/// The JSDoc of the function or method a node is in.
pub(crate) fn enclosing_doc(node: Node<'_>, src: &str) -> Option<String> {
    let mut cur = node.parent();
    for _ in 0..10_000 {
        let n = cur?;
        match n.kind_name() {
            "function_declaration" | "method_definition" | "generator_function_declaration" => {
                return doc_comment(n, src);
            }
            "arrow_function" | "function_expression" => {
                if let Some(d) = n
                    .parent()
                    .filter(|p| p.kind_name() == "variable_declarator")
                {
                    return doc_comment(d, src);
                }
                // A route handler is its own unit: the comment above its
                // `app.post("/upload", …)` statement, not the doc of the
                // function that registers every route.
                if super::super::index::route_of(n, src).is_some() {
                    let stmt = std::iter::successors(n.parent(), |p| p.parent())
                        .take(8)
                        .find(|p| p.kind_name() == "expression_statement")?;
                    return doc_comment(stmt, src);
                }
            }
            _ => {}
        }
        cur = n.parent();
    }
    None
}

/// The key pattern `node` (in file `fi`) builds, for other readers
/// (Durable Object storage keys).
pub(crate) fn key_pattern<'a>(index: &CodeIndex<'a>, fi: usize, node: Node<'a>) -> Option<Key> {
    Reader::new(index, None).key(fi, node, 0).map(|(k, _)| k)
}

/// The SQL a `prepare(…)` argument holds: a literal, a template (its
/// substitutions as `?`), or a local const holding one.
pub(crate) fn sql_literal(index: &CodeIndex<'_>, fi: usize, node: Node<'_>) -> Option<String> {
    sql_literal_depth(index, fi, node, 0)
}

/// [`sql_literal`], bounded: `const k = k + 1` must not recurse forever.
fn sql_literal_depth(
    index: &CodeIndex<'_>,
    fi: usize,
    node: Node<'_>,
    depth: u32,
) -> Option<String> {
    if depth > 16 {
        return None;
    }
    let src = index.files.get(fi)?.src;
    let node = unwrap_expr(node);
    match node.kind_name() {
        "string" => string_value(node, src),
        // Substitutions are parameters, unless they fold to a constant
        // string (`FROM ${TABLE}` with `const TABLE = "cache"`).
        "template_string" => Some(
            children(node)
                .into_iter()
                .map(|c| match c.kind_name() {
                    "template_substitution" => c
                        .named_child(0)
                        .and_then(|e| match fold(index, fi, e) {
                            Some(Value::Str(s)) => Some(s),
                            _ => None,
                        })
                        .unwrap_or_else(|| "?".to_owned()),
                    _ => text(c, src).to_owned(),
                })
                .collect(),
        ),
        "identifier" => {
            let v = local_value(node, text(node, src), src)?;
            sql_literal_depth(index, fi, v, depth + 1)
        }
        // `"SELECT id FROM " + TABLE + " WHERE org_id = ?"`: the parts
        // that are SQL text, the rest as parameters; only when one side
        // is text, so `a + b` of two unknowns is nothing.
        "binary_expression"
            if node
                .child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "+")
                && fold(index, fi, node).is_none() =>
        {
            let part =
                |n: Option<Node<'_>>| n.and_then(|n| sql_literal_depth(index, fi, n, depth + 1));
            let (l, r) = (
                part(node.child_by_field_name("left")),
                part(node.child_by_field_name("right")),
            );
            match (l, r) {
                (None, None) => None,
                (l, r) => Some(format!(
                    "{}{}",
                    l.unwrap_or_else(|| "?".to_owned()),
                    r.unwrap_or_else(|| "?".to_owned())
                )),
            }
        }
        _ => fold(index, fi, node).map(|v| v.as_string()),
    }
}

/// Table names after `FROM`, `JOIN`, `INTO` and `UPDATE` in SQL text, in
/// order of first mention (a look at words, not a parse: the SQL reader
/// of access patterns owns the real one).
pub(crate) fn tables_named(sql: &str) -> Vec<String> {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for pair in words.windows(2) {
        let kw = pair[0].to_ascii_uppercase();
        if matches!(kw.as_str(), "FROM" | "JOIN" | "INTO" | "UPDATE") {
            let name = pair[1].trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && !matches!(
                    name.to_ascii_uppercase().as_str(),
                    "SELECT" | "OR" | "IGNORE" | "REPLACE" | "SET"
                );
            if valid && !out.iter().any(|t| t == name) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// Whether `call` calls a helper whose (first) return is a string or
/// template literal: `pendingBundleKey(jobId)`.
pub(crate) fn helper_returns_string(index: &CodeIndex<'_>, fi: usize, call: Node<'_>) -> bool {
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return false;
    };
    let Some(f) = call
        .child_by_field_name("function")
        .filter(|f| f.kind_name() == "identifier")
    else {
        return false;
    };
    let Some(r) = index.resolve(fi, text(f, src)) else {
        return false;
    };
    returns(r.decl.node, r.decl.value)
        .first()
        .is_some_and(|e| matches!(unwrap_expr(*e).kind_name(), "template_string" | "string"))
}

/// A placeholder list the SQL text `node` builds from an array at run time
/// (`IN (${ids.map(() => "?").join(",")})`, `VALUES ${rows.map(() =>
/// "(?, ?)").join(", ")}`, `"?,".repeat(n)`, `Array(n).fill("?")`): the
/// array, the values bound per item, and the chunk size when the array is
/// cut (`ids.slice(i, i + 50)`). `None` when the text builds none, or
/// builds it from an array [`request_list`] does not take.
pub(crate) fn spread_list(
    index: &CodeIndex<'_>,
    fi: usize,
    node: Node<'_>,
) -> Option<crate::model::SpreadList> {
    let src = index.files.get(fi)?.src;
    let mut node = unwrap_expr(node);
    if node.kind_name() == "identifier" {
        node = unwrap_expr(local_value(node, text(node, src), src)?);
    }
    if node.kind_name() != "template_string" {
        return None;
    }
    // The `?` written in the text itself, outside every substitution.
    let fixed: usize = children(node)
        .into_iter()
        .filter(|c| c.kind_name() != "template_substitution")
        .map(|c| text(c, src).matches('?').count())
        .sum();
    for sub in children(node)
        .into_iter()
        .filter(|c| c.kind_name() == "template_substitution")
    {
        let Some(mut e) = sub.named_child(0).map(unwrap_expr) else {
            continue;
        };
        if e.kind_name() == "identifier"
            && let Some(v) = local_value(e, text(e, src), src)
        {
            e = unwrap_expr(v);
        }
        if let Some((over, per_item)) = placeholder_list(e, src) {
            // The same list written twice (`IN (${marks}) OR … IN (${marks})`).
            let sub_text = text(sub, src);
            let times = children(node)
                .into_iter()
                .filter(|c| c.kind_name() == "template_substitution" && text(*c, src) == sub_text)
                .count();
            return request_list(
                over,
                per_item.saturating_mul(u32::try_from(times).unwrap_or(1)),
                u32::try_from(fixed).unwrap_or(u32::MAX),
                src,
            );
        }
    }
    None
}

/// The messages a `sendBatch(…)` argument makes one per item of an array
/// (`items.map((i) => ({ body: i }))`, or a local holding that), with the
/// chunk size when the array is cut: a [`request_list`] of one per item.
pub(crate) fn batch_list(node: Node<'_>, src: &str) -> Option<crate::model::SpreadList> {
    let mut n = unwrap_expr(node);
    if n.kind_name() == "identifier" {
        n = unwrap_expr(local_value(n, text(n, src), src)?);
    }
    let (over, m) = member_call(n, src)?;
    if m != "map" {
        return None;
    }
    request_list(over, 1, 0, src)
}

/// The whole request URL `n` holds, named as the request gives it
/// (`request.url`, `c.req.url`): `request.url`,
/// `c.req.url`, `url.href` / `url.toString()` / `` `${url}` `` of a `new
/// URL(request.url)`, through locals, templates, `+`, `String(…)` and case
/// or trim methods. A hash of it, its `pathname` or one query value is not
/// the whole URL.
pub(crate) fn whole_url(n: Node<'_>, src: &str) -> Option<String> {
    fn request_like(t: &str) -> bool {
        let t = t.trim_end_matches(".raw");
        matches!(t, "request" | "req" | "c.req" | "ctx.req")
            || t.ends_with(".request")
            || t.ends_with(".req")
    }
    fn find(n: Node<'_>, src: &str, depth: u32) -> Option<String> {
        if depth > 6 {
            return None;
        }
        let n = unwrap_expr(n);
        let url_object = |o: Node<'_>| {
            let o = unwrap_expr(o);
            let v = if o.kind_name() == "identifier" {
                local_value(o, text(o, src), src).map(unwrap_expr)
            } else {
                Some(o)
            };
            v.filter(|v| {
                v.kind_name() == "new_expression"
                    && v.child_by_field_name("constructor")
                        .is_some_and(|c| text(c, src) == "URL")
            })
            .and_then(|v| v.child_by_field_name("arguments")?.named_child(0))
            .and_then(|a| find(a, src, depth + 1))
        };
        match n.kind_name() {
            "identifier" => {
                let v = local_value(n, text(n, src), src)?;
                let v = unwrap_expr(v);
                if v.kind_name() == "new_expression" {
                    return url_object(n);
                }
                find(v, src, depth + 1)
            }
            "member_expression" => {
                let obj = n.child_by_field_name("object")?;
                match text(n.child_by_field_name("property")?, src) {
                    "url" if request_like(text(unwrap_expr(obj), src)) => {
                        Some(text(n, src).to_owned())
                    }
                    "href" => url_object(obj),
                    _ => None,
                }
            }
            "template_string" => children(n)
                .into_iter()
                .filter(|c| c.kind_name() == "template_substitution")
                .find_map(|c| {
                    let e = c.named_child(0)?;
                    find(e, src, depth + 1).or_else(|| url_object(e))
                }),
            "binary_expression" => ["left", "right"]
                .into_iter()
                .find_map(|f| find(n.child_by_field_name(f)?, src, depth + 1)),
            "call_expression" => {
                if let Some((recv, m)) = member_call(n, src) {
                    return match m {
                        "toString" => url_object(recv),
                        "toLowerCase" | "toUpperCase" | "trim" | "normalize" => {
                            find(recv, src, depth + 1)
                        }
                        _ => None,
                    };
                }
                let f = n.child_by_field_name("function")?;
                if text(f, src) != "String" {
                    return None;
                }
                let arg = *call_args(n).first()?;
                find(arg, src, depth + 1).or_else(|| url_object(arg))
            }
            _ => None,
        }
    }
    find(n, src, 0)
}

/// The `name.push(…)` calls of the function around `at`, when `name` is a
/// local that function starts empty (`const keys: string[] = []`); `None`
/// for a local holding anything else.
pub(crate) fn filled_array<'t>(at: Node<'t>, name: &str, src: &str) -> Option<Vec<Node<'t>>> {
    let start = unwrap_expr(local_value(at, name, src)?);
    if start.kind_name() != "array" || start.named_child_count() > 0 {
        return None;
    }
    let body = enclosing_body(at)?;
    let mut pushes = Vec::new();
    super::super::syntax::walk(body, |n| {
        if n.kind_name() == "call_expression"
            && member_call(n, src).is_some_and(|(recv, m)| m == "push" && text(recv, src) == name)
        {
            pushes.push(n);
        }
    });
    Some(pushes)
}

/// The keys an R2 `delete(keys)` takes when `keys` is an array the function
/// starts empty and fills with `push` inside a loop that pages through a
/// listing (`do { const page = await bucket.list({ cursor }); … } while
/// (…)`), deleted after that loop: every key under the prefix in one call.
pub(crate) fn listed_list(
    arg: Node<'_>,
    call: Node<'_>,
    src: &str,
) -> Option<crate::model::SpreadList> {
    let arg = unwrap_expr(arg);
    if arg.kind_name() != "identifier" {
        return None;
    }
    let name = text(arg, src);
    let pushes = filled_array(arg, name, src)?;
    let body = enclosing_body(call)?;
    let is_loop = |n: &Node<'_>| {
        matches!(
            n.kind_name(),
            "while_statement" | "do_statement" | "for_statement" | "for_in_statement"
        )
    };
    let lists = |l: Node<'_>| {
        let mut found = false;
        super::super::syntax::walk(l, |n| {
            found |= n.kind_name() == "call_expression"
                && member_call(n, src).is_some_and(|(_, m)| m == "list");
        });
        found
    };
    // A listing loop around a push that the delete is not in.
    let gathered = pushes.iter().any(|push| {
        std::iter::successors(push.parent(), |p| p.parent())
            .take_while(|p| p.id() != body.id())
            .filter(is_loop)
            .any(|l| !l.byte_range().contains(&call.start_byte()) && lists(l))
    });
    gathered.then(|| crate::model::SpreadList {
        over: name.chars().take(80).collect(),
        per_item: 1,
        chunk: None,
        fixed: 0,
    })
}

/// `per_item` values for each item of the array `over`, plus `fixed`
/// others, when the code cuts the array into chunks or the request sends
/// it ([`from_request`]). A literal array, one record's fields, a parameter
/// (its caller may cut it) or the rows of an earlier lookup are bounded
/// elsewhere, or may be: `None`.
fn request_list(
    over: Node<'_>,
    per_item: u32,
    fixed: u32,
    src: &str,
) -> Option<crate::model::SpreadList> {
    let over = unwrap_expr(over);
    let (source, chunk) = chunked(over, src);
    if chunk.is_none() && !from_request(source, src) {
        return None;
    }
    Some(crate::model::SpreadList {
        over: text(over, src).chars().take(80).collect(),
        per_item,
        chunk,
        fixed,
    })
}

/// Whether the array `n` is what a request sends, through locals and
/// array methods: a parsed body (`await request.json()`, `c.req.json()`,
/// destructured), query values (`searchParams.getAll(…)`, `c.req.queries`,
/// a `split(…)` string), form values (`formData.getAll(…)`).
fn from_request(n: Node<'_>, src: &str) -> bool {
    let mut n = n;
    for _ in 0..8 {
        n = unwrap_expr(n);
        match n.kind_name() {
            "await_expression" => match n.named_child(0) {
                Some(inner) => n = inner,
                None => return false,
            },
            "identifier" => match local_value(n, text(n, src), src)
                .or_else(|| destructured_from(n, text(n, src), src))
            {
                Some(v) => n = v,
                None => return false,
            },
            // `[...new Set(ids)]`
            "array" => match children(n)
                .into_iter()
                .find(|c| c.kind_name() == "spread_element")
            {
                Some(sp) => match sp.named_child(0) {
                    Some(inner) => n = inner,
                    None => return false,
                },
                None => return false,
            },
            "new_expression" => {
                let set = n
                    .child_by_field_name("constructor")
                    .is_some_and(|c| text(c, src) == "Set");
                match n
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0))
                    .filter(|_| set)
                {
                    Some(inner) => n = inner,
                    None => return false,
                }
            }
            // `body.ids`, `(await c.req.json()).ids`
            "member_expression" => match n.child_by_field_name("object") {
                Some(o) => n = o,
                None => return false,
            },
            "call_expression" => {
                let Some((recv, m)) = member_call(n, src) else {
                    return false;
                };
                match m {
                    "json" | "getAll" | "queries" | "split" | "formData" | "parseBody" => {
                        return true;
                    }
                    "map" | "filter" | "slice" | "flat" | "flatMap" | "concat" | "sort" => n = recv,
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
    false
}

/// `xs.map(() => "(?, ?)").join(…)` → (`xs`, 2); `Array(n).fill("?")…`,
/// `Array.from({ length: n }, () => "?")…`, `"?, ".repeat(n)…` → (`n`, 1).
fn placeholder_list<'t>(e: Node<'t>, src: &str) -> Option<(Node<'t>, u32)> {
    // Peel the string methods around the list: `.join(",")`, `.slice(0, -1)`.
    let mut e = e;
    for _ in 0..4 {
        let Some((recv, m)) = member_call(e, src) else {
            break;
        };
        let args = call_args(e);
        match m {
            "map" => {
                let marks = args.first().and_then(|f| returned_text(*f, src))?;
                let per_item = marks.matches('?').count();
                let only_marks = marks
                    .chars()
                    .all(|c| matches!(c, '?' | ',' | '(' | ')' | ' '));
                return (per_item > 0 && only_marks)
                    .then(|| (recv, u32::try_from(per_item).unwrap_or(u32::MAX)));
            }
            "fill" => {
                let mark = args.first().and_then(|a| string_value(*a, src))?;
                if mark.trim() != "?" {
                    return None;
                }
                // `Array(n)` / `new Array(n)`.
                return Some((*call_args(recv).first()?, 1));
            }
            "repeat" => {
                let mark = string_value(recv, src)?;
                if mark.matches('?').count() != 1 {
                    return None;
                }
                return Some((*args.first()?, 1));
            }
            "from" if text(recv, src) == "Array" => {
                let marks = args.get(1).and_then(|f| returned_text(*f, src))?;
                if marks.trim() != "?" {
                    return None;
                }
                let length = unwrap_expr(*args.first()?);
                let n = children(length).into_iter().find_map(|p| {
                    (p.kind_name() == "pair"
                        && p.child_by_field_name("key")
                            .is_some_and(|k| text(k, src) == "length"))
                    .then(|| p.child_by_field_name("value"))
                    .flatten()
                })?;
                return Some((n, 1));
            }
            "join" | "slice" | "concat" | "trim" => e = unwrap_expr(recv),
            _ => return None,
        }
    }
    None
}

/// The string an arrow function or function expression returns, when it
/// is a literal: `() => "(?, ?)"`.
fn returned_text(f: Node<'_>, src: &str) -> Option<String> {
    let f = unwrap_expr(f);
    if !matches!(f.kind_name(), "arrow_function" | "function_expression") {
        return None;
    }
    let body = f.child_by_field_name("body")?;
    let value = if body.kind_name() == "statement_block" {
        children(body)
            .into_iter()
            .find(|s| s.kind_name() == "return_statement")?
            .named_child(0)?
    } else {
        body
    };
    string_value(unwrap_expr(value), src)
}

/// The array a list is built from, with the chunk size when the code cuts
/// it: `ids.slice(i, i + 50)` (or a local holding it) → (`ids`, 50);
/// `xs.length` counts `xs`.
fn chunked<'t>(over: Node<'t>, src: &str) -> (Node<'t>, Option<u32>) {
    let mut n = over;
    for _ in 0..3 {
        if n.kind_name() == "identifier"
            && let Some(v) = local_value(n, text(n, src), src)
        {
            n = unwrap_expr(v);
        }
        if n.kind_name() == "member_expression"
            && n.child_by_field_name("property")
                .is_some_and(|p| text(p, src) == "length")
            && let Some(o) = n.child_by_field_name("object")
        {
            n = unwrap_expr(o);
            continue;
        }
        if let Some((recv, m)) = member_call(n, src)
            && m == "slice"
        {
            let args = call_args(n);
            return (recv, slice_size(&args, src));
        }
        break;
    }
    (n, None)
}

/// How many items `slice(a, b)` keeps at most: `b - a` for numbers, `N`
/// for `slice(i, i + N)`.
fn slice_size(args: &[Node<'_>], src: &str) -> Option<u32> {
    let num = |n: Node<'_>| text(n, src).replace('_', "").parse::<u32>().ok();
    let (a, b) = (unwrap_expr(*args.first()?), unwrap_expr(*args.get(1)?));
    if let (Some(a), Some(b)) = (num(a), num(b)) {
        return b.checked_sub(a);
    }
    if b.kind_name() == "binary_expression"
        && b.child_by_field_name("operator")
            .is_some_and(|o| text(o, src) == "+")
        && b.child_by_field_name("left")
            .is_some_and(|l| text(l, src) == text(a, src))
    {
        return num(unwrap_expr(b.child_by_field_name("right")?));
    }
    None
}
