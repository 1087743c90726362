//! Analysis: everything dmqa concludes from a finished model.
//!
//! Builds the per-resource views of what the Workers declare (buckets,
//! namespaces, queues, Durable Objects), the relationships between tables,
//! and the recommendations. It reads only the [`Model`]: no files, no
//! parsers.

mod access;
pub(crate) mod estimates;
mod flows;
pub mod planner;
mod relationships;
mod resources;
pub mod rules;
pub mod suppress;

use crate::model::{DatabaseOrigin, Model, ResourceOp, Worker};

/// What a binding of `kind` named `name` points at in config (queue name,
/// DO class, …), else the binding name itself.
fn binding_target(model: &Model, kind: crate::model::BindingKind, name: &str) -> String {
    model
        .workers
        .iter()
        .flat_map(|w| &w.bindings)
        .find(|b| b.kind == kind && b.name == name)
        .and_then(|b| b.target.clone())
        .unwrap_or_else(|| name.to_owned())
}

/// The queues a send reaches: what its binding names in the operation's
/// Worker and each of its environments (`[env.staging]` may point the same
/// binding at another queue), else wherever config binds that name.
fn queue_names(model: &Model, op: &ResourceOp) -> Vec<String> {
    let owner = Worker::owning(&model.workers, &op.location.path);
    let mut names: Vec<String> = owner
        .into_iter()
        .flat_map(|o| o.family(&model.workers))
        .flat_map(|w| &w.bindings)
        .filter(|b| b.kind == crate::model::BindingKind::QueueProducer && b.name == op.binding)
        .filter_map(|b| b.target.clone())
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        names.push(binding_target(
            model,
            crate::model::BindingKind::QueueProducer,
            &op.binding,
        ));
    }
    names
}

/// The database a D1 operation's binding reaches: the one the operation's
/// Worker binds under that name, else any database with that binding; for
/// an operation with no binding, the one D1 database holding every table
/// its SQL names.
pub(crate) fn database_of_op(model: &Model, op: &ResourceOp) -> Option<usize> {
    if let Some(class) = &op.durable_object {
        return model.databases.iter().position(
            |d| matches!(&d.origin, DatabaseOrigin::DurableObject { class: c } if c == class),
        );
    }
    // A Postgres client with no binding: the only database of its engine,
    // else the one whose schema folder shares the most folders with the
    // code (`apps/billing/migrations` for `apps/billing/src/db.ts`).
    if let Some(engine) = op.engine {
        let of: Vec<(usize, usize)> = model
            .databases
            .iter()
            .enumerate()
            .filter(|(_, d)| d.engine == engine)
            .map(|(i, d)| (i, shared_folders(&d.id, &op.location.path)))
            .collect();
        if let [(only, _)] = of.as_slice() {
            return Some(*only);
        }
        return nearest(&of);
    }
    // An ORM query: the database its table was placed in.
    if let Some(at) = &op.table_location
        && let Some(i) = model.databases.iter().position(|d| {
            d.orm_tables
                .iter()
                .chain(d.tables.iter())
                .any(|t| t.location == *at)
        })
    {
        return Some(i);
    }
    // A query on a client dmqa could not follow (a query builder handed
    // in as a parameter): the one database holding every table it names.
    if op.binding.is_empty() {
        let named: Vec<&String> = op.queries.iter().flat_map(|q| &q.tables).collect();
        if named.is_empty() {
            return None;
        }
        let mut holding = model.databases.iter().enumerate().filter(|(_, d)| {
            d.engine == crate::model::Engine::D1
                && named
                    .iter()
                    .all(|n| d.tables.iter().any(|t| t.name.eq_ignore_ascii_case(n)))
        });
        return match (holding.next(), holding.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        };
    }
    let worker = Worker::owning(&model.workers, &op.location.path);
    model
        .databases
        .iter()
        .position(|d| {
            d.bindings
                .iter()
                .any(|b| b.binding == op.binding && worker.is_some_and(|w| w.name == b.worker))
        })
        .or_else(|| {
            model
                .databases
                .iter()
                .position(|d| d.bindings.iter().any(|b| b.binding == op.binding))
        })
}

/// The one candidate with the highest score above 0; none on a tie.
pub(crate) fn nearest<T: Copy>(scored: &[(T, usize)]) -> Option<T> {
    let best = scored.iter().map(|(_, n)| *n).max().filter(|n| *n > 0)?;
    let mut top = scored.iter().filter(|(_, n)| *n == best);
    match (top.next(), top.next()) {
        (Some((t, _)), None) => Some(*t),
        _ => None,
    }
}

/// How many leading folders `a` and the folder of file `b` share.
pub(crate) fn shared_folders(a: &str, b: &str) -> usize {
    let folder = b.rsplit_once('/').map_or("", |(d, _)| d);
    a.split('/')
        .zip(folder.split('/'))
        .take_while(|(x, y)| x == y && !x.is_empty())
        .count()
}

/// Fills the derived parts of `model` and sorts it.
pub fn analyze(model: &mut Model) {
    crate::link::tables(model);
    crate::link::queried(model);
    spell_tables_as_declared(model);
    resources::collect(model);
    relationships::collect(model);
    crate::link::relations(model);
    relationships::infer(model);
    flows::collect(model);
    access::collect(model);
    estimates::collect(model);
    rules::run(model);
    model.normalize();
}

/// Table names in code as the schema spells them: SQLite matches names
/// in any case, so `prisma.user` queries the table `User`, and every
/// later step (patterns, flows, index advice) must say `User`.
fn spell_tables_as_declared(model: &mut Model) {
    for i in 0..model.resource_ops.len() {
        let op = &model.resource_ops[i];
        if !op.is_query() {
            continue;
        }
        let Some(db) = database_of_op(model, op) else {
            continue;
        };
        let declared: Vec<String> = model.databases[db]
            .tables
            .iter()
            .map(|t| t.name.clone())
            .collect();
        let spell = |name: &mut String| {
            if let Some(d) = declared
                .iter()
                .find(|d| *d != name && d.eq_ignore_ascii_case(name))
            {
                name.clone_from(d);
            }
        };
        let op = &mut model.resource_ops[i];
        op.tables.iter_mut().for_each(spell);
        for q in &mut op.queries {
            spell(&mut q.table);
            q.tables.iter_mut().for_each(spell);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shared_folders;

    #[test]
    fn shared_folders_counts_whole_leading_folders() {
        assert_eq!(
            shared_folders("apps/billing/migrations", "apps/billing/src/db.ts"),
            2
        );
        assert_eq!(
            shared_folders("apps/billing2/migrations", "apps/billing/src/db.ts"),
            1
        );
        assert_eq!(shared_folders("migrations", "src/db.ts"), 0);
        assert_eq!(shared_folders("migrations", "db.ts"), 0);
    }
}
