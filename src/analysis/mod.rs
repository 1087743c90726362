//! Analysis: everything dmqa concludes from a finished model.
//!
//! Builds the per-resource views of what the Workers declare (buckets,
//! namespaces, queues, Durable Objects), the relationships between tables,
//! and the recommendations. It reads only the [`Model`]: no files, no
//! parsers.

mod access;
mod estimates;
mod flows;
mod link;
mod relationships;
mod resources;
pub mod rules;

use crate::model::Model;

/// Fills the derived parts of `model` and sorts it.
pub fn analyze(model: &mut Model) {
    link::tables(model);
    resources::collect(model);
    relationships::collect(model);
    link::relations(model);
    flows::collect(model);
    access::collect(model);
    estimates::collect(model);
    rules::run(model);
    model.normalize();
}
