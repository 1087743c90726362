//! The report's view: the model's facts as the strings the template prints.
//!
//! Only presentation happens here — choosing words for facts the model
//! already holds (`No` for a NOT NULL column, `FK → apps` for a foreign
//! key, `(org_id, created_at DESC)` for an index). No new facts are
//! inferred; analysis owns those.

use super::words;
use crate::model::{
    Database, DatabaseOrigin, DoStorage, Engine, Finding, FlowStep, Index, IndexOrigin, Model,
    QueueConsumer, RelationKind, Relationship, Table,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything the template prints.
#[derive(Debug, Serialize)]
pub struct ReportView {
    /// Tables Summary rows.
    pub summary: Vec<SummaryRow>,
    /// One section per engine with tables, in engine order.
    pub engines: Vec<EngineSection>,
    /// R2 buckets.
    pub buckets: Vec<BucketView>,
    /// KV namespaces.
    pub namespaces: Vec<NamespaceView>,
    /// Queues.
    pub queues: Vec<QueueView>,
    /// Durable Objects.
    pub durable_objects: Vec<DoView>,
    /// Data flow lines.
    pub flows: Vec<String>,
    /// Recommendations rows.
    pub recommendations: Vec<RecommendationRow>,
    /// Mermaid `erDiagram`s, one per database (or part of a large one);
    /// empty unless diagrams are asked for.
    pub er_diagrams: Vec<super::mermaid::ErDiagram>,
    /// The data flows as a Mermaid `flowchart`, when diagrams are asked
    /// for and there are flows.
    pub flow_diagram: Option<String>,
}

/// A Tables Summary row.
#[derive(Debug, Serialize)]
pub struct SummaryRow {
    pub table: String,
    pub purpose: String,
    pub rows: String,
    pub relationships: String,
}

/// `## D1 Tables` and its tables.
#[derive(Debug, Serialize)]
pub struct EngineSection {
    pub label: String,
    pub tables: Vec<TableView>,
}

/// One `### Table:` section.
#[derive(Debug, Serialize)]
pub struct TableView {
    pub name: String,
    pub purpose: String,
    pub database: Option<String>,
    /// False when no schema in the checkout declares the table: its
    /// columns are the ones its queries name, its indexes unknown.
    pub schema_known: bool,
    pub columns: Vec<ColumnRow>,
    pub indexes: Vec<IndexRow>,
    pub access: Vec<AccessRow>,
    pub relationships: Vec<String>,
}

/// A Schema row.
#[derive(Debug, PartialEq, Serialize)]
pub struct ColumnRow {
    pub name: String,
    pub ty: String,
    pub nullable: String,
    pub default: String,
    pub notes: String,
}

/// An Indexes row.
#[derive(Debug, PartialEq, Serialize)]
pub struct IndexRow {
    pub name: String,
    pub columns: String,
    pub purpose: String,
}

/// An Access Patterns row.
#[derive(Debug, Serialize)]
pub struct AccessRow {
    pub operation: String,
    pub query: String,
    pub frequency: String,
}

/// One `### Bucket:` section.
#[derive(Debug, Serialize)]
pub struct BucketView {
    pub binding: String,
    pub bucket_names: String,
    pub patterns: Vec<PatternRow>,
    pub access: Vec<ActorRow>,
    /// The packages the binding is handed to, when code names no paths.
    pub handed: String,
}

/// A Path Patterns (R2) or Key Patterns (KV) row.
#[derive(Debug, Serialize)]
pub struct PatternRow {
    pub pattern: String,
    pub example: String,
    pub purpose: String,
    pub lifecycle: String,
    pub value_type: String,
    pub ttl: String,
}

fn pattern_row(p: &crate::model::KeyPattern) -> PatternRow {
    if p.pattern.is_opaque() {
        return PatternRow {
            pattern: format!("`{}`", p.pattern.notation()),
            // Said here too: the KV table has no Purpose column.
            example: "(built elsewhere: any family)".into(),
            purpose: "Opaque: from a parameter or loop variable dmqa cannot follow".into(),
            lifecycle: "Unknown".into(),
            value_type: p.value_type.map_or_else(|| "-".into(), words::value_type),
            ttl: words::ttl_cell(&p.ttl, &p.cache_ttl),
        };
    }
    PatternRow {
        pattern: format!("`{}`", p.pattern.notation()),
        example: format!("`{}`", words::key_example(&p.pattern)),
        purpose: or_dash(Some(&p.purpose)),
        lifecycle: p
            .lifecycle
            .as_ref()
            .map_or_else(|| "-".into(), words::lifecycle),
        value_type: p.value_type.map_or_else(|| "-".into(), words::value_type),
        ttl: words::ttl_cell(&p.ttl, &p.cache_ttl),
    }
}

/// An R2 Access Patterns row.
#[derive(Debug, Serialize)]
pub struct ActorRow {
    pub operation: String,
    pub actor: String,
    pub frequency: String,
}

/// One `### Namespace:` section.
#[derive(Debug, Serialize)]
pub struct NamespaceView {
    pub binding: String,
    pub patterns: Vec<PatternRow>,
    /// The packages the binding is handed to, when code names no keys.
    pub handed: String,
}

/// One `### Queue:` section.
#[derive(Debug, Serialize)]
pub struct QueueView {
    pub heading: String,
    pub consumers: Vec<String>,
    pub schema: Option<String>,
    pub steps: Vec<StepRow>,
}

/// A Processing row.
#[derive(Debug, Serialize)]
pub struct StepRow {
    pub step: String,
    pub action: String,
    pub on_failure: String,
}

/// One `### DO:` section.
#[derive(Debug, Serialize)]
pub struct DoView {
    pub class_name: String,
    pub purpose: String,
    pub storage: String,
    /// How callers pick instances; empty when the code does not show it.
    pub instances: String,
    pub state: Option<String>,
    pub methods: Vec<MethodRow>,
}

/// A Methods row.
#[derive(Debug, Serialize)]
pub struct MethodRow {
    pub method: String,
    pub purpose: String,
    pub called_by: String,
}

/// A Recommendations row.
#[derive(Debug, Serialize)]
pub struct RecommendationRow {
    pub area: String,
    pub current: String,
    pub recommendation: String,
    pub effort: String,
}

fn or_dash(s: Option<&str>) -> String {
    match s {
        Some(s) if !s.trim().is_empty() => s.to_owned(),
        _ => "-".to_owned(),
    }
}

/// Tables that print the same schema in several databases of one engine
/// (a schema mirrored in example folders, the tables a base Durable Object
/// class creates in each subclass): one section under every database that
/// has it.
struct Shown<'m> {
    engine: Engine,
    view: TableView,
    members: Vec<(&'m Database, &'m Table)>,
}

