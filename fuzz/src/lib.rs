//! Helpers shared by the fuzz targets in `fuzz_targets/`.

use bzls::analysis::Diagnostic;
use bzls::syntax::FileKind;
use bzls::text::TextRange;

/// Runs `f` on a thread with the stack every Starlark-handling thread of the
/// server has ([`bzls::syntax::starlark_ast::STARLARK_STACK_SIZE`]), and
/// propagates its panic, if any, to the caller.
pub fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::Builder::new()
        .name("fuzz-big-stack".to_owned())
        .stack_size(bzls::syntax::starlark_ast::STARLARK_STACK_SIZE)
        .spawn(f)
        .expect("spawn a thread");
    match handle.join() {
        Ok(value) => value,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Asserts that `range` lies within `text` and on character boundaries.
#[track_caller]
pub fn check_range(text: &str, range: TextRange, what: &str) {
    assert!(
        range.start <= range.end && range.end <= text.len(),
        "{what}: range {range:?} is not inside the text ({} bytes)",
        text.len()
    );
    assert!(
        text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
        "{what}: range {range:?} is not on character boundaries"
    );
}

/// Asserts `Diagnostic`'s documented invariant: its range, every related
/// range (and every fix's range) lie within the text, on character
/// boundaries.
#[track_caller]
pub fn check_diagnostics(text: &str, diagnostics: &[Diagnostic], what: &str) {
    for d in diagnostics {
        let label = format!("{what}: {:?} {:?}", d.code, d.message);
        check_range(text, d.range, &label);
        for r in &d.related {
            check_range(text, r.range, &format!("{label} (related)"));
        }
        for f in &d.fixes {
            check_range(text, f.range, &format!("{label} (fix)"));
        }
    }
}

/// One part of a multi-file input: `//- NAME` starts a part (the
/// project's own fixture convention); text before the first marker is the
/// part with no name.
#[derive(Clone, Debug)]
pub struct Part {
    pub name: Option<String>,
    pub text: String,
}

/// Splits `input` into [`Part`]s at lines starting with `//- `. At most
/// `max` parts are returned (the rest are dropped). Blank text before the
/// first marker is no part.
pub fn parts(input: &str, max: usize) -> Vec<Part> {
    let mut out = Vec::new();
    let mut name: Option<String> = None;
    let mut text = String::new();
    for line in input.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("//- ") {
            if name.is_some() || !text.trim().is_empty() {
                out.push(Part {
                    name: name.take(),
                    text: std::mem::take(&mut text),
                });
            }
            name = Some(rest.trim().to_owned());
            continue;
        }
        text.push_str(line);
    }
    if name.is_some() || !text.is_empty() {
        out.push(Part { name, text });
    }
    out.truncate(max);
    out
}

/// The largest character boundary of `text` at or below `offset`.
pub fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Every kind of document bzls parses, each with a file name of that
/// kind; the Starlark kinds first, the rc kind last.
pub const DOCUMENT_KINDS: [(FileKind, &str); 7] = [
    (FileKind::Build, "BUILD"),
    (FileKind::Bzl, "defs.bzl"),
    (FileKind::Workspace, "WORKSPACE"),
    (FileKind::Module, "MODULE.bazel"),
    (FileKind::Repo, "REPO.bazel"),
    (FileKind::Star, "rules.star"),
    (FileKind::Bazelrc, ".bazelrc"),
];

/// The kinds of [`DOCUMENT_KINDS`] parsed as Starlark.
pub fn starlark_kinds() -> impl Iterator<Item = (FileKind, &'static str)> {
    DOCUMENT_KINDS.into_iter().filter(|(kind, _)| kind.is_starlark())
}
