//! Small helpers over tree-sitter nodes: text, 1-based locations, string
//! values, doc comments, and an iterative pre-order walk (no recursion, so
//! a 20,000-deep expression cannot overflow the stack).

use crate::model::Location;
use crate::sources::typescript::parse::NodeKind;
use tree_sitter::Node;

/// The source text of `node` (empty when the range is not valid UTF-8).
pub fn text<'a>(node: Node<'_>, src: &'a str) -> &'a str {
    src.get(node.byte_range()).unwrap_or("")
}

/// Whether a node of `kind` is a function: the `return`s, `break`s and
/// locals inside it are its own.
pub fn is_function(kind: &str) -> bool {
    matches!(
        kind,
        "arrow_function"
            | "function_expression"
            | "function"
            | "function_declaration"
            | "method_definition"
            | "generator_function_declaration"
    )
}

/// The function `node` is in.
pub fn enclosing_function(node: Node<'_>) -> Option<Node<'_>> {
    std::iter::successors(node.parent(), |n| n.parent()).find(|n| is_function(n.kind_name()))
}

/// The 1-based location of `node` (tree-sitter points are 0-based).
pub fn location(path: &str, node: Node<'_>) -> Location {
    let p = node.start_position();
    let col = u32::try_from(p.column)
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let line = u32::try_from(p.row).unwrap_or(u32::MAX).saturating_add(1);
    Location::at(path, line, col)
}

/// The value of a string literal or a template literal without
/// substitutions; `None` for anything else.
pub fn string_value(node: Node<'_>, src: &str) -> Option<String> {
    let node = unwrap_expr(node);
    match node.kind_name() {
        "string" => {
            let raw = text(node, src);
            let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
            Some(unescape(inner))
        }
        "template_string" => {
            let mut c = node.walk();
            if node
                .named_children(&mut c)
                .any(|ch| ch.kind_name() == "template_substitution")
            {
                return None;
            }
            let raw = text(node, src);
            Some(
                raw.get(1..raw.len().saturating_sub(1))
                    .unwrap_or("")
                    .to_owned(),
            )
        }
        _ => None,
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The callee of a call without type arguments: `sql<T[]>` → `sql`,
/// `db.query<Row>` → `db.query` (also through the missing-`!` node the
/// 0.23 grammar makes of a generic tagged template, and through the
/// `await` it puts around the callee of `await kv.get<T>(k)`).
pub fn callee<'t>(mut f: Node<'t>) -> Node<'t> {
    for _ in 0..8 {
        match f.kind_name() {
            "await_expression"
                if f.parent().is_some_and(|c| {
                    c.kind_name() == "call_expression"
                        && c.child_by_field_name("type_arguments").is_some()
                }) =>
            {
                match f.named_child(0) {
                    Some(inner) => f = inner,
                    None => return f,
                }
            }
            "non_null_expression" | "instantiation_expression" => match f.named_child(0) {
                Some(inner) => f = inner,
                None => return f,
            },
            _ => return f,
        }
    }
    f
}

/// A call's callee as one compact string (`this.ctx.storage.sql.exec`),
/// however the chain is spread over lines, capped at 200 characters: what
/// callee names are matched against.
pub fn callee_text(f: Node<'_>, src: &str) -> String {
    text(callee(f), src)
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(200)
        .collect()
}

/// Strips wrappers that do not change a value: parentheses, `as T`,
/// `satisfies T`, `!`.
pub fn unwrap_expr(mut node: Node<'_>) -> Node<'_> {
    // Iterative: 20,000 nested parentheses cost a loop, not a stack.
    loop {
        match node.kind_name() {
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "type_assertion" => match node.named_child(0) {
                Some(inner) => node = inner,
                None => return node,
            },
            _ => return node,
        }
    }
}

/// The JSDoc or line comments directly above `node` (or above the
/// `export` wrapping it), cleaned of comment markers and joined.
pub fn doc_comment(node: Node<'_>, src: &str) -> Option<String> {
    let mut anchor = node;
    while let Some(p) = anchor.parent() {
        if matches!(
            p.kind_name(),
            "export_statement" | "lexical_declaration" | "variable_declaration"
        ) {
            anchor = p;
        } else {
            break;
        }
    }
    let mut parts: Vec<String> = Vec::new();
    let mut expect_row = anchor.start_position().row;
    let mut cur = anchor.prev_sibling();
    while let Some(c) = cur {
        if c.kind_name() != "comment" || c.end_position().row + 1 < expect_row {
            break;
        }
        parts.push(clean_comment(text(c, src)));
        expect_row = c.start_position().row;
        // A JSDoc block is the whole doc; line comments may stack.
        if text(c, src).starts_with("/*") {
            break;
        }
        cur = c.prev_sibling();
    }
    parts.reverse();
    let joined = parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then(|| first_sentence(&joined))
}

/// A purpose is one sentence: the comment up to its first `. ` (a period
/// followed by a space and an upper-case letter, so `e.g. x` survives).
pub fn first_sentence(text: &str) -> String {
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices(". ") {
        if bytes.get(i + 2).is_some_and(u8::is_ascii_uppercase) {
            return text[..=i].to_owned();
        }
    }
    text.to_owned()
}

/// A comment's prose: markers removed, JSDoc tags (`@see …`) dropped.
fn clean_comment(raw: &str) -> String {
    let body = raw
        .strip_prefix("/**")
        .or_else(|| raw.strip_prefix("/*"))
        .map(|b| b.strip_suffix("*/").unwrap_or(b))
        .or_else(|| raw.strip_prefix("//"))
        .unwrap_or(raw);
    // The summary: the first paragraph, up to a tag, a blank line, or a
    // line broken before the author's wrap width that starts a new
    // sentence (`Create the app\nHandles all uploads` is two sentences; a
    // sentence wrapped at the width before `Durable Object` is one).
    let lines: Vec<&str> = body
        .lines()
        .map(|l| l.trim().trim_start_matches('*').trim())
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty() && !l.starts_with('@'))
        .collect();
    // Where the author wraps: a line break well before it was deliberate.
    // (At least 60 columns: a short block's lines are not its width.)
    let width = lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(60);
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            let prev = lines[i - 1];
            let first_word = line.split_whitespace().next().unwrap_or("");
            let deliberate = prev.chars().count() + 1 + first_word.chars().count() <= width;
            if deliberate && starts_sentence(prev, line) {
                break;
            }
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Whether `line` begins a sentence of its own after `prev`.
fn starts_sentence(prev: &str, line: &str) -> bool {
    const CONTINUES: &[&str] = &[
        "a", "an", "the", "of", "in", "to", "for", "and", "or", "with", "by", "on", "from", "as",
    ];
    let last_word = prev
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let open_end = prev.ends_with([',', '(', '-']) || CONTINUES.contains(&last_word.as_str());
    let starts_new = line.starts_with(|c: char| c.is_uppercase())
        || line.starts_with("- ")
        || prev.ends_with(':');
    starts_new && !open_end
}

/// Calls `f` on every node under `root` in pre-order, iteratively.
pub fn walk<'t>(root: Node<'t>, mut f: impl FnMut(Node<'t>)) {
    let mut cursor = root.walk();
    loop {
        f(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() || cursor.node() == root {
                return;
            }
        }
    }
}

/// The `extends …` / `implements …` clause of a class declaration, as
/// written (`""` when it has none).
pub fn heritage<'a>(class: Node<'_>, src: &'a str) -> &'a str {
    children(class)
        .into_iter()
        .find(|c| c.kind_name() == "class_heritage")
        .map_or("", |h| text(h, src))
}

/// The class a heritage clause extends, by name: `extends Server<Env>` →
/// `Server`.
pub fn extended_name(heritage: &str) -> Option<&str> {
    let rest = heritage.split("extends").nth(1)?.trim_start();
    rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .next()
        .filter(|n| !n.is_empty())
}

/// The value of the pair `key: value` (or `"key": value`) of an object
/// literal.
pub fn property<'t>(object: Node<'t>, key: &str, src: &str) -> Option<Node<'t>> {
    children(object)
        .into_iter()
        .filter(|p| p.kind_name() == "pair")
        .find(|p| {
            p.child_by_field_name("key")
                .is_some_and(|k| string_value(k, src).as_deref().unwrap_or(text(k, src)) == key)
        })?
        .child_by_field_name("value")
}

