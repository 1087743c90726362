//! Drizzle ORM schemas → tables, from the code index.
//!
//! Reads `sqliteTable` / `pgTable` / `mysqlTable` (also `pgSchema(…).table`
//! and `*TableCreator` helpers) in files that import a Drizzle core module,
//! with their column builders, modifiers, the third (extra config)
//! argument in its object and array forms, `pgEnum`s, `relations()`,
//! `drizzle.config.*` files and `drizzle(env.DB, { schema })` clients. SQL
//! types, defaults and index names follow what `drizzle-kit generate`
//! writes, so a schema and its migrations can be compared.

use super::index::{CodeIndex, FileIndex, Imported};
use super::syntax::{
    call_args, children, doc_comment, location, string_value, text, unwrap_expr, walk,
};
use crate::model::{
    Column, Diagnostic, DrizzleConfig, Engine, ForeignKey, Index, IndexColumn, IndexOrigin,
    Location, OrmTable, OrmTarget, RelationKind, Relationship, Table,
};
use crate::sources::typescript::parse::NodeKind;
use std::collections::{BTreeMap, HashMap};
use tree_sitter::Node;

mod columns;
mod config;
mod constraints;
mod details;

pub(crate) use config::*;
use details::*;

/// The Drizzle core modules and their dialects.
fn core_dialect(specifier: &str) -> Option<Engine> {
    match specifier {
        "drizzle-orm/sqlite-core" => Some(Engine::Sqlite),
        "drizzle-orm/pg-core" => Some(Engine::Postgres),
        "drizzle-orm/mysql-core" => Some(Engine::MySql),
        _ => None,
    }
}

/// What a local name in a schema file stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Core {
    /// A function of a core module (`sqliteTable`, `integer`, `index`, …).
    Function(Engine, String),
    /// `import * as s from "drizzle-orm/pg-core"`.
    Namespace(Engine),
}

/// The names a file imports from Drizzle core modules.
fn core_names(file: &FileIndex<'_>) -> HashMap<String, Core> {
    let mut res = HashMap::new();
    for imp in &file.imports {
        let Some(dialect) = core_dialect(&imp.specifier) else {
            continue;
        };
        let core = match &imp.imported {
            Imported::Named(n) => Core::Function(dialect, n.clone()),
            Imported::Namespace => Core::Namespace(dialect),
            Imported::Default => continue,
        };
        res.insert(imp.local.clone(), core);
    }
    res
}

/// Facts the readers of this module found.
#[derive(Default)]
pub struct DrizzleFacts {
    /// Tables, with where they belong.
    pub tables: Vec<OrmTable>,
    /// `relations()` as relationships (database left empty).
    pub relations: Vec<Relationship>,
    /// Each table by the (file, declarator node id) of its `const`, for
    /// readers of the queries built on it.
    pub by_decl: HashMap<(usize, usize), TableRef>,
}

/// What a query builder needs to know of a Drizzle table.
#[derive(Debug, Clone)]
pub struct TableRef {
    /// The SQL table name.
    pub name: String,
    /// Column keys (`createdAt`) → SQL names (`created_at`).
    pub columns: BTreeMap<String, String>,
    /// Where the table is declared (the key that finds its database).
    pub location: Location,
    /// Where code says it lives (a `drizzle(env.DB, { schema })` binding).
    pub target: OrmTarget,
    /// The core module's dialect.
    pub dialect: Engine,
}

/// A table found, with the key other code refers to it by.
struct Found {
    /// (file, declarator node id) of `const users = sqliteTable(…)`.
    key: Option<(usize, usize)>,
    dialect: Engine,
    table: Table,
    /// Column keys (`createdAt`) → SQL names (`created_at`).
    keys: BTreeMap<String, String>,
    /// Foreign keys still pointing at `(file, const, key)`.
    pending_refs: Vec<PendingRef>,
    file: usize,
}

struct PendingRef {
    columns: Vec<String>,
    /// (file, table const, key, whether the const is the extra-config
    /// callback's parameter: the table itself).
    target: Vec<(usize, String, String, bool)>,
    on_delete: Option<String>,
    on_update: Option<String>,
    location: Location,
}

/// How key names become column names when a builder has no name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Casing {
    /// The key as written.
    AsWritten,
    /// `createdAt` → `created_at`.
    Snake,
}

fn snake(s: &str) -> String {
    crate::sources::split_camel(s, '_')
}

