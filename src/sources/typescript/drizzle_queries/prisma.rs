//! Prisma Client queries → the SQL they run.
//!
//! `prisma.user.findMany({ where: { orgId }, orderBy: { createdAt: "desc" },
//! take: 20 })` reads as `SELECT * FROM user WHERE orgId = ? ORDER BY
//! createdAt DESC LIMIT 20`. A call counts only on a client built as `new
//! PrismaClient(…)` (directly, in a local or module const, or by a helper
//! returning one) or a parameter typed `PrismaClient`; its `adapter` says
//! the database (`new PrismaD1(env.DB)` that D1 binding, `PrismaPg` /
//! `PrismaNeon` Postgres, `PrismaPlanetScale` MySQL). The model accessor
//! (`user`) names the table, matched case-insensitively (model `User`);
//! a model renamed with `@@map` is not followed. Filters on relations and
//! operators dmqa does not know are left out, and a call whose filter has
//! nothing else is no pattern.

use super::{Client, Reader, args, client_query, method_of, object_value};
use crate::model::{Engine, ResourceOp};
use crate::sources::typescript::bindings::local_value;
use crate::sources::typescript::parse::NodeKind;
use crate::sources::typescript::syntax::{children, location, string_value, text, unwrap_expr};
use tree_sitter::Node;

impl<'a> Reader<'_, 'a> {
    /// A Prisma Client model call (`db.user.findUnique({ … })`), as the
    /// SQL it runs.
    pub(super) fn prisma(
        &self,
        fi: usize,
        call: Node<'a>,
        actor: Option<String>,
    ) -> Option<ResourceOp> {
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let (method, obj) = method_of(call, src)?;
        if !is_model_method(method) {
            return None;
        }
        let member = unwrap_expr(obj);
        if member.kind_name() != "member_expression" {
            return None;
        }
        let table = text(member.child_by_field_name("property")?, src);
        let client = self.prisma_client(fi, member.child_by_field_name("object")?)?;
        let opts = args(call).first().map(|o| unwrap_expr(*o));
        let option = |key: &str| opts.and_then(|o| object_value(o, key, src));
        // A filter dmqa cannot read at all (`{ team: { slug } }`, a
        // relation) is no pattern: the call is not `… all rows`.
        let filter = match option("where") {
            Some(w) => format!(" WHERE {}", condition(w, src, 0)?),
            None => String::new(),
        };
        let sql = match method {
            "findMany" | "findFirst" | "findFirstOrThrow" | "findUnique" | "findUniqueOrThrow" => {
                let proj = option("select")
                    .map(|s| true_keys(s, src))
                    .filter(|c| !c.is_empty())
                    .map_or_else(|| "*".to_owned(), |c| c.join(", "));
                let mut sql = format!("SELECT {proj} FROM {table}{filter}");
                let order = option("orderBy").map(|o| order(o, src)).unwrap_or_default();
                if !order.is_empty() {
                    sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
                }
                if method.starts_with("findFirst") {
                    sql.push_str(" LIMIT 1");
                } else if let Some(n) = option("take") {
                    let n = unwrap_expr(n);
                    let n = if n.kind_name() == "number" {
                        text(n, src)
                    } else {
                        "?"
                    };
                    sql.push_str(&format!(" LIMIT {n}"));
                }
                sql
            }
            "count" => format!("SELECT count(*) FROM {table}{filter}"),
            "aggregate" | "groupBy" => format!("SELECT ? FROM {table}{filter}"),
            "create" | "createMany" | "createManyAndReturn" | "upsert" => {
                let data = if method == "upsert" {
                    option("create")
                } else {
                    option("data")
                };
                let cols = data.and_then(|d| data_keys(d, src)).unwrap_or_default();
                let marks = vec!["?"; cols.len().max(1)].join(", ");
                let list = if cols.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", cols.join(", "))
                };
                let conflict = if method == "upsert" {
                    " ON CONFLICT DO NOTHING"
                } else {
                    ""
                };
                format!("INSERT INTO {table}{list} VALUES ({marks}){conflict}")
            }
            "update" | "updateMany" => {
                let set = option("data")
                    .and_then(|d| data_keys(d, src))
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| vec![crate::sources::sql::query::ANY_COLUMNS.to_owned()]);
                let set: Vec<String> = set.iter().map(|c| format!("{c} = ?")).collect();
                format!("UPDATE {table} SET {}{filter}", set.join(", "))
            }
            _ => format!("DELETE FROM {table}{filter}"),
        };
        Some(client_query(
            Some(client),
            sql,
            actor,
            location(file.path, call),
        ))
    }

    /// The client an expression holds when it is a Prisma Client.
    fn prisma_client(&self, fi: usize, node: Node<'a>) -> Option<Client> {
        let src = self.index.files.get(fi)?.src;
        // `this.prisma.user`, `ctx.db.user`: not followed.
        let node = unwrap_expr(node);
        if node.kind_name() == "identifier" && typed_prisma(node, text(node, src), src) {
            return Some(Client {
                binding: None,
                engine: None,
            });
        }
        self.client(fi, node, 0, &|fi, node| {
            let src = self.index.files.get(fi)?.src;
            if node.kind_name() != "new_expression"
                || node
                    .child_by_field_name("constructor")
                    .is_none_or(|c| text(c, src) != "PrismaClient")
            {
                return None;
            }
            let adapter = args(node)
                .first()
                .and_then(|o| object_value(unwrap_expr(*o), "adapter", src))
                .map(unwrap_expr);
            let adapter = match adapter {
                Some(a)
                    if matches!(
                        a.kind_name(),
                        "identifier" | "shorthand_property_identifier"
                    ) =>
                {
                    local_value(a, text(a, src), src).or_else(|| {
                        let r = self.index.resolve(fi, text(a, src))?;
                        (r.file == fi).then_some(r.decl.value).flatten()
                    })
                }
                other => other,
            }
            .map(unwrap_expr)
            .filter(|a| a.kind_name() == "new_expression");
            let Some(adapter) = adapter else {
                return Some(Client {
                    binding: None,
                    engine: None,
                });
            };
            let name = text(adapter.child_by_field_name("constructor")?, src);
            Some(match name {
                "PrismaD1" | "PrismaD1HTTP" => Client {
                    binding: args(adapter).first().and_then(|a| self.env_binding(fi, *a)),
                    engine: Some(Engine::D1),
                },
                "PrismaPg" | "PrismaNeon" | "PrismaNeonHTTP" | "PrismaPostgresAdapter" => Client {
                    binding: None,
                    engine: Some(Engine::Postgres),
                },
                "PrismaPlanetScale" | "PrismaMariaDb" => Client {
                    binding: None,
                    engine: Some(Engine::MySql),
                },
                _ => Client {
                    binding: None,
                    engine: None,
                },
            })
        })
    }
}

