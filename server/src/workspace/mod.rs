//! The workspace model (issue 3, in progress), pure parts: labels as Bazel
//! defines them, what a BUILD file declares (read statically by
//! [`package`], or by evaluating it and the workspace's own macros like
//! Bazel's loading phase in [`eval`]), and label resolution against a
//! [`resolve::PackageLookup`]. Still to come: the workspace index (walk,
//! background indexing, watchers), external repositories, and the editor
//! features on top.

pub mod check;
pub mod eval;
pub mod label;
pub mod package;
pub mod resolve;
#[cfg(test)]
pub(crate) mod testing;

pub use label::{parse_label, Label, LabelError, Repo, Special};