struct Reader<'i, 'a> {
    index: &'i CodeIndex<'a>,
    casing: Casing,
    diags: &'i mut Vec<Diagnostic>,
}

/// Reads every Drizzle table and relation in the index.
pub fn extract(
    index: &CodeIndex<'_>,
    configs: &[DrizzleConfig],
    diags: &mut Vec<Diagnostic>,
) -> DrizzleFacts {
    // `casing: "snake_case"` in a drizzle.config or a `drizzle(…)` call
    // (`drizzle(env.DB, { casing })`, `drizzle({ client, casing })`).
    let client_casing = index.files.iter().enumerate().any(|(fi, file)| {
        file.calls.iter().any(|call| {
            call.callee == "drizzle"
                && call_args(call.node).into_iter().any(|a| {
                    let a = unwrap_expr(a);
                    a.kind_name() == "object"
                        && object_entries(index, fi, a, 0)
                            .into_iter()
                            .any(|(k, v, _, _)| {
                                k == "casing"
                                    && string_value(v, file.src).as_deref() == Some("snake_case")
                            })
                })
        })
    });
    let casing = if client_casing
        || configs
            .iter()
            .any(|c| c.casing.as_deref() == Some("snake_case"))
    {
        Casing::Snake
    } else {
        Casing::AsWritten
    };
    let mut reader = Reader {
        index,
        casing,
        diags,
    };
    let mut found: Vec<Found> = Vec::new();
    let mut relation_calls: Vec<(usize, Node<'_>)> = Vec::new();
    for (fi, file) in index.files.iter().enumerate() {
        let names = core_names(file);
        let imports_relations = file.imports.iter().any(|i| {
            i.specifier == "drizzle-orm" && i.imported == Imported::Named("relations".into())
        });
        if names.is_empty() && !imports_relations {
            continue;
        }
        for call in &file.calls {
            let Some(f) = call.node.child_by_field_name("function") else {
                continue;
            };
            if imports_relations && text(f, file.src) == "relations" {
                relation_calls.push((fi, call.node));
                continue;
            }
            if let Some((dialect, prefix)) = reader.table_function(fi, &names, f)
                && let Some(t) = reader.table(fi, &names, call.node, dialect, &prefix)
            {
                found.push(t);
            }
        }
    }
    resolve_references(index, &mut found);
    let by_key: HashMap<(usize, usize), usize> = found
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.key.map(|k| (k, i)))
        .collect();
    let mut facts = DrizzleFacts::default();
    for (fi, node) in relation_calls {
        reader.relations(fi, node, &found, &by_key, &mut facts.relations);
    }
    let targets = client_targets(index, configs);
    for f in found {
        let target = targets
            .get(&f.file)
            .cloned()
            .unwrap_or(OrmTarget::Unassigned);
        if let Some(key) = f.key {
            facts.by_decl.insert(
                key,
                TableRef {
                    name: f.table.name.clone(),
                    columns: f.keys.clone(),
                    location: f.table.location.clone(),
                    target: target.clone(),
                    dialect: f.dialect,
                },
            );
        }
        facts.tables.push(OrmTable {
            dialect: f.dialect,
            target,
            table: f.table,
        });
    }
    facts
}

/// The table (file, const key) a `users` or `users.id` expression names.
fn table_key(index: &CodeIndex<'_>, file: usize, name: &str) -> Option<(usize, usize)> {
    let r = index.resolve(file, name)?;
    Some((r.file, r.decl.node.id()))
}

fn resolve_references(index: &CodeIndex<'_>, found: &mut [Found]) {
    let lookup: HashMap<(usize, usize), (String, BTreeMap<String, String>)> = found
        .iter()
        .filter_map(|f| Some((f.key?, (f.table.name.clone(), f.keys.clone()))))
        .collect();
    for f in found.iter_mut() {
        for p in std::mem::take(&mut f.pending_refs) {
            let mut ref_table = None;
            let mut ref_columns = Vec::new();
            for (file, name, key, own) in &p.target {
                // `foreignColumns: [table.id]` names the callback parameter:
                // the table itself. A table dmqa cannot find is no target.
                let (tname, keys) = if *own {
                    (f.table.name.clone(), &f.keys)
                } else if let Some((t, k)) =
                    table_key(index, *file, name).and_then(|k| lookup.get(&k))
                {
                    (t.clone(), k)
                } else {
                    ref_table = None;
                    break;
                };
                ref_columns.push(keys.get(key).cloned().unwrap_or_else(|| key.clone()));
                ref_table = Some(tname);
            }
            if let Some(ref_table) = ref_table {
                f.table.foreign_keys.push(ForeignKey {
                    columns: p.columns,
                    ref_table,
                    ref_columns,
                    on_delete: p.on_delete,
                    on_update: p.on_update,
                    location: p.location,
                });
            }
        }
    }
}

