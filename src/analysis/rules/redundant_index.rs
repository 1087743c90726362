//! `redundant-index`: an index another index (or the primary key) already
//! covers.
use crate::analysis::database_of_op;
use crate::model::{
    Engine, EntryPoint, Finding, FindingSeverity, Fix, Index, IndexOrigin, Model, RuleId, Subject,
    Topic,
};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "An index another index or the primary key already covers.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A non-unique index whose columns are the leading columns, in order, of
another index or of the primary key, or a unique index duplicating a
UNIQUE constraint or the primary key on the same columns.

## Why it matters
Every insert and update maintains it for nothing, and on D1 it counts
against storage: the longer index answers the same lookups. D1 bills an
insert one written row for the table and one per index; when a request or
a consumer inserts into the table, the row says how many.

## Example
`idx_email (email)` beside `UNIQUE (email)` → `DROP INDEX idx_email;`
";

/// `; each insert on POST /x writes 4 rows (the row and 3 indexes)`, when
/// a request or consumer inserts into the SQLite table `t`.
fn written_per_insert(model: &Model, db: usize, t: &crate::model::Table) -> String {
    let entries = hot_inserters(model, db, &t.name);
    if entries.is_empty() || !model.databases[db].engine.is_sqlite() {
        return String::new();
    }
    // A WITHOUT ROWID table is its primary key's index.
    let indexes = t
        .indexes
        .iter()
        .filter(|i| !(t.without_rowid && i.origin == IndexOrigin::PrimaryKey))
        .count();
    format!(
        "; each insert on {} writes {} rows (the row and {indexes} indexes), this one among them",
        crate::render::words::entry_list(entries.iter().copied()),
        1 + indexes,
    )
}

fn names(i: &Index) -> Vec<String> {
    i.columns
        .iter()
        .map(|c| c.name.to_ascii_lowercase())
        .collect()
}

/// The request and consumer entry points inserting into table `table` of
/// database `db`, in order.
fn hot_inserters<'m>(model: &'m Model, db: usize, table: &str) -> Vec<&'m EntryPoint> {
    let mut out: Vec<&EntryPoint> = model
        .resource_ops
        .iter()
        .filter(|o| o.is_query() && database_of_op(model, o) == Some(db))
        .filter(|o| {
            o.queries
                .iter()
                .any(|q| q.operation.verb.inserts() && q.table.eq_ignore_ascii_case(table))
        })
        .flat_map(|o| o.hot_entries())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// One finding per redundant index.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for (di, db) in model.databases.iter().enumerate() {
        for t in &db.tables {
            let pk: Vec<String> = t
                .primary_key
                .iter()
                .map(|c| c.to_ascii_lowercase())
                .collect();
            for a in t.indexes.iter().filter(|i| {
                matches!(i.origin, IndexOrigin::Explicit | IndexOrigin::Inline)
                    && i.partial.is_none()
            }) {
                let cols = names(a);
                let prefix_of =
                    |other: &[String]| other.len() >= cols.len() && other[..cols.len()] == cols[..];
                let by_index = t.indexes.iter().find(|b| {
                    !std::ptr::eq(*b, a)
                        && b.partial.is_none()
                        && (if a.unique {
                            b.unique && names(b) == cols && b.origin != IndexOrigin::Explicit
                        } else {
                            prefix_of(&names(b))
                                && (names(b).len() > cols.len() || b.unique || b.name < a.name)
                        })
                });
                let by_pk = !pk.is_empty() && (if a.unique { pk == cols } else { prefix_of(&pk) });
                let covering = match (by_index, by_pk) {
                    (Some(b), _) => match b.origin {
                        IndexOrigin::UniqueConstraint => {
                            format!("the UNIQUE constraint on ({})", names(b).join(", "))
                        }
                        IndexOrigin::PrimaryKey => {
                            format!("the primary key ({})", names(b).join(", "))
                        }
                        _ => format!("`{}` ({})", b.name, names(b).join(", ")),
                    },
                    (None, true) => format!("the primary key ({})", pk.join(", ")),
                    (None, false) => continue,
                };
                out.push(
                    Finding::new(
                        RuleId::RedundantIndex,
                        FindingSeverity::Warning,
                        Topic::Indexes,
                        Subject::table(&t.name),
                        format!(
                            "`{}` ({}) is covered by {covering}{}",
                            a.name,
                            cols.join(", "),
                            written_per_insert(model, di, t)
                        ),
                    )
                    .fix(Fix::DropIndex {
                        index: a.name.clone(),
                        on_table: (db.engine == Engine::MySql).then(|| t.name.clone()),
                    })
                    .at(vec![a.location.clone()]),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    const WRANGLER: &str = testing::D1;

    fn rows_for(sql: &str) -> Vec<testing::Row> {
        rows(
            RuleId::RedundantIndex,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                ("migrations/0001.sql", sql),
            ],
        )
    }

    #[test]
    fn fires_on_an_index_a_unique_constraint_already_covers() {
        let rows = rows_for(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);\n\
             CREATE INDEX idx_users_email ON users(email);\n",
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "Indexes (users)");
        assert_eq!(rows[0][2], "⚠️ Drop it: `DROP INDEX idx_users_email;`");
    }

    /// A request inserting into the table: the row counts what each
    /// insert writes.
    #[test]
    fn counts_the_rows_a_hot_insert_writes() {
        let rows = rows(
            RuleId::RedundantIndex,
            &[
                ("wrangler.toml", &wrangler(WRANGLER)),
                (
                    "migrations/0001.sql",
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);\n\
                     CREATE INDEX idx_users_email ON users(email);\n\
                     CREATE INDEX idx_users_name ON users(name);\n",
                ),
                (
                    "src/index.ts",
                    &testing::fetch(
                        "    await env.DB.prepare(\"INSERT INTO users (email, name) VALUES (?, ?)\").bind(\"a\", \"b\").run();",
                    ),
                ),
            ],
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            rows[0][1],
            "`idx_users_email` (email) is covered by the UNIQUE constraint on (email); each insert on fetch writes 4 rows (the row and 3 indexes), this one among them"
        );
    }

    #[test]
    fn stays_silent_on_an_index_nothing_else_covers() {
        let rows = rows_for(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);\n\
             CREATE INDEX idx_users_email_name ON users(email, name);\n",
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
