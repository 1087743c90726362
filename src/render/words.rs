//! The words for the model's typed facts: every phrase the report and the
//! annotations print for a fact is chosen here, once.

use std::collections::BTreeMap;

use crate::model::{
    BindingKind, Caller, DoMethod, Effort, EntryPoint, Expiry, Finding, FindingSeverity, Fix, Flow,
    FlowEntry, FlowStep, Frequency, Handler, Invoker, Key, KeyPart, Lifecycle, Model, OnFailure,
    OpKind, Operation, QueryVerb, Run, SettleKind, StateItem, StepAction, Subject, Topic,
    ValueKind, ValueType,
};

/// The head of a finding's Area (`Indexes`, `Durable Objects`).
pub fn topic(t: Topic) -> &'static str {
    match t {
        Topic::Bindings => "Bindings",
        Topic::Ddl => "DDL",
        Topic::Drift => "Drift",
        Topic::DurableObjects => "Durable Objects",
        Topic::Indexes => "Indexes",
        Topic::Keys => "Keys",
        Topic::Kv => "KV",
        Topic::Migration => "Migration",
        Topic::Names => "Names",
        Topic::Queries => "Queries",
        Topic::Queues => "Queues",
        Topic::R2 => "R2",
        Topic::Retention => "Retention",
        Topic::Time => "Time",
    }
}

/// A finding's Area: `Indexes`, `Bindings (AVATARS)`, `Indexes (geese,
/// placegoose-d1)` when several databases have a `geese` table.
pub fn area(model: &Model, f: &Finding) -> String {
    let head = topic(f.topic);
    let database = match &f.subject {
        Subject::Table {
            database: Some(id), ..
        } => model
            .databases
            .iter()
            .find(|d| &d.id == id)
            .map(|d| d.short_label()),
        _ => None,
    };
    let mut key = f.subject.key();
    for r in &f.repeats {
        let k = r.subject.key();
        if !k.is_empty() && k != f.subject.key() && !key.split(", ").any(|x| x == k) {
            key = format!("{key}, {k}");
        }
    }
    match (key, database) {
        (key, _) if key.is_empty() => head.to_owned(),
        (key, Some(db)) => format!("{head} ({key}, {db})"),
        (key, None) => format!("{head} ({key})"),
    }
}

/// A finding's Recommendation cell.
pub fn recommendation(f: &Finding) -> String {
    if f.severity == FindingSeverity::Keep {
        // A checked-and-fine row reads `✅ Keep`, with the rule's remark.
        return if f.advice.is_empty() {
            "✅ Keep".to_owned()
        } else {
            format!("✅ Keep: {}", f.advice)
        };
    }
    match &f.fix {
        Some(fix @ Fix::CreateIndex { plan, .. }) if !plan.is_empty() => {
            format!("⚠️ Add `{}` (plan then: `{}`)", fix.sql(), plan.join("; "))
        }
        Some(fix @ Fix::CreateIndex { .. }) => format!("⚠️ Add `{}`", fix.sql()),
        Some(fix @ Fix::DropIndex { .. }) => format!("⚠️ Drop it: `{}`", fix.sql()),
        None => f.advice.clone(),
    }
}

/// A rule's or finding's severity.
pub fn severity(s: FindingSeverity) -> &'static str {
    match s {
        FindingSeverity::Error => "error",
        FindingSeverity::Warning => "warning",
        FindingSeverity::Keep => "keep",
    }
}

/// One line of a Durable Object's State Schema, without its `;`:
/// `count: number`, `storage["k"]: string`, `sql.rooms: { id: TEXT }`.
pub fn state_item(s: &StateItem) -> String {
    match s {
        StateItem::Field { name, ty } => format!("{name}: {ty}"),
        StateItem::StorageKey { key, ty } => format!("storage[\"{}\"]: {ty}", key.notation()),
        StateItem::SqlTable { table, columns } => {
            let cols: Vec<String> = columns
                .iter()
                .map(|(name, ty)| format!("{name}: {}", if ty.is_empty() { "ANY" } else { ty }))
                .collect();
            format!("sql.{table}: {{ {} }}", cols.join("; "))
        }
    }
}

