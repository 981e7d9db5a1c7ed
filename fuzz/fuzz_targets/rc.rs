//! rc files: the lexer, the line parser, the chain of files with imports
//! between them, option expansion with the embedded flag database, the rc
//! editor features, and the rc document.
//!
//! Input: text split into files at `//- NAME` lines (the project's fixture
//! convention). Text before the first marker is `/ws/.bazelrc`; `NAME` is a
//! path under the workspace `/ws` (`/tools/x.rc`), under the home directory
//! (`~/.bazelrc`), or `@system` (`/etc/bazel.bazelrc`); a file whose name
//! ends in `unreadable` cannot be read. Two special parts: `@args` (the
//! command, then one argument a line) and `@version` (a Bazel version).
//!
//! Invariants:
//! - the lexer's words agree with Bazel's client algorithm (a port of the
//!   reference in `rc/lexer.rs`'s tests); every word, line and comment range
//!   lies within the text, on character boundaries; words are not empty;
//! - every range the chain, the expansion and the features report lies
//!   within the file it names, on character boundaries; file ids and
//!   command-line indices are valid;
//! - the rc document keeps a parse equal to `rc::file::parse`.
#![no_main]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bzls::analysis::rc::completion::complete;
use bzls::analysis::rc::configs::list_configs;
use bzls::analysis::rc::diagnostics::rc_diagnostics;
use bzls::analysis::rc::hover::hover;
use bzls::analysis::rc::symbols::{rc_symbols, RcSymbol};
use bzls::analysis::rc::RcContext;
use bzls::analysis::{folding, Document};
use bzls::flags::{closest_embedded, BazelVersion};
use bzls::rc::chain::{Origin, RcChain, RcRoot, ReadError};
use bzls::rc::expand::{expand, expand_config, host_platform_config, Expansion, OptionSource};
use bzls::rc::file::{parse, LineKind};
use bzls::rc::lexer::lex;
use bzls::syntax::FileKind;
use bzls::text::TextRange;
use bzls_fuzz::{check_diagnostics, check_range, floor_boundary, parts};
use libfuzzer_sys::fuzz_target;

const WORKSPACE: &str = "/ws";
const HOME: &str = "/home/u";
const SYSTEM: &str = "/etc/bazel.bazelrc";
const MAX_PARTS: usize = 8;
const MAX_CONFIGS: usize = 8;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let mut files: HashMap<PathBuf, Arc<str>> = HashMap::new();
    let mut args: Vec<String> = Vec::new();
    let mut command = "build".to_owned();
    let mut version: Option<BazelVersion> = None;
    for part in parts(&input, MAX_PARTS) {
        match part.name.as_deref() {
            None => {
                files.insert(PathBuf::from("/ws/.bazelrc"), Arc::from(part.text.as_str()));
            }
            Some("@args") => {
                let mut lines = part.text.lines().map(str::to_owned);
                if let Some(first) = lines.next() {
                    command = first.trim().to_owned();
                }
                args = lines.take(64).collect();
            }
            Some("@version") => version = BazelVersion::parse(&part.text),
            Some(name) => {
                files.insert(path_of(name), Arc::from(part.text.as_str()));
            }
        }
    }
    for text in files.values() {
        check_lexer(text);
    }
    run(&files, &command, &args, version.as_ref());
});

fn path_of(name: &str) -> PathBuf {
    if let Some(rest) = name.strip_prefix("~/") {
        Path::new(HOME).join(rest)
    } else if name == "@system" {
        PathBuf::from(SYSTEM)
    } else {
        Path::new(WORKSPACE).join(name.trim_start_matches('/'))
    }
}

/// The lexer on its own: ranges, and the words against Bazel's algorithm.
fn check_lexer(text: &str) {
    let lexed = lex(text);
    for line in &lexed.lines {
        assert!(!line.words.is_empty(), "a lexed line without words");
        check_range(text, line.range, "lexed line");
        if let Some(comment) = line.comment {
            check_range(text, comment, "line comment");
        }
        for word in &line.words {
            check_range(text, word.range, "word");
            assert!(!word.text.is_empty(), "an empty word at {:?}", word.range);
            assert!(word.range.start < word.range.end, "an empty word range");
        }
    }
    for comment in &lexed.comments {
        check_range(text, comment.range, "comment");
    }
    let words: Vec<Vec<String>> = lexed
        .lines
        .iter()
        .map(|l| l.words.iter().map(|w| w.text.to_string()).collect())
        .collect();
    assert_eq!(words, reference_words(text), "lexer vs Bazel's algorithm on {text:?}");
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}

