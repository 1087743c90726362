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
