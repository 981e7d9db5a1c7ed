// The VS Code side of bzls: starts the language server, mirrors the
// settings to it, and offers the active --config picker.

import * as path from "node:path";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

import { parseRunTarget, shellLine, terminalName } from "./runTarget";
import { findServer, missingServerMessage, ServerFound } from "./serverPath";
import {
  changedSettings,
  mergeSelection,
  parseActive,
  parseListConfigs,
  pickItems,
  serverSettings,
  ServerSettings,
  statusText,
  statusTooltip,
} from "./settings";

const LIST_CONFIGS = "bzls/listConfigs";
/** Server-side command (the language client registers it in VS Code itself). */
const SET_ACTIVE_CONFIG = "bzls.setActiveConfig";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let status: vscode.StatusBarItem;
let extensionDir: string;
/** Serializes start/stop/restart. */
let lifecycle: Promise<void> = Promise.resolve();

function currentSettings(): ServerSettings {
  const config = vscode.workspace.getConfiguration("bzls");
  return serverSettings((key) => config.get(key));
}

function log(message: string): void {
  output.appendLine(`[${new Date().toISOString()}] ${message}`);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionDir = context.extensionPath;
  output = vscode.window.createOutputChannel("bzls");
  status = vscode.window.createStatusBarItem("bzls.config", vscode.StatusBarAlignment.Left, 0);
  status.name = "bzls active configuration";
  status.command = "bzls.pickConfig";
  context.subscriptions.push(output, status);

  context.subscriptions.push(
    vscode.commands.registerCommand("bzls.restartServer", () => restart()),
    vscode.commands.registerCommand("bzls.showOutput", () => output.show(true)),
    vscode.commands.registerCommand("bzls.pickConfig", () => pickConfig()),
    vscode.commands.registerCommand("bzls.runTarget", (arg: unknown) => runTarget(arg)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      const changed = changedSettings((section) => event.affectsConfiguration(section));
      if (changed.restart) {
        log("bzls.server.path changed: restarting the server");
        void restart();
        return;
      }
      if (changed.notify) {
        const settings = currentSettings();
        updateStatus(settings);
        if (client?.state === State.Running) {
          log(`settings changed: ${JSON.stringify(settings)}`);
          void client.sendNotification(DidChangeConfigurationNotification.type, { settings });
        }
      }
    }),
  );

  updateStatus(currentSettings());
  await enqueue(start);
}

/** Runs a target lens's Bazel command in a terminal of its own. */
function runTarget(arg: unknown): void {
  const target = parseRunTarget(arg);
  if (target === undefined) {
    log(`bzls.runTarget: not a target: ${JSON.stringify(arg)}`);
    return;
  }
  log(`running ${shellLine(target)} in ${target.cwd}`);
  const terminal = vscode.window.createTerminal({ name: terminalName(target), cwd: target.cwd });
  terminal.show(true);
  terminal.sendText(shellLine(target));
}

export function deactivate(): Promise<void> | undefined {
  return enqueue(stop);
}

function enqueue(step: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(step, step);
  return lifecycle;
}

function restart(): Promise<void> {
  return enqueue(async () => {
    await stop();
    await start();
  });
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  status.hide();
  if (running === undefined) {
    return;
  }
  try {
    await running.stop(5000);
  } catch (e) {
    log(`stopping the server failed: ${errorMessage(e)}`);
  }
}

async function start(): Promise<void> {
  const config = vscode.workspace.getConfiguration("bzls");
  const lookup = await findServer({
    configuredPath: config.get<string>("server.path"),
    extensionDir,
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    pathEnv: process.env.PATH,
  });
  if (!lookup.ok) {
    const message = missingServerMessage(lookup);
    log(message);
    void showMissingServer(message);
    return;
  }
  await startClient(lookup);
}

async function showMissingServer(message: string): Promise<void> {
  const openSetting = "Open Setting";
  const showOutput = "Show Output";
  const choice = await vscode.window.showErrorMessage(message, openSetting, showOutput);
  if (choice === openSetting) {
    await vscode.commands.executeCommand("workbench.action.openSettings", "bzls.server.path");
  } else if (choice === showOutput) {
    output.show(true);
  }
}

