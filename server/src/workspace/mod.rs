//! The workspace model, pure parts: labels as Bazel defines them
//! ([`label`]); what a BUILD file declares, read statically ([`package`])
//! or by evaluating it and the workspace's own macros like Bazel's loading
//! phase ([`eval`]); what a .bzl file binds ([`bzl`]); the label strings a
//! BUILD file mentions ([`mentions`]), with Bazel's native rule schemas
//! ([`schema`]); resolution against a
//! [`resolve::PackageLookup`]; the diagnostics ([`check`]); and the
//! external repositories `MODULE.bazel` and `WORKSPACE` declare
//! ([`repos`]). The index on disk is [`crate::host::index`].

pub mod bzl;
pub mod check;
pub mod eval;
pub mod label;
pub mod mentions;
pub mod outline;
pub mod package;
pub mod repos;
pub mod resolve;
pub mod schema;
pub mod summary;
#[cfg(test)]
pub(crate) mod testing;

pub use label::{parse_label, Label, LabelError, Repo, Special};