/// What starts a data flow: `POST /v1/uploads`, `Queue jobs`, `Cron 0 3 * * *`,
/// after `[worker] ` when the checkout has several Workers.
pub fn flow_entry(f: &Flow) -> String {
    let entry = match &f.entry {
        FlowEntry::Entry { entry } => entry.name(),
        FlowEntry::Queues { queues } if queues.is_empty() => "Queue consumer".into(),
        FlowEntry::Queues { queues } => format!("Queue {}", compress(queues)),
        FlowEntry::Cron { schedules } if schedules.is_empty() => "Cron".into(),
        FlowEntry::Cron { schedules } => format!("Cron {}", schedules.join(", ")),
        FlowEntry::Workflow { bindings } if bindings.is_empty() => "Workflow".into(),
        FlowEntry::Workflow { bindings } => format!("Workflow {}", bindings.join(", ")),
    };
    match &f.worker {
        Some(w) => format!("[{w}] {entry}"),
        None => entry,
    }
}

/// One step of a data flow: `R2 BUNDLES (pending/)`, `D1 (apps, releases)`.
pub fn flow_step(s: &FlowStep) -> String {
    let with = |label: String, details: &[String]| {
        if details.is_empty() {
            label
        } else {
            format!("{label} ({})", details.join(", "))
        }
    };
    match s {
        FlowStep::R2 { binding, prefixes } => with(format!("R2 {binding}"), prefixes),
        FlowStep::Kv { binding } => format!("KV {binding}"),
        // One binding reaching a queue per environment is named by the
        // binding: `Queue FEEDBACK_QUEUE (feedback-{dev,prod,staging})`.
        // A queue sent to through a binding of another name says both:
        // `Queue link-clicks (CLICKS)`.
        FlowStep::Queue { bindings, queues } => match (bindings.as_slice(), queues.as_slice()) {
            ([b], qs) if qs.len() > 1 && !qs.contains(b) => {
                format!("Queue {b} ({})", compress(queues))
            }
            (bs, qs) if bs.len() == qs.len() && bs.iter().any(|b| !qs.contains(b)) => {
                format!("Queue {} ({})", compress(queues), compress(bindings))
            }
            _ => format!("Queue {}", compress(queues)),
        },
        FlowStep::Database { engine, tables } => with(engine.label().to_owned(), tables),
        FlowStep::DurableObject { class } => format!("DO {class}"),
        FlowStep::Binding { binding } => binding.clone(),
        FlowStep::Workflow { binding } => format!("Workflow {binding}"),
        FlowStep::Consumer { queues, worker } => {
            format!("consumer of {} [{worker}]", compress(queues))
        }
    }
}

/// A key pattern as printed: `{name}` for each placeholder; a `list`
/// prefix ends with `*`.
pub fn key_or_prefix(key: &Key, op: OpKind) -> String {
    let mut text = key.notation();
    if op == OpKind::List {
        text.push('*');
    }
    text
}

/// Stable sample values for placeholders, by name.
fn sample(name: &str, nth_id: &mut usize) -> String {
    const IDS: &[&str] = &["abc123", "def456", "ghi789", "jkl012", "mno345"];
    // By the words of the name (`candidateKey` is no date, `sharedId` no
    // digest): `clientIp`, `user_email`, `day`, `sha256`.
    let mut words: Vec<String> = Vec::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            prev_lower = false;
            words.push(String::new());
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower || words.is_empty() {
            words.push(String::new());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        if let Some(w) = words.last_mut() {
            w.push(c.to_ascii_lowercase());
        }
    }
    let has = |ws: &[&str]| {
        words.iter().any(|w| {
            ws.iter().any(|x| {
                w == x
                    || w.strip_prefix(x)
                        .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit()))
            })
        })
    };
    // First match wins: `dayIndex` is a date, `fileHash` a digest.
    const KINDS: &[(&[&str], &str)] = &[
        (&["ip"], "192.168.1.1"),
        (&["email", "mail"], "user@example.com"),
        (&["uuid", "guid"], "3b241101-e2bb-4255-8caf-4136c566a962"),
        (&["date", "day"], "2025-01-31"),
        (&["month"], "2025-01"),
        (&["year"], "2025"),
        (&["hour"], "2025-01-31T13"),
        (&["timestamp", "ts", "epoch", "time"], "1738281600000"),
        (&["version"], "1.0.0"),
        (&["hash", "sha", "digest", "checksum", "etag"], "9f86d081"),
        (&["slug"], "hello-world"),
        (&["domain", "host", "hostname"], "example.com"),
        (&["url"], "https://example.com/"),
        (&["pathname", "path"], "images/cat.png"),
        (&["filename", "file"], "cat.png"),
        (&["ext", "extension"], "png"),
        (&["locale", "lang", "language"], "en-US"),
        (&["country"], "US"),
        (
            &[
                "i", "idx", "index", "n", "num", "shard", "chunk", "part", "seq",
            ],
            "0",
        ),
    ];
    if let Some((_, v)) = KINDS.iter().find(|(ws, _)| has(ws)) {
        return (*v).to_owned();
    }
    let id = IDS[*nth_id % IDS.len()];
    *nth_id += 1;
    id.to_owned()
}

