//! Test fixtures, rust-analyzer style: `$0` marks a cursor, and `//- /path`
//! lines start a new file in a multi-file fixture.

use crate::analysis::Diagnostic;
use ropey::Rope;

pub const CURSOR: &str = "$0";

/// A single-file fixture: the text without its `$0` marker, and the byte
/// offset where the marker was.
pub fn cursor(fixture: &str) -> (String, usize) {
    let offset = fixture
        .find(CURSOR)
        .unwrap_or_else(|| panic!("fixture has no {CURSOR}"));
    let mut text = fixture.to_owned();
    text.replace_range(offset..offset + CURSOR.len(), "");
    assert!(!text.contains(CURSOR), "fixture has more than one {CURSOR}");
    (text, offset)
}

/// Splits a multi-file fixture into `(path, text)` pairs.
pub fn files(fixture: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in fixture.split_inclusive('\n') {
        if let Some(path) = line.trim_end().strip_prefix("//- ") {
            out.push((path.trim().to_owned(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
        } else if !line.trim().is_empty() {
            panic!("fixture text before the first `//- /path` line");
        }
    }
    out
}

/// Renders `text` with each diagnostic drawn under the line it starts on:
///
/// ```text
/// foo(a b)
/// #   ^ error[syntax]: expected `,` between items ...
/// ```
pub fn render_diagnostics(text: &str, diagnostics: &[Diagnostic]) -> String {
    let rope = Rope::from_str(text);
    let mut out = String::new();
    for line in 0..rope.len_lines() {
        let line_text = rope.line(line).to_string();
        let trimmed = line_text.trim_end_matches(['\n', '\r']);
        if line + 1 == rope.len_lines() && trimmed.is_empty() {
            break;
        }
        out.push_str(trimmed);
        out.push('\n');
        for d in diagnostics {
            if rope.byte_to_line(d.range.start) != line {
                continue;
            }
            let line_start = rope.line_to_char(line);
            let col = rope.byte_to_char(d.range.start) - line_start;
            let end_char = rope.byte_to_char(d.range.end);
            let line_end = line_start + trimmed.chars().count();
            let width = end_char
                .min(line_end)
                .saturating_sub(line_start + col)
                .max(1);
            let mut marker = " ".repeat(col) + &"^".repeat(width);
            if col > 0 {
                marker.replace_range(0..1, "#");
            }
            out.push_str(&format!(
                "{marker} {}[{}]: {}\n",
                d.severity.as_str(),
                d.code.as_str(),
                d.message
            ));
        }
    }
    out
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// A new empty directory whose name contains `tag`, unique in this
    /// process and across processes.
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "bzls-{tag}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

/// Writes `text` to `rel` below `root`, creating parent directories.
pub fn write_file(root: &std::path::Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent");
    }
    std::fs::write(path, text).expect("write fixture");
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Versions of a BUILD file found by the `select` fuzz target: tree-sitter's
/// error recovery reads the same text of the `bool_flag` statement one way
/// after the first broken line and another way after the second.
pub fn error_recovery_versions() -> [String; 2] {
    let statements = "bool_flag(name = \"fast\", build_setting\u{7f}default = False)\nalias(name = \"mode_alias\", actual = \":mode\")\n";
    [
        format!(
            "config_setting(mode\", build_se/pkg/BUI{}ect(CONDITIONS))\nfilegroufig_setting(mode\", build_setting_default = \"lite\")\n{statements}",
            "\u{fffd}".repeat(48)
        ),
        format!("config_set\n{statements}/4- \n"),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn multi_file_fixtures_split_on_headers() {
        let files =
            super::files("//- /pkg/BUILD\ncc_library(name = \"a\")\n//- /defs.bzl\nX = 1\n");
        assert_eq!(
            files,
            [
                (
                    "/pkg/BUILD".to_owned(),
                    "cc_library(name = \"a\")\n".to_owned()
                ),
                ("/defs.bzl".to_owned(), "X = 1\n".to_owned()),
            ]
        );
    }

    #[test]
    fn cursor_is_removed() {
        assert_eq!(super::cursor("ab$0c"), ("abc".to_owned(), 2));
    }
}
