//! Hover in rc files: flags, commands, configs (their full expansion with
//! provenance) and import paths.

use std::fmt::Write;

use super::completion::flag_detail;
use super::{config_reference, for_each_arg, RcContext};
use crate::flags::FlagInfo;
use crate::rc::chain::RcChain;
use crate::rc::expand::{expand_config, OptionSource};
use crate::rc::file::{LineKind, ALWAYS, COMMON, STARTUP};
use crate::text::TextRange;

/// A hover: markdown for a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub range: TextRange,
    pub markdown: String,
}

pub fn hover(ctx: &RcContext<'_>, offset: usize) -> Option<Hover> {
    let text = ctx.text();
    let file = &ctx.chain.files[ctx.file];
    let line_idx = file.parsed.line_at(offset)?;
    let line = &file.parsed.lines[line_idx];

    if line.head.range.contains_offset(offset) {
        return match &line.kind {
            LineKind::Import { optional, path, .. } => Some(Hover {
                range: line.head.range,
                markdown: if *optional {
                    "`try-import FILE`: reads FILE here if it exists.".to_string()
                } else {
                    "`import FILE`: reads FILE here; Bazel fails when it is missing.".to_string()
                } + &path
                    .as_ref()
                    .map(|p| {
                        format!(
                            "\n\nResolves to `{}`.",
                            ctx.chain.resolve_import(&p.text).display()
                        )
                    })
                    .unwrap_or_default(),
            }),
            LineKind::Options { command, config } => {
                if let (Some(config), Some(range)) = (config, line.config_range(text)) {
                    if range.contains_offset(offset) {
                        return Some(Hover {
                            range,
                            markdown: config_markdown(ctx, config, command),
                        });
                    }
                }
                Some(Hover {
                    range: line.command_range(text),
                    markdown: command_markdown(ctx, command),
                })
            }
        };
    }
    if let LineKind::Import {
        path: Some(path), ..
    } = &line.kind
    {
        if path.range.contains_offset(offset) {
            let resolved = ctx.chain.resolve_import(&path.text);
            let loaded = ctx
                .chain
                .imports
                .iter()
                .any(|i| i.file == ctx.file && i.line == line_idx && i.loaded.is_some());
            return Some(Hover {
                range: path.range,
                markdown: format!(
                    "`{}`{}",
                    resolved.display(),
                    if loaded { "" } else { " (not found)" }
                ),
            });
        }
        return None;
    }

    let command = match &line.kind {
        LineKind::Options { command, .. } => command.as_str(),
        LineKind::Import { .. } => return None,
    };
    let mut found = None;
    for_each_arg(ctx, |a| {
        if found.is_none()
            && (a.word.range.contains_offset(offset)
                || a.value_word
                    .is_some_and(|w| w.range.contains_offset(offset)))
        {
            found = Some(a);
        }
    });
    let arg = found?;
    let flag = arg.flag.as_ref()?;
    let on_value = arg
        .value_word
        .is_some_and(|w| w.range.contains_offset(offset));
    let range = if on_value {
        arg.value_word.as_ref().map_or(arg.word.range, |w| w.range)
    } else {
        arg.word.range
    };
    if flag.canonical_name() == "config" {
        if let Some(value) = &flag.value {
            let range = if flag.inline_value {
                config_reference(arg.word, text).map_or(range, |(_, r)| r)
            } else {
                range
            };
            if range.contains_offset(offset) || !flag.inline_value {
                return Some(Hover {
                    range,
                    markdown: config_markdown(ctx, value, command),
                });
            }
        }
    }
    let info = ctx.info(flag)?;
    Some(Hover {
        range: arg.word.range,
        markdown: flag_markdown(ctx, info),
    })
}

/// Everything known about a flag.
pub fn flag_markdown(ctx: &RcContext<'_>, info: &FlagInfo) -> String {
    flag_markdown_from(&ctx.db_label(), info)
}

