//! Arithmetic on the current time: `Date.now() + 60 * 60 * 24 * 30`,
//! `Math.floor(Date.now() / 1000) - 3600`. Each becomes a [`ClockOffset`]
//! holding the clock's unit and the offset's constant factors as written;
//! the rules judge whether the units agree.

use super::fold::{Value, fold};
use super::index::CodeIndex;
use super::syntax::{location, text, unwrap_expr};
use crate::model::{ClockOffset, ClockUnit};
use crate::sources::typescript::parse::NodeKind;
use tree_sitter::Node;

/// The spellings of the clock in milliseconds, as they start in the text.
const CLOCKS: &[&str] = &["Date.now(", "new Date().getTime(", "new Date().valueOf("];

/// Rounding calls that keep a clock's unit.
const ROUNDING: &[&str] = &["Math.floor", "Math.round", "Math.ceil", "Math.trunc"];

/// Every clock offset of the index, in file order.
pub(crate) fn extract(index: &CodeIndex<'_>) -> Vec<ClockOffset> {
    let mut out = Vec::new();
    for (fi, f) in index.files.iter().enumerate() {
        for spelling in CLOCKS {
            for (at, _) in f.src.match_indices(spelling) {
                let Some(call) = f
                    .root
                    .descendant_for_byte_range(at, at + spelling.len() - 1)
                    .and_then(|n| {
                        std::iter::successors(Some(n), |n| n.parent())
                            .take(6)
                            .find(|n| n.kind_name() == "call_expression" && n.start_byte() == at)
                    })
                else {
                    continue;
                };
                if let Some(o) = offset_of(index, fi, call) {
                    out.push(o);
                }
            }
        }
    }
    out
}

