// Copies a bzls binary into the extension (server/bzls), so that the next
// `npm run package` ships it. The .vsix then only works on the platform the
// binary was built for.
//
//   npm run bundle-server               # ../../target/release/bzls
//   npm run bundle-server -- PATH       # another binary
import { chmodSync, copyFileSync, existsSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const exe = process.platform === "win32" ? "bzls.exe" : "bzls";
const source = resolve(process.argv[2] ?? join(root, "..", "..", "target", "release", exe));

if (!existsSync(source)) {
  console.error(`bundle-server: ${source} does not exist.`);
  console.error("Build it first, from the repository root: cargo build --release --locked -p bzls");
  process.exit(1);
}
let version;
try {
  version = execFileSync(source, ["--version"], { encoding: "utf8", timeout: 10000 }).trim();
} catch (e) {
  console.error(`bundle-server: \`${source} --version\` failed: ${e.message}`);
  process.exit(1);
}
if (!/^bzls \d+\.\d+\.\d+/.test(version)) {
  console.error(`bundle-server: \`${source} --version\` printed ${JSON.stringify(version)}: not a bzls binary.`);
  process.exit(1);
}
const target = join(root, "server", exe);
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
chmodSync(target, 0o755);
console.log(`bundle-server: ${version} copied to ${target}; run \`npm run package\` next.`);
