//! The entry points reaching a function, by name up its callers within
//! one Worker (bounded in depth and breadth), as in the TypeScript call
//! graph.

use super::*;

/// The Worker config whose folder holds `path` (`""` outside every one).
pub(crate) fn scope_of(workers: &[crate::model::Worker], path: &str) -> String {
    crate::model::Worker::owning(workers, path)
        .map(|w| w.location.path.clone())
        .unwrap_or_default()
}

/// The entry points reaching `op`'s function, by name up its callers
/// (bounded in depth and breadth), as in the TypeScript call graph.
pub(crate) fn place(
    op: &mut ResourceOp,
    callers: &HashMap<(String, String), Vec<String>>,
    scope: &str,
) {
    let Some(actor) = op.actor.clone() else {
        return;
    };
    let mut entries: Vec<EntryPoint> = cloudflare::walk_up(Lang::Rust, &actor, |f| {
        callers
            .get(&(scope.to_owned(), f.to_owned()))
            .map_or(&[][..], Vec::as_slice)
    })
    .entries
    .into_iter()
    .map(|(e, _)| cloudflare::entry_point(Lang::Rust, &e))
    .collect();
    entries.sort();
    op.anchors = entries
        .iter()
        .map(|e| (e.clone(), op.location.clone()))
        .collect();
    op.entries = entries;
}
