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
    let mut entries: Vec<String> = Vec::new();
    let mut seen = vec![actor.clone()];
    let mut frontier = vec![actor];
    for _ in 0..8 {
        let mut next = Vec::new();
        for f in &frontier {
            if cloudflare::is_entry(Lang::Rust, f) {
                let entry = cloudflare::entry_name(Lang::Rust, f);
                if !entries.contains(&entry) {
                    entries.push(entry);
                }
                continue;
            }
            for c in callers
                .get(&(scope.to_owned(), f.clone()))
                .map_or(&[][..], Vec::as_slice)
            {
                if !seen.contains(c) && seen.len() < 256 {
                    seen.push(c.clone());
                    next.push(c.clone());
                }
            }
        }
        frontier = next;
    }
    entries.sort();
    op.anchors = entries
        .iter()
        .map(|e| (e.clone(), op.location.clone()))
        .collect();
    op.entries = entries;
}
