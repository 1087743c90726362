//! A Drizzle table's third (extra config) argument — indexes, unique and
//! primary-key constraints, foreign keys — and `relations()`.

use super::*;
use crate::sources::typescript::parse::NodeKind;

impl<'a> Reader<'_, 'a> {
    /// One item of the third argument.
    pub(super) fn extra(&mut self, fi: usize, item: Node<'a>, found: &mut Found) {
        let Some(file) = self.index.files.get(fi) else {
            return;
        };
        let src = file.src;
        let loc = location(file.path, item);
        let Some(chain) = unwind(item, src) else {
            return;
        };
        let builder = text(chain.builder, src)
            .rsplit('.')
            .next()
            .unwrap_or("")
            .to_owned();
        let first_name = chain
            .builder_args
            .first()
            .and_then(|a| string_value(*a, src));
        let col_of = |node: Node<'a>| -> Option<IndexColumn> {
            // An expression index: `sql\`lower(${t.email})\``.
            if let Some(expr) = sql_text_with(node, src, &found.keys) {
                return Some(IndexColumn {
                    name: expr,
                    descending: false,
                });
            }
            let (_, key) = member_ref(node, src)?;
            let name = found.keys.get(&key).cloned().unwrap_or(key);
            Some(IndexColumn {
                name,
                descending: is_desc(node, src),
            })
        };
        match builder.as_str() {
            "index" | "uniqueIndex" => {
                let mut columns = Vec::new();
                let mut partial = None;
                for (m, args) in &chain.modifiers {
                    match m.as_str() {
                        "on" | "using" => columns.extend(args.iter().filter_map(|a| col_of(*a))),
                        "where" => {
                            partial = args
                                .first()
                                .and_then(|a| sql_text_with(*a, src, &found.keys))
                        }
                        _ => {}
                    }
                }
                let name = first_name.unwrap_or_else(|| {
                    let cols: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                    format!("{}_{}_index", found.table.name, cols.join("_"))
                });
                found.table.indexes.push(Index {
                    name,
                    columns,
                    unique: builder == "uniqueIndex",
                    partial,
                    origin: IndexOrigin::Explicit,
                    location: loc,
                });
            }
            "unique" => {
                let columns: Vec<IndexColumn> = chain
                    .modifiers
                    .iter()
                    .filter(|(m, _)| m == "on")
                    .flat_map(|(_, args)| args.iter().filter_map(|a| col_of(*a)))
                    .collect();
                let name = first_name.unwrap_or_else(|| {
                    let cols: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                    format!("{}_{}_unique", found.table.name, cols.join("_"))
                });
                found.table.indexes.push(Index {
                    name,
                    columns,
                    unique: true,
                    partial: None,
                    origin: IndexOrigin::UniqueConstraint,
                    location: loc,
                });
            }
            "primaryKey" => {
                // `primaryKey({ columns: [t.a, t.b] })` or `primaryKey(t.a, t.b)`.
                let mut cols: Vec<String> = Vec::new();
                for a in &chain.builder_args {
                    let a = unwrap_expr(*a);
                    if a.kind_name() == "object" {
                        for (k, v, _, _) in object_entries(self.index, fi, a, 0) {
                            if k == "columns" {
                                cols.extend(
                                    children(unwrap_expr(v))
                                        .into_iter()
                                        .filter_map(|c| col_of(c).map(|c| c.name)),
                                );
                            }
                        }
                    } else if let Some(c) = col_of(a) {
                        cols.push(c.name);
                    }
                }
                for (i, n) in cols.iter().enumerate() {
                    if let Some(c) = found.table.columns.iter_mut().find(|c| &c.name == n) {
                        c.primary_key_position = u32::try_from(i + 1).unwrap_or(0);
                        c.nullable = false;
                    }
                }
                found.table.primary_key = cols;
            }
            "foreignKey" => {
                let mut columns = Vec::new();
                let mut target = Vec::new();
                if let Some(obj) = chain.builder_args.first().map(|a| unwrap_expr(*a)) {
                    for (k, v, _, _) in object_entries(self.index, fi, obj, 0) {
                        let refs: Vec<(String, String)> = children(unwrap_expr(v))
                            .into_iter()
                            .filter_map(|c| member_ref(c, src))
                            .collect();
                        match k.as_str() {
                            "columns" => {
                                columns = refs
                                    .iter()
                                    .map(|(_, key)| {
                                        found.keys.get(key).cloned().unwrap_or_else(|| key.clone())
                                    })
                                    .collect()
                            }
                            "foreignColumns" => {
                                target = refs
                                    .into_iter()
                                    .map(|(t, key)| {
                                        let own =
                                            super::super::bindings::param_of(v, &t, src).is_some();
                                        (fi, t, key, own)
                                    })
                                    .collect()
                            }
                            _ => {}
                        }
                    }
                }
                let action_of = |m: &str| {
                    chain
                        .modifiers
                        .iter()
                        .find(|(x, _)| x == m)
                        .and_then(|(_, a)| a.first().and_then(|a| string_value(*a, src)))
                        .map(|s| s.to_uppercase())
                };
                if !columns.is_empty() && !target.is_empty() {
                    found.pending_refs.push(PendingRef {
                        columns,
                        target,
                        on_delete: action_of("onDelete"),
                        on_update: action_of("onUpdate"),
                        location: loc,
                    });
                }
            }
            "check" => {
                if let Some(expr) = chain
                    .builder_args
                    .get(1)
                    .and_then(|a| sql_text_with(*a, src, &found.keys))
                {
                    found.table.checks.push(expr);
                }
            }
            _ => {}
        }
    }

    pub(super) fn relations(
        &mut self,
        fi: usize,
        call: Node<'a>,
        found: &[Found],
        by_key: &HashMap<(usize, usize), usize>,
        out: &mut Vec<Relationship>,
    ) {
        let Some(file) = self.index.files.get(fi) else {
            return;
        };
        let src = file.src;
        let args = call_args(call);
        let Some(body) = args.get(1).and_then(|a| returned(*a)) else {
            return;
        };
        let table_of = |name: &str| -> Option<&Found> {
            let k = table_key(self.index, fi, name)?;
            found.get(*by_key.get(&k)?)
        };
        for (_, value, pair, _) in object_entries(self.index, fi, body, 0) {
            let Some(chain) = unwind(value, src) else {
                continue;
            };
            if text(chain.builder, src) != "one" {
                continue;
            }
            let Some(opts) = chain.builder_args.get(1).map(|o| unwrap_expr(*o)) else {
                continue;
            };
            let mut fields = Vec::new();
            let mut references = Vec::new();
            for (k, v, _, _) in object_entries(self.index, fi, opts, 0) {
                let refs: Vec<(String, String)> = children(unwrap_expr(v))
                    .into_iter()
                    .filter_map(|c| member_ref(c, src))
                    .collect();
                match k.as_str() {
                    "fields" => fields = refs,
                    "references" => references = refs,
                    _ => {}
                }
            }
            let (Some((ft, _)), Some((rt, _))) = (fields.first(), references.first()) else {
                continue;
            };
            let (Some(from), Some(to)) = (table_of(ft), table_of(rt)) else {
                continue;
            };
            let col =
                |f: &Found, key: &String| f.keys.get(key).cloned().unwrap_or_else(|| key.clone());
            out.push(Relationship {
                database: String::new(),
                from_table: from.table.name.clone(),
                from_columns: fields.iter().map(|(_, k)| col(from, k)).collect(),
                to_table: to.table.name.clone(),
                to_columns: references.iter().map(|(_, k)| col(to, k)).collect(),
                kind: RelationKind::DrizzleRelations,
                location: location(file.path, pair),
            });
        }
    }
}
