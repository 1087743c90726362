//! Kysely query builders → the SQL they run.
//!
//! `db.selectFrom("users").select(["id", "name"]).where("email", "=", e)
//! .executeTakeFirst()` reads as `SELECT id, name FROM users WHERE email =
//! ?`. Kysely names tables and columns as strings, so the SQL needs no
//! schema. A chain counts when it runs (`execute…`, `stream`, `compile`)
//! or starts on a client built as `new Kysely({ dialect })`; the dialect
//! says which database: `D1Dialect({ database: env.DB })` that binding, a
//! Postgres or MySQL dialect a Hyperdrive-style connection. Conditions
//! written as callbacks are read in their common forms
//! (`eb("a", "=", x)`, `eb.and([…])`, `or([…])`); a condition that cannot
//! be read is left out, and a query none of whose conditions can be read is
//! no pattern (it does not read every row).

use super::{Client, Reader, args, chained, client_query, method_of, object_value};
use crate::model::{Engine, ResourceOp};
use crate::sources::sql::query::ANY_COLUMNS;
use crate::sources::typescript::parse::NodeKind;
use crate::sources::typescript::syntax::{children, location, string_value, text, unwrap_expr};
use tree_sitter::Node;

/// The methods a Kysely query starts with.
const STARTS: &[&str] = &[
    "selectFrom",
    "insertInto",
    "replaceInto",
    "updateTable",
    "deleteFrom",
];

/// The methods that run a built query.
const RUNS: &[&str] = &[
    "execute",
    "executeTakeFirst",
    "executeTakeFirstOrThrow",
    "stream",
    "compile",
];

/// The tables one query names: (name or alias code uses, table).
struct Names {
    names: Vec<(String, String)>,
    qualified: bool,
}

impl Names {
    /// `"pet as p"` → (`pet`, `p`).
    fn add(&mut self, spec: &str) -> String {
        let mut parts = spec.split_whitespace();
        let table = parts.next().unwrap_or_default().to_owned();
        let alias = match (parts.next(), parts.next()) {
            (Some(kw), Some(a)) if kw.eq_ignore_ascii_case("as") => a.to_owned(),
            _ => table.clone(),
        };
        self.names.push((alias, table.clone()));
        if table != self.names[0].1 {
            self.names.push((table.clone(), table.clone()));
        }
        table
    }

    /// `"p.owner_id"` → `pet.owner_id` when the query joins, `owner_id`
    /// otherwise; `None` for anything that is not a plain column name.
    fn column(&self, raw: &str) -> Option<String> {
        let raw = raw.trim();
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        };
        match raw.split_once('.') {
            Some((t, c)) if plain(t) && plain(c) => {
                let table = self
                    .names
                    .iter()
                    .find(|(n, _)| n == t)
                    .map_or(t, |(_, table)| table.as_str());
                Some(if self.qualified {
                    format!("{table}.{c}")
                } else {
                    c.to_owned()
                })
            }
            None if plain(raw) => Some(raw.to_owned()),
            _ => None,
        }
    }
}