/// `t.key` / `users.key` → (table const, key), also through the ordering
/// and operator-class calls drizzle allows on an index column
/// (`t.key.asc().nullsLast().op("text_ops")`).
fn member_ref(node: Node<'_>, src: &str) -> Option<(String, String)> {
    let mut node = unwrap_expr(node);
    for _ in 0..16 {
        match node.kind_name() {
            "call_expression" => {
                let f = node.child_by_field_name("function")?;
                if f.kind_name() != "member_expression" {
                    return None;
                }
                node = unwrap_expr(f.child_by_field_name("object")?);
            }
            "member_expression" => {
                let obj = unwrap_expr(node.child_by_field_name("object")?);
                let prop = node.child_by_field_name("property")?;
                if obj.kind_name() == "identifier" {
                    return Some((text(obj, src).to_owned(), text(prop, src).to_owned()));
                }
                node = obj;
            }
            _ => return None,
        }
    }
    None
}

fn is_desc(node: Node<'_>, src: &str) -> bool {
    let mut node = unwrap_expr(node);
    for _ in 0..16 {
        if node.kind_name() != "call_expression" {
            return false;
        }
        let Some(f) = node.child_by_field_name("function") else {
            return false;
        };
        if text(f, src).ends_with(".desc") {
            return true;
        }
        match f.child_by_field_name("object") {
            Some(o) => node = unwrap_expr(o),
            None => return false,
        }
    }
    false
}

/// The object a columns argument or extra-config function evaluates to:
/// an object literal, or an arrow function returning one (directly or
/// with `return`).
fn returned(node: Node<'_>) -> Option<Node<'_>> {
    returned_depth(node, 0)
}

fn returned_depth(node: Node<'_>, depth: u32) -> Option<Node<'_>> {
    if depth > 16 {
        return None;
    }
    let node = unwrap_expr(node);
    match node.kind_name() {
        "object" | "array" => Some(node),
        "arrow_function" | "function_expression" | "function" => {
            let body = node.child_by_field_name("body")?;
            if body.kind_name() == "statement_block" {
                let ret = children(body)
                    .into_iter()
                    .rev()
                    .find(|c| c.kind_name() == "return_statement")?;
                returned_depth(ret.named_child(0)?, depth + 1)
            } else {
                returned_depth(body, depth + 1)
            }
        }
        _ => None,
    }
}

/// Properties of an object literal as (key, value, pair node); spreads of
/// consts are expanded through the index.
fn object_entries<'a>(
    index: &CodeIndex<'a>,
    file: usize,
    obj: Node<'a>,
    depth: u32,
) -> Vec<(String, Node<'a>, Node<'a>, usize)> {
    let mut out = Vec::new();
    if depth > 8 {
        return out;
    }
    let Some(f) = index.files.get(file) else {
        return out;
    };
    for ch in children(obj) {
        match ch.kind_name() {
            "pair" => {
                let (Some(k), Some(v)) = (
                    ch.child_by_field_name("key"),
                    ch.child_by_field_name("value"),
                ) else {
                    continue;
                };
                let key = string_value(k, f.src).unwrap_or_else(|| text(k, f.src).to_owned());
                out.push((key, v, ch, file));
            }
            "spread_element" => {
                let Some(e) = ch.named_child(0) else { continue };
                let e = unwrap_expr(e);
                if e.kind_name() == "identifier"
                    && let Some(r) = index.resolve(file, text(e, f.src))
                    && let Some(v) = r.decl.value
                    && unwrap_expr(v).kind_name() == "object"
                {
                    out.extend(object_entries(index, r.file, unwrap_expr(v), depth + 1));
                }
            }
            _ => {}
        }
    }
    out
}

/// A column builder chain, unwound: `integer("id").primaryKey().notNull()`.
struct Chain<'a> {
    builder: Node<'a>,
    builder_args: Vec<Node<'a>>,
    modifiers: Vec<(String, Vec<Node<'a>>)>,
}

fn unwind<'t>(node: Node<'t>, src: &str) -> Option<Chain<'t>> {
    let mut node = unwrap_expr(node);
    let mut modifiers = Vec::new();
    for _ in 0..64 {
        if node.kind_name() != "call_expression" {
            return None;
        }
        let f = node.child_by_field_name("function")?;
        let args = node
            .child_by_field_name("arguments")
            .map(children)
            .unwrap_or_default();
        if f.kind_name() == "member_expression" {
            let obj = unwrap_expr(f.child_by_field_name("object")?);
            let prop = text(f.child_by_field_name("property")?, src).to_owned();
            if obj.kind_name() == "call_expression" {
                modifiers.push((prop, args));
                node = obj;
                continue;
            }
        }
        modifiers.reverse();
        return Some(Chain {
            builder: f,
            builder_args: args,
            modifiers,
        });
    }
    None
}