/// Bazel's client, literally (a port of the reference in the lexer's
/// tests): remove continuations, split on newlines, strip, tokenize.
fn reference_words(source: &str) -> Vec<Vec<String>> {
    let contents = source.replace("\\\r\n", "").replace("\\\n", "");
    let mut out = Vec::new();
    for line in contents.split('\n') {
        let line = line.trim_matches(|c: char| c.is_ascii() && is_space(c as u8));
        if line.is_empty() {
            continue;
        }
        let bytes = line.as_bytes();
        let mut words = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            while i < bytes.len() && is_separator(bytes[i]) {
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'#' {
                break;
            }
            let mut word = Vec::new();
            let mut quote = 0u8;
            let mut stop = false;
            while i < bytes.len() && (quote != 0 || !is_separator(bytes[i])) {
                if bytes[i] == b'\\' {
                    i += 1;
                    if i == bytes.len() {
                        break;
                    }
                    word.push(bytes[i]);
                    i += 1;
                    continue;
                }
                if quote != 0 {
                    if bytes[i] == quote {
                        quote = 0;
                    } else {
                        word.push(bytes[i]);
                    }
                } else if bytes[i] == b'#' {
                    stop = true;
                    break;
                } else if bytes[i] == b'\'' || bytes[i] == b'"' {
                    quote = bytes[i];
                } else {
                    word.push(bytes[i]);
                }
                i += 1;
            }
            if !word.is_empty() {
                words.push(String::from_utf8_lossy(&word).into_owned());
            }
            if stop {
                break;
            }
        }
        if !words.is_empty() {
            out.push(words);
        }
    }
    out
}

fn check_source(chain: &RcChain, source: &OptionSource, args: usize, what: &str) {
    match source {
        OptionSource::Rc { file, range } => {
            let f = chain.files.get(*file).unwrap_or_else(|| panic!("{what}: no file {file}"));
            check_range(&f.text, *range, what);
        }
        OptionSource::CommandLine { index } => {
            assert!(*index < args.max(1), "{what}: argument {index} of {args}");
        }
    }
}

fn check_expansion(chain: &RcChain, ex: &Expansion, args: usize, what: &str) {
    for o in ex.options.iter().chain(&ex.ignored).chain(&ex.residue) {
        let label = format!("{what}: option {:?}", o.option);
        check_source(chain, &o.source, args, &label);
        for step in &o.via {
            check_source(chain, &step.source, args, &format!("{label} via {}", step.name));
        }
    }
    for e in &ex.errors {
        if let Some(source) = &e.source {
            check_source(chain, source, args, &format!("{what}: error {:?}", e.message));
        }
    }
}

fn check_symbols(text: &str, symbols: &[RcSymbol], parent: Option<TextRange>) {
    for s in symbols {
        let what = format!("rc symbol {:?}", s.name);
        check_range(text, s.range, &what);
        check_range(text, s.selection, &what);
        if let Some(p) = parent {
            assert!(
                p.start <= s.range.start && s.range.end <= p.end,
                "{what}: {:?} outside its parent {p:?}",
                s.range
            );
        }
        check_symbols(text, &s.children, Some(s.range));
    }
}