/// The example of a key pattern: each placeholder replaced by a stable
/// sample value (same pattern, same example).
pub fn key_example(key: &Key) -> String {
    let mut nth = 0;
    key.parts()
        .iter()
        .map(|p| match p {
            KeyPart::Literal(s) => s.clone(),
            KeyPart::Placeholder(name) | KeyPart::Generated(name) | KeyPart::Opaque(name) => {
                sample(name, &mut nth)
            }
        })
        .collect()
}

/// A queue consumer step's Action cell: `Read R2 BUNDLES \`{id}/x\``,
/// `D1 releases: Update status by id`, `Send to queue jobs`.
pub fn step_action(a: &StepAction) -> String {
    match a {
        StepAction::CallDurableObject { class, method } => format!("Call DO {class}.{method}()"),
        StepAction::RunDdl { head } => format!("Run D1 DDL `{head}`"),
        StepAction::Query { tables } if tables.is_empty() => "Query D1 (?)".to_owned(),
        StepAction::Query { tables } => format!("Query D1 ({})", tables.join(", ")),
        StepAction::Queries { queries } => queries
            .iter()
            .map(|q| {
                format!(
                    "{} {}: {}",
                    q.engine.label(),
                    q.table,
                    operation(&q.operation)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        StepAction::Send { queues } => format!("Send to queue {}", compress(queues)),
        StepAction::Request { method, target } => format!("HTTP {method} `{target}`"),
        StepAction::Settle { kind, delay_secs } => {
            let what = match kind {
                SettleKind::Ack => "Acknowledge the message: not redelivered",
                SettleKind::AckAll => "Acknowledge the whole batch: not redelivered",
                SettleKind::Retry => "Retry the message",
                SettleKind::RetryAll => "Retry the whole batch",
            };
            match delay_secs {
                Some(d) => format!("{what} after {}", duration(*d)),
                None => what.to_owned(),
            }
        }
        StepAction::Use {
            kind,
            op,
            binding,
            key,
        } => {
            let key = key
                .as_ref()
                .map(|k| format!(" `{}`", key_or_prefix(k, *op)))
                .unwrap_or_default();
            // The first argument of `AI.run` is the model.
            if *kind == BindingKind::Ai {
                return format!("Run Workers AI model{key} ({binding})");
            }
            if *kind == BindingKind::Workflow {
                return format!("Start workflow {binding}");
            }
            let verb = match op {
                OpKind::Read => "Read",
                OpKind::Head => "Check",
                OpKind::Write | OpKind::MultipartWrite => "Write",
                OpKind::Delete => "Delete",
                OpKind::List => "List",
                _ => "Use",
            };
            let what = match kind {
                BindingKind::Kv => "KV",
                BindingKind::R2 => "R2",
                BindingKind::AnalyticsEngine => "Analytics Engine",
                _ => "binding",
            };
            format!("{verb} {what} {binding}{key}")
        }
    }
}

/// What a binding of `kind` is, with its article: `a KV namespace`.
pub fn binding_kind(kind: BindingKind) -> &'static str {
    match kind {
        BindingKind::D1 => "a D1 database",
        BindingKind::R2 => "an R2 bucket",
        BindingKind::Kv => "a KV namespace",
        BindingKind::QueueProducer => "a queue producer",
        BindingKind::DurableObject => "a Durable Object namespace",
        BindingKind::Hyperdrive => "a Hyperdrive config",
        BindingKind::Service => "a service binding",
        BindingKind::Vectorize => "a Vectorize index",
        BindingKind::AnalyticsEngine => "an Analytics Engine dataset",
        BindingKind::Ai => "the AI binding",
        BindingKind::Workflow => "a Workflow",
        BindingKind::Var => "a variable",
    }
}

/// A queue consumer step's On Failure cell.
pub fn on_failure(f: &OnFailure) -> String {
    match f {
        OnFailure::Reject => "Reject (ack() in a catch: not retried)".into(),
        OnFailure::Retry {
            explicit,
            max_retries,
            dead_letter_queue,
        } => {
            let how = if *explicit { " via retry()" } else { "" };
            match (dead_letter_queue, max_retries) {
                (Some(d), 0) => format!("No retry; to {d}"),
                (Some(d), n) => format!("Retry{how} (max {n}, then {d})"),
                (None, 0) => "No retry; no DLQ: dropped".to_owned(),
                (None, n) => format!("Retry{how} (max {n}); no DLQ: then dropped"),
            }
        }
    }
}

/// What a Durable Object method is for: its doc comment, else what the
/// runtime calls it for, else `-`.
pub fn method_purpose(m: &DoMethod) -> String {
    if let Some(doc) = &m.doc {
        return doc.clone();
    }
    match m.handler {
        Some(Handler::Fetch) => "HTTP request / WebSocket upgrade",
        Some(Handler::Alarm) => "Alarm handler",
        Some(Handler::WebSocketMessage) => "WebSocket message (hibernation API)",
        Some(Handler::WebSocketClose) => "WebSocket closed (hibernation API)",
        Some(Handler::WebSocketError) => "WebSocket error (hibernation API)",
        Some(Handler::WebSocketConnect) => "WebSocket connected",
        Some(Handler::Start) => "Object started (before its first request)",
        _ => "-",
    }
    .to_owned()
}

/// Who calls a method: `GET /rooms/:id`, `notify (queue)`,
/// `broadcast() (internal)`, `Runtime (alarm)`.
pub fn caller(c: &Caller) -> String {
    match c {
        Caller::Stub { actor, entries } => self::actor(actor, entries),
        Caller::Internal {
            from: from @ EntryPoint::Route { .. },
        } => format!("{} (internal)", from.name()),
        Caller::Internal { from } => format!("{}() (internal)", from.name()),
        Caller::Runtime {
            handler: Handler::Alarm,
        } => "Runtime (alarm)".into(),
        Caller::Runtime {
            handler: Handler::WebSocketMessage | Handler::WebSocketClose | Handler::WebSocketError,
        } => "Runtime (WebSocket)".into(),
        Caller::Runtime {
            handler: Handler::WebSocketConnect,
        } => "Runtime (WebSocket connect)".into(),
        Caller::Runtime {
            handler: Handler::Start,
        } => "Runtime (object start)".into(),
        Caller::Runtime { .. } => "Runtime".into(),
    }
}

/// Entry points as a list: `GET /x, queue`.
pub fn entry_list<'e>(entries: impl IntoIterator<Item = &'e EntryPoint>) -> String {
    entries
        .into_iter()
        .map(EntryPoint::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A function with the entry points reaching it: `notify (queue, GET /x)`,
/// or the function alone when nothing else reaches it.
pub fn actor(actor: &str, entries: &[EntryPoint]) -> String {
    if entries.is_empty() {
        actor.to_owned()
    } else {
        format!("{actor} ({})", entry_list(entries))
    }
}

/// A Called By cell: every caller, sorted by its words.
pub fn callers(cs: &[Caller]) -> String {
    let mut words: Vec<String> = cs.iter().map(caller).collect();
    words.sort();
    words.dedup();
    words.join(", ")
}

/// What an R2 operation is called in an Access Patterns row.
pub fn r2_access(op: OpKind) -> &'static str {
    match op {
        OpKind::Read => "Download",
        OpKind::Head => "Head (metadata)",
        OpKind::Write => "Upload",
        OpKind::MultipartWrite => "Multipart upload",
        OpKind::Delete => "Delete",
        OpKind::List => "List",
        OpKind::Send => "Send",
        OpKind::SendBatch => "Send batch",
        OpKind::Query => "Query",
        OpKind::Call => "Call",
        OpKind::Start => "Start",
    }
}

/// A finding's Effort cell.
pub fn effort(e: Effort) -> &'static str {
    match e {
        Effort::None => "-",
        Effort::Low => "Low",
        Effort::Medium => "Medium",
        Effort::High => "High",
    }
}

/// `upload-queue-p0`, …, `upload-queue-p3` → `upload-queue-p0..p3`: runs
/// of three or more names that differ only in a trailing number become a
/// range; other names are listed.
pub fn compress(names: &[String]) -> String {
    let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let stem = |n: &str| n.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in &names {
        let s = stem(n);
        let key = if s < n.len() { &n[..s] } else { n };
        groups.entry(key).or_default().push(n);
    }
    let mut out = Vec::new();
    for (prefix, members) in groups {
        match members.as_slice() {
            [first, .., last] if members.len() > 2 && !prefix.is_empty() => {
                let letter = prefix.chars().last().map(String::from).unwrap_or_default();
                out.push(format!("{first}..{letter}{}", &last[prefix.len()..]));
            }
            _ => out.extend(members.iter().map(|m| (*m).to_owned())),
        }
    }
    braced(&out).unwrap_or_else(|| out.join(", "))
}

/// Three or more names that differ only in a middle part (one queue per
/// environment): `capgo-{alpha,prod,staging}-jobs`.
fn braced(names: &[String]) -> Option<String> {
    if names.len() < 3 {
        return None;
    }
    let first = names.first()?;
    let common = |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let pre = names.iter().map(|n| common(first, n)).min()?;
    let rev = |s: &str| s.chars().rev().collect::<String>();
    let first_rev = rev(first);
    let suf = names.iter().map(|n| common(&first_rev, &rev(n))).min()?;
    // Cut at separators so the braces hold whole words.
    let prefix: String = first.chars().take(pre).collect();
    let prefix = &prefix[..prefix.rfind(['-', '_', '.']).map_or(0, |i| i + 1)];
    let suffix: String = first_rev.chars().take(suf).collect::<String>();
    let suffix = rev(&suffix);
    let suffix = &suffix[suffix.find(['-', '_', '.']).unwrap_or(suffix.len())..];
    if prefix.len() + suffix.len() < 4 {
        return None;
    }
    let middles: Option<Vec<&str>> = names
        .iter()
        .map(|n| {
            n.strip_prefix(prefix)
                .and_then(|m| m.strip_suffix(suffix))
                .filter(|m| !m.is_empty())
        })
        .collect();
    Some(format!("{prefix}{{{}}}{suffix}", middles?.join(",")))
}

/// Seconds in the largest exact unit: `60s` → `1m`, `300` → `5m`, `7d`.
pub fn duration(secs: u64) -> String {
    if secs == 0 {
        "0s".into()
    } else if secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else if secs.is_multiple_of(3_600) {
        format!("{}h", secs / 3_600)
    } else if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// A TTL: `5m`, `Absolute`, `None`, or the expression that sets it.
pub fn expiry(e: &Expiry) -> String {
    match e {
        Expiry::Ttl { secs } => duration(*secs),
        Expiry::Absolute => "Absolute".into(),
        Expiry::Never => "None".into(),
        Expiry::Unknown { expr } => format!("`{expr}`"),
        Expiry::WhenSet { ttl } => format!("{} when set, else None", expiry(ttl)),
    }
}

/// A KV key pattern's TTL cell: every TTL its writes set (`-` when code
/// only reads it), then the `cacheTtl` its reads pass.
pub fn ttl_cell(written: &[Expiry], cached: &[Expiry]) -> String {
    let join = |v: &[Expiry]| v.iter().map(expiry).collect::<Vec<_>>().join(" / ");
    let mut out = if written.is_empty() {
        "-".to_owned()
    } else {
        join(written)
    };
    if !cached.is_empty() {
        out.push_str(&format!(" (read with cacheTtl {})", join(cached)));
    }
    out
}

/// A KV value type: `JSON`, `Counter`, `- + metadata`.
pub fn value_type(v: ValueType) -> String {
    let kind = match v.kind {
        Some(ValueKind::Json) => "JSON",
        Some(ValueKind::Counter) => "Counter",
        Some(ValueKind::Number) => "Number",
        Some(ValueKind::String) => "String",
        Some(ValueKind::Binary) => "Binary",
        None => "-",
    };
    if v.metadata {
        format!("{kind} + metadata")
    } else {
        kind.to_owned()
    }
}

/// How callers pick a Durable Object instance: `one per \`{roomId}\``,
/// `one global instance (\`"lobby"\`)`.
pub fn instance(i: &crate::model::Instance) -> String {
    use crate::model::Instance;
    match i {
        Instance::Named { name } if name.is_opaque() => {
            "one per name its caller passes (`idFromName`)".to_owned()
        }
        Instance::Named { name } if !name.has_placeholder() => {
            format!("one global instance, `\"{}\"`", name.notation())
        }
        Instance::Named { name } => format!("one per `{}`", name.notation()),
        Instance::Unique => "a new instance per `newUniqueId()`".to_owned(),
        Instance::FromString => "an id kept from an earlier call (`idFromString`)".to_owned(),
    }
}

/// An R2 key pattern's Lifecycle cell.
pub fn lifecycle(l: &Lifecycle) -> String {
    match l {
        Lifecycle::ReadOnly => "Read only (written elsewhere)".into(),
        // A function is called (`cleanup()`); a route is named as is.
        Lifecycle::DeletedBy { actor }
            if actor
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '.' | ':')) =>
        {
            format!("Deleted by {actor}()")
        }
        Lifecycle::DeletedBy { actor } => format!("Deleted by {actor}"),
        Lifecycle::TemporaryNeverDeleted => "Temporary, never deleted".into(),
        Lifecycle::Permanent => "Permanent".into(),
    }
}

