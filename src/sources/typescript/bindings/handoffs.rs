//! Bindings handed to packages: a binding or a whole `env` passed to an
//! imported function or class, which then chooses its own keys.

use super::*;
use crate::sources::typescript::parse::NodeKind;

/// The package function or class `read` (an `env.X`) is handed to, as an
/// argument or an argument's property: `new WorkersKVStore({ namespace:
/// env.CACHE })` → `` `WorkersKVStore` (`@hono-rate-limiter/cloudflare`) ``.
/// Only for names imported from a package: a project function handed a
/// binding is read through its parameters instead.
pub(crate) fn handed_to(index: &CodeIndex<'_>, fi: usize, read: Node<'_>) -> Option<String> {
    let file: &FileIndex<'_> = index.files.get(fi)?;
    let mut up = read.parent()?;
    while matches!(
        up.kind_name(),
        "as_expression"
            | "satisfies_expression"
            | "parenthesized_expression"
            | "non_null_expression"
    ) {
        up = up.parent()?;
    }
    if up.kind_name() == "pair" {
        up = up
            .parent()
            .filter(|o| o.kind_name() == "object")?
            .parent()?;
    }
    if up.kind_name() != "arguments" {
        return None;
    }
    let call = up.parent()?;
    let callee = match call.kind_name() {
        "new_expression" => call.child_by_field_name("constructor")?,
        "call_expression" => call.child_by_field_name("function")?,
        _ => return None,
    };
    if callee.kind_name() != "identifier" {
        return None;
    }
    let name = text(callee, file.src);
    Some(format!(
        "`{name}` (`{}`)",
        imported_package(index, fi, name, false)?
    ))
}

/// The package file `fi` imports `name` from, when it is one and not a
/// module of the checkout (relative, or a tsconfig alias that resolves) —
/// with `workspace`, also a package of the workspace.
fn imported_package<'i>(
    index: &'i CodeIndex<'_>,
    fi: usize,
    name: &str,
    workspace: bool,
) -> Option<&'i str> {
    let import = index
        .files
        .get(fi)?
        .imports
        .iter()
        .find(|i| i.local == name)?;
    let package = !import.specifier.starts_with('.')
        && (index.resolve_module(fi, &import.specifier).is_none()
            || (workspace && index.package_dir(&import.specifier).is_some()));
    package.then_some(import.specifier.as_str())
}

/// The package `name` comes from, as seen from file `fi`: imported from
/// one (`routePartykitRequest` from `partyserver`), or a project class
/// extending such a class (`class NLWebMcp extends McpAgent`).
fn package_of(index: &CodeIndex<'_>, fi: usize, name: &str, depth: u32) -> Option<String> {
    // A package of the workspace handed the whole `env` reaches bindings
    // through its own API too (a router finding a Durable Object by its
    // binding name).
    if let Some(package) = imported_package(index, fi, name, true) {
        return Some(package.to_owned());
    }
    if depth > 3 {
        return None;
    }
    let r = index.resolve(fi, name)?;
    if r.decl.kind != DeclKind::Class {
        return None;
    }
    let src = index.files.get(r.file)?.src;
    let heritage = children(r.decl.node)
        .into_iter()
        .find(|c| c.kind_name() == "class_heritage")?;
    let mut parent = None;
    super::super::syntax::walk(heritage, |n| {
        if parent.is_none() && n.kind_name() == "identifier" {
            parent = Some(text(n, src).to_owned());
        }
    });
    package_of(index, r.file, &parent?, depth + 1)
}

/// Where a file hands its whole Worker `env` to a package's function or
/// class (`routePartykitRequest(request, { ...env })`,
/// `NLWebMcp.serve("/mcp").fetch(request, env, ctx)`): the package may
/// reach any binding by name.
///
/// Each comes with the folder of the workspace package it goes to, when it
/// goes to one: that package is code of the checkout, and reaches a binding
/// dmqa does not see only through a name computed at run time.
pub(crate) fn env_handoffs(
    index: &CodeIndex<'_>,
    fi: usize,
    out: &mut Vec<(crate::model::Handoff, Option<String>)>,
) {
    let Some(file) = index.files.get(fi) else {
        return;
    };
    let env_arg = |n: Node<'_>| {
        let n = unwrap_expr(n);
        match n.kind_name() {
            "identifier" | "member_expression" => is_worker_env(text(n, file.src)),
            "object" => children(n).into_iter().any(|c| {
                c.kind_name() == "spread_element"
                    && c.named_child(0)
                        .is_some_and(|e| is_worker_env(text(unwrap_expr(e), file.src)))
            }),
            _ => false,
        }
    };
    for call in &file.calls {
        let Some(args) = call.node.child_by_field_name("arguments") else {
            continue;
        };
        let Some(arg) = children(args).into_iter().find(|a| env_arg(*a)) else {
            continue;
        };
        // The identifier the callee chain starts from.
        let mut root = call.node.child_by_field_name("function");
        while let Some(n) = root {
            root = match n.kind_name() {
                "member_expression" => n.child_by_field_name("object"),
                "call_expression" => n.child_by_field_name("function"),
                "parenthesized_expression" | "non_null_expression" => n.named_child(0),
                _ => break,
            };
        }
        let Some(root) = root.filter(|r| r.kind_name() == "identifier") else {
            continue;
        };
        let name = text(root, file.src);
        if let Some(package) = package_of(index, fi, name, 0) {
            let workspace = index.package_dir(&package).map(str::to_owned);
            out.push((
                crate::model::Handoff {
                    binding: text(unwrap_expr(arg), file.src).to_owned(),
                    to: format!("`{name}` (`{package}`)"),
                    location: location(file.path, call.node),
                },
                workspace,
            ));
        }
    }
}
