//! The package being evaluated: a thread-local record of the targets made
//! so far and of why the package is open.
//!
//! Invariants:
//! - There is a package exactly while a BUILD file is evaluated on this
//!   thread; the top level of a `.bzl` module is evaluated with none (its
//!   frozen result is shared by every package that loads it, so nothing it
//!   does may depend on, or be recorded in, one package). Rules called
//!   without a package fail, as in Bazel.
//! - Values that cannot know the evaluator (an opaque value used as a bool,
//!   iterated, ...) mark the package open through [`mark_open`], which does
//!   nothing without a package.

use std::cell::RefCell;
use std::sync::Arc;

use crate::hash::{FastMap, FastSet};
use crate::text::TextRange;
use crate::workspace::package::TargetDecl;

/// At most this many reasons are kept (the first ones).
pub(super) const MAX_REASONS: usize = 20;

/// A package keeps at most this many targets from evaluation (the largest
/// real BUILD files declare a few thousand); past it the package is open.
/// Bounds what the index holds for one package.
pub const MAX_TARGETS: usize = 100_000;

/// What the BUILD file's syntax tree says about one call in it.
#[derive(Clone, Debug, Default)]
pub(super) struct CallInfo {
    /// The `name = "..."` literal.
    pub name: Option<TextRange>,
    /// String literals of `out`, `outs` and the first positional argument
    /// (`exports_files([...])`), with their values.
    pub strings: Vec<(String, TextRange)>,
    /// The call is used as a value (an argument, an operand, an assigned
    /// value), not as a statement of its own.
    pub used_as_value: bool,
}

/// An attribute value kept for `native.existing_rule(s)`.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum AttrValue {
    Str(String),
    Bool(bool),
    Int(i32),
    List(Vec<String>),
}

/// A rule instance, for `native.existing_rule(s)`.
#[derive(Clone, Debug)]
pub(super) struct RecordedRule {
    pub name: String,
    pub kind: String,
    pub attrs: Vec<(String, AttrValue)>,
}

/// Where the BUILD file makes the current call: its outermost call there.
#[derive(Clone, Debug)]
pub(super) struct Site {
    pub call: TextRange,
    /// The call's literal `name`, or the call.
    pub name: TextRange,
    /// The call being recorded is itself that BUILD-file call (not a call
    /// made inside a macro).
    pub direct: bool,
    pub info: Option<CallInfo>,
}

impl Site {
    /// The range for an output or exported file `value`: its literal in the
    /// BUILD call when the call is direct, else the call's name.
    pub fn range_of(&self, value: &str) -> TextRange {
        if self.direct {
            if let Some(info) = &self.info {
                if let Some((_, range)) = info.strings.iter().find(|(s, _)| s == value) {
                    return *range;
                }
            }
        }
        self.name
    }
}

pub(super) struct PackageState {
    pub package: String,
    /// The file name the BUILD text was parsed under (its frames are the
    /// BUILD file's).
    pub build_file: String,
    /// Calls of the BUILD file by `(start, end)` byte offsets.
    pub calls: FastMap<(usize, usize), CallInfo>,
    pub targets: Vec<TargetDecl>,
    pub names: FastSet<String>,
    pub rules: Vec<RecordedRule>,
    pub open: bool,
    pub open_reasons: Vec<String>,
    /// The `name`s given to calls that cannot be followed (see
    /// [`PackageDecls::unfollowed`](crate::workspace::package::PackageDecls::unfollowed)).
    pub unfollowed: Vec<String>,
    /// Strings given to such calls outside their input attributes (see
    /// [`PackageDecls::unfollowed_outputs`](crate::workspace::package::PackageDecls::unfollowed_outputs)).
    pub unfollowed_outputs: FastSet<String>,
    /// `package_files`, read on the first `glob()`.
    pub files: Option<Arc<Vec<String>>>,
    /// The truth assumed for opaque values (by their description) when
    /// the BUILD file tests it.
    pub assumed: FastMap<String, bool>,
    /// The opaque values whose truth was tested without an assumption
    /// (taken as false), in order.
    pub tested: Vec<String>,
}

impl PackageState {
    pub fn new(
        package: &str,
        build_file: &str,
        calls: FastMap<(usize, usize), CallInfo>,
    ) -> PackageState {
        PackageState {
            package: package.to_string(),
            build_file: build_file.to_string(),
            calls,
            targets: Vec::new(),
            names: FastSet::default(),
            rules: Vec::new(),
            open: false,
            open_reasons: Vec::new(),
            unfollowed: Vec::new(),
            unfollowed_outputs: FastSet::default(),
            files: None,
            assumed: FastMap::default(),
            tested: Vec::new(),
        }
    }

    pub fn mark_open(&mut self, reason: String) {
        self.open = true;
        self.note(reason);
    }

    /// Keeps `reason` among the first few reasons the package is not fully
    /// known.
    pub fn note(&mut self, reason: String) {
        if self.open_reasons.len() < MAX_REASONS && !self.open_reasons.contains(&reason) {
            self.open_reasons.push(reason);
        }
    }

    /// Records a call that cannot be followed, given the string `name` and
    /// the strings `outputs` outside its input attributes.
    pub fn unfollowed_call(&mut self, name: String, outputs: Vec<String>, reason: String) {
        if !self.unfollowed.contains(&name) {
            self.unfollowed.push(name);
        }
        self.unfollowed_outputs.extend(outputs);
        self.note(reason);
    }

    /// The truth of the opaque value `what`: as assumed, else false (and
    /// recorded as tested).
    pub fn truth_of(&mut self, what: &str) -> bool {
        if let Some(truth) = self.assumed.get(what) {
            return *truth;
        }
        if !self.tested.iter().any(|t| t == what) {
            self.tested.push(what.to_string());
        }
        false
    }

    /// Records a target; a second target of the same name is dropped
    /// (Bazel rejects the package), so names stay unique.
    pub fn add_target(&mut self, decl: TargetDecl) -> bool {
        if self.targets.len() >= MAX_TARGETS {
            self.mark_open(format!(
                "declares more than {MAX_TARGETS} targets; bzls keeps the first {MAX_TARGETS}"
            ));
            return false;
        }
        if self.names.insert(decl.name.clone()) {
            self.targets.push(decl);
            true
        } else {
            false
        }
    }
}

thread_local! {
    static STATE: RefCell<Option<PackageState>> = const { RefCell::new(None) };
}

/// Runs `f` on the current package, if any.
pub(super) fn with_state<R>(f: impl FnOnce(&mut PackageState) -> R) -> Option<R> {
    STATE.with(|s| s.borrow_mut().as_mut().map(f))
}

/// Records why the current package is not fully known, without opening it
/// (no-op without one).
pub(super) fn note(reason: impl FnOnce() -> String) {
    with_state(|s| s.note(reason()));
}

/// Marks the current package open (no-op without one).
pub(super) fn mark_open(reason: impl FnOnce() -> String) {
    with_state(|s| s.mark_open(reason()));
}

/// Puts a package (or none) in place until dropped or finished; the
/// previous one comes back then, also on unwinding.
pub(super) struct Scope {
    previous: Option<Option<PackageState>>,
}

impl Scope {
    pub fn enter(state: Option<PackageState>) -> Scope {
        let previous = STATE.with(|s| s.replace(state));
        Scope {
            previous: Some(previous),
        }
    }

    /// Ends the scope, returning its package.
    pub fn finish(mut self) -> Option<PackageState> {
        let previous = self.previous.take().unwrap_or_default();
        STATE.with(|s| s.replace(previous))
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            STATE.with(|s| s.replace(previous));
        }
    }
}