/// What a query does: `Get by id`, `List all`, `Update status by id`.
pub fn operation(o: &Operation) -> String {
    let by = |verb: &str| {
        if o.by.is_empty() {
            format!("{verb} all")
        } else {
            format!("{verb} by {}", o.by.join(", "))
        }
    };
    match o.verb {
        QueryVerb::Get => by("Get"),
        QueryVerb::List => by("List"),
        QueryVerb::Count => by("Count"),
        QueryVerb::Delete => by("Delete"),
        QueryVerb::Insert => "Insert".into(),
        QueryVerb::Upsert => "Upsert".into(),
        QueryVerb::Update => {
            let mut out = "Update".to_owned();
            if !o.sets.is_empty() {
                out.push(' ');
                out.push_str(&o.sets.join(", "));
            }
            if !o.by.is_empty() {
                out.push_str(" by ");
                out.push_str(&o.by.join(", "));
            }
            out
        }
    }
}

/// A frequency level: `High`, `Daily`, `Per message`.
pub fn frequency(f: &Frequency) -> &str {
    match f {
        Frequency::High => "High",
        Frequency::PerMessage => "Per message",
        Frequency::EveryMinute => "Every minute",
        Frequency::EveryFewMinutes => "Every few minutes",
        Frequency::Hourly => "Hourly",
        Frequency::EveryFewHours => "Every few hours",
        Frequency::Daily => "Daily",
        Frequency::Weekly => "Weekly",
        Frequency::Monthly => "Monthly",
        Frequency::PerCronRun => "Per cron run",
        Frequency::PerAlarm => "Per alarm",
        Frequency::PerWorkflowRun => "Per workflow run",
        Frequency::PerWebSocketMessage => "Per WebSocket message",
        Frequency::PerConnection => "Per WebSocket connection",
        Frequency::PerCall => "Per call",
        Frequency::Unknown => "Unknown",
        Frequency::Configured(level) => level,
    }
}

