//! Bazel labels: parsing and validation, as Bazel defines them.
//!
//! Forms (`Label` in Bazel's `cmdline` package):
//! - `@repo//pkg:name`, `@@canonical//pkg:name`, `@//pkg:name` (the main
//!   repository), `@repo` (= `@repo//:repo`);
//! - `//pkg:name`, `//pkg` (= `//pkg:pkg`'s last segment), `//:name`;
//! - relative to the current package: `:name`, `name`, and file labels
//!   with subdirectories (`sub/x.cc`, `:sub/x.cc`).
//!
//! Validation follows Bazel's `LabelValidator` and `RepositoryName`, with
//! its messages: package names take printable ASCII but `:` and `\`, no
//! `//`, no leading or trailing `/`, no segment of dots only; target names
//! take letters, digits and `!%-@^_"#$&'()*+,;<=>?[]{|}~`, plus `.` and `/`
//! with rules (no `..` or `.` segments, no `//`, no leading or trailing `/`);
//! apparent repository names start with a letter and take letters, digits,
//! `_`, `-` and `.`; canonical ones also `~` and `+`.
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

/// Parses and validates `text` as Bazel does.
pub fn parse_label(text: &str) -> Result<Label, LabelError> {
    if text.is_empty() {
        return Err(error("empty label"));
    }
    let (repo, rest) = if let Some(after) = text.strip_prefix("@@") {
        let (name, rest) = split_repo(after);
        let repo = if name.is_empty() {
            Repo::Main
        } else {
            validate_canonical_repo(name)?;
            Repo::Canonical(name.to_string())
        };
        (repo, rest)
    } else if let Some(after) = text.strip_prefix('@') {
        let (name, rest) = split_repo(after);
        let repo = if name.is_empty() {
            Repo::Main
        } else {
            validate_apparent_repo(name)?;
            Repo::Apparent(name.to_string())
        };
        (repo, rest)
    } else {
        (Repo::Current, Some(text))
    };

    let Some(rest) = rest else {
        // `@repo` alone is `@repo//:repo`.
        let name = match &repo {
            Repo::Apparent(n) | Repo::Canonical(n) => n.clone(),
            Repo::Main | Repo::Current => {
                return Err(error(format!(
                    "invalid label '{text}': missing '//' after the repository"
                )))
            }
        };
        return Ok(Label {
            repo,
            package: Some(String::new()),
            name,
        });
    };

    if let Some(absolute) = rest.strip_prefix("//") {
        let (package, name) = match absolute.split_once(':') {
            Some((package, name)) => (package, name.to_string()),
            // `//pkg` names the target with the package's last segment.
            None => (
                absolute,
                absolute.rsplit('/').next().unwrap_or("").to_string(),
            ),
        };
        if let Some(message) = validate_package_name(package) {
            let mut message = format!("invalid package name '{package}': {message}");
            if package.ends_with(&format!("/{name}")) && validate_target_name(&name).is_none() {
                message.push_str(&format!(" (perhaps you meant \":{name}\"?)"));
            }
            return Err(error(message));
        }
        if let Some(message) = validate_target_name(&name) {
            return Err(error(format!("invalid target name '{name}': {message}")));
        }
        return Ok(Label {
            repo,
            package: Some(package.to_string()),
            name,
        });
    }

    if repo != Repo::Current {
        return Err(error(format!(
            "invalid label '{text}': a repository must be followed by '//'"
        )));
    }
    // Relative: `:name` or `name`.
    let name = rest.strip_prefix(':').unwrap_or(rest);
    if rest.contains("//") {
        return Err(error(format!(
            "invalid label '{text}': only absolute labels (starting with '//' or '@') may contain '//'"
        )));
    }
    if let Some(message) = validate_target_name(name) {
        return Err(error(format!("invalid target name '{name}': {message}")));
    }
    Ok(Label {
        repo,
        package: None,
        name: name.to_string(),
    })
}

/// Splits `repo//rest` into the repository name and `//rest` (or `None`
/// when there is no `//`).
fn split_repo(after_at: &str) -> (&str, Option<&str>) {
    match after_at.find("//") {
        Some(i) => (&after_at[..i], Some(&after_at[i..])),
        None => (after_at, None),
    }
}

fn validate_apparent_repo(name: &str) -> Result<(), LabelError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(error(format!(
            "invalid repository name '@{name}': repo names must start with a letter and may contain only letters, digits, '_', '-' and '.'"
        )))
    }
}

