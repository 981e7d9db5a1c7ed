//! Seeded workspaces for the `select()` conformance test against real
//! Bazel 2.1.0 (`tests/select_conformance.rs`), and the reading of Bazel's
//! answer.
//!
//! One case is a small, self-contained workspace whose target `//pkg:t` is
//! a `filegroup` with `srcs = [...] + select({...}) + select({...})`:
//!
//! - `config_setting`s over `values` (`compilation_mode`, `cpu`, `define`,
//!   the boolean `stamp` written `1`/`true`/`0`/`false`) and `define_values`, in `//pkg` and `//conds`, with one to three
//!   entries each; later settings often copy an earlier one's entries and
//!   add one, or join two earlier ones, so that specialisation (and equal
//!   settings written two ways) arise; the command line often asks for one
//!   of the specialising ones;
//! - `alias` chains (depth 1–3, across packages) to them;
//! - selects with and without `//conditions:default`, with
//!   `no_match_error`, keys written relative or absolute, in random order;
//!   every branch points to its own leaves (filegroups in `//pkg` and
//!   `//other`, source files in `//pkg`), so the leaves Bazel lists tell
//!   which branch each select took;
//! - `.bazelrc` with `build`/`common` lines, `build:NAME`/`common:NAME`
//!   sections, nested `--config`s, `import`/`try-import` of a second file;
//!   now and then an rc error (an undefined config, a config cycle, a
//!   missing import, a `--config` without a value in a definition);
//! - command-line flags (`-c opt`, `--compilation_mode dbg`, `--cpu=ppc`,
//!   `--define=a=1`, `--define a=2`, `--[no]stamp`, `--stamp=0`,
//!   `--config=x`), repeated defines included.
//!
//! Bazel's answer is `bazel cquery ARGS 'labels(srcs, //pkg:t)'`: the
//! labels, or the error its stderr names ([`read_cquery`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::rng::Rng;

/// The target every case configures.
pub const TARGET: &str = "//pkg:t";
/// The query whose answer is compared.
pub const QUERY: &str = "labels(srcs, //pkg:t)";

/// One generated workspace and command line.
#[derive(Clone, Debug)]
pub struct SelectCase {
    pub index: usize,
    /// Files relative to the workspace root, with their text.
    pub files: Vec<(String, String)>,
    /// What follows `bazel cquery` (and `bzls select //pkg:t --`).
    pub args: Vec<String>,
    /// The selects of `//pkg:t`'s `srcs`, in text order.
    pub selects: Vec<GenSelect>,
    /// Leaves listed outside the selects (absolute labels).
    pub static_leaves: Vec<String>,
    /// The rc error the generator meant to provoke, if any.
    pub intent: &'static str,
}

/// One generated select: its keys as absolute labels, each with the
/// absolute labels of its branch's leaves.
#[derive(Clone, Debug)]
pub struct GenSelect {
    pub branches: Vec<(String, Vec<String>)>,
}

/// One entry of a `config_setting`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// `values = {"compilation_mode": "opt"}` (`define` included: `"a=1"`).
    Value(&'static str, String),
    /// `define_values = {"a": "1"}`.
    Define(&'static str, &'static str),
}

impl Entry {
    /// The dict key it occupies: two entries with the same one cannot be
    /// in one `config_setting`.
    fn slot(&self) -> (bool, &str) {
        match self {
            Entry::Value(option, _) => (true, option),
            Entry::Define(key, _) => (false, key),
        }
    }
}

struct Setting {
    package: &'static str,
    name: String,
    entries: Vec<Entry>,
    /// Made from an earlier setting's entries plus one.
    refines: bool,
}

struct Alias {
    package: &'static str,
    name: String,
    /// The absolute label it points to.
    actual: String,
}

const MODES: &[&str] = &["fastbuild", "dbg", "opt"];
/// CPUs Bazel 2.1.0 accepts for a filegroup-only analysis, offline.
const CPUS: &[&str] = &["k8", "ppc", "armeabi-v7a"];
const DEFINE_KEYS: &[&str] = &["a", "b", "c"];
const DEFINE_VALUES: &[&str] = &["1", "2"];
/// How a `config_setting` may write a boolean option's value.
const BOOLS: &[&str] = &["1", "true", "0", "false"];
/// Config names the rc files may define.
const CONFIGS: &[&str] = &["opt", "dbg", "arm", "ci", "x"];

fn pick(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len())]
}

