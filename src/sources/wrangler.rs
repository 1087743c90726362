//! `wrangler.toml`, `wrangler.json` and `wrangler.jsonc` → Workers with
//! their bindings.
//!
//! Both formats are read into one JSON value (toml's serde support, or
//! jsonc-parser with comments and trailing commas allowed but nothing
//! wrangler itself rejects), then walked once. Each `[env.NAME]` section is
//! a Worker of its own, because wrangler does not let an environment inherit
//! bindings. Neither parser keeps positions on values, so declarations are
//! located by searching the text for the binding's name after the section
//! start; a declaration that cannot be found is placed at its section.

use super::path_join;
use crate::model::{
    Binding, BindingKind, Diagnostic, DoExport, DoMigration, Location, QueueConsumer, Worker,
};
use crate::scan::SourceFile;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Reads one wrangler config; a broken one yields a warning and no Worker.
pub fn extract(file: &SourceFile, workers: &mut Vec<Worker>, diags: &mut Vec<Diagnostic>) {
    let loc = Locator::new(&file.text);
    let value = if file.path.ends_with(".toml") {
        match file.text.parse::<toml::Table>() {
            Ok(t) => serde_json::to_value(t).unwrap_or(Value::Null),
            Err(e) => {
                let (line, col) = loc.line_col(e.span().map_or(0, |s| s.start));
                diags.push(Diagnostic::warning(
                    Location::at(&file.path, line, col),
                    crate::model::Code::ConfigParseError,
                    format!(
                        "cannot parse this file ({}); its Worker is left out",
                        e.message().trim()
                    ),
                ));
                return;
            }
        }
    } else {
        match super::read_jsonc(file, "its Worker is left out", diags) {
            Some(v) => v,
            None => return,
        }
    };
    let Some(top) = value.as_object() else {
        diags.push(Diagnostic::warning(
            Location::line(&file.path, 1),
            crate::model::Code::ConfigParseError,
            "a wrangler config must be an object; its Worker is left out",
        ));
        return;
    };
    let dir = file.path.rsplit_once('/').map_or("", |(d, _)| d);
    let name = str_of(top, "name")
        .map(str::to_owned)
        .unwrap_or_else(|| dir.rsplit('/').next().unwrap_or("worker").to_owned());
    let name = if name.is_empty() {
        "worker".to_owned()
    } else {
        name
    };
    let reader = Reader {
        file,
        loc: &loc,
        dir,
    };
    workers.push(reader.worker(&name, None, top, 0));
    if let Some(envs) = top.get("env").and_then(Value::as_object) {
        for (env, section) in envs {
            let Some(section) = section.as_object() else {
                continue;
            };
            let from = loc.section_start(env);
            let mut w = reader.worker(&name, Some(env.clone()), section, from);
            // `main`, `name` and `migrations` are inherited; bindings are not.
            if w.main.is_none() {
                w.main = reader.main(top);
            }
            if w.do_migrations.is_empty() {
                w.do_migrations = reader.do_migrations(top, 0);
            }
            if let Some(n) = str_of(section, "name") {
                w.name = n.to_owned();
            }
            workers.push(w);
        }
    }
}

fn str_of<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn uint(obj: &Map<String, Value>, key: &str) -> Option<u64> {
    match obj.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn entries(v: Option<&Value>) -> impl Iterator<Item = &Map<String, Value>> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// Binding arrays: (config key, kind, key of the binding name, key of the target).
const BINDING_ARRAYS: &[(&str, BindingKind, &str, &str)] = &[
    ("d1_databases", BindingKind::D1, "binding", "database_name"),
    ("r2_buckets", BindingKind::R2, "binding", "bucket_name"),
    ("kv_namespaces", BindingKind::Kv, "binding", "id"),
    ("hyperdrive", BindingKind::Hyperdrive, "binding", "id"),
    ("services", BindingKind::Service, "binding", "service"),
    ("vectorize", BindingKind::Vectorize, "binding", "index_name"),
    ("workflows", BindingKind::Workflow, "binding", "class_name"),
    (
        "analytics_engine_datasets",
        BindingKind::AnalyticsEngine,
        "binding",
        "dataset",
    ),
];

struct Reader<'a> {
    file: &'a SourceFile,
    loc: &'a Locator<'a>,
    dir: &'a str,
}

