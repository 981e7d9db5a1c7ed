//! Diagnostics as plain data.

use crate::text::TextRange;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    /// The lower-case name used by the CLI (`error`, `warning`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

/// A stable diagnostic code. The kebab-case names returned by
/// [`DiagnosticCode::as_str`] are a public interface: users filter on them in
/// CI and editors. Never rename one; add new codes instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiagnosticCode {
    /// The text does not parse.
    Syntax,
    /// Python syntax that Starlark does not have (`while`, `is`, f-strings, ...).
    UnsupportedSyntax,
    /// `def` in a BUILD or WORKSPACE file.
    BuildFileDef,
    /// A `for` statement in a BUILD or WORKSPACE file.
    BuildFileFor,
    /// An `if` statement in a BUILD or WORKSPACE file.
    BuildFileIf,
    /// `*args` or `**kwargs` in a call in a BUILD or WORKSPACE file.
    BuildFileArgs,
    /// `load` in a MODULE.bazel or REPO.bazel file.
    ModuleFileLoad,
    /// `def` in a MODULE.bazel or REPO.bazel file.
    ModuleFileDef,
    /// A `for` statement in a MODULE.bazel or REPO.bazel file.
    ModuleFileFor,
    /// An `if` statement in a MODULE.bazel or REPO.bazel file.
    ModuleFileIf,
    /// `*args` or `**kwargs` in a MODULE.bazel or REPO.bazel file.
    ModuleFileArgs,
    /// A `for` statement outside any function in a .bzl file.
    ToplevelFor,
    /// An `if` statement outside any function in a .bzl file.
    ToplevelIf,
    /// An open document too large to analyse (a warning).
    FileTooLarge,
    /// A Starlark file nested too deeply for bzls to parse and evaluate it
    /// with Starlark's own (recursive) parser.
    FileTooComplex,
    /// `module()` called twice, or after another MODULE.bazel directive.
    ModuleFileOrder,
    /// A .bazelrc line whose command Bazel does not have.
    RcUnknownCommand,
    /// A .bazelrc flag that does not apply to its line's command.
    RcFlagCommand,
    /// A .bazelrc flag Bazel does not have.
    RcUnknownFlag,
    /// A .bazelrc flag that needs a value and has none.
    RcMissingValue,
    /// A .bazelrc flag value the flag does not accept.
    RcInvalidValue,
    /// `--config=NAME` where no rc file defines NAME.
    RcUndefinedConfig,
    /// `import` of a file that does not exist (`try-import` is fine).
    RcMissingImport,
    /// rc files that import each other in a loop.
    RcImportCycle,
    /// configs whose definitions `--config` each other in a loop.
    RcConfigCycle,
    /// A deprecated or no-op flag (a warning).
    RcDeprecatedFlag,
    /// A `startup:NAME` section, which Bazel ignores (a warning).
    RcStartupConfig,
    /// `import`/`try-import` without exactly one file name.
    RcInvalidImport,
    /// `--config NAME` in two words inside a config definition.
    RcConfigSyntax,
    /// A string that should be a label and is not one, with Bazel's rule.
    LabelSyntax,
    /// A label into a package that does not exist.
    UnresolvedPackage,
    /// A label to a target its package does not declare.
    UnresolvedTarget,
    /// A label of the BUILD file's own package that no rule declares and
    /// no file backs: Bazel takes it for a source file, and building a
    /// target that uses it fails (an error; a warning in `manual` targets).
    MissingInputFile,
    /// A `load()` of a file that does not exist (or is not in a package).
    UnresolvedLoad,
    /// A `load()` of a name the loaded file does not export.
    LoadSymbolNotFound,
    /// `@name` where no repository `name` is declared (a warning).
    UnknownRepository,
    /// A `select()` none of whose conditions matches the active
    /// configuration, without `//conditions:default`.
    SelectNoMatch,
    /// A `select()` with several matching conditions, none of which
    /// specialises the others.
    SelectAmbiguous,
    /// A branch of a `select()` the active configuration does not take (a
    /// hint, shown dimmed).
    SelectBranchNotTaken,
    /// A name no statement of the file binds and no builtin of its kind has.
    UndefinedName,
    /// A second module-level binding of a name where Bazel forbids it.
    Redeclared,
    /// A `load()` after another statement in a `.bzl` file.
    LoadAfterStatement,
    /// A module-level read of a global the file binds only later.
    ReferencedBeforeAssignment,
    /// A loaded symbol the file never uses (a warning).
    UnusedLoad,
    /// A second rule call declaring the same target name in a package.
    DuplicateTarget,
    /// A target name Bazel rejects.
    InvalidTargetName,
    /// An attribute the called rule does not have.
    UnknownAttribute,
    /// A mandatory attribute (or `name`) the rule call does not give.
    MissingAttribute,
    /// A literal value of the wrong type for the attribute.
    AttributeType,
    /// A label listed twice in one attribute.
    DuplicateLabel,
    /// An `include()` of MODULE.bazel that breaks its rules.
    ModuleFileInclude,
    /// A MODULE.bazel directive Bazel rejects (a repo name used twice, two
    /// overrides of one module, invalid names).
    ModuleFileDirective,
    /// A tag of a module extension that the extension does not define, or
    /// an attribute its tag class does not have.
    ModuleExtensionTag,
}