fn random_entry(rng: &mut Rng) -> Entry {
    match rng.below(11) {
        10 => Entry::Value("stamp", rng.pick(BOOLS).to_string()),
        0..=2 => Entry::Value("compilation_mode", rng.pick(MODES).to_string()),
        3 | 4 => Entry::Value("cpu", rng.pick(CPUS).to_string()),
        5..=7 => Entry::Define(pick(rng, DEFINE_KEYS), pick(rng, DEFINE_VALUES)),
        _ => Entry::Value(
            "define",
            format!("{}={}", rng.pick(DEFINE_KEYS), rng.pick(DEFINE_VALUES)),
        ),
    }
}

/// Adds `entry` unless its dict key is taken.
fn add_entry(entries: &mut Vec<Entry>, entry: Entry) -> bool {
    if entries.iter().any(|e| e.slot() == entry.slot()) {
        return false;
    }
    entries.push(entry);
    true
}

fn render_setting(s: &Setting) -> String {
    let mut values = Vec::new();
    let mut defines = Vec::new();
    for e in &s.entries {
        match e {
            Entry::Value(option, value) => values.push(format!("\"{option}\": \"{value}\"")),
            Entry::Define(key, value) => defines.push(format!("\"{key}\": \"{value}\"")),
        }
    }
    let mut out = format!("config_setting(\n    name = \"{}\",\n", s.name);
    if !values.is_empty() {
        let _ = writeln!(out, "    values = {{{}}},", values.join(", "));
    }
    if !defines.is_empty() {
        let _ = writeln!(out, "    define_values = {{{}}},", defines.join(", "));
    }
    out.push_str(")\n");
    out
}

/// How `label` (absolute) is written in package `from`.
fn spell(rng: &mut Rng, label: &str, from: &str) -> String {
    match label.strip_prefix(&format!("//{from}:")) {
        Some(name) if rng.chance(600) => format!(":{name}"),
        Some(name) if rng.chance(300) => name.to_string(),
        _ => label.to_string(),
    }
}

/// A config_setting key is never written as a bare name: Bazel would read
/// it as a label all the same, but keep the keys label-shaped.
fn spell_key(rng: &mut Rng, label: &str, from: &str) -> String {
    match label.strip_prefix(&format!("//{from}:")) {
        Some(name) if rng.chance(600) => format!(":{name}"),
        _ => label.to_string(),
    }
}

/// One rc option (one or two tokens), never `--config`.
fn rc_option(rng: &mut Rng) -> String {
    let key = rng.pick(DEFINE_KEYS);
    let value = rng.pick(DEFINE_VALUES);
    match rng.below(13) {
        12 => rng.pick(&["--stamp", "--nostamp"]).to_string(),
        0 => format!("-c {}", rng.pick(MODES)),
        1 => format!("--compilation_mode={}", rng.pick(MODES)),
        2 => format!("--compilation_mode {}", rng.pick(MODES)),
        3 => format!("--cpu={}", rng.pick(CPUS)),
        4 => format!("--cpu {}", rng.pick(CPUS)),
        5..=7 => format!("--define={key}={value}"),
        8 | 9 => format!("--define {key}={value}"),
        _ => format!(
            "--define={key}={value} --define={key}={}",
            rng.pick(DEFINE_VALUES)
        ),
    }
}

/// One command-line option as arguments, never `--config`.
fn cl_option(rng: &mut Rng) -> Vec<String> {
    let key = rng.pick(DEFINE_KEYS);
    let value = rng.pick(DEFINE_VALUES);
    let v = match rng.below(11) {
        10 => vec![rng
            .pick(&["--stamp", "--nostamp", "--stamp=0", "--stamp=true"])
            .to_string()],
        0 => vec!["-c".to_string(), rng.pick(MODES).to_string()],
        1 => vec![format!("--compilation_mode={}", rng.pick(MODES))],
        2 => vec![
            "--compilation_mode".to_string(),
            rng.pick(MODES).to_string(),
        ],
        3 => vec![format!("--cpu={}", rng.pick(CPUS))],
        4..=6 => vec![format!("--define={key}={value}")],
        _ => vec!["--define".to_string(), format!("{key}={value}")],
    };
    v
}

