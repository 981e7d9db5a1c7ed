//! A document being edited: its rope, its incrementally maintained tree, and
//! its syntax diagnostics, recomputed per top-level statement.

use std::collections::HashMap;
use std::sync::Arc;

use ropey::Rope;
use starlark_syntax::syntax::AstModule;
use tree_sitter::Tree;

use crate::analysis::diagnostics::{
    module_order, starlark_diagnostic, statement_diagnostics, superseded, StatementFacts,
};
use crate::analysis::{Diagnostic, DiagnosticCode};
use crate::diagnostic::{LintWarning, Placed};
use crate::rc::chain::RcSource;
use crate::syntax::starlark_ast::{parse_starlark, StarlarkParse, MAX_STARLARK_DEPTH};
use crate::syntax::{input_edit, node_range, parse_rope, parse_rope_with, FileKind, Grammar};
use crate::text::{apply_change, AppliedEdit, Clamp, PositionEncoding, TextChange, TextRange};

/// Something odd about a client's edit that was repaired; worth a log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditAnomaly {
    Clamped(Clamp),
    InvertedRange,
}

/// Diagnostics of one top-level statement, valid while its text and
/// structure are unchanged.
#[derive(Clone, Debug)]
pub struct StatementDiagnostics {
    range: TextRange,
    shape: Shape,
    diagnostics: Vec<Diagnostic>,
    /// What file-level rules and the nesting guard need to know.
    facts: StatementFacts,
}

impl StarlarkState {
    /// A fresh parse of `rope`, for Starlark kinds of analysable size.
    fn analysed(kind: FileKind, rope: &Rope) -> Option<StarlarkState> {
        if !kind.is_starlark() || rope.len_bytes() > MAX_ANALYSED_SIZE {
            return None;
        }
        let tree = parse_rope(rope, None);
        let statements = fresh_statements(kind, &tree, rope, &[], &HashMap::new());
        Some(StarlarkState {
            tree,
            reparse_pending: false,
            incremental: false,
            statements,
            verdict: None,
            last_good_ast: None,
        })
    }
}

/// Starlark documents larger than this are kept in sync but not parsed or
/// analysed (the same limit as `bzls check`'s): parsing one would hold up
/// every other request for seconds.
pub const MAX_ANALYSED_SIZE: usize = 10 * 1024 * 1024;

impl StatementDiagnostics {
    /// Moves the statement and its diagnostics by `delta` bytes.
    fn shift(&mut self, delta: isize) {
        self.range = self.range.shifted(delta);
        self.facts.shift(delta);
        for diagnostic in &mut self.diagnostics {
            diagnostic.shift(delta);
        }
    }
}

/// A cheap structural fingerprint of a statement's subtree. A cached entry is
/// reused only when the new tree's node has the same one, in addition to
/// being outside every edit and every changed range: tree-sitter's changed
/// ranges can miss zero-width MISSING nodes appearing at a statement's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    kind: u16,
    has_error: bool,
    descendants: usize,
}

impl Shape {
    fn of(node: tree_sitter::Node<'_>) -> Shape {
        Shape {
            kind: node.kind_id(),
            has_error: node.has_error(),
            descendants: node.descendant_count(),
        }
    }
}

impl StarlarkVerdict {
    /// Moves the verdict's diagnostic across an edit, dropping it if the
    /// edit touched it.
    fn carry_over(&mut self, edit: &AppliedEdit) {
        let Some(d) = &mut self.diagnostic else {
            return;
        };
        if d.range.end < edit.start {
            return;
        }
        if d.range.start > edit.old_end {
            d.shift(edit.new_end as isize - edit.old_end as isize);
            return;
        }
        self.diagnostic = None;
    }
}

/// Starlark's own verdict on one generation of the text.
#[derive(Clone, Debug)]
struct StarlarkVerdict {
    generation: u64,
    /// starlark_syntax parsed the text: tree-sitter's `syntax` and
    /// `unsupported-syntax` errors are then artifacts of its Python-derived
    /// grammar (`match(...)` read as a match statement; a NUL byte in a
    /// comment taken for the end of the comment) and are not shown.
    parsed: bool,
    diagnostic: Option<Diagnostic>,
    /// The file's diagnostics from the AST, when starlark_syntax parsed a
    /// text whose tree has errors (tree-sitter's grammar stops short where
    /// Starlark does not, e.g. at a NUL byte in a string): the tree's
    /// rules would miss what lies in its ERROR nodes, so these stand for
    /// them (as in `check_text`).
    ast_diagnostics: Option<Vec<Diagnostic>>,
}

struct StarlarkState {
    /// The tree. While `reparse_pending`, it has been `Tree::edit`ed for
    /// the latest changes but not reparsed yet.
    tree: Tree,
    reparse_pending: bool,
    /// `tree` came from an incremental reparse, not a parse from scratch
    /// (see [`DocumentSnapshot::background_pass`]).
    incremental: bool,
    /// Sorted by range; one entry per top-level statement of the text.
    statements: Vec<StatementDiagnostics>,
    verdict: Option<StarlarkVerdict>,
    last_good_ast: Option<Arc<AstModule>>,
}

