//! Routes that frameworks take from a file's path: a handler exported from
//! `src/pages/api/users/[id].ts` (Astro) is `GET /api/users/:id`. Each
//! framework is a folder convention, the export names that are handlers,
//! and the HTTP method each stands for; a file matches only when its
//! export has one of those names, so a folder that merely looks alike
//! (`supabase/functions/`) names no route.

/// A framework's file-routing convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Convention {
    /// Cloudflare Pages Functions: `functions/**`, `onRequest[Get|Post|…]`.
    PagesFunctions,
    /// Astro endpoints: `src/pages/**`, `GET` / `POST` / … / `ALL`.
    Astro,
    /// SvelteKit: `src/routes/**/+server.ts`, `GET` / `POST` / ….
    SvelteKit,
    /// Next.js app router: `app/**/route.ts`, `GET` / `POST` / ….
    NextRoute,
    /// Next.js app router pages: `app/**/page.tsx`, the default export (a
    /// server component) rendered on `GET`.
    NextPage,
    /// Remix / React Router: `app/routes/*`, `loader` (GET), `action`
    /// (POST).
    Remix,
    /// Nitro / Nuxt: `server/api/**` and `server/routes/**`, the default
    /// export, its method from the file name (`create.post.ts`).
    Nitro,
}

/// The route a file's handlers serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRoute {
    convention: Convention,
    /// `/api/users/:id`.
    path: String,
    /// Nitro: the method the file name gives (`ALL` when none).
    method: &'static str,
    /// Middleware runs before every route under `path`: Pages Functions'
    /// `_middleware.ts`, Nitro's `server/middleware/NAME.ts` (`Some(NAME)`,
    /// as several run in file-name order).
    middleware: Option<String>,
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

impl FileRoute {
    /// The route of the file at `path` (repo-relative), if a convention
    /// routes it.
    pub fn of(path: &str) -> Option<FileRoute> {
        let (stem, ext) = path.rsplit_once('.')?;
        if !matches!(ext, "ts" | "js" | "mts" | "mjs" | "tsx" | "jsx") || stem.ends_with(".d") {
            return None;
        }
        let segments: Vec<&str> = stem.split('/').collect();
        let after = |anchor: &[&str]| {
            segments
                .windows(anchor.len())
                .position(|w| w == anchor)
                .map(|i| &segments[i + anchor.len()..])
        };
        let route = |convention, rest: &[&str], method| {
            Some(FileRoute {
                convention,
                path: url_path(rest),
                method,
                middleware: None,
            })
        };
        let last = *segments.last()?;
        if let Some([name]) = after(&["server", "middleware"]) {
            return Some(FileRoute {
                convention: Convention::Nitro,
                path: "/*".to_owned(),
                method: "ALL",
                middleware: Some((*name).to_owned()),
            });
        }
        if let Some(rest) = after(&["src", "routes"])
            && last == "+server"
        {
            return route(Convention::SvelteKit, &rest[..rest.len() - 1], "ALL");
        }
        if let Some(rest) = after(&["app", "routes"]) {
            let flat: Vec<&str> = rest.iter().flat_map(|s| s.split('.')).collect();
            let flat: Vec<&str> = flat.into_iter().filter(|s| *s != "route").collect();
            return route(Convention::Remix, &flat, "ALL");
        }
        if let Some(rest) = after(&["app"])
            && last == "route"
        {
            return route(Convention::NextRoute, &rest[..rest.len() - 1], "ALL");
        }
        if let Some(rest) = after(&["app"])
            && last == "page"
        {
            return route(Convention::NextPage, &rest[..rest.len() - 1], "GET");
        }
        if let Some(rest) = after(&["src", "pages"]) {
            return route(Convention::Astro, rest, "ALL");
        }
        for (anchor, prefix) in [
            (["server", "api"], Some("api")),
            (["server", "routes"], None),
        ] {
            if let Some(rest) = after(&anchor) {
                let mut rest: Vec<&str> = rest.to_vec();
                let mut method = "ALL";
                if let Some(file) = rest.pop() {
                    let (name, m) = match file.rsplit_once('.') {
                        Some((name, m)) if METHODS.contains(&m.to_ascii_uppercase().as_str()) => {
                            (name, m)
                        }
                        _ => (file, ""),
                    };
                    if let Some(m) = METHODS.iter().find(|x| x.eq_ignore_ascii_case(m)) {
                        method = m;
                    }
                    rest.push(name);
                }
                let mut all: Vec<&str> = prefix.into_iter().collect();
                all.extend(rest);
                return route(Convention::Nitro, &all, method);
            }
        }
        if let Some(rest) = after(&["functions"]) {
            let mut r = route(Convention::PagesFunctions, rest, "ALL")?;
            if last == "_middleware" {
                r.path = format!("{}/*", r.path.trim_end_matches('/'));
                r.middleware = Some(String::new());
            }
            return Some(r);
        }
        None
    }

