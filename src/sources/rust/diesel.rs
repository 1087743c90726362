//! diesel `table!` bodies → ORM tables with their SQL types.

use super::*;

/// A diesel `table! { [schema.]name (pk, …) { col -> Type, … } }`.
pub(crate) struct DieselTable {
    /// The `///` doc inside the macro.
    doc: Option<String>,
    name: syn::Ident,
    pk: Vec<syn::Ident>,
    cols: Vec<(syn::Ident, syn::Type, Option<String>)>,
}

impl Parse for DieselTable {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(syn::Attribute::parse_outer)?;
        let doc = doc_of(&attrs);
        let mut name: syn::Ident = input.parse()?;
        if input.peek(syn::Token![.]) {
            input.parse::<syn::Token![.]>()?;
            name = input.parse()?;
        }
        let mut pk = Vec::new();
        if input.peek(syn::token::Paren) {
            let c;
            syn::parenthesized!(c in input);
            pk = c
                .parse_terminated(syn::Ident::parse, syn::Token![,])?
                .into_iter()
                .collect();
        }
        let body;
        syn::braced!(body in input);
        let mut cols = Vec::new();
        while !body.is_empty() {
            let attrs = body.call(syn::Attribute::parse_outer)?;
            let col: syn::Ident = body.parse()?;
            body.parse::<syn::Token![->]>()?;
            let ty: syn::Type = body.parse()?;
            let sql_name = attrs.iter().find_map(|a| {
                let syn::Meta::NameValue(nv) = &a.meta else {
                    return None;
                };
                if !nv.path.is_ident("sql_name") {
                    return None;
                }
                match &nv.value {
                    Expr::Lit(syn::ExprLit {
                        lit: Lit::Str(s), ..
                    }) => Some(s.value()),
                    _ => None,
                }
            });
            cols.push((col, ty, sql_name));
            if !body.is_empty() {
                body.parse::<syn::Token![,]>()?;
            }
        }
        Ok(DieselTable {
            doc,
            name,
            pk,
            cols,
        })
    }
}

/// Diesel SQL type → (SQL type, dialect it names, if only one has it).
pub(crate) fn sql_type(diesel: &str) -> (&'static str, Option<Engine>) {
    match diesel {
        "Int2" | "SmallInt" => ("smallint", None),
        "Int4" => ("integer", Some(Engine::Postgres)),
        "Integer" => ("integer", None),
        "Int8" | "BigInt" => ("bigint", None),
        "Text" => ("text", None),
        "Varchar" | "VarChar" => ("varchar", None),
        "Bool" => ("boolean", None),
        "Float4" | "Float" => ("real", None),
        "Float8" | "Double" => ("double precision", None),
        "Numeric" => ("numeric", None),
        "Timestamp" => ("timestamp", None),
        "Timestamptz" => ("timestamp with time zone", Some(Engine::Postgres)),
        "Date" => ("date", None),
        "Time" => ("time", None),
        "Uuid" => ("uuid", Some(Engine::Postgres)),
        "Jsonb" => ("jsonb", Some(Engine::Postgres)),
        "Json" => ("json", None),
        "Bytea" => ("bytea", Some(Engine::Postgres)),
        "Binary" | "Blob" => ("blob", None),
        "Datetime" => ("datetime", Some(Engine::MySql)),
        "Unsigned" => ("unsigned", Some(Engine::MySql)),
        _ => ("", None),
    }
}

impl DieselTable {
    pub(crate) fn into_orm(self, path: &str) -> OrmTable {
        let mut t = Table::new(&self.name.to_string(), loc(path, self.name.span()));
        t.purpose = self.doc;
        t.primary_key = self.pk.iter().map(ToString::to_string).collect();
        let mut dialect = None;
        for (col, ty, sql_name) in &self.cols {
            let (inner, nullable) = unwrap_nullable(ty);
            let (sql, only) = sql_type(&inner);
            dialect = dialect.or(only);
            let name = sql_name.clone().unwrap_or_else(|| col.to_string());
            let pk_pos = t.primary_key.iter().position(|k| col == k);
            t.columns.push(Column {
                sql_type: if sql.is_empty() {
                    inner.to_lowercase()
                } else {
                    sql.to_owned()
                },
                nullable,
                default: None,
                primary_key_position: pk_pos.map_or(0, |p| u32::try_from(p + 1).unwrap_or(0)),
                autoincrement: false,
                generated: None,
                check: None,
                comment: None,
                location: loc(path, col.span()),
                name,
            });
        }
        // Diesel's default primary key is `id`.
        if t.primary_key.is_empty() && t.columns.iter().any(|c| c.name == "id") {
            t.primary_key = vec!["id".to_owned()];
            if let Some(c) = t.columns.iter_mut().find(|c| c.name == "id") {
                c.primary_key_position = 1;
            }
        }
        OrmTable {
            dialect: dialect.unwrap_or(Engine::Postgres),
            target: OrmTarget::Unassigned,
            table: t,
        }
    }
}

/// `Nullable<Text>` → (`Text`, true); `Text` → (`Text`, false).
pub(crate) fn unwrap_nullable(ty: &syn::Type) -> (String, bool) {
    let text = quote::quote!(#ty).to_string().replace(' ', "");
    match text
        .strip_prefix("Nullable<")
        .and_then(|t| t.strip_suffix('>'))
    {
        Some(inner) => (inner.rsplit("::").next().unwrap_or(inner).to_owned(), true),
        None => (text.rsplit("::").next().unwrap_or(&text).to_owned(), false),
    }
}
