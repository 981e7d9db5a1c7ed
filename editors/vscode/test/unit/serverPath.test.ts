// The server lookup, against real files and real processes: small shell
// scripts that behave like a working bzls, a broken one, and an impostor.
import { strict as assert } from "node:assert";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import {
  bundledServerPath,
  expandConfiguredPath,
  findServer,
  INSTALL_COMMAND,
  missingServerMessage,
  runVersion,
  ServerLookup,
} from "../../src/serverPath";

let root: string;

function script(rel: string, body: string): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

const WORKING = 'if [ "$1" = --version ]; then echo "bzls 0.1.0"; exit 0; fi; exit 2';
const BROKEN = 'echo "error while loading shared libraries: libfoo.so" >&2; exit 127';
const IMPOSTOR = 'echo "Bazel 7.1.0"';

function missing(r: ServerLookup): Extract<ServerLookup, { ok: false }> {
  assert.equal(r.ok, false, `expected no server, got ${JSON.stringify(r)}`);
  return r as Extract<ServerLookup, { ok: false }>;
}

describe("findServer", { skip: process.platform === "win32" }, () => {
  let good: string;
  let broken: string;
  let impostor: string;
  let pathGood: string;
  let extGood: string;
  let extNone: string;
  let extBroken: string;

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), "bzls-vscode-unit-"));
    good = script("bin-good/bzls", WORKING);
    broken = script("bin-broken/bzls", BROKEN);
    impostor = script("bin-impostor/bzls", IMPOSTOR);
    pathGood = path.dirname(good);
    extGood = path.join(root, "ext-good");
    script("ext-good/server/bzls", WORKING);
    extNone = path.join(root, "ext-none");
    mkdirSync(extNone);
    extBroken = path.join(root, "ext-broken");
    script("ext-broken/server/bzls", BROKEN);
    writeFileSync(path.join(root, "not-executable"), "#!/bin/sh\necho bzls 0.1.0\n");
    script("named/bzls-dev", WORKING);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("uses the setting first, even when another binary is bundled and on PATH", async () => {
    const r = await findServer({ configuredPath: good, extensionDir: extGood, pathEnv: pathGood });
    assert.deepEqual(r, { ok: true, path: good, source: "setting", version: "bzls 0.1.0" });
  });

  it("then the bundled binary", async () => {
    const r = await findServer({ configuredPath: "", extensionDir: extGood, pathEnv: pathGood });
    assert.deepEqual(r, {
      ok: true,
      path: bundledServerPath(extGood),
      source: "bundled",
      version: "bzls 0.1.0",
    });
  });

  it("then PATH, in PATH order", async () => {
    const pathEnv = ["/nonexistent-dir", "", path.join(root, "empty"), pathGood, path.dirname(broken)].join(":");
    const r = await findServer({ extensionDir: extNone, pathEnv });
    assert.deepEqual(r, { ok: true, path: good, source: "path", version: "bzls 0.1.0" });
  });

  it("falls back to PATH when the bundled binary is broken, and says why when PATH fails too", async () => {
    const ok = await findServer({ extensionDir: extBroken, pathEnv: pathGood });
    assert.equal(ok.ok && ok.source, "path");
    const r = missing(await findServer({ extensionDir: extBroken, pathEnv: path.dirname(impostor) }));
    assert.equal(r.attempts.length, 2);
    assert.equal(r.attempts[0]?.source, "bundled");
    assert.match(r.attempts[0]?.problem ?? "", /--version` failed: error while loading shared libraries/);
    assert.equal(r.attempts[1]?.source, "path");
    assert.match(r.attempts[1]?.problem ?? "", /printed "Bazel 7.1.0".*not a bzls binary/);
  });

  it("reports a broken setting instead of silently using another binary", async () => {
    for (const [configured, problem] of [
      [path.join(root, "does-not-exist"), /does not exist/],
      [root, /is not a file/],
      [path.join(root, "not-executable"), /is not executable/],
      [broken, /failed: error while loading shared libraries/],
      [impostor, /not a bzls binary/],
    ] as const) {
      const r = missing(await findServer({ configuredPath: configured, extensionDir: extGood, pathEnv: pathGood }));
      assert.equal(r.attempts.length, 1);
      assert.equal(r.attempts[0]?.source, "setting");
      assert.match(r.attempts[0]?.problem ?? "", problem);
      const message = missingServerMessage(r);
      assert.match(message, /bzls\.server\.path/);
      assert.ok(message.includes(configured), message);
    }
  });

  it("looks a bare name in the setting up on PATH", async () => {
    const r = await findServer({ configuredPath: "bzls-dev", extensionDir: extNone, pathEnv: path.join(root, "named") });
    assert.deepEqual(r, { ok: true, path: path.join(root, "named", "bzls-dev"), source: "setting", version: "bzls 0.1.0" });
  });

  it("expands ~ and ${workspaceFolder} in the setting", async () => {
    const viaHome = await findServer({ configuredPath: "~/bin-good/bzls", homeDir: root, extensionDir: extNone });
    assert.equal(viaHome.ok && viaHome.path, good);
    const viaFolder = await findServer({
      configuredPath: "${workspaceFolder}/bin-good/bzls",
      workspaceFolder: root,
      extensionDir: extNone,
    });
    assert.equal(viaFolder.ok && viaFolder.path, good);
    assert.equal(expandConfiguredPath("tools/bzls", "/home/u", "/ws"), "/ws/tools/bzls");
    assert.equal(expandConfiguredPath("  /abs/bzls ", "/home/u", undefined), "/abs/bzls");
  });

  it("says what to do when nothing is found", async () => {
    const r = missing(await findServer({ extensionDir: extNone, pathEnv: path.join(root, "empty") }));
    assert.deepEqual(r.attempts, [{ source: "path", path: "bzls", problem: "is not on PATH" }]);
    const message = missingServerMessage(r);
    assert.ok(message.includes(INSTALL_COMMAND), message);
    assert.match(message, /`bzls` is not on PATH/);
    assert.match(message, /set `bzls\.server\.path`/);
    const none = missing(await findServer({ extensionDir: extNone, pathEnv: undefined }));
    assert.equal(none.attempts[0]?.problem, "is not on PATH");
  });

  it("runs --version with a time limit and reads its first line", async () => {
    assert.deepEqual(await runVersion(good), { ok: true, version: "bzls 0.1.0" });
    const slow = script("slow/bzls", "sleep 30");
    const started = Date.now();
    const r = await runVersion(slow, 500);
    assert.equal(r.ok, false);
    assert.ok(Date.now() - started < 10_000, "the probe must not wait for a hanging binary");
  });
});