/// The case `index` of `seed`.
pub fn generate(seed: u64, index: usize) -> SelectCase {
    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let rng = &mut rng;

    // Conditions.
    let mut settings: Vec<Setting> = Vec::new();
    let n_settings = 2 + rng.below(5);
    for i in 0..n_settings {
        let package = if rng.chance(750) { "pkg" } else { "conds" };
        let mut entries = Vec::new();
        let mut refines = false;
        if i > 1 && rng.chance(150) {
            // The union of two earlier settings: it specialises both.
            let a = rng.below(settings.len());
            let b = rng.below(settings.len());
            entries = settings[a].entries.clone();
            for e in settings[b].entries.clone() {
                add_entry(&mut entries, e);
            }
            refines = true;
            rng.shuffle(&mut entries);
        } else if i > 0 && rng.chance(450) {
            // Specialise (or restate) an earlier setting.
            let base = rng.below(settings.len());
            entries = settings[base].entries.clone();
            if rng.chance(150) {
                // The same settings, the define written the other way.
                // (`values` holds one define at most.)
                let at = entries
                    .iter()
                    .position(|e| matches!(e, Entry::Define(..)))
                    .filter(|_| !entries.iter().any(|e| e.slot() == (true, "define")));
                if let Some(at) = at {
                    if let Entry::Define(k, v) = entries[at].clone() {
                        entries[at] = Entry::Value("define", format!("{k}={v}"));
                    }
                }
            } else {
                for _ in 0..4 {
                    if add_entry(&mut entries, random_entry(rng)) {
                        refines = true;
                        break;
                    }
                }
            }
            rng.shuffle(&mut entries);
        } else {
            let n = match rng.below(20) {
                0..=9 => 1,
                10..=16 => 2,
                _ => 3,
            };
            while entries.len() < n {
                add_entry(&mut entries, random_entry(rng));
            }
        }
        settings.push(Setting {
            package,
            name: format!("c{i}"),
            entries,
            refines,
        });
    }
    let mut aliases: Vec<Alias> = Vec::new();
    // Alias depth by absolute label.
    let mut depth: Vec<(String, usize)> = settings
        .iter()
        .map(|s| (format!("//{}:{}", s.package, s.name), 0))
        .collect();
    for i in 0..rng.below(4) {
        let package = if rng.chance(600) { "pkg" } else { "conds" };
        let candidates: Vec<&(String, usize)> = depth.iter().filter(|(_, d)| *d < 3).collect();
        let (actual, d) = (*rng.pick(&candidates)).clone();
        aliases.push(Alias {
            package,
            name: format!("al{i}"),
            actual,
        });
        depth.push((format!("//{package}:al{i}"), d + 1));
    }
    let conditions: Vec<String> = depth.iter().map(|(l, _)| l.clone()).collect();

    // Leaves and selects.
    let mut leaves = 0usize;
    let mut fg_pkg = Vec::new();
    let mut fg_other = Vec::new();
    let mut sources = Vec::new();
    let mut new_leaf = |rng: &mut Rng| -> String {
        leaves += 1;
        match rng.below(10) {
            0..=4 => {
                fg_pkg.push(format!("leaf_{leaves}"));
                format!("//pkg:leaf_{leaves}")
            }
            5..=7 => {
                fg_other.push(format!("leaf_{leaves}"));
                format!("//other:leaf_{leaves}")
            }
            _ => {
                sources.push(format!("src_{leaves}.txt"));
                format!("//pkg:src_{leaves}.txt")
            }
        }
    };
    let leaf_list = |rng: &mut Rng, labels: &[String]| -> String {
        let spelled: Vec<String> = labels
            .iter()
            .map(|l| format!("\"{}\"", spell(rng, l, "pkg")))
            .collect();
        format!("[{}]", spelled.join(", "))
    };
    let mut parts: Vec<String> = Vec::new();
    let mut static_leaves = Vec::new();
    let mut selects = Vec::new();
    let n_selects = 1 + rng.below(3);
    for s in 0..n_selects {
        if rng.chance(if s == 0 { 350 } else { 150 }) {
            let labels: Vec<String> = (0..1 + rng.below(2)).map(|_| new_leaf(rng)).collect();
            parts.push(leaf_list(rng, &labels));
            static_leaves.extend(labels);
        }
        let mut pool = conditions.clone();
        rng.shuffle(&mut pool);
        let n_keys = 1 + rng.below(pool.len().min(4));
        let mut branches: Vec<(String, Vec<String>)> = Vec::new();
        let mut text = String::from("select(\n        {\n");
        for key in pool.into_iter().take(n_keys) {
            let labels: Vec<String> = (0..[0, 1, 1, 1, 2][rng.below(5)])
                .map(|_| new_leaf(rng))
                .collect();
            let _ = writeln!(
                text,
                "            \"{}\": {},",
                spell_key(rng, &key, "pkg"),
                leaf_list(rng, &labels)
            );
            branches.push((key, labels));
        }
        let default = rng.chance(620);
        if default {
            let labels: Vec<String> = (0..[0, 1, 1][rng.below(3)])
                .map(|_| new_leaf(rng))
                .collect();
            let entry = format!(
                "            \"//conditions:default\": {},\n",
                leaf_list(rng, &labels)
            );
            // The default is usually last, but its place must not matter.
            if rng.chance(200) {
                text = text.replacen("{\n", &format!("{{\n{entry}"), 1);
                branches.insert(0, ("//conditions:default".to_string(), labels));
            } else {
                text.push_str(&entry);
                branches.push(("//conditions:default".to_string(), labels));
            }
        }
        text.push_str("        }");
        if !default && rng.chance(350) {
            let _ = write!(
                text,
                ",\n        no_match_error = \"case {index} select {s}: no match\""
            );
        }
        text.push_str(",\n    )");
        parts.push(text);
        selects.push(GenSelect { branches });
    }
    if rng.chance(150) {
        let labels = vec![new_leaf(rng)];
        parts.push(leaf_list(rng, &labels));
        static_leaves.extend(labels);
    }

    // BUILD files.
    let mut pkg = String::new();
    let mut conds = String::new();
    let mut order: Vec<String> = Vec::new();
    for s in &settings {
        order.push(render_setting(s));
    }
    for a in &aliases {
        order.push(format!(
            "alias(\n    name = \"{}\",\n    actual = \"{}\",\n)\n",
            a.name,
            spell_key(rng, &a.actual, a.package)
        ));
    }
    let packages: Vec<&str> = settings
        .iter()
        .map(|s| s.package)
        .chain(aliases.iter().map(|a| a.package))
        .collect();
    for (text, package) in order.iter().zip(packages) {
        let file = if package == "pkg" {
            &mut pkg
        } else {
            &mut conds
        };
        file.push_str(text);
        file.push('\n');
    }
    let _ = writeln!(
        pkg,
        "filegroup(\n    name = \"t\",\n    srcs = {},\n)\n",
        parts.join(" + ")
    );
    for name in &fg_pkg {
        let _ = writeln!(pkg, "filegroup(name = \"{name}\")");
    }
    let mut other = String::new();
    for name in &fg_other {
        let _ = writeln!(
            other,
            "filegroup(name = \"{name}\", visibility = [\"//visibility:public\"])"
        );
    }
    // Bazel 2.1.0 checks that an alias's `actual` is visible to it
    // (aliases cross packages here): everything is public.
    let public = "package(default_visibility = [\"//visibility:public\"])\n\n";
    pkg.insert_str(0, public);
    if !conds.is_empty() {
        conds.insert_str(0, public);
    }
    let mut files = vec![
        ("pkg/BUILD".to_string(), pkg),
        ("conds/BUILD".to_string(), conds),
        ("other/BUILD".to_string(), other),
    ];
    for src in &sources {
        files.push((format!("pkg/{src}"), format!("{src}\n")));
    }

    // Rc files and the command line.
    // Now and then the command line asks for one condition, preferably one
    // that specialises another.
    let wanted = if rng.chance(600) {
        let refining: Vec<&Setting> = settings.iter().filter(|s| s.refines).collect();
        if !refining.is_empty() && rng.chance(700) {
            rng.pick(&refining).entries.clone()
        } else {
            rng.pick(&settings).entries.clone()
        }
    } else {
        Vec::new()
    };
    let (rc_files, args, intent) = rc_setup(rng, &wanted);
    files.extend(rc_files);
    SelectCase {
        index,
        files,
        args,
        selects,
        static_leaves,
        intent,
    }
}

