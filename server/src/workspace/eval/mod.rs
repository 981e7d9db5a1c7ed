//! Evaluating BUILD files, and the workspace's own `.bzl` macros, the way
//! Bazel's loading phase does, to learn every target a package declares.
//!
//! A BUILD file is run with the `starlark` interpreter; native rules record
//! targets instead of running (see [`natives`]), `load()`ed modules are
//! evaluated once and cached frozen, by [`ModuleKey`], across packages.
//! What we do not model (a module that is not on disk, a Bazel global we do
//! not define) is an *opaque* value: using it where its value decides which
//! targets exist marks the package *open* (it may declare targets we cannot
//! see), and so does any evaluation error (targets recorded before it are
//! kept, followed by those of the static reading that are not already
//! there). A BUILD file that does not parse falls back to the static
//! reading of [`package_decls`], open. A failed `load()` of the BUILD file
//! leaves its symbols opaque and evaluation goes on, open.
//!
//! Invariants:
//! - Never panics, never hangs: evaluation runs under `catch_unwind`, and
//!   each file's evaluation stops after [`MAX_TICKS`] function calls and
//!   loop iterations; load cycles are errors (of the load that closes
//!   the cycle).
//! - Targets belong to the package being evaluated, whichever `.bzl` called
//!   the rule; a target's ranges are in the BUILD text: `call_range` is the
//!   outermost BUILD-file call that made it, `name_range` that call's
//!   literal `name` (or the call).
//! - A `.bzl` module's top level is evaluated without a package, so its
//!   cached frozen form is the same whichever package loaded it first.

mod glob;
pub(crate) mod natives;
mod state;
#[cfg(test)]
mod tests;
mod values;

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use ropey::Rope;
use starlark::environment::{FrozenModule, Module};
use starlark::eval::{Evaluator as StarlarkEvaluator, FileLoader};
use starlark::syntax::ast::{ArgumentP, AstExpr, AstLiteral, AstStmt, ExprP, StmtP};
use starlark::syntax::{AstModule, Dialect};
use starlark::PrintHandler;
use starlark_syntax::syntax::uniplate::Visit;

use crate::hash::{FastMap, FastSet};
use crate::syntax::starlark_ast::{recursion_depth, MAX_STARLARK_DEPTH};
use crate::text::TextRange;
use crate::workspace::label::{parse_label, Repo};
use crate::workspace::package::{is_known_rule, package_decls, LoadDecl, PackageDecls};
pub use state::MAX_TARGETS;
use state::{CallInfo, PackageState, Scope};
use values::{first_line, Extra, NativeRule, Opaque};

/// Evaluation of one file stops after this many ticks (function calls and
/// loop iterations), marking the package open.
pub const MAX_TICKS: u64 = 1_000_000;

/// A BUILD file that tests the truth of more opaque values than this is
/// open (each one costs an evaluation).
pub const MAX_TRUTH_FORKS: usize = 4;

/// Where a loaded `.bzl` module lives: repository (`""` = the main
/// repository; otherwise the name as the `load()` spells it, apparent or
/// canonical) and path inside it (`tools/defs.bzl`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ModuleKey {
    pub repo: String,
    pub path: String,
}

/// What evaluation may read. Implemented by the host (disk) and by tests
/// (memory).
pub trait EvalSource: Sync {
    /// The text of a `.bzl` file, or `None` when it is not on disk (e.g. an
    /// external repository that is not fetched).
    fn module_text(&self, key: &ModuleKey) -> Option<Arc<str>>;
    /// For `glob()`: package-relative paths of every file under the package
    /// directory that belongs to the package (not inside a subpackage),
    /// `/`-separated. Directories may be included with a trailing `/`; they
    /// are matched only by `glob(..., exclude_directories = 0)`.
    fn package_files(&self, package: &str) -> Vec<String>;
    /// For `subpackages()`: the direct subpackages of `package` (the
    /// packages below it with no package between), package-relative, or
    /// `None` when they are not known (`subpackages()` is then opaque).
    fn subpackages(&self, package: &str) -> Option<Vec<String>> {
        let _ = package;
        None
    }
}

/// The result of evaluating a BUILD file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    /// Every target in creation order, the loads as written, and whether
    /// the package is open.
    pub decls: PackageDecls,
    /// Why the package is open, for logs and tests (the first few reasons).
    pub open_reasons: Vec<String>,
    /// Which bound stopped the evaluation, in words for the user (steps
    /// here; memory, time or a crash in [`crate::host::eval_process`]),
    /// if one did. The package is then open.
    pub cut_short: Option<String>,
}