    /// The route label (`GET /api/users/:id`) of a handler exported as
    /// `export_name` from this file, if that name is one of the
    /// convention's handlers.
    pub fn label(&self, export_name: &str) -> Option<String> {
        let method = match self.convention {
            Convention::PagesFunctions => match export_name.strip_prefix("onRequest")? {
                "" => "ALL",
                m => METHODS.iter().find(|x| x.eq_ignore_ascii_case(m))?,
            },
            Convention::Astro if export_name == "ALL" => "ALL",
            Convention::Astro | Convention::SvelteKit | Convention::NextRoute => {
                METHODS.iter().find(|x| **x == export_name)?
            }
            Convention::Remix => match export_name {
                "loader" => "GET",
                "action" => "POST",
                _ => return None,
            },
            Convention::Nitro | Convention::NextPage => return None,
        };
        Some(self.labelled(method))
    }

    /// Whether the file is a page a UI framework renders (a Next.js
    /// `page.tsx`), not an endpoint.
    pub fn is_page(&self) -> bool {
        self.convention == Convention::NextPage
    }

    /// The route label of the file's default export (Nitro's
    /// `export default defineEventHandler(…)`, a Next.js page).
    pub fn default_label(&self) -> Option<String> {
        matches!(self.convention, Convention::Nitro | Convention::NextPage)
            .then(|| self.labelled(self.method))
    }

    /// `GET /path`, and which middleware it is.
    fn labelled(&self, method: &str) -> String {
        match self.middleware.as_deref() {
            None => format!("{method} {}", self.path),
            Some("") => format!("{method} {} (middleware)", self.path),
            Some(name) => format!("{method} {} (middleware {name})", self.path),
        }
    }
}

