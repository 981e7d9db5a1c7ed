//! Building the rc model for a request or a diagnostics pass: the chain of
//! the workspace around an rc document, read from open buffers first and the
//! disk otherwise, and the flag database for the workspace's Bazel version.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tower_lsp::lsp_types::Url;

use super::settings::Settings;
use super::state::State;
use crate::analysis::rc::RcContext;
use crate::host::flags::{cache_dir, choose, workspace_version, FlagDbChoice};
use crate::host::rc::{
    chain_for_file, home_dir, rc_roots, DiskRcReader, OverlayReader, RcSelection,
};
use crate::host::workspace::workspace_of;
use crate::rc::chain::{normalize, FileId, RcSource};
use crate::rc::RcChain;
use crate::syntax::FileKind;

/// What building a model needs from the server state, captured under the
/// lock so the model can be built without it.
#[derive(Clone)]
pub struct RcInputs {
    pub overlays: Arc<HashMap<PathBuf, RcSource>>,
    pub root: Option<PathBuf>,
    pub settings: Settings,
    pub disk: Arc<DiskRcReader>,
    /// The Bazel binary's version, when the flag dump found it.
    pub bazel_version: Option<crate::flags::BazelVersion>,
}

/// The rc chain around one file, with the database that answers for it.
pub struct RcModel {
    pub chain: RcChain,
    pub choice: FlagDbChoice,
    pub version: Option<String>,
    pub file: FileId,
}

impl RcModel {
    pub fn ctx(&self) -> RcContext<'_> {
        RcContext {
            chain: &self.chain,
            db: self.choice.db,
            exact: self.choice.exact,
            version: self.version.as_deref(),
            file: self.file,
        }
    }
}

impl RcInputs {
    /// Which default rc files the settings let Bazel read.
    fn selection(&self) -> RcSelection {
        RcSelection {
            system_rc: self.settings.system_rc,
            home_rc: self.settings.home_rc,
            ..RcSelection::default()
        }
    }

    /// Open rc buffers first, then the disk.
    fn reader(&self) -> OverlayReader<'_> {
        OverlayReader {
            overlays: &self.overlays,
            disk: &self.disk,
        }
    }
}

/// The inputs for models, from the current state.
pub fn inputs(state: &State) -> RcInputs {
    let mut overlays = HashMap::new();
    for (uri, open) in state.documents.iter() {
        if open.doc.kind() != FileKind::Bazelrc {
            continue;
        }
        if let (Ok(path), Some(source)) = (uri.to_file_path(), open.rc_source()) {
            overlays.insert(normalize(&path), source);
        }
    }
    RcInputs {
        overlays: Arc::new(overlays),
        root: state.root.clone(),
        settings: state.settings.clone(),
        disk: state.rc_disk.clone(),
        bazel_version: state.bazel_version.clone(),
    }
}

/// The rc chain Bazel reads for `workspace` (system, workspace and home rc
/// files as the settings select, and their imports), open buffers first.
pub fn workspace_chain(inputs: &RcInputs, workspace: &Path) -> RcChain {
    let selection = inputs.selection();
    let reader = inputs.reader();
    let version = workspace_version(Some(workspace)).or_else(|| inputs.bazel_version.clone());
    let roots = rc_roots(Some(workspace), &selection, home_dir().as_deref());
    RcChain::load_for(
        Some(workspace),
        &roots,
        &reader,
        version.as_ref().map(|v| v.triple()),
    )
}

/// The rc chain Bazel reads for `workspace`, from the current state (open
/// rc buffers first): the rc files whose labels references and rename
/// of targets reach.
pub fn current_workspace_chain(state: &super::state::SharedState, workspace: &Path) -> RcChain {
    let inputs = inputs(&super::state::lock(state));
    workspace_chain(&inputs, workspace)
}

/// Builds the model for the rc file at `uri`; `None` for non-file URIs.
pub fn build(inputs: &RcInputs, uri: &Url) -> Option<RcModel> {
    let path = normalize(&uri.to_file_path().ok()?);
    let workspace = workspace_of(&path, inputs.root.as_deref());
    let selection = inputs.selection();
    let reader = inputs.reader();
    let version = workspace_version(workspace.as_deref()).or_else(|| inputs.bazel_version.clone());
    let (chain, file) = chain_for_file(
        &path,
        workspace.as_deref(),
        &selection,
        &reader,
        version.as_ref().map(|v| v.triple()),
    )?;
    let choice = choose(version.as_ref(), cache_dir().as_deref());
    tracing::debug!(
        version = ?version.as_ref().map(|v| &v.raw),
        database = choice.db.version(),
        exact = choice.exact,
        "rc model"
    );
    Some(RcModel {
        chain,
        choice,
        version: version.map(|v| v.raw),
        file,
    })
}