/// An open document.
///
/// Invariants:
/// - For Starlark kinds, the tree is the parse of exactly `rope`'s text
///   whenever it is handed out ([`Document::snapshot`], [`Document::tree`]);
///   between keystrokes it may lag (see [`Document::apply_changes`]).
/// - `statements` always describes the current text.
/// - `generation` changes with every change, whatever version the client
///   sends, to a number no text of any document had before (see
///   [`next_generation`]), so results computed for an older text, or for
///   an earlier opening of the same file, can be recognised. It also
///   changes when a fresh parse replaces the tree of the same text (see
///   [`Document::accept_background_pass`]): what was derived from the old
///   tree (labels read from it, symbols, folds) is then stale too.
pub struct Document {
    kind: FileKind,
    version: i32,
    generation: u64,
    rope: Rope,
    starlark: Option<StarlarkState>,
    /// For an rc file (up to [`MAX_ANALYSED_SIZE`]): its tree-sitter tree,
    /// parsed when first needed ([`Document::tree`], [`Document::snapshot`]),
    /// then edited with every change and reparsed incrementally when needed
    /// again, as `rc_reparse_pending` says. Nothing on the open or keystroke
    /// path reads it.
    rc_tree: Option<Tree>,
    rc_reparse_pending: bool,
    /// For an rc file: its text and the rc model's parse of it, kept up to
    /// date change by change (only the edited logical lines are lexed).
    rc_source: Option<RcSource>,
    /// The diagnostics last computed from the workspace (labels, loads,
    /// selects), moved through the edits since (see [`carry`]), until the
    /// next set arrives: shown with a keystroke's syntax diagnostics so
    /// that they do not flicker away and back.
    workspace: Option<CarriedDiagnostics>,
    /// The linter's warnings (buildifier's) last computed, moved through
    /// the edits since, as `workspace` is.
    lint: Option<CarriedDiagnostics<LintWarning>>,
}

/// A deferred whole-tree reparse of one generation, to run anywhere (see
/// [`Document::pending_reparse`]).
pub struct PendingReparse {
    generation: u64,
    rope: Rope,
    /// The tree of the last parse, edited for the changes since.
    old: Tree,
}

impl PendingReparse {
    /// Reparses the text incrementally (milliseconds on a large file).
    pub fn run(self) -> Reparsed {
        Reparsed {
            generation: self.generation,
            tree: parse_rope(&self.rope, Some(&self.old)),
        }
    }
}

/// The result of [`PendingReparse::run`].
pub struct Reparsed {
    generation: u64,
    tree: Tree,
}

/// Diagnostics computed for one generation of the text.
struct CarriedDiagnostics<T = Diagnostic> {
    generation: u64,
    list: Vec<T>,
}

/// Moves diagnostics through one edit: those after it shift, those before
/// it stay, one that holds the edit grows or shrinks with it (typing inside
/// a label string keeps the label's squiggle until it is judged again; its
/// quick fixes are dropped, they were for the old text), and one the edit
/// crosses is dropped.
fn carry<T: Placed>(list: &mut Vec<T>, edit: &AppliedEdit) {
    let delta = edit.new_end as isize - edit.old_end as isize;
    list.retain_mut(|d| {
        let range = d.range();
        if edit.old_end <= range.start && edit.start < range.start
            || edit.old_end == edit.start && edit.start == range.start
        {
            d.shift(delta);
            true
        } else if edit.start >= range.end {
            true
        } else if edit.start >= range.start && edit.old_end <= range.end {
            let range = d.range_mut();
            range.end = range.end.saturating_add_signed(delta).max(range.start);
            let empty = range.is_empty();
            d.resized();
            !empty
        } else {
            false
        }
    });
}

/// A generation no document has had: generations are unique across every
/// document of the process (a document opened again starts from a new one,
/// so nothing computed for an earlier opening can pass for its text), and
/// increase with time. Never 0.
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// An immutable view of a document, cheap to clone (the rope and the tree
/// are reference counted) and safe to use on another thread.
#[derive(Clone)]
pub struct DocumentSnapshot {
    pub kind: FileKind,
    pub version: i32,
    pub generation: u64,
    pub rope: Rope,
    pub tree: Option<Tree>,
    /// How deeply the text nests (see [`crate::syntax::Nesting`]).
    pub nesting: usize,
    /// The tree came from an incremental reparse.
    pub incremental: bool,
}

