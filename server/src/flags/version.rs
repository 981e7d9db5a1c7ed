//! Which Bazel version a workspace uses, from the files and variables
//! Bazelisk reads, or from `bazel --version` output. Pure functions: callers
//! read the files.

use std::fmt;

/// A Bazel version number, as far as it is known.
///
/// Invariants: `patch` is `None` whenever `minor` is; `raw` is the trimmed
/// text the version was parsed from (fork prefix included).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BazelVersion {
    pub major: u32,
    /// `None` for `7` and floating `7.x`.
    pub minor: Option<u32>,
    /// `None` for `7.1` and floating `7.1.x`.
    pub patch: Option<u32>,
    /// What follows the last number: `rc1` in `7.1.0rc1`,
    /// `-pre.20210317.1` in `5.0.0-pre.20210317.1`.
    pub pre: Option<String>,
    /// The fork in `fork/7.1.0`.
    pub fork: Option<String>,
    pub raw: String,
}

impl fmt::Display for BazelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl BazelVersion {
    /// Parses a version as Bazelisk accepts it: `7.1.0`, `7.1.0rc1`,
    /// `5.0.0-pre.20210317.1`, `7.1`, `7`, floating `7.x`, `fork/7.1.0`.
    /// Gives `None` for what names no number: `latest`, `latest-1`,
    /// `last_green`, `last_rc`, `rolling`, commit hashes, paths, "".
    pub fn parse(text: &str) -> Option<BazelVersion> {
        let raw = text.trim();
        let (fork, number) = match raw.split_once('/') {
            Some((fork, number)) => {
                let fork_ok = !fork.is_empty()
                    && fork
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
                    && !fork.starts_with('.');
                if !fork_ok || number.contains('/') {
                    return None;
                }
                (Some(fork.to_string()), number)
            }
            None => (None, raw),
        };
        if number.contains('\\') {
            return None;
        }

        let (major, rest) = leading_number(number)?;
        let mut version = BazelVersion {
            major,
            minor: None,
            patch: None,
            pre: None,
            fork,
            raw: raw.to_string(),
        };
        if rest.is_empty() {
            return Some(version);
        }
        // Bare `7rc1` or a hex hash like `4e5f...`: not a version.
        let rest = rest.strip_prefix('.')?;
        if is_floating(rest) {
            return Some(version);
        }
        let (minor, rest) = leading_number(rest)?;
        version.minor = Some(minor);
        let rest = match rest.strip_prefix('.') {
            Some(after) if is_floating(after) => return Some(version),
            Some(after) => {
                let (patch, rest) = leading_number(after)?;
                version.patch = Some(patch);
                rest
            }
            None => rest,
        };
        if !rest.is_empty() {
            if rest.contains(char::is_whitespace) {
                return None;
            }
            version.pre = Some(rest.to_string());
        }
        Some(version)
    }

    /// Parses `bazel --version` output: the first line of the form
    /// `bazel <version>` (wrapper scripts may print other lines first).
    /// Development builds (`bazel no_version`) give `None`.
    pub fn from_version_output(output: &str) -> Option<BazelVersion> {
        output.lines().find_map(|line| {
            let mut words = line.split_whitespace();
            if words.next()? != "bazel" {
                return None;
            }
            BazelVersion::parse(words.next()?)
        })
    }

    /// The version without the fork, for file names and labels: `7.1.0rc1`.
    pub fn number(&self) -> String {
        let mut s = self.major.to_string();
        if let Some(minor) = self.minor {
            s.push_str(&format!(".{minor}"));
            if let Some(patch) = self.patch {
                s.push_str(&format!(".{patch}"));
            }
        }
        if let Some(pre) = &self.pre {
            s.push_str(pre);
        }
        s
    }

    /// `[major, minor, patch]`, unknown parts as 0.
    pub fn triple(&self) -> [u32; 3] {
        [self.major, self.minor.unwrap_or(0), self.patch.unwrap_or(0)]
    }