/// A cached module: its frozen form (or why it failed) and the modules it
/// loaded (to invalidate it when one of them changes).
struct Cached {
    result: Result<FrozenModule, String>,
    loads: Vec<ModuleKey>,
}

/// Evaluates BUILD files; caches frozen `.bzl` modules by [`ModuleKey`]
/// across packages. Shared by threads.
pub struct Evaluator {
    cache: Mutex<FastMap<ModuleKey, Cached>>,
    /// Bumped by every [`Evaluator::invalidate`]: a module evaluated while
    /// it changed may have read stale texts, so it is not cached.
    generation: AtomicU64,
}

impl Default for Evaluator {
    fn default() -> Self {
        Evaluator::new()
    }
}

impl Evaluator {
    pub fn new() -> Evaluator {
        Evaluator {
            cache: Mutex::new(FastMap::default()),
            generation: AtomicU64::new(0),
        }
    }

    fn cache(&self) -> MutexGuard<'_, FastMap<ModuleKey, Cached>> {
        // A panic never happens while the lock is held; recover anyway.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets a cached module and every module that loaded it, directly or
    /// not (call when a `.bzl` file changes, appears or disappears).
    /// `invalidate(None)` clears all.
    pub fn invalidate(&self, key: Option<&ModuleKey>) {
        let mut cache = self.cache();
        self.generation.fetch_add(1, Ordering::SeqCst);
        let Some(key) = key else {
            cache.clear();
            return;
        };
        let mut gone: Vec<ModuleKey> = vec![key.clone()];
        cache.remove(key);
        while let Some(changed) = gone.pop() {
            let dependents: Vec<ModuleKey> = cache
                .iter()
                .filter(|(_, c)| c.loads.contains(&changed))
                .map(|(k, _)| k.clone())
                .collect();
            for dependent in dependents {
                cache.remove(&dependent);
                gone.push(dependent);
            }
        }
    }

    /// Evaluates the BUILD file of `package` (text `build_text`) in the main
    /// repository.
    pub fn evaluate(&self, package: &str, build_text: &str, source: &dyn EvalSource) -> Evaluation {
        guarded(build_text, || {
            self.evaluate_build(package, build_text, source)
        })
    }

    /// Evaluates the BUILD file of `package` already parsed (by
    /// [`parse_build`]) from `build_text`.
    pub fn evaluate_parsed(
        &self,
        package: &str,
        build_text: &str,
        ast: AstModule,
        source: &dyn EvalSource,
    ) -> Evaluation {
        guarded(build_text, || {
            self.evaluate_ast(package, build_text, ast, source)
        })
    }

    fn evaluate_build(
        &self,
        package: &str,
        build_text: &str,
        source: &dyn EvalSource,
    ) -> Evaluation {
        match parse_module(&build_filename(package), build_text) {
            Ok(ast) => self.evaluate_ast(package, build_text, ast, source),
            Err(Unparsed::Syntax(message)) => {
                fallback(build_text, format!("syntax error: {message}"))
            }
            Err(too_deep) => fallback(build_text, too_deep.to_string()),
        }
    }

    /// Evaluates a parsed BUILD file. A truth test on an opaque value
    /// (`if not config.enable_pystar:` with `config` from a repository
    /// that is not on disk) takes false; the file is then evaluated again
    /// with each tested value true in turn. When every outcome declares
    /// the same targets (the test chose a tag, a default attribute), the
    /// test did not matter; otherwise, or after more than
    /// [`MAX_TRUTH_FORKS`] tested values, the package is open.
    fn evaluate_ast(
        &self,
        package: &str,
        build_text: &str,
        ast: AstModule,
        source: &dyn EvalSource,
    ) -> Evaluation {
        let (mut evaluation, tested) =
            self.run(package, build_text, ast, source, FastMap::default());
        if tested.is_empty() {
            return evaluation;
        }
        let same = tested.len() <= MAX_TRUTH_FORKS
            && tested.iter().all(|what| {
                let Ok(ast) = parse_build(package, build_text) else {
                    return false;
                };
                let assumed = FastMap::from_iter([(what.clone(), true)]);
                let (other, other_tested) = self.run(package, build_text, ast, source, assumed);
                same_targets(&other.decls, &evaluation.decls)
                    && other_tested.iter().all(|t| tested.contains(t))
            });
        let values = tested.join("`, `");
        let reason = if same {
            format!("tested the truth of `{values}`, whose value is unknown; either way the same targets")
        } else {
            evaluation.decls.open = true;
            format!("tested the truth of `{values}`, whose value is unknown")
        };
        if evaluation.open_reasons.len() < state::MAX_REASONS {
            evaluation.open_reasons.push(reason);
        }
        evaluation
    }