impl<'a> Reader<'_, 'a> {
    /// A Kysely query starting at `call`, as the SQL it runs.
    pub(super) fn kysely(
        &self,
        fi: usize,
        call: Node<'a>,
        actor: Option<String>,
    ) -> Option<ResourceOp> {
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let (method, root) = method_of(call, src)?;
        if !STARTS.contains(&method) {
            return None;
        }
        let spec = string_value(*args(call).first()?, src)?;
        let (methods, tail) = chained(call, src);
        let client = self.kysely_client(fi, root);
        if client.is_none() && !methods.iter().any(|(m, _)| RUNS.contains(&m.as_str())) {
            return None;
        }
        let mut names = Names {
            names: Vec::new(),
            qualified: false,
        };
        let table = names.add(&spec);
        if table.is_empty() {
            return None;
        }
        // `innerJoin("pet as p", "p.owner_id", "person.id")`: every alias
        // first, then the conditions that use them.
        let joined: Vec<(&str, &[Node<'a>])> = methods
            .iter()
            .filter_map(|(m, a)| Some((m.strip_suffix("Join")?, a.as_slice())))
            .collect();
        for (_, a) in &joined {
            if let Some(spec) = a.first().and_then(|x| string_value(*x, src)) {
                names.qualified = true;
                names.add(&spec);
            }
        }
        let mut joins = String::new();
        for (kind, a) in &joined {
            let column = |i: usize| {
                a.get(i)
                    .and_then(|x| string_value(*x, src))
                    .and_then(|c| names.column(&c))
            };
            let (Some(spec), Some(l), Some(r)) = (
                a.first().and_then(|x| string_value(*x, src)),
                column(1),
                column(2),
            ) else {
                continue;
            };
            let other = spec.split_whitespace().next().unwrap_or_default();
            joins.push_str(&format!(
                " {} JOIN {other} ON {l} = {r}",
                kind.to_ascii_uppercase()
            ));
        }
        // Conditions dmqa cannot read at all: no pattern, rather than one
        // saying the query reads every row.
        let filter = self.kysely_filter(fi, &methods, &names);
        if filter.is_empty() && methods.iter().any(|(m, _)| m == "where") {
            return None;
        }
        let sql = match method {
            "selectFrom" => {
                let proj = self.kysely_projection(fi, &methods, &names);
                let mut sql = format!("SELECT {proj} FROM {table}{joins}{filter}");
                let order: Vec<String> = methods
                    .iter()
                    .filter(|(m, _)| m == "orderBy")
                    .flat_map(|(_, a)| kysely_order(a, src, &names))
                    .collect();
                if !order.is_empty() {
                    sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
                }
                if let Some((_, a)) = methods.iter().find(|(m, _)| m == "limit") {
                    let n = a.first().map(|n| unwrap_expr(*n));
                    let n = n
                        .filter(|n| n.kind_name() == "number")
                        .map_or("?", |n| text(n, src));
                    sql.push_str(&format!(" LIMIT {n}"));
                }
                sql
            }
            "insertInto" | "replaceInto" => {
                let cols = self.object_keys(fi, &methods, "values").unwrap_or_default();
                let marks = vec!["?"; cols.len().max(1)].join(", ");
                let cols = if cols.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", cols.join(", "))
                };
                let verb = if method == "replaceInto" {
                    "REPLACE"
                } else if methods.iter().any(|(m, _)| m == "orIgnore") {
                    "INSERT OR IGNORE"
                } else {
                    "INSERT"
                };
                let conflict = if methods.iter().any(|(m, _)| m == "onConflict") {
                    " ON CONFLICT DO NOTHING"
                } else {
                    ""
                };
                format!("{verb} INTO {table}{cols} VALUES ({marks}){conflict}")
            }
            "updateTable" => {
                let set = self
                    .object_keys(fi, &methods, "set")
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| vec![ANY_COLUMNS.to_owned()]);
                let set: Vec<String> = set.iter().map(|c| format!("{c} = ?")).collect();
                format!("UPDATE {table} SET {}{filter}", set.join(", "))
            }
            _ => format!("DELETE FROM {table}{filter}"),
        };
        Some(client_query(client, sql, actor, location(file.path, tail)))
    }

    /// The client a chain starts on, when it was built by `new
    /// Kysely({ dialect })` (directly, in a local or module const, or by a
    /// helper returning one).
    fn kysely_client(&self, fi: usize, root: Node<'a>) -> Option<Client> {
        self.client(fi, root, 0, &|fi, node| {
            let src = self.index.files.get(fi)?.src;
            if node.kind_name() != "new_expression"
                || node
                    .child_by_field_name("constructor")
                    .is_none_or(|c| text(c, src) != "Kysely")
            {
                return None;
            }
            let options = unwrap_expr(*args(node).first()?);
            let dialect = unwrap_expr(object_value(options, "dialect", src)?);
            if dialect.kind_name() != "new_expression" {
                return None;
            }
            let name = text(dialect.child_by_field_name("constructor")?, src);
            let engine = match name {
                "D1Dialect" => Engine::D1,
                "PostgresDialect" | "NeonDialect" | "PostgresJSDialect" | "NeonHTTPDialect" => {
                    Engine::Postgres
                }
                "MysqlDialect" | "PlanetScaleDialect" => Engine::MySql,
                _ => return None,
            };
            let binding = (engine == Engine::D1)
                .then(|| {
                    let o = unwrap_expr(*args(dialect).first()?);
                    self.env_binding(fi, object_value(o, "database", src)?)
                })
                .flatten();
            Some(Client {
                binding,
                engine: Some(engine),
            })
        })
    }

    /// ` WHERE …` from every `where` of the chain, joined with AND.
    fn kysely_filter(
        &self,
        fi: usize,
        methods: &[(String, Vec<Node<'a>>)],
        names: &Names,
    ) -> String {
        let Some(src) = self.index.files.get(fi).map(|f| f.src) else {
            return String::new();
        };
        let parts: Vec<String> = methods
            .iter()
            .filter(|(m, _)| m == "where")
            .filter_map(|(_, a)| match a.as_slice() {
                [col, op, value] => comparison(*col, *op, *value, src, names),
                [cb] => callback_condition(*cb, src, names),
                _ => None,
            })
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", parts.join(" AND "))
        }
    }

    /// `select(["id", "name as n"])`, `select("id")`: those columns;
    /// `selectAll()` or no `select`: `*`; a projection dmqa cannot read:
    /// `?`, which says only that some expression is selected.
    fn kysely_projection(
        &self,
        fi: usize,
        methods: &[(String, Vec<Node<'a>>)],
        names: &Names,
    ) -> String {
        let Some(src) = self.index.files.get(fi).map(|f| f.src) else {
            return "*".into();
        };
        let mut cols: Vec<String> = Vec::new();
        let mut unread = false;
        for (m, a) in methods {
            match m.as_str() {
                "selectAll" => return "*".into(),
                "select" => {
                    let items = match a.first().map(|x| unwrap_expr(*x)) {
                        Some(arr) if arr.kind_name() == "array" => children(arr),
                        Some(one) => vec![one],
                        None => Vec::new(),
                    };
                    for item in items {
                        let col = string_value(item, src).and_then(|s| {
                            let name = s.split_whitespace().next()?.to_owned();
                            names.column(&name)
                        });
                        match col {
                            Some(c) => cols.push(c),
                            None => unread = true,
                        }
                    }
                }
                _ => {}
            }
        }
        if unread {
            cols.push("?".into());
        }
        if cols.is_empty() {
            "*".into()
        } else {
            cols.join(", ")
        }
    }

    /// The keys of the object passed to a chained `method` (`values({ a,
    /// b })`, `set({ status })`), or `None` when it is not one dmqa can
    /// read whole.
    fn object_keys(
        &self,
        fi: usize,
        methods: &[(String, Vec<Node<'a>>)],
        method: &str,
    ) -> Option<Vec<String>> {
        let (_, a) = methods.iter().find(|(m, _)| m == method)?;
        match self.row_keys(fi, *a.first()?)? {
            (keys, false) => Some(keys),
            (_, true) => None,
        }
    }
}

/// `("email", "=", e)` → `email = ?`.
fn comparison(
    col: Node<'_>,
    op: Node<'_>,
    value: Node<'_>,
    src: &str,
    names: &Names,
) -> Option<String> {
    let col = names.column(&string_value(col, src)?)?;
    let op = string_value(op, src)?.to_ascii_lowercase();
    let null = unwrap_expr(value).kind_name() == "null";
    Some(match op.as_str() {
        "=" | "==" | "<>" | "!=" | "<" | ">" | "<=" | ">=" => {
            let op = if op == "==" {
                "="
            } else if op == "!=" {
                "<>"
            } else {
                op.as_str()
            };
            format!("{col} {op} ?")
        }
        "in" => format!("{col} IN (?)"),
        "not in" => format!("{col} NOT IN (?)"),
        "like" | "ilike" => format!("{col} LIKE ?"),
        "not like" | "not ilike" => format!("{col} NOT LIKE ?"),
        "is" if null => format!("{col} IS NULL"),
        "is not" if null => format!("{col} IS NOT NULL"),
        _ => return None,
    })
}

/// `(eb) => eb("a", "=", x)`, `eb.and([…])`, `({ eb, or }) => or([…])`:
/// the condition; `None` for any other shape.
fn callback_condition(cb: Node<'_>, src: &str, names: &Names) -> Option<String> {
    let cb = unwrap_expr(cb);
    if !matches!(cb.kind_name(), "arrow_function" | "function_expression") {
        return None;
    }
    let body = cb.child_by_field_name("body")?;
    let body = if body.kind_name() == "statement_block" {
        crate::sources::typescript::bindings::returns(cb, None)
            .into_iter()
            .next()?
    } else {
        body
    };
    expression_condition(body, src, names, 0)
}

fn expression_condition(node: Node<'_>, src: &str, names: &Names, depth: u32) -> Option<String> {
    if depth > 16 {
        return None;
    }
    let node = unwrap_expr(node);
    if node.kind_name() != "call_expression" {
        return None;
    }
    let f = text(node.child_by_field_name("function")?, src);
    let name = f.rsplit('.').next().unwrap_or(f);
    let a = args(node);
    match (name, a.as_slice()) {
        ("and" | "or", [list]) if unwrap_expr(*list).kind_name() == "array" => {
            let parts: Vec<String> = children(unwrap_expr(*list))
                .into_iter()
                .map(|x| expression_condition(x, src, names, depth + 1))
                .collect::<Option<_>>()?;
            match parts.len() {
                0 => None,
                1 => parts.into_iter().next(),
                _ if name == "and" => Some(parts.join(" AND ")),
                _ => Some(format!("({})", parts.join(" OR "))),
            }
        }
        (_, [col, op, value]) if matches!(name, "eb" | "cmpr") || f == name => {
            comparison(*col, *op, *value, src, names)
        }
        _ => None,
    }
}

/// `orderBy("created_at", "desc")`, `orderBy("created_at desc")`,
/// `orderBy(["a", "b desc"])` → `created_at DESC`.
fn kysely_order(a: &[Node<'_>], src: &str, names: &Names) -> Vec<String> {
    let dir = |d: &str| {
        if d.eq_ignore_ascii_case("desc") {
            " DESC"
        } else {
            ""
        }
    };
    let one = |s: &str, second: Option<String>| -> Option<String> {
        let mut parts = s.split_whitespace();
        let col = names.column(parts.next()?)?;
        let d = parts
            .next()
            .map(str::to_owned)
            .or(second)
            .unwrap_or_default();
        Some(format!("{col}{}", dir(&d)))
    };
    match a {
        [arr] if unwrap_expr(*arr).kind_name() == "array" => children(unwrap_expr(*arr))
            .into_iter()
            .filter_map(|x| one(&string_value(x, src)?, None))
            .collect(),
        [col, rest @ ..] => string_value(*col, src)
            .and_then(|c| one(&c, rest.first().and_then(|d| string_value(*d, src))))
            .into_iter()
            .collect(),
        [] => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BindingKind;

    /// (kind, binding, engine, SQL) of every Kysely query in `src`.
    fn queries(src: &str) -> Vec<(BindingKind, String, Option<Engine>, String)> {
        super::super::read_calls(src, |r, n| r.kysely(0, n, None))
            .into_iter()
            .map(|op| (op.kind, op.binding, op.engine, op.sql.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn reads_chains_that_run_on_any_client() {
        let got = queries(
            r#"
async function f(db: Db, id: number) {
  await db.selectFrom("entries as e")
    .leftJoin("authors as a", "a.id", "e.author_id")
    .select(["e.id", "a.name as author"])
    .where("e.author_id", "=", id)
    .where("e.deleted_at", "is", null)
    .orderBy("e.created_at desc")
    .limit(10)
    .execute();
  await db.insertInto("authors").values([{ email, name: "x" }]).orIgnore().execute();
  await db.updateTable("authors").set(changes).where("id", "in", ids).execute();
  await db.deleteFrom("authors").where((eb) => eb.and([eb("id", "=", id), eb("email", "!=", "")])).execute();
  await db.selectFrom("authors").select((eb) => eb.fn.countAll().as("n")).where("id", ">", 1).where(complex).executeTakeFirst();
  await db.selectFrom("authors").selectAll().where(complex).execute();
  cache.deleteFrom("authors");
}
"#,
        );
        let sql: Vec<&str> = got.iter().map(|(_, _, _, s)| s.as_str()).collect();
        assert_eq!(
            sql,
            [
                "SELECT entries.id, authors.name FROM entries LEFT JOIN authors ON authors.id = entries.author_id WHERE entries.author_id = ? AND entries.deleted_at IS NULL ORDER BY entries.created_at DESC LIMIT 10",
                "INSERT OR IGNORE INTO authors (email, name) VALUES (?, ?)",
                "UPDATE authors SET \"*\" = ? WHERE id IN (?)",
                "DELETE FROM authors WHERE id = ? AND email <> ?",
                "SELECT ? FROM authors WHERE id > ?",
            ]
        );
        assert!(
            got.iter()
                .all(|(k, b, e, _)| *k == BindingKind::D1 && b.is_empty() && e.is_none())
        );
    }

    #[test]
    fn the_dialect_names_the_database() {
        let got = queries(
            r#"
const pg = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
function d1(env: Env) {
  return new Kysely<DB>({ dialect: new D1Dialect({ database: env.DB }) });
}
async function f(env: Env) {
  const db = d1(env);
  const q = db.selectFrom("users").selectAll();
  await pg.deleteFrom("users").where("id", "=", 1);
  const other = new Kysely({ dialect: new SomeDialect() });
  other.selectFrom("users");
}
"#,
        );
        assert_eq!(
            got,
            [
                (
                    BindingKind::D1,
                    "DB".to_owned(),
                    None,
                    "SELECT * FROM users".to_owned()
                ),
                (
                    BindingKind::Hyperdrive,
                    String::new(),
                    Some(Engine::Postgres),
                    "DELETE FROM users WHERE id = ?".to_owned()
                ),
            ]
        );
    }
}
