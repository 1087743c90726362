//! Mermaid diagrams GitHub renders inline (opt-in: `--diagrams` or
//! `diagrams = true`): an `erDiagram` per database and the data flows as a
//! `flowchart`.
//!
//! Names come from the checkout, so none reaches Mermaid as syntax: an
//! entity or attribute name is reduced to the characters Mermaid reads as
//! a word (the real name shown as the entity's label when they differ),
//! and a label is quoted with its quotes and angle brackets replaced.

use crate::model::{Database, Flow, FlowStep, Model, RelationKind};
use std::collections::{BTreeMap, BTreeSet};

/// Tables per diagram: Mermaid lays a larger one out unreadably (and
/// GitHub stops rendering past 50,000 characters).
const MAX_TABLES: usize = 30;

/// One `erDiagram` block.
#[derive(Debug, serde::Serialize)]
pub struct ErDiagram {
    /// The database it draws, when the checkout has several.
    pub database: Option<String>,
    /// `1/2` when a database is split over several diagrams.
    pub part: Option<String>,
    /// The Mermaid source.
    pub mermaid: String,
}

/// `name` as a Mermaid word: letters, digits and `_` kept, anything else
/// `_`, never empty nor starting with a digit, and never one of the key
/// words an attribute line ends with (`PK`, `FK`, `UK`, any case).
fn word(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if matches!(out.to_ascii_uppercase().as_str(), "PK" | "FK" | "UK") {
        out.push('_');
    }
    out
}

/// `text` inside Mermaid's double quotes: no quote, angle bracket or line
/// break can end or mark it up.
fn label(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '<' => '‹',
            '>' => '›',
            '\n' | '\r' | '\t' => ' ',
            '`' => '\'',
            c => c,
        })
        .collect()
}

/// The entity ids of one database's tables: each name's word, made unique
/// with a number when two names reduce to the same word.
fn entity_ids(db: &Database) -> BTreeMap<&str, String> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut ids = BTreeMap::new();
    for t in &db.tables {
        // Prefixed: a table may be named like a Mermaid keyword (`end`,
        // `class`, `one`); its name shows as the entity's label.
        let base = format!("t_{}", word(&t.name));
        let mut id = base.clone();
        let mut n = 2;
        while !used.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        ids.insert(t.name.as_str(), id);
    }
    ids
}

/// The `erDiagram`s of every database with tables: one per database, or
/// several of at most [`MAX_TABLES`] tables each for a large one, related
/// tables kept together.
pub fn er_diagrams(model: &Model) -> Vec<ErDiagram> {
    let named = model
        .databases
        .iter()
        .filter(|d| !d.tables.is_empty())
        .count()
        > 1;
    let mut out = Vec::new();
    for db in model.databases.iter().filter(|d| !d.tables.is_empty()) {
        let ids = entity_ids(db);
        let rels: Vec<_> = model
            .relationships
            .iter()
            .filter(|r| r.database == db.id)
            .filter(|r| {
                ids.contains_key(r.from_table.as_str()) && ids.contains_key(r.to_table.as_str())
            })
            .collect();
        let groups = groups(db, &rels);
        let parts = groups.len();
        for (i, tables) in groups.into_iter().enumerate() {
            let mut text = String::from("erDiagram\n");
            for t in db
                .tables
                .iter()
                .filter(|t| tables.contains(t.name.as_str()))
            {
                let id = &ids[t.name.as_str()];
                text.push_str("    ");
                text.push_str(&format!("{id}[\"{}\"] {{\n", label(&t.name)));
                let fk: BTreeSet<&str> = t
                    .foreign_keys
                    .iter()
                    .flat_map(|f| f.columns.iter().map(String::as_str))
                    .collect();
                for c in &t.columns {
                    let ty = if c.sql_type.trim().is_empty() {
                        "ANY".to_owned()
                    } else {
                        word(&c.sql_type)
                    };
                    let mut keys = Vec::new();
                    if c.primary_key_position > 0 {
                        keys.push("PK");
                    }
                    if fk.contains(c.name.as_str()) {
                        keys.push("FK");
                    }
                    text.push_str(&format!("        {ty} {}", word(&c.name)));
                    if !keys.is_empty() {
                        text.push(' ');
                        text.push_str(&keys.join(", "));
                    }
                    if word(&c.name) != c.name {
                        text.push_str(&format!(" \"{}\"", label(&c.name)));
                    }
                    text.push('\n');
                }
                text.push_str("    }\n");
            }
            for r in rels.iter().filter(|r| {
                tables.contains(r.from_table.as_str()) && tables.contains(r.to_table.as_str())
            }) {
                let required = db
                    .tables
                    .iter()
                    .find(|t| t.name == r.from_table)
                    .is_some_and(|t| r.is_required(t));
                let line = match r.kind {
                    RelationKind::Declared | RelationKind::DrizzleRelations => "--",
                    RelationKind::Inferred | RelationKind::Configured => "..",
                };
                text.push_str(&format!(
                    "    {} {}{line}o{{ {} : \"{}\"\n",
                    ids[r.to_table.as_str()],
                    if required { "||" } else { "|o" },
                    ids[r.from_table.as_str()],
                    label(&r.from_columns.join(", "))
                ));
            }
            out.push(ErDiagram {
                database: named.then(|| db.short_label().to_owned()),
                part: (parts > 1).then(|| format!("{}/{parts}", i + 1)),
                mermaid: text,
            });
        }
    }
    out
}

