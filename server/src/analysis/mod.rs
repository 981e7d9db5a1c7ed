//! The analysis core: documents, and IDE features computed from a snapshot.
//!
//! Invariants:
//! - No I/O and no protocol types: inputs are texts, outputs plain data in
//!   byte offsets ([`crate::text::TextRange`]).
//! - Features take a [`DocumentSnapshot`], which is immutable and cheap to
//!   clone, so they can run on any thread while edits continue.

pub mod diagnostics;
mod document;
pub mod folding;
pub mod rc;
pub mod scope;
pub mod selection;
pub mod semantic_tokens;
pub mod semantics;
pub mod symbols;
pub mod workspace;

pub use crate::diagnostic::{Diagnostic, DiagnosticCode, Fix, Related, Severity};
pub use document::{
    BackgroundOutcome, Document, DocumentSnapshot, EditAnomaly, PendingReparse, Reparsed,
    MAX_ANALYSED_SIZE,
};

#[cfg(test)]
mod tests;