impl Shown<'_> {
    /// Whether `view` prints the same schema: name, columns, indexes and
    /// relationships (not its purpose, database or queries).
    fn same_schema(&self, engine: Engine, view: &TableView) -> bool {
        self.engine == engine
            && self.view.name == view.name
            && self.view.schema_known == view.schema_known
            && self.view.columns == view.columns
            && self.view.indexes == view.indexes
            && self.view.relationships == view.relationships
    }

    /// The section of a table several databases share: every database on
    /// its line, their queries merged.
    fn merged(mut self) -> TableView {
        if self.members.len() < 2 {
            return self.view;
        }
        let classes: Vec<&str> = self
            .members
            .iter()
            .filter_map(|(db, _)| match &db.origin {
                DatabaseOrigin::DurableObject { class } => Some(class.as_str()),
                _ => None,
            })
            .collect();
        let purposes: Vec<Option<&str>> = self
            .members
            .iter()
            .map(|(_, t)| t.purpose.as_deref())
            .collect();
        let all_do = classes.len() == self.members.len();
        if all_do {
            let names: Vec<String> = classes.iter().map(|c| format!("`{c}`")).collect();
            self.view.database = Some(format!(
                "the SQLite storage of {} Durable Object classes: {}",
                classes.len(),
                names.join(", ")
            ));
            if purposes.iter().any(|p| *p != purposes[0]) {
                self.view.purpose = match names.as_slice() {
                    [rest @ .., last] if names.len() <= 3 => format!(
                        "In the SQLite storage of each {} and {last} Durable Object",
                        rest.join(", ")
                    ),
                    _ => format!(
                        "In the SQLite storage of each object of {} Durable Object classes",
                        names.len()
                    ),
                };
            }
        } else {
            let mut lines: Vec<String> = Vec::new();
            for (db, _) in &self.members {
                let l = database_line(db);
                if !lines.contains(&l) {
                    lines.push(l);
                }
            }
            self.view.database = Some(format!(
                "the same table in {} databases: {}",
                lines.len(),
                lines.join("; ")
            ));
        }
        let mut patterns: Vec<crate::model::AccessPattern> = Vec::new();
        for (_, t) in &self.members {
            for a in &t.access_patterns {
                match patterns
                    .iter_mut()
                    .find(|p| p.operation == a.operation && p.query == a.query)
                {
                    Some(p) => {
                        for r in &a.frequency {
                            if !p.frequency.contains(r) {
                                p.frequency.push(r.clone());
                            }
                        }
                    }
                    None => patterns.push(a.clone()),
                }
            }
        }
        self.view.access = patterns.iter().map(access_row).collect();
        self.view
    }
}

