//! Relationships between tables: declared foreign keys, in both directions.

use crate::model::{Model, RelationKind, Relationship};

/// Adds a [`Relationship`] for every declared foreign key.
pub fn collect(model: &mut Model) {
    for db in &model.databases {
        for t in &db.tables {
            for fk in &t.foreign_keys {
                model.relationships.push(Relationship {
                    database: db.id.clone(),
                    from_table: t.name.clone(),
                    from_columns: fk.columns.clone(),
                    to_table: fk.ref_table.clone(),
                    to_columns: fk.ref_columns.clone(),
                    kind: RelationKind::Declared,
                    location: fk.location.clone(),
                });
            }
        }
    }
}

/// Adds relationships no foreign key declares, marked inferred: from the
/// `JOIN … ON a.x = b.id` conditions of the queries code runs (the side
/// whose column is its table's single-column primary key is the parent),
/// then from column names (`org_id` → `orgs` / `organizations`… when such
/// a table has a single-column primary key). A pair already related by a
/// foreign key or Drizzle `relations()` is not repeated.
pub fn infer(model: &mut Model) {
    let mut found: Vec<Relationship> = Vec::new();
    // `dmqa.toml` first: what the team says beats what dmqa guesses.
    for c in &model.overrides.relationships {
        let ((ft, fc), (tt, tc)) = (&c.from, &c.to);
        let Some(db) = model
            .databases
            .iter()
            .find(|d| table(d, ft).is_some() && table(d, tt).is_some())
        else {
            model.diagnostics.push(crate::model::Diagnostic::warning(
                c.location.clone(),
                crate::model::Code::ConfigUnknownTable,
                format!("no database has both `{ft}` and `{tt}`: relationship {ft}.{fc} → {tt}.{tc} left out"),
            ));
            continue;
        };
        found.push(Relationship {
            database: db.id.clone(),
            from_table: ft.clone(),
            from_columns: vec![fc.clone()],
            to_table: tt.clone(),
            to_columns: vec![tc.clone()],
            kind: RelationKind::Configured,
            location: c.location.clone(),
        });
    }
    for op in &model.resource_ops {
        let Some(db) = super::database_of_op(model, op).and_then(|i| model.databases.get(i)) else {
            continue;
        };
        for (lt, lc, rt, rc) in op.queries.iter().flat_map(|q| &q.joins) {
            let (Some(l), Some(r)) = (table(db, lt), table(db, rt)) else {
                continue;
            };
            let (child, child_col, parent, parent_col) = if is_single_key(r, rc) {
                (l, lc, r, rc)
            } else if is_single_key(l, lc) {
                (r, rc, l, lc)
            } else {
                continue;
            };
            found.push(Relationship {
                database: db.id.clone(),
                from_table: child.name.clone(),
                from_columns: vec![child_col.clone()],
                to_table: parent.name.clone(),
                to_columns: vec![parent_col.clone()],
                kind: RelationKind::Inferred,
                location: op.location.clone(),
            });
        }
    }
    for db in &model.databases {
        for t in &db.tables {
            for c in &t.columns {
                let Some(stem) = c.name.strip_suffix("_id").filter(|s| !s.is_empty()) else {
                    continue;
                };
                if t.foreign_keys.iter().any(|f| f.columns.contains(&c.name)) {
                    continue;
                }
                let Some(parent) = plural_candidates(stem)
                    .iter()
                    .find_map(|n| table(db, n))
                    .filter(|p| p.name != t.name && p.primary_key.len() == 1)
                else {
                    continue;
                };
                found.push(Relationship {
                    database: db.id.clone(),
                    from_table: t.name.clone(),
                    from_columns: vec![c.name.clone()],
                    to_table: parent.name.clone(),
                    to_columns: parent.primary_key.clone(),
                    kind: RelationKind::Inferred,
                    location: c.location.clone(),
                });
            }
        }
    }
    for r in found {
        let known = model.relationships.iter().any(|x| {
            x.database == r.database
                && x.from_table.eq_ignore_ascii_case(&r.from_table)
                && x.to_table.eq_ignore_ascii_case(&r.to_table)
                && (x.from_columns == r.from_columns
                    || !matches!(x.kind, RelationKind::Inferred | RelationKind::Configured))
        });
        if !known {
            model.relationships.push(r);
        }
    }
}

fn table<'d>(db: &'d crate::model::Database, name: &str) -> Option<&'d crate::model::Table> {
    crate::model::table_named(&db.tables, name)
}

fn is_single_key(t: &crate::model::Table, column: &str) -> bool {
    matches!(t.primary_key.as_slice(), [k] if k.eq_ignore_ascii_case(column))
}

/// Table names a `stem_id` column may point at: `org` → `org`, `orgs`,
/// `organizations`; `category` → `categories`; `box` → `boxes`.
fn plural_candidates(stem: &str) -> Vec<String> {
    let mut out = vec![stem.to_owned(), format!("{stem}s"), format!("{stem}es")];
    if let Some(base) = stem.strip_suffix('y') {
        out.push(format!("{base}ies"));
    }
    match stem {
        "org" => out.push("organizations".into()),
        "user" | "owner" | "author" | "creator" => out.push("users".into()),
        "person" => out.push("people".into()),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_candidates_cover_common_forms() {
        assert!(plural_candidates("org").contains(&"organizations".to_owned()));
        assert!(plural_candidates("category").contains(&"categories".to_owned()));
        assert!(plural_candidates("app").contains(&"apps".to_owned()));
        assert!(plural_candidates("owner").contains(&"users".to_owned()));
    }
}
