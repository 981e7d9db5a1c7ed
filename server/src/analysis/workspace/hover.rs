//! Hover: on a label, what it names (rule kind, location, the declaring
//! call); on a loaded or local symbol, its signature and docstring; on a
//! native rule or builtin called, its parameters; on a keyword argument's
//! name, the parameter it sets (see [`super::calls`]).

use super::cursor::{cursor_at, Cursor};
use super::definition::symbol_global;
use super::{FileContext, WorkspaceView};
use crate::text::TextRange;
use crate::workspace::bzl::{Global, GlobalKind};
use crate::workspace::label::{parse_label, Repo};
use crate::workspace::resolve::{resolve, Resolution};

/// A hover's Markdown and the range it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverInfo {
    pub markdown: String,
    pub range: TextRange,
}

/// At most this many lines of a declaring call are quoted.
const MAX_QUOTED_LINES: usize = 20;

pub fn hover(ctx: &FileContext<'_>, view: &dyn WorkspaceView, offset: usize) -> Option<HoverInfo> {
    match cursor_at(ctx.tree, ctx.rope, offset)? {
        Cursor::String { value, range, .. }
        | Cursor::LoadModule {
            module: value,
            range,
        } => label_hover(ctx, view, &value).map(|markdown| HoverInfo { markdown, range }),
        Cursor::TargetName { name, range } if ctx.is_build => Some(HoverInfo {
            markdown: format!("`//{}:{name}`", ctx.package),
            range,
        }),
        Cursor::TargetName { .. } => None,
        Cursor::LoadSymbol {
            module,
            exported,
            range,
            ..
        } => {
            let (path, global) = symbol_global(&ctx.package, &module, &exported, view, 0)?;
            Some(HoverInfo {
                markdown: global_markdown(&global, Some(&path)),
                range,
            })
        }
        Cursor::Identifier { name, range } => {
            // A keyword argument's name, or a native rule or builtin called.
            if let Some(markdown) = super::calls::call_hover(ctx, view, range) {
                return Some(HoverInfo { markdown, range });
            }
            if let Some((load, exported)) = ctx.globals.loaded(&name) {
                let (path, global) = symbol_global(&ctx.package, &load.module, exported, view, 0)?;
                // A rule, provider or struct: what bzls read of it.
                let loaded = || {
                    super::calls::loaded_callable(&ctx.package, &ctx.globals, view, &name).flatten()
                };
                let markdown = match &global.kind {
                    GlobalKind::Variable { rule: Some(_), .. } => {
                        loaded().map(|c| super::calls::callable_markdown(&c))
                    }
                    // A macro: its `def` and docstring, and the rule its
                    // `**kwargs` reach.
                    GlobalKind::Function {
                        forwards: Some(_), ..
                    } => loaded().and_then(|c| c.kwargs_to).map(|target| {
                        format!(
                            "{}\n\n`**kwargs` reach `{}`: its attributes follow the macro's own parameters.",
                            global_markdown(&global, Some(&path)),
                            target.rule
                        )
                    }),
                    _ => None,
                };
                return Some(HoverInfo {
                    markdown: markdown.unwrap_or_else(|| global_markdown(&global, Some(&path))),
                    range,
                });
            }
            let global = ctx.globals.get(&name)?;
            match &global.kind {
                GlobalKind::Function { .. } => Some(HoverInfo {
                    markdown: global_markdown(global, None),
                    range,
                }),
                GlobalKind::Variable {
                    rule: Some(rule), ..
                } => Some(HoverInfo {
                    markdown: super::calls::callable_markdown(rule),
                    range,
                }),
                GlobalKind::Variable { .. } => None,
            }
        }
    }
}

fn global_markdown(global: &Global, path: Option<&str>) -> String {
    let mut out = match &global.kind {
        GlobalKind::Function { signature, doc, .. } => {
            let mut s = format!("```python\ndef {signature}\n```");
            if let Some(doc) = doc {
                s.push_str("\n\n");
                s.push_str(doc);
            }
            s
        }
        GlobalKind::Variable { .. } => format!("```python\n{}\n```", global.name),
    };
    if let Some(path) = path {
        out.push_str(&format!("\n\n*from `{path}`*"));
    }
    out
}