/// Builds the view of `model`.
pub fn build(model: &Model) -> ReportView {
    let mut per_engine: BTreeMap<Engine, usize> = BTreeMap::new();
    for db in &model.databases {
        *per_engine.entry(db.engine).or_default() += 1;
    }
    let mut shown: Vec<Shown<'_>> = Vec::new();
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut rels_of: BTreeMap<&str, Vec<&Relationship>> = BTreeMap::new();
    for db in &model.databases {
        let rels: Vec<&Relationship> = model
            .relationships
            .iter()
            .filter(|r| r.database == db.id)
            .collect();
        let show_db = per_engine.get(&db.engine).copied().unwrap_or(0) > 1;
        for t in &db.tables {
            let view = table_view(t, db, show_db, &rels);
            let same = by_name.entry(t.name.as_str()).or_default();
            match same
                .iter()
                .copied()
                .find(|&i| shown[i].same_schema(db.engine, &view))
            {
                Some(i) => shown[i].members.push((db, t)),
                None => {
                    same.push(shown.len());
                    shown.push(Shown {
                        engine: db.engine,
                        view,
                        members: vec![(db, t)],
                    });
                }
            }
        }
        rels_of.insert(db.id.as_str(), rels);
    }
    let mut summary = Vec::new();
    let mut engines: Vec<EngineSection> = Vec::new();
    for s in shown {
        let (db, t) = s.members[0];
        let shared = s.members.len() > 1;
        // A name several sections use says which database each one is.
        let table = if by_name.get(t.name.as_str()).map_or(0, Vec::len) > 1 {
            let mut labels: Vec<&str> = Vec::new();
            for (d, _) in &s.members {
                if !labels.contains(&d.short_label()) {
                    labels.push(d.short_label());
                }
            }
            format!("{} ({})", t.name, labels.join(", "))
        } else {
            t.name.clone()
        };
        let engine = s.engine;
        let view = s.merged();
        summary.push(SummaryRow {
            table,
            purpose: if shared {
                view.purpose.clone()
            } else {
                or_dash(t.purpose.as_deref())
            },
            rows: or_dash(t.row_estimate.as_deref()),
            relationships: key_relationships(
                &t.name,
                rels_of.get(db.id.as_str()).map_or(&[][..], Vec::as_slice),
            ),
        });
        match engines.last_mut() {
            Some(sec) if sec.label == engine.label() => sec.tables.push(view),
            _ => engines.push(EngineSection {
                label: engine.label().to_owned(),
                tables: vec![view],
            }),
        }
    }
    ReportView {
        summary,
        engines,
        buckets: model
            .buckets
            .iter()
            .map(|b| BucketView {
                binding: b.binding.clone(),
                bucket_names: b.bucket_names.join(", "),
                patterns: b.path_patterns.iter().map(pattern_row).collect(),
                access: b
                    .access
                    .iter()
                    .map(|a| ActorRow {
                        operation: words::r2_access(a.operation).to_owned(),
                        actor: words::actor(&a.actor, &a.entries),
                        frequency: words::frequencies(&a.frequency),
                    })
                    .collect(),
                handed: handed(model, &b.binding),
            })
            .collect(),
        namespaces: model
            .kv_namespaces
            .iter()
            .map(|n| NamespaceView {
                binding: n.binding.clone(),
                patterns: n.key_patterns.iter().map(pattern_row).collect(),
                handed: handed(model, &n.binding),
            })
            .collect(),
        queues: model.queues.iter().map(queue_view).collect(),
        durable_objects: model
            .durable_objects
            .iter()
            .map(|d| DoView {
                class_name: d.class_name.clone(),
                purpose: or_dash(d.purpose.as_deref()),
                storage: storage_text(d.storage, d.script_name.as_deref()),
                instances: {
                    let mut said: Vec<String> = Vec::new();
                    for i in d.instances.iter().map(words::instance) {
                        if !said.contains(&i) {
                            said.push(i);
                        }
                    }
                    said.join("; ")
                },
                state: (!d.state.is_empty()).then(|| {
                    let fields: Vec<String> = d
                        .state
                        .iter()
                        // One line per item, whatever its names hold.
                        .map(|s| format!("  {};", one_line(&words::state_item(s))))
                        .collect();
                    format!("{{\n{}\n}}", fields.join("\n"))
                }),
                methods: d
                    .methods
                    .iter()
                    .map(|m| MethodRow {
                        method: format!("{}()", m.name),
                        purpose: words::method_purpose(m),
                        called_by: or_dash(Some(&words::callers(&m.called_by))),
                    })
                    .collect(),
            })
            .collect(),
        flows: flows(model),
        recommendations: recommendations(model).into_iter().map(|(_, r)| r).collect(),
        er_diagrams: Vec::new(),
        flow_diagram: None,
    }
}