/// The methods of a Prisma model delegate.
fn is_model_method(m: &str) -> bool {
    matches!(
        m,
        "findMany"
            | "findFirst"
            | "findFirstOrThrow"
            | "findUnique"
            | "findUniqueOrThrow"
            | "count"
            | "aggregate"
            | "groupBy"
            | "create"
            | "createMany"
            | "createManyAndReturn"
            | "upsert"
            | "update"
            | "updateMany"
            | "delete"
            | "deleteMany"
    )
}

/// Whether `name` at `at` is a parameter or local typed `PrismaClient`.
fn typed_prisma(at: Node<'_>, name: &str, src: &str) -> bool {
    let mut cur = at.parent();
    for _ in 0..64 {
        let Some(n) = cur else { return false };
        if crate::sources::typescript::syntax::is_function(n.kind_name())
            && let Some(params) = n.child_by_field_name("parameters")
        {
            return children(params).into_iter().any(|p| {
                p.child_by_field_name("pattern")
                    .is_some_and(|x| text(x, src) == name)
                    && p.child_by_field_name("type").is_some_and(|t| {
                        let t = text(t, src).trim_start_matches(':').trim();
                        t == "PrismaClient" || t.starts_with("PrismaClient<")
                    })
            });
        }
        cur = n.parent();
    }
    false
}