fn label_hover(ctx: &FileContext<'_>, view: &dyn WorkspaceView, text: &str) -> Option<String> {
    let label = parse_label(text).ok()?;
    if let Repo::Apparent(name) | Repo::Canonical(name) = &label.repo {
        let shown = |path: &std::path::Path| {
            path.strip_prefix(view.root())
                .unwrap_or(path)
                .display()
                .to_string()
        };
        return Some(match super::definition::external_target(view, text) {
            Some(found) => match (&found.decl, &found.file) {
                (Some(decl), _) => {
                    let mut out = format!(
                        "**{}** `{text}`\n\nDeclared in `{}`",
                        decl.kind,
                        shown(&found.build)
                    );
                    let call = found
                        .text
                        .as_deref()
                        .and_then(|t| t.get(decl.call_range.start..decl.call_range.end));
                    if let Some(call) = call {
                        let lines: Vec<&str> = call.lines().take(MAX_QUOTED_LINES).collect();
                        out.push_str(&format!("\n\n```python\n{}\n```", lines.join("\n")));
                    }
                    out
                }
                (None, Some(file)) => {
                    format!("Source file `{}` of repository `@{name}`", shown(file))
                }
                (None, None) => format!(
                    "`{text}`: not declared by a plain call in `{}` (a macro there may make it)",
                    shown(&found.build)
                ),
            },
            None => format!("`{text}`: a label in repository `@{name}`, which is not on disk"),
        });
    }
    let lookup = ctx.lookup(view);
    let package_of = |p: &str| format!("//{p}");
    match resolve(&label, &ctx.package, &lookup) {
        Resolution::Target { package, decl } => {
            let mut out = format!("**{}** `//{package}:{}`", decl.kind, decl.name);
            let (file, call) = call_text(ctx, view, &package, decl.call_range);
            if let Some(file) = file {
                out.push_str(&format!("\n\nDeclared in `{file}`"));
            }
            if let Some(call) = call {
                out.push_str(&format!("\n\n```python\n{call}\n```"));
            }
            Some(out)
        }
        Resolution::OutputFile { package, decl } => Some(format!(
            "Output file `//{package}:{}` of {} `{}:{}`",
            decl.name,
            decl.kind,
            package_of(&package),
            decl.generated_by.unwrap_or_default()
        )),
        Resolution::SourceFile { package, path } => Some(format!(
            "Source file `{path}` of package `{}`",
            package_of(&package)
        )),
        Resolution::Special(_) => None,
        Resolution::Unknown => Some(format!(
            "`{text}`: its package may declare it through a macro bzls cannot follow"
        )),
        Resolution::Unresolved(_) => None,
    }
}

/// `(path:line of the call, the call's text, cut to MAX_QUOTED_LINES)`.
fn call_text(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    package: &str,
    call: TextRange,
) -> (Option<String>, Option<String>) {
    let text: std::sync::Arc<str> = if ctx.is_build && package == ctx.package {
        ctx.rope.to_string().into()
    } else {
        match view.build_file(package).and_then(|p| view.file_text(&p)) {
            Some(text) => text,
            None => return (None, None),
        }
    };
    let build = view
        .build_file(package)
        .and_then(|p| {
            p.strip_prefix(view.root())
                .ok()
                .map(|r| r.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| format!("{package}/BUILD"));
    let Some(body) = text.get(call.start..call.end) else {
        return (Some(build), None);
    };
    let line = text[..call.start].matches('\n').count() + 1;
    let mut lines: Vec<&str> = body.lines().collect();
    if lines.len() > MAX_QUOTED_LINES {
        lines.truncate(MAX_QUOTED_LINES);
        lines.push("    ...");
    }
    (Some(format!("{build}:{line}")), Some(lines.join("\n")))
}
