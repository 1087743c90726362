//! KV values and their options: what a value written or read is, and the
//! TTL (`expirationTtl`, `expiration`, `cacheTtl`) a call sets.

use super::*;

/// The type of a KV value written: `JSON.stringify(…)` → JSON, `String(n + 1)`
/// → Counter, a number → Number, a string → String, buffers → Binary;
/// `None` when the code does not say.
pub(crate) fn value_type(node: Node<'_>, src: &str) -> Option<ValueKind> {
    let mut node = unwrap_expr(node);
    if node.kind() == "await_expression"
        && let Some(inner) = node.named_child(0)
    {
        node = unwrap_expr(inner);
    }
    let t = text(node, src);
    // `await request.text()`, `await res.arrayBuffer()`, `request.body`.
    if node.kind() == "call_expression" && t.ends_with(".text()") {
        return Some(ValueKind::String);
    }
    if t.ends_with(".arrayBuffer()") || t.ends_with(".body") {
        return Some(ValueKind::Binary);
    }
    if t.starts_with("JSON.stringify") {
        return Some(ValueKind::Json);
    }
    let increments = t.contains("+ 1") || t.contains("+1");
    if (t.starts_with("String(") || t.ends_with(".toString()")) && increments {
        return Some(ValueKind::Counter);
    }
    let lower = t.to_ascii_lowercase();
    Some(match node.kind() {
        "number" => ValueKind::Number,
        "string" | "template_string" => ValueKind::String,
        "call_expression" if t.starts_with("String(") || t.ends_with(".toString()") => {
            ValueKind::Number
        }
        _ if lower.contains("buffer")
            || lower.contains("stream")
            || lower.contains("uint8array")
            || lower.contains("blob") =>
        {
            ValueKind::Binary
        }
        // A variable or call whose type dmqa does not know: let a typed
        // read of the same key say.
        _ => return None,
    })
}

/// The value of `key` in an options object literal.
pub(crate) fn option<'t>(opts: Option<Node<'t>>, opt: Opt, src: &str) -> Option<Node<'t>> {
    let key = opt.name(Lang::TypeScript)?;
    let opts = opts.map(unwrap_expr).filter(|o| o.kind() == "object")?;
    children(opts).into_iter().find_map(|p| match p.kind() {
        "pair"
            if p.child_by_field_name("key")
                .is_some_and(|k| text(k, src) == key) =>
        {
            p.child_by_field_name("value")
        }
        "shorthand_property_identifier" if text(p, src) == key => Some(p),
        _ => None,
    })
}

/// The type a KV `get(k, type)` asks for.
pub(crate) fn read_type(node: Node<'_>, src: &str) -> Option<ValueKind> {
    let node = unwrap_expr(node);
    let ty = match node.kind() {
        "object" => children(node).into_iter().find_map(|p| {
            let k = p.child_by_field_name("key")?;
            (Some(text(k, src)) == Opt::Type.name(Lang::TypeScript))
                .then(|| p.child_by_field_name("value"))?
        }),
        _ => Some(node),
    }?;
    Some(match string_value(ty, src)?.as_str() {
        "json" => ValueKind::Json,
        "arrayBuffer" | "stream" => ValueKind::Binary,
        _ => ValueKind::String,
    })
}

/// A TTL option's value: seconds when it folds to a number.
pub(crate) fn seconds(index: &CodeIndex<'_>, fi: usize, v: Node<'_>) -> Expiry {
    match fold(index, fi, v) {
        Some(Value::Num(n)) if n >= 0.0 => Expiry::Ttl { secs: n as u64 },
        _ => Expiry::Unknown {
            expr: index
                .files
                .get(fi)
                .map_or("", |f| text(v, f.src))
                .to_owned(),
        },
    }
}

/// How long a `put` keeps its key: `expirationTtl` (folded), `expiration`
/// (absolute), or neither.
pub(crate) fn ttl(index: &CodeIndex<'_>, fi: usize, opts: Option<Node<'_>>) -> Expiry {
    let Some(opts) = opts.map(unwrap_expr).filter(|o| o.kind() == "object") else {
        return Expiry::Never;
    };
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return Expiry::Never;
    };
    for p in children(opts) {
        let key = match p.kind() {
            "pair" => p.child_by_field_name("key").map(|k| text(k, src)),
            "shorthand_property_identifier" => Some(text(p, src)),
            _ => None,
        };
        match key.and_then(|k| Opt::parse(Lang::TypeScript, k)) {
            Some(Opt::ExpirationTtl) => {
                return seconds(index, fi, p.child_by_field_name("value").unwrap_or(p));
            }
            Some(Opt::Expiration) => return Expiry::Absolute,
            _ => {}
        }
    }
    Expiry::Never
}
