//! Markdown rendering: the model's view through a minijinja template.
//!
//! Owns the template environment (strict undefined, no HTML auto-escaping;
//! the Markdown filters `cell`, `line` and `fence` of `escape.rs`) and the embedded default template. It computes nothing:
//! `view.rs` words the model's facts, the template lays them out.

pub mod ci;
pub mod docs;
pub mod escape;
pub mod mermaid;
pub mod tbls;
pub mod view;
pub mod words;

use crate::model::Model;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

/// The default template, embedded in the binary.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../templates/data-model-qa.md.j2");

/// The `cell` filter: a value escaped for a Markdown table cell.
pub fn cell(value: String) -> String {
    escape::cell(&value)
}

/// The `line` filter: a value escaped for one line of Markdown (a heading,
/// a label, a list item).
pub fn line(value: String) -> String {
    escape::inline(&value)
}

/// The `fence` filter: a fenced code block (in `lang`) no content can
/// close early.
pub fn fence(value: String, lang: Option<String>) -> String {
    escape::fence(&value, lang.as_deref().unwrap_or(""))
}

/// Renders `model` with `template` (the default when `None`).
/// With `diagrams`, the view also carries the Mermaid diagrams the
/// default template draws.
pub fn render(
    model: &Model,
    template: Option<&str>,
    diagrams: bool,
) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.add_filter("cell", cell);
    env.add_filter("line", line);
    env.add_filter("fence", fence);
    env.add_template("data-model-qa.md", template.unwrap_or(DEFAULT_TEMPLATE))?;
    let mut view = view::build(model);
    if diagrams {
        view.er_diagrams = mermaid::er_diagrams(model);
        view.flow_diagram = mermaid::flowchart(model);
    }
    let out = env
        .get_template("data-model-qa.md")?
        .render(minijinja::value::Serde(&view))?;
    Ok(format!("{}\n", out.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_escapes_pipes_and_newlines() {
        assert_eq!(cell("a | b\nc".into()), "a \\| b c");
    }

    /// Every table header in the template is followed by a separator row
    /// with as many dashes as each header cell is wide (with its spaces).
    #[test]
    fn separator_rows_match_their_headers() {
        let lines: Vec<&str> = DEFAULT_TEMPLATE.lines().collect();
        let mut checked = 0;
        for pair in lines.windows(2) {
            let (head, sep) = (pair[0], pair[1]);
            if head.starts_with("| ") && !head.contains("{{") && sep.starts_with("|-") {
                let want: Vec<usize> = head
                    .trim_matches('|')
                    .split('|')
                    .map(|c| c.chars().count())
                    .collect();
                let got: Vec<usize> = sep.trim_matches('|').split('|').map(str::len).collect();
                assert_eq!(want, got, "{head}");
                checked += 1;
            }
        }
        assert_eq!(checked, 10);
    }

    #[test]
    fn empty_model_has_every_section_in_order() {
        let out = render(&Model::default(), None, false).unwrap();
        let headings: Vec<&str> = out.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            headings,
            vec![
                "# Data Model",
                "## Tables Summary",
                "## R2 Storage",
                "## KV Namespaces",
                "## Queue Messages",
                "## Durable Objects",
                "## Data Flow Diagram",
                "## Recommendations"
            ]
        );
        assert_eq!(out.matches("_None found._").count(), 7);
        assert!(!out.contains("\n\n\n"));
    }

    #[test]
    fn a_misspelled_field_fails() {
        let err = render(&Model::default(), Some("{{ summary_rows }}"), false).unwrap_err();
        assert!(err.to_string().contains("undefined"), "{err}");
    }
}

#[cfg(test)]
mod hand_built {
    //! The renderer on a model built by hand: every section and every
    //! optional branch of the template, without any parser.
    use super::*;
    use crate::model::*;

    fn loc(line: u32) -> Location {
        Location::line("src/app.ts", line)
    }