/// `["api", "users", "[id]"]` → `/api/users/:id`: `index` and `_index`
/// name their folder, `[id]` / `$id` a parameter, `[...rest]` / `[[...x]]`
/// / `$` / `[[path]]` the rest of the path; `(group)` folders and Remix's
/// `_layout` segments add nothing.
fn url_path(segments: &[&str]) -> String {
    let mut out = String::new();
    for s in segments {
        let part = match *s {
            "index" | "_index" | "" => continue,
            s if s.starts_with('(') && s.ends_with(')') => continue,
            s if s.starts_with('_') => continue,
            "$" => "*".to_owned(),
            s if s.starts_with("[[") || s.starts_with("[...") => "*".to_owned(),
            s if s.starts_with('[') && s.ends_with(']') => format!(":{}", &s[1..s.len() - 1]),
            s if s.starts_with('$') => format!(":{}", &s[1..]),
            s => s.trim_end_matches('_').to_owned(),
        };
        out.push('/');
        out.push_str(&part);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(path: &str, export: &str) -> Option<String> {
        FileRoute::of(path)?.label(export)
    }

    #[test]
    fn each_convention_names_its_routes() {
        let cases = [
            (
                "functions/api/users/[id].ts",
                "onRequestGet",
                "GET /api/users/:id",
            ),
            ("functions/index.js", "onRequest", "ALL /"),
            (
                "functions/_middleware.ts",
                "onRequest",
                "ALL /* (middleware)",
            ),
            (
                "functions/api/_middleware.ts",
                "onRequestPost",
                "POST /api/* (middleware)",
            ),
            (
                "functions/files/[[path]].ts",
                "onRequestPost",
                "POST /files/*",
            ),
            ("src/pages/api/customers.ts", "GET", "GET /api/customers"),
            (
                "apps/web/src/pages/api/[slug]/index.ts",
                "POST",
                "POST /api/:slug",
            ),
            (
                "src/routes/api/items/[id]/+server.ts",
                "DELETE",
                "DELETE /api/items/:id",
            ),
            ("src/routes/(app)/api/+server.js", "GET", "GET /api"),
            ("app/api/users/route.ts", "GET", "GET /api/users"),
            (
                "app/routes/api.users.$id.tsx",
                "loader",
                "GET /api/users/:id",
            ),
            ("app/routes/_index.tsx", "action", "POST /"),
            ("app/routes/_auth.login.tsx", "action", "POST /login"),
        ];
        for (path, export, want) in cases {
            assert_eq!(
                label(path, export).as_deref(),
                Some(want),
                "{path} {export}"
            );
        }
        assert_eq!(
            FileRoute::of("server/api/link/create.post.ts").and_then(|r| r.default_label()),
            Some("POST /api/link/create".to_owned())
        );
        assert_eq!(
            FileRoute::of("server/routes/[slug].ts").and_then(|r| r.default_label()),
            Some("ALL /:slug".to_owned())
        );
        assert_eq!(
            FileRoute::of("server/middleware/1.redirect.ts").and_then(|r| r.default_label()),
            Some("ALL /* (middleware 1.redirect)".to_owned())
        );
        // Only the folder's own files: a helper folder below is no middleware.
        assert_eq!(FileRoute::of("server/middleware/lib/util.ts"), None);
        // A Next.js page is its default export, rendered on GET.
        assert_eq!(
            FileRoute::of("src/app/(shop)/items/[id]/page.tsx").and_then(|r| r.default_label()),
            Some("GET /items/:id".to_owned())
        );
        assert_eq!(
            FileRoute::of("app/page.tsx").and_then(|r| r.default_label()),
            Some("GET /".to_owned())
        );
        assert_eq!(label("app/page.tsx", "GET"), None);
    }

    #[test]
    fn other_exports_and_look_alike_folders_name_nothing() {
        assert_eq!(label("src/pages/api/customers.ts", "helper"), None);
        assert_eq!(label("supabase/functions/_backend/x.ts", "handler"), None);
        assert_eq!(label("functions/api/x.ts", "GET"), None);
        assert_eq!(label("app/routes/x.tsx", "GET"), None);
        assert_eq!(label("src/lib/users.ts", "GET"), None);
        assert_eq!(label("src/pages/api/types.d.ts", "GET"), None);
        assert_eq!(
            FileRoute::of("src/pages/api/customers.ts").and_then(|r| r.default_label()),
            None
        );
    }
}

#[cfg(test)]
mod pipeline {
    use crate::analysis::rules::testing::{D1, model_with, wrangler};
    use crate::render::words;

    /// Queries in framework route files run on their routes.
    #[test]
    fn handlers_of_route_files_are_entry_points() {
        let config = wrangler(D1);
        let astro = "export async function GET({ locals }) {\n  const { DB } = locals.runtime.env;\n  return Response.json(await DB.prepare(\"SELECT id FROM notes WHERE owner = ?\").bind(1).all());\n}\n";
        let remix = "export const loader = (async ({ context }) => {\n  return context.cloudflare.env.DB.prepare(\"SELECT id FROM notes WHERE id = ?\").bind(1).first();\n}) satisfies LoaderFunction;\n";
        let pages = "export const onRequestPost = async ({ env }) => {\n  await env.DB.prepare(\"INSERT INTO notes (id, owner) VALUES (?, ?)\").bind(1, 2).run();\n  return new Response(\"ok\");\n};\n";
        let nitro = "export default defineEventHandler(async (event) => {\n  const { DB } = event.context.cloudflare.env;\n  await DB.prepare(\"SELECT owner FROM notes WHERE owner = ?\").bind(1).all();\n});\n";
        let model = model_with(
            "",
            &[
                ("wrangler.toml", &config),
                (
                    "migrations/0001_init.sql",
                    "CREATE TABLE notes (id INTEGER PRIMARY KEY, owner INTEGER);\n",
                ),
                ("src/pages/api/notes.ts", astro),
                ("functions/api/notes/[id].ts", pages),
                ("app/routes/notes.$id.tsx", remix),
                ("server/middleware/1.auth.ts", nitro),
            ],
        );
        let table = &model.databases[0].tables[0];
        let runs: Vec<String> = table
            .access_patterns
            .iter()
            .map(|a| words::runs(&a.frequency))
            .collect();
        assert_eq!(
            runs,
            [
                "High (GET /notes/:id)",
                "High (POST /api/notes/:id)",
                "High (ALL /* (middleware 1.auth), GET /api/notes)"
            ],
            "{:?}",
            table.access_patterns
        );
    }
}
