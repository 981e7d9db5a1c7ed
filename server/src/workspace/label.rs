//! Bazel labels: parsing and validation, as Bazel defines them.
//!
//! Forms (`Label` in Bazel's `cmdline` package):
//! - `@repo//pkg:name`, `@@canonical//pkg:name`, `@//pkg:name` (the main
//!   repository), `@repo` (= `@repo//:repo`);
//! - `//pkg:name`, `//pkg` (= `//pkg:pkg`'s last segment), `//:name`;
//! - relative to the current package: `:name`, `name`, and file labels
//!   with subdirectories (`sub/x.cc`, `:sub/x.cc`).
//!
//! Validation follows Bazel's `LabelParser`, `LabelValidator` and
//! `RepositoryName` (their tests are the reference), with their messages:
//! package names take printable ASCII but `:` and `\`, no `//`, no
//! leading or trailing `/`, no segment of dots only; target names take
//! every character but `:`, `\` and control characters (spaces, `$`,
//! `(`, `)` too), with `.` and `/` under rules (no `..` or `.` segments, no
//! `//`, no leading or trailing `/`); repository names take letters,
//! digits, `_`, `-`, `.` and `+` (canonical ones `~` too, as Bazel 6 and
//! 7.0 wrote them). In a BUILD file a label with a package starts with
//! `//` or `@`, and `//pkg/...` is a pattern, not a label.
//!
//! Pure: no I/O, no knowledge of which packages exist.

use std::fmt;

/// Which repository a label is in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Repo {
    /// No `@`: the repository of the file the label is written in.
    Current,
    /// `@//...` or `@@//...`: the main repository.
    Main,
    /// `@name`: a name the current repository's mapping resolves.
    Apparent(String),
    /// `@@name`: a canonical repository name.
    Canonical(String),
}

/// A parsed, valid label.
///
/// Invariant: `package` is `None` exactly for relative labels (`:x`, `x`),
/// which belong to the package of the file they are written in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub repo: Repo,
    pub package: Option<String>,
    pub name: String,
}

/// Labels with a meaning of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// `//visibility:public` or `//visibility:private`.
    Visibility,
    /// `//pkg:__pkg__` or `//pkg:__subpackages__` (package specifications).
    PackageSpec,
    /// `//conditions:default`, the fallback key of `select()`.
    ConditionsDefault,
}

/// Why a text is not a label, in Bazel's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelError {
    pub message: String,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn error(message: impl Into<String>) -> LabelError {
    LabelError {
        message: message.into(),
    }
}

impl Label {
    /// The label's meaning when it is one of Bazel's special labels.
    pub fn special(&self) -> Option<Special> {
        let main = matches!(self.repo, Repo::Current | Repo::Main);
        match (self.package.as_deref(), self.name.as_str()) {
            (Some("visibility"), "public" | "private") if main => Some(Special::Visibility),
            (Some("conditions"), "default") if main => Some(Special::ConditionsDefault),
            (_, "__pkg__" | "__subpackages__") => Some(Special::PackageSpec),
            _ => None,
        }
    }

    /// True for `:x` and `x`.
    pub fn is_relative(&self) -> bool {
        self.package.is_none()
    }
}

impl fmt::Display for Label {
    /// The canonical spelling: `@repo//pkg:name`, `//pkg:name`, `:name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repo {
            Repo::Current => {}
            Repo::Main => f.write_str("@")?,
            Repo::Apparent(name) => write!(f, "@{name}")?,
            Repo::Canonical(name) => write!(f, "@@{name}")?,
        }
        match &self.package {
            Some(package) => write!(f, "//{package}:{}", self.name),
            None => write!(f, ":{}", self.name),
        }
    }
}

