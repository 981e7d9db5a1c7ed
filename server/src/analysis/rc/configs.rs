//! The configs an rc chain defines, for an editor's config picker
//! (`bzls/listConfigs`) and for completion and hover.

use crate::rc::chain::{FileId, RcChain};
use crate::rc::file::{LineKind, RcFile};
use crate::text::TextRange;

/// One config (`--config=NAME`) defined somewhere in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigInfo {
    pub name: String,
    /// The comment block directly above the config's first section (no
    /// blank line between), `#` and one following space stripped, lines
    /// joined by `\n`. `None` when there is none or it is blank.
    pub description: Option<String>,
    /// The commands it has sections for (`build`, `test`, `common`...),
    /// each once, in order of first appearance.
    pub commands: Vec<String>,
    /// The head (`build:cuda`) of every section, in chain order.
    pub sections: Vec<(FileId, TextRange)>,
}

/// Every config defined in the chain, each once, in order of first
/// definition. Sections with an empty name (`build:`) define nothing.
pub fn list_configs(chain: &RcChain) -> Vec<ConfigInfo> {
    let mut out: Vec<ConfigInfo> = Vec::new();
    for (id, file) in chain.files.iter().enumerate() {
        for (name, line) in file.parsed.config_definitions() {
            if name.is_empty() {
                continue;
            }
            let rc_line = &file.parsed.lines[line];
            let LineKind::Options { command, .. } = &rc_line.kind else {
                continue;
            };
            let at = match out.iter().position(|c| c.name == name) {
                Some(at) => at,
                None => {
                    out.push(ConfigInfo {
                        name: name.to_string(),
                        description: comment_above(&file.parsed, &file.text, rc_line.range.start),
                        commands: Vec::new(),
                        sections: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let config = &mut out[at];
            if !config.commands.iter().any(|c| c == command) {
                config.commands.push(command.clone());
            }
            config.sections.push((id, rc_line.head.range));
        }
    }
    out
}

/// The comment lines directly above the line starting at `line_start`: a
/// run of whole-line comments with nothing but line breaks between them and
/// the line (a blank line ends the run).
fn comment_above(file: &RcFile, text: &str, line_start: usize) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut next_start = line_start;
    // Comments are in order; walk back from the last one before the line.
    let before = file
        .comments
        .partition_point(|c| c.range.start < line_start);
    for comment in file.comments[..before].iter().rev() {
        let between = text.get(comment.range.end..next_start)?;
        let only_one_break = between.chars().all(char::is_whitespace)
            && between.chars().filter(|&c| c == '\n').count() == 1;
        if !only_one_break {
            break;
        }
        let body = text.get(comment.range.start..comment.range.end)?;
        // A comment ending in `\` swallows the next line (Bazel deletes
        // every `\` line break first).
        let body = body.replace("\\\r\n", "").replace("\\\n", "");
        let body = body.trim_start_matches('#');
        lines.push(
            body.strip_prefix(' ')
                .unwrap_or(body)
                .trim_end()
                .to_string(),
        );
        next_start = line_start_of(text, comment.range.start);
    }
    lines.reverse();
    let joined = lines.join("\n");
    let trimmed = joined.trim_matches('\n');
    (!trimmed.trim().is_empty()).then(|| trimmed.to_string())
}

/// The offset where the line holding `offset` starts.
fn line_start_of(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}