    fn model() -> Model {
        let column = |name: &str, ty: &str, nullable: bool, pk: u32| Column {
            name: name.into(),
            sql_type: ty.into(),
            nullable,
            default: None,
            primary_key_position: pk,
            autoincrement: false,
            generated: None,
            check: None,
            comment: None,
            location: loc(1),
        };
        let mut db = Database::empty("migrations", Engine::D1, vec!["migrations/0001.sql".into()]);
        db.tables.push(Table {
            name: "apps".into(),
            kind: TableKind::Base,
            purpose: Some("Apps | registered".into()),
            columns: vec![
                column("id", "TEXT", false, 1),
                column("org_id", "TEXT", false, 0),
            ],
            primary_key: vec!["id".into()],
            indexes: vec![Index {
                name: "idx_apps_org".into(),
                columns: vec![IndexColumn {
                    name: "org_id".into(),
                    descending: false,
                }],
                unique: false,
                partial: None,
                origin: IndexOrigin::Explicit,
                location: loc(2),
            }],
            foreign_keys: vec![],
            checks: vec![],
            without_rowid: false,
            row_estimate: Some("1000s".into()),
            access_patterns: vec![AccessPattern {
                operation: Operation {
                    verb: QueryVerb::List,
                    by: vec!["org".into()],
                    sets: Vec::new(),
                },
                query: "WHERE org_id = ?".into(),
                frequency: vec![Run {
                    frequency: Frequency::High,
                    invoker: Invoker::Request {
                        entry: EntryPoint::Route {
                            method: "GET".into(),
                            path: "/v1/apps".into(),
                        },
                    },
                }],
                sources: vec![loc(3)],
            }],
            location: loc(1),
        });
        let app_id = |before: &str, after: &str| {
            let mut k = Key::literal(before);
            k.push_placeholder("appId");
            k.push_literal(after);
            k
        };
        let pattern = |p: Key| KeyPattern {
            pattern: p,
            purpose: "Production bundle".into(),
            lifecycle: Some(Lifecycle::Permanent),
            value_type: Some(ValueType {
                kind: Some(ValueKind::Json),
                metadata: false,
            }),
            ttl: vec![Expiry::Ttl { secs: 300 }],
            cache_ttl: Vec::new(),
            sources: vec![loc(4)],
        };
        Model {
            databases: vec![db],
            buckets: vec![Bucket {
                binding: "BUNDLES".into(),
                bucket_names: vec!["bundles".into()],
                bound_by: vec![],
                path_patterns: vec![pattern(app_id("", "/bundle.js"))],
                access: vec![ResourceAccess {
                    operation: OpKind::Write,
                    actor: "POST /v1/uploads".into(),
                    entries: Vec::new(),
                    frequency: vec![Frequency::Configured("Per release".into())],
                    sources: vec![loc(5)],
                }],
                location: loc(5),
            }],
            kv_namespaces: vec![KvNamespace {
                binding: "CACHE".into(),
                ids: vec![],
                bound_by: vec![],
                key_patterns: vec![pattern(app_id("app:", ""))],
                location: loc(6),
            }],
            queues: vec![Queue {
                name: "uploads".into(),
                producers: vec![BindingRef {
                    worker: "api".into(),
                    environment: None,
                    binding: "UPLOADS".into(),
                }],
                consumers: vec![],
                is_dead_letter_queue: false,
                message_schema: vec![("jobId".into(), "string".into())],
                processing: vec![ProcessingStep {
                    action: StepAction::Use {
                        kind: BindingKind::R2,
                        op: OpKind::Read,
                        binding: "BUNDLES".into(),
                        key: Some(app_id("", "/bundle.js")),
                    },
                    on_failure: Some(OnFailure::Retry {
                        explicit: false,
                        max_retries: 3,
                        dead_letter_queue: Some("uploads-dlq".into()),
                    }),
                    location: loc(7),
                }],
                location: loc(7),
            }],
            durable_objects: vec![DurableObject {
                class_name: "Room".into(),
                storage: DoStorage::Sqlite,
                bound_by: vec![],
                script_name: None,
                purpose: Some("Chat room".into()),
                state: vec![StateItem::Field {
                    name: "members".into(),
                    ty: "Map<string, WebSocket>".into(),
                }],
                mutated: vec!["members".into()],
                instances: vec![],
                methods: vec![DoMethod {
                    name: "connect".into(),
                    doc: Some("WebSocket connection".into()),
                    handler: None,
                    called_by: vec![Caller::Stub {
                        actor: "GET /v1/rooms/:id".into(),
                        entries: Vec::new(),
                    }],
                    location: loc(8),
                }],
                location: loc(8),
            }],
            flows: vec![Flow {
                worker: None,
                entry: FlowEntry::Entry {
                    entry: EntryPoint::Route {
                        method: "POST".into(),
                        path: "/v1/uploads".into(),
                    },
                },
                steps: vec![
                    FlowStep::Database {
                        engine: Engine::D1,
                        tables: vec!["apps".into()],
                    },
                    FlowStep::R2 {
                        binding: "BUNDLES".into(),
                        prefixes: Vec::new(),
                    },
                ],
                location: loc(9),
            }],
            findings: vec![
                Finding::new(
                    RuleId::UnindexedForeignKey,
                    FindingSeverity::Keep,
                    Topic::Indexes,
                    Subject::Topic,
                    "Every FK indexed",
                )
                .advice("every one of them"),
            ],
            ..Model::default()
        }
    }

    #[test]
    fn every_branch_of_the_template_renders() {
        insta::assert_snapshot!(render(&model(), None, false).unwrap());
    }
}