/// (key, value) of each property of an object literal; `None` for a
/// spread or a value that is not an object literal.
fn properties<'a>(object: Node<'a>, src: &str) -> Option<Vec<(String, Option<Node<'a>>)>> {
    let object = unwrap_expr(object);
    if object.kind_name() != "object" {
        return None;
    }
    let mut out = Vec::new();
    for p in children(object) {
        match p.kind_name() {
            "shorthand_property_identifier" => out.push((text(p, src).to_owned(), None)),
            "pair" => {
                let k = p.child_by_field_name("key")?;
                let k = string_value(k, src).unwrap_or_else(|| text(k, src).to_owned());
                out.push((k, p.child_by_field_name("value").map(unwrap_expr)));
            }
            "spread_element" => return None,
            _ => {}
        }
    }
    Some(out)
}

/// A Prisma `where` object as SQL: `{ email, age: { gte: 18 }, OR: […] }`
/// → `email = ? AND age >= ? AND (…)`. Parts dmqa cannot read (relation
/// filters, unknown operators) are left out.
fn condition(node: Node<'_>, src: &str, depth: u32) -> Option<String> {
    if depth > 16 {
        return None;
    }
    let mut parts = Vec::new();
    for (key, value) in properties(node, src)? {
        let part = match (key.as_str(), value) {
            ("AND" | "OR", Some(v)) => {
                let items: Vec<Node<'_>> = if v.kind_name() == "array" {
                    children(v)
                } else {
                    vec![v]
                };
                let inner: Vec<String> = items
                    .into_iter()
                    .filter_map(|i| condition(i, src, depth + 1))
                    .collect();
                match inner.len() {
                    0 => None,
                    1 => inner.into_iter().next(),
                    _ if key == "AND" => Some(inner.join(" AND ")),
                    _ => Some(format!("({})", inner.join(" OR "))),
                }
            }
            ("NOT", Some(v)) => condition(v, src, depth + 1).map(|c| format!("NOT ({c})")),
            (col, None) => Some(format!("{col} = ?")),
            (col, Some(v)) if v.kind_name() == "null" => Some(format!("{col} IS NULL")),
            // `{ email_orgId: { email, orgId } }`: a compound unique key.
            (col, Some(v))
                if v.kind_name() == "object" && col.contains('_') && !is_operators(v, src) =>
            {
                condition(v, src, depth + 1)
            }
            (col, Some(v)) if v.kind_name() == "object" => operators(col, v, src),
            (col, Some(_)) => Some(format!("{col} = ?")),
        };
        parts.extend(part);
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// The operator keys Prisma's scalar filters use.
const OPERATORS: &[&str] = &[
    "equals",
    "not",
    "in",
    "notIn",
    "lt",
    "lte",
    "gt",
    "gte",
    "contains",
    "startsWith",
    "endsWith",
    "mode",
];

fn is_operators(v: Node<'_>, src: &str) -> bool {
    properties(v, src)
        .is_some_and(|p| !p.is_empty() && p.iter().all(|(k, _)| OPERATORS.contains(&k.as_str())))
}

/// `{ gte: a, lt: b }` on `col` → `col >= ? AND col < ?`; `None` when a
/// key is not a scalar operator (a relation filter).
fn operators(col: &str, v: Node<'_>, src: &str) -> Option<String> {
    if !is_operators(v, src) {
        return None;
    }
    let parts: Vec<String> = properties(v, src)?
        .into_iter()
        .filter_map(|(op, value)| {
            let null = value.is_some_and(|v| v.kind_name() == "null");
            Some(match op.as_str() {
                "equals" if null => format!("{col} IS NULL"),
                "equals" => format!("{col} = ?"),
                "not" if null => format!("{col} IS NOT NULL"),
                "not" => format!("{col} <> ?"),
                "in" => format!("{col} IN (?)"),
                "notIn" => format!("{col} NOT IN (?)"),
                "lt" => format!("{col} < ?"),
                "lte" => format!("{col} <= ?"),
                "gt" => format!("{col} > ?"),
                "gte" => format!("{col} >= ?"),
                "contains" | "startsWith" | "endsWith" => format!("{col} LIKE ?"),
                _ => return None,
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// `orderBy: { createdAt: "desc" }` or an array of them →
/// `createdAt DESC`.
fn order(node: Node<'_>, src: &str) -> Vec<String> {
    let node = unwrap_expr(node);
    let items = if node.kind_name() == "array" {
        children(node)
    } else {
        vec![node]
    };
    items
        .into_iter()
        .filter_map(|i| properties(i, src))
        .flatten()
        .filter_map(|(col, dir)| {
            let dir = string_value(dir?, src)?;
            Some(if dir.eq_ignore_ascii_case("desc") {
                format!("{col} DESC")
            } else {
                col
            })
        })
        .collect()
}

/// `select: { id: true, name: true }` → `id, name`.
fn true_keys(node: Node<'_>, src: &str) -> Vec<String> {
    properties(node, src)
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, v)| v.is_some_and(|v| v.kind_name() == "true"))
        .map(|(k, _)| k)
        .collect()
}

/// The columns a `data` object writes (the first row of an array):
/// scalar keys only — an object value is a relation write (`author: {
/// connect: … }`) or an atomic update (`count: { increment: 1 }`, kept).
fn data_keys(node: Node<'_>, src: &str) -> Option<Vec<String>> {
    let mut node = unwrap_expr(node);
    if node.kind_name() == "array" {
        node = unwrap_expr(children(node).into_iter().next()?);
    }
    Some(
        properties(node, src)?
            .into_iter()
            .filter(|(_, v)| {
                v.is_none_or(|v| {
                    v.kind_name() != "object"
                        || properties(v, src).is_some_and(|p| {
                            p.iter().all(|(k, _)| {
                                matches!(
                                    k.as_str(),
                                    "set" | "increment" | "decrement" | "multiply" | "divide"
                                )
                            })
                        })
                })
            })
            .map(|(k, _)| k)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use crate::model::BindingKind;

    /// (kind, binding, SQL) of every Prisma query in `src`.
    fn queries(src: &str) -> Vec<(BindingKind, String, String)> {
        super::super::read_calls(src, |r, n| r.prisma(0, n, None))
            .into_iter()
            .map(|op| (op.kind, op.binding, op.sql.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn reads_model_calls_on_a_prisma_client() {
        let got = queries(
            r#"
const getDb = cache(async (env: Env) => {
  const adapter = new PrismaD1(env.DB);
  return new PrismaClient({ adapter });
});
async function f(env: Env, id: number) {
  const db = await getDb(env);
  await db.user.findMany({ where: { orgId: id, deletedAt: null, age: { gte: 18 } }, orderBy: [{ createdAt: "desc" }], take: 20 });
  await db.user.findUnique({ where: { email_orgId: { email, orgId } }, select: { id: true, name: true } });
  await db.post.create({ data: { title, author: { connect: { id } }, views: 0 } });
  await db.post.update({ where: { id }, data: { views: { increment: 1 } } });
  await db.post.deleteMany({ where: { OR: [{ authorId: id }, { title: { contains: "x" } }], author: { is: { banned: true } } } });
  await db.post.deleteMany({ where: { author: { is: { banned: true } } } });
  await db.user.count();
  const m = new Map();
  m.delete(id);
  other.user.findMany();
}
"#,
        );
        let sql: Vec<&str> = got.iter().map(|(_, _, s)| s.as_str()).collect();
        assert_eq!(
            sql,
            [
                "SELECT * FROM user WHERE orgId = ? AND deletedAt IS NULL AND age >= ? ORDER BY createdAt DESC LIMIT 20",
                "SELECT id, name FROM user WHERE email = ? AND orgId = ?",
                "INSERT INTO post (title, views) VALUES (?, ?)",
                "UPDATE post SET views = ? WHERE id = ?",
                "DELETE FROM post WHERE (authorId = ? OR title LIKE ?)",
                "SELECT count(*) FROM user",
            ]
        );
        assert!(
            got.iter()
                .all(|(k, b, _)| *k == BindingKind::D1 && b == "DB")
        );
    }

    #[test]
    fn a_typed_parameter_is_a_client_and_the_adapter_names_the_engine() {
        let got = queries(
            r#"
async function list(prisma: PrismaClient) { return prisma.team.findMany(); }
const pg = new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
async function g() { return pg.team.findFirst({ where: { slug } }); }
async function h(prisma: Other) { return prisma.team.findMany(); }
"#,
        );
        assert_eq!(
            got,
            [
                (
                    BindingKind::D1,
                    String::new(),
                    "SELECT * FROM team".to_owned()
                ),
                (
                    BindingKind::Hyperdrive,
                    String::new(),
                    "SELECT * FROM team WHERE slug = ? LIMIT 1".to_owned()
                ),
            ]
        );
    }
}
