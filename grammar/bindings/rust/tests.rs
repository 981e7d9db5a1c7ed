use tree_sitter::{InputEdit, Node, Parser, Point, Query, Tree};

fn parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&super::LANGUAGE.into())
        .expect("Error loading bazelrc parser");
    parser
}

fn parse(text: &[u8]) -> Tree {
    parser().parse(text, None).expect("parse never fails")
}

#[test]
fn can_load_grammar_and_parse() {
    let text = "\
# Project defaults
build --copt=\"-DNAME=a b\" -c opt   # trailing comment
build:ci --config=remote \\
    --jobs=50
test -- //foo/... -//foo/bar:baz
try-import %workspace%/user.bazelrc
";
    let tree = parse(text.as_bytes());
    let root = tree.root_node();
    assert_eq!(root.kind(), "source_file");
    assert!(!root.has_error(), "{}", root.to_sexp());
    let kinds: Vec<_> = named_children(root).iter().map(|n| n.kind()).collect();
    assert_eq!(kinds, ["comment", "line", "line", "line", "import"]);
}

#[test]
fn highlights_query_compiles() {
    let language = super::LANGUAGE.into();
    let query = Query::new(&language, super::HIGHLIGHTS_QUERY).expect("valid highlights query");
    assert!(query.capture_names().contains(&"comment"));
}

/// Every query file editors load (`queries/*.scm`: highlights, injections,
/// folds) compiles against this grammar: node names, fields and captures.
#[test]
fn every_query_compiles() {
    let language = super::LANGUAGE.into();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("queries/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "scm") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read query");
        let query =
            Query::new(&language, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(query.pattern_count() > 0, "{} is empty", path.display());
        names.push(
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned(),
        );
    }
    names.sort();
    assert_eq!(names, ["folds.scm", "highlights.scm", "injections.scm"]);
}

#[test]
fn node_types_lists_the_contract() {
    for name in [
        "\"source_file\"",
        "\"line\"",
        "\"import\"",
        "\"import_path\"",
        "\"workspace_placeholder\"",
        "\"command\"",
        "\"command_name\"",
        "\"config_name\"",
        "\"flag\"",
        "\"flag_name\"",
        "\"flag_value\"",
        "\"value\"",
        "\"target_separator\"",
        "\"target_pattern\"",
        "\"comment\"",
    ] {
        assert!(super::NODE_TYPES.contains(name), "{name} missing");
    }
}