/// The result of [`DocumentSnapshot::background_pass`], to hand back to
/// [`Document::accept_background_pass`].
pub struct BackgroundOutcome {
    generation: u64,
    parse: StarlarkParse,
    /// A fresh parse and its diagnostics, when the incremental tree had
    /// errors (see [`DocumentSnapshot::background_pass`]).
    reparsed: Option<(Tree, Vec<StatementDiagnostics>)>,
    /// See [`StarlarkVerdict::ast_diagnostics`].
    ast_diagnostics: Option<Vec<Diagnostic>>,
}

impl Document {
    pub fn new(kind: FileKind, version: i32, text: &str) -> Document {
        let rope = Rope::from_str(text);
        let starlark = StarlarkState::analysed(kind, &rope);
        // The rc tree is parsed when first needed (nothing on the open or
        // keystroke path reads it).
        let rc_tree = None;
        Document {
            kind,
            version,
            generation: next_generation(),
            rope,
            starlark,
            rc_tree,
            rc_reparse_pending: kind == FileKind::Bazelrc,
            rc_source: (kind == FileKind::Bazelrc).then(|| RcSource::new(Arc::from(text))),
            workspace: None,
            lint: None,
        }
    }

    pub fn kind(&self) -> FileKind {
        self.kind
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    /// The tree of the current text (Starlark's, or the rc grammar's),
    /// reparsing first if edits are pending.
    pub fn tree(&mut self) -> Option<&Tree> {
        self.flush_reparse();
        match &self.starlark {
            Some(state) => Some(&state.tree),
            None => self.rc_tree.as_ref(),
        }
    }

    /// For an rc file: the current text and its parse.
    pub fn rc_source(&self) -> Option<&RcSource> {
        self.rc_source.as_ref()
    }

    /// The AST of the most recent text that starlark_syntax parsed.
    pub fn last_good_ast(&self) -> Option<&Arc<AstModule>> {
        self.starlark.as_ref()?.last_good_ast.as_ref()
    }

    /// Applies the client's changes in order and brings the diagnostics up
    /// to date.
    ///
    /// The fast path: a change strictly inside one error-free top-level
    /// statement, whose new text still parses on its own as one error-free
    /// statement of the same kind, only reparses that statement's text (a
    /// top-level statement between complete statements parses the same alone
    /// as in the file). The whole tree is then edited (`Tree::edit`) but its
    /// incremental reparse, whose cost grows with the number of top-level
    /// statements, is deferred until the tree is needed
    /// ([`Document::snapshot`]) or typing pauses ([`Document::flush_reparse`]).
    ///
    /// Any other change edits the tree and reparses it incrementally at once.
    pub fn apply_changes(
        &mut self,
        version: i32,
        changes: &[TextChange],
        encoding: PositionEncoding,
    ) -> Vec<EditAnomaly> {
        let mut anomalies = Vec::new();
        let mut fast = true;
        for change in changes {
            let edit = apply_change(&mut self.rope, change, encoding);
            anomalies.extend(edit.clamped.iter().copied().map(EditAnomaly::Clamped));
            if edit.inverted {
                anomalies.push(EditAnomaly::InvertedRange);
            }
            if let Some(state) = &mut self.starlark {
                if let Some(verdict) = &mut state.verdict {
                    verdict.carry_over(&edit);
                }
                state.tree.edit(&input_edit(&edit));
                state.reparse_pending = true;
                fast = fast
                    && change.range.is_some()
                    && reparse_statement(self.kind, state, &self.rope, &edit);
                if !fast {
                    shift_statements(&mut state.statements, &edit);
                }
            }
            if let Some(tree) = &mut self.rc_tree {
                tree.edit(&input_edit(&edit));
            }
            if let Some(carried) = &mut self.workspace {
                carry(&mut carried.list, &edit);
            }
            if let Some(carried) = &mut self.lint {
                carry(&mut carried.list, &edit);
            }
            if let Some(old) = &self.rc_source {
                let text: Arc<str> = Arc::from(self.rope.to_string());
                let parsed =
                    old.parsed
                        .edited(&old.text, &text, edit.start, edit.old_end, edit.new_end);
                self.rc_source = Some(RcSource {
                    text,
                    parsed: Arc::new(parsed),
                });
            }
        }
        self.version = version;
        self.generation = next_generation();
        let too_large = self.rope.len_bytes() > MAX_ANALYSED_SIZE;
        if self.kind == FileKind::Bazelrc {
            if too_large {
                self.rc_tree = None;
            }
            self.rc_reparse_pending = !too_large;
        }
        if self.kind.is_starlark() && (too_large == self.starlark.is_some()) {
            // The text crossed the size limit: drop or rebuild the analysis.
            self.starlark = StarlarkState::analysed(self.kind, &self.rope);
        } else if !fast {
            self.flush_reparse();
        }
        anomalies
    }

    /// Whether the last changes took the fast path and the whole-tree
    /// reparse is still pending.
    pub fn reparse_pending(&self) -> bool {
        self.starlark.as_ref().is_some_and(|s| s.reparse_pending) || self.rc_reparse_pending
    }

    /// Performs a deferred incremental reparse, if one is pending, and
    /// refreshes the diagnostics of every statement it shows changed.
    /// Returns whether the diagnostics changed.
    pub fn flush_reparse(&mut self) -> bool {
        if self.rc_reparse_pending {
            self.rc_reparse_pending = false;
            self.rc_tree = match &self.rc_tree {
                Some(old) => Some(parse_rope_with(Grammar::Bazelrc, &self.rope, Some(old))),
                None => rc_tree(self.kind, &self.rope),
            };
            // rc diagnostics come from the rc model, not the tree.
            return false;
        }
        match self.pending_reparse() {
            Some(pending) => self.install_reparse(pending.run()),
            None => false,
        }
    }

    /// The deferred reparse of a Starlark document, taken out so that it can
    /// run without holding the document (or whatever lock guards it); hand
    /// its result to [`Document::install_reparse`]. `None` when nothing is
    /// pending.
    pub fn pending_reparse(&self) -> Option<PendingReparse> {
        let state = self.starlark.as_ref().filter(|s| s.reparse_pending)?;
        Some(PendingReparse {
            generation: self.generation,
            rope: self.rope.clone(),
            old: state.tree.clone(),
        })
    }

    /// Installs a reparse made from [`Document::pending_reparse`], as
    /// [`Document::flush_reparse`] would have. Ignored (returns false) when
    /// the text changed since or the reparse was done meanwhile; otherwise
    /// returns whether the diagnostics changed.
    pub fn install_reparse(&mut self, reparsed: Reparsed) -> bool {
        if reparsed.generation != self.generation {
            return false;
        }
        let Some(state) = self.starlark.as_mut().filter(|s| s.reparse_pending) else {
            return false;
        };
        let before: Vec<(TextRange, Vec<Diagnostic>)> = state
            .statements
            .iter()
            .map(|s| (s.range, s.diagnostics.clone()))
            .collect();
        let new_tree = reparsed.tree;
        let changed: Vec<TextRange> = state
            .tree
            .changed_ranges(&new_tree)
            .map(|r| TextRange::new(r.start_byte, r.end_byte))
            .collect();
        let reusable: HashMap<TextRange, (Shape, Vec<Diagnostic>, StatementFacts)> =
            std::mem::take(&mut state.statements)
                .into_iter()
                .map(|s| (s.range, (s.shape, s.diagnostics, s.facts)))
                .collect();
        state.statements = fresh_statements(self.kind, &new_tree, &self.rope, &changed, &reusable);
        state.tree = new_tree;
        state.reparse_pending = false;
        state.incremental = true;
        let after = state.statements.iter().map(|s| (s.range, &s.diagnostics));
        !before.iter().map(|(r, d)| (*r, d)).eq(after)
    }

    /// The current syntax diagnostics, sorted by position: the per-statement
    /// ones, plus Starlark's own verdict when it is for the current text.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let Some(state) = &self.starlark else {
            if self.kind.is_starlark() {
                return vec![Diagnostic {
                    range: TextRange::empty(0),
                    severity: crate::analysis::Severity::Warning,
                    code: DiagnosticCode::FileTooLarge,
                    message: format!(
                        "this file is {} bytes, over the {} MB that bzls analyses; it is not checked",
                        self.rope.len_bytes(),
                        MAX_ANALYSED_SIZE / (1024 * 1024)
                    ),
                    related: Vec::new(),
                    fixes: Vec::new(),
                }];
            }
            return Vec::new();
        };
        let verdict = state.verdict.as_ref();
        let current = verdict.is_some_and(|v| v.generation == self.generation);
        let starlark_parsed = current && verdict.is_some_and(|v| v.parsed);
        if let Some(list) = verdict
            .filter(|_| starlark_parsed)
            .and_then(|v| v.ast_diagnostics.as_ref())
        {
            let mut out = list.clone();
            out.sort_by_key(|d| (d.range.start, d.range.end));
            return out;
        }
        let mut out: Vec<Diagnostic> = state
            .statements
            .iter()
            .flat_map(|s| s.diagnostics.iter())
            .filter(|d| {
                !(starlark_parsed
                    && matches!(
                        d.code,
                        DiagnosticCode::Syntax | DiagnosticCode::UnsupportedSyntax
                    ))
            })
            .cloned()
            .collect();
        out.extend(module_order(
            self.kind,
            state.statements.iter().map(|s| s.facts.directive),
        ));
        // A verdict for an older text still shows its message (moved with
        // the edits) until the next pass, unless an edit touched it or
        // tree-sitter now reports an error at or before it: no flicker while
        // typing elsewhere.
        if let Some(d) = verdict.and_then(|v| v.diagnostic.as_ref()) {
            if current || !superseded(d, &out, &self.rope) {
                out.push(d.clone());
            }
        }
        out.sort_by_key(|d| (d.range.start, d.range.end));
        out
    }

    /// Stores the diagnostics computed from the workspace for
    /// `generation`; ignored (returns false) when the text changed since.
    pub fn set_workspace_diagnostics(&mut self, generation: u64, list: Vec<Diagnostic>) -> bool {
        if generation != self.generation {
            return false;
        }
        self.workspace = Some(CarriedDiagnostics { generation, list });
        true
    }

    /// The workspace diagnostics last stored, moved through the edits
    /// since, and whether they are for the current text.
    pub fn workspace_diagnostics(&self) -> (&[Diagnostic], bool) {
        match &self.workspace {
            Some(c) => (&c.list, c.generation == self.generation),
            None => (&[], false),
        }
    }

    /// Stores the linter's warnings computed for `generation`; ignored
    /// (returns false) when the text changed since.
    pub fn set_lint(&mut self, generation: u64, list: Vec<LintWarning>) -> bool {
        if generation != self.generation {
            return false;
        }
        self.lint = Some(CarriedDiagnostics { generation, list });
        true
    }

    /// The linter's warnings last stored, moved through the edits since,
    /// and whether they are for the current text.
    pub fn lint(&self) -> (&[LintWarning], bool) {
        match &self.lint {
            Some(c) => (&c.list, c.generation == self.generation),
            None => (&[], false),
        }
    }

    /// Forgets the linter's warnings (linting was turned off).
    pub fn clear_lint(&mut self) {
        self.lint = None;
    }

    /// Whether the background pass for the current text is still missing.
    pub fn needs_background_pass(&self) -> bool {
        self.starlark.as_ref().is_some_and(|s| {
            s.verdict
                .as_ref()
                .is_none_or(|v| v.generation != self.generation)
        })
    }

    /// A snapshot of the current text and its tree (reparsing first if
    /// edits are pending).
    pub fn snapshot(&mut self) -> DocumentSnapshot {
        let tree = self.tree().cloned();
        let nesting = self
            .starlark
            .as_ref()
            .map_or(0, |s| max_nesting(&s.statements));
        let incremental = self.starlark.as_ref().is_some_and(|s| s.incremental);
        DocumentSnapshot {
            kind: self.kind,
            version: self.version,
            generation: self.generation,
            rope: self.rope.clone(),
            tree,
            nesting,
            incremental,
        }
    }

    /// Stores the outcome of a background pass. Returns false, and stores
    /// nothing, when the text changed since the snapshot.
    pub fn accept_background_pass(&mut self, outcome: BackgroundOutcome) -> bool {
        if outcome.generation != self.generation {
            return false;
        }
        let Some(state) = &mut self.starlark else {
            return false;
        };
        if let Some((tree, statements)) = outcome.reparsed {
            state.tree = tree;
            state.reparse_pending = false;
            state.incremental = false;
            state.statements = statements;
            // Error recovery in the fresh tree may read strings, calls and
            // labels differently: results kept for this generation were
            // derived from the old tree.
            self.generation = next_generation();
        }
        let parsed = matches!(outcome.parse, StarlarkParse::Parsed(_));
        let diagnostic = match outcome.parse {
            StarlarkParse::Parsed(ast) => {
                state.last_good_ast = Some(ast);
                None
            }
            StarlarkParse::Error(error) => {
                let fast: Vec<Diagnostic> = state
                    .statements
                    .iter()
                    .flat_map(|s| s.diagnostics.iter().cloned())
                    .collect();
                starlark_diagnostic(&error, &self.rope, &fast)
            }
            StarlarkParse::TooDeep { depth } if depth > 0 => {
                tracing::debug!(depth, "skipping starlark_syntax: nesting too deep");
                Some(too_complex(&state.statements, &self.rope, depth))
            }
            StarlarkParse::TooDeep { .. } => None,
        };
        state.verdict = Some(StarlarkVerdict {
            generation: self.generation,
            parsed,
            diagnostic,
            ast_diagnostics: outcome.ast_diagnostics.filter(|_| parsed),
        });
        true
    }

    /// Stores starlark_syntax's parse of the current text (computed
    /// alongside the tree when the document was opened, see
    /// [`crate::analysis::diagnostics::open_check`]): the background pass
    /// then has nothing left to do. Only for a parse of this very text.
    pub fn accept_open_parse(
        &mut self,
        parse: StarlarkParse,
        diagnostics: Vec<Diagnostic>,
    ) -> bool {
        let has_error = self
            .starlark
            .as_ref()
            .is_some_and(|s| s.tree.root_node().has_error());
        self.accept_background_pass(BackgroundOutcome {
            generation: self.generation,
            parse,
            reparsed: None,
            ast_diagnostics: has_error.then_some(diagnostics),
        })
    }

    /// Runs the background pass on this thread and stores its outcome.
    pub fn settle(&mut self, file_name: &str) {
        let outcome = self.snapshot().background_pass(file_name);
        self.accept_background_pass(outcome);
    }
}