impl Reader<'_> {
    fn at(&self, from: usize, key: &str, value: &str) -> Location {
        let off = self.loc.find(from, key, value).unwrap_or(from);
        let (line, _) = self.loc.line_col(off);
        Location::line(&self.file.path, line)
    }

    fn main(&self, obj: &Map<String, Value>) -> Option<String> {
        str_of(obj, "main").map(|m| path_join(self.dir, m))
    }

    fn worker(
        &self,
        name: &str,
        environment: Option<String>,
        obj: &Map<String, Value>,
        from: usize,
    ) -> Worker {
        let (line, _) = self.loc.line_col(from);
        let mut w = Worker {
            name: name.to_owned(),
            environment,
            main: self.main(obj),
            bindings: Vec::new(),
            consumers: Vec::new(),
            crons: Vec::new(),
            do_migrations: self.do_migrations(obj, from),
            do_exports: Vec::new(),
            location: Location::line(&self.file.path, line),
        };
        for &(key, kind, name_key, target_key) in BINDING_ARRAYS {
            for b in entries(obj.get(key)) {
                if let Some(binding) = self.binding(kind, b, name_key, target_key, from) {
                    w.bindings.push(binding);
                }
            }
        }
        if let Some(queues) = obj.get("queues").and_then(Value::as_object) {
            for p in entries(queues.get("producers")) {
                if let Some(b) =
                    self.binding(BindingKind::QueueProducer, p, "binding", "queue", from)
                {
                    w.bindings.push(b);
                }
            }
            for c in entries(queues.get("consumers")) {
                let Some(queue) = str_of(c, "queue") else {
                    continue;
                };
                w.consumers.push(QueueConsumer {
                    queue: queue.to_owned(),
                    max_batch_size: uint(c, "max_batch_size"),
                    max_batch_timeout: uint(c, "max_batch_timeout"),
                    max_retries: uint(c, "max_retries"),
                    max_concurrency: uint(c, "max_concurrency"),
                    retry_delay: uint(c, "retry_delay"),
                    dead_letter_queue: str_of(c, "dead_letter_queue").map(str::to_owned),
                    location: self.at(from, "queue", queue),
                });
            }
        }
        if let Some(dos) = obj.get("durable_objects").and_then(Value::as_object) {
            for d in entries(dos.get("bindings")) {
                if let Some(b) =
                    self.binding(BindingKind::DurableObject, d, "name", "class_name", from)
                {
                    w.bindings.push(b);
                }
            }
        }
        if let Some(ai) = obj.get("ai").and_then(Value::as_object)
            && let Some(b) = self.binding(BindingKind::Ai, ai, "binding", "", from)
        {
            w.bindings.push(b);
        }
        if let Some(vars) = obj.get("vars").and_then(Value::as_object) {
            for (k, v) in vars {
                w.bindings.push(Binding {
                    kind: BindingKind::Var,
                    name: k.clone(),
                    target: scalar(v),
                    settings: BTreeMap::new(),
                    location: self.at(from, k, ""),
                });
            }
        }
        if let Some(triggers) = obj.get("triggers").and_then(Value::as_object) {
            w.crons = strings(triggers.get("crons"));
        }
        if let Some(exports) = obj.get("exports").and_then(Value::as_object) {
            for (class, e) in exports {
                let Some(e) = e.as_object() else { continue };
                if str_of(e, "type").is_some_and(|t| t != "durable-object") {
                    continue;
                }
                w.do_exports.push(DoExport {
                    class_name: class.clone(),
                    storage: str_of(e, "storage").map(str::to_owned),
                    state: str_of(e, "state").unwrap_or("created").to_owned(),
                    location: self.at(from, class, ""),
                });
            }
        }
        w
    }

    fn binding(
        &self,
        kind: BindingKind,
        obj: &Map<String, Value>,
        name_key: &str,
        target_key: &str,
        from: usize,
    ) -> Option<Binding> {
        let name = str_of(obj, name_key)?;
        let settings = obj
            .iter()
            .filter(|(k, _)| *k != name_key && *k != target_key)
            .filter_map(|(k, v)| Some((k.clone(), scalar(v)?)))
            .collect();
        Some(Binding {
            kind,
            name: name.to_owned(),
            target: obj.get(target_key).and_then(scalar),
            settings,
            location: self.at(from, name_key, name),
        })
    }

    fn do_migrations(&self, obj: &Map<String, Value>, from: usize) -> Vec<DoMigration> {
        entries(obj.get("migrations"))
            .map(|m| {
                let tag = str_of(m, "tag").unwrap_or("").to_owned();
                DoMigration {
                    location: self.at(from, "tag", &tag),
                    tag,
                    new_classes: strings(m.get("new_classes")),
                    new_sqlite_classes: strings(m.get("new_sqlite_classes")),
                    renamed_classes: entries(m.get("renamed_classes"))
                        .filter_map(|r| {
                            Some((str_of(r, "from")?.to_owned(), str_of(r, "to")?.to_owned()))
                        })
                        .collect(),
                    deleted_classes: strings(m.get("deleted_classes")),
                    transferred_classes: entries(m.get("transferred_classes"))
                        .filter_map(|r| Some(str_of(r, "to")?.to_owned()))
                        .collect(),
                }
            })
            .collect()
    }
}

