//! The link stage: decisions that join facts several readers made, between
//! reading and analysis. Which SQL folder is which database
//! ([`plan_databases`], from wrangler configs, drizzle configs and the SQL
//! itself), and which database a Drizzle table, a Drizzle `relations()` or
//! a Durable Object's SQL belongs to ([`tables`], [`relations`]); the
//! tables of a D1 binding no schema declares, from its queries
//! ([`queried`]). Each
//! decision is made here once and unit-tested with hand-built facts.

mod databases;
mod queried;
mod tables;

pub(crate) use databases::plan_databases;
pub use queried::queried;
pub use tables::{relations, tables};