impl DocumentSnapshot {
    /// The work that waits until typing pauses:
    ///
    /// - starlark_syntax, for Starlark's own messages and the last good AST;
    /// - when the incremental tree has errors, a fresh parse. tree-sitter's
    ///   incremental reparse equals a fresh parse for valid text, but its
    ///   error recovery can differ when old subtrees are reused, so a broken
    ///   text is reparsed from scratch once typing pauses and the fresh tree
    ///   (with its diagnostics) replaces the incremental one.
    ///
    /// Needs a thread with [`crate::syntax::starlark_ast::STARLARK_STACK_SIZE`]
    /// of stack.
    pub fn background_pass(&self, file_name: &str) -> BackgroundOutcome {
        let Some(tree) = &self.tree else {
            return BackgroundOutcome {
                generation: self.generation,
                parse: StarlarkParse::TooDeep { depth: 0 },
                reparsed: None,
                ast_diagnostics: None,
            };
        };
        let reparsed = (self.incremental && tree.root_node().has_error()).then(|| {
            let fresh = parse_rope(&self.rope, None);
            let statements = fresh_statements(self.kind, &fresh, &self.rope, &[], &HashMap::new());
            (fresh, statements)
        });
        let nesting = reparsed
            .as_ref()
            .map_or(self.nesting, |(_, statements)| max_nesting(statements));
        let parse = parse_starlark(file_name, &self.rope.to_string(), nesting);
        let tree_has_error = reparsed
            .as_ref()
            .map_or(tree, |(fresh, _)| fresh)
            .root_node()
            .has_error();
        let ast_diagnostics = match &parse {
            StarlarkParse::Parsed(ast) if tree_has_error => Some(
                crate::analysis::diagnostics::ast_rules::ast_rules(self.kind, ast),
            ),
            _ => None,
        };
        BackgroundOutcome {
            generation: self.generation,
            parse,
            reparsed,
            ast_diagnostics,
        }
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }
}