/// The text of each named node, in preorder, as `kind=text` (`field:kind=text`
/// for a field).
fn named_texts(text: &str) -> Vec<String> {
    let tree = parse(text.as_bytes());
    assert_no_error(&tree, text.as_bytes());
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        if node.is_named() && node.kind() != "source_file" {
            let field = cursor
                .field_name()
                .map_or(String::new(), |f| format!("{f}:"));
            out.push(format!(
                "{field}{}={}",
                node.kind(),
                &text[node.byte_range()]
            ));
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

#[test]
fn word_nodes_cover_the_raw_words() {
    assert_eq!(
        named_texts("build:o\\\npt --c\"o p\"t='a b' -c opt # x\n"),
        [
            "line=build:o\\\npt --c\"o p\"t='a b' -c opt # x",
            "command:command=build:o\\\npt",
            "name:command_name=build",
            "config:config_name=o\\\npt",
            "flag=--c\"o p\"t='a b'",
            "name:flag_name=--c\"o p\"t",
            "value:flag_value='a b'",
            "flag=-c",
            "name:flag_name=-c",
            "value=opt",
            "comment=# x",
        ]
    );
    assert_eq!(
        named_texts("test --a=\\\n \\\n  -- //x \\\n -//y\n"),
        [
            "line=test --a=\\\n \\\n  -- //x \\\n -//y",
            "command:command=test",
            "name:command_name=test",
            "flag=--a=",
            "name:flag_name=--a",
            "target_separator=--",
            "target_pattern=//x",
            "target_pattern=-//y",
        ]
    );
    assert_eq!(
        named_texts("try-import %workspace%/a\\ b.rc  # c \\\nstill comment\n"),
        [
            "import=try-import %workspace%/a\\ b.rc  # c \\\nstill comment",
            "path:import_path=%workspace%/a\\ b.rc",
            "workspace_placeholder=%workspace%",
            "comment=# c \\\nstill comment",
        ]
    );
}

#[test]
fn anonymous_tokens_and_keyword_field() {
    let text = "try-import x\nimport y\nbuild:c --f=v\n";
    let tree = parse(text.as_bytes());
    let items = named_children(tree.root_node());
    let keyword = |node: Node<'_>| {
        node.child_by_field_name("keyword")
            .map(|k| k.kind().to_owned())
    };
    assert_eq!(keyword(items[0]).as_deref(), Some("try-import"));
    assert_eq!(keyword(items[1]).as_deref(), Some("import"));
    let command = items[2].child_by_field_name("command").expect("command");
    assert_eq!(command.child(1).map(|c| c.kind()), Some(":"));
    let flag = items[2].named_child(1).expect("flag");
    assert_eq!(flag.child(1).map(|c| c.kind()), Some("="));
}

#[test]
fn crlf_line_endings() {
    assert_eq!(
        named_texts("build --a \\\r\n  --b\r\n# c\r\ntest\r\n"),
        [
            "line=build --a \\\r\n  --b",
            "command:command=build",
            "name:command_name=build",
            "flag=--a",
            "name:flag_name=--a",
            "flag=--b",
            "name:flag_name=--b",
            "comment=# c",
            "line=test",
            "command:command=test",
            "name:command_name=test",
        ]
    );
}

#[test]
fn broken_input_has_no_errors() {
    for text in [
        "build:",
        "build --",
        "build --flag=",
        "build --copt=\"unterminated",
        "build '",
        "import",
        "try-import %workspace%",
        "\\",
        "=",
        ":",
        "\0\x01\x7f\u{fffd}",
        "build \\\n",
        "build --x=\\\r",
    ] {
        let tree = parse(text.as_bytes());
        assert_no_error(&tree, text.as_bytes());
    }
    let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    assert_no_error(&parse(&garbage), &garbage);
}

fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

// ---------------------------------------------------------------------------
// Differential test against a model of Bazel's own rc file reader.

/// Bazel's `blaze_util::Replace(pattern, "", text)`.
fn delete_all(text: &[u8], pattern: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(pattern) {
            i += pattern.len();
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

fn delete_continuations(text: &[u8]) -> Vec<u8> {
    delete_all(&delete_all(text, b"\\\r\n"), b"\\\n")
}

fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}

/// Reads one word from `line[*i..]` the way Bazel's client does; returns it
/// even when it is empty.
fn next_word(line: &[u8], i: &mut usize) -> Vec<u8> {
    let mut word = Vec::new();
    let mut quote = 0u8;
    while *i < line.len() && (quote != 0 || !is_separator(line[*i])) {
        let c = line[*i];
        if c == b'\\' {
            *i += 1;
            if *i == line.len() {
                break;
            }
            word.push(line[*i]);
            *i += 1;
            continue;
        }
        if quote != 0 {
            if c != quote {
                word.push(c);
            } else {
                quote = 0;
            }
            *i += 1;
        } else if c == b'#' {
            *i = line.len();
            break;
        } else if c == b'"' || c == b'\'' {
            quote = c;
            *i += 1;
        } else {
            word.push(c);
            *i += 1;
        }
    }
    word
}

/// The words of each non-empty line, as Bazel's client reads an rc file.
fn bazel_lines(text: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let text = delete_continuations(text);
    let mut lines = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        // C's isspace(), which (unlike Rust's is_ascii_whitespace) includes \v.
        let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
        let start = line.iter().position(|b| !is_space(b)).unwrap_or(line.len());
        let end = line
            .iter()
            .rposition(|b| !is_space(b))
            .map_or(start, |i| i + 1);
        let line = &line[start..end];
        let mut words = Vec::new();
        let mut i = 0;
        while i < line.len() {
            while i < line.len() && is_separator(line[i]) {
                i += 1;
            }
            if i < line.len() && line[i] == b'#' {
                break;
            }
            let word = next_word(line, &mut i);
            if !word.is_empty() {
                words.push(word);
            }
        }
        if !words.is_empty() {
            lines.push(words);
        }
    }
    lines
}

/// What a consumer of the tree does with a word node's raw text.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let raw = delete_continuations(raw);
    next_word(&raw, &mut 0)
}

