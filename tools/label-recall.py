#!/usr/bin/env python3
"""Measures how many injected label typos `bzls check` catches.

For each tree given, picks random main-repository labels in the `deps`,
`srcs` and `data` of package BUILD files (outside the directories its
`.bazelignore` removes, which are no part of its main repository, and not
on commented-out lines),
misspells each once (a letter
substituted, dropped, doubled or swapped, in the target name or, for one
case in ten, in the package path), runs `bzls check --format json`, and
counts a typo as caught when a diagnostic with the expected code
(`unresolved-target` for a name in another package, `missing-input-file`
for one in the BUILD file's own package, as Bazel tells them apart, or
`unresolved-package` for a misspelt package) covers it. The tree is restored afterwards, whatever happens.

Also reports precision: the unresolved-* diagnostics on the untouched tree.

With `--nameless`, the tree is first made to look like a fresh checkout of a
macro-heavy monorepo: every BUILD file gets a `load()` from a repository
that is not on disk and a call, without a `name`, of what it loads (as
`envoy_package()` or `npm_link_all_packages()` do), which makes every
package *open*. Precision is then measured on that tree too.

    tools/label-recall.py --bzls target/release/bzls --seed 1 --per-tree 40 [--nameless] TREE...
"""

import argparse
import json
import os
import random
import re
import string
import subprocess
import sys

ATTR = re.compile(r"\b(deps|srcs|data)\s*=\s*\[([^\]]*)\]", re.S)
STRING = re.compile(r'"([^"\\\n]*)"')
CODES = ("unresolved-target", "missing-input-file", "unresolved-package", "unresolved-load",
         "load-symbol-not-found", "label-syntax", "unknown-repository")


def bazelignored(tree):
    """The directories `.bazelignore` removes from the tree's main repository
    (as `bzls check` and Bazel read it), relative to the tree."""
    try:
        with open(os.path.join(tree, ".bazelignore")) as f:
            lines = f.read().splitlines()
    except OSError:
        return set()
    return {line.strip().rstrip("/") for line in lines
            if line.strip() and not line.strip().startswith("#")}


def build_files(tree):
    ignored = bazelignored(tree)
    for dirpath, dirnames, filenames in os.walk(tree):
        rel = os.path.relpath(dirpath, tree)
        dirnames[:] = [d for d in dirnames if d != ".git" and not d.startswith("bazel-")
                       and os.path.normpath(os.path.join(rel, d)) not in ignored]
        for name in ("BUILD.bazel", "BUILD"):
            if name in filenames:
                yield os.path.join(dirpath, name)
                break


def check(bzls, tree):
    out = subprocess.run([bzls, "check", "--format", "json", "."], cwd=tree,
                         capture_output=True, text=True, timeout=900)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        sys.exit(f"bzls check gave no JSON in {tree}: {out.stderr[-2000:]}")


def mutate(word, rng):
    letters = string.ascii_lowercase
    for _ in range(20):
        i = rng.randrange(len(word))
        kind = rng.choice(["sub", "drop", "double", "swap"])
        if kind == "sub":
            new = word[:i] + rng.choice(letters) + word[i + 1:]
        elif kind == "drop" and len(word) > 1:
            new = word[:i] + word[i + 1:]
        elif kind == "double":
            new = word[:i] + word[i] + word[i:]
        elif kind == "swap" and i + 1 < len(word):
            new = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        else:
            continue
        if new != word and re.fullmatch(r"[A-Za-z0-9_.+-][A-Za-z0-9_./+-]*", new) and not new.endswith("/") and "//" not in new:
            return new
    return None


def candidates(tree, path, text):
    """(offset of the string's value, label, package of the label, name)."""
    rel = os.path.relpath(os.path.dirname(path), tree)
    package = "" if rel == "." else rel
    for attr in ATTR.finditer(text):
        body_start = attr.start(2)
        for s in STRING.finditer(attr.group(2)):
            label = s.group(1)
            start = body_start + s.start(1)
            line = text[text.rfind("\n", 0, start) + 1:start]
            if "#" in line:
                # A commented-out line is no label.
                continue
            if not label or "$" in label or "{" in label or label.startswith("@") and not label.startswith("@//"):
                continue
            lab = label[1:] if label.startswith("@//") else label
            if lab.startswith("//"):
                pkg, _, name = lab[2:].partition(":")
                if not name:
                    name = pkg.rsplit("/", 1)[-1]
            elif lab.startswith(":"):
                pkg, name = package, lab[1:]
            else:
                # A file of this package, only when it exists.
                if not os.path.isfile(os.path.join(os.path.dirname(path), lab)):
                    continue
                pkg, name = package, lab
            if not name:
                continue
            yield start, label, pkg, name