/// [`flag_markdown`], naming the database that answered as `db_label`
/// ("Bazel 7.1.0").
pub fn flag_markdown_from(db_label: &str, info: &FlagInfo) -> String {
    let mut md = format!("**`--{}`**: {}\n\n", info.name, flag_detail(info));
    if info.is_deprecated() {
        let why = info
            .deprecation_warning
            .as_deref()
            .unwrap_or("see the documentation");
        let _ = writeln!(md, "**Deprecated**: {why}\n");
    }
    if !info.documentation.is_empty() {
        let _ = writeln!(
            md,
            "{}\n",
            info.documentation.replace("%{product}", "Bazel")
        );
    }
    match (&info.default_value, &info.value_description) {
        (Some(default), Some(description)) => {
            let _ = writeln!(md, "Value: {description}; default: `{default}`\n");
        }
        (Some(default), None) => {
            let _ = writeln!(md, "Default: `{default}`\n");
        }
        // `flags-as-proto` has no defaults; they come with a dump of the
        // Bazel in use (`bzls.bazel.allowRun`).
        (None, _) => {}
    }
    let commands: Vec<&str> = info.commands.iter().map(String::as_str).collect();
    let _ = writeln!(md, "Applies to: {}", commands.join(", "));
    if !info.old_names.is_empty() {
        let _ = writeln!(
            md,
            "\nFormerly: {}",
            info.old_names
                .iter()
                .map(|n| format!("`--{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !info.effect_tags.is_empty() || !info.metadata_tags.is_empty() {
        let tags: Vec<&str> = info
            .effect_tags
            .iter()
            .chain(&info.metadata_tags)
            .map(String::as_str)
            .collect();
        let _ = writeln!(md, "\nTags: {}", tags.join(", "));
    }
    let _ = write!(md, "\n_From the {db_label} flag database._");
    md
}

fn command_markdown(ctx: &RcContext<'_>, command: &str) -> String {
    match command {
        COMMON => "`common`: options for every command. Bazel 7 and later skip an option a command does not support; earlier versions fail.".to_string(),
        ALWAYS => "`always`: options for every command; a command that does not support one of them fails.".to_string(),
        STARTUP => "`startup`: options of the Bazel server itself, read by the client before the server starts.".to_string(),
        _ => {
            let chain = ctx.db.inheritance_chain(command);
            let heirs: Vec<&str> = ctx
                .db
                .commands()
                .iter()
                .map(String::as_str)
                .filter(|c| *c != command && ctx.db.inheritance_chain(c).iter().any(|p| p == command))
                .collect();
            let mut md = format!("`{command}`");
            if chain.len() > 1 {
                let _ = write!(md, " inherits the options of {}", chain[..chain.len() - 1].iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", then "));
            } else {
                md.push_str(" inherits no other command's options");
            }
            md.push_str(", after `always` and `common`.");
            if !heirs.is_empty() {
                let _ = write!(
                    md,
                    "\n\nOptions in `{command}` sections also apply to {}.",
                    heirs.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                );
            }
            let _ = write!(md, "\n\n_From the {} flag database._", ctx.db_label());
            md
        }
    }
}

/// The expansion of `--config=name` for `command` (for `common`/`always`
/// and unknown commands: for `build`), flag by flag, with provenance.
pub fn config_markdown(ctx: &RcContext<'_>, name: &str, command: &str) -> String {
    let command = match command {
        COMMON | ALWAYS | STARTUP => "build",
        c if ctx.db.commands().iter().any(|k| k == c) => c,
        _ => "build",
    };
    let chain = ctx.chain;
    let ex = expand_config(chain, ctx.db, command, name);
    let mut md = format!("**`--config={name}`** for `bazel {command}` expands to:\n\n");
    for opt in &ex.options {
        let depth = opt.via.len().saturating_sub(1);
        let via: Vec<&str> = opt.via.iter().skip(1).map(|s| s.trigger.as_str()).collect();
        let _ = write!(
            md,
            "{}- `{}` — {}",
            "  ".repeat(depth),
            opt.option,
            source_label(chain, &opt.source)
        );
        if !via.is_empty() {
            let _ = write!(md, " (via {})", via.join(" → "));
        }
        md.push('\n');
    }
    if ex.options.is_empty() {
        md.push_str("_(nothing)_\n");
    }
    let mut seen = std::collections::HashSet::new();
    for err in &ex.errors {
        if seen.insert(err.message.as_str()) {
            let _ = writeln!(md, "\n**Error**: {}", err.message);
        }
    }
    let sections: Vec<String> = chain
        .config_sections(name)
        .map(|(file, line)| {
            let head = &chain.files[file].parsed.lines[line].head;
            format!(
                "`{}` at {}",
                head.text,
                chain.location(file, head.range.start)
            )
        })
        .collect();
    if !sections.is_empty() {
        let _ = write!(md, "\nDefined in: {}", sections.join(", "));
    }
    md
}

/// `path:line` for an option's source.
pub fn source_label(chain: &RcChain, source: &OptionSource) -> String {
    match source {
        OptionSource::Rc { file, range } => chain.location(*file, range.start),
        OptionSource::CommandLine { .. } => "command line".to_string(),
    }
}