/// Finds declarations in the config text.
struct Locator<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Locator { text, line_starts }
    }

    /// 1-based line and column of a byte offset.
    fn line_col(&self, offset: usize) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(1, |s| s.chars().count() + 1);
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(col).unwrap_or(u32::MAX),
        )
    }

    /// Offset of the first line at or after `from` that mentions `key` and,
    /// when given, the quoted `value`.
    fn find(&self, from: usize, key: &str, value: &str) -> Option<usize> {
        let quoted = format!("\"{value}\"");
        let mut off = from.min(self.text.len());
        for line in self.text.get(off..)?.split_inclusive('\n') {
            let code = line.split(['#']).next().unwrap_or(line);
            let code = code.split("//").next().unwrap_or(code);
            if code.contains(key) && (value.is_empty() || code.contains(&quoted)) {
                return Some(off);
            }
            off += line.len();
        }
        None
    }

    /// Where `[env.NAME]` (TOML) or `"NAME": {` inside `"env"` (JSON) starts.
    fn section_start(&self, env: &str) -> usize {
        let toml = format!("[env.{env}");
        if let Some(i) = self.text.find(&toml) {
            return self.line_starts[self.line_starts.partition_point(|&s| s <= i) - 1];
        }
        let json_env = self.text.find("\"env\"").unwrap_or(0);
        let key = format!("\"{env}\"");
        self.text[json_env..].find(&key).map_or(0, |i| json_env + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::SourceKind;

    fn read(path: &str, text: &str) -> (Vec<Worker>, Vec<Diagnostic>) {
        let file = SourceFile::new(path, SourceKind::Wrangler, text);
        let (mut w, mut d) = (Vec::new(), Vec::new());
        extract(&file, &mut w, &mut d);
        (w, d)
    }

    #[test]
    fn toml_bindings_consumers_and_environments() {
        let (workers, diags) = read(
            "api/wrangler.toml",
            r#"name = "api"
main = "src/index.ts"

[[d1_databases]]
binding = "DB"
database_name = "app-db"
migrations_dir = "db/migrations"

[[queues.consumers]]
queue = "jobs"
max_retries = 3
dead_letter_queue = "jobs-dlq"

[triggers]
crons = ["0 3 * * *"]

[env.staging]
[[env.staging.d1_databases]]
binding = "DB"
database_name = "app-db-staging"
"#,
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(workers.len(), 2);
        let top = &workers[0];
        assert_eq!(top.main.as_deref(), Some("api/src/index.ts"));
        assert_eq!(top.bindings[0].target.as_deref(), Some("app-db"));
        assert_eq!(top.bindings[0].settings["migrations_dir"], "db/migrations");
        assert_eq!(top.bindings[0].location.line, 5);
        assert_eq!(top.consumers[0].max_retries, Some(3));
        assert_eq!(top.consumers[0].location.line, 10);
        assert_eq!(top.crons, vec!["0 3 * * *"]);
        let staging = &workers[1];
        assert_eq!(staging.environment.as_deref(), Some("staging"));
        assert_eq!(staging.bindings.len(), 1);
        assert_eq!(staging.bindings[0].location.line, 19);
        assert!(staging.consumers.is_empty(), "not inherited");
        assert_eq!(staging.main.as_deref(), Some("api/src/index.ts"));
    }

    #[test]
    fn jsonc_with_comments_trailing_commas_and_exports() {
        let (workers, diags) = read(
            "wrangler.jsonc",
            r#"// chat
{
  "name": "chat", /* inline */
  "durable_objects": { "bindings": [ { "name": "ROOM", "class_name": "Room", }, ], },
  "exports": { "Room": { "type": "durable-object", "storage": "sqlite" } },
  "migrations": [ { "tag": "v1", "new_sqlite_classes": ["Room"] } ],
  "url": "https://example.com/*not a comment*/",
}"#,
        );
        assert!(diags.is_empty(), "{diags:?}");
        let w = &workers[0];
        assert_eq!(w.bindings[0].kind, BindingKind::DurableObject);
        assert_eq!(w.bindings[0].target.as_deref(), Some("Room"));
        assert_eq!(w.bindings[0].location.line, 4);
        assert_eq!(w.do_exports[0].storage.as_deref(), Some("sqlite"));
        assert_eq!(w.do_migrations[0].new_sqlite_classes, vec!["Room"]);
    }

    #[test]
    fn broken_configs_are_warnings_with_positions() {
        let (w, d) = read(
            "wrangler.toml",
            "name = \"x\"\n[[d1_databases]\nbinding = 1\n",
        );
        assert!(w.is_empty());
        assert_eq!(
            d[0].to_string().split(": warning").next(),
            Some("wrangler.toml:2:16")
        );
        let (w, d) = read("wrangler.json", "{\n  \"name\": \"x\"\n  \"main\": 1\n}");
        assert!(w.is_empty());
        assert!(d[0].to_string().starts_with("wrangler.json:2:14: warning[config-parse-error]: cannot parse this file (Expected comma)"), "{}", d[0]);
    }
}