/// The levels of the entry points reaching an R2 actor: `High, Per message`.
pub fn frequencies(levels: &[Frequency]) -> String {
    levels.iter().map(frequency).collect::<Vec<_>>().join(", ")
}

/// A finding's Current cell: its message, then each query it absorbed
/// (``; `WHERE …` on GET /x needs it``).
pub fn current(f: &Finding) -> String {
    let mut text = f.message.clone();
    // A repeat with no message of its own is named by the row already.
    for r in f.repeats.iter().filter(|r| !r.message.is_empty()) {
        text.push_str("; ");
        text.push_str(&r.message);
    }
    for q in &f.also_needed_by {
        text.push_str(&format!(
            "; `{}` on {} needs it",
            q.query,
            entry_list(&q.entries)
        ));
    }
    text
}

/// What runs code: `GET /v1/apps`, `upload-queue-p0..p3`, `cron 0 3 * * *`.
pub fn invoker(t: &Invoker) -> String {
    match t {
        Invoker::Request { entry } | Invoker::Call { entry } => entry.name(),
        Invoker::Queue { queues } => compress(queues),
        Invoker::Cron { schedules } => schedules
            .iter()
            .map(|s| format!("cron {s}"))
            .collect::<Vec<_>>()
            .join(", "),
        Invoker::Handler { class, method } if !method.is_empty() && !class.is_empty() => {
            format!("{class}.{method}()")
        }
        Invoker::Handler { class, method } if class.is_empty() && !method.is_empty() => {
            format!("{method}()")
        }
        Invoker::Handler { class, .. } => class.clone(),
        Invoker::Method { class, method } => format!("{class}.{method}()"),
        Invoker::Unreached { actor } => actor.clone(),
    }
}