fn key_relationships(table: &str, rels: &[&Relationship]) -> String {
    let mut out: Vec<String> = Vec::new();
    for r in rels.iter().filter(|r| r.from_table == table) {
        let s = format!("→ {}{}", r.to_table, inferred(r.kind));
        if !out.contains(&s) {
            out.push(s);
        }
    }
    for r in rels
        .iter()
        .filter(|r| r.to_table == table && r.from_table != table)
    {
        let s = format!("← {}{}", r.from_table, inferred(r.kind));
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        "-".to_owned()
    } else {
        out.join(", ")
    }
}

/// Where code hands `binding` to a package: `` `WorkersKVStore`
/// (`@hono-rate-limiter/cloudflare`) at src/limit.ts:23 ``.
fn handed(model: &Model, binding: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for h in model.handoffs.iter().filter(|h| h.binding == binding) {
        let s = format!("{} at {}", h.to, h.location);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.join("; ")
}

fn database_line(db: &Database) -> String {
    let mut names: Vec<String> = Vec::new();
    for b in &db.bindings {
        let s = match &b.database_name {
            Some(n) => format!("`{}` ({n})", b.binding),
            None => format!("`{}`", b.binding),
        };
        if !names.contains(&s) {
            names.push(s);
        }
    }
    if names.is_empty() {
        format!("`{}`", db.id)
    } else {
        names.join(", ")
    }
}

fn table_view(t: &Table, db: &Database, show_db: bool, rels: &[&Relationship]) -> TableView {
    let mut relationships = Vec::new();
    for r in rels.iter().filter(|r| r.from_table == t.name) {
        relationships.push(format!(
            "→ {} ({}){}",
            r.to_table,
            r.from_columns.join(", "),
            inferred(r.kind)
        ));
    }
    for r in rels
        .iter()
        .filter(|r| r.to_table == t.name && r.from_table != t.name)
    {
        relationships.push(format!(
            "← {} ({}){}",
            r.from_table,
            r.from_columns.join(", "),
            inferred(r.kind)
        ));
    }
    relationships.dedup();
    let mut purpose = or_dash(t.purpose.as_deref());
    if let crate::model::TableKind::Virtual { module, content } = &t.kind {
        let note = match content.as_deref() {
            Some(c) if !c.is_empty() => format!("Virtual table ({module}, rows from `{c}`)"),
            _ => format!("Virtual table ({module})"),
        };
        purpose = if purpose == "-" {
            note
        } else {
            format!("{purpose} — {note}")
        };
    }
    TableView {
        name: t.name.clone(),
        purpose,
        database: show_db.then(|| database_line(db)),
        schema_known: db.schema_known(),
        columns: t
            .columns
            .iter()
            .map(|c| column_row(t, c, db.schema_known()))
            .collect(),
        indexes: t
            .indexes
            .iter()
            .map(|i| index_row(i, db.engine.is_sqlite()))
            .collect(),
        access: t.access_patterns.iter().map(access_row).collect(),
        relationships,
    }
}

fn access_row(a: &crate::model::AccessPattern) -> AccessRow {
    AccessRow {
        operation: words::operation(&a.operation),
        query: format!("`{}`", a.query),
        frequency: words::runs(&a.frequency),
    }
}

fn inferred(kind: RelationKind) -> &'static str {
    match kind {
        RelationKind::Inferred => " (inferred)",
        RelationKind::Configured => " (dmqa.toml)",
        _ => "",
    }
}