    /// Whether minor and patch are both known (`7.1.0`, `7.1.0rc1`).
    pub fn is_complete(&self) -> bool {
        self.patch.is_some()
    }
}

fn is_floating(text: &str) -> bool {
    text == "x" || text == "*"
}

/// Splits off a non-empty run of ASCII digits that fits a `u32` and is at
/// most 9 digits long (so a long numeric hash is not a version).
fn leading_number(text: &str) -> Option<(u32, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if end == 0 || end > 9 {
        return None;
    }
    let value = text[..end].parse().ok()?;
    Some((value, &text[end..]))
}

/// The `USE_BAZEL_VERSION` value set in a `.bazeliskrc` (dotenv syntax:
/// `KEY=VALUE` lines, `#` comments, optional `export `, optional quotes).
/// The last assignment wins. `None` when unset or empty.
pub fn bazeliskrc_version(contents: &str) -> Option<&str> {
    let mut found = None;
    for line in contents.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "USE_BAZEL_VERSION" {
            continue;
        }
        let value = value.trim();
        let value = ['"', '\'']
            .iter()
            .find_map(|&q| value.strip_prefix(q)?.strip_suffix(q))
            .unwrap_or(value)
            .trim();
        found = Some(value);
    }
    found.filter(|v| !v.is_empty())
}