    /// One evaluation of a parsed BUILD file, with the truth `assumed` for
    /// opaque values; also returns the opaque values tested without an
    /// assumption.
    fn run(
        &self,
        package: &str,
        build_text: &str,
        ast: AstModule,
        source: &dyn EvalSource,
        assumed: FastMap<String, bool>,
    ) -> (Evaluation, Vec<String>) {
        let filename = build_filename(package);
        let loads = ast_loads(&ast);
        let mut calls = FastMap::default();
        index_calls(ast.statement(), &mut calls);
        let loader = Loader {
            evaluator: self,
            source,
            repo: String::new(),
            package: package.to_string(),
            requested: requested_symbols(&ast),
            stack: Vec::new(),
            loaded: RefCell::new(Vec::new()),
        };
        let extra = Extra { source };
        let mut state = PackageState::new(package, &filename, calls);
        state.assumed = assumed;
        let scope = Scope::enter(Some(state));
        let error = Module::with_temp_heap(|module| {
            bind_free_names(&ast, &module);
            let mut eval = StarlarkEvaluator::new(&module);
            configure(&mut eval, &loader);
            eval.extra = Some(&extra);
            eval.eval_module(ast, natives::globals())
                .err()
                .map(|e| e.kind().to_string())
        });
        let mut state = scope
            .finish()
            .unwrap_or_else(|| PackageState::new(package, &filename, FastMap::default()));
        let mut cut_short = None;
        if let Some(error) = error {
            if error.contains("duration limit") {
                cut_short = Some(format!(
                    "it took more than {MAX_TICKS} steps (function calls and loop iterations)"
                ));
            }
            state.mark_open(format!("evaluation failed: {}", first_line(&error)));
            // What the file declares after the failure still helps the
            // editor (go to definition, completion); the package is open.
            for decl in fallback(build_text, String::new()).decls.targets {
                state.add_target(decl);
            }
        }
        let evaluation = Evaluation {
            decls: PackageDecls {
                targets: state.targets,
                loads,
                open: state.open,
                unfollowed: state.unfollowed,
                unfollowed_outputs: {
                    let mut outputs: Vec<String> = state.unfollowed_outputs.into_iter().collect();
                    outputs.sort();
                    outputs
                },
            },
            open_reasons: state.open_reasons,
            cut_short,
        };
        (evaluation, state.tested)
    }

    /// The cached frozen module `key` (or why it failed), if any.
    fn cached(&self, key: &ModuleKey) -> Option<Result<FrozenModule, String>> {
        self.cache().get(key).map(|cached| cached.result.clone())
    }

