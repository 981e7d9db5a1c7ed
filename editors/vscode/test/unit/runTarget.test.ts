import { strict as assert } from "node:assert";
import { test } from "node:test";

import { parseRunTarget, shellLine, shellQuote, terminalName } from "../../src/runTarget";

test("a lens argument is checked", () => {
  const good = { command: "test", label: "//pkg:t", argv: ["bazel", "test", "//pkg:t"], cwd: "/ws" };
  assert.deepEqual(parseRunTarget(good), good);
  assert.equal(parseRunTarget(undefined), undefined);
  assert.equal(parseRunTarget({ ...good, argv: [] }), undefined);
  assert.equal(parseRunTarget({ ...good, argv: ["bazel", 3] }), undefined);
  assert.equal(parseRunTarget({ ...good, cwd: null }), undefined);
});

test("words are quoted for the shell only when needed", () => {
  assert.equal(shellQuote("//pkg:t"), "//pkg:t");
  assert.equal(shellQuote("--config=ci"), "--config=ci");
  assert.equal(shellQuote("--copt=-DX Y"), "'--copt=-DX Y'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote(""), "''");
  assert.equal(shellQuote("$(rm -rf ~)"), "'$(rm -rf ~)'");
});

test("the terminal runs the whole command line", () => {
  const target = {
    command: "run",
    label: "//app:bin",
    argv: ["/opt/bazelisk", "run", "--config=ci", "--copt=-DA B", "//app:bin"],
    cwd: "/ws",
  };
  assert.equal(shellLine(target), "/opt/bazelisk run --config=ci '--copt=-DA B' //app:bin");
  assert.equal(terminalName(target), "bazel run //app:bin");
});
