//! workers-qb query builders → the SQL they run.
//!
//! `new D1QB(env.DB).fetchOne({ tableName: "users", where: { conditions:
//! ["email = ?1"], params: [e] } }).execute()` reads as `SELECT * FROM users
//! WHERE email = ?1 LIMIT 1`; `insert` / `update` / `delete` take the same
//! options object (`data` names the columns written). workers-qb writes
//! tables and conditions as strings, so the SQL needs no schema. A call
//! counts only on a client built as `new D1QB(…)` (the binding it is
//! handed) or `new PGQB(…)` (Postgres, through Hyperdrive): `DOQB` runs on
//! a Durable Object's own storage, read elsewhere. Options dmqa cannot read
//! (a table name or a condition that is not a literal) make no pattern.

use super::{Client, Reader, args, client_query, method_of, object_value};
use crate::model::{Engine, ResourceOp};
use crate::sources::sql::query::ANY_COLUMNS;
use crate::sources::typescript::fold::{Value, fold};
use crate::sources::typescript::parse::NodeKind;
use crate::sources::typescript::syntax::{children, location, text, unwrap_expr};
use tree_sitter::Node;

/// The client methods that run a query from an options object.
const METHODS: &[&str] = &["fetchOne", "fetchAll", "insert", "update", "delete"];