/// The node around `n` that is not a parenthesis.
fn outer(n: Node<'_>) -> Option<Node<'_>> {
    let mut p = n.parent()?;
    while p.kind_name() == "parenthesized_expression" {
        p = p.parent()?;
    }
    Some(p)
}

/// The clock `call` reads, in seconds when divided by 1000 (and rounded),
/// and the offset added to or taken from it.
fn offset_of(index: &CodeIndex<'_>, fi: usize, call: Node<'_>) -> Option<ClockOffset> {
    let src = index.files[fi].src;
    let mut clock = call;
    let mut unit = ClockUnit::Milliseconds;
    let mut p = outer(clock)?;
    if p.kind_name() == "binary_expression"
        && p.child_by_field_name("operator").map(|o| text(o, src)) == Some("/")
        && p.child_by_field_name("left").map(unwrap_expr) == Some(clock)
        && p.child_by_field_name("right")
            .and_then(|r| fold(index, fi, r))
            .is_some_and(|v| v == Value::Num(1000.0))
    {
        unit = ClockUnit::Seconds;
        clock = p;
        p = outer(clock)?;
        // `Math.floor(Date.now() / 1000)`
        if p.kind_name() == "arguments"
            && let Some(c) = p.parent().filter(|c| c.kind_name() == "call_expression")
            && c.child_by_field_name("function")
                .is_some_and(|f| ROUNDING.contains(&text(f, src)))
        {
            clock = c;
            p = outer(clock)?;
        }
    }
    if p.kind_name() != "binary_expression" {
        return None;
    }
    let op = text(p.child_by_field_name("operator")?, src);
    let left = unwrap_expr(p.child_by_field_name("left")?);
    let right = unwrap_expr(p.child_by_field_name("right")?);
    let other = match op {
        "+" if left == clock => right,
        "+" if right == clock => left,
        "-" if left == clock => right,
        _ => return None,
    };
    let factors = factors(index, fi, other)?;
    Some(ClockOffset {
        clock: unit,
        subtracts: op == "-",
        factors,
        offset: text(other, src).to_owned(),
        target: target(p, src),
        location: location(index.files[fi].path, p),
    })
}

/// The constant factors of a product as written (`60 * 60 * DAYS`, each
/// const folded), or `None` when one is not a constant number.
fn factors(index: &CodeIndex<'_>, fi: usize, n: Node<'_>) -> Option<Vec<f64>> {
    let src = index.files[fi].src;
    let mut out = Vec::new();
    let mut stack = vec![unwrap_expr(n)];
    while let Some(n) = stack.pop() {
        if out.len() > 16 {
            return None;
        }
        if n.kind_name() == "binary_expression"
            && n.child_by_field_name("operator").map(|o| text(o, src)) == Some("*")
        {
            stack.push(unwrap_expr(n.child_by_field_name("right")?));
            stack.push(unwrap_expr(n.child_by_field_name("left")?));
            continue;
        }
        match fold(index, fi, n)? {
            Value::Num(v) if v.is_finite() => out.push(v),
            _ => return None,
        }
    }
    Some(out)
}

/// The name the result is stored under: a variable, a destructuring
/// default, an object property, an assignment's target.
fn target(expr: Node<'_>, src: &str) -> Option<String> {
    let mut n = expr;
    let mut p = outer(n)?;
    // `Math.floor(Date.now() + …)`, `new Date(Date.now() + …)`.
    if p.kind_name() == "arguments" {
        n = p.parent()?;
        p = outer(n)?;
    }
    let name = match p.kind_name() {
        "variable_declarator" | "public_field_definition" => p.child_by_field_name("name")?,
        "assignment_pattern" | "object_assignment_pattern" | "assignment_expression" => {
            p.child_by_field_name("left")?
        }
        "pair" => p.child_by_field_name("key")?,
        "required_parameter" | "optional_parameter" => p.child_by_field_name("pattern")?,
        _ => return None,
    };
    let name = match name.kind_name() {
        "member_expression" => name.child_by_field_name("property")?,
        _ => name,
    };
    matches!(
        name.kind_name(),
        "identifier"
            | "shorthand_property_identifier_pattern"
            | "property_identifier"
            | "private_property_identifier"
            | "string"
    )
    .then(|| text(name, src).trim_matches(['"', '\'', '#']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::index::CodeIndex;
    use super::super::parse::parse_source;
    use super::super::resolve::Resolver;
    use super::*;

    fn offsets(src: &str) -> Vec<ClockOffset> {
        let files = vec![parse_source("a.ts", src).unwrap()];
        let index = CodeIndex::new(&files, Resolver::new(["a.ts".to_owned()], Vec::new()));
        extract(&index)
    }

    #[test]
    fn reads_the_clock_unit_the_factors_and_the_target() {
        let src = "const DAYS = 30;\nfunction f({ ends_at = Date.now() + 60 * 60 * 24 * DAYS }) {}\nconst exp = Math.floor(Date.now() / 1000) - (3600);\nconst o = { expiresAt: new Date(Date.now() + 5 * 60 * 1000) };\nx.until = new Date().getTime() + 86_400;\n";
        let o = offsets(src);
        assert_eq!(o.len(), 4, "{o:?}");
        assert_eq!(o[0].clock, ClockUnit::Milliseconds);
        assert_eq!(o[0].factors, [60.0, 60.0, 24.0, 30.0]);
        assert_eq!(o[0].target.as_deref(), Some("ends_at"));
        assert_eq!(o[0].offset, "60 * 60 * 24 * DAYS");
        assert_eq!(o[1].clock, ClockUnit::Seconds);
        assert!(o[1].subtracts && !o[0].subtracts);
        assert_eq!(o[1].factors, [3600.0]);
        assert_eq!(o[1].target.as_deref(), Some("exp"));
        assert_eq!(o[2].factors, [5.0, 60.0, 1000.0]);
        assert_eq!(o[2].target.as_deref(), Some("expiresAt"));
        assert_eq!(o[3].factors, [86400.0]);
        assert_eq!(o[3].target.as_deref(), Some("until"));
    }

    #[test]
    fn skips_differences_and_offsets_that_are_not_constants() {
        let src = "const age = Date.now() - row.created_at;\nconst left = deadline - Date.now();\nconst t = Date.now() + ttl * 1000;\nconst s = Date.now();\n";
        assert!(offsets(src).is_empty());
    }
}
