//! Code lenses above the targets of a BUILD file: build, test (test rules)
//! and run (binaries and tests) the target.

use super::FileContext;

/// What a lens asks Bazel to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetAction {
    Build,
    Test,
    Run,
}

impl TargetAction {
    /// The Bazel command.
    pub fn command(self) -> &'static str {
        match self {
            TargetAction::Build => "build",
            TargetAction::Test => "test",
            TargetAction::Run => "run",
        }
    }
}

/// The lenses of one call: the target it names (the call's own `name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetLens {
    /// Where the call starts.
    pub at: usize,
    /// `//pkg:name`.
    pub label: String,
    pub actions: Vec<TargetAction>,
}

/// Kinds that Bazel cannot build into anything worth a lens.
const NOT_BUILDABLE: &[&str] = &[
    "exports_files",
    "package_group",
    "config_setting",
    "constraint_setting",
    "constraint_value",
    "licenses",
    "package",
];

/// One lens set per call of the BUILD file that declares a target by its
/// own `name`, in text order. The kind of target decides the actions: a
/// rule named `*_test` or `test_suite` is a test (build, test); one named
/// `*_binary` is a binary (build, run); others build. For a macro, the
/// kind of the target it makes under the call's name when evaluation
/// tells, else the macro's own name.
pub fn target_lenses(ctx: &FileContext<'_>) -> Vec<TargetLens> {
    if !ctx.is_build {
        return Vec::new();
    }
    let mut out: Vec<TargetLens> = Vec::new();
    for decl in &ctx.summary.decls.targets {
        if decl.generated_by.is_some() || NOT_BUILDABLE.contains(&decl.kind.as_str()) {
            continue;
        }
        // A call's own target: its `name` string is inside the call.
        let own = decl.call_range.start <= decl.name_range.start
            && decl.name_range.end <= decl.call_range.end
            && !decl.name_range.is_empty();
        if !own || out.iter().any(|l| l.at == decl.call_range.start) {
            continue;
        }
        let kind = decl.kind.as_str();
        let mut actions = vec![TargetAction::Build];
        if kind.ends_with("_test") || kind == "test_suite" {
            actions.push(TargetAction::Test);
        } else if kind.ends_with("_binary") {
            actions.push(TargetAction::Run);
        }
        out.push(TargetLens {
            at: decl.call_range.start,
            label: format!("//{}:{}", ctx.package, decl.name),
            actions,
        });
    }
    out.sort_by_key(|l| l.at);
    out
}