impl<'a> Reader<'_, 'a> {
    /// The query a workers-qb call runs (`qb.fetchAll({ tableName, … })`).
    pub(super) fn workers_qb(
        &self,
        fi: usize,
        call: Node<'a>,
        actor: Option<String>,
    ) -> Option<ResourceOp> {
        let file = self.index.files.get(fi)?;
        let src = file.src;
        // Also `await qb.fetchOne<User>(…)`, whose type arguments the
        // grammar reads around the `await`.
        let (method, root) = method_of(call, src)?;
        if !METHODS.contains(&method) {
            return None;
        }
        let client = self.qb_client(fi, root)?;
        let options = unwrap_expr(*args(call).first()?);
        let string = |key: &str| -> Option<String> {
            match fold(
                self.index,
                fi,
                unwrap_expr(object_value(options, key, src)?),
            )? {
                Value::Str(s) => Some(s),
                _ => None,
            }
        };
        let table = string("tableName").filter(|t| is_name(t))?;
        // ` WHERE …`: every condition, joined with AND; none dmqa can read
        // is no pattern rather than one reading every row.
        let filter = match object_value(options, "where", src) {
            None => String::new(),
            Some(w) => {
                let w = unwrap_expr(w);
                let conditions = object_value(w, "conditions", src).unwrap_or(w);
                let parts = self.strings(fi, conditions)?;
                format!(" WHERE {}", parts.join(" AND "))
            }
        };
        let sql = match method {
            "fetchOne" | "fetchAll" => {
                let fields = object_value(options, "fields", src)
                    .and_then(|n| self.strings(fi, n))
                    .map_or_else(|| "*".to_owned(), |f| f.join(", "));
                let mut sql = format!("SELECT {fields} FROM {table}{filter}");
                if let Some(order) = string("orderBy") {
                    sql.push_str(&format!(" ORDER BY {order}"));
                }
                if method == "fetchOne" {
                    sql.push_str(" LIMIT 1");
                } else if object_value(options, "limit", src).is_some() {
                    sql.push_str(" LIMIT ?");
                }
                sql
            }
            "insert" => {
                let cols = self.data_keys(fi, options).unwrap_or_default();
                let marks = vec!["?"; cols.len().max(1)].join(", ");
                let cols = if cols.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", cols.join(", "))
                };
                format!("INSERT INTO {table}{cols} VALUES ({marks})")
            }
            "update" => {
                let set = self
                    .data_keys(fi, options)
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| vec![ANY_COLUMNS.to_owned()]);
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

    /// A string, or an array of strings, each folded; `None` when one is
    /// not a string.
    fn strings(&self, fi: usize, node: Node<'a>) -> Option<Vec<String>> {
        let node = unwrap_expr(node);
        let items = if node.kind_name() == "array" {
            children(node)
                .into_iter()
                .filter(|c| c.kind_name() != "comment")
                .collect()
        } else {
            vec![node]
        };
        items
            .into_iter()
            .map(|n| match fold(self.index, fi, unwrap_expr(n))? {
                Value::Str(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    /// The keys of `data` (an object, or the first of an array of them).
    fn data_keys(&self, fi: usize, options: Node<'a>) -> Option<Vec<String>> {
        let src = self.index.files.get(fi)?.src;
        let mut data = unwrap_expr(object_value(options, "data", src)?);
        if data.kind_name() == "array" {
            data = unwrap_expr(*children(data).first()?);
        }
        if data.kind_name() != "object" {
            return None;
        }
        children(data)
            .into_iter()
            .map(|p| match p.kind_name() {
                "shorthand_property_identifier" => Some(text(p, src).to_owned()),
                "pair" => {
                    let k = p.child_by_field_name("key")?;
                    Some(
                        crate::sources::typescript::syntax::string_value(k, src)
                            .unwrap_or_else(|| text(k, src).to_owned()),
                    )
                }
                _ => None,
            })
            .collect()
    }

    /// The client a call is made on, when it was built by `new D1QB(…)`
    /// or `new PGQB(…)` (directly, in a local or module const, or by a
    /// helper returning one).
    fn qb_client(&self, fi: usize, root: Node<'a>) -> Option<Client> {
        self.client(fi, root, 0, &|fi, node| {
            let src = self.index.files.get(fi)?.src;
            if node.kind_name() != "new_expression" {
                return None;
            }
            match text(node.child_by_field_name("constructor")?, src) {
                "D1QB" => Some(Client {
                    binding: args(node).first().and_then(|a| self.env_binding(fi, *a)),
                    engine: Some(Engine::D1),
                }),
                "PGQB" => Some(Client {
                    binding: None,
                    engine: Some(Engine::Postgres),
                }),
                _ => None,
            }
        })
    }
}

/// A plain table name (`users`, `app.users`): nothing else is read as one.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::super::read_calls;

    fn sql_of(src: &str) -> Vec<String> {
        read_calls(src, |r, c| r.workers_qb(0, c, None))
            .into_iter()
            .filter_map(|o| o.sql)
            .collect()
    }

    #[test]
    fn reads_the_options_object_of_each_call() {
        let src = r#"
import { D1QB } from "workers-qb";
export async function handle(env: Env, email: string) {
  const qb = new D1QB(env.DB);
  await qb.fetchOne<User>({ tableName: "users", fields: ["id", "name"], where: { conditions: ["email = ?1", "active = 1"], params: [email] } }).execute();
  await qb.fetchAll({ tableName: "posts", orderBy: "created_at DESC", limit: 10 }).execute();
  await qb.insert({ tableName: "users", data: { email, name: "x" }, returning: "*" }).execute();
  await qb.update({ tableName: "users", data: { name: "y" }, where: { conditions: "id = ?1", params: [1] } }).execute();
  await qb.delete({ tableName: "sessions", where: { conditions: "expires_at < ?1", params: [0] } }).execute();
}
"#;
        assert_eq!(
            sql_of(src),
            [
                "SELECT id, name FROM users WHERE email = ?1 AND active = 1 LIMIT 1",
                "SELECT * FROM posts ORDER BY created_at DESC LIMIT ?",
                "INSERT INTO users (email, name) VALUES (?, ?)",
                "UPDATE users SET name = ? WHERE id = ?1",
                "DELETE FROM sessions WHERE expires_at < ?1",
            ]
        );
    }

    #[test]
    fn other_clients_and_unread_options_make_no_pattern() {
        let src = r#"
class Store { fetchAll(o: unknown) { return o; } }
export async function handle(env: Env, table: string, cond: string) {
  new Store().fetchAll({ tableName: "users" });
  const qb = new D1QB(env.DB);
  await qb.fetchAll({ tableName: table }).execute();
  await qb.fetchAll({ tableName: "users", where: { conditions: [cond], params: [] } }).execute();
}
"#;
        assert!(sql_of(src).is_empty(), "{:?}", sql_of(src));
    }
}