    /// The frozen module `key` (whose text is `text`), from the cache or
    /// evaluated now. `stack` is the chain of modules being loaded.
    fn module(
        &self,
        key: &ModuleKey,
        package: &str,
        text: &str,
        source: &dyn EvalSource,
        stack: &[ModuleKey],
    ) -> Result<FrozenModule, String> {
        if let Some(cached) = self.cache().get(key) {
            return cached.result.clone();
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let mut chain = stack.to_vec();
        chain.push(key.clone());
        let (result, loads) = self.evaluate_module(key, package, text, source, chain);
        let mut cache = self.cache();
        if self.generation.load(Ordering::SeqCst) == generation {
            cache.insert(
                key.clone(),
                Cached {
                    result: result.clone(),
                    loads,
                },
            );
        }
        result
    }

    /// Evaluates a `.bzl` module's top level, without a package; also
    /// returns the modules it loaded.
    fn evaluate_module(
        &self,
        key: &ModuleKey,
        package: &str,
        text: &str,
        source: &dyn EvalSource,
        stack: Vec<ModuleKey>,
    ) -> (Result<FrozenModule, String>, Vec<ModuleKey>) {
        let _no_package = Scope::enter(None);
        let filename = format!("@{}//{}", key.repo, key.path);
        let ast = match parse_module(&filename, text) {
            Ok(ast) => ast,
            Err(reason) => return (Err(format!("{filename}: {reason}")), Vec::new()),
        };
        let loader = Loader {
            evaluator: self,
            source,
            repo: key.repo.clone(),
            package: package.to_string(),
            requested: requested_symbols(&ast),
            stack,
            loaded: RefCell::new(Vec::new()),
        };
        let result = Module::with_temp_heap(|module| {
            bind_free_names(&ast, &module);
            let mut eval = StarlarkEvaluator::new(&module);
            configure(&mut eval, &loader);
            eval.eval_module(ast, natives::globals())
                .map_err(|e| format!("{filename}: {}", first_line(&e.kind().to_string())))?;
            drop(eval);
            module.freeze().map_err(|e| format!("{filename}: {e:?}"))
        });
        (result, loader.loaded.into_inner())
    }
}

/// Whether two evaluations of one BUILD file declare the same targets
/// (wherever in the file).
fn same_targets(a: &PackageDecls, b: &PackageDecls) -> bool {
    let key = |d: &PackageDecls| {
        let mut targets: Vec<(String, String, Option<String>)> = d
            .targets
            .iter()
            .map(|t| (t.name.clone(), t.kind.clone(), t.generated_by.clone()))
            .collect();
        targets.sort();
        let mut unfollowed = d.unfollowed.clone();
        unfollowed.sort();
        (targets, unfollowed, d.unfollowed_outputs.clone(), d.open)
    };
    key(a) == key(b)
}

/// Runs an evaluation of `build_text`; a panic in it gives the static
/// reading, open.
fn guarded(build_text: &str, evaluate: impl FnOnce() -> Evaluation) -> Evaluation {
    catch_unwind(AssertUnwindSafe(evaluate)).unwrap_or_else(|_| {
        let mut evaluation = fallback(build_text, "evaluation panicked".to_string());
        evaluation.cut_short = Some("bzls's evaluator failed on it (a bug in bzls)".to_string());
        evaluation
    })
}

/// The file name evaluation gives the BUILD file of `package` (in error
/// messages).
fn build_filename(package: &str) -> String {
    if package.is_empty() {
        "BUILD".to_string()
    } else {
        format!("{package}/BUILD")
    }
}

/// Parses the BUILD file of `package` for [`Evaluator::evaluate_parsed`];
/// `None` when the `starlark` parser rejects it.
pub fn parse_build(package: &str, build_text: &str) -> Result<AstModule, Unparsed> {
    parse_module(&build_filename(package), build_text)
}

/// Parses a BUILD or `.bzl` text for evaluation, refusing text nested too
/// deeply for the `starlark` crate's recursive parser, compiler and drop
/// (see [`recursion_depth`]). The one place evaluation parses; needs a
/// thread with [`crate::syntax::starlark_ast::STARLARK_STACK_SIZE`] of
/// stack.
fn parse_module(filename: &str, text: &str) -> Result<AstModule, Unparsed> {
    if let Err(depth) = recursion_depth(text) {
        return Err(Unparsed::TooDeep(depth));
    }
    AstModule::parse(filename, text.to_string(), &dialect())
        .map_err(|e| Unparsed::Syntax(e.kind().to_string()))
}

/// Why a text was not parsed for evaluation.
pub enum Unparsed {
    /// The parser's message.
    Syntax(String),
    /// The nesting estimate, over [`MAX_STARLARK_DEPTH`].
    TooDeep(usize),
}

impl std::fmt::Display for Unparsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unparsed::Syntax(message) => f.write_str(message),
            Unparsed::TooDeep(depth) => write!(
                f,
                "nested about {depth} levels deep, over the {MAX_STARLARK_DEPTH} that bzls evaluates"
            ),
        }
    }
}

/// Bazel's dialect: top-level statements, `load`, `def`, lambdas,
/// keyword-only parameters, no type annotations.
fn dialect() -> Dialect {
    Dialect {
        enable_top_level_stmt: true,
        enable_keyword_only_arguments: true,
        enable_f_strings: true,
        ..Dialect::Standard
    }
}

struct NoPrint;

impl PrintHandler for NoPrint {
    fn println(&self, _text: &str) -> starlark::Result<()> {
        Ok(())
    }
}

