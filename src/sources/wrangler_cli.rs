//! `wrangler d1 execute DATABASE --command "SQL"` command lines, in
//! package scripts and in code that builds them: SQL run on a D1 database
//! outside its migrations.

/// One `wrangler d1 execute` with a `--command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct D1Execute {
    /// The database as named: a binding or a `database_name`.
    pub database: String,
    /// The SQL of `--command`.
    pub sql: String,
    /// `--config` / `-c`, as written.
    pub config: Option<String>,
}

/// Options of `wrangler d1 execute` that take a value.
const VALUED: &[&str] = &[
    "--file",
    "--env",
    "-e",
    "--persist-to",
    "--batch-size",
    "--experimental-json-config",
];

/// Words that end one command of a shell line.
fn separates(word: &str) -> bool {
    matches!(word, "&&" | "||" | ";" | "|" | "&")
}

/// The `d1 execute … --command` commands of a shell command line (a
/// package script). Unbalanced quotes give nothing.
pub fn from_shell(line: &str) -> Vec<D1Execute> {
    shlex::split(line).map_or_else(Vec::new, |words| from_words(&words))
}

/// The same, for command words already split (`["d1", "execute", "DB",
/// "--command", "SELECT 1"]`); an unknown word is `None`.
pub fn from_words<S: AsRef<str>>(words: &[S]) -> Vec<D1Execute> {
    executes(words)
        .into_iter()
        .filter_map(|(database, sql, _, config)| {
            Some(D1Execute {
                database,
                sql: sql?,
                config,
            })
        })
        .collect()
}

/// One `wrangler d1 execute DATABASE --file PATH` of a package script: a
/// SQL file applied to that database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct D1File {
    /// The database as named: a binding or a `database_name`.
    pub database: String,
    /// The file, repo-relative (the script runs in its package's folder).
    pub file: String,
    /// The config it runs with, repo-relative: `--config`, else the
    /// package's folder.
    pub config: String,
}

/// The scripts of a `package.json`, by name, in its order.
fn scripts(text: &str) -> Vec<(String, String)> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    v.get("scripts")
        .and_then(|s| s.as_object())
        .into_iter()
        .flatten()
        .filter_map(|(name, script)| Some((name.clone(), script.as_str()?.to_owned())))
        .collect()
}

/// Each `d1 execute` of split command words: its database, `--command`,
/// `--file` and `--config`.
type Execute = (String, Option<String>, Option<String>, Option<String>);

fn executes<S: AsRef<str>>(words: &[S]) -> Vec<Execute> {
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    let mut out = Vec::new();
    for command in words.split(|w| separates(w)) {
        let Some(at) = command
            .windows(2)
            .position(|w| w[0] == "d1" && w[1] == "execute")
        else {
            continue;
        };
        let (mut database, mut sql, mut file, mut config) = (None, None, None, None);
        let mut rest = command[at + 2..].iter();
        while let Some(w) = rest.next() {
            if let Some((flag, value)) = w.split_once('=').filter(|(f, _)| f.starts_with('-')) {
                match flag {
                    "--command" => sql = Some(value.to_owned()),
                    "--file" => file = Some(value.to_owned()),
                    "--config" | "-c" => config = Some(value.to_owned()),
                    _ => {}
                }
            } else if matches!(*w, "--command") {
                sql = rest.next().map(|s| (*s).to_owned());
            } else if matches!(*w, "--file") {
                file = rest.next().map(|s| (*s).to_owned());
            } else if matches!(*w, "--config" | "-c") {
                config = rest.next().map(|s| (*s).to_owned());
            } else if VALUED.contains(w) {
                rest.next();
            } else if !w.starts_with('-') && database.is_none() {
                database = Some((*w).to_owned());
            }
        }
        if let Some(database) = database {
            out.push((database, sql, file, config));
        }
    }
    out
}

/// What a `package.json`'s scripts run with `wrangler d1 execute`: each
/// `--command` at its script's line, and each `--file`, with the config
/// they run with (`--config` relative to the package, else the package's
/// folder). Each script is read once for both.
pub fn from_package_json(path: &str, text: &str) -> (Vec<crate::model::D1Command>, Vec<D1File>) {
    let dir = super::parent(path);
    let (mut commands, mut files) = (Vec::new(), Vec::new());
    for (name, script) in scripts(text) {
        let Some(words) = shlex::split(&script) else {
            continue;
        };
        let line = text
            .find(&format!("\"{name}\""))
            .map_or(1, |at| text[..at].matches('\n').count() + 1);
        for (database, sql, file, config) in executes(&words) {
            let config = config.map_or_else(|| dir.to_owned(), |c| super::path_join_keep(dir, &c));
            if let Some(file) = file {
                files.push(D1File {
                    database: database.clone(),
                    file: super::path_join(dir, &file),
                    config: config.clone(),
                });
            }
            if let Some(sql) = sql {
                commands.push(crate::model::D1Command {
                    database,
                    sql,
                    config: Some(config),
                    location: crate::model::Location::line(path, u32::try_from(line).unwrap_or(1)),
                });
            }
        }
    }
    (commands, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_database_the_sql_and_the_config() {
        let got = from_shell(
            "wrangler d1 execute app-db --local --command \"CREATE TABLE t (id INTEGER PRIMARY KEY); ALTER TABLE t ADD COLUMN n TEXT\" -c ./wrangler.prod.toml && vite build",
        );
        assert_eq!(
            got,
            [D1Execute {
                database: "app-db".into(),
                sql: "CREATE TABLE t (id INTEGER PRIMARY KEY); ALTER TABLE t ADD COLUMN n TEXT"
                    .into(),
                config: Some("./wrangler.prod.toml".into()),
            }]
        );
        let eq =
            from_shell("npx wrangler d1 execute DB --remote --env=prod --command='DROP TABLE old'");
        assert_eq!(eq[0].database, "DB");
        assert_eq!(eq[0].sql, "DROP TABLE old");
        assert_eq!(eq[0].config, None);
    }

    #[test]
    fn ignores_files_other_commands_and_bad_quotes() {
        assert!(from_shell("wrangler d1 execute DB --file ./schema.sql").is_empty());
        assert!(from_shell("wrangler d1 migrations apply DB --remote").is_empty());
        assert!(from_shell("wrangler d1 execute DB --command \"SELECT 1").is_empty());
        // `--env prod` is an option's value, not the database.
        let got = from_shell("wrangler d1 execute --env prod DB --command 'SELECT 1'");
        assert_eq!(got[0].database, "DB");
    }

    #[test]
    fn reads_the_files_scripts_apply() {
        let pkg = r#"{ "scripts": {
            "init": "wrangler d1 execute shop --remote --file=./db/schema.sql",
            "load": "cd . && npx wrangler d1 execute DB --file ../seed/data.sql -c wrangler.prod.toml",
            "query": "wrangler d1 execute DB --command 'SELECT 1'"
        } }"#;
        let (commands, got) = from_package_json("api/package.json", pkg);
        assert_eq!(
            got,
            [
                D1File {
                    database: "shop".into(),
                    file: "api/db/schema.sql".into(),
                    config: "api".into(),
                },
                D1File {
                    database: "DB".into(),
                    file: "seed/data.sql".into(),
                    config: "api/wrangler.prod.toml".into(),
                },
            ]
        );
        // `--command` lines are not files, and stay what they were.
        assert_eq!(commands.len(), 1);
    }
}
