// End-to-end test of the extension in a real VS Code (code-server), driven
// through Chromium with playwright-core. Started by tests/tests/vscode.rs,
// which installs everything, starts code-server and asserts on the JSON
// this script prints last (`BZLS_E2E_RESULT {...}`). This script only
// observes and reports what the editor shows; it decides nothing.
//
// Usage: node run.js CONFIG_JSON
//   {"playwrightCore": "/path/to/node_modules/playwright-core",
//    "chromium": "/usr/bin/chromium",
//    "url": "http://127.0.0.1:PORT/?folder=/abs/ws",
//    "workspace": "/abs/ws",
//    "artifacts": "/abs/dir for screenshots",
//    "userSettings": "/abs/user-data-dir/User/settings.json",
//    "serverPath": "/abs/bzls",
//    "buildifier": "/abs/buildifier" or null (then no format step),
//    "timeoutMs": 240000}
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const config = JSON.parse(process.argv[2]);
const { chromium } = require(config.playwrightCore);

const result = { steps: {}, screenshots: [], errors: [] };
const started = Date.now();

function elapsed() {
  return Date.now() - started;
}

function log(message) {
  process.stderr.write(`[e2e ${(elapsed() / 1000).toFixed(1)}s] ${message}\n`);
}

async function shot(page, name) {
  const file = path.join(config.artifacts, `${name}.png`);
  try {
    await page.screenshot({ path: file });
    result.screenshots.push(file);
  } catch (e) {
    log(`screenshot ${name} failed: ${e.message}`);
  }
}

/** Runs one step; its error is recorded and the later steps still run. */
async function step(page, name, fn) {
  log(`step ${name}`);
  const t0 = Date.now();
  try {
    result.steps[name] = { ...(await fn()), ms: Date.now() - t0 };
  } catch (e) {
    result.steps[name] = { error: String(e && e.stack ? e.stack : e), ms: Date.now() - t0 };
    result.errors.push(`${name}: ${e && e.message ? e.message : e}`);
    await shot(page, `${name}-failure`);
    // Leave whatever widget was open, so the next step starts clean.
    await page.keyboard.press("Escape").catch(() => {});
    await page.keyboard.press("Escape").catch(() => {});
  }
}

/** Opens a workspace file through Quick Open. */
async function openFile(page, relPath, tabTitle, rowText = tabTitle) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input.input");
  await input.waitFor({ state: "visible" });
  await input.fill(relPath);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: rowText }).first();
  await row.waitFor({ state: "visible" });
  if (rowText === tabTitle) {
    await page.keyboard.press("Enter");
  } else {
    // Several files share a name: pick the row of this one.
    await row.click();
  }
  await page.locator(".tab.active", { hasText: tabTitle }).waitFor({ state: "visible" });
  await page.locator(".monaco-editor .view-lines").first().waitFor({ state: "visible" });
}

/** Runs a command by its title through the command palette. */
async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input.input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  await page
    .locator(".quick-input-list .monaco-list-row", { has: page.locator(".label-name", { hasText: new RegExp(`^${title}$`) }) })
    .first()
    .waitFor({ state: "visible" });
  await page.keyboard.press("Enter");
}

/**
 * Focuses the active editor with a click on the left of a text line (a
 * click above the first line could land on a code lens and run it).
 */
async function focusEditor(page) {
  await page
    .locator(".editor-group-container.active .monaco-editor .view-line")
    .last()
    .click({ position: { x: 2, y: 3 } });
}

/** Moves the cursor with Go to Line (`line:column`, 1-based). */
async function goTo(page, line, column) {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input.input");
  await input.waitFor({ state: "visible" });
  // Go to Line's input starts with `:`; without it, it is a file search.
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await page.locator("[id='status.editor.selection']", { hasText: `Ln ${line}, Col ${column}` }).waitFor();
}

