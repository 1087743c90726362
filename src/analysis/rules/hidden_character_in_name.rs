//! `hidden-character-in-name`: a table, column, binding, queue or Durable
//! Object class whose name holds characters a reader cannot see.
use crate::model::{Finding, FindingSeverity, Location, Model, RuleId, Subject, Topic};
use crate::unicode::{has_hidden, seen};

/// One line for `dmqa rules`.
pub const SUMMARY: &str = "A name holding invisible, bidirectional or other hidden characters.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
A table, column, binding, queue or Durable Object class whose name holds a
character that renders as nothing or reorders the text around it: a
zero-width space, a bidirectional control, a control character.

## Why it matters
`users` and `us\\u{200b}ers` look identical in a review, an editor and most
reports, yet they are two tables: queries, grants and bindings meant for
one reach the other, and a pull request can hide a change this way. The
report shows such characters as `\\u{…}`.

## Example
`CREATE TABLE \"us\u{200b}ers\" (…)` → rename it `users` (or to a name that differs
visibly).
";

/// One finding per name holding hidden characters, saying when it looks
/// like another name of the same kind.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    // (subject, kind, name, where it is declared, when the model says).
    let mut names: Vec<(Subject, &str, &str, Option<&Location>)> = Vec::new();
    for db in &model.databases {
        for t in &db.tables {
            names.push((Subject::table(&t.name), "table", &t.name, Some(&t.location)));
            for c in &t.columns {
                names.push((
                    Subject::table(&t.name),
                    "column",
                    &c.name,
                    Some(&t.location),
                ));
            }
        }
    }
    for w in &model.workers {
        for b in &w.bindings {
            let subject = Subject::Binding {
                name: b.name.clone(),
            };
            names.push((subject, "binding", &b.name, Some(&b.location)));
        }
    }
    for q in &model.queues {
        let subject = Subject::Queue {
            name: q.name.clone(),
        };
        names.push((subject, "queue", &q.name, None));
    }
    for d in &model.durable_objects {
        let subject = Subject::Class {
            name: d.class_name.clone(),
        };
        names.push((subject, "class", &d.class_name, Some(&d.location)));
    }
    let mut reported: Vec<(&str, &str)> = Vec::new();
    for (subject, kind, name, at) in &names {
        if !has_hidden(name) || reported.contains(&(kind, name)) {
            continue;
        }
        reported.push((kind, name));
        let looks = seen(name);
        let twin = names
            .iter()
            .any(|(_, k, other, _)| k == kind && *other == looks);
        let message = if twin {
            format!(
                "{kind} `{name}` holds hidden characters and looks exactly like {kind} `{looks}`"
            )
        } else {
            format!("{kind} `{name}` holds hidden characters; it reads as `{looks}`")
        };
        let locations: Vec<Location> = at.iter().map(|l| (*l).clone()).collect();
        out.push(
            Finding::new(
                RuleId::HiddenCharacterInName,
                FindingSeverity::Warning,
                Topic::Names,
                subject.clone(),
                message,
            )
            .advice("⚠️ Rename it without them: names that look alike send queries and bindings to the wrong place")
            .at(locations),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, rows, wrangler};
    use crate::model::RuleId;

    fn rows_for(sql: &str) -> Vec<testing::Row> {
        rows(
            RuleId::HiddenCharacterInName,
            &[
                ("wrangler.toml", &wrangler(testing::D1)),
                ("migrations/0001_init.sql", sql),
            ],
        )
    }

    #[test]
    fn fires_on_a_table_that_looks_like_another() {
        let rows = rows_for(
            "CREATE TABLE users (id INTEGER PRIMARY KEY);\nCREATE TABLE \"us\u{200b}ers\" (id INTEGER PRIMARY KEY, \"na\u{202e}me\" TEXT);\n",
        );
        assert_eq!(rows.len(), 2, "{rows:?}");
        let text = format!("{rows:?}");
        assert!(text.contains("looks exactly like table `users`"), "{text}");
        assert!(text.contains("column `na"), "{text}");
    }

    #[test]
    fn stays_silent_on_plain_and_accented_names() {
        let rows =
            rows_for("CREATE TABLE users (id INTEGER PRIMARY KEY, café TEXT, \"名前\" TEXT);\n");
        assert!(rows.is_empty(), "{rows:?}");
    }
}
