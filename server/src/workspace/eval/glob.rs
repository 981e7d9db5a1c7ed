//! `glob()` over a package's files, with Bazel's pattern rules: patterns
//! are `/`-separated; a `**` segment matches any number of directories
//! (also none); in other segments `*` matches any run of characters and `?`
//! one character, never across `/`. Results are sorted and unique.

/// The package files (package-relative, `/`-separated; directories end
/// with `/`) that match an `include` pattern and no `exclude` pattern.
/// Directories are matched only when `exclude_directories` is false.
pub(super) fn glob_files(
    files: &[String],
    include: &[String],
    exclude: &[String],
    exclude_directories: bool,
) -> Vec<String> {
    let include: Vec<Vec<&str>> = include.iter().map(|p| segments(p)).collect();
    let exclude: Vec<Vec<&str>> = exclude.iter().map(|p| segments(p)).collect();
    let mut out: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let (path, is_dir) = match file.strip_suffix('/') {
                Some(dir) => (dir, true),
                None => (file.as_str(), false),
            };
            if is_dir && exclude_directories {
                return None;
            }
            let parts: Vec<&str> = path.split('/').collect();
            let matches = |p: &Vec<&str>| path_matches(p, &parts);
            (include.iter().any(matches) && !exclude.iter().any(matches)).then(|| path.to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn segments(pattern: &str) -> Vec<&str> {
    pattern.split('/').filter(|s| !s.is_empty()).collect()
}

fn path_matches(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| path_matches(rest, &path[skip..])),
        Some((segment, rest)) => match path.split_first() {
            Some((first, path_rest)) => {
                segment_matches(segment, first) && path_matches(rest, path_rest)
            }
            None => false,
        },
    }
}

/// `*` and `?` wildcards within one segment (iterative, with one
/// backtracking point, so quadratic at worst on any input; no allocation).
/// `?` and the backtracking step move by whole characters.
fn segment_matches(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern == text;
    }
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    // The length of the UTF-8 character starting with byte `b`.
    let width = |b: u8| match b {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    };
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'?' {
            p += 1;
            t += width(text[t]);
        } else if p < pattern.len() && pattern[p] != b'*' && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            let next = st + width(text[st]);
            p = sp + 1;
            t = next;
            star = Some((sp, next));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(files: &[&str], include: &[&str], exclude: &[&str], dirs: bool) -> Vec<String> {
        let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        glob_files(&files, &strings(include), &strings(exclude), !dirs)
    }

    #[test]
    fn patterns() {
        let files = [
            "a.cc",
            "b.cc",
            "a_test.cc",
            "x.h",
            "sub/",
            "sub/c.cc",
            "sub/deep/d.cc",
            ".hidden.cc",
        ];
        assert_eq!(
            glob(&files, &["*.cc"], &["*_test.cc"], false),
            vec![".hidden.cc", "a.cc", "b.cc"]
        );
        assert_eq!(
            glob(&files, &["**/*.cc"], &["sub/deep/**"], false),
            vec![".hidden.cc", "a.cc", "a_test.cc", "b.cc", "sub/c.cc"]
        );
        assert_eq!(
            glob(&files, &["sub/**"], &[], false),
            vec!["sub/c.cc", "sub/deep/d.cc"]
        );
        assert_eq!(
            glob(&files, &["sub/**"], &[], true),
            vec!["sub", "sub/c.cc", "sub/deep/d.cc"]
        );
        assert_eq!(glob(&files, &["?.h", "x.*"], &[], false), vec!["x.h"]);
        assert_eq!(glob(&files, &["*"], &["*.cc"], false), vec!["x.h"]);
        assert!(glob(&files, &["nothing"], &[], false).is_empty());
        assert!(segment_matches("a*b*c", "aXXbYYc"));
        assert!(!segment_matches("a*b*c", "aXXbYY"));
        assert!(segment_matches("**", ""));
        assert!(segment_matches("?.txt", "é.txt"));
        assert!(segment_matches("*é?", "aébé\u{1F600}"));
        assert!(!segment_matches("?", "éé"));
    }
}
