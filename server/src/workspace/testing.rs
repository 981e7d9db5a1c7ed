//! An in-memory workspace for the workspace tests.

use std::collections::HashMap;
use std::sync::Arc;

use ropey::Rope;

use super::bzl::{bzl_globals, BzlGlobals};
use super::package::{package_decls, PackageDecls};
use super::resolve::{NameEvidence, PackageLookup, RepoVisibility};
use crate::syntax::parse_str;

/// An in-memory workspace: BUILD texts by package, and other files.
pub struct Memory {
    packages: HashMap<String, Arc<PackageDecls>>,
    files: Vec<String>,
    bzl: HashMap<String, Arc<BzlGlobals>>,
    /// Declared repositories; `None`: undecidable.
    repos: Option<Vec<String>>,
    /// The absolute labels the BUILD texts hold, with their package.
    mentions: Vec<(String, String)>,
}

impl Memory {
    pub fn new(builds: &[(&str, &str)], files: &[&str]) -> Memory {
        let packages = builds
            .iter()
            .map(|(pkg, text)| {
                let tree = parse_str(text);
                (
                    pkg.to_string(),
                    Arc::new(package_decls(&tree, &Rope::from_str(text))),
                )
            })
            .collect();
        let mentions = builds
            .iter()
            .flat_map(|(pkg, text)| {
                let tree = parse_str(text);
                super::summary::summarize(pkg, &tree, &Rope::from_str(text))
                    .mentions
                    .into_iter()
                    .map(|(label, _)| (label, pkg.to_string()))
            })
            .collect();
        Memory {
            packages,
            files: files.iter().map(|f| f.to_string()).collect(),
            bzl: HashMap::new(),
            repos: None,
            mentions,
        }
    }

    /// Declares exactly these repositories.
    pub fn with_repos(mut self, names: &[&str]) -> Memory {
        self.repos = Some(names.iter().map(|n| n.to_string()).collect());
        self
    }

    /// Adds a .bzl file at a workspace-relative path.
    pub fn with_bzl(mut self, path: &str, text: &str) -> Memory {
        let tree = parse_str(text);
        self.bzl.insert(
            path.to_string(),
            Arc::new(bzl_globals(&tree, &Rope::from_str(text))),
        );
        self.files.push(path.to_string());
        self
    }
}

impl PackageLookup for Memory {
    fn is_package(&self, package: &str) -> bool {
        self.packages.contains_key(package)
    }

    fn decls(&self, package: &str) -> Option<Arc<PackageDecls>> {
        self.packages.get(package).cloned()
    }

    fn is_file(&self, path: &str) -> bool {
        self.files.iter().any(|f| f == path)
    }

    fn dir_entries(&self, dir: &str) -> Arc<[(String, bool)]> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut entries: Vec<(String, bool)> = self
            .files
            .iter()
            .filter_map(|f| f.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .map(|rest| (rest.to_string(), false))
            .collect();
        entries.sort();
        Arc::from(entries)
    }

    fn bzl_globals(&self, path: &str) -> Option<Arc<BzlGlobals>> {
        self.bzl.get(path).cloned()
    }

    fn name_evidence(&self, package: &str, name: &str, current: &str) -> NameEvidence {
        let naming = |n: &str| {
            let label = format!("//{package}:{n}");
            let mut packages: Vec<&str> = self
                .mentions
                .iter()
                .filter(|(l, _)| *l == label)
                .map(|(_, p)| p.as_str())
                .collect();
            packages.sort_unstable();
            packages.dedup();
            (packages.len(), packages.iter().any(|p| *p != current))
        };
        let (named_by, named_elsewhere) = naming(name);
        let prefix = format!("//{package}:");
        let mut near: Vec<String> = self
            .mentions
            .iter()
            .filter_map(|(l, _)| l.strip_prefix(&prefix))
            .filter(|other| {
                *other != name && crate::suggest::one_edit_apart(other, name) && {
                    let (count, elsewhere) = naming(other);
                    elsewhere && count > named_by
                }
            })
            .map(str::to_string)
            .collect();
        near.sort();
        near.dedup();
        if named_elsewhere {
            near.clear();
        }
        NameEvidence {
            named_elsewhere,
            near,
        }
    }

    fn repo_visibility(&self, name: &str) -> RepoVisibility {
        match &self.repos {
            None => RepoVisibility::Undecidable,
            Some(names) if names.iter().any(|n| n == name) => RepoVisibility::Visible,
            Some(_) => RepoVisibility::Unknown,
        }
    }
}