impl<'a> Reader<'_, 'a> {
    /// When `f` names a table function, its dialect and the name prefix
    /// template (`{}` for plain tables, `acme_{}` for a table creator).
    fn table_function(
        &self,
        file: usize,
        names: &HashMap<String, Core>,
        f: Node<'a>,
    ) -> Option<(Engine, String)> {
        let src = self.index.files.get(file)?.src;
        let f = unwrap_expr(f);
        let is_table = |n: &str| matches!(n, "sqliteTable" | "pgTable" | "mysqlTable");
        match f.kind_name() {
            "identifier" => {
                let name = text(f, src);
                match names.get(name) {
                    Some(Core::Function(d, n)) if is_table(n) => return Some((*d, "{}".into())),
                    _ => {}
                }
                // A table creator: `const createTable = pgTableCreator((n) => `x_${n}`)`.
                let r = self.index.resolve(file, name)?;
                let value = unwrap_expr(r.decl.value?);
                if value.kind_name() != "call_expression" {
                    return None;
                }
                let callee = text(
                    value.child_by_field_name("function")?,
                    self.index.files[r.file].src,
                );
                let d = match callee {
                    "sqliteTableCreator" => Engine::Sqlite,
                    "pgTableCreator" => Engine::Postgres,
                    "mysqlTableCreator" => Engine::MySql,
                    _ => return None,
                };
                let arg = call_args(value).into_iter().next()?;
                let body = unwrap_expr(arg.child_by_field_name("body")?);
                let param = arg
                    .child_by_field_name("parameter")
                    .or_else(|| {
                        arg.child_by_field_name("parameters")
                            .and_then(|p| p.named_child(0))
                    })
                    .map(|p| text(p, self.index.files[r.file].src).trim().to_owned())
                    .unwrap_or_default();
                let tsrc = self.index.files[r.file].src;
                let mut template = String::new();
                if body.kind_name() == "template_string" {
                    for ch in children(body) {
                        match ch.kind_name() {
                            "string_fragment" => template.push_str(text(ch, tsrc)),
                            "template_substitution" => {
                                let inner = ch.named_child(0).map(|n| text(n, tsrc)).unwrap_or("");
                                if inner == param {
                                    template.push_str("{}");
                                }
                            }
                            _ => {}
                        }
                    }
                }
                if !template.contains("{}") {
                    template = "{}".into();
                }
                Some((d, template))
            }
            "member_expression" => {
                let obj = unwrap_expr(f.child_by_field_name("object")?);
                let prop = text(f.child_by_field_name("property")?, src);
                if obj.kind_name() != "identifier" {
                    return None;
                }
                let obj_name = text(obj, src);
                if let Some(Core::Namespace(d)) = names.get(obj_name)
                    && is_table(prop)
                {
                    return Some((*d, "{}".into()));
                }
                // `pgSchema("auth").table(…)` through a const.
                if prop == "table" {
                    let r = self.index.resolve(file, obj_name)?;
                    let value = unwrap_expr(r.decl.value?);
                    let callee = text(
                        value.child_by_field_name("function")?,
                        self.index.files[r.file].src,
                    );
                    let d = match callee {
                        "pgSchema" => Engine::Postgres,
                        "mysqlSchema" => Engine::MySql,
                        _ => return None,
                    };
                    return Some((d, "{}".into()));
                }
                None
            }
            _ => None,
        }
    }

    fn table(
        &mut self,
        fi: usize,
        names: &HashMap<String, Core>,
        call: Node<'a>,
        dialect: Engine,
        prefix: &str,
    ) -> Option<Found> {
        let file = self.index.files.get(fi)?;
        let src = file.src;
        let args = call_args(call);
        let name = string_value(*args.first()?, src)?;
        let table_name = prefix.replace("{}", &name);
        let declarator = {
            let mut p = call.parent();
            while let Some(n) = p {
                if matches!(n.kind_name(), "variable_declarator" | "program") {
                    break;
                }
                p = n.parent();
            }
            p.filter(|n| n.kind_name() == "variable_declarator")
        };
        let loc = location(file.path, call);
        let mut found = Found {
            key: declarator.map(|d| (fi, d.id())),
            dialect,
            table: Table {
                purpose: declarator.and_then(|d| doc_comment(d, src)),
                ..Table::new(&table_name, loc.clone())
            },
            keys: BTreeMap::new(),
            pending_refs: Vec::new(),
            file: fi,
        };
        if let Some(cols) = args.get(1).and_then(|a| returned(*a)) {
            for (key, value, pair, vfile) in object_entries(self.index, fi, cols, 0) {
                self.column(vfile, names, &key, value, pair, &mut found);
            }
        } else {
            self.diags.push(Diagnostic::warning(
                loc.clone(),
                crate::model::Code::DrizzleUnreadColumn,
                format!("cannot read the columns of Drizzle table `{table_name}`; the table is listed without them"),
            ));
        }
        if let Some(extra) = args.get(2).and_then(|a| returned(*a)) {
            let items: Vec<Node<'a>> = if extra.kind_name() == "array" {
                children(extra)
            } else {
                object_entries(self.index, fi, extra, 0)
                    .into_iter()
                    .map(|(_, v, _, _)| v)
                    .collect()
            };
            for item in items {
                self.extra(fi, item, &mut found);
            }
        }
        if found.table.primary_key.is_empty() {
            found.table.primary_key = found
                .table
                .columns
                .iter()
                .filter(|c| c.primary_key_position > 0)
                .map(|c| c.name.clone())
                .collect();
        }
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::super::index::CodeIndex;
    use super::super::parse::parse_source;
    use super::super::resolve::Resolver;
    use super::*;

    /// What the Drizzle reader finds in one file `schema.ts`.
    fn facts_of(src: &str, diags: &mut Vec<Diagnostic>) -> DrizzleFacts {
        let files = vec![parse_source("schema.ts", src).unwrap()];
        let index = CodeIndex::new(&files, Resolver::new(["schema.ts".to_owned()], Vec::new()));
        extract(&index, &[], diags)
    }

    /// Columns of every table in `src` as `name type null default notes`.
    fn columns(src: &str) -> Vec<String> {
        let mut diags = Vec::new();
        let facts = facts_of(src, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        facts
            .tables
            .iter()
            .flat_map(|t| {
                t.table.columns.iter().map(|c| {
                    format!(
                        "{}.{} {} {} {} {}",
                        t.table.name,
                        c.name,
                        c.sql_type,
                        if c.nullable { "null" } else { "notnull" },
                        c.default.as_deref().unwrap_or("-"),
                        c.comment.as_deref().unwrap_or("-")
                    )
                })
            })
            .collect()
    }

    #[test]
    fn sqlite_builders() {
        let got = columns(
            r#"import { sqliteTable, integer, text, real, blob, numeric } from "drizzle-orm/sqlite-core";
import { sql } from "drizzle-orm";
export const t = sqliteTable("t", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  at: integer("at", { mode: "timestamp" }).notNull().default(sql`(unixepoch())`),
  flag: integer("flag", { mode: "boolean" }).default(false),
  role: text("role", { enum: ["admin", "user"] }).default("user"),
  code: text("code", { length: 8 }),
  score: real("score"),
  data: blob("data", { mode: "json" }),
  price: numeric("price"),
  token: text("token").$defaultFn(() => crypto.randomUUID()),
  keyOnly: text(),
});"#,
        );
        assert_eq!(
            got,
            vec![
                "t.id integer notnull - -",
                "t.at integer notnull (unixepoch()) mode: timestamp",
                "t.flag integer null false mode: boolean",
                "t.role text null 'user' enum: admin, user",
                "t.code text(8) null - -",
                "t.score real null - -",
                "t.data blob null - mode: json",
                "t.price numeric null - -",
                "t.token text null - app-side default ($defaultFn)",
                "t.keyOnly text null - -",
            ]
        );
    }

    /// A project's own column helper is read as the builder it returns;
    /// helpers calling each other are not followed (no loop).
    #[test]
    fn column_helpers_are_followed_one_level() {
        let got = columns(
            r#"import { mysqlTable, bigint, varchar } from "drizzle-orm/mysql-core";
function primaryKey() {
  return bigint("pk", { mode: "number", unsigned: true }).autoincrement().primaryKey();
}
const handle = () => varchar("handle", { length: 32 }).notNull();
const a = () => b();
const b = () => a();
export const t = mysqlTable("t", {
  pk: primaryKey(),
  handle: handle(),
  loop: a(),
});"#,
        );
        assert_eq!(got[0], "t.pk bigint unsigned notnull - -");
        assert_eq!(got[1], "t.handle varchar(32) notnull - -");
        assert_eq!(got.len(), 3, "{got:?}");
    }

    /// A custom type's `dataType(config)` folds with the column's config;
    /// one that does not fold says so instead of printing its name.
    #[test]
    fn custom_types_fold_with_the_column_config() {
        let got = columns(
            r#"import { pgTable, customType } from "drizzle-orm/pg-core";
const citext = customType<{ data: string }>({ dataType() { return "citext"; } });
const numericCasted = customType<{ data: number; config: { precision?: number; scale?: number } }>({
  dataType(config) {
    if (config?.precision && config?.scale) {
      return `numeric(${config.precision}, ${config.scale})`;
    }
    return "numeric";
  },
});
const opaque = customType<{ data: string }>({ dataType: () => pickType() });
export const t = pgTable("t", {
  email: citext("email"),
  price: numericCasted("price", { precision: 1_0, scale: 2 }),
  plain: numericCasted("plain"),
  odd: opaque("odd"),
});"#,
        );
        assert_eq!(
            got,
            vec![
                "t.email citext null - -",
                "t.price numeric(10, 2) null - -",
                "t.plain numeric null - -",
                "t.odd ? null - type computed by `opaque` (customType); dmqa could not fold it",
            ]
        );
    }

    #[test]
    fn pg_builders() {
        let got = columns(
            r#"import * as p from "drizzle-orm/pg-core";
const mood = p.pgEnum("mood", ["sad", "ok"]);
export const t = p.pgTable("t", {
  id: p.serial("id").primaryKey(),
  big: p.bigint("big", { mode: "number" }),
  name: p.varchar("name", { length: 18 }).notNull(),
  money: p.numeric("money", { precision: 10, scale: 2 }),
  doc: p.jsonb("doc").notNull(),
  uid: p.uuid("uid").defaultRandom(),
  at: p.timestamp("at", { withTimezone: true, mode: "date" }).defaultNow(),
  plain: p.timestamp("plain"),
  feel: mood("feel"),
  tags: p.text("tags").array(),
  ok: p.boolean("ok").default(true),
  score: p.doublePrecision("score"),
  emb: p.vector("emb", { dimensions: 3 }),
});"#,
        );
        assert_eq!(
            got,
            vec![
                "t.id serial notnull - -",
                "t.big bigint null - -",
                "t.name varchar(18) notnull - -",
                "t.money numeric(10, 2) null - -",
                "t.doc jsonb notnull - -",
                "t.uid uuid null gen_random_uuid() -",
                "t.at timestamp with time zone null now() mode: date",
                "t.plain timestamp null - -",
                "t.feel mood null - enum: sad, ok",
                "t.tags text[] null - -",
                "t.ok boolean null true -",
                "t.score double precision null - -",
                "t.emb vector(3) null - -",
            ]
        );
    }

    #[test]
    fn mysql_builders_and_table_creators() {
        let got = columns(
            r#"import { mysqlTableCreator, int, varchar, decimal, datetime, json } from "drizzle-orm/mysql-core";
const table = mysqlTableCreator((name) => `shop_${name}`);
export const orders = table("orders", {
  id: int("id").primaryKey().autoincrement(),
  email: varchar("email", { length: 255 }).notNull(),
  total: decimal("total", { precision: 8, scale: 2 }),
  placed: datetime("placed"),
  meta: json("meta"),
});"#,
        );
        assert_eq!(
            got,
            vec![
                "shop_orders.id int notnull - -",
                "shop_orders.email varchar(255) notnull - -",
                "shop_orders.total decimal(8, 2) null - -",
                "shop_orders.placed datetime null - -",
                "shop_orders.meta json null - -",
            ]
        );
    }

    /// `unsigned`, `mysqlEnum` values and numeric separators as
    /// drizzle-kit writes them.
    #[test]
    fn mysql_unsigned_enums_and_numeric_separators() {
        let got = columns(
            r#"import { mysqlTable, int, mysqlEnum } from "drizzle-orm/mysql-core";
export const t = mysqlTable("t", {
  hits: int("hits", { unsigned: true }).notNull(),
  state: mysqlEnum("state", ["on", "off"]).default("on"),
  ttl: int("ttl").default(3_600),
});"#,
        );
        assert_eq!(
            got,
            vec![
                "t.hits int unsigned notnull - -",
                "t.state enum('on','off') null 'on' enum: on, off",
                "t.ttl int null 3600 -",
            ]
        );
    }

    /// `casing: "snake_case"` given to the `drizzle()` client names the
    /// columns a builder leaves unnamed, as in a drizzle.config.
    #[test]
    fn client_casing_names_unnamed_columns() {
        let src = r#"import { drizzle } from "drizzle-orm/d1";
import { sqliteTable, integer, text } from "drizzle-orm/sqlite-core";
export const posts = sqliteTable("posts", { id: integer().primaryKey(), authorName: text(), kept: text("keptName") });
export const db = (env: Env) => drizzle(env.DB, { casing: "snake_case" });"#;
        let got = columns(src);
        assert_eq!(
            got,
            vec![
                "posts.id integer notnull - -",
                "posts.author_name text null - -",
                "posts.keptName text null - -",
            ]
        );
    }

    /// A builder kept in a module constant, bare or with this column's
    /// own modifiers; MySQL fractional seconds and JSON defaults.
    #[test]
    fn shared_builders_fsp_and_mysql_json_defaults() {
        let got = columns(
            r#"import { mysqlTable, mysqlEnum, datetime, json } from "drizzle-orm/mysql-core";
export const kind = mysqlEnum("kind", ["A-1", "B-2"]).notNull();
const state = mysqlEnum("state", ["on", "off"]);
export const t = mysqlTable("t", {
  type: kind,
  state: state.notNull().default("on"),
  at: datetime("at", { mode: "date", fsp: 3 }),
  paths: json("paths").$type<string[]>().notNull().default([]),
});"#,
        );
        assert_eq!(
            got,
            vec![
                "t.kind enum('A-1','B-2') notnull - enum: A-1, B-2",
                "t.state enum('on','off') notnull 'on' enum: on, off",
                "t.at datetime(3) null - mode: date",
                "t.paths json notnull ('[]') -",
            ]
        );
        // Constants built from each other are not followed (no loop).
        let src = "import { mysqlTable } from \"drizzle-orm/mysql-core\";\nconst a = b.notNull();\nconst b = a.notNull();\nexport const t = mysqlTable(\"t\", { loop: a });\n";
        let facts = facts_of(src, &mut Vec::new());
        assert!(facts.tables[0].table.columns.is_empty());
    }

    /// A comment between the columns and the extra config keeps the
    /// indexes; a reference to a table dmqa cannot find is no foreign key,
    /// while the callback's own parameter is the table itself.
    #[test]
    fn extra_config_after_a_comment_and_foreign_key_targets() {
        let src = r#"import { pgTable, integer, index, foreignKey } from "drizzle-orm/pg-core";
export const t = pgTable("t", {
  id: integer("id").primaryKey(),
  parentId: integer("parent_id"),
  ownerId: integer("owner_id").references(() => owners.id),
}, // indexes
(t) => [
  index("t_parent_idx").on(t.parentId),
  foreignKey({ columns: [t.parentId], foreignColumns: [t.id] }),
]);"#;
        let facts = facts_of(src, &mut Vec::new());
        let t = &facts.tables[0].table;
        let indexes: Vec<&str> = t.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(indexes, ["t_parent_idx"]);
        let fks: Vec<String> = t
            .foreign_keys
            .iter()
            .map(|f| format!("{:?} -> {}{:?}", f.columns, f.ref_table, f.ref_columns))
            .collect();
        assert_eq!(fks, [r#"["parent_id"] -> t["id"]"#]);
    }
}