/// The rc files (`.bazelrc`, maybe `tools/extra.rc`) and the command line.
/// Options that set what `entry` tests, as rc text tokens.
fn satisfy(rng: &mut Rng, entry: &Entry) -> Vec<String> {
    let two = rng.chance(300);
    match entry {
        Entry::Value("compilation_mode", mode) if two => vec!["-c".into(), mode.clone()],
        Entry::Value("compilation_mode", mode) => vec![format!("--compilation_mode={mode}")],
        Entry::Value("cpu", cpu) => vec![format!("--cpu={cpu}")],
        Entry::Value("stamp", b) => {
            let on = matches!(b.as_str(), "1" | "true");
            vec![if on { "--stamp" } else { "--nostamp" }.into()]
        }
        Entry::Value(_, define) if two => vec!["--define".into(), define.clone()],
        Entry::Value(_, define) => vec![format!("--define={define}")],
        Entry::Define(k, v) if two => vec!["--define".into(), format!("{k}={v}")],
        Entry::Define(k, v) => vec![format!("--define={k}={v}")],
    }
}

fn rc_setup(rng: &mut Rng, wanted: &[Entry]) -> (Vec<(String, String)>, Vec<String>, &'static str) {
    let intent = match rng.below(100) {
        0..=2 => "undefined config",
        3..=5 => "config cycle",
        6 | 7 => "missing import",
        8 | 9 => "config without a value",
        _ => "",
    };
    // Which configs exist, and where: in .bazelrc or in the imported file.
    let mut defined: Vec<&str> = CONFIGS
        .iter()
        .copied()
        .filter(|_| rng.chance(550))
        .collect();
    rng.shuffle(&mut defined);
    let import = rng.chance(350);
    let mut main: Vec<String> = Vec::new();
    let mut extra: Vec<String> = Vec::new();
    for (i, name) in defined.iter().enumerate() {
        let mut lines = Vec::new();
        for _ in 0..1 + rng.below(2) {
            let section = if rng.chance(200) { "common" } else { "build" };
            let mut opts: Vec<String> = (0..1 + rng.below(2)).map(|_| rc_option(rng)).collect();
            // Nested configs only point forward: no accidental cycles.
            if i + 1 < defined.len() && rng.chance(300) {
                let target = defined[i + 1 + rng.below(defined.len() - i - 1)];
                let at = rng.below(opts.len() + 1);
                opts.insert(at, format!("--config={target}"));
            }
            lines.push(format!("{section}:{name} {}", opts.join(" ")));
        }
        if import && rng.chance(500) {
            extra.extend(lines);
        } else {
            main.extend(lines);
        }
    }
    for _ in 0..rng.below(3) {
        let section = if rng.chance(300) { "common" } else { "build" };
        let line = format!("{section} {}", rc_option(rng));
        if import && rng.chance(300) {
            extra.push(line);
        } else {
            main.push(line);
        }
    }
    if !defined.is_empty() && rng.chance(200) {
        // A config applied from the rc files themselves.
        main.push(format!("build --config={}", rng.pick(&defined)));
    }
    // Options that make one condition (often a specialising one) match:
    // from the command line, a `build` line or a config of their own.
    let mut cl: Vec<String> = Vec::new();
    let wanted: Vec<String> = wanted.iter().flat_map(|e| satisfy(rng, e)).collect();
    if !wanted.is_empty() {
        match rng.below(20) {
            0..=4 => {
                main.push(format!("build:want {}", wanted.join(" ")));
                cl.push("--config=want".to_string());
            }
            5..=7 => main.push(format!("build {}", wanted.join(" "))),
            _ => cl.extend(wanted),
        }
    }
    rng.shuffle(&mut main);
    match intent {
        "undefined config" => {
            if !defined.is_empty() && rng.chance(500) {
                let name = rng.pick(&defined).to_string();
                main.push(format!("build:{name} --config=nope"));
                cl.push(format!("--config={name}"));
            } else {
                cl.push("--config=nope".to_string());
            }
        }
        "config cycle" => {
            main.push("build:cyc1 --define=a=1 --config=cyc2".to_string());
            main.push("build:cyc2 --config=cyc1".to_string());
            cl.push(format!("--config={}", rng.pick(&["cyc1", "cyc2"])));
        }
        "config without a value" => {
            main.push("build:bare --define=a=1 --config".to_string());
            cl.push("--config=bare".to_string());
        }
        "missing import" => {
            let at = rng.below(main.len() + 1);
            main.insert(at, "import %workspace%/tools/missing.rc".to_string());
        }
        _ => {}
    }
    if import {
        let at = rng.below(main.len() + 1);
        let kind = if rng.chance(300) {
            "try-import"
        } else {
            "import"
        };
        main.insert(at, format!("{kind} %workspace%/tools/extra.rc"));
    }
    if rng.chance(150) {
        let at = rng.below(main.len() + 1);
        main.insert(at, "try-import %workspace%/tools/absent.rc".to_string());
    }
    for _ in 0..rng.below(4) {
        cl.extend(cl_option(rng));
    }
    for name in &defined {
        if rng.chance(300) {
            cl.push(format!("--config={name}"));
        }
    }
    rng.shuffle_chunks(&mut cl);
    let mut files = Vec::new();
    if !main.is_empty() || rng.chance(500) {
        files.push((".bazelrc".to_string(), lines(&main)));
    }
    if import {
        files.push(("tools/extra.rc".to_string(), lines(&extra)));
    }
    (files, cl, intent)
}

