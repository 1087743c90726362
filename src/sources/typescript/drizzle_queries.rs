//! Drizzle query builders → the SQL they run, as query operations.
//!
//! `db.select().from(users).where(eq(users.orgId, id)).orderBy(desc(users.createdAt)).limit(20)`
//! reads as `SELECT * FROM users WHERE org_id = ? ORDER BY created_at DESC
//! LIMIT 20`, which is then shaped like any SQL the code runs. A chain
//! counts only when its table argument resolves to a Drizzle table (so
//! `map.delete(key)` is nothing), and column keys become SQL names through
//! the schema. Also `insert(t).values({…})` (with `onConflictDo…` an
//! upsert), `update(t).set({…}).where(…)`, `delete(t).where(…)`, joins, and
//! the relational API `db.query.users.findMany({ where, orderBy, limit })`.
//! Kysely and Prisma Client queries are read the same way (see their
//! modules).

use super::bindings::{local_value, returns};
use super::callgraph::CallGraph;
use super::drizzle::{TableRef, binding_name};
use super::index::{CodeIndex, DeclKind};
use super::syntax::{children, location, text, unwrap_expr};
use crate::model::{BindingKind, OpKind, OrmTarget, ResourceOp};
use crate::sources::sql::query::ANY_COLUMNS;
use crate::sources::typescript::parse::NodeKind;
use std::collections::HashMap;
use tree_sitter::Node;

mod kysely;
mod prisma;
mod workers_qb;

/// Tables by (file, declarator node id) of their `const`.
pub type Tables = HashMap<(usize, usize), TableRef>;

struct Reader<'i, 'a> {
    index: &'i CodeIndex<'a>,
    tables: &'i Tables,
}

/// One query's tables: the names code uses for them → the table.
struct Scope<'t> {
    names: Vec<(String, &'t TableRef)>,
    qualified: bool,
}

impl Scope<'_> {
    fn main(&self) -> Option<&TableRef> {
        self.names.first().map(|(_, t)| *t)
    }
}

/// Every Drizzle query-builder chain in the index, as operations.
pub fn extract(index: &CodeIndex<'_>, tables: &Tables, graph: &CallGraph) -> Vec<ResourceOp> {
    let reader = Reader { index, tables };
    let mut out = Vec::new();
    for (fi, file) in index.files.iter().enumerate() {
        for call in &file.calls {
            let op = reader
                .query(fi, call.node, call.enclosing.clone())
                .or_else(|| reader.raw(fi, call.node, call.enclosing.clone()))
                .or_else(|| reader.postgres(fi, call.node, call.enclosing.clone()))
                .or_else(|| reader.kysely(fi, call.node, call.enclosing.clone()))
                .or_else(|| reader.workers_qb(fi, call.node, call.enclosing.clone()))
                .or_else(|| reader.prisma(fi, call.node, call.enclosing.clone()));
            if let Some(mut op) = op {
                graph.place(index, &mut op);
                out.push(op);
            }
        }
    }
    out
}