/**
 * The labels of the suggest widget once it shows rows: it opens as typed
 * text triggers it, else on Ctrl+Space.
 */
async function suggestions(page) {
  const rows = page.locator(".editor-widget.suggest-widget.visible .monaco-list-row");
  try {
    await rows.first().waitFor({ state: "visible", timeout: 5_000 });
  } catch {
    await page.keyboard.press("Control+Space");
    await rows.first().waitFor({ state: "visible" });
  }
  await page.waitForTimeout(300);
  return suggestLabels(rows);
}

/** Undoes the typing in the active editor until it is clean again. */
async function undoTyping(page) {
  for (let i = 0; i < 50 && (await page.locator(".tab.active.dirty").count()) > 0; i++) {
    await page.keyboard.press("Control+Z");
  }
}

/** The labels of the suggest widget's rows (those on screen). */
async function suggestLabels(rows) {
  return rows.evaluateAll((els) =>
    els.map((el) => {
      const name = el.querySelector(".label-name");
      return name ? name.textContent.trim() : el.getAttribute("aria-label");
    }),
  );
}

async function statusSelection(page) {
  return (await page.locator("[id='status.editor.selection']").innerText()).trim();
}

async function breadcrumbs(page) {
  return (await page.locator(".editor-group-container.active .breadcrumbs-control").first().innerText())
    .split(/\s+/)
    .filter((s) => s !== "");
}

const STATUS = "[id='bzls.bzls.bzls.config']";

/** The rows of the open quick pick: label, description, detail, checked. */
async function quickPickRows(page) {
  const rows = page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
  await rows.first().waitFor({ state: "visible" });
  return rows.evaluateAll((els) =>
    els.map((el) => {
      const text = (sel) => {
        const n = el.querySelector(sel);
        return n ? n.textContent.trim() : "";
      };
      // A multi-select row is itself a checkbox (role, aria-checked).
      const checked = el.getAttribute("role") === "checkbox" ? el.getAttribute("aria-checked") === "true" : null;
      return {
        label: text(".quick-input-list-label .label-name") || text(".label-name"),
        description: text(".label-description"),
        detail: text(".quick-input-list-label-meta") || text(".quick-input-list-detail"),
        checked,
        aria: el.getAttribute("aria-label"),
      };
    }),
  );
}

