//! Document symbols of an rc file: its sections grouped by config name
//! (`cuda` → `build:cuda`, `test:cuda`), then by command for plain sections,
//! and its imports.

use crate::rc::file::{LineKind, RcFile};
use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RcSymbolKind {
    /// All sections of one config.
    Config,
    /// All plain sections of one command.
    Command,
    /// One `cmd[:config]` line.
    Section,
    Import,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcSymbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: RcSymbolKind,
    /// Spans all children.
    pub range: TextRange,
    pub selection: TextRange,
    pub children: Vec<RcSymbol>,
}

/// The symbols of one file, groups in order of first appearance.
pub fn rc_symbols(file: &RcFile, source: &str) -> Vec<RcSymbol> {
    let mut groups: Vec<RcSymbol> = Vec::new();
    for line in &file.lines {
        match &line.kind {
            LineKind::Import { path, .. } => groups.push(RcSymbol {
                name: path
                    .as_ref()
                    .map_or_else(|| line.head.text.to_string(), |p| p.text.to_string()),
                detail: Some(line.head.text.to_string()),
                kind: RcSymbolKind::Import,
                range: line.range,
                selection: path.as_ref().map_or(line.head.range, |p| p.range),
                children: Vec::new(),
            }),
            LineKind::Options { command, config } => {
                let (group_name, kind, selection) = match config {
                    Some(config) => (
                        config.clone(),
                        RcSymbolKind::Config,
                        line.config_range(source).unwrap_or(line.head.range),
                    ),
                    None => (command.clone(), RcSymbolKind::Command, line.head.range),
                };
                let flags = line.args.len();
                let section = RcSymbol {
                    name: line.head.text.to_string(),
                    detail: Some(format!(
                        "{flags} option{}",
                        if flags == 1 { "" } else { "s" }
                    )),
                    kind: RcSymbolKind::Section,
                    range: line.range,
                    selection: line.head.range,
                    children: Vec::new(),
                };
                match groups
                    .iter_mut()
                    .find(|g| g.kind == kind && g.name == group_name)
                {
                    Some(group) => {
                        group.range = TextRange::new(
                            group.range.start.min(line.range.start),
                            group.range.end.max(line.range.end),
                        );
                        group.children.push(section);
                    }
                    None => groups.push(RcSymbol {
                        name: group_name,
                        detail: Some(match kind {
                            RcSymbolKind::Config => "config".to_string(),
                            _ => "command".to_string(),
                        }),
                        kind,
                        range: line.range,
                        selection,
                        children: vec![section],
                    }),
                }
            }
        }
    }
    for group in &mut groups {
        if let Some(detail) = &mut group.detail {
            if !group.children.is_empty() {
                detail.push_str(&format!(", {} section(s)", group.children.len()));
            }
        }
    }
    groups
}
