//! The host: everything that touches the machine (files, environment
//! variables, the Bazel binary). The analysis core never does; the LSP layer
//! and the CLI call in here and hand plain data to the core.

pub mod build_files;
pub mod buildifier;
pub mod eval_process;
pub mod external;
pub mod flags;
pub mod index;
pub mod memory;
pub mod priority;
pub mod programs;
pub mod rc;
pub mod repos;
pub mod walk;
pub mod workspace;