fn lines(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

trait Shuffle {
    fn shuffle<T>(&mut self, items: &mut [T]);
    /// Shuffles command-line options, keeping `--define x=1`, `-c opt`
    /// and `--compilation_mode dbg` pairs together.
    fn shuffle_chunks(&mut self, args: &mut Vec<String>);
}

impl Shuffle for Rng {
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    fn shuffle_chunks(&mut self, args: &mut Vec<String>) {
        let mut chunks: Vec<Vec<String>> = Vec::new();
        for arg in args.drain(..) {
            match chunks.last_mut() {
                Some(last)
                    if last.len() == 1
                        && matches!(last[0].as_str(), "-c" | "--define" | "--compilation_mode") =>
                {
                    last.push(arg)
                }
                _ => chunks.push(vec![arg]),
            }
        }
        self.shuffle(&mut chunks);
        args.extend(chunks.into_iter().flatten());
    }
}

// ---------------------------------------------------------------------------
// Bazel's answer.

/// What `bazel cquery ARGS 'labels(srcs, //pkg:t)'` said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CqueryAnswer {
    /// The labels, sorted and deduplicated (`labels()` is a set).
    Labels(BTreeSet<String>),
    /// `ambiguous`, `no-match` or `rc-error`, with Bazel's message (for
    /// select errors, as bzls's contract writes it: no location prefix).
    Error {
        class: &'static str,
        message: String,
    },
}

