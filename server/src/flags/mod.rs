//! The Bazel flag database: which command-line flags each Bazel version has,
//! which commands they apply to, and what their values look like.
//!
//! The data is Bazel's own `bazel help flags-as-proto` output. Dumps of a few
//! versions are compiled in ([`embedded`](mod@embedded), decoded lazily,
//! once); [`dump`] produces and caches a dump of the user's Bazel. Everything
//! except `dump` is pure: plain data in, plain data out, no protocol types.
//!
//! - [`proto`]: protobuf wire decoding of a dump.
//! - [`info`]: [`FlagInfo`], one flag, and [`ValueKind`].
//! - [`db`]: [`FlagDb`], the indexed flags of one version, command inheritance.
//! - [`version`]: [`BazelVersion`] and Bazelisk's version detection.
//! - [`embedded`](mod@embedded): the compiled-in databases.
//! - [`dump`]: running a Bazel binary (I/O), with [`base64`] for its output.

pub mod base64;
pub mod db;
pub mod dump;
pub mod embedded;
pub mod info;
pub mod proto;
pub mod version;

#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;

pub use db::FlagDb;
pub use embedded::{closest_embedded, embedded, embedded_versions, latest_embedded};
pub use info::{FlagInfo, ValueKind, BOOLEAN_VALUES, TRI_STATE_VALUES};
pub use proto::{DecodeError, DecodeErrorKind};
pub use version::{detect, BazelVersion};
