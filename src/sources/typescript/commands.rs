//! Command lines code builds for wrangler: `execSync(\`wrangler d1
//! execute DB --command "…"\`)`, `runWrangler(opts, ["d1 execute", NAME,
//! \`--command "…"\`])`.

use super::fold::fold;
use super::index::CodeIndex;
use super::syntax::{children, location, text, walk};
use crate::model::{D1Command, Model};
use crate::sources::typescript::parse::NodeKind;
use crate::sources::wrangler_cli::{self, D1Execute};

/// Reads the `wrangler d1 execute --command` lines of every parsed file.
pub(crate) fn extract(index: &CodeIndex<'_>, model: &mut Model) {
    for (fi, file) in index.files.iter().enumerate() {
        if !file.src.contains("execute") || !file.src.contains("--command") {
            continue;
        }
        walk(file.root, |n| {
            let found = match n.kind_name() {
                "array" => array_line(index, fi, n),
                "string" | "template_string"
                    if n.parent().is_none_or(|p| p.kind_name() != "array") =>
                {
                    match fold(index, fi, n) {
                        Some(v) => wrangler_cli::from_shell(&v.as_string()),
                        None => Vec::new(),
                    }
                }
                _ => Vec::new(),
            };
            // In an array, the element holding the SQL.
            let at = match n.kind_name() {
                "array" => children(n)
                    .into_iter()
                    .find(|e| text(*e, file.src).contains("--command"))
                    .unwrap_or(n),
                _ => n,
            };
            for e in found {
                model.d1_commands.push(D1Command {
                    database: e.database,
                    sql: e.sql,
                    config: e
                        .config
                        .map(|c| crate::sources::path_join(crate::sources::parent(file.path), &c)),
                    location: location(file.path, at),
                });
            }
        });
    }
}

/// The command an array of words builds: each element one argument, or a
/// few shell words (`"d1 execute"`, `` `--command "…"` ``); an element
/// that does not fold is a word dmqa does not know.
fn array_line(index: &CodeIndex<'_>, fi: usize, array: tree_sitter::Node<'_>) -> Vec<D1Execute> {
    let Some(src) = index.files.get(fi).map(|f| f.src) else {
        return Vec::new();
    };
    let mut words: Vec<String> = Vec::new();
    for element in children(array)
        .into_iter()
        .filter(|e| e.kind_name() != "comment")
    {
        let Some(value) = fold(index, fi, element).map(|v| v.as_string()) else {
            words.push(format!("\u{0}{}", text(element, src)));
            continue;
        };
        let whole = words.last().is_some_and(|w| w == "--command") || !value.contains(' ');
        match (whole, shlex::split(&value)) {
            (false, Some(split)) => words.extend(split),
            _ => words.push(value),
        }
    }
    wrangler_cli::from_words(&words)
}

#[cfg(test)]
mod tests {
    use crate::analysis::rules::testing::{model_with, wrangler};

    /// A command line built from an array of words, with a constant for
    /// the database and a value dmqa cannot fold, and one built by a
    /// template string.
    #[test]
    fn reads_command_lines_code_builds() {
        let code = "const DB_NAME = \"TAGS\";\nexport function init(opts: Opts, preview: boolean) {\n  runWrangler(opts, [\n    \"d1 execute\",\n    DB_NAME,\n    `--command \"ALTER TABLE tags ADD COLUMN stale INTEGER\"`,\n    `--preview ${preview}`,\n  ]);\n  execSync(`npx wrangler d1 execute ${DB_NAME} --local --command \"CREATE TABLE IF NOT EXISTS tags (tag TEXT)\"`);\n  spawn(\"wrangler\", [\"d1\", \"execute\", DB_NAME, \"--command\", \"DROP TABLE old\"]);\n}\nexport default { async fetch(req: Request, env: Env) { init({}, false); return new Response(await env.TAGS.prepare(\"SELECT 1\").first()); } };\n";
        let config = wrangler(
            "[[d1_databases]]\nbinding = \"TAGS\"\ndatabase_name = \"t\"\ndatabase_id = \"x\"\n",
        );
        let model = model_with("", &[("wrangler.toml", &config), ("src/index.ts", code)]);
        let got: Vec<(String, String, u32)> = model
            .d1_commands
            .iter()
            .map(|c| (c.database.clone(), c.sql.clone(), c.location.line))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "TAGS".to_owned(),
                    "ALTER TABLE tags ADD COLUMN stale INTEGER".to_owned(),
                    6
                ),
                (
                    "TAGS".to_owned(),
                    "CREATE TABLE IF NOT EXISTS tags (tag TEXT)".to_owned(),
                    9
                ),
                ("TAGS".to_owned(), "DROP TABLE old".to_owned(), 10),
            ]
        );
        // The CREATE is the binding's schema: the table appears.
        let db = &model.databases[0];
        assert!(db.tables.iter().any(|t| t.name == "tags"), "{db:?}");
    }
}
