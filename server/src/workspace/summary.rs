//! What the workspace index keeps of one BUILD file: its declarations, and
//! the targets its label strings point to (for find-references).

use std::sync::Arc;

use ropey::Rope;
use tree_sitter::Tree;

use super::label::{parse_label, Repo};
use super::mentions::outline_mentions;
use super::outline::Outline;
use super::package::{outline_decls, PackageDecls};
use crate::text::TextRange;

/// The index's record of one package.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageSummary {
    pub decls: Arc<PackageDecls>,
    /// `(absolute label, range of the string)` of every main-repository
    /// label the BUILD file mentions, in text order.
    pub mentions: Vec<(String, TextRange)>,
    /// The declarations come from evaluating the BUILD file (which reads
    /// .bzl files: a change to one invalidates this summary).
    pub evaluated: bool,
    /// Which bound stopped the evaluation (steps, memory, time), in words
    /// for the user, if one did; the declarations are then the static
    /// reading, open (see [`crate::workspace::eval::Evaluation::cut_short`]).
    pub cut_short: Option<String>,
}

/// The absolute form of a label written in package `current` of the main
/// repository: `//pkg:name` in the main repository, `@repo//pkg:name` in
/// another one named by its apparent name; `None` for `@@canonical`
/// labels and non-labels.
pub fn absolute_label(text: &str, current: &str) -> Option<String> {
    let label = parse_label(text).ok()?;
    let repo = match &label.repo {
        Repo::Current | Repo::Main => "",
        Repo::Apparent(name) => name.as_str(),
        Repo::Canonical(_) => return None,
    };
    let package = label.package.as_deref().unwrap_or(current);
    let at = if repo.is_empty() { "" } else { "@" };
    Some(format!("{at}{repo}//{package}:{}", label.name))
}

/// Summarises the BUILD file of `package`.
pub fn summarize(package: &str, tree: &Tree, rope: &Rope) -> PackageSummary {
    summarize_outline(package, &Outline::from_tree(tree, rope))
}

/// Summarises the BUILD file of `package` from its outline.
pub fn summarize_outline(package: &str, outline: &Outline) -> PackageSummary {
    summarize_with_mentions(package, outline, &outline_mentions(outline), None)
}

/// The absolute labels of one package's label strings, by the string (see
/// [`absolute_label`]): valid for as long as the package is the same.
pub type AbsoluteMemo = std::sync::Mutex<crate::hash::FastMap<String, Option<String>>>;

/// At most this many strings are remembered in an [`AbsoluteMemo`] (and
/// at most four times as many as the file has label strings, or 1,024).
const ABSOLUTE_MEMO_LIMIT: usize = 100_000;

/// [`summarize_outline`] with the outline's mentions already read, taking
/// their absolute labels from `memo` when it has them (and recording them).
pub fn summarize_with_mentions(
    package: &str,
    outline: &Outline,
    mentions: &[super::mentions::Mention],
    memo: Option<&AbsoluteMemo>,
) -> PackageSummary {
    let mut memo = memo.map(|m| m.lock().unwrap_or_else(|p| p.into_inner()));
    // Typing makes a new string per keystroke: without a bound tied to the
    // file, the memo of a document edited all day would only grow.
    let limit = (mentions.len() * 4).clamp(1_024, ABSOLUTE_MEMO_LIMIT);
    if let Some(memo) = memo.as_mut().filter(|m| m.len() > limit) {
        memo.clear();
    }
    let mentions = mentions
        .iter()
        .filter_map(|m| {
            let absolute = match memo.as_mut() {
                Some(memo) => match memo.get(m.text.as_str()) {
                    Some(known) => known.clone(),
                    None => {
                        let found = absolute_label(&m.text, package);
                        memo.insert(m.text.clone(), found.clone());
                        found
                    }
                },
                None => absolute_label(&m.text, package),
            };
            Some((absolute?, m.range))
        })
        .collect();
    PackageSummary {
        decls: Arc::new(outline_decls(outline)),
        mentions,
        evaluated: false,
        cut_short: None,
    }
}

/// Summarises a BUILD file's text (through tree-sitter, which reads what
/// it can of a file with syntax errors; see [`open_when_broken`]).
pub fn summarize_text(package: &str, text: &str) -> PackageSummary {
    let tree = crate::syntax::parse_str(text);
    let mut summary = summarize(package, &tree, &Rope::from_str(text));
    open_when_broken(&mut summary, &tree);
    summary
}

/// Opens the summary of a BUILD file whose tree has syntax errors: error
/// recovery may have swallowed any of its targets, so a label naming one
/// that was not read is not reported (Bazel itself loads no target of a
/// package whose BUILD file does not parse). Labels in it to other
/// packages are still checked, outside calls with an error in them (see
/// [`super::mentions`]). Every reading of a BUILD text (open documents,
/// files on disk, `bzls check`) goes through this rule.
pub fn open_when_broken(summary: &mut PackageSummary, tree: &Tree) {
    if !summary.decls.open && tree.root_node().has_error() {
        let mut decls = (*summary.decls).clone();
        decls.open = true;
        summary.decls = Arc::new(decls);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_forms() {
        assert_eq!(absolute_label(":a", "p").as_deref(), Some("//p:a"));
        assert_eq!(absolute_label("a/b.cc", "p").as_deref(), Some("//p:a/b.cc"));
        assert_eq!(absolute_label("//q", "p").as_deref(), Some("//q:q"));
        assert_eq!(absolute_label("@//q:x", "p").as_deref(), Some("//q:x"));
        assert_eq!(absolute_label("//:x", "p").as_deref(), Some("//:x"));
        assert_eq!(absolute_label("@r//q:x", "p").as_deref(), Some("@r//q:x"));
        assert_eq!(absolute_label("@r", "p").as_deref(), Some("@r//:r"));
        assert_eq!(absolute_label("@@r//q:x", "p"), None);
        assert_eq!(absolute_label("//a//b", "p"), None);
        let s = summarize_text("p", "cc_library(name = \"a\", deps = [\":b\", \"//q\"])\n");
        assert_eq!(
            s.mentions
                .iter()
                .map(|(l, _)| l.as_str())
                .collect::<Vec<_>>(),
            vec!["//p:b", "//q:q"]
        );
        assert!(s.decls.target("a").is_some());
    }

    /// A memo of absolute labels changes nothing but the time taken, across
    /// versions of the file.
    #[test]
    fn the_absolute_memo_gives_the_same_summary() {
        let memo = AbsoluteMemo::default();
        for text in [
            "cc_library(name = \"a\", deps = [\":b\", \"//x:y\", \"@r//p\", \"bad label\", \"@@c//d:e\"])\n",
            "cc_library(name = \"a\", deps = [\":bb\", \"//x:y\", \"@r//p\"], data = [\"f.txt\", \":b\"])\n",
        ] {
            let tree = crate::syntax::parse_str(text);
            let outline = Outline::from_tree(&tree, &Rope::from_str(text));
            let mentions = outline_mentions(&outline);
            let plain = summarize_with_mentions("pkg", &outline, &mentions, None);
            let memoized = summarize_with_mentions("pkg", &outline, &mentions, Some(&memo));
            assert_eq!(plain.mentions, memoized.mentions);
            assert!(!plain.mentions.is_empty());
        }
        assert!(memo.lock().expect("memo").contains_key(":b"));
    }
}
