//! Drizzle column builders: each column's name, SQL type (as
//! `drizzle-kit generate` writes it), modifiers and inline references;
//! `customType`s.

use super::*;
use crate::sources::typescript::parse::NodeKind;

impl<'a> Reader<'_, 'a> {
    pub(super) fn column(
        &mut self,
        fi: usize,
        names: &HashMap<String, Core>,
        key: &str,
        value: Node<'a>,
        pair: Node<'a>,
        found: &mut Found,
    ) {
        // `pk: primaryKey()`: a helper of the checkout that returns a
        // column builder is read as the builder it returns, with the names
        // its own file imports.
        if let Some((hf, built)) = self.helper_column(fi, value) {
            let names = core_names(&self.index.files[hf]);
            return self.column(hf, &names, key, built, pair, found);
        }
        let Some(file) = self.index.files.get(fi) else {
            return;
        };
        let src = file.src;
        // `type: challengeType` / `status: status.notNull().default("a")`
        // where `const status = mysqlEnum("status", […])`: the shared
        // builder, then this column's own `notNull` / `primaryKey` /
        // `default`.
        if let Some((sf, shared, outer)) = self.shared_builder(fi, value) {
            let names = core_names(&self.index.files[sf]);
            let before = found.table.columns.len();
            self.column(sf, &names, key, shared, pair, found);
            if found.table.columns.len() > before
                && let Some(col) = found.table.columns.last_mut()
            {
                for (m, args) in outer {
                    match m.as_str() {
                        "notNull" => col.nullable = false,
                        "primaryKey" => {
                            col.primary_key_position = 1;
                            col.nullable = false;
                        }
                        "default" => {
                            col.default = args
                                .first()
                                .map(|a| default_value(*a, src, found.dialect, &col.sql_type));
                        }
                        _ => {}
                    }
                }
            }
            return;
        }
        let loc = location(file.path, pair);
        let Some(chain) = unwind(value, src) else {
            self.diags.push(Diagnostic::info(
                loc,
                crate::model::Code::DrizzleUnreadColumn,
                format!("`{key}` is not a column builder call; left out"),
            ));
            return;
        };
        let builder_name = match chain.builder.kind_name() {
            "identifier" => text(chain.builder, src).to_owned(),
            "member_expression" => chain
                .builder
                .child_by_field_name("property")
                .map(|p| text(p, src).to_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        // The core function behind a local alias (`import { integer as int }`).
        let core_name = match names.get(&builder_name) {
            Some(Core::Function(_, n)) => n.clone(),
            _ => builder_name.clone(),
        };
        let mut sql_name = None;
        let mut config: Option<Node<'a>> = None;
        for a in &chain.builder_args {
            match unwrap_expr(*a).kind_name() {
                "string" | "template_string" if sql_name.is_none() => {
                    sql_name = string_value(*a, src);
                }
                "object" => config = Some(unwrap_expr(*a)),
                _ => {}
            }
        }
        let name = sql_name.unwrap_or_else(|| match self.casing {
            Casing::Snake => snake(key),
            Casing::AsWritten => key.to_owned(),
        });
        let opts: BTreeMap<String, Node<'a>> = config
            .map(|c| {
                object_entries(self.index, fi, c, 0)
                    .into_iter()
                    .map(|(k, v, _, _)| (k, v))
                    .collect()
            })
            .unwrap_or_default();
        let opt_str = |k: &str| opts.get(k).and_then(|v| string_value(*v, src));
        let mut notes: Vec<String> = Vec::new();
        let with_tz = opts
            .get("withTimezone")
            .is_some_and(|v| text(unwrap_expr(*v), src) == "true");
        let (mut sql_type, enum_values) = self.sql_type(
            fi,
            found.dialect,
            &core_name,
            &builder_name,
            with_tz,
            &|k: &str| {
                opts.get(k)
                    .and_then(|v| super::super::fold::fold(self.index, fi, *v))
                    .map(|v| v.as_string())
            },
        );
        if sql_type == UNFOLDED {
            notes.push(format!(
                "type computed by `{builder_name}` (customType); dmqa could not fold it"
            ));
        }
        // MySQL: `int("n", { unsigned: true })` → `int unsigned`;
        // `mysqlEnum("s", ["a", "b"])` → `enum('a','b')`.
        if found.dialect == Engine::MySql
            && opts
                .get("unsigned")
                .is_some_and(|v| text(unwrap_expr(*v), src) == "true")
        {
            sql_type.push_str(" unsigned");
        }
        let enum_values = enum_values.or_else(|| {
            (core_name == "mysqlEnum")
                .then(|| {
                    chain
                        .builder_args
                        .iter()
                        .find(|a| unwrap_expr(**a).kind_name() == "array")
                        .map(|a| string_items(*a, src))
                })
                .flatten()
        });
        if core_name == "mysqlEnum"
            && let Some(values) = &enum_values
        {
            let quoted: Vec<String> = values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
                .collect();
            sql_type = format!("enum({})", quoted.join(","));
        }
        if let Some(values) = enum_values {
            notes.push(format!("enum: {}", values.join(", ")));
        }
        if let Some(v) = opts.get("enum") {
            let values = string_items(*v, src);
            if !values.is_empty() {
                notes.push(format!("enum: {}", values.join(", ")));
            }
        }
        if let Some(mode) = opt_str("mode")
            && mode != "string"
            && mode != "number"
        {
            notes.push(format!("mode: {mode}"));
        }
        let mut col = Column {
            name: name.clone(),
            sql_type: String::new(),
            nullable: true,
            default: None,
            primary_key_position: 0,
            autoincrement: matches!(core_name.as_str(), "serial" | "bigserial" | "smallserial"),
            generated: None,
            check: None,
            comment: None,
            location: loc.clone(),
        };
        if col.autoincrement && found.dialect == Engine::Postgres {
            col.nullable = false;
        }
        for (m, args) in &chain.modifiers {
            let first = args.first().copied();
            match m.as_str() {
                "notNull" => col.nullable = false,
                "primaryKey" => {
                    col.primary_key_position = 1;
                    col.nullable = false;
                    if first.is_some_and(|a| text(a, src).contains("autoIncrement: true")) {
                        col.autoincrement = true;
                    }
                }
                "unique" => {
                    let index_name = first
                        .and_then(|a| string_value(a, src))
                        .unwrap_or_else(|| format!("{}_{}_unique", found.table.name, name));
                    found.table.indexes.push(Index {
                        name: index_name,
                        columns: vec![IndexColumn {
                            name: name.clone(),
                            descending: false,
                        }],
                        unique: true,
                        partial: None,
                        origin: IndexOrigin::UniqueConstraint,
                        location: loc.clone(),
                    });
                }
                "default" => {
                    col.default = first.map(|a| default_value(a, src, found.dialect, &sql_type));
                }
                "defaultNow" => {
                    col.default = Some(match found.dialect {
                        Engine::MySql => "(now())".into(),
                        _ => "now()".into(),
                    })
                }
                "defaultRandom" => col.default = Some("gen_random_uuid()".into()),
                "generatedAlwaysAsIdentity" | "generatedByDefaultAsIdentity" => {
                    col.autoincrement = true;
                    col.nullable = false;
                    notes.push(if m == "generatedAlwaysAsIdentity" {
                        "GENERATED ALWAYS AS IDENTITY".into()
                    } else {
                        "GENERATED BY DEFAULT AS IDENTITY".into()
                    });
                }
                "$defaultFn" | "$default" => notes.push("app-side default ($defaultFn)".into()),
                "$onUpdate" | "$onUpdateFn" => notes.push("app-side on update ($onUpdate)".into()),
                "onUpdateNow" => notes.push("ON UPDATE now()".into()),
                "array" => sql_type.push_str("[]"),
                "generatedAlwaysAs" => {
                    col.generated = Some(
                        first
                            .map(|a| sql_text(a, src).unwrap_or_else(|| text(a, src).to_owned()))
                            .unwrap_or_default(),
                    )
                }
                "references" => {
                    let target = first
                        .and_then(|a| a.child_by_field_name("body"))
                        .and_then(|b| member_ref(b, src));
                    let opts = args.get(1).map(|o| text(*o, src)).unwrap_or("");
                    if let Some((table, key)) = target {
                        found.pending_refs.push(PendingRef {
                            columns: vec![name.clone()],
                            target: vec![(fi, table, key, false)],
                            on_delete: action(opts, "onDelete"),
                            on_update: action(opts, "onUpdate"),
                            location: loc.clone(),
                        });
                    }
                }
                _ => {}
            }
        }
        col.sql_type = sql_type;
        if let Some(c) = trailing_comment(pair, src) {
            notes.push(c);
        }
        if !notes.is_empty() {
            col.comment = Some(notes.join("; "));
        }
        found.keys.insert(key.to_owned(), name);
        found.table.columns.retain(|c| c.name != col.name);
        found.table.columns.push(col);
    }

    /// The SQL type drizzle-kit writes for a builder, and enum values.
    pub(super) fn sql_type(
        &self,
        fi: usize,
        dialect: Engine,
        core: &str,
        local: &str,
        with_tz: bool,
        config: &dyn Fn(&str) -> Option<String>,
    ) -> (String, Option<Vec<String>>) {
        let num =
            |k: &str| config(k).filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()));
        let with_len = |base: &str| match num("length") {
            Some(n) => format!("{base}({n})"),
            None => base.to_owned(),
        };
        let ty = match (dialect, core) {
            (Engine::Sqlite, "int" | "integer") => "integer".to_owned(),
            (Engine::Sqlite, "text") => with_len("text"),
            (Engine::Sqlite, "real") => "real".into(),
            (Engine::Sqlite, "blob") => "blob".into(),
            (Engine::Sqlite, "numeric") => "numeric".into(),
            (_, "varchar" | "char" | "binary" | "varbinary") => with_len(core),
            (_, "numeric" | "decimal") => {
                let base = if dialect == Engine::MySql {
                    "decimal"
                } else {
                    "numeric"
                };
                match (num("precision"), num("scale")) {
                    (Some(p), Some(s)) => format!("{base}({p}, {s})"),
                    (Some(p), None) => format!("{base}({p})"),
                    _ => base.to_owned(),
                }
            }
            // MySQL fractional seconds: `datetime("at", { fsp: 3 })`.
            (Engine::MySql, "datetime" | "timestamp" | "time") => match num("fsp") {
                Some(n) => format!("{core}({n})"),
                None => core.to_owned(),
            },
            (Engine::Postgres, "timestamp") => {
                let mut t = match num("precision") {
                    Some(p) => format!("timestamp ({p})"),
                    None => "timestamp".into(),
                };
                if with_tz {
                    t.push_str(" with time zone");
                }
                t
            }
            (_, "doublePrecision") => "double precision".into(),
            (_, "vector" | "halfvec" | "bit" | "sparsevec") => match num("dimensions") {
                Some(n) => format!("{core}({n})"),
                None => core.to_owned(),
            },
            (_, "int") => "int".into(),
            (Engine::Postgres, "integer") => "integer".into(),
            (Engine::MySql, "integer") => "int".into(),
            (_, known)
                if matches!(
                    known,
                    "text"
                        | "boolean"
                        | "json"
                        | "jsonb"
                        | "uuid"
                        | "serial"
                        | "bigserial"
                        | "smallserial"
                        | "bigint"
                        | "smallint"
                        | "tinyint"
                        | "mediumint"
                        | "real"
                        | "double"
                        | "float"
                        | "date"
                        | "time"
                        | "interval"
                        | "datetime"
                        | "timestamp"
                        | "year"
                        | "inet"
                        | "cidr"
                        | "macaddr"
                        | "point"
                        | "line"
                        | "tinytext"
                        | "mediumtext"
                        | "longtext"
                        | "geometry"
                        | "blob"
                ) =>
            {
                known.to_owned()
            }
            (Engine::MySql, "mysqlEnum") => "enum".into(),
            _ => {
                // A pgEnum / customType const: look the builder up.
                return self.custom_type(fi, local, core, config);
            }
        };
        (ty, None)
    }

    /// A column written as a module constant holding a builder, bare or
    /// with modifiers: (the constant's file, its builder call, the
    /// modifiers added here, innermost first). Only a constant whose value
    /// is a call not rooted in another constant of the checkout is
    /// followed, so nothing loops.
    #[allow(clippy::type_complexity)]
    fn shared_builder(
        &self,
        fi: usize,
        value: Node<'a>,
    ) -> Option<(usize, Node<'a>, Vec<(String, Vec<Node<'a>>)>)> {
        let src = self.index.files.get(fi)?.src;
        let mut node = unwrap_expr(value);
        let mut outer = Vec::new();
        for _ in 0..64 {
            if node.kind_name() == "identifier" {
                break;
            }
            let f = unwrap_expr(node.child_by_field_name("function")?);
            if node.kind_name() != "call_expression" || f.kind_name() != "member_expression" {
                return None;
            }
            outer.push((
                text(f.child_by_field_name("property")?, src).to_owned(),
                call_args(node),
            ));
            node = unwrap_expr(f.child_by_field_name("object")?);
        }
        if node.kind_name() != "identifier" {
            return None;
        }
        outer.reverse();
        let r = self.index.resolve(fi, text(node, src))?;
        if r.decl.kind != crate::sources::typescript::index::DeclKind::Variable {
            return None;
        }
        let shared = unwrap_expr(r.decl.value?);
        let rsrc = self.index.files.get(r.file)?.src;
        // Its builder is a function (an import of drizzle, a customType),
        // not another constant.
        let root = chain_root(shared)?;
        let rooted_in_constant = root.kind_name() == "identifier"
            && root
                .parent()
                .is_some_and(|p| p.kind_name() == "member_expression")
            && self
                .index
                .resolve(r.file, text(root, rsrc))
                .is_some_and(|d| {
                    d.decl.kind == crate::sources::typescript::index::DeclKind::Variable
                });
        (shared.kind_name() == "call_expression" && !rooted_in_constant)
            .then_some((r.file, shared, outer))
    }

    /// What a call of a helper without arguments (`primaryKey()`) returns,
    /// and the file it is in, when the helper is a function of the
    /// checkout whose body is one `return` of a call (or an arrow returning
    /// one) that is not a bare call of another declaration of the checkout:
    /// one level, so helpers calling each other cannot loop.
    fn helper_column(&self, fi: usize, value: Node<'a>) -> Option<(usize, Node<'a>)> {
        let src = self.index.files.get(fi)?.src;
        let value = unwrap_expr(value);
        if value.kind_name() != "call_expression"
            || value
                .child_by_field_name("arguments")
                .is_some_and(|a| a.named_child_count() > 0)
        {
            return None;
        }
        let f = value.child_by_field_name("function")?;
        if f.kind_name() != "identifier" {
            return None;
        }
        let r = self.index.resolve(fi, text(f, src))?;
        let func = match r.decl.kind {
            crate::sources::typescript::index::DeclKind::Function => r.decl.node,
            _ => r.decl.value.map(unwrap_expr)?,
        };
        if !matches!(
            func.kind_name(),
            "function_declaration" | "arrow_function" | "function_expression"
        ) {
            return None;
        }
        let body = func.child_by_field_name("body")?;
        let returned = if body.kind_name() == "statement_block" {
            match children(body).as_slice() {
                [ret] if ret.kind_name() == "return_statement" => ret.named_child(0)?,
                _ => return None,
            }
        } else {
            body
        };
        let returned = unwrap_expr(returned);
        // Not a helper calling a helper (nor itself).
        let root = chain_root(returned)?;
        let rsrc = self.index.files.get(r.file)?.src;
        // (Any declaration of the checkout: following one could loop.)
        let bare_helper = root.kind_name() == "identifier"
            && root.parent().is_some_and(|p| p == returned)
            && self.index.resolve(r.file, text(root, rsrc)).is_some();
        (returned.kind_name() == "call_expression" && !bare_helper).then_some((r.file, returned))
    }

    /// Columns built by a `pgEnum(...)` or `customType(...)` const; a
    /// custom type's `dataType(config)` is folded with the column's config
    /// (`numericCasted("p", { precision: 10, scale: 2 })`), else its type
    /// is [`UNFOLDED`].
    pub(super) fn custom_type(
        &self,
        fi: usize,
        local: &str,
        core: &str,
        config: &dyn Fn(&str) -> Option<String>,
    ) -> (String, Option<Vec<String>>) {
        let Some(r) = self.index.resolve(fi, local) else {
            return (core.to_lowercase(), None);
        };
        let rsrc = self.index.files[r.file].src;
        let Some(value) = r.decl.value.map(unwrap_expr) else {
            return (core.to_lowercase(), None);
        };
        // `pgEnum(…)` or `p.pgEnum(…)` through a namespace import.
        let callee = value
            .child_by_field_name("function")
            .map(|f| {
                let t = text(super::super::syntax::callee(f), rsrc);
                t.rsplit('.').next().unwrap_or(t).to_owned()
            })
            .unwrap_or_default();
        let args = value
            .child_by_field_name("arguments")
            .map(children)
            .unwrap_or_default();
        if callee == "pgEnum" {
            let name = args
                .first()
                .and_then(|a| string_value(*a, rsrc))
                .unwrap_or_else(|| local.to_owned());
            let values = args
                .get(1)
                .map(|a| string_items(*a, rsrc))
                .unwrap_or_default();
            return (name, Some(values));
        }
        if callee.starts_with("customType") {
            return (
                data_type(value, rsrc, config).unwrap_or_else(|| UNFOLDED.to_owned()),
                None,
            );
        }
        (core.to_lowercase(), None)
    }
}

