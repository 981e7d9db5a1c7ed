// The `bzls.runTarget` command of the server's target code lenses: its
// argument, checked, and the shell line a terminal runs. No `vscode`
// import: unit-tested with node:test.

/** The argument of a `bzls.runTarget` lens (see the README, "Code lenses"). */
export interface RunTarget {
  command: string;
  label: string;
  argv: string[];
  cwd: string;
}

/** The lens argument, or undefined when it is not one. */
export function parseRunTarget(value: unknown): RunTarget | undefined {
  if (typeof value !== "object" || value === null) {
    return undefined;
  }
  const v = value as Record<string, unknown>;
  const argv = v.argv;
  if (
    typeof v.command !== "string" ||
    typeof v.label !== "string" ||
    typeof v.cwd !== "string" ||
    !Array.isArray(argv) ||
    argv.length === 0 ||
    !argv.every((a) => typeof a === "string")
  ) {
    return undefined;
  }
  return { command: v.command, label: v.label, argv: argv as string[], cwd: v.cwd };
}

/** One word for a POSIX shell: as is when safe, else single-quoted. */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) {
    return word;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The line a terminal runs for `target`. */
export function shellLine(target: RunTarget): string {
  return target.argv.map(shellQuote).join(" ");
}

/** The terminal's name: `bazel test //pkg:t`. */
export function terminalName(target: RunTarget): string {
  return `bazel ${target.command} ${target.label}`;
}