/// `declared`: false for a column known only because a query names it.
fn column_row(t: &Table, c: &crate::model::Column, declared: bool) -> ColumnRow {
    if !declared {
        return ColumnRow {
            name: c.name.clone(),
            ty: "?".to_owned(),
            nullable: "?".to_owned(),
            default: "?".to_owned(),
            notes: "Named by a query".to_owned(),
        };
    }
    let mut notes: Vec<String> = Vec::new();
    if c.primary_key_position > 0 {
        let mut s = if t.primary_key.len() > 1 {
            format!(
                "Primary key ({} of {})",
                c.primary_key_position,
                t.primary_key.len()
            )
        } else {
            "Primary key".to_owned()
        };
        if c.autoincrement {
            s.push_str(", autoincrement");
        }
        if c.nullable {
            // SQLite lets a non-INTEGER primary key hold NULL unless it is
            // declared NOT NULL; say so rather than hide it.
            s.push_str(" (NULL allowed: no NOT NULL)");
        }
        notes.push(s);
    } else if c.autoincrement {
        notes.push("Autoincrement".to_owned());
    }
    for fk in t
        .foreign_keys
        .iter()
        .filter(|fk| fk.columns.iter().any(|x| x == &c.name))
    {
        let mut s = format!("FK → {}", fk.ref_table);
        if fk.columns.len() > 1 {
            s.push_str(&format!(" ({})", fk.columns.join(", ")));
        }
        if let Some(a) = &fk.on_delete {
            s.push_str(&format!(" ON DELETE {a}"));
        }
        if let Some(a) = &fk.on_update {
            s.push_str(&format!(" ON UPDATE {a}"));
        }
        notes.push(s);
    }
    let unique = t.indexes.iter().any(|i| {
        i.unique
            && i.partial.is_none()
            && i.origin != IndexOrigin::PrimaryKey
            && i.columns.len() == 1
            && i.columns[0].name == c.name
    });
    if unique {
        notes.push("Unique".to_owned());
    }
    if let Some(chk) = &c.check {
        notes.push(format!("CHECK ({chk})"));
    }
    // A table-level CHECK is noted on every column it names.
    for chk in &t.checks {
        let names_column = chk
            .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
            .any(|w| w.eq_ignore_ascii_case(&c.name));
        if names_column {
            notes.push(format!("CHECK ({chk})"));
        }
    }
    if let Some(g) = &c.generated {
        notes.push(format!("Generated ({g})"));
    }
    if let Some(comment) = &c.comment {
        notes.push(comment.clone());
    }
    ColumnRow {
        name: c.name.clone(),
        ty: or_dash(Some(&c.sql_type)),
        nullable: if c.nullable { "Yes" } else { "No" }.to_owned(),
        default: or_dash(c.default.as_deref()),
        notes: or_dash(Some(&notes.join("; "))),
    }
}

/// `sqlite`: inline indexes are only remarkable where SQLite rejects them.
fn index_row(i: &Index, sqlite: bool) -> IndexRow {
    let list = words::index_columns(i);
    let mut purpose = match i.origin {
        IndexOrigin::PrimaryKey => "Primary key".to_owned(),
        IndexOrigin::UniqueConstraint => format!("UNIQUE constraint on {list}"),
        IndexOrigin::Explicit | IndexOrigin::Inline if i.unique => {
            format!("Unique lookup by {list}")
        }
        IndexOrigin::Explicit | IndexOrigin::Inline => format!("Lookup by {list}"),
    };
    if let Some(p) = &i.partial {
        purpose.push_str(&format!(" where {p}"));
    }
    if sqlite && i.origin == IndexOrigin::Inline {
        purpose.push_str(" (declared inline in CREATE TABLE)");
    }
    IndexRow {
        name: i.name.clone(),
        columns: format!("({list})"),
        purpose,
    }
}

