//! bzls: a language server for Bazel files.
//!
//! Layers, from the bottom up (see ARCHITECTURE.md): [`text`] (ropes and
//! positions), [`syntax`] (trees), [`analysis`] (features on snapshots,
//! plain data), [`lsp`] (the protocol), [`cli`].

pub mod analysis;
pub mod cli;
pub mod db;
pub mod diagnostic;
pub mod flags;
pub mod hash;
pub mod host;
pub mod lsp;
pub mod rc;
pub mod select;
pub mod suggest;
pub mod syntax;
pub mod text;
pub mod workspace;

#[cfg(test)]
mod fixture;