def exists(tree, pkg, name):
    """Whether `name` may already be a target or file of `pkg`."""
    d = os.path.join(tree, pkg)
    if os.path.exists(os.path.join(d, name)):
        return True
    for b in ("BUILD.bazel", "BUILD"):
        p = os.path.join(d, b)
        if os.path.isfile(p):
            with open(p, encoding="utf-8", errors="replace") as f:
                return f'"{name}"' in f.read()
    return False


def inject(tree, rng, per_tree):
    files = list(build_files(tree))
    rng.shuffle(files)
    plan = []  # (path, offset, old, new, expected code)
    for path in files:
        if len(plan) >= per_tree:
            break
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        cands = list(candidates(tree, path, text))
        if not cands:
            continue
        offset, label, pkg, name = rng.choice(cands)
        if rng.random() < 0.1 and label.lstrip("@").startswith("//") and pkg:
            segs = pkg.split("/")
            i = rng.randrange(len(segs))
            new_seg = mutate(segs[i], rng)
            if not new_seg:
                continue
            new_pkg = "/".join(segs[:i] + [new_seg] + segs[i + 1:])
            if os.path.exists(os.path.join(tree, new_pkg)):
                continue
            new = label.replace("//" + pkg, "//" + new_pkg, 1)
            if ":" not in label.split("//", 1)[1]:
                new = new + ":" + name  # keep the target name when the short form changes meaning
            expected = "unresolved-package"
        else:
            base = name.rsplit("/", 1)
            new_name = mutate(base[-1], rng)
            if not new_name:
                continue
            new_name = (base[0] + "/" + new_name) if len(base) == 2 else new_name
            if exists(tree, pkg, new_name):
                continue
            if label.lstrip("@").startswith("//") and ":" not in label:
                new = label + ":" + new_name
            else:
                new = label[: len(label) - len(name)] + new_name
            rel = os.path.relpath(os.path.dirname(path), tree)
            own = "" if rel == "." else rel
            # Bazel takes an undeclared name of the package's own BUILD
            # file for a source file (a missing input file).
            expected = "missing-input-file" if pkg == own else "unresolved-target"
        plan.append((path, offset, label, new, expected))
    return plan


NAMELESS = ('\nload("@bzls_recall_unfetched//bazel:defs.bzl", "bzls_recall_package")\n'
            'bzls_recall_package()\n')


def add_nameless_calls(tree):
    """Appends the load and the nameless call to every BUILD file of `tree`;
    returns the original texts, to put back."""
    originals = {}
    for path in build_files(tree):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        originals[path] = text
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + NAMELESS)
    return originals


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bzls", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-tree", type=int, default=40)
    ap.add_argument("--nameless", action="store_true",
                    help="add a load from a repository not on disk and a nameless call of it to every BUILD file first")
    ap.add_argument("trees", nargs="+")
    args = ap.parse_args()
    bzls = os.path.abspath(args.bzls)
    total_caught = total = 0
    for tree in args.trees:
        rng = random.Random(f"{args.seed}:{os.path.basename(os.path.abspath(tree))}")
        nameless = {}
        originals = {}
        try:
            if args.nameless:
                nameless = add_nameless_calls(tree)
            # Not the added load's own warning.
            before = [d for d in check(bzls, tree) if d["code"] in CODES
                      and "bzls_recall_unfetched" not in d.get("message", "")]
            plan = inject(tree, rng, args.per_tree)
            by_file = {}
            for item in plan:
                by_file.setdefault(item[0], []).append(item)
            for path, items in by_file.items():
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                originals[path] = text
                for _, offset, old, new, _ in sorted(items, key=lambda x: -x[1]):
                    assert text[offset:offset + len(old)] == old, (path, old)
                    text = text[:offset] + new + text[offset + len(old):]
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            after = check(bzls, tree)
        finally:
            for path, text in {**originals, **nameless}.items():
                with open(path, "w", encoding="utf-8") as f:
                    f.write(nameless.get(path, text))
        caught, missed = 0, []
        for path, offset, old, new, expected in plan:
            rel = os.path.relpath(path, tree)
            line = originals[path][:offset].count("\n")
            # One typo per file: a diagnostic of the expected code on its
            # line is the catch.
            hit = [d for d in after if d["file"] == rel and d["range"]["start"]["line"] == line
                   and d["code"] == expected]
            if hit:
                caught += 1
            else:
                missed.append(f"{rel}:{line + 1}: {old} -> {new} (expected {expected})")
        total_caught += caught
        total += len(plan)
        print(f"{os.path.basename(os.path.abspath(tree))}: precision: {len(before)} diagnostics on the clean tree; "
              f"recall: {caught}/{len(plan)}")
        for m in missed:
            print("   missed", m)
    if total:
        print(f"total recall: {total_caught}/{total} = {100.0 * total_caught / total:.1f}%")


if __name__ == "__main__":
    main()
