// Bundles the extension (src/extension.ts -> dist/extension.js) with esbuild.
// With --tests, bundles the unit tests instead (test/unit/*.test.ts ->
// out/test/unit/*.test.js) for `node --test`.
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tests = process.argv.includes("--tests");

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  sourcemap: true,
  logLevel: "warning",
  absWorkingDir: root,
};

if (tests) {
  const dir = join(root, "test", "unit");
  const entryPoints = readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => join("test", "unit", f));
  await build({ ...common, entryPoints, outdir: join(root, "out", "test", "unit") });
} else {
  await build({
    ...common,
    entryPoints: ["src/extension.ts"],
    outfile: join(root, "dist", "extension.js"),
    // Provided by VS Code at run time.
    external: ["vscode"],
    minify: true,
  });
}
