//! The active configuration and the configs an editor's picker offers:
//! the `bzls/listConfigs` request and the `bzls.setActiveConfig` command.
//! Both shapes are public (docs/server.md, "Custom requests and commands").

use std::path::PathBuf;

use serde_json::{json, Map, Value};
use tower_lsp::jsonrpc::{Error, Result};
use tower_lsp::lsp_types::Url;

use super::convert;
use super::rc_model::{self, RcInputs};
use super::settings::Settings;
use super::state::{lock, SharedState};
use crate::analysis::rc::configs::list_configs;
use crate::analysis::rc::FileRange;
use crate::host::workspace::find_workspace_root;
use crate::text::PositionEncoding;

/// The request that lists the configs of a workspace's rc files.
pub const LIST_CONFIGS: &str = "bzls/listConfigs";
/// The `workspace/executeCommand` command that sets the active configuration.
pub const SET_ACTIVE_CONFIG: &str = "bzls.setActiveConfig";

/// What `bzls/listConfigs` needs, captured under the state lock.
pub struct ListConfigsInput {
    rc: RcInputs,
    workspace: Option<PathBuf>,
    encoding: PositionEncoding,
}

/// Reads the request's params: `{"uri"?: string}`, any file or folder URI
/// inside the workspace; without it, the server's root workspace.
pub fn list_configs_input(state: &SharedState, params: &Value) -> Result<ListConfigsInput> {
    let uri = match params {
        Value::Null => None,
        Value::Object(obj) => match obj.get("uri") {
            None | Some(Value::Null) => None,
            Some(Value::String(uri)) => Some(
                Url::parse(uri)
                    .map_err(|e| Error::invalid_params(format!("bad uri {uri:?}: {e}")))?,
            ),
            Some(other) => {
                return Err(Error::invalid_params(format!(
                    "\"uri\" must be a string, not {other}"
                )))
            }
        },
        other => {
            return Err(Error::invalid_params(format!(
                "expected {{\"uri\"?: string}}, got {other}"
            )))
        }
    };
    let state = lock(state);
    let start = match &uri {
        Some(uri) => Some(
            uri.to_file_path()
                .map_err(|()| Error::invalid_params(format!("{uri} is not a file URI")))?,
        ),
        None => state.root.clone(),
    };
    let workspace = start.map(|start| find_workspace_root(&start).unwrap_or(start));
    Ok(ListConfigsInput {
        rc: rc_model::inputs(&state),
        workspace,
        encoding: state.encoding,
    })
}

/// The answer to `bzls/listConfigs`. Reads rc files (blocking pool).
pub fn list_configs_answer(input: ListConfigsInput) -> Value {
    let active = active_json(&input.rc.settings);
    let Some(workspace) = input.workspace else {
        return json!({"workspace": null, "configs": [], "active": active});
    };
    let chain = rc_model::workspace_chain(&input.rc, &workspace);
    let configs: Vec<Value> = list_configs(&chain)
        .into_iter()
        .map(|config| {
            let locations: Vec<Value> = config
                .sections
                .iter()
                .filter_map(|&(file, range)| {
                    let at = FileRange {
                        file,
                        path: chain.files[file].path.clone(),
                        range,
                    };
                    convert::file_location(&at, &chain, input.encoding)
                })
                .map(|location| json!(location))
                .collect();
            json!({
                "name": config.name,
                "description": config.description,
                "commands": config.commands,
                "locations": locations,
            })
        })
        .collect();
    json!({
        "workspace": workspace.display().to_string(),
        "configs": configs,
        "active": active,
    })
}

/// `bzls.setActiveConfig` with `[{"configs"?: [string], "command"?: string,
/// "flags"?: [string]}]`: sets what is given, keeps the rest, and returns
/// the new active configuration. Nothing changes when an argument is bad.
pub fn set_active_config(state: &SharedState, arguments: &[Value]) -> Result<Value> {
    let [Value::Object(args)] = arguments else {
        return Err(Error::invalid_params(format!(
            "{SET_ACTIVE_CONFIG} takes one argument {{\"configs\"?: [string], \"command\"?: string, \"flags\"?: [string]}}"
        )));
    };
    let configs = string_list(args, "configs")?;
    let flags = string_list(args, "flags")?;
    let command = match args.get("command") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) if !c.trim().is_empty() => Some(c.trim().to_string()),
        Some(other) => {
            return Err(Error::invalid_params(format!(
                "\"command\" must be a non-empty string, not {other}"
            )))
        }
    };
    let mut state = lock(state);
    let settings = &mut state.settings;
    if let Some(configs) = configs {
        settings.configs = configs;
    }
    if let Some(flags) = flags {
        settings.flags = flags;
    }
    if let Some(command) = command {
        settings.command = command;
    }
    tracing::info!(
        command = %settings.command,
        configs = ?settings.configs,
        flags = ?settings.flags,
        "active configuration set"
    );
    Ok(active_json(settings))
}

fn string_list(args: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) if !s.is_empty() => Ok(s.clone()),
                other => Err(Error::invalid_params(format!(
                    "\"{key}\" must list non-empty strings, not {other}"
                ))),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(other) => Err(Error::invalid_params(format!(
            "\"{key}\" must be a list of strings, not {other}"
        ))),
    }
}

/// `{"command", "configs", "flags"}` of the settings.
fn active_json(settings: &Settings) -> Value {
    json!({
        "command": settings.command,
        "configs": settings.configs,
        "flags": settings.flags,
    })
}