impl DiagnosticCode {
    pub const ALL: &'static [DiagnosticCode] = &[
        DiagnosticCode::Syntax,
        DiagnosticCode::UnsupportedSyntax,
        DiagnosticCode::BuildFileDef,
        DiagnosticCode::BuildFileFor,
        DiagnosticCode::BuildFileIf,
        DiagnosticCode::BuildFileArgs,
        DiagnosticCode::ModuleFileLoad,
        DiagnosticCode::ModuleFileDef,
        DiagnosticCode::ModuleFileFor,
        DiagnosticCode::ModuleFileIf,
        DiagnosticCode::ModuleFileArgs,
        DiagnosticCode::ToplevelFor,
        DiagnosticCode::ToplevelIf,
        DiagnosticCode::FileTooLarge,
        DiagnosticCode::FileTooComplex,
        DiagnosticCode::ModuleFileOrder,
        DiagnosticCode::RcUnknownCommand,
        DiagnosticCode::RcFlagCommand,
        DiagnosticCode::RcUnknownFlag,
        DiagnosticCode::RcMissingValue,
        DiagnosticCode::RcInvalidValue,
        DiagnosticCode::RcUndefinedConfig,
        DiagnosticCode::RcMissingImport,
        DiagnosticCode::RcImportCycle,
        DiagnosticCode::RcConfigCycle,
        DiagnosticCode::RcDeprecatedFlag,
        DiagnosticCode::RcStartupConfig,
        DiagnosticCode::RcInvalidImport,
        DiagnosticCode::RcConfigSyntax,
        DiagnosticCode::LabelSyntax,
        DiagnosticCode::UnresolvedPackage,
        DiagnosticCode::UnresolvedTarget,
        DiagnosticCode::MissingInputFile,
        DiagnosticCode::UnresolvedLoad,
        DiagnosticCode::LoadSymbolNotFound,
        DiagnosticCode::UnknownRepository,
        DiagnosticCode::SelectNoMatch,
        DiagnosticCode::SelectAmbiguous,
        DiagnosticCode::SelectBranchNotTaken,
        DiagnosticCode::UndefinedName,
        DiagnosticCode::Redeclared,
        DiagnosticCode::LoadAfterStatement,
        DiagnosticCode::ReferencedBeforeAssignment,
        DiagnosticCode::UnusedLoad,
        DiagnosticCode::DuplicateTarget,
        DiagnosticCode::InvalidTargetName,
        DiagnosticCode::UnknownAttribute,
        DiagnosticCode::MissingAttribute,
        DiagnosticCode::AttributeType,
        DiagnosticCode::DuplicateLabel,
        DiagnosticCode::ModuleFileInclude,
        DiagnosticCode::ModuleFileDirective,
        DiagnosticCode::ModuleExtensionTag,
    ];

    /// Whether the code says a label or load goes nowhere from the
    /// workspace it was checked in (which another workspace reading the
    /// same file may see otherwise).
    pub fn is_resolution(self) -> bool {
        matches!(
            self,
            DiagnosticCode::UnresolvedPackage
                | DiagnosticCode::UnresolvedTarget
                | DiagnosticCode::MissingInputFile
                | DiagnosticCode::UnresolvedLoad
                | DiagnosticCode::LoadSymbolNotFound
                | DiagnosticCode::UnknownRepository
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::Syntax => "syntax",
            DiagnosticCode::UnsupportedSyntax => "unsupported-syntax",
            DiagnosticCode::BuildFileDef => "build-file-def",
            DiagnosticCode::BuildFileFor => "build-file-for",
            DiagnosticCode::BuildFileIf => "build-file-if",
            DiagnosticCode::BuildFileArgs => "build-file-args",
            DiagnosticCode::ModuleFileLoad => "module-file-load",
            DiagnosticCode::ModuleFileDef => "module-file-def",
            DiagnosticCode::ModuleFileFor => "module-file-for",
            DiagnosticCode::ModuleFileIf => "module-file-if",
            DiagnosticCode::ModuleFileArgs => "module-file-args",
            DiagnosticCode::ToplevelFor => "toplevel-for",
            DiagnosticCode::ToplevelIf => "toplevel-if",
            DiagnosticCode::FileTooLarge => "file-too-large",
            DiagnosticCode::FileTooComplex => "file-too-complex",
            DiagnosticCode::ModuleFileOrder => "module-file-order",
            DiagnosticCode::RcUnknownCommand => "rc-unknown-command",
            DiagnosticCode::RcFlagCommand => "rc-flag-command",
            DiagnosticCode::RcUnknownFlag => "rc-unknown-flag",
            DiagnosticCode::RcMissingValue => "rc-missing-value",
            DiagnosticCode::RcInvalidValue => "rc-invalid-value",
            DiagnosticCode::RcUndefinedConfig => "rc-undefined-config",
            DiagnosticCode::RcMissingImport => "rc-missing-import",
            DiagnosticCode::RcImportCycle => "rc-import-cycle",
            DiagnosticCode::RcConfigCycle => "rc-config-cycle",
            DiagnosticCode::RcDeprecatedFlag => "rc-deprecated-flag",
            DiagnosticCode::RcStartupConfig => "rc-startup-config",
            DiagnosticCode::RcInvalidImport => "rc-invalid-import",
            DiagnosticCode::RcConfigSyntax => "rc-config-syntax",
            DiagnosticCode::LabelSyntax => "label-syntax",
            DiagnosticCode::UnresolvedPackage => "unresolved-package",
            DiagnosticCode::UnresolvedTarget => "unresolved-target",
            DiagnosticCode::MissingInputFile => "missing-input-file",
            DiagnosticCode::UnresolvedLoad => "unresolved-load",
            DiagnosticCode::LoadSymbolNotFound => "load-symbol-not-found",
            DiagnosticCode::UnknownRepository => "unknown-repository",
            DiagnosticCode::SelectNoMatch => "select-no-match",
            DiagnosticCode::SelectAmbiguous => "select-ambiguous",
            DiagnosticCode::SelectBranchNotTaken => "select-branch-not-taken",
            DiagnosticCode::UndefinedName => "undefined-name",
            DiagnosticCode::Redeclared => "redeclared",
            DiagnosticCode::LoadAfterStatement => "load-after-statement",
            DiagnosticCode::ReferencedBeforeAssignment => "referenced-before-assignment",
            DiagnosticCode::UnusedLoad => "unused-load",
            DiagnosticCode::DuplicateTarget => "duplicate-target",
            DiagnosticCode::InvalidTargetName => "invalid-target-name",
            DiagnosticCode::UnknownAttribute => "unknown-attribute",
            DiagnosticCode::MissingAttribute => "missing-attribute",
            DiagnosticCode::AttributeType => "attribute-type",
            DiagnosticCode::DuplicateLabel => "duplicate-label",
            DiagnosticCode::ModuleFileInclude => "module-file-include",
            DiagnosticCode::ModuleFileDirective => "module-file-directive",
            DiagnosticCode::ModuleExtensionTag => "module-extension-tag",
        }
    }
}

