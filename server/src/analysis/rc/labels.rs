//! The labels an rc file names: Starlark flags (`--//pkg:flag`,
//! `--no//pkg:flag`, `--@repo//pkg:flag`) and option values that are
//! labels (`--platforms=//p:x`, `--extra_toolchains=//a:x,//b:y`, or a
//! value in the next word). Only plain words (no quotes, escapes or
//! continuations) are read, so every range is the label's own text.

use crate::rc::file::{LineKind, RcFile};
use crate::rc::options::is_starlark_flag;
use crate::text::TextRange;

/// A label in an rc file: as written, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcLabel {
    pub written: String,
    pub range: TextRange,
    /// The name of a Starlark flag (rather than an option's value).
    pub flag: bool,
}

/// Every label `file` (parsed from `source`) names, in text order.
pub fn rc_labels(source: &str, file: &RcFile) -> Vec<RcLabel> {
    let mut out = Vec::new();
    for line in &file.lines {
        if !matches!(line.kind, LineKind::Options { .. }) {
            continue;
        }
        for word in line.args.iter().filter(|w| w.is_plain(source)) {
            let text = &*word.text;
            let start = word.range.start;
            let value_at = match text.strip_prefix("--") {
                Some(rest) => {
                    let (name, value) = match rest.split_once('=') {
                        Some((name, _)) => (name, Some(2 + name.len() + 1)),
                        None => (rest, None),
                    };
                    if is_starlark_flag(name) {
                        let label = name
                            .strip_prefix("no")
                            .filter(|n| n.starts_with("//") || n.starts_with('@'))
                            .unwrap_or(name);
                        let at = start + 2 + (name.len() - label.len());
                        out.push(RcLabel {
                            written: label.to_string(),
                            range: TextRange::new(at, at + label.len()),
                            flag: true,
                        });
                    }
                    value
                }
                None if text.starts_with('-') => None,
                None => Some(0),
            };
            let Some(value_at) = value_at else { continue };
            let mut at = value_at;
            for piece in text[value_at..].split(',') {
                if looks_like_label(piece) {
                    out.push(RcLabel {
                        written: piece.to_string(),
                        range: TextRange::new(start + at, start + at + piece.len()),
                        flag: false,
                    });
                }
                at += piece.len() + 1;
            }
        }
    }
    out
}

/// An absolute label, not a pattern (`//a/...`, `//a:all`) or a regex.
fn looks_like_label(piece: &str) -> bool {
    (piece.starts_with("//") || piece.starts_with('@'))
        && !piece.contains("...")
        && crate::workspace::label::parse_label(piece).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rc::file::parse;

    fn labels(source: &str) -> Vec<(String, bool)> {
        rc_labels(source, &parse(source))
            .into_iter()
            .map(|l| {
                assert_eq!(&source[l.range.start..l.range.end], l.written);
                (l.written, l.flag)
            })
            .collect()
    }

    #[test]
    fn garbage_gives_ranges_inside_the_text() {
        let mut rng = crate::rc::TestRng::new(0x1abe15);
        let pieces = [
            "build",
            "--//",
            "--no//",
            "--@",
            "=",
            ",",
            "//",
            "@",
            ":",
            "é",
            "\\\n",
            "\"",
            "'",
            " ",
            "\n",
            "#",
            "--platforms=",
            "//a:b",
            "@r//:x",
            "x",
            "...",
            "\u{0}",
        ];
        for _ in 0..2_000 {
            let mut text = String::new();
            for _ in 0..rng.below(30) {
                text.push_str(pieces[rng.below(pieces.len())]);
            }
            for label in rc_labels(&text, &parse(&text)) {
                assert_eq!(
                    text.get(label.range.start..label.range.end),
                    Some(label.written.as_str()),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn flags_and_values() {
        let source = "build --//app:flag=1 --no//app:bool --@rules_x//:opt\n\
                      build:ci --platforms=//p:linux --extra_toolchains=//tc:a,@r//tc:b\n\
                      test --host_platform //p:host --instrumentation_filter=//a/...,-//b\n\
                      import %workspace%/x.bazelrc\n\
                      build --copt='//q:x' --define=x=//not/a:label\n";
        assert_eq!(
            labels(source),
            [
                ("//app:flag", true),
                ("//app:bool", true),
                ("@rules_x//:opt", true),
                ("//p:linux", false),
                ("//tc:a", false),
                ("@r//tc:b", false),
                ("//p:host", false),
            ]
            .map(|(l, f)| (l.to_string(), f))
        );
    }
}