fn configure<'a>(eval: &mut StarlarkEvaluator<'_, 'a, '_>, loader: &'a Loader<'a>) {
    static NO_PRINT: NoPrint = NoPrint;
    eval.set_loader(loader);
    eval.set_print_handler(&NO_PRINT);
    // Only fails when set twice or to 0.
    let _ = eval.set_max_tick_count(MAX_TICKS);
}

/// The direct subpackages of `package`, from the evaluator's source.
fn subpackages_of(eval: &StarlarkEvaluator<'_, '_, '_>, package: &str) -> Option<Vec<String>> {
    eval.extra
        .and_then(|e| e.downcast_ref::<Extra>())
        .and_then(|e| e.source.subpackages(package))
}

/// The package files of `package`, from the evaluator's source.
fn package_files(eval: &StarlarkEvaluator<'_, '_, '_>, package: &str) -> Vec<String> {
    eval.extra
        .and_then(|e| e.downcast_ref::<Extra>())
        .map(|e| e.source.package_files(package))
        .unwrap_or_default()
}

/// The static reading of a BUILD file that does not evaluate, open.
fn fallback(build_text: &str, reason: String) -> Evaluation {
    let tree = crate::syntax::parse_str(build_text);
    let mut decls = package_decls(&tree, &Rope::from_str(build_text));
    decls.open = true;
    Evaluation {
        decls,
        open_reasons: vec![reason],
        cut_short: None,
    }
}

/// What a BUILD file declares when its evaluation stopped short of the end
/// for `reason`: its static reading, open.
pub fn static_reading(build_text: &str, reason: String) -> Evaluation {
    fallback(build_text, reason)
}

/// Loads the modules of one file (a BUILD file or a module of `repo`,
/// package `package`).
struct Loader<'a> {
    evaluator: &'a Evaluator,
    source: &'a dyn EvalSource,
    repo: String,
    package: String,
    /// The symbols the file loads, by module string as written.
    requested: FastMap<String, Vec<String>>,
    /// The modules being loaded, outermost first (to catch cycles).
    stack: Vec<ModuleKey>,
    /// The modules this file loaded.
    loaded: RefCell<Vec<ModuleKey>>,
}

fn load_error(message: String) -> starlark::Error {
    starlark::Error::new_other(anyhow::anyhow!(message))
}

impl FileLoader for Loader<'_> {
    fn load(&self, path: &str) -> starlark::Result<FrozenModule> {
        let symbols: &[String] = self.requested.get(path).map_or(&[], Vec::as_slice);
        let known = |s: &str| is_known_rule(path, s);
        match self.load_module(path, symbols, &known) {
            Ok(module) => Ok(module),
            // A rule set we model needs nothing from its own code.
            Err(_) if !symbols.is_empty() && symbols.iter().all(|s| known(s)) => {
                synthetic(path, symbols, &known, None)
            }
            // The BUILD file goes on with opaque symbols, so the targets
            // after a broken load are still seen. Its symbols are then
            // like those of a module that is not on disk: calling one with
            // a string `name` is an unfollowed call, other uses open the
            // package.
            Err(e) if self.stack.is_empty() => {
                state::note(|| format!("load(\"{path}\") failed: {e}"));
                synthetic(path, symbols, &known, None)
            }
            Err(e) => Err(load_error(e)),
        }
    }
}

impl Loader<'_> {
    fn load_module(
        &self,
        path: &str,
        symbols: &[String],
        known: &dyn Fn(&str) -> bool,
    ) -> Result<FrozenModule, String> {
        let (key, package) = resolve_module(path, &self.repo, &self.package)?;
        if self.stack.contains(&key) {
            let chain: Vec<String> = self.stack.iter().map(|k| k.path.clone()).collect();
            return Err(format!(
                "cycle in the load graph: {} -> {}",
                chain.join(" -> "),
                key.path
            ));
        }
        self.loaded.borrow_mut().push(key.clone());
        // A cached module was read from a text that was there (a change
        // to it invalidates the cache): no need to read it again.
        let module = match self.evaluator.cached(&key) {
            Some(cached) => cached?,
            None => {
                let Some(text) = self.source.module_text(&key).or_else(|| stand_in(&key)) else {
                    return synthetic(path, symbols, known, None).map_err(|e| e.kind().to_string());
                };
                self.evaluator
                    .module(&key, &package, &text, self.source, &self.stack)?
            }
        };
        if symbols.iter().any(|s| known(s)) {
            synthetic(path, symbols, known, Some(&module)).map_err(|e| e.kind().to_string())
        } else {
            Ok(module)
        }
    }
}

