// Finding the bzls binary. No `vscode` import: unit-tested with node:test.
//
// Order: 1. the setting `bzls.server.path` (when set, it is the only
// candidate: a broken path there is reported, never silently replaced);
// 2. the binary bundled in the extension (`server/bzls`); 3. `bzls` on PATH.
// Each candidate is checked by running `bzls --version`, which must print
// `bzls X.Y.Z`.

import { execFile } from "node:child_process";
import { constants as fsConstants, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Where a candidate binary came from. */
export type ServerSource = "setting" | "bundled" | "path";

export interface ServerFound {
  ok: true;
  path: string;
  source: ServerSource;
  /** What `--version` printed, e.g. `bzls 0.1.0`. */
  version: string;
}

export interface Attempt {
  source: ServerSource;
  path: string;
  /** Why it cannot be used. */
  problem: string;
}

export interface ServerMissing {
  ok: false;
  /** Every candidate looked at, in order, with what was wrong with it. */
  attempts: Attempt[];
}

export type ServerLookup = ServerFound | ServerMissing;

export type ProbeResult = { ok: true; version: string } | { ok: false; problem: string };

/** Runs `BIN --version`; resolves to what it printed, or why it failed. */
export type Probe = (bin: string) => Promise<ProbeResult>;

export interface LookupOptions {
  /** The value of `bzls.server.path` (empty or undefined: not set). */
  configuredPath?: string | undefined;
  /** The extension's install directory. */
  extensionDir: string;
  /** The first workspace folder, for `${workspaceFolder}` and relative paths. */
  workspaceFolder?: string | undefined;
  /** `process.env.PATH`. */
  pathEnv?: string | undefined;
  platform?: NodeJS.Platform;
  homeDir?: string;
  probe?: Probe;
}

export const INSTALL_COMMAND = "cargo install --path server --locked";

const VERSION_LINE = /^bzls \d+\.\d+\.\d+\S*$/;

export function binaryName(platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? "bzls.exe" : "bzls";
}

/** The bundled binary's path inside the extension. */
export function bundledServerPath(extensionDir: string, platform: NodeJS.Platform = process.platform): string {
  return path.join(extensionDir, "server", binaryName(platform));
}

/** Expands `~` and `${workspaceFolder}`; resolves a relative path against the workspace folder. */
export function expandConfiguredPath(
  value: string,
  homeDir: string,
  workspaceFolder: string | undefined,
): string {
  let p = value.trim();
  if (p === "~") {
    p = homeDir;
  } else if (p.startsWith("~/") || p.startsWith("~\\")) {
    p = path.join(homeDir, p.slice(2));
  }
  if (p.includes("${workspaceFolder}")) {
    if (workspaceFolder === undefined) {
      return p;
    }
    p = p.split("${workspaceFolder}").join(workspaceFolder);
  }
  if (!path.isAbsolute(p) && p.includes(path.sep) && workspaceFolder !== undefined) {
    p = path.resolve(workspaceFolder, p);
  }
  return p;
}

/** The first executable `name` (default `bzls`) in a directory of PATH. */
export async function findOnPath(
  pathEnv: string | undefined,
  platform: NodeJS.Platform = process.platform,
  name: string = binaryName(platform),
): Promise<string | undefined> {
  if (!pathEnv) {
    return undefined;
  }
  const sep = platform === "win32" ? ";" : ":";
  for (const dir of pathEnv.split(sep)) {
    if (dir === "") {
      continue;
    }
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    const stat = await fs.stat(p);
    if (!stat.isFile()) {
      return false;
    }
    await fs.access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why `p` cannot be run, before trying: missing, a directory, not executable. */
async function fileProblem(p: string): Promise<string | undefined> {
  let stat;
  try {
    stat = await fs.stat(p);
  } catch {
    return "does not exist";
  }
  if (!stat.isFile()) {
    return "is not a file";
  }
  try {
    await fs.access(p, fsConstants.X_OK);
  } catch {
    return "is not executable";
  }
  return undefined;
}

/** The real probe: `BIN --version`, given `timeoutMs` (default 10 s). */
export const runVersion = (bin: string, timeoutMs = 10_000): Promise<ProbeResult> =>
  new Promise((resolve) => {
    execFile(bin, ["--version"], { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      const out = String(stdout).trim();
      if (error) {
        const detail = String(stderr).trim() || error.message;
        resolve({ ok: false, problem: `\`--version\` failed: ${firstLine(detail)}` });
        return;
      }
      const line = firstLine(out);
      if (!VERSION_LINE.test(line)) {
        resolve({
          ok: false,
          problem: `\`--version\` printed ${JSON.stringify(line)}, not \`bzls X.Y.Z\`: not a bzls binary`,
        });
        return;
      }
      resolve({ ok: true, version: line });
    });
  });

function firstLine(s: string): string {
  return s.split(/\r?\n/, 1)[0] ?? "";
}

/** Looks for a working bzls binary: the setting, then the bundled one, then PATH. */
export async function findServer(options: LookupOptions): Promise<ServerLookup> {
  const platform = options.platform ?? process.platform;
  const probe = options.probe ?? ((bin: string) => runVersion(bin));
  const attempts: Attempt[] = [];

  const check = async (source: ServerSource, p: string): Promise<ServerFound | undefined> => {
    const problem = await fileProblem(p);
    if (problem !== undefined) {
      attempts.push({ source, path: p, problem });
      return undefined;
    }
    const result = await probe(p);
    if (!result.ok) {
      attempts.push({ source, path: p, problem: result.problem });
      return undefined;
    }
    return { ok: true, path: p, source, version: result.version };
  };

  const configured = options.configuredPath?.trim();
  if (configured) {
    let p = expandConfiguredPath(configured, options.homeDir ?? os.homedir(), options.workspaceFolder);
    if (!path.isAbsolute(p) && !p.includes(path.sep)) {
      // A bare name (`bzls-dev`): look it up on PATH, as a shell would.
      p = (await findOnPath(options.pathEnv, platform, p)) ?? p;
    }
    return (await check("setting", p)) ?? { ok: false, attempts };
  }

  const bundled = bundledServerPath(options.extensionDir, platform);
  const found = await check("bundled", bundled);
  if (found) {
    return found;
  }
  // A missing bundled binary is the usual case, not worth mentioning.
  if (attempts.length > 0 && attempts[attempts.length - 1]?.problem === "does not exist") {
    attempts.pop();
  }

  const onPath = await findOnPath(options.pathEnv, platform);
  if (onPath === undefined) {
    attempts.push({ source: "path", path: binaryName(platform), problem: "is not on PATH" });
    return { ok: false, attempts };
  }
  return (await check("path", onPath)) ?? { ok: false, attempts };
}

/** The notification text for a failed lookup: what was wrong and what to do. */
export function missingServerMessage(missing: ServerMissing): string {
  const tried = missing.attempts.map(describeAttempt).join("; ");
  const fromSetting = missing.attempts.some((a) => a.source === "setting");
  const advice = fromSetting
    ? "Fix the setting `bzls.server.path` (or clear it to use `bzls` on PATH)."
    : `Install it from a bzls checkout with \`${INSTALL_COMMAND}\`, or set \`bzls.server.path\` to the binary.`;
  return `bzls: no working language server binary. ${tried}. ${advice}`;
}

function describeAttempt(a: Attempt): string {
  switch (a.source) {
    case "setting":
      return `bzls.server.path (${a.path}) ${a.problem}`;
    case "bundled":
      return `the bundled binary (${a.path}) ${a.problem}`;
    case "path":
      return a.problem === "is not on PATH" ? "`bzls` is not on PATH" : `${a.path} (on PATH) ${a.problem}`;
  }
}