/// Reads one cquery run; `Err` when the output is not understood (a
/// harness problem, never a verdict).
pub fn read_cquery(
    exit_code: Option<i32>,
    stdout: &str,
    stderr: &str,
) -> Result<CqueryAnswer, String> {
    if exit_code == Some(0) {
        let mut labels = BTreeSet::new();
        for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
            let Some((label, config)) = line.rsplit_once(" (") else {
                return Err(format!("unexpected cquery line {line:?}"));
            };
            if !label.starts_with("//") || !config.ends_with(')') {
                return Err(format!("unexpected cquery line {line:?}"));
            }
            labels.insert(label.to_string());
        }
        return Ok(CqueryAnswer::Labels(labels));
    }
    let lines: Vec<&str> = stderr.lines().collect();
    // `ERROR: /ws/pkg/BUILD:12:1: MESSAGE`, continued on the next lines.
    let select_error = |needle: &str| -> Option<String> {
        let at = lines
            .iter()
            .position(|l| l.starts_with("ERROR: ") && l.contains(needle))?;
        let first = &lines[at]["ERROR: ".len()..];
        let mut message = match first.find("/BUILD:") {
            Some(i) => first[i + "/BUILD:".len()..]
                .split_once(": ")
                .map_or(first, |(_, m)| m)
                .to_string(),
            None => first.to_string(),
        };
        for l in &lines[at + 1..] {
            if l.is_empty()
                || l.starts_with("ERROR: ")
                || l.starts_with("INFO: ")
                || l.starts_with("WARNING: ")
            {
                break;
            }
            message.push('\n');
            message.push_str(l);
        }
        Some(message)
    };
    if let Some(message) = select_error("Illegal ambiguous match") {
        return Ok(CqueryAnswer::Error {
            class: "ambiguous",
            message,
        });
    }
    if let Some(message) = select_error("doesn't match this configuration") {
        return Ok(CqueryAnswer::Error {
            class: "no-match",
            message,
        });
    }
    let rc_patterns = [
        "is not defined in any .rc file",
        "Config expansion has a cycle",
        "Unexpected error reading .blazerc file",
        "expands to itself",
        "is not in the form --config=value",
    ];
    for l in &lines {
        let text = l.strip_prefix("ERROR: ").or_else(|| {
            l.strip_prefix("[FATAL ")
                .and_then(|r| r.split_once("] ").map(|p| p.1))
        });
        if let Some(text) = text {
            if rc_patterns.iter().any(|p| text.contains(p)) {
                return Ok(CqueryAnswer::Error {
                    class: "rc-error",
                    message: text.to_string(),
                });
            }
        }
    }
    Err(format!(
        "cquery exited with {exit_code:?} and no error this harness knows:\n{stderr}"
    ))
}
