//! Workspace symbols: targets by name across the workspace.

use super::{FileRange, WorkspaceView};

/// A target found by [`workspace_symbols`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetSymbol {
    /// `//pkg:name`.
    pub label: String,
    /// The rule kind.
    pub kind: String,
    pub location: FileRange,
}

/// At most this many symbols are returned.
pub const MAX_SYMBOLS: usize = 256;

/// How well `query` matches `name` (lower is better), or `None`.
/// Case-insensitive: exact, prefix, substring, then subsequence.
fn score(query: &str, name: &str) -> Option<u8> {
    if query.is_empty() {
        return Some(3);
    }
    let name = name.to_ascii_lowercase();
    if name == query {
        Some(0)
    } else if name.starts_with(query) {
        Some(1)
    } else if name.contains(query) {
        Some(2)
    } else {
        let mut chars = name.chars();
        query.chars().all(|q| chars.any(|c| c == q)).then_some(4)
    }
}

/// Targets whose name (or `pkg:name`, when the query has a `:` or `/`)
/// matches `query`, best first.
pub fn workspace_symbols(view: &dyn WorkspaceView, query: &str) -> Vec<TargetSymbol> {
    let query = query.trim().trim_start_matches("//").to_ascii_lowercase();
    if query.is_empty() {
        // Every target of a large workspace is no answer.
        return Vec::new();
    }
    let qualified = query.contains(':') || query.contains('/');
    let mut found: Vec<(u8, String, String, std::ops::Range<usize>, String)> = Vec::new();
    view.for_each_summary(&mut |package, summary| {
        for decl in &summary.decls.targets {
            if decl.generated_by.is_some() || decl.kind == "exports_files" {
                continue;
            }
            let subject = if qualified {
                format!("{package}:{}", decl.name)
            } else {
                decl.name.clone()
            };
            if let Some(s) = score(&query, &subject) {
                found.push((
                    s,
                    format!("//{package}:{}", decl.name),
                    decl.kind.clone(),
                    decl.name_range.start..decl.name_range.end,
                    package.to_string(),
                ));
            }
        }
    });
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    found
        .into_iter()
        .take(MAX_SYMBOLS)
        .filter_map(|(_, label, kind, range, package)| {
            Some(TargetSymbol {
                label,
                kind,
                location: FileRange {
                    path: view.build_file(&package)?,
                    range: crate::text::TextRange::new(range.start, range.end),
                },
            })
        })
        .collect()
}
