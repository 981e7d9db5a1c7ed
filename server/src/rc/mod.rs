//! The `.bazelrc` model: rc files lexed as Bazel lexes them, the chain of
//! files a workspace reads, and the effective options of a command with the
//! provenance of each.
//!
//! Everything here is plain data computed without I/O: callers hand file
//! contents in through [`chain::RcReader`].

pub mod chain;
pub mod expand;
pub mod file;
pub mod lexer;
pub mod options;
pub mod schema;

pub use chain::{RcChain, RcReader, RcRoot, ReadError};
pub use expand::{expand, EffectiveOption, ExpandError, ExpandErrorKind, Expansion, OptionSource};
pub use schema::{FlagSchema, FlagShape, NoSchema};