/// The arguments of a call or `new`, without the comments between them.
pub fn call_args(call: Node<'_>) -> Vec<Node<'_>> {
    call.child_by_field_name("arguments")
        .map(children)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.kind_name() != "comment")
        .collect()
}

/// Named children of `node` as a vector (tree-sitter's iterator borrows a
/// cursor, which is awkward to thread through).
pub fn children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut c = node.walk();
    node.named_children(&mut c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_are_one_sentence() {
        assert_eq!(first_sentence("Rooms. Each has users."), "Rooms.");
        assert_eq!(
            first_sentence("Keys, e.g. app:1. More"),
            "Keys, e.g. app:1."
        );
        assert_eq!(first_sentence("No period"), "No period");
    }

    #[test]
    fn cleans_jsdoc_and_line_comments() {
        assert_eq!(
            clean_comment("/**\n * Users of the app.\n * @see x\n */"),
            "Users of the app."
        );
        assert_eq!(clean_comment("// Plain note"), "Plain note");
    }

    #[test]
    fn a_jsdoc_summary_is_its_first_sentence_or_paragraph() {
        assert_eq!(
            clean_comment(
                "/**\n * Create the app with all endpoints\n * Handles uploads and rooms\n */"
            ),
            "Create the app with all endpoints"
        );
        assert_eq!(
            clean_comment(
                "/**\n * WorkflowStatusDO - state of a workflow\n *\n * Responsibilities:\n * - Track steps\n */"
            ),
            "WorkflowStatusDO - state of a workflow"
        );
        // A sentence wrapped before a proper noun continues.
        assert_eq!(
            clean_comment("/**\n * Progress kept in the\n * Durable Object's storage\n */"),
            "Progress kept in the Durable Object's storage"
        );
        assert_eq!(
            clean_comment("/** Uploads waiting,\n * Deleted by the consumer */"),
            "Uploads waiting, Deleted by the consumer"
        );
        assert_eq!(
            clean_comment(
                "/**\n * The object exposes an RPC method sayHello which will be invoked when a Durable\n * Object instance receives a request from a Worker\n */"
            ),
            "The object exposes an RPC method sayHello which will be invoked when a Durable Object instance receives a request from a Worker"
        );
    }
}
