//! Module specifiers to files of the checkout: relative paths,
//! extension-less and `.js`-for-`.ts` specifiers, `index` files, tsconfig
//! `paths` aliases, and the packages of a workspace by their name
//! (`@acme/db`, `@acme/db/schema`).

use std::collections::HashSet;

/// `compilerOptions.paths` of one tsconfig: alias pattern → targets, each
/// relative to the repo root.
#[derive(Debug, Clone, Default)]
pub struct PathAliases {
    /// The folder the tsconfig is in.
    pub dir: String,
    /// `("@/*", ["src/*"])`, targets already joined with `baseUrl`.
    pub paths: Vec<(String, Vec<String>)>,
    /// `baseUrl`, when set: bare specifiers are also looked up under it
    /// (`import { db } from "schema"` → `app/schema.ts`).
    pub base_url: Option<String>,
}

/// A package of the checkout: its `package.json`'s folder, name and the
/// files it names as its entry (`exports["."]`, `types`, `module`,
/// `main`), each relative to the repo root.
#[derive(Debug, Clone, Default)]
pub struct Package {
    /// The folder (`packages/db`, `""` at the root).
    pub dir: String,
    /// `name` (`@acme/db`).
    pub name: String,
    /// Entry files, in the order tried.
    pub entries: Vec<String>,
    /// The drizzle configs its scripts apply with `drizzle-kit push` (the
    /// file `--config` names, `""` for the default `drizzle.config.*`),
    /// when no script runs migrations (`drizzle-kit migrate`, `wrangler d1
    /// migrations apply`, a `migrate.ts`): a migrations folder beside such
    /// a config is not what the database is.
    pub pushed_configs: Vec<String>,
}

impl Package {
    /// The package a `package.json` declares (without a name, only its
    /// folder and scripts count).
    pub fn read(path: &str, text: &str) -> Package {
        let dir = crate::sources::parent(path).to_owned();
        let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
            return Package {
                dir,
                ..Package::default()
            };
        };
        let scripts: Vec<&str> = v
            .get("scripts")
            .and_then(|s| s.as_object())
            .into_iter()
            .flat_map(|m| m.values().filter_map(|x| x.as_str()))
            .collect();
        let pushed_configs: Vec<String> = if scripts.iter().any(|s| s.contains("migrat")) {
            Vec::new()
        } else {
            scripts
                .iter()
                .filter(|s| s.contains("drizzle-kit push"))
                .map(|s| pushed_config(s))
                .collect()
        };
        let Some(name) = v.get("name").and_then(|n| n.as_str()) else {
            return Package {
                dir,
                pushed_configs,
                ..Package::default()
            };
        };
        let name = name.to_owned();
        // `exports: "./src/index.ts"`, `exports: { ".": "…" }` or
        // `{ ".": { "types": "…", "import": "…", "default": "…" } }`.
        let dot = v
            .get("exports")
            .map(|e| e.get(".").unwrap_or(e))
            .into_iter()
            .flat_map(|e| match e {
                serde_json::Value::String(s) => vec![s.clone()],
                serde_json::Value::Object(m) => ["types", "import", "default", "require"]
                    .iter()
                    .filter_map(|k| m.get(*k).and_then(|x| x.as_str()).map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            });
        let fields = ["types", "module", "main"]
            .iter()
            .filter_map(|k| v.get(*k).and_then(|x| x.as_str()).map(str::to_owned));
        let entries = dot
            .chain(fields)
            .map(|e| super::super::path_join(&dir, &e))
            .collect();
        Package {
            dir,
            name,
            entries,
            pushed_configs,
        }
    }
}

/// The config a `drizzle-kit push` command names (`--config=x.ts` or
/// `--config x.ts`), `""` for the default.
fn pushed_config(script: &str) -> String {
    let after = script.split("drizzle-kit push").nth(1).unwrap_or_default();
    let mut words = after.split_whitespace();
    while let Some(w) = words.next() {
        if let Some(v) = w.strip_prefix("--config=") {
            return v.trim_start_matches("./").to_owned();
        }
        if w == "--config" {
            return words
                .next()
                .unwrap_or_default()
                .trim_start_matches("./")
                .to_owned();
        }
        if matches!(w, "&&" | ";" | "||") {
            break;
        }
    }
    String::new()
}

