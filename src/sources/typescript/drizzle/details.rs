//! Column details read as SQL text: defaults (`sql`…`` templates, literals),
//! foreign-key actions, and the comment trailing a column.

use super::*;
use crate::sources::typescript::parse::NodeKind;

/// A `// comment` after a property, on the line the property ends on.
pub(crate) fn trailing_comment(pair: Node<'_>, src: &str) -> Option<String> {
    let row = pair.end_position().row;
    let mut next = pair.next_sibling();
    for _ in 0..2 {
        let n = next?;
        if n.kind_name() == "comment" {
            let t = text(n, src);
            return (n.start_position().row == row && t.starts_with("//"))
                .then(|| t.trim_start_matches('/').trim().to_owned())
                .filter(|t| !t.is_empty());
        }
        next = n.next_sibling();
    }
    None
}

/// `onDelete: "cascade"` in an options object's text → `CASCADE`.
pub(crate) fn action(opts: &str, key: &str) -> Option<String> {
    let rest = opts.split(key).nth(1)?;
    let value = rest.split(['"', '\'']).nth(1)?;
    Some(value.to_uppercase())
}

/// The SQL inside `` sql`…` `` (substitutions as `?`).
pub(crate) fn sql_text(node: Node<'_>, src: &str) -> Option<String> {
    sql_text_with(node, src, &BTreeMap::new())
}

/// The SQL inside `` sql`…` ``; a `${t.key}` substitution naming a column
/// of the table (by key) becomes the column name, anything else `?`.
pub(crate) fn sql_text_with(
    node: Node<'_>,
    src: &str,
    keys: &BTreeMap<String, String>,
) -> Option<String> {
    let mut node = unwrap_expr(node);
    // `generatedAlwaysAs((): SQL => sql\`…\`)`
    if node.kind_name() == "arrow_function" {
        node = unwrap_expr(node.child_by_field_name("body")?);
    }
    if node.kind_name() != "call_expression" {
        return None;
    }
    let f = super::super::syntax::callee(node.child_by_field_name("function")?);
    if text(f, src) != "sql" {
        return None;
    }
    let tpl = node.child_by_field_name("arguments")?;
    if tpl.kind_name() != "template_string" {
        return None;
    }
    let mut out = String::new();
    for ch in children(tpl) {
        match ch.kind_name() {
            "string_fragment" | "escape_sequence" => out.push_str(text(ch, src)),
            "template_substitution" => {
                let col = ch
                    .named_child(0)
                    .and_then(|e| member_ref(e, src))
                    .and_then(|(_, key)| keys.get(&key).cloned());
                match col {
                    Some(c) => out.push_str(&format!("\"{c}\"")),
                    None => out.push('?'),
                }
            }
            _ => {}
        }
    }
    Some(out.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The strings of an array literal (`["a", "b"]`), others left out.
pub(crate) fn string_items(array: Node<'_>, src: &str) -> Vec<String> {
    children(unwrap_expr(array))
        .into_iter()
        .filter_map(|x| string_value(x, src))
        .collect()
}

/// A `.default(x)` value of a column of type `sql_type` as drizzle-kit
/// writes it.
pub(crate) fn default_value(node: Node<'_>, src: &str, dialect: Engine, sql_type: &str) -> String {
    if let Some(s) = sql_text(node, src) {
        return s;
    }
    let n = unwrap_expr(node);
    // MySQL takes a JSON default only as an expression: `('[]')`.
    if dialect == Engine::MySql && sql_type == "json" && matches!(n.kind_name(), "object" | "array")
    {
        return format!("('{}')", text(n, src).replace('\'', "''"));
    }
    match n.kind_name() {
        "string" | "template_string" => match string_value(n, src) {
            Some(s) => format!("'{}'", s.replace('\'', "''")),
            None => text(n, src).to_owned(),
        },
        // `3_600` is 3600: separators are JavaScript's, not SQL's.
        "number" => text(n, src).replace('_', ""),
        "true" | "false" | "null" => text(n, src).to_owned(),
        "object" | "array" => format!("'{}'", text(n, src).replace('\'', "''")),
        _ => text(n, src).to_owned(),
    }
}
