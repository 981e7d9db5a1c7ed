//! The workspace model (issue 3, in progress): labels as Bazel defines them.
//! Packages, targets, the index and label resolution come next.

pub mod label;

pub use label::{parse_label, Label, LabelError, Repo, Special};
