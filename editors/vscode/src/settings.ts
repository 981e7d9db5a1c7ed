// The settings bzls reads, and the active-config picker's logic. No `vscode`
// import: unit-tested with node:test.

/** Reads one setting under `bzls.` (e.g. `rc.homeRc`); undefined when unset. */
export type SettingReader = (key: string) => unknown;

/** The server's settings, nested as `{"bzls": {...}}` (its public names). */
export interface ServerSettings {
  bzls: {
    command?: string;
    configs?: string[];
    flags?: string[];
    bazel?: { path?: string; allowRun?: boolean };
    buildifier?: { path?: string; lint?: "warn" | "off"; warnings?: string };
    rc?: { homeRc?: boolean; systemRc?: boolean };
    codeLens?: { targets?: boolean };
  };
}

/** The setting keys (under `bzls.`) mirrored to the server. */
export const SERVER_SETTING_KEYS = [
  "command",
  "configs",
  "flags",
  "bazel.path",
  "bazel.allowRun",
  "buildifier.path",
  "buildifier.lint",
  "buildifier.warnings",
  "rc.homeRc",
  "rc.systemRc",
  "codeLens.targets",
] as const;

/** Settings whose change needs a new server process rather than a notification. */
export const RESTART_SETTING_KEYS = ["server.path"] as const;

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) {
    return undefined;
  }
  return value.filter((v): v is string => typeof v === "string" && v.trim() !== "").map((v) => v.trim());
}

/**
 * The settings to send as `initializationOptions` and with
 * `workspace/didChangeConfiguration`. Values of the wrong type are left
 * out (the server keeps its default); an empty `bazel.path` or
 * `buildifier.path` means "look it up" and is left out too.
 */
export function serverSettings(read: SettingReader): ServerSettings {
  const out: ServerSettings = { bzls: {} };
  const command = read("command");
  if (typeof command === "string" && command.trim() !== "") {
    out.bzls.command = command.trim();
  }
  const configs = stringList(read("configs"));
  if (configs !== undefined) {
    out.bzls.configs = configs;
  }
  const flags = stringList(read("flags"));
  if (flags !== undefined) {
    out.bzls.flags = flags;
  }
  const bazelPath = read("bazel.path");
  const allowRun = read("bazel.allowRun");
  if ((typeof bazelPath === "string" && bazelPath.trim() !== "") || typeof allowRun === "boolean") {
    out.bzls.bazel = {};
    if (typeof bazelPath === "string" && bazelPath.trim() !== "") {
      out.bzls.bazel.path = bazelPath.trim();
    }
    if (typeof allowRun === "boolean") {
      out.bzls.bazel.allowRun = allowRun;
    }
  }
  const buildifier: NonNullable<ServerSettings["bzls"]["buildifier"]> = {};
  const buildifierPath = read("buildifier.path");
  if (typeof buildifierPath === "string" && buildifierPath.trim() !== "") {
    buildifier.path = buildifierPath.trim();
  }
  const lint = read("buildifier.lint");
  if (lint === "warn" || lint === "off") {
    buildifier.lint = lint;
  }
  const warnings = read("buildifier.warnings");
  if (typeof warnings === "string" && warnings.trim() !== "") {
    buildifier.warnings = warnings.trim();
  }
  if (Object.keys(buildifier).length > 0) {
    out.bzls.buildifier = buildifier;
  }
  const homeRc = read("rc.homeRc");
  const systemRc = read("rc.systemRc");
  if (typeof homeRc === "boolean" || typeof systemRc === "boolean") {
    out.bzls.rc = {};
    if (typeof homeRc === "boolean") {
      out.bzls.rc.homeRc = homeRc;
    }
    if (typeof systemRc === "boolean") {
      out.bzls.rc.systemRc = systemRc;
    }
  }
  const targetLenses = read("codeLens.targets");
  if (typeof targetLenses === "boolean") {
    out.bzls.codeLens = { targets: targetLenses };
  }
  return out;
}

/** Whether a configuration change touching `affects(section)` concerns the server's settings or process. */
export function changedSettings(affects: (section: string) => boolean): { notify: boolean; restart: boolean } {
  return {
    notify: SERVER_SETTING_KEYS.some((k) => affects(`bzls.${k}`)),
    restart: RESTART_SETTING_KEYS.some((k) => affects(`bzls.${k}`)),
  };
}