async function main() {
  fs.mkdirSync(config.artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const hardStop = setTimeout(() => {
    result.errors.push(`hard time limit of ${config.timeoutMs} ms reached`);
    finish(browser, 1);
  }, config.timeoutMs);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    await page.goto(config.url);
    await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 90_000 });
    result.workbenchMs = elapsed();
    log("workbench loaded");

    // 1. The server path setting points nowhere: a notification says what to do.
    await step(page, "missingServer", async () => {
      const toast = page.locator(".notification-toast", { hasText: "bzls: no working language server binary" });
      await toast.first().waitFor({ state: "visible", timeout: 60_000 });
      const message = (await toast.first().locator(".notification-list-item-message").innerText()).trim();
      const buttons = await toast.first().locator(".monaco-button").allInnerTexts();
      await shot(page, "01-missing-server");
      // The button opens the setting.
      await toast.first().locator(".monaco-button", { hasText: "Open Setting" }).click();
      const settingsEditor = page.locator(".settings-editor");
      await settingsEditor.waitFor({ state: "visible" });
      const shownSetting = page.locator(".settings-editor .setting-item-contents", { hasText: "Server: Path" });
      await shownSetting.first().waitFor({ state: "visible" });
      const settingText = (await shownSetting.first().innerText()).trim();
      await shot(page, "02-open-setting");
      // Fix the setting there, as a user would; the extension restarts the server.
      const input = shownSetting.first().locator("input");
      await input.fill(config.serverPath);
      await input.press("Enter");
      await page.locator(STATUS).waitFor({ state: "visible", timeout: 60_000 });
      const saved = JSON.parse(fs.readFileSync(config.userSettings, "utf8"))["bzls.server.path"];
      await page.keyboard.press("Escape");
      if (await settingsEditor.isVisible()) {
        await page.keyboard.press("Control+W");
      }
      await settingsEditor.waitFor({ state: "hidden" });
      return { message, buttons: buttons.map((b) => b.trim()), settingText, saved };
    });

    // 2. A broken dep: a squiggle and a Problems entry.
    await step(page, "diagnostics", async () => {
      await openFile(page, "app/BUILD.bazel", "BUILD.bazel");
      await page.locator(".monaco-editor .squiggly-error").first().waitFor({ state: "visible", timeout: 60_000 });
      const squiggles = await page.locator(".monaco-editor .squiggly-error").count();
      await page.keyboard.press("Control+Shift+M");
      const rows = page.locator(".markers-panel .monaco-list-row");
      await rows.filter({ hasText: "unresolved-target" }).first().waitFor({ state: "visible" });
      const problems = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
      await shot(page, "03-diagnostics");
      return { squiggles, problems };
    });

    // 3. F12 on a label opens the defining BUILD file at the target.
    await step(page, "definition", async () => {
      const text = fs.readFileSync(path.join(config.workspace, "app/BUILD.bazel"), "utf8").split("\n");
      const line = text.findIndex((l) => l.includes('"//lib:util"'));
      const column = text[line].indexOf("//lib:util") + 7; // inside `util`
      await focusEditor(page);
      await goTo(page, line + 1, column + 1);
      await page.keyboard.press("F12");
      // Both files are BUILD.bazel: VS Code tells them apart by folder in the tab.
      const tab = page.locator(".tab.active", { hasText: "lib" });
      await tab.waitFor({ state: "visible" });
      const tabText = (await tab.innerText()).replace(/\s+/g, " ").trim();
      // The cursor moves to the target once the new editor has its selection.
      const fromText = `Ln ${line + 1}, Col ${column + 1}`;
      await page
        .waitForFunction((from) => {
          const el = document.getElementById("status.editor.selection");
          return el !== null && el.textContent.trim() !== from;
        }, fromText, { timeout: 10_000 })
        .catch(() => log(`the selection stayed at ${fromText}`));
      const crumbs = await breadcrumbs(page);
      const selection = await statusSelection(page);
      await shot(page, "04-definition");
      return { from: { line: line + 1, column: column + 1 }, tab: tabText, breadcrumbs: crumbs, selection };
    });

    // 4. Completion after --config= in .bazelrc offers the workspace's configs.
    await step(page, "completion", async () => {
      await openFile(page, ".bazelrc", ".bazelrc");
      await focusEditor(page);
      await page.keyboard.press("Control+End");
      await page.keyboard.press("Enter");
      await page.keyboard.type("build --config=", { delay: 30 });
      const labels = await suggestions(page);
      await shot(page, "05-completion");
      await page.keyboard.press("Escape");
      // Undo the typing: the file stays as on disk.
      await undoTyping(page);
      const dirty = (await page.locator(".tab.active.dirty").count()) > 0;
      return { labels, dirty };
    });

    // 5. The status-bar picker lists the configs; picking one updates the status bar and the setting.
    await step(page, "picker", async () => {
      const status = page.locator(STATUS);
      const before = (await status.innerText()).trim();
      await status.click();
      const items = await quickPickRows(page);
      await shot(page, "06-picker");
      const pick = config.pick;
      const row = page.locator(".quick-input-widget .quick-input-list .monaco-list-row", {
        has: page.locator(".label-name", { hasText: new RegExp(`^${pick}$`) }),
      });
      await row.locator(".label-name").first().click();
      await page.keyboard.press("Enter");
      await page.locator(STATUS, { hasText: pick }).waitFor({ state: "visible" });
      const after = (await status.innerText()).trim();
      await shot(page, "07-picked");
      // Reopened, the picker shows the server's active configs.
      await status.click();
      const reopened = await quickPickRows(page);
      await page.keyboard.press("Escape");
      return { before, items, picked: pick, after, reopened };
    });

    // 6. Format Document on a badly formatted BUILD file (buildifier through the server), then save.
    await step(page, "format", async () => {
      if (!config.buildifier) {
        return { skipped: "no buildifier" };
      }
      await openFile(page, "fmt/BUILD.bazel", "BUILD.bazel", "fmt");
      await focusEditor(page);
      await runCommand(page, "Format Document");
      await page.locator(".tab.active.dirty").waitFor({ state: "visible", timeout: 30_000 });
      await shot(page, "08-formatted");
      await page.keyboard.press("Control+S");
      await page.locator(".tab.active.dirty").waitFor({ state: "hidden" });
      return { text: fs.readFileSync(path.join(config.workspace, "fmt/BUILD.bazel"), "utf8") };
    });

    // 7. Rename a target from a label in another package (F2), then save everything.
    await step(page, "rename", async () => {
      await openFile(page, "app/BUILD.bazel", "BUILD.bazel", "app");
      const text = fs.readFileSync(path.join(config.workspace, "app/BUILD.bazel"), "utf8").split("\n");
      const line = text.findIndex((l) => l.includes('"//lib:util"'));
      const column = text[line].indexOf("//lib:util") + 7; // inside `util`
      await focusEditor(page);
      await goTo(page, line + 1, column + 1);
      await page.keyboard.press("F2");
      const input = page.locator(".rename-box input");
      await input.waitFor({ state: "visible" });
      const placeholder = await input.inputValue();
      await input.fill("core");
      await input.press("Enter");
      await page.locator(".tab.active.dirty").waitFor({ state: "visible", timeout: 30_000 });
      await shot(page, "09-renamed");
      await runCommand(page, "File: Save All Files");
      await page.waitForFunction(() => document.querySelectorAll(".tab.dirty").length === 0, null, { timeout: 30_000 });
      const read = (rel) => fs.readFileSync(path.join(config.workspace, rel), "utf8");
      return { placeholder, app: read("app/BUILD.bazel"), lib: read("lib/BUILD.bazel") };
    });

    // 8. A label's document link opens its target. "Open Link" follows the
    // link under the cursor (what Ctrl+click does, without depending on
    // Monaco's mouse-hover timing, which flaked under load on 2 cores).
    await step(page, "link", async () => {
      await openFile(page, "app/BUILD.bazel", "BUILD.bazel", "app");
      const lineEl = page.locator(".editor-group-container.active .view-line", { hasText: "//lib:core" }).first();
      await lineEl.waitFor({ state: "visible" });
      // The server's document links: Monaco marks each link range.
      await lineEl.locator(".detected-link").first().waitFor({ state: "attached", timeout: 20_000 });
      const links = await lineEl.locator(".detected-link").allInnerTexts();
      const text = fs.readFileSync(path.join(config.workspace, "app/BUILD.bazel"), "utf8").split("\n");
      const line = text.findIndex((l) => l.includes('"//lib:core"'));
      const column = text[line].indexOf("//lib:core") + 7; // inside `core`
      await focusEditor(page);
      await goTo(page, line + 1, column + 1);
      await runCommand(page, "Open Link");
      const tab = page.locator(".tab.active", { hasText: "lib" });
      try {
        await tab.waitFor({ state: "visible", timeout: 10_000 });
      } catch {
        // Under load the first Open Link can come before the link is
        // resolved: ask once more.
        log("the link did not open: asking again");
        await focusEditor(page);
        await goTo(page, line + 1, column + 1);
        await runCommand(page, "Open Link");
        await tab.waitFor({ state: "visible", timeout: 20_000 });
      }
      await page.waitForTimeout(500);
      const selection = await statusSelection(page);
      await shot(page, "10-link");
      return { links, tab: (await tab.innerText()).replace(/\s+/g, " ").trim(), selection };
    });
    // 9. Starlark: squiggles for what Bazel rejects, attribute completion
    // and signature help while typing a call, hover on a rule, members
    // after `ctx.`.
    await step(page, "starlark", async () => {
      await openFile(page, "star/BUILD.bazel", "BUILD.bazel", "star");
      await page.locator(".monaco-editor .squiggly-error").nth(2).waitFor({ state: "attached", timeout: 60_000 });
      await page.keyboard.press("Control+Shift+M");
      const rows = page.locator(".markers-panel .monaco-list-row");
      await rows.filter({ hasText: "duplicate-target" }).first().waitFor({ state: "visible" });
      const problems = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
      await shot(page, "11-starlark-problems");
      // Hover on `cc_library` (line 2).
      await focusEditor(page);
      await goTo(page, 2, 3);
      // The hover also shows the line's diagnostics (buildifier's lint):
      // wait for the part with the rule's attributes (asked again once, if
      // the first hover came before the server's answer).
      const hover = page.locator(".monaco-hover", { hasText: "attribute" }).first();
      await runCommand(page, "Show or Focus Hover");
      try {
        await hover.waitFor({ state: "visible", timeout: 8_000 });
      } catch {
        log("no hover yet: asking again");
        await page.keyboard.press("Escape");
        await goTo(page, 2, 3);
        await runCommand(page, "Show or Focus Hover");
        await hover.waitFor({ state: "visible", timeout: 20_000 });
      }
      const hoverText = (await hover.innerText()).replace(/\s+/g, " ").trim();
      await shot(page, "12-starlark-hover");
      await page.keyboard.press("Escape");
      // Type a call: signature help on `(`, attribute names on `na`.
      await focusEditor(page);
      await page.keyboard.press("Control+End");
      await page.keyboard.press("Enter");
      await page.keyboard.type("cc_library(", { delay: 30 });
      const hints = page.locator(".parameter-hints-widget.visible .signature");
      try {
        await hints.first().waitFor({ state: "visible", timeout: 8_000 });
      } catch {
        log("no signature help yet: triggering it");
        await page.keyboard.press("Control+Shift+Space");
        await hints.first().waitFor({ state: "visible", timeout: 20_000 });
      }
      const signature = (await hints.first().innerText()).replace(/\s+/g, " ").trim();
      await shot(page, "13-starlark-signature");
      await page.keyboard.type("na", { delay: 30 });
      const attributes = await suggestions(page);
      await shot(page, "14-starlark-attributes");
      await page.keyboard.press("Escape");
      await page.keyboard.press("Escape");
      await undoTyping(page);
      // Members after `ctx.` in a .bzl file.
      await openFile(page, "star/defs.bzl", "defs.bzl");
      await focusEditor(page);
      await goTo(page, 2, 15);
      await page.keyboard.type(".", { delay: 30 });
      const ctxMembers = await suggestions(page);
      await shot(page, "15-starlark-ctx");
      await page.keyboard.press("Escape");
      await undoTyping(page);
      const dirty = (await page.locator(".tab.dirty").count()) > 0;
      return { problems, hover: hoverText, signature, attributes, ctxMembers, dirty };
    });
  } finally {
    clearTimeout(hardStop);
  }
  await finish(browser, 0);
}

let finished = false;
async function finish(browser, code) {
  if (finished) {
    return;
  }
  finished = true;
  result.totalMs = elapsed();
  process.stdout.write(`BZLS_E2E_RESULT ${JSON.stringify(result)}\n`);
  await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
  process.exit(code);
}

main().catch((e) => {
  result.errors.push(`fatal: ${e && e.stack ? e.stack : e}`);
  process.stdout.write(`BZLS_E2E_RESULT ${JSON.stringify(result)}\n`);
  process.exit(1);
});