fn validate_canonical_repo(name: &str) -> Result<(), LabelError> {
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '~' | '+'));
    if ok && name != "." && name != ".." {
        Ok(())
    } else {
        Err(error(format!(
            "invalid repository name '@@{name}': canonical repo names may contain only letters, digits, '_', '-', '.', '~' and '+'"
        )))
    }
}

const PACKAGE_NAME_ERROR: &str = "package names may contain A-Z, a-z, 0-9, or any of ' !\"#$%&'()*+,-./;<=>?[]^_`{|}~' (most 7-bit ascii characters except 0-31, 127, ':', or '\\')";

/// Bazel's `validatePackageName`: `None` when valid.
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
    if package.contains("//") {
        return Some("package names may not contain '//' path separators");
    }
    if package.ends_with('/') {
        return Some("package names may not end with '/'");
    }
    if package
        .split('/')
        .any(|segment| segment.bytes().all(|b| b == b'.'))
    {
        return Some("package name component contains only '.' characters");
    }
    None
}

/// Bazel's `validateTargetName`: `None` when valid.
pub fn validate_target_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("empty target name".to_string());
    }
    if name.starts_with('/') {
        return Some("target names may not start with '/'".to_string());
    }
    if name.ends_with('\r') {
        return Some(
            "target names may not end with carriage returns (perhaps the input source is CRLF-terminated)"
                .to_string(),
        );
    }
    for c in name.chars() {
        let allowed = c.is_alphanumeric() || "!%-@^_\"#$&'()*+,;<=>?[]{|}~./".contains(c);
        if !allowed {
            return Some(if c.is_control() {
                format!(
                    "target names may not contain non-printable characters: '\\x{:02X}'",
                    c as u32
                )
            } else {
                format!("target names may not contain '{c}'")
            });
        }
    }
    if name.contains("//") {
        return Some("target names may not contain '//' path separators".to_string());
    }
    let segments: Vec<&str> = name.split('/').collect();
    if segments.contains(&"..") {
        return Some("target names may not contain up-level references '..'".to_string());
    }
    // `.` alone and a trailing `/.` are tolerated (data directories).
    let last = segments.len() - 1;
    if segments
        .iter()
        .enumerate()
        .any(|(i, s)| *s == "." && i != last)
    {
        return Some("target names may not contain '.' as a path segment".to_string());
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
        assert_eq!(ok("data/."), label(Repo::Current, None, "data/."));
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

    #[test]
    fn invalid_package_names() {
        assert_eq!(
            err("//foo//bar:x"),
            "invalid package name 'foo//bar': package names may not contain '//' path separators"
        );
        assert_eq!(
            err("//foo/:x"),
            "invalid package name 'foo/': package names may not end with '/'"
        );
        assert_eq!(
            err("///foo:x"),
            "invalid package name '/foo': package names may not start with '/'"
        );
        assert_eq!(
            err("//foo/../bar:x"),
            "invalid package name 'foo/../bar': package name component contains only '.' characters"
        );
        assert!(err("//fo\\o:x").contains("most 7-bit ascii characters"));
        assert!(err("//foo\u{7}:x").contains("package names may contain"));
    }

    #[test]
    fn invalid_target_names() {
        assert_eq!(err("//foo:"), "invalid target name '': empty target name");
        assert_eq!(
            err("//foo:../x"),
            "invalid target name '../x': target names may not contain up-level references '..'"
        );
        assert_eq!(
            err(":a/./b"),
            "invalid target name 'a/./b': target names may not contain '.' as a path segment"
        );
        assert_eq!(
            err(":a/"),
            "invalid target name 'a/': target names may not end with '/'"
        );
        assert_eq!(
            err("//foo:/a"),
            "invalid target name '/a': target names may not start with '/'"
        );
        assert_eq!(
            err("//foo:a b"),
            "invalid target name 'a b': target names may not contain ' '"
        );
        assert_eq!(
            err("//foo:a:b"),
            "invalid target name 'a:b': target names may not contain ':'"
        );
        assert!(err("//a:b\r").contains("carriage returns"));
        assert!(err("//a:b\u{1}").contains("non-printable"));
    }

    #[test]
    fn invalid_repositories_and_shapes() {
        assert!(err("@1repo//a:b").contains("repo names must start with a letter"));
        assert!(err("@re po//a:b").contains("invalid repository name"));
        assert!(err("@@re po//a").contains("canonical repo names"));
        assert!(err("@repo:x").contains("invalid repository name"));
        assert_eq!(err(""), "empty label");
        assert!(err("a//b").contains("only absolute labels"));
        assert!(err("@").contains("missing '//'"));
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