/// Parses and validates `text` as Bazel does in a BUILD file (its
/// `LabelParser` and `Label.parseWithPackageContext`): the repository
/// part, then the package, then the target name, then the forms a BUILD
/// file may not use (`//pkg/...`, a package without `//`).
pub fn parse_label(text: &str) -> Result<Label, LabelError> {
    if text.is_empty() {
        return Err(error("empty label"));
    }
    let canonical = text.starts_with("@@");
    // Bazel splits at the first `//` anywhere.
    let double_slash = text.find("//");
    let (repo, start, absolute) = if text.starts_with('@') {
        let from = if canonical { 2 } else { 1 };
        let Some(slashes) = double_slash else {
            // `@repo` is `@repo//:repo`.
            let name = &text[from..];
            let repo = repository(name, canonical)?;
            check_target_name(name, "")?;
            return Ok(Label {
                repo,
                package: Some(String::new()),
                name: name.to_string(),
            });
        };
        (
            Some(repository(&text[from..slashes], canonical)?),
            slashes + 2,
            true,
        )
    } else {
        let absolute = double_slash == Some(0);
        (None, if absolute { 2 } else { 0 }, absolute)
    };
    let colon = text[start..].find(':').map(|i| start + i);
    let raw_package = &text[start..colon.unwrap_or(text.len())];
    let triple_dots = raw_package.ends_with("/...") || raw_package == "...";
    let (package, name) = match colon {
        // `foo/bar` is `:foo/bar`.
        None if !absolute && !triple_dots => ("", &text[start..]),
        None => {
            let package = strip_triple_dots(raw_package);
            let last = package.rsplit('/').next().unwrap_or(package);
            (package, last)
        }
        Some(colon) => (strip_triple_dots(raw_package), &text[colon + 1..]),
    };
    if let Some(message) = validate_package_name(package) {
        return Err(error(format!(
            "invalid package name '{package}': {message}{}",
            perhaps_you_meant(package, name)
        )));
    }
    if !(triple_dots && name.is_empty()) {
        check_target_name(name, package)?;
    }
    if triple_dots {
        return Err(error(format!(
            "invalid label '{text}': package name cannot contain '...'"
        )));
    }
    if !absolute && !package.is_empty() {
        return Err(error(format!(
            "invalid label '{text}': absolute label must begin with '@' or '//'"
        )));
    }
    // `dir/.` names `dir`.
    let name = name.strip_suffix("/.").unwrap_or(name);
    Ok(Label {
        repo: repo.unwrap_or(Repo::Current),
        package: absolute.then(|| package.to_string()),
        name: name.to_string(),
    })
}

/// `x/...` → `x`, `...` → `` (the package of a target pattern).
fn strip_triple_dots(package: &str) -> &str {
    if package == "..." {
        ""
    } else {
        package.strip_suffix("/...").unwrap_or(package)
    }
}

/// Bazel's hint when the package's last segment is the target's name.
fn perhaps_you_meant(package: &str, name: &str) -> String {
    if !name.is_empty() && package.ends_with(&format!("/{name}")) {
        format!(" (perhaps you meant \":{name}\"?)")
    } else {
        String::new()
    }
}

fn check_target_name(name: &str, package: &str) -> Result<(), LabelError> {
    match validate_target_name(name) {
        None => Ok(()),
        Some(message) => Err(error(format!(
            "invalid target name '{}': {message}{}",
            sanitize(name),
            perhaps_you_meant(package, name)
        ))),
    }
}

/// Bazel's `StringUtilities.sanitizeControlChars`: `\r` shown as `\r`,
/// other control characters as `<?>`.
fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}' | '\u{7f}' => out.push_str("<?>"),
            c => out.push(c),
        }
    }
    out
}

/// The repository of `@name` / `@@name` (Bazel's `RepositoryName.validate`:
/// `[A-Za-z0-9_.+-]*`, not `.` or `..`; the empty name is the main
/// repository). Canonical names may also hold `~`, the separator Bazel 6
/// and 7.0 wrote into them (`@@rules_cc~0.0.9`).
fn repository(name: &str, canonical: bool) -> Result<Repo, LabelError> {
    if name.is_empty() {
        return Ok(Repo::Main);
    }
    if name == "." || name == ".." {
        return Err(error(format!(
            "invalid repository name '{}': repo names are not allowed to be '{name}'",
            sanitize(name)
        )));
    }
    let ok = name.chars().all(|c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+') || (canonical && c == '~')
    });
    if !ok {
        return Err(error(format!(
            "invalid repository name '{}': repo names may contain only A-Z, a-z, 0-9, '-', '_', '.' and '+'",
            sanitize(name)
        )));
    }
    Ok(if canonical {
        Repo::Canonical(name.to_string())
    } else {
        Repo::Apparent(name.to_string())
    })
}

const PACKAGE_NAME_ERROR: &str = "package names may contain A-Z, a-z, 0-9, or any of ' !\"#$%&'()*+,-./;<=>?[]^_`{|}~' (any ASCII character except 0-31, 127, ':', or '\\')";

