//! What a query the code runs does: per statement, the table it touches,
//! a short verb phrase, and the normalised `WHERE … ORDER BY … LIMIT …`
//! with parameters as `?` (`?1`, `$1`, `:name` and `@name` all print `?`).

use crate::model::{Operation, QueryShape, QueryVerb};
use sqlparser::ast::{
    Expr, FromTable, ObjectName, Query, SelectItem, SetExpr, Statement, TableFactor, TableObject,
    TableWithJoins, Value, visit_expressions_mut,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;
use std::ops::ControlFlow;

fn name(n: &ObjectName) -> String {
    n.0.last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

/// Alias (or name) → table, for every table of a FROM list.
fn aliases(from: &[TableWithJoins]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for t in from {
        for f in std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)) {
            if let TableFactor::Table { name: n, alias, .. } = f {
                let table = name(n);
                if let Some(a) = alias {
                    out.push((a.name.value.clone(), table.clone()));
                }
                out.push((table.clone(), table));
            }
        }
    }
    out
}

/// `a.x = b.y` equalities in the ON conditions of a FROM list, with
/// aliases resolved to tables.
fn join_pairs(from: &[TableWithJoins]) -> Vec<(String, String, String, String)> {
    use sqlparser::ast::{BinaryOperator, JoinConstraint, JoinOperator};
    let names = aliases(from);
    let resolve = |e: &Expr| match e {
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let qual = &parts[parts.len() - 2].value;
            let col = parts[parts.len() - 1].value.clone();
            names
                .iter()
                .find(|(a, _)| a.eq_ignore_ascii_case(qual))
                .map(|(_, t)| (t.clone(), col))
        }
        _ => None,
    };
    let mut out = Vec::new();
    for t in from {
        for j in &t.joins {
            let on = match &j.join_operator {
                JoinOperator::Join(JoinConstraint::On(e))
                | JoinOperator::Inner(JoinConstraint::On(e))
                | JoinOperator::Left(JoinConstraint::On(e))
                | JoinOperator::LeftOuter(JoinConstraint::On(e))
                | JoinOperator::Right(JoinConstraint::On(e))
                | JoinOperator::RightOuter(JoinConstraint::On(e))
                | JoinOperator::FullOuter(JoinConstraint::On(e)) => e,
                _ => continue,
            };
            let mut stack = vec![on];
            while let Some(e) = stack.pop() {
                match e {
                    Expr::BinaryOp {
                        left,
                        op: BinaryOperator::And,
                        right,
                    } => {
                        stack.push(right);
                        stack.push(left);
                    }
                    Expr::Nested(inner) => stack.push(inner),
                    Expr::BinaryOp {
                        left,
                        op: BinaryOperator::Eq,
                        right,
                    } => {
                        if let (Some((lt, lc)), Some((rt, rc))) = (resolve(left), resolve(right))
                            && !lt.eq_ignore_ascii_case(&rt)
                        {
                            out.push((lt, lc, rt, rc));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Tables of a FROM list (first table, then joined ones).
fn tables(from: &[TableWithJoins]) -> Vec<String> {
    let mut out = Vec::new();
    for t in from {
        for f in std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)) {
            if let TableFactor::Table { name: n, .. } = f {
                out.push(name(n));
            }
        }
    }
    out
}

/// The column an expression names, without its table qualifier.
fn col(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(i) => Some(i.value.clone()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
        _ => None,
    }
}

/// Whether `left = right` compares two columns, one of them qualified by
/// its table (`b.a_id = a.id`); a double-quoted word alone may be a
/// string (`status = "active"` in SQLite), so it is not taken for one.
fn joins_columns(left: &Expr, right: &Expr) -> bool {
    let column = |e: &Expr| match e {
        Expr::CompoundIdentifier(_) => true,
        Expr::Identifier(i) => i.quote_style.is_none(),
        _ => false,
    };
    let qualified = |e: &Expr| matches!(e, Expr::CompoundIdentifier(_));
    column(left) && column(right) && (qualified(left) || qualified(right))
}

/// Columns a WHERE compares (`a = ?`, `a IN (…)`, `a > ?`, `a IS NULL`),
/// in order, without table qualifiers.
fn filter_columns(e: &Expr, out: &mut Vec<String>, depth: u32) {
    if depth > 32 {
        return;
    }
    let mut push = |c: Option<String>| {
        if let Some(c) = c
            && !out.contains(&c)
        {
            out.push(c);
        }
    };
    match e {
        // `OrderDetail.OrderId = "Order".Id` joins two tables (an implicit
        // join: `FROM a, b WHERE …`): no row is looked up by it.
        Expr::BinaryOp {
            left,
            op: sqlparser::ast::BinaryOperator::Eq,
            right,
        } if joins_columns(left, right) => {}
        Expr::BinaryOp { left, right, .. } => {
            if matches!(**left, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
                push(col(left));
            } else {
                filter_columns(left, out, depth + 1);
            }
            filter_columns(right, out, depth + 1);
        }
        Expr::Nested(inner) | Expr::UnaryOp { expr: inner, .. } => {
            filter_columns(inner, out, depth + 1)
        }
        Expr::InList { expr, .. } | Expr::InSubquery { expr, .. } | Expr::Between { expr, .. } => {
            push(col(expr))
        }
        Expr::IsNull(x) | Expr::IsNotNull(x) => push(col(x)),
        Expr::Like { expr, .. } | Expr::ILike { expr, .. } => push(col(expr)),
        _ => {}
    }
}

/// The columns of `cols` a WHERE compares only by a range (`<`, `>`,
/// `<=`, `>=`, `BETWEEN`, `LIKE`), never by equality or `IN`.
fn range_only(w: &Expr, cols: &[String]) -> Vec<String> {
    let mut ranged: Vec<String> = Vec::new();
    let mut exact: Vec<String> = Vec::new();
    let mut stack = vec![w];
    while let Some(e) = stack.pop() {
        if stack.len() > 64 {
            break;
        }
        match e {
            Expr::BinaryOp { left, op, right } => {
                use sqlparser::ast::BinaryOperator as B;
                match (op, col(left)) {
                    (B::Lt | B::LtEq | B::Gt | B::GtEq, Some(c)) => ranged.push(c),
                    (B::And | B::Or, _) => {
                        stack.push(left);
                        stack.push(right);
                    }
                    (_, Some(c)) => exact.push(c),
                    _ => {}
                }
            }
            Expr::Nested(inner) => stack.push(inner),
            Expr::Between { expr, .. } | Expr::Like { expr, .. } | Expr::ILike { expr, .. } => {
                ranged.extend(col(expr));
            }
            Expr::InList { expr, .. } | Expr::InSubquery { expr, .. } => exact.extend(col(expr)),
            Expr::IsNull(x) | Expr::IsNotNull(x) => exact.extend(col(x)),
            _ => {}
        }
    }
    cols.iter()
        .filter(|c| ranged.contains(c) && !exact.contains(c))
        .cloned()
        .collect()
}

/// Whether a WHERE pins `column` by equality in its top-level AND chain
/// (`id = ?`, not `id < 4` or `id = ? OR …`).
fn pins(e: &Expr, column: &str, depth: u32) -> bool {
    use sqlparser::ast::BinaryOperator;
    if depth > 32 {
        return false;
    }
    let named = |e: &Expr| match e {
        Expr::Identifier(i) => i.value.eq_ignore_ascii_case(column),
        Expr::CompoundIdentifier(parts) => parts
            .last()
            .is_some_and(|i| i.value.eq_ignore_ascii_case(column)),
        _ => false,
    };
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => pins(left, column, depth + 1) || pins(right, column, depth + 1),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => !joins_columns(left, right) && (named(left) || named(right)),
        Expr::Nested(inner) => pins(inner, column, depth + 1),
        _ => false,
    }
}

/// The columns a WHERE compares, and the normalised `WHERE …` (or
/// `(all rows)` without one).
fn filter_of(selection: Option<&Expr>) -> (Vec<String>, String) {
    let mut cols = Vec::new();
    if let Some(w) = selection {
        filter_columns(w, &mut cols, 0);
    }
    let text = selection.map_or_else(|| "(all rows)".into(), |w| format!("WHERE {w}"));
    (cols, text)
}

fn tail(q: &Query) -> String {
    let mut parts = Vec::new();
    if let Some(o) = &q.order_by {
        parts.push(o.to_string());
    }
    if let Some(l) = &q.limit_clause {
        parts.push(l.to_string().trim().to_owned());
    }
    parts.join(" ")
}

fn join(parts: &[String]) -> String {
    let s: Vec<&str> = parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    s.join(" ")
}

/// The column an `UPDATE … SET` names when the code sets columns dmqa
/// cannot read (Drizzle `set(changes)`): dropped from the shape, so the
/// pattern reads `Update by id`.
pub const ANY_COLUMNS: &str = "\"*\"";

/// Whether `sql` binds parameters (`?`, `?1`, `:name`, `$1`): a query the
/// code runs with values, never a step of a migration.
pub fn has_parameters(sql: &str) -> bool {
    let Ok(stmts) = Parser::parse_sql(&SQLiteDialect {}, sql) else {
        return false;
    };
    sqlparser::ast::visit_expressions(&stmts, |e| {
        if let Expr::Value(v) = e
            && let Value::Placeholder(_) = &v.value
        {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })
    .is_break()
}

/// For an INSERT of one row of values, the bound parameter (from 0) each
/// value is: `?` the one after the highest so far, `?N` / `$N` the N-th
/// (SQLite's numbering); `None` for anything else.
fn value_params(ins: &sqlparser::ast::Insert) -> Vec<Option<usize>> {
    let Some(SetExpr::Values(values)) = ins.source.as_ref().map(|q| q.body.as_ref()) else {
        return Vec::new();
    };
    let [row] = values.rows.as_slice() else {
        return Vec::new();
    };
    let mut highest = 0usize;
    row.iter()
        .map(|e| {
            let Expr::Value(v) = e else { return None };
            let Value::Placeholder(p) = &v.value else {
                return None;
            };
            let n = if p == "?" {
                highest + 1
            } else {
                p.strip_prefix(['?', '$'])?
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)?
            };
            highest = highest.max(n);
            Some(n - 1)
        })
        .collect()
}

/// Shapes of every statement in `sql`; nothing when it does not parse.
pub fn shapes(sql: &str) -> Vec<QueryShape> {
    let Ok(mut stmts) = Parser::parse_sql(&SQLiteDialect {}, sql) else {
        return Vec::new();
    };
    // Which bound value each INSERT column takes, read before the
    // parameters lose their numbers.
    let params: Vec<Vec<Option<usize>>> = stmts
        .iter()
        .map(|s| match s {
            Statement::Insert(ins) => value_params(ins),
            _ => Vec::new(),
        })
        .collect();
    // Every parameter style reads `?`, so the same query from D1 (`?1`) and
    // Postgres (`$1`) code is one pattern.
    let _ = visit_expressions_mut(&mut stmts, |e| {
        if let Expr::Value(v) = e
            && let Value::Placeholder(p) = &mut v.value
        {
            "?".clone_into(p);
        }
        ControlFlow::<()>::Continue(())
    });
    let mut out = Vec::new();
    for (i, stmt) in stmts.into_iter().enumerate() {
        match stmt {
            Statement::Query(q) => {
                let SetExpr::Select(sel) = q.body.as_ref() else {
                    continue;
                };
                let Some(table) = tables(&sel.from).into_iter().next() else {
                    continue;
                };
                let mut cols = Vec::new();
                if let Some(w) = &sel.selection {
                    filter_columns(w, &mut cols, 0);
                }
                let counting = sel
                    .projection
                    .iter()
                    .any(|p| p.to_string().to_ascii_uppercase().starts_with("COUNT("));
                let single = {
                    let t = tail(&q).to_ascii_uppercase();
                    let words: Vec<&str> = t.split_whitespace().collect();
                    words.windows(2).any(|w| w == ["LIMIT", "1"])
                };
                let verb = if counting {
                    QueryVerb::Count
                } else if !cols.is_empty()
                    && (single || sel.selection.as_ref().is_some_and(|w| pins(w, "id", 0)))
                {
                    QueryVerb::Get
                } else {
                    QueryVerb::List
                };
                let operation = Operation {
                    verb,
                    by: cols.clone(),
                    sets: Vec::new(),
                };
                let filter = sel
                    .selection
                    .as_ref()
                    .map(|w| format!("WHERE {w}"))
                    .unwrap_or_default();
                let query = join(&[filter, tail(&q)]);
                let order_columns: Vec<String> = match q.order_by.as_ref().map(|o| &o.kind) {
                    Some(sqlparser::ast::OrderByKind::Expressions(exprs)) => {
                        exprs.iter().filter_map(|e| col(&e.expr)).collect()
                    }
                    _ => Vec::new(),
                };
                out.push(QueryShape {
                    table,
                    operation,
                    query: if query.is_empty() {
                        "(all rows)".into()
                    } else {
                        query
                    },
                    select_star: sel
                        .projection
                        .iter()
                        .any(|p| matches!(p, SelectItem::Wildcard(_))),
                    range_columns: sel
                        .selection
                        .as_ref()
                        .map(|w| range_only(w, &cols))
                        .unwrap_or_default(),
                    filter_columns: cols,
                    order_columns,
                    written_columns: Vec::new(),
                    value_params: Vec::new(),
                    // A CTE is no table of the schema.
                    tables: tables(&sel.from)
                        .into_iter()
                        .filter(|t| {
                            !q.with.as_ref().is_some_and(|w| {
                                w.cte_tables
                                    .iter()
                                    .any(|c| c.alias.name.value.eq_ignore_ascii_case(t))
                            })
                        })
                        .collect(),
                    joins: join_pairs(&sel.from),
                    conflict_target: Vec::new(),
                });
            }
            Statement::Insert(ins) => {
                let TableObject::TableName(t) = &ins.table else {
                    continue;
                };
                let cols: Vec<String> = ins.columns.iter().map(name).collect();
                let upsert = ins.on.is_some() || ins.or.is_some();
                let conflict_target = match &ins.on {
                    Some(sqlparser::ast::OnInsert::OnConflict(sqlparser::ast::OnConflict {
                        conflict_target: Some(sqlparser::ast::ConflictTarget::Columns(c)),
                        ..
                    })) => c.iter().map(|i| i.value.clone()).collect(),
                    _ => Vec::new(),
                };
                out.push(QueryShape {
                    table: name(t),
                    operation: Operation {
                        verb: if upsert {
                            QueryVerb::Upsert
                        } else {
                            QueryVerb::Insert
                        },
                        by: Vec::new(),
                        sets: Vec::new(),
                    },
                    query: if cols.is_empty() {
                        "INSERT (all columns)".into()
                    } else {
                        format!("INSERT ({})", cols.join(", "))
                    },
                    select_star: false,
                    filter_columns: Vec::new(),
                    order_columns: Vec::new(),
                    range_columns: Vec::new(),
                    tables: vec![name(t)],
                    value_params: if cols.is_empty() {
                        Vec::new()
                    } else {
                        params.get(i).cloned().unwrap_or_default()
                    },
                    written_columns: cols,
                    joins: Vec::new(),
                    conflict_target,
                });
            }
            Statement::Update(up) => {
                let Some(table) = tables(std::slice::from_ref(&up.table)).into_iter().next() else {
                    continue;
                };
                let set: Vec<String> = up
                    .assignments
                    .iter()
                    .map(|a| a.target.to_string())
                    .filter(|c| c != ANY_COLUMNS)
                    .collect();
                let (cols, query) = filter_of(up.selection.as_ref());
                out.push(QueryShape {
                    tables: vec![table.clone()],
                    table,
                    operation: Operation {
                        verb: QueryVerb::Update,
                        by: cols.clone(),
                        sets: set.clone(),
                    },
                    query,
                    select_star: false,
                    filter_columns: cols,
                    order_columns: Vec::new(),
                    range_columns: Vec::new(),
                    written_columns: set,
                    value_params: Vec::new(),
                    joins: Vec::new(),
                    conflict_target: Vec::new(),
                });
            }
            Statement::Delete(del) => {
                let from = match &del.from {
                    FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f) => f,
                };
                let Some(table) = tables(from).into_iter().next() else {
                    continue;
                };
                let (cols, query) = filter_of(del.selection.as_ref());
                out.push(QueryShape {
                    tables: vec![table.clone()],
                    table,
                    written_columns: Vec::new(),
                    value_params: Vec::new(),
                    joins: Vec::new(),
                    conflict_target: Vec::new(),
                    operation: Operation {
                        verb: QueryVerb::Delete,
                        by: cols.clone(),
                        sets: Vec::new(),
                    },
                    query,
                    select_star: false,
                    filter_columns: cols,
                    order_columns: Vec::new(),
                    range_columns: Vec::new(),
                });
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sql: &str) -> (String, String, String) {
        let s = shapes(sql).into_iter().next().expect("a shape");
        (
            s.table,
            crate::render::words::operation(&s.operation),
            s.query,
        )
    }

    #[test]
    fn insert_values_name_their_bound_parameter() {
        let params = |sql: &str| shapes(sql).remove(0).value_params;
        assert_eq!(
            params("INSERT INTO t (a, b, c) VALUES (?, 1, ?)"),
            [Some(0), None, Some(1)]
        );
        // Numbered parameters keep their number; a bare `?` follows the
        // highest so far, as SQLite counts.
        assert_eq!(
            params("INSERT INTO t (a, b, c) VALUES (?2, ?1, ?)"),
            [Some(1), Some(0), Some(2)]
        );
        assert_eq!(params("INSERT INTO t (a) VALUES ($1)"), [Some(0)]);
        // Two rows, or no column list: not one row to align.
        assert!(params("INSERT INTO t (a) VALUES (?), (?)").is_empty());
        assert!(params("INSERT INTO t VALUES (?, ?)").is_empty());
    }

    #[test]
    fn parameters_mark_a_query() {
        assert!(has_parameters(
            "INSERT INTO s (id, user_id) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id"
        ));
        assert!(has_parameters("DELETE FROM s WHERE id = :id"));
        assert!(!has_parameters("INSERT INTO s (id) VALUES ('?')"));
        assert!(!has_parameters("CREATE TABLE s (id TEXT PRIMARY KEY)"));
    }

    #[test]
    fn shapes_selects_inserts_updates_and_deletes() {
        assert_eq!(
            one("SELECT * FROM apps WHERE org_id = ? ORDER BY created_at DESC LIMIT 20"),
            (
                "apps".into(),
                "List by org_id".into(),
                "WHERE org_id = ? ORDER BY created_at DESC LIMIT 20".into()
            )
        );
        assert_eq!(
            one("SELECT id FROM apps WHERE id = ?1"),
            ("apps".into(), "Get by id".into(), "WHERE id = ?".into())
        );
        // A range or an alternative on `id` reads many rows.
        assert_eq!(one("SELECT * FROM apps WHERE id < 4").1, "List by id");
        assert_eq!(
            one("SELECT * FROM apps WHERE id = ? OR owner = ?").1,
            "List by id, owner"
        );
        assert_eq!(
            one("SELECT * FROM apps WHERE (org = ? AND id = ?)").1,
            "Get by org, id"
        );
        assert_eq!(
            one("SELECT id FROM apps WHERE org_id = $1 AND name = $2 LIMIT 1").2,
            "WHERE org_id = ? AND name = ? LIMIT 1"
        );
        assert_eq!(
            one(
                "SELECT COUNT(*) FROM releases r JOIN apps a ON a.id = r.app_id WHERE a.org_id = ?"
            ),
            (
                "releases".into(),
                "Count by org_id".into(),
                "WHERE a.org_id = ?".into()
            )
        );
        // An implicit join's column pairs look nothing up; a quoted word
        // may be SQLite's string fallback.
        assert_eq!(
            one("SELECT * FROM Product, Supplier WHERE Product.Id = ?1 AND Supplier.Id = Product.SupplierId").1,
            "Get by Id"
        );
        assert_eq!(
            one("SELECT * FROM Product, Line WHERE Line.OrderId = ?1 AND Line.ProductId = Product.Id").1,
            "List by OrderId"
        );
        assert_eq!(
            one("SELECT COUNT(d.id) FROM orders o, details d WHERE d.order_id = o.id").1,
            "Count all"
        );
        assert_eq!(
            one("SELECT * FROM t WHERE status = \"active\"").1,
            "List by status"
        );
        assert_eq!(
            one("INSERT OR REPLACE INTO users (id, email) VALUES (?, ?)"),
            ("users".into(), "Upsert".into(), "INSERT (id, email)".into())
        );
        assert_eq!(
            one("UPDATE upload_jobs SET status = ?, error = ? WHERE id = ?"),
            (
                "upload_jobs".into(),
                "Update status, error by id".into(),
                "WHERE id = ?".into()
            )
        );
        assert_eq!(
            one("DELETE FROM sessions WHERE expires_at < ?"),
            (
                "sessions".into(),
                "Delete by expires_at".into(),
                "WHERE expires_at < ?".into()
            )
        );
        assert_eq!(
            one("SELECT * FROM users WHERE account_id = ? LIMIT 10").1,
            "List by account_id"
        );
        assert_eq!(
            one("SELECT * FROM users WHERE email = ? LIMIT 1").1,
            "Get by email"
        );
        assert!(shapes("SELEC nonsense").is_empty());
    }

    #[test]
    fn writes_of_columns_dmqa_cannot_name() {
        assert_eq!(
            one("INSERT INTO reviews VALUES (?, ?, ?)"),
            (
                "reviews".into(),
                "Insert".into(),
                "INSERT (all columns)".into()
            )
        );
        let set = format!("UPDATE reviews SET {ANY_COLUMNS} = ? WHERE id = ?");
        assert_eq!(
            one(&set),
            (
                "reviews".into(),
                "Update by id".into(),
                "WHERE id = ?".into()
            )
        );
        assert!(shapes(&set)[0].written_columns.is_empty());
    }
}