/// The fast path of [`Document::apply_changes`] for one applied edit: if it
/// lies strictly inside one error-free statement that still parses alone as
/// one error-free statement of the same kind, recomputes that statement's
/// diagnostics from the standalone parse, shifts the statements after it,
/// and returns true. Otherwise changes nothing and returns false.
fn reparse_statement(
    kind: FileKind,
    state: &mut StarlarkState,
    rope: &Rope,
    edit: &AppliedEdit,
) -> bool {
    let index = state
        .statements
        .partition_point(|s| s.range.end <= edit.start);
    let Some(entry) = state.statements.get(index) else {
        return false;
    };
    if !(entry.range.start < edit.start && edit.old_end < entry.range.end) || entry.shape.has_error
    {
        return false;
    }
    let delta = edit.new_end as isize - edit.old_end as isize;
    let new_range = TextRange::new(
        entry.range.start,
        entry.range.end.saturating_add_signed(delta),
    );
    if new_range.end > rope.len_bytes() || new_range.len() > MAX_FAST_STATEMENT {
        return false;
    }
    let text = rope.byte_slice(new_range.start..new_range.end).to_string();
    let tree = crate::syntax::parse_str(&text);
    let root = tree.root_node();
    if root.has_error() || root.named_child_count() != 1 {
        return false;
    }
    let Some(stmt) = root.named_child(0) else {
        return false;
    };
    if stmt.start_byte() != 0 || stmt.end_byte() != text.len() || stmt.kind_id() != entry.shape.kind
    {
        return false;
    }
    let local = Rope::from_str(&text);
    let (diagnostics, mut facts) = statement_diagnostics(kind, stmt, &local);
    facts.shift(new_range.start as isize);
    let diagnostics = diagnostics
        .into_iter()
        .map(|mut d| {
            d.shift(new_range.start as isize);
            d
        })
        .collect();
    state.statements[index] = StatementDiagnostics {
        range: new_range,
        shape: Shape::of(stmt),
        diagnostics,
        facts,
    };
    for later in &mut state.statements[index + 1..] {
        later.shift(delta);
    }
    true
}