fn consumer_text(worker: &str, env: Option<&str>, c: &QueueConsumer) -> String {
    let mut parts = Vec::new();
    if let Some(n) = c.max_batch_size {
        parts.push(format!("batch {n}"));
    }
    if let Some(n) = c.max_batch_timeout {
        parts.push(format!("timeout {n}s"));
    }
    if let Some(n) = c.max_retries {
        parts.push(format!("retries {n}"));
    }
    if let Some(n) = c.max_concurrency {
        parts.push(format!("concurrency {n}"));
    }
    if let Some(n) = c.retry_delay {
        parts.push(format!("retry delay {n}s"));
    }
    parts.push(match &c.dead_letter_queue {
        Some(d) => format!("DLQ {d}"),
        None => "no DLQ".to_owned(),
    });
    // An environment of `wrangler.toml` is `[env.NAME]`; a sibling config
    // is named by its file.
    let file = c.location.path.rsplit('/').next().unwrap_or("");
    let who = match env {
        _ if crate::scan::wrangler_sibling(file).is_some() => format!("{worker} ({file})"),
        Some(e) => format!("{worker} [env.{e}]"),
        None => worker.to_owned(),
    };
    format!("{who}: {}", parts.join(", "))
}

fn queue_view(q: &crate::model::Queue) -> QueueView {
    let mut notes = Vec::new();
    let mut bindings: Vec<&str> = q.producers.iter().map(|p| p.binding.as_str()).collect();
    bindings.dedup();
    match bindings.as_slice() {
        [] => {}
        [b] => notes.push(format!("binding {b}")),
        many => notes.push(format!("bindings {}", many.join(", "))),
    }
    if q.is_dead_letter_queue {
        notes.push("dead letter queue".to_owned());
    }
    let heading = if notes.is_empty() {
        q.name.clone()
    } else {
        format!("{} ({})", q.name, notes.join("; "))
    };
    QueueView {
        heading,
        consumers: q
            .consumers
            .iter()
            .map(|c| consumer_text(&c.worker, c.environment.as_deref(), &c.settings))
            .collect(),
        schema: (!q.message_schema.is_empty()).then(|| message_schema(&q.message_schema)),
        steps: q
            .processing
            .iter()
            .enumerate()
            .map(|(i, s)| StepRow {
                step: (i + 1).to_string(),
                action: words::step_action(&s.action),
                on_failure: s
                    .on_failure
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), words::on_failure),
            })
            .collect(),
    }
}

fn storage_text(storage: DoStorage, script: Option<&str>) -> String {
    let s = match storage {
        DoStorage::Sqlite => "SQLite-backed (`new_sqlite_classes` / `storage: \"sqlite\"`)",
        DoStorage::Kv => "Key-value backed (`new_classes`)",
        DoStorage::Undeclared => "Not declared in any migration or `exports` of this checkout",
    };
    match script {
        // What the binding says (`script_name`), not a proof that the
        // Worker defines the class.
        Some(w) => format!("{s}; bound from Worker `{w}` (`script_name`)"),
        None => s.to_owned(),
    }
}

fn recommendation_row(model: &Model, f: &Finding) -> RecommendationRow {
    RecommendationRow {
        area: words::area(model, f),
        current: words::current(f),
        recommendation: words::recommendation(f),
        effort: words::effort(f.effort).to_owned(),
    }
}

/// A line of a code block kept to one line: a type written over several
/// lines reads with single spaces, and no name can add a line.
fn one_line(s: &str) -> String {
    let spaced = if s.contains(['\n', '\r', '\t']) {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        s.to_owned()
    };
    crate::unicode::shown(&spaced, false)
}

/// The Data Flow lines, sorted by their entry point's words.
fn flows(model: &Model) -> Vec<String> {
    let mut lines: Vec<(String, String)> = model
        .flows
        .iter()
        .map(|f| {
            let entry = words::flow_entry(f);
            let mut line = entry.clone();
            for s in &f.steps {
                // What a queue's consumer does later: `⇒`, not `→`.
                let arrow = match s {
                    FlowStep::Consumer { .. } => " ⇒ ",
                    _ => " → ",
                };
                line.push_str(arrow);
                line.push_str(&words::flow_step(s));
            }
            (entry, line)
        })
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines.into_iter().map(|(_, line)| one_line(&line)).collect()
}