impl Package {
    /// Whether its scripts push the config file `file` (a name in its
    /// folder) and run no migrations.
    pub fn pushes(&self, file: &str) -> bool {
        self.pushed_configs.iter().any(|c| {
            if c.is_empty() {
                file.starts_with("drizzle.config.")
            } else {
                c == file
            }
        })
    }
}

/// Extensions tried, in order, for an extension-less specifier.
const EXTENSIONS: &[&str] = &[".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/// Resolves module specifiers to files of the checkout: relative paths,
/// extension-less and `.js`-for-`.ts` specifiers, `index` files, and
/// tsconfig `paths` aliases (the nearest tsconfig above the importer).
pub struct Resolver {
    paths: HashSet<String>,
    aliases: Vec<PathAliases>,
    packages: Vec<Package>,
}

impl Resolver {
    /// A resolver over `paths` (every TypeScript file of the checkout).
    pub fn new(paths: impl IntoIterator<Item = String>, aliases: Vec<PathAliases>) -> Self {
        Resolver {
            paths: paths.into_iter().collect(),
            aliases,
            packages: Vec::new(),
        }
    }

    /// The workspace's packages, which bare specifiers may name.
    pub fn with_packages(mut self, packages: Vec<Package>) -> Self {
        self.packages = packages;
        self
    }

    /// The file `specifier` names when imported from `from`.
    pub fn resolve(&self, from: &str, specifier: &str) -> Option<&str> {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let mut bases: Vec<String> = Vec::new();
        if specifier.starts_with('.') {
            bases.push(super::super::path_join_keep(dir, specifier));
        } else if let Some(a) = self
            .aliases
            .iter()
            .filter(|a| {
                a.dir.is_empty()
                    || from
                        .strip_prefix(a.dir.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|a| a.dir.len())
        {
            for (pattern, targets) in &a.paths {
                let rest = match pattern.strip_suffix('*') {
                    Some(prefix) => specifier.strip_prefix(prefix),
                    None => (specifier == pattern).then_some(""),
                };
                if let Some(rest) = rest {
                    bases.extend(targets.iter().map(|t| t.replace('*', rest)));
                }
            }
            if let Some(base) = &a.base_url {
                bases.push(super::super::path_join(base, specifier));
            }
        }
        bases
            .iter()
            .find_map(|b| self.find(b))
            .or_else(|| self.in_package(specifier))
    }

    /// The folder of the workspace package a bare specifier names
    /// (`agents`, `@acme/db/schema`): code of its own, behind its own API.
    pub fn package_dir(&self, specifier: &str) -> Option<&str> {
        if specifier.starts_with('.') || specifier.starts_with('/') {
            return None;
        }
        self.packages
            .iter()
            .find(|p| {
                specifier == p.name
                    || specifier
                        .strip_prefix(&p.name)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|p| p.dir.as_str())
    }

    /// A bare specifier naming a package of the workspace: its entry
    /// (a built `dist/index.js` is looked for as source too: `src/index`),
    /// or a file under it (`@acme/db/schema` → `packages/db/schema.ts` or
    /// `packages/db/src/schema.ts`).
    fn in_package(&self, specifier: &str) -> Option<&str> {
        let dir = self.package_dir(specifier)?;
        let p = self.packages.iter().find(|p| p.dir == dir)?;
        let join = |rest: &str| super::super::path_join(&p.dir, rest);
        let rest = specifier[p.name.len()..].trim_start_matches('/');
        let mut bases: Vec<String> = Vec::new();
        if rest.is_empty() {
            for e in &p.entries {
                bases.push(e.clone());
                // `dist/index.d.ts`, `dist/index.js` → `src/index`.
                let stem = e
                    .strip_suffix(".d.ts")
                    .or_else(|| e.rsplit_once('.').map(|(s, _)| s))
                    .unwrap_or(e);
                if let Some(tail) = stem
                    .strip_prefix(&format!("{}/", p.dir))
                    .or(p.dir.is_empty().then_some(stem))
                    .and_then(|t| t.split_once('/').map(|(_, t)| t))
                {
                    bases.push(join(&format!("src/{tail}")));
                }
            }
            bases.push(join("src/index"));
            bases.push(join("index"));
        } else {
            bases.push(join(rest));
            bases.push(join(&format!("src/{rest}")));
        }
        bases.iter().find_map(|b| self.find(b))
    }

    fn find(&self, base: &str) -> Option<&str> {
        candidates(base)
            .into_iter()
            .find_map(|c| self.paths.get(&c).map(String::as_str))
    }

    /// A file read from around the scanned folder joins the files
    /// specifiers resolve to.
    pub fn add(&mut self, path: String) {
        self.paths.insert(path);
    }

    /// Where a relative `specifier` imported from `from` leads when that
    /// is above the scanned folder: the files it may name, in the order
    /// tried.
    pub fn outside(&self, from: &str, specifier: &str) -> Vec<String> {
        if !specifier.starts_with('.') {
            return Vec::new();
        }
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let base = super::super::path_join_keep(dir, specifier);
        if !base.starts_with("../") {
            return Vec::new();
        }
        candidates(&base)
    }
}

/// The files an import of `base` may name: itself, with each extension
/// (`./schema.js` is `./schema.ts` in ESM TypeScript), or its `index`.
fn candidates(base: &str) -> Vec<String> {
    let stem = [".js", ".jsx", ".mjs", ".cjs"]
        .iter()
        .find_map(|e| base.strip_suffix(e))
        .unwrap_or(base);
    std::iter::once(base.to_owned())
        .chain(EXTENSIONS.iter().map(|e| format!("{stem}{e}")))
        .chain(EXTENSIONS.iter().map(|e| format!("{base}/index{e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_packages_resolve_by_name_to_their_source() {
        let pkg = |path: &str, json: &str| Package::read(path, json);
        let db = pkg(
            "packages/db/package.json",
            r#"{"name":"@acme/db","exports":{".":{"types":"./dist/index.d.ts","default":"./dist/index.js"}}}"#,
        );
        assert_eq!(
            db.entries,
            ["packages/db/dist/index.d.ts", "packages/db/dist/index.js"]
        );
        let ui = pkg(
            "packages/ui/package.json",
            r#"{"name":"ui","main":"lib/main.ts"}"#,
        );
        assert!(
            Package::read("x/package.json", r#"{"private":true}"#)
                .name
                .is_empty()
        );
        assert!(Package::read("x/package.json", "not json").name.is_empty());
        let pushed = |scripts: &str, file: &str| {
            Package::read("db/package.json", &format!(r#"{{"scripts":{scripts}}}"#)).pushes(file)
        };
        let config = "drizzle.config.ts";
        assert!(pushed(
            r#"{"migrate":"drizzle-kit push","generate":"drizzle-kit generate"}"#,
            config
        ));
        assert!(!pushed(
            r#"{"dev":"drizzle-kit push","deploy":"drizzle-kit migrate"}"#,
            config
        ));
        assert!(!pushed(
            r#"{"db":"wrangler d1 migrations apply DB","push":"drizzle-kit push"}"#,
            config
        ));
        assert!(!pushed(
            r#"{"push":"drizzle-kit push","migrate":"deno run src/migrate.mts"}"#,
            config
        ));
        // A push of another config (a test database's) is not this one's.
        let test = r#"{"setup":"bunx drizzle-kit push --config=drizzle.config.test.ts --force"}"#;
        assert!(!pushed(test, config));
        assert!(pushed(test, "drizzle.config.test.ts"));
        let files = [
            "packages/db/src/index.ts",
            "packages/db/src/schema.ts",
            "packages/ui/lib/main.ts",
        ]
        .map(str::to_owned);
        let r = Resolver::new(files, Vec::new()).with_packages(vec![db, ui]);
        let from = "apps/web/src/index.ts";
        // A built entry is looked for as source.
        assert_eq!(
            r.resolve(from, "@acme/db"),
            Some("packages/db/src/index.ts")
        );
        assert_eq!(
            r.resolve(from, "@acme/db/schema"),
            Some("packages/db/src/schema.ts")
        );
        assert_eq!(r.resolve(from, "ui"), Some("packages/ui/lib/main.ts"));
        // A name that only starts like a package's is not it.
        assert_eq!(r.resolve(from, "@acme/dbx"), None);
        assert_eq!(r.resolve(from, "react"), None);
    }
}
