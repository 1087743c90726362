//! Constant folding for the expressions keys and TTLs are built from:
//! numbers, strings, template literals, `+ - * / %`, unary minus, and
//! references to consts (in scope or imported, also `CONFIG.KEY` of a
//! const object), followed through the code index.

use super::index::{CodeIndex, DeclKind};
use super::syntax::{children, property, string_value, text, unwrap_expr};
use crate::sources::typescript::parse::NodeKind;
use tree_sitter::Node;

/// A folded constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
}

impl Value {
    /// The value as a string, as JavaScript would concatenate it.
    pub fn as_string(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Value::Num(n) => n.to_string(),
        }
    }
}

/// Folds `node` (in file `file`) to a constant, or `None`.
pub fn fold(index: &CodeIndex<'_>, file: usize, node: Node<'_>) -> Option<Value> {
    fold_depth(index, file, node, 0)
}

fn number(raw: &str) -> Option<f64> {
    let clean: String = raw.chars().filter(|c| *c != '_').collect();
    if let Some(hex) = clean
        .strip_prefix("0x")
        .or_else(|| clean.strip_prefix("0X"))
    {
        return i64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    clean.trim_end_matches('n').parse().ok()
}

fn fold_depth(index: &CodeIndex<'_>, file: usize, node: Node<'_>, depth: u32) -> Option<Value> {
    if depth > 32 {
        return None;
    }
    let src = index.files.get(file)?.src;
    let node = unwrap_expr(node);
    match node.kind_name() {
        "number" => number(text(node, src)).map(Value::Num),
        "string" => string_value(node, src).map(Value::Str),
        "template_string" => {
            let mut out = String::new();
            for ch in children(node) {
                match ch.kind_name() {
                    "string_fragment" | "escape_sequence" => out.push_str(text(ch, src)),
                    "template_substitution" => {
                        let v = fold_depth(index, file, ch.named_child(0)?, depth + 1)?;
                        out.push_str(&v.as_string());
                    }
                    _ => {}
                }
            }
            Some(Value::Str(out))
        }
        "unary_expression" => {
            let op = node.child_by_field_name("operator").map(|o| text(o, src));
            let arg = fold_depth(
                index,
                file,
                node.child_by_field_name("argument")?,
                depth + 1,
            )?;
            match (op, arg) {
                (Some("-"), Value::Num(n)) => Some(Value::Num(-n)),
                (Some("+"), Value::Num(n)) => Some(Value::Num(n)),
                _ => None,
            }
        }
        "binary_expression" => {
            let op = text(node.child_by_field_name("operator")?, src);
            let l = fold_depth(index, file, node.child_by_field_name("left")?, depth + 1)?;
            let r = fold_depth(index, file, node.child_by_field_name("right")?, depth + 1)?;
            match (op, l, r) {
                ("+", Value::Num(a), Value::Num(b)) => Some(Value::Num(a + b)),
                ("+", a, b) => Some(Value::Str(a.as_string() + &b.as_string())),
                ("-", Value::Num(a), Value::Num(b)) => Some(Value::Num(a - b)),
                ("*", Value::Num(a), Value::Num(b)) => Some(Value::Num(a * b)),
                ("/", Value::Num(a), Value::Num(b)) if b != 0.0 => Some(Value::Num(a / b)),
                ("%", Value::Num(a), Value::Num(b)) if b != 0.0 => Some(Value::Num(a % b)),
                _ => None,
            }
        }
        "identifier" => {
            let r = index.resolve(file, text(node, src))?;
            if r.decl.kind != DeclKind::Variable {
                return None;
            }
            fold_depth(index, r.file, r.decl.value?, depth + 1)
        }
        "member_expression" => {
            // `CONFIG.TTL` where `const CONFIG = { TTL: 60 }`.
            let obj = unwrap_expr(node.child_by_field_name("object")?);
            let prop = text(node.child_by_field_name("property")?, src);
            if obj.kind_name() != "identifier" {
                return None;
            }
            let r = index.resolve(file, text(obj, src))?;
            let value = unwrap_expr(r.decl.value?);
            if value.kind_name() != "object" {
                return None;
            }
            let rsrc = index.files.get(r.file)?.src;
            fold_depth(index, r.file, property(value, prop, rsrc)?, depth + 1)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::index::CodeIndex;
    use super::super::parse::parse_source;
    use super::super::resolve::Resolver;
    use super::*;

    /// Folds the initializer of `const probe` in the last file.
    fn fold_probe(files: &[(&str, &str)]) -> Option<Value> {
        let parsed: Vec<_> = files
            .iter()
            .map(|(p, s)| parse_source(p, s).unwrap())
            .collect();
        let resolver = Resolver::new(files.iter().map(|(p, _)| (*p).to_owned()), Vec::new());
        let index = CodeIndex::new(&parsed, resolver);
        let last = index.files.len() - 1;
        let decl = index.files[last].decls["probe"];
        fold(&index, last, decl.value.unwrap())
    }

    #[test]
    fn folds_arithmetic_strings_templates_and_references() {
        assert_eq!(
            fold_probe(&[("a.ts", "const probe = 60 * 60 * 24 * 7;")]),
            Some(Value::Num(604_800.0))
        );
        assert_eq!(
            fold_probe(&[(
                "a.ts",
                "const PREFIX = 'app';\nconst probe = `${PREFIX}:` + 1_000;"
            )]),
            Some(Value::Str("app:1000".into()))
        );
        assert_eq!(
            fold_probe(&[
                (
                    "ttl.ts",
                    "export const FIVE_MIN = 5 * 60;\nexport const CFG = { TTL: FIVE_MIN * 2 };"
                ),
                (
                    "a.ts",
                    "import { CFG } from './ttl';\nconst probe = (CFG.TTL as number) - 0x0A;"
                ),
            ]),
            Some(Value::Num(590.0))
        );
        assert_eq!(
            fold_probe(&[("a.ts", "const probe = Date.now() + 1;")]),
            None
        );
        assert_eq!(fold_probe(&[("a.ts", "const probe = probe + 1;")]), None);
    }
}
