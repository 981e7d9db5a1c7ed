//! The workspace model (issue 3, in progress), pure parts: labels as Bazel
//! defines them, what a BUILD file declares (read statically), label
//! resolution against a [`resolve::PackageLookup`], and the external
//! repositories `MODULE.bazel` and `WORKSPACE` declare ([`repos`]). Still
//! to come: background indexing and watchers, macro evaluation, resolving
//! labels into external repositories, and the editor features on top.

pub mod bzl;
pub mod check;
pub mod label;
pub mod mentions;
pub mod package;
pub mod repos;
pub mod resolve;
pub mod summary;
#[cfg(test)]
pub(crate) mod testing;

pub use label::{parse_label, Label, LabelError, Repo, Special};