/// What a call chain starts from: `integer` in `integer("id").notNull()`,
/// `p` in `p.text("x")`.
fn chain_root(mut n: Node<'_>) -> Option<Node<'_>> {
    for _ in 0..64 {
        match n.kind_name() {
            "call_expression" => n = n.child_by_field_name("function")?,
            "member_expression" => n = n.child_by_field_name("object")?,
            _ => break,
        }
    }
    Some(n)
}

/// The type of a column whose custom type dmqa cannot fold.
pub(super) const UNFOLDED: &str = "?";

/// What a `customType({ dataType(config) { … } })` returns for a column's
/// `config`: the first `return` whose value folds — a string, or a
/// template whose `${config.x}` parts the column sets.
fn data_type(
    custom: Node<'_>,
    src: &str,
    config: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut method = None;
    walk(custom, |n| {
        let named = match n.kind_name() {
            "method_definition" => n.child_by_field_name("name"),
            "pair" => n.child_by_field_name("key"),
            _ => None,
        };
        if method.is_none() && named.is_some_and(|k| text(k, src) == "dataType") {
            method = Some(n);
        }
    });
    let method = method?;
    let func = if method.kind_name() == "pair" {
        unwrap_expr(method.child_by_field_name("value")?)
    } else {
        method
    };
    let param = func
        .child_by_field_name("parameters")
        .and_then(|p| p.named_child(0))
        .map(|p| text(p.child_by_field_name("pattern").unwrap_or(p), src));
    let body = func.child_by_field_name("body")?;
    let mut returns = Vec::new();
    if body.kind_name() == "statement_block" {
        walk(body, |n| {
            if n.kind_name() == "return_statement"
                && let Some(v) = n.named_child(0)
            {
                returns.push(v);
            }
        });
    } else {
        returns.push(body);
    }
    returns.into_iter().find_map(|v| {
        let v = unwrap_expr(v);
        match v.kind_name() {
            "string" => string_value(v, src),
            "template_string" => {
                let mut out = String::new();
                for part in children(v) {
                    match part.kind_name() {
                        "string_fragment" | "escape_sequence" => out.push_str(text(part, src)),
                        "template_substitution" => {
                            let e = unwrap_expr(part.named_child(0)?);
                            let key = (e.kind_name() == "member_expression"
                                && e.child_by_field_name("object")
                                    .is_some_and(|o| Some(text(o, src)) == param))
                            .then(|| e.child_by_field_name("property"))
                            .flatten()?;
                            out.push_str(&config(text(key, src))?);
                        }
                        _ => {}
                    }
                }
                Some(out)
            }
            _ => None,
        }
    })
}