/// Bazel's `validatePackageName`: `None` when valid. Like Bazel, the
/// segments are read from the right, so the last problem is the one
/// reported.
pub fn validate_package_name(package: &str) -> Option<&'static str> {
    if package.is_empty() {
        return None;
    }
    if package.starts_with('/') {
        return Some("package names may not start with '/'");
    }
    if !package
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b':' && b != b'\\')
    {
        return Some(PACKAGE_NAME_ERROR);
    }
    if package.ends_with('/') {
        return Some("package names may not end with '/'");
    }
    for segment in package.rsplit('/') {
        if segment.is_empty() {
            return Some("package names may not contain '//' path separators");
        }
        if segment.bytes().all(|b| b == b'.') {
            return Some("package name component contains only '.' characters");
        }
    }
    None
}

/// Bazel's `validateTargetName`: `None` when valid. Every character but
/// `:`, `\` and control characters is allowed (spaces, `$`, `(`, `)` and
/// non-ASCII too); `.` and `/` with rules: no `..` or `.` segment (but `.`
/// alone and a trailing `/.` name a directory), no `//`, no leading or
/// trailing `/`.
pub fn validate_target_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("empty target name".to_string());
    }
    if name.starts_with('/') {
        return Some("target names may not start with '/'".to_string());
    }
    const UP_LEVEL: &str = "target names may not contain up-level references '..'";
    const DOT_SEGMENT: &str = "target names may not contain '.' as a path segment";
    if name.starts_with('.') {
        if name.starts_with("../") || name == ".." {
            return Some(UP_LEVEL.to_string());
        }
        if name == "." {
            return None;
        }
        if name.starts_with("./") {
            return Some(DOT_SEGMENT.to_string());
        }
    }
    if name.ends_with('\r') {
        return Some(
            "target names may not end with carriage returns (perhaps the input source is CRLF-terminated)"
                .to_string(),
        );
    }
    for (i, c) in name.char_indices() {
        match c {
            '/' => {
                let rest = &name[i..];
                if rest.starts_with("/../") {
                    return Some(UP_LEVEL.to_string());
                }
                if rest.starts_with("/./") {
                    return Some(DOT_SEGMENT.to_string());
                }
                if rest.starts_with("//") {
                    return Some("target names may not contain '//' path separators".to_string());
                }
            }
            '\u{0}'..='\u{1f}' | '\u{7f}' => {
                return Some(format!(
                    "target names may not contain non-printable characters: '\\x{:02X}'",
                    c as u32
                ));
            }
            ':' | '\\' => return Some(format!("target names may not contain '{c}'")),
            _ => {}
        }
    }
    if name.ends_with("/..") {
        return Some(UP_LEVEL.to_string());
    }
    if name.ends_with('/') {
        return Some("target names may not end with '/'".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Label {
        parse_label(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str) -> String {
        match parse_label(text) {
            Ok(label) => panic!("{text} parsed as {label:?}"),
            Err(e) => e.message,
        }
    }

    fn label(repo: Repo, package: Option<&str>, name: &str) -> Label {
        Label {
            repo,
            package: package.map(str::to_string),
            name: name.to_string(),
        }
    }

    #[test]
    fn absolute_forms() {
        assert_eq!(
            ok("//foo/bar:baz"),
            label(Repo::Current, Some("foo/bar"), "baz")
        );
        assert_eq!(
            ok("//foo/bar"),
            label(Repo::Current, Some("foo/bar"), "bar")
        );
        assert_eq!(ok("//foo"), label(Repo::Current, Some("foo"), "foo"));
        assert_eq!(ok("//:x"), label(Repo::Current, Some(""), "x"));
        assert_eq!(
            ok("//foo:sub/x.cc"),
            label(Repo::Current, Some("foo"), "sub/x.cc")
        );
    }

    #[test]
    fn repository_forms() {
        let apparent = |n: &str| Repo::Apparent(n.to_string());
        assert_eq!(
            ok("@repo//pkg:name"),
            label(apparent("repo"), Some("pkg"), "name")
        );
        assert_eq!(
            ok("@repo//pkg"),
            label(apparent("repo"), Some("pkg"), "pkg")
        );
        assert_eq!(ok("@repo"), label(apparent("repo"), Some(""), "repo"));
        assert_eq!(ok("@repo//:x"), label(apparent("repo"), Some(""), "x"));
        assert_eq!(
            ok("@@rules_cc~0.0.9//cc:defs.bzl"),
            label(
                Repo::Canonical("rules_cc~0.0.9".into()),
                Some("cc"),
                "defs.bzl"
            )
        );
        assert_eq!(
            ok("@@rules_go+//go:def.bzl"),
            label(Repo::Canonical("rules_go+".into()), Some("go"), "def.bzl")
        );
        assert_eq!(ok("@//foo:bar"), label(Repo::Main, Some("foo"), "bar"));
        assert_eq!(ok("@@//foo:bar"), label(Repo::Main, Some("foo"), "bar"));
        assert_eq!(ok("@com_google_absl//absl/strings").name, "strings");
    }

    #[test]
    fn relative_forms() {
        assert_eq!(ok(":name"), label(Repo::Current, None, "name"));
        assert_eq!(ok("name"), label(Repo::Current, None, "name"));
        assert_eq!(ok("sub/x.cc"), label(Repo::Current, None, "sub/x.cc"));
        assert_eq!(ok(":sub/x.cc"), label(Repo::Current, None, "sub/x.cc"));
        assert!(ok(":x").is_relative());
        // `dir/.` names the directory.
        assert_eq!(ok("data/."), label(Repo::Current, None, "data"));
        assert_eq!(ok("//foo:dir/."), label(Repo::Current, Some("foo"), "dir"));
        assert_eq!(ok("."), label(Repo::Current, None, "."));
    }

    #[test]
    fn special_labels() {
        assert_eq!(
            ok("//visibility:public").special(),
            Some(Special::Visibility)
        );
        assert_eq!(
            ok("//visibility:private").special(),
            Some(Special::Visibility)
        );
        assert_eq!(ok("//foo:__pkg__").special(), Some(Special::PackageSpec));
        assert_eq!(
            ok("//foo:__subpackages__").special(),
            Some(Special::PackageSpec)
        );
        assert_eq!(
            ok("//conditions:default").special(),
            Some(Special::ConditionsDefault)
        );
        assert_eq!(ok("@repo//conditions:default").special(), None);
        assert_eq!(ok("//visibility:other").special(), None);
    }

    #[test]
    fn canonical_spelling() {
        for (text, shown) in [
            ("//foo", "//foo:foo"),
            ("@repo", "@repo//:repo"),
            ("x", ":x"),
            ("@//a:b", "@//a:b"),
            ("@@c~1//a", "@@c~1//a:a"),
        ] {
            assert_eq!(ok(text).to_string(), shown);
        }
    }

    /// Bazel's `LabelTest`, `LabelValidatorTest` and `LabelParserTest`:
    /// labels it accepts.
    #[test]
    fn bazels_valid_labels() {
        for text in [
            "//foo/bar:baz",
            "//foo/bar",
            "//:bar",
            "@foo",
            "@foo//bar",
            "@@foo//bar",
            "//@foo",
            "//xyz/@foo:abc",
            "@//foo/bar:baz",
            "//foo/bar:baz..gif",
            "@foo//bar/baz:bat/boo",
            "//foo:..bar",
            "//Foo:..bar",
            "//-Foo:..bar",
            "//00:..bar",
            "//package:foo+bar",
            "//package:foo_bar",
            "//package:foo=bar",
            "//package:foo-bar",
            "//package:foo.bar",
            "//package:foo@bar",
            "//package:foo~bar",
            "//$( ):$( )",
            "//:b$() ar",
            "@repo//:b$() ar",
            "@repo//f$( )oo:b$() ar",
            "@//f$( )oo:b$() ar",
            "//f@oo",
            "//@foo:@bar",
            "@repo_1.2+x//:y",
            "@1repo//a:b",
            "@@rules_cc~0.0.9//cc:defs.bzl",
            "foo/bar",
            ":quux",
            "//a$( )/b..:x",
            "//foo:ünï",
        ] {
            ok(text);
        }
        for name in [
            "foo!bar", "foo\"bar", "foo#bar", "foo$bar", "foo%bar", "foo&bar", "foo'bar",
            "foo(bar", "foo)bar", "foo*bar", "foo+bar", "foo,bar", "foo-bar", "foo.bar", "foo;bar",
            "foo<bar", "foo=bar", "foo>bar", "foo?bar", "foo[bar", "foo]bar", "foo^bar", "foo_bar",
            "foo`bar", "foo{bar", "foo|bar", "foo}bar", "foo~bar", "foo/bar", "foo@bar", "...",
            "a/...", "foo/.",
        ] {
            assert_eq!(validate_target_name(name), None, "{name}");
        }
        for package in [
            "foo",
            "Foo",
            "foo-bar",
            "bar.baz",
            "a/..b",
            "a/.b",
            "a/b.",
            "a/b..",
            "a$( )/b..",
            "foo@bar",
            "foo`bar",
        ] {
            assert_eq!(validate_package_name(package), None, "{package}");
        }
    }

    /// Bazel's `LabelTest` and `LabelValidatorTest`: labels it rejects,
    /// with its messages.
    #[test]
    fn bazels_invalid_labels() {
        for (text, message) in [
            ("//foo:bar:baz", "invalid target name 'bar:baz': target names may not contain ':'"),
            ("//foo:bar:", "invalid target name 'bar:': target names may not contain ':'"),
            ("//foo/bar::", "invalid target name ':': target names may not contain ':'"),
            ("//foo/bar/..:baz", "invalid package name 'foo/bar/..': package name component contains only '.' characters"),
            ("//foo/../baz:baz", "invalid package name 'foo/../baz': package name component contains only '.' characters (perhaps you meant \":baz\"?)"),
            ("//..:foo", "invalid package name '..': package name component contains only '.' characters"),
            ("//foo:bar/../baz", "invalid target name 'bar/../baz': target names may not contain up-level references '..'"),
            ("//foo:../bar/baz", "invalid target name '../bar/baz': target names may not contain up-level references '..'"),
            ("//foo:bar/baz/..", "invalid target name 'bar/baz/..': target names may not contain up-level references '..'"),
            ("//foo:..", "invalid target name '..': target names may not contain up-level references '..'"),
            ("//foo/./baz:baz", "invalid package name 'foo/./baz': package name component contains only '.' characters (perhaps you meant \":baz\"?)"),
            ("//foo:bar/./baz", "invalid target name 'bar/./baz': target names may not contain '.' as a path segment"),
            ("//foo:./bar/baz", "invalid target name './bar/baz': target names may not contain '.' as a path segment"),
            ("//foo/:bar", "invalid package name 'foo/': package names may not end with '/'"),
            ("///p:foo", "invalid package name '/p': package names may not start with '/'"),
            ("//a//b:foo", "invalid package name 'a//b': package names may not contain '//' path separators"),
            ("//foo:bar//baz", "invalid target name 'bar//baz': target names may not contain '//' path separators"),
            ("//foo:..\u{2}bar", "invalid target name '..<?>bar': target names may not contain non-printable characters: '\\x02'"),
            ("//foo:..bar\r", "invalid target name '..bar\\r': target names may not end with carriage returns (perhaps the input source is CRLF-terminated)"),
            ("//foo/bar:", "invalid target name '': empty target name"),
            ("foo//bar/baz:bat/boo", "invalid package name 'foo//bar/baz': package names may not contain '//' path separators"),
            ("@foo:xyz", "invalid repository name 'foo:xyz': repo names may contain only A-Z, a-z, 0-9, '-', '_', '.' and '+'"),
            ("@.//a:b", "invalid repository name '.': repo names are not allowed to be '.'"),
            ("@re po//a:b", "invalid repository name 're po': repo names may contain only A-Z, a-z, 0-9, '-', '_', '.' and '+'"),
            ("/p1/p2:t", "invalid package name '/p1/p2': package names may not start with '/'"),
            ("foo/bar:quux", "invalid label 'foo/bar:quux': absolute label must begin with '@' or '//'"),
            ("//foo/...", "invalid label '//foo/...': package name cannot contain '...'"),
            ("//foo/...:all", "invalid label '//foo/...:all': package name cannot contain '...'"),
            ("//foo:a\\b", "invalid target name 'a\\b': target names may not contain '\\'"),
            ("//foo:", "invalid target name '': empty target name"),
            ("//foo:/a", "invalid target name '/a': target names may not start with '/'"),
            (":a/", "invalid target name 'a/': target names may not end with '/'"),
            ("a//b", "invalid target name 'a//b': target names may not contain '//' path separators"),
            ("@", "invalid target name '': empty target name"),
            ("//foo/bar/./bar", "invalid package name 'foo/bar/./bar': package name component contains only '.' characters (perhaps you meant \":bar\"?)"),
            ("", "empty label"),
        ] {
            assert_eq!(err(text), message, "{text:?}");
        }
        assert!(err("//fo\\o:x").contains("any ASCII character except 0-31, 127"));
        assert!(err("//foo\u{7}:x").contains("package names may contain"));
        assert!(err("//fö:x").contains("package names may contain"));
    }

    #[test]
    fn never_panics_on_garbage() {
        for text in [
            "@@",
            "@@@",
            "//",
            ":",
            "::",
            "//:",
            "@//",
            "é",
            "//é:ü",
            "\0",
            "@a//b:c:d",
            "////",
        ] {
            let _ = parse_label(text);
        }
    }
}