async function startClient(server: ServerFound): Promise<void> {
  log(`starting ${server.version} from ${server.path} (${server.source})`);
  const serverOptions: ServerOptions = {
    command: server.path,
    // No `transport`: the client would append `--stdio`, which `bzls serve` does not take.
    args: ["serve"],
    options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(server.path) },
  };
  const settings = currentSettings();
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "starlark" },
      { scheme: "file", language: "bazelrc" },
    ],
    initializationOptions: settings,
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
  const next = new LanguageClient("bzls", "bzls", serverOptions, clientOptions);
  client = next;
  try {
    await next.start();
  } catch (e) {
    client = undefined;
    // No automatic restarts of a server that cannot start.
    await next.dispose().catch(() => undefined);
    const message = `bzls: the language server (${server.path}) failed to start: ${errorMessage(e)}`;
    log(message);
    void showMissingServer(message);
    return;
  }
  updateStatus(settings);
  status.show();
}

function updateStatus(settings: ServerSettings, active?: { command: string; configs: string[] }): void {
  const command = active?.command ?? settings.bzls.command ?? "build";
  const configs = active?.configs ?? settings.bzls.configs ?? [];
  status.text = statusText(configs);
  status.tooltip = statusTooltip(command, configs);
  status.accessibilityInformation = {
    label: `bzls active configs: ${configs.length === 0 ? "none" : configs.join(", ")}`,
  };
}

/** A URI inside the workspace for `bzls/listConfigs`: the active file, else the first folder. */
function workspaceUri(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc?.uri.scheme === "file") {
    return doc.uri.toString();
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri.toString();
}

async function pickConfig(): Promise<void> {
  const running = client;
  if (running === undefined || running.state !== State.Running) {
    const choice = await vscode.window.showErrorMessage(
      "bzls: the language server is not running, so the configs cannot be listed.",
      "Restart Server",
      "Show Output",
    );
    if (choice === "Restart Server") {
      await restart();
    } else if (choice === "Show Output") {
      output.show(true);
    }
    return;
  }
  let list;
  try {
    const uri = workspaceUri();
    list = parseListConfigs(await running.sendRequest(LIST_CONFIGS, uri === undefined ? {} : { uri }));
  } catch (e) {
    log(`${LIST_CONFIGS} failed: ${errorMessage(e)}`);
    void vscode.window.showErrorMessage(`bzls: listing the configs failed: ${errorMessage(e)}`);
    return;
  }
  if (list.configs.length === 0 && list.active.configs.length === 0) {
    void vscode.window.showInformationMessage(
      list.workspace === null
        ? "bzls: no Bazel workspace is open."
        : `bzls: the rc files of ${list.workspace} define no configs (\`build:NAME\` sections).`,
    );
    return;
  }
  const items = pickItems(list);
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: "bzls: active --configs",
    placeHolder: `Configs for \`bazel ${list.active.command}\` (select() previews); the choice is saved in the workspace settings`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (picked === undefined) {
    return;
  }
  const configs = mergeSelection(
    list.active.configs,
    picked.map((item) => item.label),
  );
  try {
    const result = await running.sendRequest(ExecuteCommandRequest.type, {
      command: SET_ACTIVE_CONFIG,
      arguments: [{ configs }],
    });
    const active = parseActive(result);
    log(`active configuration: ${JSON.stringify(active)}`);
    updateStatus(currentSettings(), active);
  } catch (e) {
    log(`${SET_ACTIVE_CONFIG} failed: ${errorMessage(e)}`);
    void vscode.window.showErrorMessage(`bzls: setting the active configs failed: ${errorMessage(e)}`);
    return;
  }
  try {
    await vscode.workspace
      .getConfiguration("bzls")
      .update("configs", configs, vscode.ConfigurationTarget.Workspace);
  } catch (e) {
    void vscode.window.showErrorMessage(`bzls: saving bzls.configs in the workspace settings failed: ${errorMessage(e)}`);
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