/// The `file-too-complex` warning for a text nested `depth` levels deep,
/// on the first line of its deepest statement.
fn too_complex(statements: &[StatementDiagnostics], rope: &Rope, depth: usize) -> Diagnostic {
    let start = statements
        .iter()
        .max_by_key(|s| s.facts.nesting)
        .map_or(0, |s| s.range.start);
    Diagnostic {
        range: crate::text::rest_of_line(rope, start),
        severity: crate::analysis::Severity::Warning,
        code: DiagnosticCode::FileTooComplex,
        message: format!(
            "this file nests about {depth} levels deep, over the {MAX_STARLARK_DEPTH} that bzls \
             hands to Starlark's parser and evaluator; only what tree-sitter reads of it is checked"
        ),
        related: Vec::new(),
        fixes: Vec::new(),
    }
}

/// The nesting of a whole text: its deepest statement, one level down.
/// The rc grammar's tree of `rope`, for rc files within the size limit.
fn rc_tree(kind: FileKind, rope: &Rope) -> Option<Tree> {
    (kind == FileKind::Bazelrc && rope.len_bytes() <= MAX_ANALYSED_SIZE)
        .then(|| parse_rope_with(Grammar::Bazelrc, rope, None))
}

fn max_nesting(statements: &[StatementDiagnostics]) -> usize {
    statements
        .iter()
        .map(|s| s.facts.nesting + 1)
        .max()
        .unwrap_or(0)
}