/// `High (GET /a, POST /b); Per message (q)`: triggers grouped under
/// their level, in first-seen order.
pub fn runs(runs: &[Run]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for r in runs {
        let level = frequency(&r.frequency);
        let pos = match groups.iter().position(|(l, _)| *l == level) {
            Some(p) => p,
            None => {
                groups.push((level, Vec::new()));
                groups.len() - 1
            }
        };
        let t = invoker(&r.invoker);
        if !t.is_empty() && !groups[pos].1.contains(&t) {
            groups[pos].1.push(t);
        }
    }
    groups
        .iter()
        .map(|(level, triggers)| {
            if triggers.is_empty() {
                (*level).to_owned()
            } else {
                format!("{level} ({})", triggers.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What runs code, without levels: `GET /a, POST /b`.
pub fn triggers(runs: &[Run]) -> String {
    let mut names: Vec<String> = Vec::new();
    for r in runs {
        let t = invoker(&r.invoker);
        if !t.is_empty() && !names.contains(&t) {
            names.push(t);
        }
    }
    names.join(", ")
}

/// An index's column list as SQL writes it: `app_id, created_at DESC`.
pub fn index_columns(i: &crate::model::Index) -> String {
    i.columns
        .iter()
        .map(|c| {
            if c.descending {
                format!("{} DESC", c.name)
            } else {
                c.name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleting_function_is_called_a_route_is_named() {
        let by = |a: &str| {
            lifecycle(&Lifecycle::DeletedBy {
                actor: a.to_owned(),
            })
        };
        assert_eq!(by("Cache.delete"), "Deleted by Cache.delete()");
        assert_eq!(by("Store::purge"), "Deleted by Store::purge()");
        assert_eq!(
            by("DELETE /renders/:page"),
            "Deleted by DELETE /renders/:page"
        );
    }

    #[test]
    fn samples_follow_the_words_of_a_name() {
        let one = |n: &str| sample(n, &mut 0);
        assert_eq!(one("day"), "2025-01-31");
        assert_eq!(one("createdDate"), "2025-01-31");
        assert_eq!(one("candidateKey"), "abc123");
        assert_eq!(one("sha256"), "9f86d081");
        assert_eq!(one("fileHash"), "9f86d081");
        assert_eq!(one("sharedId"), "abc123");
        assert_eq!(one("client_ip"), "192.168.1.1");
        assert_eq!(one("zip"), "abc123");
        assert_eq!(one("userEmail"), "user@example.com");
        assert_eq!(one("appVersion"), "1.0.0");
        assert_eq!(one("randomUUID"), "3b241101-e2bb-4255-8caf-4136c566a962");
        assert_eq!(one("newLinkSlug"), "hello-world");
        assert_eq!(one("domain"), "example.com");
        assert_eq!(one("pathname"), "images/cat.png");
        assert_eq!(one("i"), "0");
        assert_eq!(one("createdAt"), "abc123");
        assert_eq!(one("timestamp"), "1738281600000");
        // A word inside another is not that word: `timeline`, `india`.
        assert_eq!(one("timelineId"), "abc123");
        assert_eq!(one("india"), "abc123");
    }

    #[test]
    fn examples_are_stable_samples() {
        let key = |parts: &[&str]| {
            let mut k = Key::default();
            for p in parts {
                match p.strip_prefix('$') {
                    Some(name) => k.push_placeholder(name),
                    None => k.push_literal(p),
                }
            }
            k
        };
        assert_eq!(
            key_example(&key(&["$appId", "/", "$releaseId", "/bundle.js"])),
            "abc123/def456/bundle.js"
        );
        assert_eq!(
            key_example(&key(&["sdk:", "$appId", ":", "$ip"])),
            "sdk:abc123:192.168.1.1"
        );
        assert_eq!(
            key_example(&key(&["pending/", "$jobId", "/bundle.js"])),
            "pending/abc123/bundle.js"
        );
        assert_eq!(key_example(&key(&["{literal}"])), "{literal}");
        assert_eq!(key_or_prefix(&key(&["logs/"]), OpKind::List), "logs/*");
        assert_eq!(key_or_prefix(&Key::default(), OpKind::List), "*");
    }

    #[test]
    fn compresses_numbered_queue_names() {
        let names: Vec<String> = [
            "upload-queue-p2",
            "upload-queue-p0",
            "upload-queue-p3",
            "upload-queue-p1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(compress(&names), "upload-queue-p0..p3");
        let mut with_dlq = names.clone();
        with_dlq.push("upload-dlq".into());
        assert_eq!(compress(&with_dlq), "upload-dlq, upload-queue-p0..p3");
        assert_eq!(compress(&["a".into(), "b".into()]), "a, b");
        let envs: Vec<String> = ["app-prod-jobs", "app-alpha-jobs", "app-preprod-jobs"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(compress(&envs), "app-{alpha,preprod,prod}-jobs");
        let unrelated: Vec<String> = ["emails", "thumbs", "webhooks"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(compress(&unrelated), "emails, thumbs, webhooks");
    }

    #[test]
    fn durations_read_in_the_largest_exact_unit() {
        assert_eq!(duration(60), "1m");
        assert_eq!(duration(90), "90s");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(3_600), "1h");
        assert_eq!(duration(604_800), "7d");
        assert_eq!(duration(0), "0s");
    }

    #[test]
    fn frequencies_group_triggers_under_their_level() {
        let run = |frequency: Frequency, invoker: Invoker| Run { frequency, invoker };
        let route = |e: &str| Invoker::Request {
            entry: crate::cloudflare::entry_point(crate::cloudflare::Lang::TypeScript, e),
        };
        let runs_ = [
            run(Frequency::High, route("GET /a")),
            run(
                Frequency::PerMessage,
                Invoker::Queue {
                    queues: vec!["q1".into()],
                },
            ),
            run(Frequency::High, route("POST /b")),
            run(Frequency::High, route("GET /a")),
            run(
                Frequency::PerAlarm,
                Invoker::Handler {
                    class: String::new(),
                    method: String::new(),
                },
            ),
        ];
        assert_eq!(
            runs(&runs_),
            "High (GET /a, POST /b); Per message (q1); Per alarm"
        );
        assert_eq!(triggers(&runs_), "GET /a, q1, POST /b");
    }

    #[test]
    fn operations_in_words() {
        let op = |verb, by: &[&str], sets: &[&str]| Operation {
            verb,
            by: by.iter().map(|s| (*s).to_owned()).collect(),
            sets: sets.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert_eq!(operation(&op(QueryVerb::Get, &["id"], &[])), "Get by id");
        assert_eq!(operation(&op(QueryVerb::List, &[], &[])), "List all");
        assert_eq!(
            operation(&op(QueryVerb::Update, &["id"], &["status", "error"])),
            "Update status, error by id"
        );
        assert_eq!(operation(&op(QueryVerb::Update, &[], &[])), "Update");
        assert_eq!(operation(&op(QueryVerb::Delete, &[], &[])), "Delete all");
        assert_eq!(operation(&op(QueryVerb::Upsert, &["x"], &["y"])), "Upsert");
    }

    #[test]
    fn ttls_are_listed_by_duration_not_by_text() {
        let mut ttls = vec![
            Expiry::Never,
            Expiry::Ttl { secs: 600 },
            Expiry::Unknown {
                expr: "opts.ttl".into(),
            },
            Expiry::Ttl { secs: 300 },
            Expiry::Absolute,
        ];
        ttls.sort();
        assert_eq!(
            ttl_cell(&ttls, &[Expiry::Ttl { secs: 60 }]),
            "5m / 10m / Absolute / None / `opts.ttl` (read with cacheTtl 1m)"
        );
        assert_eq!(ttl_cell(&[], &[]), "-");
    }
}