// ---------------------------------------------------------------------------
// bzls/listConfigs and the picker.

export interface ConfigInfo {
  name: string;
  description: string | null;
  commands: string[];
  locations: unknown[];
}

export interface ActiveConfig {
  command: string;
  configs: string[];
  flags: string[];
}

export interface ListConfigsResult {
  workspace: string | null;
  configs: ConfigInfo[];
  active: ActiveConfig;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** Checks an `active` object from the server (listConfigs, setActiveConfig). */
export function parseActive(value: unknown): ActiveConfig {
  if (typeof value !== "object" || value === null) {
    throw new Error(`expected an active configuration object, got ${JSON.stringify(value)}`);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.command !== "string" || !isStringArray(v.configs) || !isStringArray(v.flags)) {
    throw new Error(`malformed active configuration: ${JSON.stringify(value)}`);
  }
  return { command: v.command, configs: v.configs, flags: v.flags };
}

/** Checks the result of `bzls/listConfigs`; throws with what is wrong. */
export function parseListConfigs(value: unknown): ListConfigsResult {
  if (typeof value !== "object" || value === null) {
    throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  }
  const v = value as Record<string, unknown>;
  if (v.workspace !== null && typeof v.workspace !== "string") {
    throw new Error(`"workspace" must be a string or null, got ${JSON.stringify(v.workspace)}`);
  }
  if (!Array.isArray(v.configs)) {
    throw new Error(`"configs" must be a list, got ${JSON.stringify(v.configs)}`);
  }
  const configs = v.configs.map((c: unknown): ConfigInfo => {
    const o = (typeof c === "object" && c !== null ? c : {}) as Record<string, unknown>;
    if (typeof o.name !== "string" || o.name === "") {
      throw new Error(`a config without a name: ${JSON.stringify(c)}`);
    }
    return {
      name: o.name,
      description: typeof o.description === "string" ? o.description : null,
      commands: isStringArray(o.commands) ? o.commands : [],
      locations: Array.isArray(o.locations) ? o.locations : [],
    };
  });
  return { workspace: v.workspace, configs, active: parseActive(v.active) };
}

export interface PickItem {
  /** The config name. */
  label: string;
  /** Shown beside the label: the commands it has sections for. */
  description: string;
  /** Shown below: the comment above its first section. */
  detail?: string;
  picked: boolean;
}

/**
 * The quick-pick items: every config of the rc files, in their order,
 * checked when active; then active configs the rc files do not define
 * (so they can be unchecked).
 */
export function pickItems(list: ListConfigsResult): PickItem[] {
  const active = new Set(list.active.configs);
  const items: PickItem[] = list.configs.map((c) => {
    const item: PickItem = {
      label: c.name,
      description: c.commands.length > 0 ? c.commands.map((cmd) => `${cmd}:${c.name}`).join(", ") : "",
      picked: active.has(c.name),
    };
    const detail = c.description?.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "").join(" ");
    if (detail) {
      item.detail = detail;
    }
    return item;
  });
  const defined = new Set(list.configs.map((c) => c.name));
  for (const name of list.active.configs) {
    if (!defined.has(name)) {
      items.push({ label: name, description: "", detail: "not defined in the workspace's rc files", picked: true });
      defined.add(name);
    }
  }
  return items;
}

/**
 * The new active list after a pick: the configs kept keep their order
 * (`--config` order matters), the newly picked ones follow in the order
 * the picker showed them.
 */
export function mergeSelection(previous: readonly string[], picked: readonly string[]): string[] {
  const chosen = new Set(picked);
  const kept = previous.filter((name, i) => chosen.has(name) && previous.indexOf(name) === i);
  const added = picked.filter((name, i) => !kept.includes(name) && picked.indexOf(name) === i);
  return [...kept, ...added];
}

/** The status-bar text for the active configs. */
export function statusText(configs: readonly string[]): string {
  return `$(settings) config: ${configs.length === 0 ? "none" : configs.join(", ")}`;
}

/** The status-bar tooltip. */
export function statusTooltip(command: string, configs: readonly string[]): string {
  const flags = configs.map((c) => `--config=${c}`).join(" ");
  return `bzls active configuration: bazel ${command}${flags ? " " + flags : ""}. Click to pick the active --configs.`;
}
