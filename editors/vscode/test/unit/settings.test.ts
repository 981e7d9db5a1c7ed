import { strict as assert } from "node:assert";
import { describe, it } from "node:test";

import {
  changedSettings,
  mergeSelection,
  parseActive,
  parseListConfigs,
  pickItems,
  serverSettings,
  statusText,
  statusTooltip,
} from "../../src/settings";

/** A reader over flat dotted keys under `bzls.`, as VS Code's getConfiguration("bzls").get does. */
function reader(values: Record<string, unknown>) {
  return (key: string) => values[key];
}

describe("serverSettings", () => {
  it("nests every mirrored setting under its public name", () => {
    const s = serverSettings(
      reader({
        command: "test",
        configs: ["cuda", "opt"],
        flags: ["--copt=-O2"],
        "bazel.path": "/usr/bin/bazelisk",
        "bazel.allowRun": true,
        "buildifier.path": " /opt/buildifier ",
        "buildifier.lint": "off",
        "buildifier.warnings": "all",
        "rc.homeRc": false,
        "rc.systemRc": true,
        "codeLens.targets": false,
        "server.path": "/not/mirrored",
        "trace.server": "verbose",
      }),
    );
    assert.deepEqual(s, {
      bzls: {
        command: "test",
        configs: ["cuda", "opt"],
        flags: ["--copt=-O2"],
        bazel: { path: "/usr/bin/bazelisk", allowRun: true },
        buildifier: { path: "/opt/buildifier", lint: "off", warnings: "all" },
        rc: { homeRc: false, systemRc: true },
        codeLens: { targets: false },
      },
    });
  });

  it("leaves out unset, empty and ill-typed values", () => {
    assert.deepEqual(serverSettings(reader({})), { bzls: {} });
    assert.deepEqual(
      serverSettings(
        reader({
          command: "  ",
          configs: "cuda",
          flags: [1, "", " --x "],
          "bazel.path": "",
          "buildifier.path": 7,
          "buildifier.lint": "sometimes",
          "buildifier.warnings": "  ",
          "rc.homeRc": "no",
        }),
      ),
      { bzls: { flags: ["--x"] } },
    );
    assert.deepEqual(serverSettings(reader({ "bazel.allowRun": false, configs: [] })), {
      bzls: { configs: [], bazel: { allowRun: false } },
    });
  });
});

describe("changedSettings", () => {
  it("notifies for mirrored settings and restarts for the server path", () => {
    const affects = (changed: string[]) => (section: string) =>
      changed.some((c) => c === section || c.startsWith(section + ".") || section.startsWith(c + "."));
    assert.deepEqual(changedSettings(affects(["bzls.rc.homeRc"])), { notify: true, restart: false });
    assert.deepEqual(changedSettings(affects(["bzls.configs"])), { notify: true, restart: false });
    assert.deepEqual(changedSettings(affects(["bzls.server.path"])), { notify: false, restart: true });
    assert.deepEqual(changedSettings(affects(["bzls.trace.server"])), { notify: false, restart: false });
    assert.deepEqual(changedSettings(affects(["editor.fontSize"])), { notify: false, restart: false });
    assert.deepEqual(changedSettings(affects(["bzls"])), { notify: true, restart: true });
  });
});

const LIST = {
  workspace: "/ws",
  configs: [
    {
      name: "cuda",
      description: "Build with CUDA.\nNeeds the toolkit.",
      commands: ["build", "test"],
      locations: [{ uri: "file:///ws/.bazelrc", range: {} }],
    },
    { name: "opt", description: null, commands: ["build"], locations: [] },
    { name: "ci", description: null, commands: [], locations: [] },
  ],
  active: { command: "build", configs: ["opt", "gone"], flags: [] },
};

describe("bzls/listConfigs", () => {
  it("reads the server's answer", () => {
    const list = parseListConfigs(LIST);
    assert.equal(list.workspace, "/ws");
    assert.deepEqual(
      list.configs.map((c) => c.name),
      ["cuda", "opt", "ci"],
    );
    assert.deepEqual(list.active, { command: "build", configs: ["opt", "gone"], flags: [] });
    assert.deepEqual(parseListConfigs({ workspace: null, configs: [], active: LIST.active }).configs, []);
  });

  it("rejects malformed answers with a message", () => {
    assert.throws(() => parseListConfigs(null), /expected an object/);
    assert.throws(() => parseListConfigs({ ...LIST, configs: {} }), /"configs" must be a list/);
    assert.throws(() => parseListConfigs({ ...LIST, workspace: 3 }), /"workspace"/);
    assert.throws(() => parseListConfigs({ ...LIST, configs: [{ description: "x" }] }), /without a name/);
    assert.throws(() => parseListConfigs({ ...LIST, active: { configs: [] } }), /malformed active/);
    assert.throws(() => parseActive("x"), /expected an active configuration/);
  });

  it("makes quick-pick items: commands and description shown, active ones checked, stale ones kept", () => {
    assert.deepEqual(pickItems(parseListConfigs(LIST)), [
      {
        label: "cuda",
        description: "build:cuda, test:cuda",
        detail: "Build with CUDA. Needs the toolkit.",
        picked: false,
      },
      { label: "opt", description: "build:opt", picked: true },
      { label: "ci", description: "", picked: false },
      { label: "gone", description: "", detail: "not defined in the workspace's rc files", picked: true },
    ]);
  });
});

describe("the picker's choice", () => {
  it("keeps the order of configs already active and appends new ones", () => {
    assert.deepEqual(mergeSelection(["opt", "cuda"], ["cuda", "ci", "opt"]), ["opt", "cuda", "ci"]);
    assert.deepEqual(mergeSelection(["opt", "cuda"], ["cuda"]), ["cuda"]);
    assert.deepEqual(mergeSelection([], ["a", "b", "a"]), ["a", "b"]);
    assert.deepEqual(mergeSelection(["a"], []), []);
  });

  it("shows in the status bar", () => {
    assert.equal(statusText([]), "$(settings) config: none");
    assert.equal(statusText(["cuda", "opt"]), "$(settings) config: cuda, opt");
    assert.match(statusTooltip("test", ["cuda"]), /bazel test --config=cuda/);
  });
});