/// The Recommendations rows in report order: by severity, then by the
/// words of their Area and Current cells.
pub fn recommendations(model: &Model) -> Vec<(&Finding, RecommendationRow)> {
    let mut rows: Vec<(&Finding, RecommendationRow)> = model
        .findings
        .iter()
        .map(|f| (f, recommendation_row(model, f)))
        .collect();
    // Within a severity, what the busiest code uses first.
    rows.sort_by(|(a, ra), (b, rb)| {
        (a.severity, a.rank(), &ra.area, &ra.current, &a.locations).cmp(&(
            b.severity,
            b.rank(),
            &rb.area,
            &rb.current,
            &b.locations,
        ))
    });
    rows
}

/// One key of a message schema: its type, or the fields its object (or
/// each element of its array) holds.
#[derive(Default)]
struct SchemaNode {
    ty: String,
    array: bool,
    fields: Vec<(String, SchemaNode)>,
}

impl SchemaNode {
    /// The node at `path` (`cardsV2[].cardId`), made on the way.
    fn at(&mut self, path: &str) -> &mut SchemaNode {
        let mut node = self;
        for seg in path.split('.') {
            let (key, array) = match seg.strip_suffix("[]") {
                Some(k) => (k, true),
                None => (seg, false),
            };
            let i = match node.fields.iter().position(|(k, _)| k == key) {
                Some(i) => i,
                None => {
                    node.fields.push((key.to_owned(), SchemaNode::default()));
                    node.fields.len() - 1
                }
            };
            node = &mut node.fields[i].1;
            node.array |= array;
        }
        node
    }

    /// Its fields as a JSON object at `indent`; keys and types as JSON
    /// strings (a type may hold quotes), a multi-line type on one line.
    fn object(&self, indent: usize) -> String {
        let pad = "  ".repeat(indent + 1);
        let lines: Vec<String> = self
            .fields
            .iter()
            .map(|(k, n)| {
                // An optional object says so on its key: its value is the
                // object's fields.
                let key = if !n.fields.is_empty() && n.ty.ends_with("(optional)") {
                    serde_json::Value::from(format!("{k} (optional)"))
                } else {
                    serde_json::Value::from(k.as_str())
                };
                let value = if n.fields.is_empty() {
                    serde_json::Value::from(n.ty.split_whitespace().collect::<Vec<_>>().join(" "))
                        .to_string()
                } else if n.array {
                    format!("[\n{pad}  {}\n{pad}]", n.object(indent + 2))
                } else {
                    n.object(indent + 1)
                };
                format!("{pad}{key}: {value}")
            })
            .collect();
        format!("{{\n{}\n{}}}", lines.join(",\n"), "  ".repeat(indent))
    }
}

/// A Message Schema block: fields by path (`cardsV2[].cardId`) as nested
/// JSON.
fn message_schema(fields: &[(String, String)]) -> String {
    let mut root = SchemaNode::default();
    for (path, ty) in fields {
        root.at(path).ty.clone_from(ty);
    }
    root.object(0)
}

#[cfg(test)]
mod tests {
    use super::message_schema;

    #[test]
    fn a_script_name_is_what_the_binding_says() {
        assert_eq!(
            super::storage_text(crate::model::DoStorage::Kv, Some("api")),
            "Key-value backed (`new_classes`); bound from Worker `api` (`script_name`)"
        );
        assert!(!super::storage_text(crate::model::DoStorage::Kv, None).contains("script_name"));
    }

    #[test]
    fn a_message_schema_nests_fields_by_path() {
        let fields = [
            ("cardsV2".to_owned(), "Card[]".to_owned()),
            ("cardsV2[].cardId".to_owned(), "string".to_owned()),
            (
                "cardsV2[].card".to_owned(),
                "{ title: string } (optional)".to_owned(),
            ),
            ("cardsV2[].card.title".to_owned(), "string".to_owned()),
            ("sent".to_owned(), "number (optional)".to_owned()),
        ];
        assert_eq!(
            message_schema(&fields),
            "{\n  \"cardsV2\": [\n    {\n      \"cardId\": \"string\",\n      \"card (optional)\": {\n        \"title\": \"string\"\n      }\n    }\n  ],\n  \"sent\": \"number (optional)\"\n}"
        );
    }
}