fn run(
    files: &HashMap<PathBuf, Arc<str>>,
    command: &str,
    args: &[String],
    version: Option<&BazelVersion>,
) {
    let reader = |p: &Path| {
        if p.to_string_lossy().ends_with("unreadable") {
            return Err(ReadError::Unreadable("permission denied".to_owned()));
        }
        files.get(p).cloned().ok_or(ReadError::NotFound)
    };
    let roots = [
        RcRoot {
            path: PathBuf::from(SYSTEM),
            origin: Origin::System,
        },
        RcRoot {
            path: PathBuf::from("/ws/.bazelrc"),
            origin: Origin::Workspace,
        },
        RcRoot {
            path: PathBuf::from("/home/u/.bazelrc"),
            origin: Origin::Home,
        },
        RcRoot {
            path: PathBuf::from("/ws/explicit.unreadable"),
            origin: Origin::Explicit,
        },
    ];
    let triple = version.filter(|v| v.is_complete()).map(BazelVersion::triple);
    let chain = RcChain::load_for(Some(Path::new(WORKSPACE)), &roots, &reader, triple);

    // The chain.
    for (id, file) in chain.files.iter().enumerate() {
        assert_eq!(*file.parsed, parse(&file.text), "file {id}: its parse");
        if let Origin::Import { file: parent, .. } = file.origin {
            assert!(parent < id, "file {id} imported by a later file {parent}");
        }
    }
    for entry in &chain.entries {
        let file = &chain.files[entry.file];
        check_range(&file.text, entry.word.range, "chain entry");
        assert!(entry.line < file.parsed.lines.len());
    }
    for err in &chain.errors {
        check_range(&chain.files[err.file].text, err.range, &format!("chain error {:?}", err.message));
    }
    for link in &chain.imports {
        assert!(link.file < chain.files.len());
        assert!(matches!(
            chain.files[link.file].parsed.lines[link.line].kind,
            LineKind::Import { .. }
        ));
        if let Some(loaded) = link.loaded {
            assert!(loaded < chain.files.len() && loaded > link.file);
        }
    }

    // Expansion.
    let (db, exact) = closest_embedded(version);
    let platform = host_platform_config();
    let ex = expand(&chain, db, command, args, platform);
    check_expansion(&chain, &ex, args.len(), "expand");
    let names: Vec<String> = chain.config_names().take(MAX_CONFIGS).map(str::to_owned).collect();
    for name in &names {
        let ex = expand_config(&chain, db, command, name);
        check_expansion(&chain, &ex, 1, &format!("expand_config {name:?}"));
    }
    let _ = expand_config(&chain, db, command, "undefined-config");
    let _ = list_configs(&chain);

    // The features, for every file of the chain.
    for id in 0..chain.files.len() {
        let ctx = RcContext {
            chain: &chain,
            db,
            exact,
            version: version.map(|v| v.raw.as_str()),
            file: id,
        };
        let text: &str = &chain.files[id].text;
        check_diagnostics(text, &rc_diagnostics(&ctx), &format!("rc diagnostics of file {id}"));
        check_symbols(text, &rc_symbols(&chain.files[id].parsed, text), None);
        let mut offsets = vec![0, text.len(), floor_boundary(text, text.len() / 2)];
        for line in chain.files[id].parsed.lines.iter().take(4) {
            offsets.push(line.head.range.end);
            offsets.extend(line.args.first().map(|w| w.range.start + 1));
        }
        for offset in offsets {
            let offset = floor_boundary(text, offset);
            for item in complete(&ctx, offset) {
                check_range(text, item.replace, &format!("completion {:?}", item.label));
            }
            if let Some(h) = hover(&ctx, offset) {
                check_range(text, h.range, "hover");
            }
        }
    }

    // The rc document for the workspace file.
    if let Some(text) = files.get(Path::new("/ws/.bazelrc")) {
        let mut doc = Document::new(FileKind::Bazelrc, 1, text);
        assert!(doc.diagnostics().is_empty(), "rc documents have no syntax diagnostics");
        let snapshot = doc.snapshot();
        assert!(snapshot.tree.is_some(), "an rc document has a tree");
        for f in folding::folding_ranges(&snapshot) {
            check_range(text, f.range, &format!("rc fold {f:?}"));
            assert!(
                snapshot.rope.byte_to_line(f.range.start) < snapshot.rope.byte_to_line(f.range.end),
                "rc fold {f:?} does not span two lines"
            );
        }
        let source = doc.rc_source().expect("an rc document keeps its rc source");
        assert_eq!(*source.parsed, parse(text));
    }
}