/// `(method, arguments)` of each call chained onto `call`, in order.
fn chained<'a>(call: Node<'a>, src: &str) -> (Vec<(String, Vec<Node<'a>>)>, Node<'a>) {
    let mut methods = Vec::new();
    let mut outer = call;
    for _ in 0..32 {
        let Some(m) = outer
            .parent()
            .filter(|p| p.kind_name() == "member_expression")
        else {
            break;
        };
        let Some(c) = m.parent().filter(|p| {
            p.kind_name() == "call_expression"
                && p.child_by_field_name("function")
                    .is_some_and(|f| f.id() == m.id())
        }) else {
            break;
        };
        let name = m
            .child_by_field_name("property")
            .map(|p| text(p, src).to_owned())
            .unwrap_or_default();
        methods.push((name, args(c)));
        outer = c;
    }
    (methods, outer)
}

fn args(call: Node<'_>) -> Vec<Node<'_>> {
    call.child_by_field_name("arguments")
        .map(|a| {
            children(a)
                .into_iter()
                .filter(|n| n.kind_name() != "comment")
                .collect()
        })
        .unwrap_or_default()
}

/// The method a call's callee ends in, and the object it is called on.
fn method_of<'a>(call: Node<'a>, src: &'a str) -> Option<(&'a str, Node<'a>)> {
    let f = super::syntax::callee(call.child_by_field_name("function")?);
    if f.kind_name() != "member_expression" {
        return None;
    }
    Some((
        text(f.child_by_field_name("property")?, src),
        f.child_by_field_name("object")?,
    ))
}

impl<'i, 'a> Reader<'i, 'a> {
    /// The Drizzle table an expression (`users`) names.
    fn table(&self, fi: usize, node: Node<'a>) -> Option<&'i TableRef> {
        let file = self.index.files.get(fi)?;
        let node = unwrap_expr(node);
        let r = match node.kind_name() {
            "identifier" => self.index.resolve(fi, text(node, file.src))?,
            // `schema.users` through `import * as schema from "./schema"`.
            "member_expression" => {
                let ns = text(node.child_by_field_name("object")?, file.src);
                let name = text(node.child_by_field_name("property")?, file.src);
                let module = self.index.namespace_target(fi, ns)?;
                self.index.export_of(module, name, 0)?
            }
            _ => return None,
        };
        self.tables.get(&(r.file, r.decl.node.id()))
    }

    /// A table by the name its schema exports (`db.query.users`).
    fn table_named(&self, fi: usize, name: &str) -> Option<&'i TableRef> {
        if let Some(r) = self.index.resolve(fi, name)
            && let Some(t) = self.tables.get(&(r.file, r.decl.node.id()))
        {
            return Some(t);
        }
        self.index.files.iter().enumerate().find_map(|(i, f)| {
            let d = f.decls.get(name).filter(|d| d.kind == DeclKind::Variable)?;
            self.tables.get(&(i, d.node.id()))
        })
    }

    fn query(&self, fi: usize, call: Node<'a>, actor: Option<String>) -> Option<ResourceOp> {
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let (method, obj) = method_of(call, src)?;
        let a = args(call);
        let (sql, scope, root, tail) = match method {
            "from" => {
                // `db.select(proj).from(t)`
                let select = unwrap_expr(obj);
                let (m, root) = method_of(select, src)?;
                if !matches!(m, "select" | "selectDistinct") {
                    return None;
                }
                let t = self.table(fi, *a.first()?)?;
                let mut scope = Scope {
                    names: vec![(text(unwrap_expr(a[0]), src).to_owned(), t)],
                    qualified: false,
                };
                let (methods, tail) = chained(call, src);
                for (m, margs) in &methods {
                    if m.ends_with("Join")
                        && let Some(j) = margs.first().and_then(|x| self.table(fi, *x))
                    {
                        scope
                            .names
                            .push((text(unwrap_expr(margs[0]), src).to_owned(), j));
                        scope.qualified = true;
                    }
                }
                let proj = self.projection(fi, args(select).first().copied(), &scope);
                let mut sql = format!("SELECT {proj} FROM {}", t.name);
                for (m, margs) in &methods {
                    match m.as_str() {
                        "innerJoin" | "leftJoin" | "rightJoin" | "fullJoin" => {
                            let (Some(j), Some(on)) = (
                                margs.first().and_then(|x| self.table(fi, *x)),
                                margs.get(1).and_then(|c| self.condition(fi, *c, &scope)),
                            ) else {
                                continue;
                            };
                            let kind = m.trim_end_matches("Join").to_ascii_uppercase();
                            sql.push_str(&format!(" {kind} JOIN {} ON {on}", j.name));
                        }
                        _ => {}
                    }
                }
                sql.push_str(&self.clauses(fi, &methods, &scope)?);
                (sql, scope, root, tail)
            }
            "insert" | "update" | "delete" => {
                let t = self.table(fi, *a.first()?)?;
                let scope = Scope {
                    names: vec![(text(unwrap_expr(a[0]), src).to_owned(), t)],
                    qualified: false,
                };
                let (methods, tail) = chained(call, src);
                let sql = match method {
                    "insert" => {
                        // `values(row)` of a value dmqa cannot see into
                        // writes the row's columns: no column list.
                        let cols = self
                            .argument_keys(fi, &methods, "values", t)
                            .unwrap_or_default();
                        let marks = vec!["?"; cols.len().max(1)].join(", ");
                        let cols = if cols.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", cols.join(", "))
                        };
                        let upsert = methods.iter().any(|(m, _)| m.starts_with("onConflictDo"));
                        let conflict = if upsert {
                            " ON CONFLICT DO NOTHING"
                        } else {
                            ""
                        };
                        format!("INSERT INTO {}{cols} VALUES ({marks}){conflict}", t.name)
                    }
                    "update" => {
                        // `set(changes)` of a value dmqa cannot see into:
                        // the columns are unknown, the filter is not.
                        let set = self
                            .argument_keys(fi, &methods, "set", t)
                            .unwrap_or_else(|| vec![ANY_COLUMNS.to_owned()]);
                        let set: Vec<String> = set.iter().map(|c| format!("{c} = ?")).collect();
                        if set.is_empty() {
                            return None;
                        }
                        format!(
                            "UPDATE {} SET {}{}",
                            t.name,
                            set.join(", "),
                            self.clauses(fi, &methods, &scope)?
                        )
                    }
                    _ => format!(
                        "DELETE FROM {}{}",
                        t.name,
                        self.clauses(fi, &methods, &scope)?
                    ),
                };
                (sql, scope, obj, tail)
            }
            "findMany" | "findFirst" => {
                // `db.query.users.findMany({ … })`
                let member = unwrap_expr(obj);
                if member.kind_name() != "member_expression" {
                    return None;
                }
                let name = text(member.child_by_field_name("property")?, src);
                let query = member.child_by_field_name("object")?;
                let root = (query.kind_name() == "member_expression"
                    && query
                        .child_by_field_name("property")
                        .is_some_and(|p| text(p, src) == "query"))
                .then(|| query.child_by_field_name("object"))??;
                let t = self.table_named(fi, name)?;
                let mut scope = Scope {
                    names: vec![(name.to_owned(), t)],
                    qualified: false,
                };
                let opts = a
                    .first()
                    .map(|o| unwrap_expr(*o))
                    .filter(|o| o.kind_name() == "object");
                let option = |key: &str| {
                    opts.and_then(|o| {
                        children(o).into_iter().find_map(|p| {
                            let k = p.child_by_field_name("key")?;
                            (text(k, src) == key).then(|| p.child_by_field_name("value"))?
                        })
                    })
                };
                let mut sql = format!("SELECT * FROM {}", t.name);
                if let Some(w) = option("where") {
                    // `where: (users, { eq }) => eq(users.id, id)` names the
                    // table by its first parameter.
                    if let Some(p) = callback_param(w, src) {
                        scope.names.push((p, t));
                    }
                    let c = self.condition(fi, w, &scope)?;
                    sql.push_str(&format!(" WHERE {c}"));
                }
                if let Some(o) = option("orderBy") {
                    if let Some(p) = callback_param(o, src) {
                        scope.names.push((p, t));
                    }
                    let order = self.order(fi, &[o], &scope);
                    if !order.is_empty() {
                        sql.push_str(&format!(" ORDER BY {order}"));
                    }
                }
                if method == "findFirst" {
                    sql.push_str(" LIMIT 1");
                } else if let Some(l) = option("limit") {
                    sql.push_str(&format!(" LIMIT {}", limit(l, src)));
                }
                (sql, scope, root, call)
            }
            _ => return None,
        };
        let table = scope.main()?;
        let binding = self
            .client_binding(fi, root, 0)
            .or_else(|| match &table.target {
                OrmTarget::Binding { binding, .. } => Some(binding.clone()),
                _ => None,
            });
        Some(query_op(
            Some(table),
            binding,
            sql,
            actor,
            location(file.path, tail),
        ))
    }

    /// `db.all(sql\`SELECT … FROM ${users} WHERE ${users.id} = ${id}\`)`
    /// (`run`, `get`, `values`, `execute` too): raw SQL through a Drizzle
    /// client, tables and columns substituted by name, values as `?`.
    fn raw(&self, fi: usize, call: Node<'a>, actor: Option<String>) -> Option<ResourceOp> {
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let (method, root) = method_of(call, src)?;
        if !matches!(method, "run" | "all" | "get" | "values" | "execute") {
            return None;
        }
        let tagged = unwrap_expr(*args(call).first()?);
        let tag = tagged.child_by_field_name("function").map(|f| text(f, src));
        let template = tagged.child_by_field_name("arguments")?;
        if tagged.kind_name() != "call_expression"
            || tag != Some("sql")
            || template.kind_name() != "template_string"
        {
            return None;
        }
        let mut sql = String::new();
        let mut table: Option<&TableRef> = None;
        for part in children(template) {
            match part.kind_name() {
                "template_substitution" => {
                    let e = part.named_child(0).map(unwrap_expr)?;
                    if let Some(t) = self.table(fi, e) {
                        table = table.or(Some(t));
                        sql.push_str(&t.name);
                    } else if let Some(c) = e
                        .child_by_field_name("object")
                        .filter(|_| e.kind_name() == "member_expression")
                        .and_then(|o| self.table(fi, o))
                        .and_then(|t| t.columns.get(text(e.child_by_field_name("property")?, src)))
                    {
                        sql.push_str(c);
                    } else {
                        sql.push('?');
                    }
                }
                _ => sql.push_str(text(part, src)),
            }
        }
        let verb = sql.split_whitespace().next()?.to_ascii_uppercase();
        if !matches!(
            verb.as_str(),
            "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH"
        ) {
            return None;
        }
        let binding = self
            .client_binding(fi, root, 0)
            .or_else(|| match table.map(|t| &t.target) {
                Some(OrmTarget::Binding { binding, .. }) => Some(binding.clone()),
                _ => None,
            });
        if binding.is_none() && table.is_none() {
            return None;
        }
        Some(query_op(
            table,
            binding,
            sql.trim().to_owned(),
            actor,
            location(file.path, call),
        ))
    }

    /// SQL through a Postgres client with no binding: postgres.js and
    /// Neon tagged templates (`` sql`SELECT … ${id}` `` with `const sql =
    /// postgres(url)` / `neon(url)`), and `client.query("…")` /
    /// `pool.query(…)` on `new Client()` / `new Pool()` (`pg`).
    /// Substitutions are parameters.
    fn postgres(&self, fi: usize, call: Node<'a>, actor: Option<String>) -> Option<ResourceOp> {
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let f = unwrap_expr(call.child_by_field_name("function")?);
        let arguments = call.child_by_field_name("arguments")?;
        let (client, sql_node) = if arguments.kind_name() == "template_string" {
            (f, arguments)
        } else if f.kind_name() == "member_expression"
            && f.child_by_field_name("property")
                .is_some_and(|p| matches!(text(p, src), "query" | "unsafe"))
        {
            (f.child_by_field_name("object")?, *args(call).first()?)
        } else {
            return None;
        };
        if !self.is_postgres_client(fi, client, 0) {
            return None;
        }
        let sql = super::bindings::sql_literal(self.index, fi, sql_node)?;
        let verb = sql.split_whitespace().next()?.to_ascii_uppercase();
        if !matches!(
            verb.as_str(),
            "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH"
        ) {
            return None;
        }
        Some(ResourceOp {
            actor,
            sql: Some(sql.trim().to_owned()),
            engine: Some(crate::model::Engine::Postgres),
            ..ResourceOp::new(
                BindingKind::Hyperdrive,
                String::new(),
                OpKind::Query,
                location(file.path, call),
            )
        })
    }

    /// Whether an expression is a Postgres client: a local or module const
    /// made by `postgres(…)`, `neon(…)`, `new Pool(…)` or `new Client(…)`.
    fn is_postgres_client(&self, fi: usize, node: Node<'a>, depth: u32) -> bool {
        let Some(src) = self.index.files.get(fi).map(|f| f.src) else {
            return false;
        };
        if depth > 4 {
            return false;
        }
        let node = unwrap_expr(node);
        match node.kind_name() {
            "identifier" => {
                let name = text(node, src);
                if let Some(v) = local_value(node, name, src) {
                    return self.is_postgres_client(fi, v, depth + 1);
                }
                self.index
                    .resolve(fi, name)
                    .and_then(|r| Some((r.file, r.decl.value?)))
                    .is_some_and(|(f, v)| self.is_postgres_client(f, v, depth + 1))
            }
            "await_expression" => node
                .named_child(0)
                .is_some_and(|v| self.is_postgres_client(fi, v, depth + 1)),
            "call_expression" => node
                .child_by_field_name("function")
                .is_some_and(|f| matches!(text(f, src), "postgres" | "neon")),
            "new_expression" => node.child_by_field_name("constructor").is_some_and(|c| {
                matches!(text(c, src), "Pool" | "Client" | "pg.Pool" | "pg.Client")
            }),
            _ => false,
        }
    }

    /// ` WHERE … ORDER BY … LIMIT …` from a chain's methods.
    /// `None` when a `where` has nothing dmqa can read: that query is no
    /// pattern, rather than one reading every row.
    fn clauses(
        &self,
        fi: usize,
        methods: &[(String, Vec<Node<'a>>)],
        scope: &Scope<'_>,
    ) -> Option<String> {
        let src = self.index.files.get(fi).map_or("", |f| f.src);
        let mut out = String::new();
        for (m, a) in methods {
            match m.as_str() {
                "where" => {
                    let c = self.condition(fi, *a.first()?, scope)?;
                    out.push_str(&format!(" WHERE {c}"));
                }
                "orderBy" => {
                    let order = self.order(fi, a, scope);
                    if !order.is_empty() {
                        out.push_str(&format!(" ORDER BY {order}"));
                    }
                }
                "limit" => {
                    if let Some(l) = a.first() {
                        out.push_str(&format!(" LIMIT {}", limit(*l, src)));
                    }
                }
                _ => {}
            }
        }
        Some(out)
    }

    /// `t.orgId` → `org_id` (or `apps.org_id` when the query joins).
    fn column(&self, fi: usize, node: Node<'a>, scope: &Scope<'_>) -> Option<String> {
        let src = self.index.files.get(fi)?.src;
        let node = unwrap_expr(node);
        if node.kind_name() != "member_expression" {
            return None;
        }
        let obj = text(unwrap_expr(node.child_by_field_name("object")?), src);
        let key = text(node.child_by_field_name("property")?, src);
        let t = scope
            .names
            .iter()
            .find(|(n, _)| n == obj)
            .map(|(_, t)| *t)
            .or_else(|| self.table(fi, unwrap_expr(node.child_by_field_name("object")?)))?;
        let col = t.columns.get(key).cloned()?;
        Some(if scope.qualified {
            format!("{}.{col}", t.name)
        } else {
            col
        })
    }

    /// A Drizzle filter (`and(eq(t.a, x), isNull(t.b))`) as SQL; parts it
    /// cannot read are left out.
    fn condition(&self, fi: usize, node: Node<'a>, scope: &Scope<'_>) -> Option<String> {
        self.condition_depth(fi, node, scope, 0)
    }

    fn condition_depth(
        &self,
        fi: usize,
        node: Node<'a>,
        scope: &Scope<'_>,
        depth: u32,
    ) -> Option<String> {
        if depth > 16 {
            return None;
        }
        let src = self.index.files.get(fi)?.src;
        let node = unwrap_expr(node);
        if matches!(node.kind_name(), "arrow_function" | "function_expression") {
            let body = node.child_by_field_name("body")?;
            let body = if body.kind_name() == "statement_block" {
                returns(node, None).into_iter().next()?
            } else {
                body
            };
            return self.condition_depth(fi, body, scope, depth + 1);
        }
        if node.kind_name() != "call_expression" {
            return None;
        }
        let f = text(node.child_by_field_name("function")?, src);
        let name = f.rsplit('.').next().unwrap_or(f);
        let a = args(node);
        let col = |i: usize| a.get(i).and_then(|x| self.column(fi, *x, scope));
        let value = |i: usize| {
            a.get(i)
                .and_then(|x| self.column(fi, *x, scope))
                .unwrap_or_else(|| "?".to_owned())
        };
        Some(match name {
            "and" | "or" => {
                // `and(...conditions)` of a local array: its elements.
                let items = a.iter().flat_map(|x| {
                    let spread = (x.kind_name() == "spread_element")
                        .then(|| x.named_child(0).map(unwrap_expr))
                        .flatten()
                        .filter(|v| v.kind_name() == "identifier")
                        .and_then(|v| local_value(v, text(v, src), src))
                        .map(unwrap_expr)
                        .filter(|v| v.kind_name() == "array");
                    match spread {
                        Some(arr) => children(arr),
                        None => vec![*x],
                    }
                });
                let parts: Vec<String> = items
                    .filter_map(|x| self.condition_depth(fi, x, scope, depth + 1))
                    .collect();
                match parts.len() {
                    0 => return None,
                    1 => parts.into_iter().next()?,
                    _ if name == "and" => parts.join(" AND "),
                    _ => format!("({})", parts.join(" OR ")),
                }
            }
            "not" => format!(
                "NOT ({})",
                self.condition_depth(fi, *a.first()?, scope, depth + 1)?
            ),
            "eq" | "ne" | "gt" | "gte" | "lt" | "lte" => {
                let op = match name {
                    "eq" => "=",
                    "ne" => "<>",
                    "gt" => ">",
                    "gte" => ">=",
                    "lt" => "<",
                    _ => "<=",
                };
                format!("{} {op} {}", col(0)?, value(1))
            }
            "like" | "ilike" => format!("{} LIKE ?", col(0)?),
            "notLike" | "notIlike" => format!("{} NOT LIKE ?", col(0)?),
            "isNull" => format!("{} IS NULL", col(0)?),
            "isNotNull" => format!("{} IS NOT NULL", col(0)?),
            "inArray" => format!("{} IN (?)", col(0)?),
            "notInArray" => format!("{} NOT IN (?)", col(0)?),
            "between" => format!("{} BETWEEN ? AND ?", col(0)?),
            _ => return None,
        })
    }

    /// `desc(t.createdAt), t.id` → `created_at DESC, id`; also an array or
    /// a callback returning one.
    fn order(&self, fi: usize, items: &[Node<'a>], scope: &Scope<'_>) -> String {
        let Some(src) = self.index.files.get(fi).map(|f| f.src) else {
            return String::new();
        };
        let mut out: Vec<String> = Vec::new();
        let mut stack: Vec<Node<'a>> = items.iter().rev().copied().collect();
        let mut budget = 64;
        while let Some(n) = stack.pop() {
            budget -= 1;
            if budget == 0 {
                break;
            }
            let n = unwrap_expr(n);
            match n.kind_name() {
                "array" => stack.extend(children(n).into_iter().rev()),
                "arrow_function" => {
                    if let Some(b) = n.child_by_field_name("body") {
                        stack.push(b);
                    }
                }
                "call_expression" => {
                    let f = n
                        .child_by_field_name("function")
                        .map_or("", |f| text(f, src));
                    let dir = match f.rsplit('.').next() {
                        Some("desc") => " DESC",
                        Some("asc") => "",
                        _ => continue,
                    };
                    if let Some(c) = args(n).first().and_then(|c| self.column(fi, *c, scope)) {
                        out.push(format!("{c}{dir}"));
                    }
                }
                _ => {
                    if let Some(c) = self.column(fi, n, scope) {
                        out.push(c);
                    }
                }
            }
        }
        out.join(", ")
    }

    /// `select({ id: t.id, n: count() })` → `id, count(*)`; `*` without one.
    fn projection(&self, fi: usize, proj: Option<Node<'a>>, scope: &Scope<'_>) -> String {
        let Some(src) = self.index.files.get(fi).map(|f| f.src) else {
            return "*".into();
        };
        let Some(obj) = proj.map(unwrap_expr).filter(|p| p.kind_name() == "object") else {
            return "*".into();
        };
        let cols: Vec<String> = children(obj)
            .into_iter()
            .filter_map(|p| {
                let v = unwrap_expr(p.child_by_field_name("value")?);
                if v.kind_name() == "call_expression" && text(v, src).starts_with("count") {
                    return Some("count(*)".to_owned());
                }
                self.column(fi, v, scope)
            })
            .collect();
        if cols.is_empty() {
            "*".into()
        } else {
            cols.join(", ")
        }
    }

    /// The columns the object passed to a chained `method` names:
    /// `.values({ orgId })`, `.set({ status })`.
    fn argument_keys(
        &self,
        fi: usize,
        methods: &[(String, Vec<Node<'a>>)],
        method: &str,
        t: &TableRef,
    ) -> Option<Vec<String>> {
        let (_, v) = methods.iter().find(|(m, _)| m == method)?;
        self.keys_of(fi, *v.first()?, t)
    }

    /// The SQL columns an object literal's keys name (`values({ orgId })`),
    /// or `None` when the value is not an object dmqa can read.
    fn keys_of(&self, fi: usize, node: Node<'a>, t: &TableRef) -> Option<Vec<String>> {
        let (keys, _) = self.row_keys(fi, node)?;
        Some(
            keys.iter()
                .filter_map(|k| t.columns.get(k).cloned())
                .collect(),
        )
    }

    /// The keys of a row object (`{ orgId, status: "a" }`; the first row
    /// of an array; the object a local holds), and whether it spreads
    /// another object in (`{ ...row, id }`: keys dmqa cannot list). `None`
    /// when the value is not an object literal.
    fn row_keys(&self, fi: usize, node: Node<'a>) -> Option<(Vec<String>, bool)> {
        let src = self.index.files.get(fi)?.src;
        let mut node = unwrap_expr(node);
        if node.kind_name() == "array" {
            node = unwrap_expr(children(node).into_iter().next()?);
        }
        if node.kind_name() == "identifier"
            && let Some(v) = local_value(node, text(node, src), src)
        {
            node = unwrap_expr(v);
        }
        if node.kind_name() != "object" {
            return None;
        }
        let mut keys = Vec::new();
        let mut spread = false;
        for p in children(node) {
            match p.kind_name() {
                "pair" => {
                    let Some(k) = p.child_by_field_name("key") else {
                        continue;
                    };
                    keys.push(
                        super::syntax::string_value(k, src)
                            .unwrap_or_else(|| text(k, src).to_owned()),
                    );
                }
                "shorthand_property_identifier" => keys.push(text(p, src).to_owned()),
                "spread_element" => spread = true,
                _ => {}
            }
        }
        Some((keys, spread))
    }

    /// The D1 binding a Drizzle client was built on: `drizzle(env.DB)`, a
    /// local or module const holding one, or a helper returning one.
    fn client_binding(&self, fi: usize, node: Node<'a>, depth: u32) -> Option<String> {
        self.client(fi, node, depth, &|fi, node| {
            let src = self.index.files.get(fi)?.src;
            if node.kind_name() != "call_expression"
                || node
                    .child_by_field_name("function")
                    .is_none_or(|f| text(unwrap_expr(f), src) != "drizzle")
            {
                return None;
            }
            Some(self.env_binding(fi, *args(node).first()?))
        })
        .flatten()
    }

    /// `env.DB`, or a local holding it: the binding's name.
    fn env_binding(&self, fi: usize, arg: Node<'a>) -> Option<String> {
        let src = self.index.files.get(fi)?.src;
        binding_name(arg, src).or_else(|| {
            let a = unwrap_expr(arg);
            (a.kind_name() == "identifier")
                .then(|| local_value(a, text(a, src), src))
                .flatten()
                .and_then(|v| binding_name(v, src))
        })
    }

    /// What `made` says of the client an expression holds, following
    /// locals, module consts, `await` and helpers returning one (at most
    /// four steps).
    fn client<T>(
        &self,
        fi: usize,
        node: Node<'a>,
        depth: u32,
        made: &dyn Fn(usize, Node<'a>) -> Option<T>,
    ) -> Option<T> {
        if depth > 4 {
            return None;
        }
        let src = self.index.files.get(fi)?.src;
        let mut node = unwrap_expr(node);
        if node.kind_name() == "await_expression" {
            node = unwrap_expr(node.named_child(0)?);
        }
        if let Some(found) = made(fi, node) {
            return Some(found);
        }
        match node.kind_name() {
            "identifier" => {
                let name = text(node, src);
                if let Some(v) = local_value(node, name, src) {
                    return self.client(fi, v, depth + 1, made);
                }
                let r = self.index.resolve(fi, name)?;
                self.client(r.file, r.decl.value?, depth + 1, made)
            }
            "call_expression" => {
                let f = unwrap_expr(node.child_by_field_name("function")?);
                if f.kind_name() != "identifier" {
                    return None;
                }
                let r = self.index.resolve(fi, text(f, src))?;
                returns(r.decl.node, r.decl.value)
                    .into_iter()
                    .find_map(|e| self.client(r.file, e, depth + 1, made))
            }
            _ => None,
        }
    }
}

/// The database an ORM client (Kysely, Prisma) reaches: its D1 binding
/// when the code names one, and the engine when its dialect or adapter
/// says.
struct Client {
    binding: Option<String>,
    engine: Option<crate::model::Engine>,
}

/// A query an ORM client runs: on D1 (its binding when known) unless the
/// client is a Postgres or MySQL one (reached through Hyperdrive).
fn client_query(
    client: Option<Client>,
    sql: String,
    actor: Option<String>,
    at: crate::model::Location,
) -> ResourceOp {
    use crate::model::Engine;
    let (kind, binding, engine) = match client {
        Some(Client {
            engine: Some(e @ (Engine::Postgres | Engine::MySql)),
            ..
        }) => (BindingKind::Hyperdrive, None, Some(e)),
        Some(Client { binding, .. }) => (BindingKind::D1, binding, None),
        None => (BindingKind::D1, None, None),
    };
    ResourceOp {
        actor,
        sql: Some(sql),
        engine,
        ..ResourceOp::new(kind, binding.unwrap_or_default(), OpKind::Query, at)
    }
}

/// The value of `key` in an object literal (a shorthand `{ key }` is the
/// identifier itself).
fn object_value<'a>(object: Node<'a>, key: &str, src: &str) -> Option<Node<'a>> {
    if object.kind_name() != "object" {
        return None;
    }
    children(object)
        .into_iter()
        .find_map(|p| match p.kind_name() {
            "shorthand_property_identifier" => (text(p, src) == key).then_some(p),
            "pair" => {
                let k = p.child_by_field_name("key")?;
                let k =
                    super::syntax::string_value(k, src).unwrap_or_else(|| text(k, src).to_owned());
                (k == key).then(|| p.child_by_field_name("value"))?
            }
            _ => None,
        })
}

/// The first parameter of a callback option (`(users, { eq }) => …`).
fn callback_param(node: Node<'_>, src: &str) -> Option<String> {
    let node = unwrap_expr(node);
    if !matches!(node.kind_name(), "arrow_function" | "function_expression") {
        return None;
    }
    let params = node
        .child_by_field_name("parameters")
        .or_else(|| node.child_by_field_name("parameter"))?;
    if params.kind_name() == "identifier" {
        return Some(text(params, src).to_owned());
    }
    let first = children(params).into_iter().next()?;
    let pat = first.child_by_field_name("pattern").unwrap_or(first);
    (pat.kind_name() == "identifier").then(|| text(pat, src).to_owned())
}

/// A `limit(n)` argument: the number, else `?`.
fn limit(node: Node<'_>, src: &str) -> String {
    let n = unwrap_expr(node);
    if n.kind_name() == "number" {
        text(n, src).to_owned()
    } else {
        "?".to_owned()
    }
}

/// The operation a Drizzle client's query is: on D1 unless its table is
/// Postgres / MySQL (reached through Hyperdrive). The tables it touches
/// (`key`) come from its SQL's shapes later, as for any SQL an operation
/// runs.
fn query_op(
    table: Option<&TableRef>,
    binding: Option<String>,
    sql: String,
    actor: Option<String>,
    at: crate::model::Location,
) -> ResourceOp {
    ResourceOp {
        actor,
        sql: Some(sql),
        table_location: table.map(|t| t.location.clone()),
        ..ResourceOp::new(
            if table.is_none_or(|t| t.dialect.is_sqlite()) {
                BindingKind::D1
            } else {
                BindingKind::Hyperdrive
            },
            binding.unwrap_or_default(),
            OpKind::Query,
            at,
        )
    }
}

/// Every operation `read` finds at a call of the one-file program `src`
/// (`q.ts`): what the Kysely and Prisma tests look at.
#[cfg(test)]
fn read_calls(
    src: &str,
    read: impl for<'i, 'a> Fn(&Reader<'i, 'a>, Node<'a>) -> Option<ResourceOp>,
) -> Vec<ResourceOp> {
    use super::{parse::parse_source, resolve::Resolver};
    let files = vec![parse_source("q.ts", src).unwrap()];
    let index = CodeIndex::new(&files, Resolver::new(["q.ts".to_owned()], Vec::new()));
    let tables = Tables::new();
    let reader = Reader {
        index: &index,
        tables: &tables,
    };
    index.files[0]
        .calls
        .iter()
        .filter_map(|c| read(&reader, c.node))
        .collect()
}