/// bzls's own versions of bazel_skylib's pure `lib` modules (`dicts`,
/// `paths`, `types`, `structs`, `collections`, `shell`), used when the
/// repository is not on disk: rule sets build their macros with them, and
/// without them those macros cannot be followed. They implement the
/// documented API and make no targets.
fn stand_in(key: &ModuleKey) -> Option<Arc<str>> {
    if key.repo != "bazel_skylib" {
        return None;
    }
    let text = match key.path.as_str() {
        "lib/dicts.bzl" => include_str!("stand_ins/dicts.bzl"),
        "lib/paths.bzl" => include_str!("stand_ins/paths.bzl"),
        "lib/types.bzl" => include_str!("stand_ins/types.bzl"),
        "lib/structs.bzl" => include_str!("stand_ins/structs.bzl"),
        "lib/collections.bzl" => include_str!("stand_ins/collections.bzl"),
        "lib/shell.bzl" => include_str!("stand_ins/shell.bzl"),
        _ => return None,
    };
    Some(Arc::from(text))
}

/// A module exporting `symbols`: known rules as native rules, the rest
/// from `real` or, without it, opaque.
fn synthetic(
    path: &str,
    symbols: &[String],
    known: &dyn Fn(&str) -> bool,
    real: Option<&FrozenModule>,
) -> starlark::Result<FrozenModule> {
    Module::with_temp_heap(|module| {
        if let Some(real) = real {
            // Keeps the real module's values alive with this one.
            module.frozen_heap().add_reference(real.frozen_heap());
        }
        for symbol in symbols {
            let value = if known(symbol) {
                module.heap().alloc(NativeRule {
                    kind: symbol.clone(),
                })
            } else if let Some(real) = real {
                let owned = real.get(symbol).map_err(starlark::Error::new_other)?;
                // The frozen value, which the reference above keeps alive.
                let mut frozen = None;
                owned.map(|v| {
                    frozen = Some(v);
                    v
                });
                match frozen {
                    Some(v) => v.to_value(),
                    None => continue,
                }
            } else {
                module
                    .heap()
                    .alloc(Opaque::new(format!("{symbol} (from {path})")))
            };
            module.set(symbol, value);
        }
        module
            .freeze()
            .map_err(|e| load_error(format!("{path}: {e:?}")))
    })
}

/// The module a `load()` label names, and its package, seen from a file of
/// `repo`/`package`.
fn resolve_module(text: &str, repo: &str, package: &str) -> Result<(ModuleKey, String), String> {
    let label = parse_label(text).map_err(|e| format!("load(\"{text}\"): {e}"))?;
    let repo = match label.repo {
        Repo::Current => repo.to_string(),
        Repo::Main => String::new(),
        Repo::Apparent(name) | Repo::Canonical(name) => name,
    };
    let package = label.package.unwrap_or_else(|| package.to_string());
    let path = if package.is_empty() {
        label.name
    } else {
        format!("{package}/{}", label.name)
    };
    Ok((ModuleKey { repo, path }, package))
}

/// The symbols each `load()` of a file asks for, by module string.
fn requested_symbols(ast: &AstModule) -> FastMap<String, Vec<String>> {
    let mut out: FastMap<String, Vec<String>> = FastMap::default();
    for load in ast.loads() {
        let entry = out.entry(load.module_id.to_string()).or_default();
        for their in load.symbols.values() {
            if !entry.iter().any(|s| s == their) {
                entry.push(their.to_string());
            }
        }
    }
    out
}

fn range(span: starlark::codemap::Span) -> TextRange {
    TextRange::new(span.begin().get() as usize, span.end().get() as usize)
}