/// The version Bazelisk would run, from (highest precedence first) the
/// `USE_BAZEL_VERSION` environment variable, the `USE_BAZEL_VERSION=` line of
/// the workspace `.bazeliskrc`, then the first line of `.bazelversion`. Empty
/// values count as unset.
///
/// The first source that names a version decides, even when its value is not
/// a number (`latest`, `last_green`, a path): the result is then `None`
/// rather than a lower-precedence file's version, because that is not what
/// Bazelisk would run. Bazelisk also reads `~/.bazeliskrc` after the
/// workspace one; callers may pass it when the workspace has none.
pub fn detect(
    bazelversion_file: Option<&str>,
    bazeliskrc_file: Option<&str>,
    use_bazel_version_env: Option<&str>,
) -> Option<BazelVersion> {
    let spec = use_bazel_version_env
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .or_else(|| bazeliskrc_file.and_then(bazeliskrc_version))
        .or_else(|| {
            bazelversion_file
                .and_then(|text| text.lines().next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        })?;
    BazelVersion::parse(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parts = (u32, Option<u32>, Option<u32>, Option<String>);

    fn triple(text: &str) -> Option<Parts> {
        BazelVersion::parse(text).map(|v| (v.major, v.minor, v.patch, v.pre))
    }

    #[test]
    fn parses_versions() {
        assert_eq!(triple("7.1.0"), Some((7, Some(1), Some(0), None)));
        assert_eq!(triple(" 7.1.0\n"), Some((7, Some(1), Some(0), None)));
        assert_eq!(
            triple("7.1.0rc1"),
            Some((7, Some(1), Some(0), Some("rc1".into())))
        );
        assert_eq!(
            triple("5.0.0-pre.20210317.1"),
            Some((5, Some(0), Some(0), Some("-pre.20210317.1".into())))
        );
        assert_eq!(triple("7.1"), Some((7, Some(1), None, None)));
        assert_eq!(triple("7"), Some((7, None, None, None)));
        assert_eq!(triple("7.x"), Some((7, None, None, None)));
        assert_eq!(triple("7.1.x"), Some((7, Some(1), None, None)));
        let fork = BazelVersion::parse("fork/7.1.0").expect("fork");
        assert_eq!(fork.fork.as_deref(), Some("fork"));
        assert_eq!((fork.major, fork.minor, fork.patch), (7, Some(1), Some(0)));
        assert_eq!(fork.raw, "fork/7.1.0");
        assert_eq!(fork.number(), "7.1.0");
        assert_eq!(fork.to_string(), "fork/7.1.0");
        assert!(fork.is_complete());
        assert_eq!(
            BazelVersion::parse("7.1.0rc1").map(|v| v.number()),
            Some("7.1.0rc1".into())
        );
    }

    #[test]
    fn rejects_non_versions() {
        for text in [
            "",
            "latest",
            "latest-1",
            "last_green",
            "last_downstream_green",
            "last_rc",
            "rolling",
            "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f",
            "1234567890123456789012345678901234567890",
            "7rc1",
            "/usr/local/bin/bazel",
            "./bazel",
            "tools/bin/bazel",
            "C:\\bazel\\bazel.exe",
            "~/bin/bazel",
            "a/b/7.1.0",
            "7.1.0 extra",
            "x.1",
            "7..1",
        ] {
            assert_eq!(BazelVersion::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn parses_version_output() {
        let v = BazelVersion::from_version_output("bazel 7.1.0\n").expect("parses");
        assert_eq!(v.number(), "7.1.0");
        assert_eq!(v.raw, "7.1.0");
        let v = BazelVersion::from_version_output("Some wrapper noise\nbazel 6.4.0rc2\n")
            .expect("parses");
        assert_eq!(v.number(), "6.4.0rc2");
        assert_eq!(
            BazelVersion::from_version_output("bazel no_version\n"),
            None
        );
        assert_eq!(
            BazelVersion::from_version_output("Bazelisk version: v1.19.0\n"),
            None
        );
        assert_eq!(BazelVersion::from_version_output(""), None);
    }

    #[test]
    fn reads_bazeliskrc() {
        assert_eq!(
            bazeliskrc_version("USE_BAZEL_VERSION=7.1.0\n"),
            Some("7.1.0")
        );
        assert_eq!(
            bazeliskrc_version(
                "# c\nBAZELISK_GITHUB_TOKEN=abc\nexport USE_BAZEL_VERSION = \"6.5.0\"\n"
            ),
            Some("6.5.0")
        );
        assert_eq!(
            bazeliskrc_version("USE_BAZEL_VERSION=1\nUSE_BAZEL_VERSION=2"),
            Some("2")
        );
        assert_eq!(bazeliskrc_version("# USE_BAZEL_VERSION=7.1.0"), None);
        assert_eq!(bazeliskrc_version("USE_BAZEL_VERSION="), None);
        assert_eq!(bazeliskrc_version("USE_BAZEL_VERSIONS=7.1.0"), None);
    }

    #[test]
    fn detect_precedence() {
        let number = |v: Option<BazelVersion>| v.map(|v| v.number());
        // .bazelversion alone: first line only.
        assert_eq!(
            number(detect(Some("7.1.0\n6.0.0\n"), None, None)),
            Some("7.1.0".into())
        );
        // .bazeliskrc beats .bazelversion.
        assert_eq!(
            number(detect(Some("7.1.0"), Some("USE_BAZEL_VERSION=6.5.0"), None)),
            Some("6.5.0".into())
        );
        // The environment beats both.
        assert_eq!(
            number(detect(
                Some("7.1.0"),
                Some("USE_BAZEL_VERSION=6.5.0"),
                Some("5.4.1")
            )),
            Some("5.4.1".into())
        );
        // Empty values are unset.
        assert_eq!(
            number(detect(
                Some("7.1.0"),
                Some("USE_BAZEL_VERSION="),
                Some("  ")
            )),
            Some("7.1.0".into())
        );
        // A non-numeric winner hides lower-precedence versions.
        assert_eq!(detect(Some("7.1.0"), None, Some("latest")), None);
        assert_eq!(
            detect(Some("7.1.0"), Some("USE_BAZEL_VERSION=last_green"), None),
            None
        );
        assert_eq!(detect(Some("\n7.1.0"), None, None), None);
        assert_eq!(detect(None, None, None), None);
        assert_eq!(number(detect(Some("7.x"), None, None)), Some("7".into()));
    }
}