/// The words of each line according to the tree (words that are empty once
/// unescaped are dropped, as Bazel drops them).
fn tree_lines(tree: &Tree, text: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut lines = Vec::new();
    for item in named_children(tree.root_node()) {
        let mut words = Vec::new();
        match item.kind() {
            "line" | "import" => {
                let mut cursor = item.walk();
                for child in item.children(&mut cursor) {
                    match child.kind() {
                        "comment" => {}
                        _ => words.push(unescape(&text[child.byte_range()])),
                    }
                }
            }
            "comment" => {}
            other => panic!("unexpected item {other}"),
        }
        words.retain(|w| !w.is_empty());
        if !words.is_empty() {
            lines.push(words);
        }
    }
    lines
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FRAGMENTS: &[&[u8]] = &[
    b"build",
    b"test",
    b"import",
    b"try-import",
    b"common",
    b"startup",
    b"a",
    b"b",
    b"x=1",
    b"--",
    b"-",
    b"--foo",
    b"--no",
    b"=",
    b":",
    b"//p:t",
    b"/...",
    b"%workspace%",
    b"%work",
    b"-c",
    b"opt",
    b" ",
    b" ",
    b" ",
    b"  ",
    b"\t",
    b"\n",
    b"\n",
    b"\n",
    b"\r\n",
    b"#",
    b"\"",
    b"'",
    b"\\",
    b"\\",
    b"\\\n",
    b"\\\r\n",
    b"\\\\",
    b"\0",
    "\u{e9}".as_bytes(),
    b"\xff",
    // The last ones make whitespace at the edge of words.
    b"\\ ",
    b"\\\t",
    b"\r",
    b"\x0b",
    b"\x0c",
];

/// How many random documents to try: `default`, or `BAZELRC_FUZZ_RUNS`.
fn fuzz_runs(default: usize) -> usize {
    std::env::var("BAZELRC_FUZZ_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn random_doc(rng: &mut Rng, fragments: &[&[u8]]) -> Vec<u8> {
    let mut doc = Vec::new();
    for _ in 0..rng.below(40) {
        doc.extend_from_slice(fragments[rng.below(fragments.len())]);
    }
    doc
}

fn assert_no_error(tree: &Tree, doc: &[u8]) {
    assert!(
        !tree.root_node().has_error(),
        "error in tree for {:?}: {}",
        String::from_utf8_lossy(doc),
        tree.root_node().to_sexp()
    );
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

/// The lines with whitespace trimmed from both ends of every word.
fn trimmed(lines: &[Vec<Vec<u8>>]) -> Vec<Vec<Vec<u8>>> {
    lines
        .iter()
        .map(|words| {
            words
                .iter()
                .map(|w| {
                    let start = w.iter().position(|&b| !is_blank(b)).unwrap_or(w.len());
                    let end = w
                        .iter()
                        .rposition(|&b| !is_blank(b))
                        .map_or(start, |i| i + 1);
                    w[start..end].to_vec()
                })
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|words| !words.is_empty())
        .collect()
}

fn has_edge_blank(lines: &[Vec<Vec<u8>>]) -> bool {
    lines
        .iter()
        .flatten()
        .any(|w| w.first().is_some_and(|&b| is_blank(b)) || w.last().is_some_and(|&b| is_blank(b)))
}

/// Parses random documents and compares the words of the tree with Bazel's.
///
/// The known differences (see the README) all concern whitespace at the
/// edge of a word: an escaped or quoted blank, \v, \f or a lone CR that
/// Bazel strips at the end of a line, or keeps, where the scanner cannot see
/// which. For those only the trimmed words must agree, and they must be rare
/// even with these fragments.
#[test]
fn words_match_bazel() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut parser = parser();
    let mut excused = 0;
    let runs = fuzz_runs(30_000);
    for _ in 0..runs {
        let doc = random_doc(&mut rng, FRAGMENTS);
        let tree = parser.parse(&doc, None).expect("parse never fails");
        assert_no_error(&tree, &doc);
        let ours = tree_lines(&tree, &doc);
        let bazel = bazel_lines(&doc);
        if ours != bazel && (has_edge_blank(&ours) || has_edge_blank(&bazel)) {
            excused += 1;
            assert_eq!(
                trimmed(&ours),
                trimmed(&bazel),
                "input {:?}\ntree {}",
                String::from_utf8_lossy(&doc),
                tree.root_node().to_sexp()
            );
            continue;
        }
        assert_eq!(
            ours,
            bazel,
            "input {:?}\ntree {}",
            String::from_utf8_lossy(&doc),
            tree.root_node().to_sexp()
        );
    }
    assert!(
        excused * 100 < runs,
        "{excused} of {runs} differ in whitespace"
    );
}

// ---------------------------------------------------------------------------
// Incremental parsing gives the same tree as parsing from scratch.

fn point_at(text: &[u8], byte: usize) -> Point {
    let before = &text[..byte];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count();
    Point::new(row, column)
}

/// Every node with its kind, field name and byte range, in preorder.
fn shape(tree: &Tree) -> Vec<(String, Option<String>, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        out.push((
            node.kind().to_owned(),
            cursor.field_name().map(str::to_owned),
            node.byte_range(),
        ));
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

#[test]
fn incremental_parse_matches_fresh_parse() {
    let mut rng = Rng(0x1dea_5eed_0000_0042);
    let mut parser = parser();
    for _ in 0..fuzz_runs(5_000) {
        let mut doc = random_doc(&mut rng, FRAGMENTS);
        let mut tree = parser.parse(&doc, None).expect("parse never fails");
        for _ in 0..4 {
            let start = rng.below(doc.len() + 1);
            let old_end = start + rng.below(doc.len() - start + 1).min(6);
            let mut inserted = Vec::new();
            for _ in 0..rng.below(3) {
                inserted.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            }
            let edit = InputEdit {
                start_byte: start,
                old_end_byte: old_end,
                new_end_byte: start + inserted.len(),
                start_position: point_at(&doc, start),
                old_end_position: point_at(&doc, old_end),
                new_end_position: Point::default(),
            };
            doc.splice(start..old_end, inserted);
            let edit = InputEdit {
                new_end_position: point_at(&doc, edit.new_end_byte),
                ..edit
            };
            tree.edit(&edit);
            let incremental = parser.parse(&doc, Some(&tree)).expect("parse never fails");
            let fresh = parser.parse(&doc, None).expect("parse never fails");
            assert_no_error(&fresh, &doc);
            assert_eq!(
                shape(&incremental),
                shape(&fresh),
                "input {:?}",
                String::from_utf8_lossy(&doc)
            );
            tree = incremental;
        }
    }
}

// ---------------------------------------------------------------------------
// Speed: linear in the input.

/// A deterministic rc file of about 50 KB and 1000 lines.
fn big_rc_file() -> String {
    let mut rng = Rng(0xb16_f11e);
    let commands = [
        "build", "test", "common", "run", "startup", "query", "coverage",
    ];
    let configs = ["ci", "opt", "asan", "remote", "linux_x86_64"];
    let values = [
        "-O2",
        "\"-DFOO=bar baz\"",
        "grpcs://cache.example.com:443",
        "PATH=/usr/bin",
    ];
    let mut text = String::new();
    while text.len() < 50_000 {
        match rng.below(20) {
            0 | 1 => text.push_str("# Settings for the remote cache; see the docs for more.\n"),
            2 => text.push('\n'),
            3 => text.push_str("try-import %workspace%/user.bazelrc\n"),
            _ => {
                text.push_str(commands[rng.below(commands.len())]);
                if rng.below(2) == 0 {
                    text.push(':');
                    text.push_str(configs[rng.below(configs.len())]);
                }
                for _ in 0..1 + rng.below(2) {
                    match rng.below(4) {
                        0 => text.push_str(" --copt="),
                        1 => text.push_str(" --action_env="),
                        2 => text.push_str(" --keep_going -c opt --define"),
                        _ => text.push_str(" --//tools/config:flag="),
                    }
                    if !text.ends_with('=') {
                        text.push(' ');
                    }
                    text.push_str(values[rng.below(values.len())]);
                }
                if rng.below(8) == 0 {
                    text.push_str(" \\\n    --jobs=50");
                }
                text.push('\n');
            }
        }
    }
    text
}

/// The work one parse takes: how many steps (lexing, shifts, reductions,
/// recoveries) tree-sitter's parser logs. Deterministic, unlike a time, so
/// a busy machine cannot fail the test.
fn parse_work(text: &[u8]) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let steps = Arc::new(AtomicUsize::new(0));
    let counter = steps.clone();
    let mut parser = parser();
    parser.set_logger(Some(Box::new(move |_, _| {
        counter.fetch_add(1, Ordering::Relaxed);
    })));
    let tree = parser.parse(text, None).expect("parse never fails");
    assert_no_error(&tree, text);
    steps.load(Ordering::Relaxed)
}

/// Parsing work grows linearly: quadrupling an input (about 50 KB at full
/// size) must not multiply the parser's steps by much more than four;
/// quadratic behaviour (a ratio near 16) fails.
#[test]
fn parsing_is_linear() {
    let text = big_rc_file();
    assert!(
        text.lines().count() >= 950,
        "{} lines",
        text.lines().count()
    );
    let quarter: String = text
        .lines()
        .take(text.lines().count() / 4)
        .collect::<Vec<_>>()
        .join("\n");
    assert_linear("big rc file", quarter.as_bytes(), text.as_bytes());

    let pathological: &[(&str, &[u8], &[u8], usize)] = &[
        ("one long line", b"build", b" --a=b", 8_000),
        ("one long quote", b"build \"", b"x ", 25_000),
        ("one long comment", b"#", b"x \\\n", 12_000),
        ("continuations", b"build", b" \\\n", 16_000),
        ("escaped blanks", b"build", b" a\\ ", 12_000),
        ("blank words", b"build", b" \x0b", 25_000),
        ("blank lines", b"", b"\n", 50_000),
        ("short lines", b"", b"build\n", 8_000),
    ];
    for (name, head, unit, count) in pathological {
        let small = [*head, &unit.repeat(count / 4)].concat();
        let full = [*head, &unit.repeat(*count)].concat();
        assert_linear(name, &small, &full);
    }
}

fn assert_linear(name: &str, small: &[u8], full: &[u8]) {
    let (w_small, w_full) = (parse_work(small), parse_work(full));
    assert!(
        w_full <= 5 * w_small,
        "{name}: {} bytes took {w_small} parser steps, {} bytes {w_full}",
        small.len(),
        full.len()
    );
}

/// The corpus (`test/corpus/*.txt`, the format `tree-sitter test` reads),
/// checked from `cargo test` so CI needs no tree-sitter CLI: every case's
/// input parses to its expected tree.
#[test]
fn corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("test/corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let normalize = |s: &str| -> String {
        // Whitespace-insensitive, as `tree-sitter test` compares.
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace("( ", "(")
            .replace(" )", ")")
    };
    let mut cases = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read corpus");
        let lines: Vec<&str> = text.split('\n').collect();
        let is_rule = |l: &str, c: char| {
            let l = l.trim_end();
            l.len() >= 3 && l.chars().all(|x| x == c)
        };
        let mut i = 0;
        while i < lines.len() {
            if !is_rule(lines[i], '=') {
                i += 1;
                continue;
            }
            let name = lines[i + 1].trim().to_string();
            i += 3; // rule, name, rule
            let start = i;
            while i < lines.len() && !is_rule(lines[i], '-') {
                i += 1;
            }
            // The input is what lies between the header and the `---` line,
            // without the blank line before `---` (tree-sitter's format).
            let input_lines = &lines[start..i];
            let mut input = input_lines.join("\n");
            if let Some(stripped) = input.strip_suffix('\n') {
                input = stripped.to_string();
            }
            i += 1;
            let expected_start = i;
            while i < lines.len() && !is_rule(lines[i], '=') {
                i += 1;
            }
            let expected = lines[expected_start..i].join("\n");
            let tree = parse(input.as_bytes());
            assert_eq!(
                normalize(&tree.root_node().to_sexp()),
                normalize(&expected),
                "{}: {name}\ninput {input:?}",
                file.display()
            );
            cases += 1;
        }
    }
    assert!(cases >= 90, "only {cases} corpus cases found");
}
