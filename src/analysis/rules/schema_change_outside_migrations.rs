//! `schema-change-outside-migrations`: an `ALTER TABLE` run on a D1
//! database by `wrangler d1 execute --command`, outside its migrations.
use crate::model::{D1Command, Finding, FindingSeverity, Location, Model, RuleId, Subject, Topic};

/// One line for `dmqa rules`.
pub const SUMMARY: &str =
    "An ALTER TABLE run by `wrangler d1 execute --command` instead of a D1 migration.";

/// The most severe row it reports.
pub const SEVERITY: FindingSeverity = FindingSeverity::Warning;

/// Documentation shown in the README and by `dmqa explain`.
pub const DOC: &str = "\
## What it finds
An `ALTER TABLE` that a package script or the project's own tooling runs
with `wrangler d1 execute DATABASE --command \"…\"` (a `package.json`
script, a command line code builds and runs).

## Why it matters
D1 records each migration it applies in `d1_migrations` and applies it
once. A schema change run as a plain command is recorded nowhere: every
run repeats it, it fails once the change is in place (`duplicate column
name`), and tooling that ignores that expected failure also hides a real
one, so databases drift apart with nothing saying which change each has.

## Example
`wrangler d1 execute DB --command \"ALTER TABLE tags ADD COLUMN stale
INTEGER\"` → `wrangler d1 migrations create DB add-stale` with the
statement in the new file, then `wrangler d1 migrations apply DB`.
";

/// One finding per command.
pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for c in &model.d1_commands {
        let alters = crate::sources::sql::alters(&c.sql);
        let Some((table, first)) = alters.first() else {
            continue;
        };
        let more = match alters.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let failure = failure(model, c)
            .map(|why| format!("; run where the change is already made, it fails (`{why}`)"))
            .unwrap_or_default();
        out.push(
            Finding::new(
                RuleId::SchemaChangeOutsideMigrations,
                FindingSeverity::Warning,
                Topic::Ddl,
                Subject::table(table),
                format!(
                    "`{}`{more} runs through `wrangler d1 execute {} --command` ({}), not a D1 migration: nothing records that it ran{failure}",
                    statement(first),
                    c.database,
                    c.location,
                ),
            )
            .advice(
                "⚠️ Make it a migration (`wrangler d1 migrations create`, then `wrangler d1 migrations apply`): D1 applies each once and records it",
            )
            .at(vec![c.location.clone()]),
        );
    }
}

/// A statement on one line, cut at 80 characters.
fn statement(sql: &str) -> String {
    let flat = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 80 {
        return flat;
    }
    let cut: String = flat.chars().take(79).collect();
    format!("{cut}…")
}

/// Why the command's DDL fails when replayed in order after the
/// database's schema, if it does.
fn failure<'m>(model: &'m Model, c: &D1Command) -> Option<&'m str> {
    model
        .databases
        .iter()
        .flat_map(|d| &d.rejected)
        .find(|r| covers(c, &r.location))
        .map(|r| r.reason.as_str())
}

/// Whether a rejected statement at `at` is part of a `d1 execute`
/// command (reported by this rule, not as a failing migration).
pub fn in_command(model: &Model, at: &Location) -> bool {
    model.d1_commands.iter().any(|c| covers(c, at))
}

/// Whether `at` is within the SQL of command `c`.
fn covers(c: &D1Command, at: &Location) -> bool {
    let lines = u32::try_from(c.sql.lines().count()).unwrap_or(u32::MAX);
    c.location.path == at.path
        && (c.location.line..=c.location.line.saturating_add(lines)).contains(&at.line)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rows, wrangler};
    use crate::model::RuleId;

    fn rows_for(scripts: &str) -> Vec<super::super::testing::Row> {
        rows(
            RuleId::SchemaChangeOutsideMigrations,
            &[
                (
                    "wrangler.toml",
                    &wrangler(
                        "[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"app\"\ndatabase_id = \"x\"\n",
                    ),
                ),
                (
                    "package.json",
                    &format!("{{\n  \"name\": \"app\",\n  \"scripts\": {scripts}\n}}\n"),
                ),
            ],
        )
    }

    #[test]
    fn fires_on_an_alter_table_in_a_script() {
        let rows = rows_for(
            r#"{
    "db:init": "wrangler d1 execute app --command \"CREATE TABLE tags (tag TEXT PRIMARY KEY)\"",
    "db:upgrade": "wrangler d1 execute DB --remote --command \"ALTER TABLE tags ADD COLUMN stale INTEGER\""
  }"#,
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "DDL (tags)");
        assert!(
            rows[0][1].starts_with("`ALTER TABLE tags ADD COLUMN stale INTEGER` runs through `wrangler d1 execute DB --command` (package.json:5), not a D1 migration"),
            "{rows:?}"
        );
    }

    #[test]
    fn stays_silent_on_creates_and_migrations() {
        let rows = rows_for(
            r#"{
    "db:init": "wrangler d1 execute app --command \"CREATE TABLE IF NOT EXISTS tags (tag TEXT PRIMARY KEY)\"",
    "db:migrate": "wrangler d1 migrations apply DB --remote",
    "db:seed": "wrangler d1 execute DB --file ./seed.sql"
  }"#,
        );
        assert!(rows.is_empty(), "{rows:?}");
    }
}