/// Statements longer than this always take the whole-tree path.
const MAX_FAST_STATEMENT: usize = 64 * 1024;

/// Moves cached statement ranges across one edit, dropping the statements
/// the edit touched, including one the edit starts right after (text typed
/// at a statement's end can change how it parses).
fn shift_statements(statements: &mut Vec<StatementDiagnostics>, edit: &AppliedEdit) {
    let delta = edit.new_end as isize - edit.old_end as isize;
    statements.retain_mut(|s| {
        if s.range.end < edit.start {
            true
        } else if s.range.start >= edit.old_end {
            s.shift(delta);
            true
        } else {
            false
        }
    });
}

/// Diagnostics for every top-level node of `tree`, reusing `reusable`
/// entries whose range is unchanged and untouched by `changed`.
fn fresh_statements(
    kind: FileKind,
    tree: &Tree,
    rope: &Rope,
    changed: &[TextRange],
    reusable: &HashMap<TextRange, (Shape, Vec<Diagnostic>, StatementFacts)>,
) -> Vec<StatementDiagnostics> {
    let root = tree.root_node();
    if root.is_error() {
        // The whole text failed to parse as a module: one unit.
        let (diagnostics, facts) = statement_diagnostics(kind, root, rope);
        return vec![StatementDiagnostics {
            range: node_range(root),
            shape: Shape::of(root),
            diagnostics,
            facts,
        }];
    }
    let mut cursor = root.walk();
    let mut out = Vec::with_capacity(root.child_count() as usize);
    for stmt in root.children(&mut cursor) {
        let range = node_range(stmt);
        let shape = Shape::of(stmt);
        let untouched = !changed.iter().any(|c| c.touches(range));
        let (diagnostics, facts) = match reusable.get(&range) {
            Some((cached_shape, cached, facts)) if untouched && *cached_shape == shape => {
                (cached.clone(), *facts)
            }
            _ => statement_diagnostics(kind, stmt, rope),
        };
        out.push(StatementDiagnostics {
            range,
            shape,
            diagnostics,
            facts,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::DiagnosticCode;
    use crate::text::{LineCol, TextChange};

    fn label_diagnostic(range: TextRange) -> Diagnostic {
        Diagnostic::error(DiagnosticCode::UnresolvedTarget, range, "no such target")
    }

    fn edit(doc: &mut Document, version: i32, at: (u32, u32), end: (u32, u32), text: &str) {
        doc.apply_changes(
            version,
            &[TextChange {
                range: Some((LineCol::new(at.0, at.1), LineCol::new(end.0, end.1))),
                text: text.to_string(),
            }],
            PositionEncoding::Utf16,
        );
    }

    /// Carried diagnostics survive any edit, however odd (out-of-range and
    /// inverted positions, multi-byte text, deletions of everything): their
    /// ranges stay inside the text and on character boundaries.
    #[test]
    fn carried_diagnostics_stay_inside_the_text_through_random_edits() {
        let mut seed: u64 = 0x5eed_cafe;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n.max(1)
        };
        let pieces = ["x", "é", "😀", "\n", "\"", "], [", "", "ab\r\ncd"];
        for round in 0..200 {
            let text = "a = [\":x\", \"//p:q\"]\nb = \"é😀\"\n";
            let mut doc = Document::new(FileKind::Build, 1, text);
            let ranges = [
                TextRange::new(5, 9),
                TextRange::new(11, 18),
                TextRange::new(25, 33),
            ];
            let generation = doc.generation();
            doc.set_workspace_diagnostics(
                generation,
                ranges.iter().map(|r| label_diagnostic(*r)).collect(),
            );
            for step in 0..30 {
                let at = (next(4) as u32, next(12) as u32);
                let end = (at.0 + next(2) as u32, next(14) as u32);
                let insert = pieces[next(pieces.len() as u64) as usize];
                edit(&mut doc, 2 + step, at, end, insert);
                let text = doc.rope().to_string();
                for d in doc.workspace_diagnostics().0 {
                    assert!(
                        d.range.start <= d.range.end && d.range.end <= text.len(),
                        "round {round} step {step}: {:?} in {text:?}",
                        d.range
                    );
                    assert!(
                        text.is_char_boundary(d.range.start) && text.is_char_boundary(d.range.end),
                        "round {round} step {step}: {:?} in {text:?}",
                        d.range
                    );
                }
            }
        }
    }

    /// A reparse run outside the document installs like a flush, and is
    /// ignored once the text moved on.
    #[test]
    fn reparse_outside_the_document_installs_only_for_its_generation() {
        let text = "a = 1\nb = [1, 2]\nc = 3\n";
        let mut doc = Document::new(FileKind::Build, 1, text);
        let mut twin = Document::new(FileKind::Build, 1, text);
        for d in [&mut doc, &mut twin] {
            edit(d, 2, (1, 5), (1, 5), "9, ");
        }
        let pending = doc
            .pending_reparse()
            .expect("the fast path deferred a reparse");
        let reparsed = pending.run();
        doc.install_reparse(reparsed);
        twin.flush_reparse();
        assert!(doc.pending_reparse().is_none());
        assert_eq!(doc.diagnostics(), twin.diagnostics());
        assert_eq!(
            doc.snapshot().tree.map(|t| t.root_node().to_sexp()),
            twin.snapshot().tree.map(|t| t.root_node().to_sexp())
        );

        // A change after the reparse was taken out makes it stale.
        edit(&mut doc, 3, (1, 5), (1, 5), "8, ");
        let stale = doc.pending_reparse().expect("pending");
        edit(&mut doc, 4, (1, 5), (1, 5), "7, ");
        assert!(!doc.install_reparse(stale.run()));
        assert!(doc.pending_reparse().is_some());
    }

    /// When the background pass replaces a broken incremental tree by a
    /// fresh parse of the same text, the generation changes: what was
    /// derived from the old tree is stale. A pass that reparses nothing
    /// keeps it.
    #[test]
    fn a_fresh_tree_is_a_new_generation() {
        let mut doc = Document::new(FileKind::Build, 1, "a = [1]\nb = 2\n");
        doc.settle("BUILD");
        let settled = doc.generation();
        doc.settle("BUILD");
        assert_eq!(doc.generation(), settled);
        edit(&mut doc, 2, (0, 5), (0, 5), "\"");
        let typed = doc.generation();
        assert_ne!(typed, settled);
        let outcome = doc.snapshot().background_pass("BUILD");
        assert!(
            outcome.reparsed.is_some(),
            "the incremental tree has errors"
        );
        assert!(doc.accept_background_pass(outcome));
        let fresh = doc.generation();
        assert_ne!(fresh, typed);
        // The Starlark verdict is for the new generation, and a pass taken
        // for the old one is refused.
        assert!(!doc.needs_background_pass());
        let mut twin = Document::new(FileKind::Build, 1, "a = [1]\nb = 2\n");
        edit(&mut twin, 2, (0, 5), (0, 5), "\"");
        assert_eq!(doc.diagnostics(), {
            twin.settle("BUILD");
            twin.diagnostics()
        });
    }

    /// Stored workspace diagnostics move with edits: shifted after an edit
    /// above, grown by typing inside, kept before an edit below, dropped
    /// when an edit crosses their edge; and only the current generation's
    /// set is stored.
    #[test]
    fn workspace_diagnostics_are_carried_through_edits() {
        let text = "x = [\":a\", \":b\"]\n";
        let mut doc = Document::new(FileKind::Build, 1, text);
        let a = TextRange::new(5, 9);
        let b = TextRange::new(11, 15);
        assert!(!doc.set_workspace_diagnostics(7, vec![label_diagnostic(a)]));
        let generation = doc.generation();
        assert!(doc
            .set_workspace_diagnostics(generation, vec![label_diagnostic(a), label_diagnostic(b)]));
        assert!(doc.workspace_diagnostics().1);

        // Typing inside `":a"` grows it and shifts `":b"`.
        edit(&mut doc, 2, (0, 7), (0, 7), "z");
        let (list, current) = doc.workspace_diagnostics();
        assert!(!current);
        assert_eq!(list[0].range, TextRange::new(5, 10));
        assert_eq!(list[1].range, TextRange::new(12, 16));

        // A line above moves both.
        edit(&mut doc, 3, (0, 0), (0, 0), "\n");
        let ranges: Vec<_> = doc
            .workspace_diagnostics()
            .0
            .iter()
            .map(|d| d.range)
            .collect();
        assert_eq!(ranges, [TextRange::new(6, 11), TextRange::new(13, 17)]);

        // An edit across `":b"`'s closing quote drops it, and only it.
        edit(&mut doc, 4, (1, 15), (1, 17), "");
        let ranges: Vec<_> = doc
            .workspace_diagnostics()
            .0
            .iter()
            .map(|d| d.range)
            .collect();
        assert_eq!(ranges, [TextRange::new(6, 11)]);
    }
}