/// The tables of a database in groups of at most [`MAX_TABLES`]: connected
/// tables (by relationship) together as far as they fit, groups filled in
/// table-name order.
fn groups<'a>(db: &'a Database, rels: &[&'a crate::model::Relationship]) -> Vec<BTreeSet<&'a str>> {
    if db.tables.len() <= MAX_TABLES {
        return vec![db.tables.iter().map(|t| t.name.as_str()).collect()];
    }
    // Connected components, by union-find over table names.
    let mut parent: BTreeMap<&str, &str> = db
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.name.as_str()))
        .collect();
    fn root<'a>(parent: &BTreeMap<&'a str, &'a str>, mut x: &'a str) -> &'a str {
        while parent[x] != x {
            x = parent[x];
        }
        x
    }
    for r in rels {
        let (a, b) = (root(&parent, &r.from_table), root(&parent, &r.to_table));
        if a != b {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            parent.insert(hi, lo);
        }
    }
    let mut components: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &db.tables {
        components
            .entry(root(&parent, &t.name))
            .or_default()
            .push(&t.name);
    }
    let mut out: Vec<BTreeSet<&str>> = Vec::new();
    let mut current: BTreeSet<&str> = BTreeSet::new();
    for (_, members) in components {
        for chunk in members.chunks(MAX_TABLES) {
            if current.len() + chunk.len() > MAX_TABLES && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            current.extend(chunk.iter().copied());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A resource a flow step touches, as a node (`R2 BUNDLES`, `D1 notes-db`),
/// and the details its edge carries (prefixes, tables). A database is
/// named when the checkout has several of its engine and only one holds
/// tables the step names.
fn resource(model: &Model, s: &FlowStep) -> Option<(String, Vec<String>)> {
    let details = |label: String, d: &[String]| Some((label, d.to_vec()));
    match s {
        FlowStep::R2 { binding, prefixes } => details(format!("R2 {binding}"), prefixes),
        FlowStep::Database { engine, tables } => {
            let holding: Vec<&Database> = model
                .databases
                .iter()
                .filter(|d| d.engine == *engine)
                .filter(|d| tables.iter().any(|t| d.tables.iter().any(|x| x.name == *t)))
                .collect();
            let several = model
                .databases
                .iter()
                .filter(|d| d.engine == *engine)
                .count()
                > 1;
            let name = match holding.as_slice() {
                [db] if several => format!("{} {}", engine.label(), db.short_label()),
                _ => engine.label().to_owned(),
            };
            details(name, tables)
        }
        // Drawn as the consumer's own entry point, which the queue's node
        // points to.
        FlowStep::Consumer { .. } => None,
        other => Some((super::words::flow_step(other), Vec::new())),
    }
}

/// The data flows as one `flowchart LR`: each entry point (inside its
/// Worker's box when the checkout has several) pointing at every resource
/// it touches, the tables or prefixes on the arrow; a queue pointing, dotted,
/// at the consumer entry point of the same queue.
pub fn flowchart(model: &Model) -> Option<String> {
    let flows = &model.flows;
    if flows.is_empty() {
        return None;
    }
    // Node text → id, in first-seen order over flows sorted by entry.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut id = |text: &str, ids: &mut BTreeMap<String, String>| -> String {
        if let Some(i) = ids.get(text) {
            return i.clone();
        }
        let i = format!("n{}", ids.len());
        ids.insert(text.to_owned(), i.clone());
        order.push(text.to_owned());
        i
    };
    let mut flows: Vec<(&Flow, String)> = flows
        .iter()
        .map(|f| (f, super::words::flow_entry(f)))
        .collect();
    flows.sort_by(|a, b| (&a.0.worker, &a.1).cmp(&(&b.0.worker, &b.1)));
    let mut workers: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    // (from, to) → details on the arrow; dotted arrows apart.
    let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut dotted: BTreeSet<(String, String)> = BTreeSet::new();
    let mut queues_sent: Vec<(String, Vec<String>)> = Vec::new();
    let mut consumers: Vec<(String, Vec<String>)> = Vec::new();
    for (f, entry) in &flows {
        // Inside its Worker's box, an entry point needs no `[worker]`.
        let shown = f
            .worker
            .as_ref()
            .and_then(|w| entry.strip_prefix(&format!("[{w}] ")))
            .unwrap_or(entry);
        let from = id(
            &format!(
                "entry\u{1f}{shown}\u{1f}{}",
                f.worker.as_deref().unwrap_or("")
            ),
            &mut ids,
        );
        if let Some(w) = &f.worker {
            workers.entry(w.as_str()).or_default().insert(from.clone());
        }
        if let crate::model::FlowEntry::Queues { queues } = &f.entry {
            consumers.push((from.clone(), queues.clone()));
        }
        for s in &f.steps {
            if matches!(s, FlowStep::Consumer { .. }) {
                // What follows is the consumer's: drawn from its own entry.
                break;
            }
            let Some((node, details)) = resource(model, s) else {
                continue;
            };
            let to = id(&format!("res\u{1f}{node}"), &mut ids);
            if let FlowStep::Queue { queues, .. } = s {
                queues_sent.push((to.clone(), queues.clone()));
            }
            edges.entry((from.clone(), to)).or_default().extend(details);
        }
    }
    for (queue, sent) in &queues_sent {
        for (consumer, consumed) in &consumers {
            if sent.iter().any(|q| consumed.contains(q)) {
                dotted.insert((queue.clone(), consumer.clone()));
            }
        }
    }
    let node = |text: &str| -> String {
        let mut parts = text.split('\u{1f}');
        let kind = parts.next().unwrap_or("res");
        let shown = parts.next().unwrap_or(text);
        let i = &ids[text];
        match kind {
            "entry" => format!("{i}([\"{}\"])", label(shown)),
            _ => format!("{i}[\"{}\"]", label(shown)),
        }
    };
    // In node order, not the ids' text order (`n10` before `n2`).
    let num = |i: &str| i[1..].parse::<usize>().unwrap_or(usize::MAX);
    let by_id: BTreeMap<&String, &String> = ids.iter().map(|(t, i)| (i, t)).collect();
    let mut text = String::from("flowchart LR\n");
    for (n, (w, members)) in workers.iter().enumerate() {
        text.push_str(&format!("    subgraph w{n}[\"{}\"]\n", label(w)));
        let mut members: Vec<&String> = members.iter().collect();
        members.sort_by_key(|m| num(m));
        for m in members {
            text.push_str(&format!("        {}\n", node(by_id[m])));
        }
        text.push_str("    end\n");
    }
    for t in &order {
        let i = &ids[t];
        let in_box = workers.values().any(|m| m.contains(i));
        if !in_box {
            text.push_str(&format!("    {}\n", node(t)));
        }
    }
    let mut edges: Vec<_> = edges.into_iter().collect();
    edges.sort_by_key(|((from, to), _)| (num(from), num(to)));
    for ((from, to), details) in &edges {
        if details.is_empty() {
            text.push_str(&format!("    {from} --> {to}\n"));
        } else {
            let shown: Vec<&str> = details.iter().map(String::as_str).collect();
            text.push_str(&format!(
                "    {from} -->|\"{}\"| {to}\n",
                label(&shown.join(", "))
            ));
        }
    }
    for (from, to) in &dotted {
        text.push_str(&format!("    {from} -.-> {to}\n"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_words_and_labels_cannot_close_their_quotes() {
        assert_eq!(word("user-accounts"), "user_accounts");
        assert_eq!(word("2fa"), "_2fa");
        assert_eq!(word(""), "_");
        assert_eq!(word("DECIMAL(10,2)"), "DECIMAL_10_2_");
        assert_eq!(word("pk"), "pk_");
        assert_eq!(word("Fk"), "Fk_");
        assert_eq!(word("pkey"), "pkey");
        assert_eq!(label("a\"] --> x[\"b<script>"), "a'] --› x['b‹script›");
    }
}