/// Another place that explains a diagnostic (an unclosed bracket's opener).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub range: TextRange,
    pub message: String,
}

/// A problem found in one document.
///
/// Invariant: `range` and every `related` range lie within the text the
/// diagnostic was computed for, on character boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub range: TextRange,
    pub severity: Severity,
    pub code: DiagnosticCode,
    pub message: String,
    pub related: Vec<Related>,
    /// Quick fixes: replacements of part of the text (a misspelt label's
    /// "did you mean"), best first.
    pub fixes: Vec<Fix>,
}

/// A replacement that fixes a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub range: TextRange,
    pub new_text: String,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: DiagnosticCode,
        range: TextRange,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            range,
            severity,
            code,
            message: message.into(),
            related: Vec::new(),
            fixes: Vec::new(),
        }
    }

    pub fn error(code: DiagnosticCode, range: TextRange, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            range,
            severity: Severity::Error,
            code,
            message: message.into(),
            related: Vec::new(),
            fixes: Vec::new(),
        }
    }

    pub fn with_related(mut self, range: TextRange, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            range,
            message: message.into(),
        });
        self
    }

    /// Moves every range by `delta` bytes.
    pub(crate) fn shift(&mut self, delta: isize) {
        self.range = self.range.shifted(delta);
        for related in &mut self.related {
            related.range = related.range.shifted(delta);
        }
        for fix in &mut self.fixes {
            fix.range = fix.range.shifted(delta);
        }
    }
}

/// A warning of an outside linter (buildifier's `-lint=warn`). Its
/// `category` (`load`, `unused-variable`, ...) is its code, and `url`
/// documents it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintWarning {
    pub range: TextRange,
    pub category: String,
    pub message: String,
    pub url: Option<String>,
    /// The linter can fix it itself (`-lint=fix`).
    pub auto_fixable: bool,
}

/// Something with a place in the text that can be moved through edits
/// (see [`crate::analysis::document`]'s carrying of diagnostics).
pub trait Placed {
    fn range(&self) -> TextRange;
    fn range_mut(&mut self) -> &mut TextRange;
    /// Moves every range by `delta` bytes.
    fn shift(&mut self, delta: isize);
    /// The text inside the range changed: drop what was about the old
    /// text (quick fixes, related places).
    fn resized(&mut self);
}

impl Placed for Diagnostic {
    fn range(&self) -> TextRange {
        self.range
    }
    fn range_mut(&mut self) -> &mut TextRange {
        &mut self.range
    }
    fn shift(&mut self, delta: isize) {
        Diagnostic::shift(self, delta);
    }
    fn resized(&mut self) {
        self.fixes.clear();
        self.related.clear();
    }
}

impl Placed for LintWarning {
    fn range(&self) -> TextRange {
        self.range
    }
    fn range_mut(&mut self) -> &mut TextRange {
        &mut self.range
    }
    fn shift(&mut self, delta: isize) {
        self.range = self.range.shifted(delta);
    }
    fn resized(&mut self) {}
}