/// The `load()`s of a BUILD file, as [`package_decls`] reports them.
fn ast_loads(ast: &AstModule) -> Vec<LoadDecl> {
    fn walk(stmt: &AstStmt, out: &mut Vec<LoadDecl>) {
        match &stmt.node {
            StmtP::Statements(stmts) => stmts.iter().for_each(|s| walk(s, out)),
            StmtP::Load(load) => out.push(LoadDecl {
                module: load.module.node.clone(),
                module_range: range(load.module.span),
                symbols: load
                    .args
                    .iter()
                    .map(|arg| {
                        let span = if arg.local.span == arg.their.span {
                            arg.their.span
                        } else {
                            arg.local.span.merge(arg.their.span)
                        };
                        (
                            arg.local.node.ident.clone(),
                            arg.their.node.clone(),
                            range(span),
                        )
                    })
                    .collect(),
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(ast.statement(), &mut out);
    out
}

fn string_literal(expr: &AstExpr) -> Option<(String, TextRange)> {
    match &expr.node {
        ExprP::Literal(AstLiteral::String(s)) => Some((s.node.clone(), range(expr.span))),
        _ => None,
    }
}

/// Indexes every call of the BUILD file by its byte range.
fn index_calls(stmt: &AstStmt, out: &mut FastMap<(usize, usize), CallInfo>) {
    fn expr(e: &AstExpr, statement: bool, out: &mut FastMap<(usize, usize), CallInfo>) {
        if let ExprP::Call(_, args) = &e.node {
            let call = range(e.span);
            let mut info = CallInfo {
                used_as_value: !statement,
                ..CallInfo::default()
            };
            for (i, arg) in args.args.iter().enumerate() {
                let (key, value) = match &arg.node {
                    ArgumentP::Named(name, value) => (name.node.as_str(), value),
                    ArgumentP::Positional(value) if i == 0 => ("", value),
                    _ => continue,
                };
                match key {
                    "name" => info.name = string_literal(value).map(|(_, r)| r),
                    "out" | "outs" | "" | "srcs" => match &value.node {
                        ExprP::List(items) => {
                            info.strings.extend(items.iter().filter_map(string_literal))
                        }
                        _ => info.strings.extend(string_literal(value)),
                    },
                    _ => {}
                }
            }
            out.insert((call.start, call.end), info);
        }
        e.node.visit_expr(|child| expr(child, false, out));
    }
    let statement = matches!(stmt.node, StmtP::Expression(_));
    Visit::Stmt(stmt).visit_children(|v| match v {
        Visit::Stmt(s) => index_calls(s, out),
        Visit::Expr(e) => expr(e, statement, out),
    });
}

/// Binds every identifier the file reads but neither defines at its top
/// level, loads, nor finds among our globals to an opaque value (starlark
/// rejects unknown names before running; Bazel files use globals we do not
/// define, like `CcInfo`). Names that are really locals are bound too,
/// harmlessly: locals shadow them.
fn bind_free_names(ast: &AstModule, module: &Module<'_>) {
    fn defined(stmt: &AstStmt, out: &mut FastSet<String>) {
        match &stmt.node {
            StmtP::Statements(stmts) => stmts.iter().for_each(|s| defined(s, out)),
            StmtP::Assign(assign) => assign.lhs.visit_lvalue(|id| {
                out.insert(id.node.ident.clone());
            }),
            StmtP::AssignModify(lhs, _, _) => lhs.visit_lvalue(|id| {
                out.insert(id.node.ident.clone());
            }),
            StmtP::Def(def) => {
                out.insert(def.name.node.ident.clone());
            }
            StmtP::Load(load) => {
                for arg in &load.args {
                    out.insert(arg.local.node.ident.clone());
                }
            }
            StmtP::For(f) => {
                f.var.visit_lvalue(|id| {
                    out.insert(id.node.ident.clone());
                });
                defined(&f.body, out);
            }
            StmtP::If(_, body) => defined(body, out),
            StmtP::IfElse(_, bodies) => {
                defined(&bodies.0, out);
                defined(&bodies.1, out);
            }
            _ => {}
        }
    }
    fn read_expr(e: &AstExpr, out: &mut FastSet<String>) {
        if let ExprP::Identifier(id) = &e.node {
            out.insert(id.node.ident.clone());
        }
        e.node.visit_expr(|child| read_expr(child, out));
    }
    fn read(stmt: &AstStmt, out: &mut FastSet<String>) {
        Visit::Stmt(stmt).visit_children(|v| match v {
            Visit::Stmt(s) => read(s, out),
            Visit::Expr(e) => read_expr(e, out),
        });
    }
    let mut names = FastSet::default();
    read(ast.statement(), &mut names);
    let mut own = FastSet::default();
    defined(ast.statement(), &mut own);
    let mut free: Vec<&String> = names
        .iter()
        .filter(|n| !own.contains(*n) && !natives::is_global(n))
        .collect();
    free.sort();
    for name in free {
        module.set(name, module.heap().alloc(Opaque::new(name.as_str())));
    }
}
