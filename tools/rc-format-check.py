#!/usr/bin/env python3
"""Checks that formatting rc files never changes what Bazel reads from them.

For each tree: copies it (without .git and bazel-* output links) to a
scratch directory, records `bzls rc --format json COMMAND --config=NAME`
in every workspace of the tree that has a `.bazelrc` (the root, and nested
workspaces such as examples), for every command and config its rc files
define (and each command with no config), formats every rc file of the
copy through the server
(`textDocument/formatting` over stdio, edits applied as an editor applies
them), records the same again, and compares. Prints one line a tree and a
JSON summary; exits 1 on any difference.

    tools/rc-format-check.py --bzls target/release/bzls /work/scratch/xls /work/scratch/protobuf
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("typing_bench", os.path.join(HERE, "typing-bench.py"))
typing_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(typing_bench)
Client = typing_bench.Client

RC_NAME = re.compile(r"(^\.bazelrc$|\.bazelrc$|^bazel\.rc$)")
SECTION = re.compile(r"^\s*([A-Za-z_-]+)(?::([^\s]+))?\s", re.M)


def rc_files(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git" and not d.startswith("bazel-")]
        out += [os.path.join(dirpath, f) for f in filenames if RC_NAME.search(f)]
    return sorted(out)


def utf16_offset(text, line, character):
    lines = text.split("\n")
    start = sum(len(l) + 1 for l in lines[:line])
    if line >= len(lines):
        return len(text)
    units = 0
    for i, c in enumerate(lines[line]):
        if units >= character:
            return start + i
        units += 2 if ord(c) > 0xFFFF else 1
    return start + len(lines[line])


def apply(text, edits):
    spans = sorted(
        (
            utf16_offset(text, e["range"]["start"]["line"], e["range"]["start"]["character"]),
            utf16_offset(text, e["range"]["end"]["line"], e["range"]["end"]["character"]),
            e["newText"],
        )
        for e in edits
    )
    out, at = [], 0
    for start, end, new in spans:
        out.append(text[at:start])
        out.append(new)
        at = end
    out.append(text[at:])
    return "".join(out)


def expansions(bzls, root, files):
    commands, configs = set(["build"]), set()
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for m in SECTION.finditer(f.read()):
                commands.add(m.group(1))
                if m.group(2):
                    configs.add(m.group(2))
    commands = sorted(c for c in commands if c not in ("import", "try-import"))
    out = {}
    for command in commands:
        for config in [None] + sorted(configs):
            args = [bzls, "rc", "--format", "json", command] + ([f"--config={config}"] if config else [])
            run = subprocess.run(args, cwd=root, capture_output=True, text=True)
            out[" ".join(args[2:])] = (run.returncode, run.stdout, run.stderr)
    return out


WORKSPACE_FILES = ("MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel", "REPO.bazel")


def workspaces(root, files):
    """The root, and every directory with a `.bazelrc` and a workspace file."""
    dirs = {root}
    for path in files:
        d = os.path.dirname(path)
        if os.path.basename(path) == ".bazelrc" and any(os.path.exists(os.path.join(d, w)) for w in WORKSPACE_FILES):
            dirs.add(d)
    return sorted(dirs)


def all_expansions(bzls, root, files):
    out = {}
    for ws in workspaces(root, files):
        for key, value in expansions(bzls, ws, files).items():
            out[os.path.relpath(ws, root) + ": " + key] = value
    return out


def check_tree(bzls, tree):
    scratch = tempfile.mkdtemp(prefix="rc-format-")
    root = os.path.join(scratch, os.path.basename(tree.rstrip("/")))
    shutil.copytree(
        tree, root, symlinks=True, ignore=lambda d, names: [n for n in names if n == ".git" or n.startswith("bazel-")]
    )
    try:
        files = rc_files(root)
        before = all_expansions(bzls, root, files)
        client = Client([bzls, "serve"], root)
        client.request("initialize", {"processId": None, "rootUri": "file://" + root, "capabilities": {}})
        client.notify("initialized", {})
        changed, edits_total = 0, 0
        for path in files:
            with open(path, encoding="utf-8", newline="") as f:
                text = f.read()
            uri = "file://" + path
            client.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "bazelrc", "version": 1, "text": text}},
            )
            response = client.request(
                "textDocument/formatting",
                {"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": True}},
            )
            edits = response.get("result") or []
            edits_total += len(edits)
            formatted = apply(text, edits)
            if formatted != text:
                changed += 1
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(formatted)
        client.request("shutdown", None)
        client.notify("exit", None)
        after = all_expansions(bzls, root, files)
        differ = sorted(k for k in before if before[k] != after.get(k))
        return {
            "tree": os.path.basename(tree.rstrip("/")),
            "rc_files": len(files),
            "files_changed": changed,
            "edits": edits_total,
            "expansions_compared": len(before),
            "differences": differ,
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bzls", required=True)
    ap.add_argument("trees", nargs="+")
    args = ap.parse_args()
    results = [check_tree(os.path.abspath(args.bzls), tree) for tree in args.trees]
    for r in results:
        print(
            f"{r['tree']}: {r['rc_files']} rc files, {r['files_changed']} changed ({r['edits']} edits), "
            f"{r['expansions_compared']} expansions compared, {len(r['differences'])} different",
            file=sys.stderr,
        )
    print(json.dumps(results, indent=1))
    sys.exit(1 if any(r["differences"] for r in results) else 0)


if __name__ == "__main__":
    main()
