//! A name-based call graph, scoped per Worker: which entry points reach a
//! function, and where in each entry point the call leading there is.
//!
//! Functions are matched by name (`helper(…)`, `this.helper(…)`,
//! `store.save(…)`), not by type, so the graph is scoped to the Worker whose
//! config folder holds the file: two Workers' `handleRequest` never mix.
//! Walks are bounded in depth and breadth.

use super::bindings::OP_METHODS;
use super::index::CodeIndex;
use super::syntax::location;
use crate::model::{Location, ResourceOp, Worker};
use std::collections::HashMap;

/// Names of entry points: Worker handlers, Durable Object handlers and
/// routes (`GET /v1/apps`).
pub fn is_entry(name: &str) -> bool {
    matches!(
        name,
        "fetch"
            | "queue"
            | "scheduled"
            | "email"
            | "tail"
            | "alarm"
            | "webSocketMessage"
            | "webSocketClose"
            | "webSocketError"
    ) || crate::model::is_route(name)
}

/// Callers and call sites by Worker scope.
pub struct CallGraph {
    /// Worker config folders, deepest first.
    scopes: Vec<String>,
    /// (scope, callee) → callers.
    callers: HashMap<(String, String), Vec<String>>,
    /// (scope, caller, callee) → the first call's location.
    sites: HashMap<(String, String, String), Location>,
}

impl CallGraph {
    /// Builds the graph of every call in the index.
    pub fn new(index: &CodeIndex<'_>, workers: &[Worker]) -> Self {
        let mut scopes: Vec<String> = workers
            .iter()
            .map(|w| {
                w.location
                    .path
                    .rsplit_once('/')
                    .map_or("", |(d, _)| d)
                    .to_owned()
            })
            .collect();
        scopes.sort_by_key(|s| std::cmp::Reverse(s.len()));
        scopes.dedup();
        let mut g = CallGraph {
            scopes,
            callers: HashMap::new(),
            sites: HashMap::new(),
        };
        for f in &index.files {
            let scope = g.scope_of(f.path);
            for (inner, outer) in &f.nested {
                let list = g.callers.entry((scope.clone(), inner.clone())).or_default();
                if !list.contains(outer) {
                    list.push(outer.clone());
                }
            }
            for c in &f.calls {
                let Some(from) = &c.enclosing else { continue };
                // The name after the last dot; binding methods name no
                // function of ours.
                let name = c.callee.rsplit('.').next().unwrap_or(&c.callee);
                if name.is_empty() || OP_METHODS.contains(&name) {
                    continue;
                }
                let list = g
                    .callers
                    .entry((scope.clone(), name.to_owned()))
                    .or_default();
                if !list.contains(from) {
                    list.push(from.clone());
                }
                g.sites
                    .entry((scope.clone(), from.clone(), name.to_owned()))
                    .or_insert_with(|| location(f.path, c.node));
            }
        }
        g
    }

    /// The Worker folder a file belongs to (`""` outside every Worker).
    pub fn scope_of(&self, path: &str) -> String {
        self.scopes
            .iter()
            .find(|d| d.is_empty() || path.starts_with(&format!("{d}/")))
            .cloned()
            .unwrap_or_default()
    }

    fn callers_of(&self, scope: &str, name: &str) -> &[String] {
        self.callers
            .get(&(scope.to_owned(), name.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// The first call site on the way from `caller` down through `callee`
    /// to `actor`.
    fn site_below(
        &self,
        scope: &str,
        caller: &str,
        callee: &str,
        actor: &str,
        toward: &HashMap<String, String>,
    ) -> Option<Location> {
        let (mut from, mut to) = (caller.to_owned(), callee.to_owned());
        for _ in 0..16 {
            if let Some(site) = self
                .sites
                .get(&(scope.to_owned(), from.clone(), to.clone()))
            {
                return Some(site.clone());
            }
            if to == actor {
                return None;
            }
            let below = toward.get(&to)?.clone();
            from = std::mem::replace(&mut to, below);
        }
        None
    }

    /// Fills `op.entries` (the entry points reaching its actor) and
    /// `op.anchors` (where in each the call leading to it is).
    pub fn place(&self, op: &mut ResourceOp) {
        let Some(actor) = op.actor.clone() else {
            return;
        };
        let scope = self.scope_of(&op.location.path);
        // Breadth-first up the callers, remembering for each function the
        // one it was reached from (toward the operation), so the call
        // leading there can be found below a caller that has none of its
        // own (a handler wired as `queue: reindex` calls nothing itself).
        let mut entries: Vec<(String, Location)> = Vec::new();
        let mut toward: HashMap<String, String> = HashMap::new();
        let mut seen: Vec<String> = vec![actor.clone()];
        let mut frontier: Vec<String> = vec![actor.clone()];
        for _ in 0..8 {
            let mut next = Vec::new();
            for f in &frontier {
                if is_entry(f) {
                    if *f == actor && !entries.iter().any(|(e, _)| e == f) {
                        entries.push((f.clone(), op.location.clone()));
                    }
                    continue;
                }
                for caller in self.callers_of(&scope, f) {
                    if is_entry(caller) && !entries.iter().any(|(e, _)| e == caller) {
                        let site = self.site_below(&scope, caller, f, &actor, &toward);
                        entries.push((caller.clone(), site.unwrap_or_else(|| op.location.clone())));
                    }
                    if !seen.contains(caller) && seen.len() < 256 {
                        seen.push(caller.clone());
                        toward.insert(caller.clone(), f.clone());
                        next.push(caller.clone());
                    }
                }
            }
            frontier = next;
        }
        entries.sort();
        op.entries = entries.iter().map(|(e, _)| e.clone()).collect();
        op.anchors = entries;
    }
}
