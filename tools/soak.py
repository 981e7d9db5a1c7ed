#!/usr/bin/env python3
"""soak: a long run of random edits, requests and file-system changes.

Copies a Bazel tree (without .git) to a scratch directory, starts
`bzls serve` (or --cmd) on it over stdio, opens some of its BUILD and .bzl
files, and then, until --minutes have passed, takes random steps:

  edit     type or delete a character inside a string, add or remove a
           target, reference a package created by the run, break the
           syntax, or put back the saved text; a document holding
           MAX_SOAK_TARGETS targets of the run gets one removed instead
           of added, so the open documents stay about the same size and
           the server's memory can be judged (the saved text keeps what
           was added before each check);
  request  definition, hover, completion, references, documentSymbol or
           foldingRange at a random place of an open file (each must get
           an answer, a result or an error, within --timeout seconds;
           the summary gives each method's latency percentiles and the
           five slowest requests);
  disk     create a package, delete one, rename a created .bzl file, or
           rewrite one, each followed by the watched-files notification an
           editor sends.

Every --check-every steps it saves every open document (written to disk,
then a watched-files change), waits until the server has
published diagnostics for the latest version of every open document and
then been quiet for --quiet seconds, and compares them with `bzls check
--format json` on the same files (select previews aside: they depend on
the active configuration, which the CLI does not have). It samples the
server's resident size (VmRSS) at each check, and its evaluation workers'
(child processes) together.

Prints a JSON summary; exit status 0 when every check agreed, every
request was answered and the server is still alive at the end.

Example:
  tools/soak.py --tree /work/scratch/mediapipe --minutes 30

Python 3 standard library only.
"""

import argparse
import importlib.util
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("typing_bench", os.path.join(HERE, "typing-bench.py"))
typing_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(typing_bench)
Client = typing_bench.Client
uri_of = typing_bench.uri_of

STRING = re.compile(r'"[^"\n\\]*"')
SOAK_TARGET = re.compile(r'\nfilegroup\(name = "soak_[^"]*"(, srcs = \["[^"]*"\])?\)\n')
# The most targets of the run one document holds (see "edit" above).
MAX_SOAK_TARGETS = 20


def percentiles(times):
    """Median, p95, p99 and max of `times` (seconds), in milliseconds."""
    ordered = sorted(times)

    def at(q):
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"count": len(ordered), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1] * 1000, 2)}


def position(text, offset):
    """LSP position (UTF-16 columns) of a code-point offset."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": len(text[start:offset].encode("utf-16-le")) // 2}


class Doc:
    def __init__(self, path, text):
        self.path = path
        self.uri = uri_of(path)
        self.text = text
        self.version = 1


class Soak:
    def __init__(self, args, root):
        self.args = args
        self.root = root
        self.rng = random.Random(args.seed)
        self.client = Client(shlex.split(args.cmd), root)
        self.docs = []
        self.created = []  # package names created by the run
        self.created_bzl = []  # workspace-relative .bzl paths created by the run
        self.counter = 0
        self.requests = 0
        self.unanswered = []
        self.latencies = {}  # method -> seconds of each answered request
        self.slowest = []  # (seconds, method, params) of the slowest requests
        self.checks = []
        self.mismatches = []
        self.rss = []
        self.workers_rss = []

    # ---- protocol -------------------------------------------------------

    def start(self):
        self.client.request("initialize", {
            "processId": os.getpid(),
            "rootUri": uri_of(self.root),
            "capabilities": {
                "window": {"workDoneProgress": True},
                "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}},
                "textDocument": {"publishDiagnostics": {"versionSupport": True}},
            },
        }, timeout=60)
        self.client.notify("initialized", {})
        time.sleep(self.args.settle)

    def open(self, path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        doc = Doc(path, text)
        self.client.notify("textDocument/didOpen", {"textDocument": {
            "uri": doc.uri, "languageId": "starlark", "version": 1, "text": text}})
        self.docs.append(doc)

    def change(self, doc, start, end, new):
        doc.version += 1
        self.client.notify("textDocument/didChange", {
            "textDocument": {"uri": doc.uri, "version": doc.version},
            "contentChanges": [{"range": {"start": position(doc.text, start), "end": position(doc.text, end)},
                                "text": new}],
        })
        doc.text = doc.text[:start] + new + doc.text[end:]

    def watched(self, changes):
        self.client.notify("workspace/didChangeWatchedFiles", {
            "changes": [{"uri": uri_of(p), "type": t} for p, t in changes]})

    # ---- steps ----------------------------------------------------------

    def step(self):
        edit, request, disk = self.args.mix
        roll = self.rng.random() * (edit + request + disk)
        if roll < edit:
            self.edit()
        elif roll < edit + request:
            self.request()
        else:
            self.disk()

    def edit(self):
        doc = self.rng.choice(self.docs)
        kind = self.rng.randrange(7)
        strings = [m.span() for m in STRING.finditer(doc.text)]
        if kind in (2, 3) and len(SOAK_TARGET.findall(doc.text)) >= MAX_SOAK_TARGETS:
            kind = 4
        if kind <= 1 and strings:
            s, e = self.rng.choice(strings)
            at = self.rng.randrange(s + 1, e)  # inside the quotes
            if kind == 0 or e - s <= 2:
                self.change(doc, at, at, self.rng.choice("abcxyz_/:.-"))
            else:
                at = min(at, e - 2)
                self.change(doc, at, at + 1, "")
        elif kind == 2:
            self.counter += 1
            self.change(doc, len(doc.text), len(doc.text), '\nfilegroup(name = "soak_%d")\n' % self.counter)
        elif kind == 3 and self.created:
            package = self.rng.choice(self.created)
            self.counter += 1
            self.change(doc, len(doc.text), len(doc.text),
                        '\nfilegroup(name = "soak_ref_%d", srcs = ["//%s:t"])\n' % (self.counter, package))
        elif kind == 4:
            found = list(SOAK_TARGET.finditer(doc.text))
            if found:
                m = self.rng.choice(found)
                self.change(doc, m.start(), m.end(), "")
        elif kind == 5:
            at = self.rng.randrange(len(doc.text) + 1)
            self.change(doc, at, at, self.rng.choice(["(", "[", '"', "=", "\n  x"]))
        else:
            with open(doc.path, encoding="utf-8") as f:
                saved = f.read()
            self.change(doc, 0, len(doc.text), saved)

    def request(self):
        doc = self.rng.choice(self.docs)
        at = position(doc.text, self.rng.randrange(len(doc.text) + 1))
        td = {"uri": doc.uri}
        method, params = self.rng.choice([
            ("textDocument/definition", {"textDocument": td, "position": at}),
            ("textDocument/hover", {"textDocument": td, "position": at}),
            ("textDocument/completion", {"textDocument": td, "position": at}),
            ("textDocument/references", {"textDocument": td, "position": at,
                                         "context": {"includeDeclaration": True}}),
            ("textDocument/documentSymbol", {"textDocument": td}),
            ("textDocument/foldingRange", {"textDocument": td}),
        ])
        self.requests += 1
        began = time.perf_counter()
        published_before = len(self.client.diagnostics)
        try:
            response = self.client.request(method, params, timeout=self.args.timeout)
            if "result" not in response and "error" not in response:
                self.unanswered.append((method, params, response))
        except TimeoutError:
            self.unanswered.append((method, params, "timeout"))
            return
        took = time.perf_counter() - began
        # Diagnostics the server published while the request was pending
        # (written to the client ahead of the answer, or read before it).
        published = len(self.client.diagnostics) - published_before
        self.latencies.setdefault(method, []).append(took)
        self.slowest.append((took, method, dict(params, publishedMeanwhile=published)))
        self.slowest.sort(key=lambda s: -s[0])
        del self.slowest[5:]

    def disk(self):
        kind = self.rng.randrange(4)
        if kind == 0 or not self.created:
            self.counter += 1
            package = "soak_pkg_%d" % self.counter
            os.makedirs(os.path.join(self.root, package), exist_ok=True)
            build = os.path.join(self.root, package, "BUILD")
            bzl = os.path.join(self.root, package, "defs.bzl")
            with open(bzl, "w") as f:
                f.write("def m(name):\n    native.filegroup(name = name)\n")
            with open(build, "w") as f:
                f.write('load(":defs.bzl", "m")\n\nm(name = "t")\n')
            self.created.append(package)
            self.created_bzl.append(package + "/defs.bzl")
            self.watched([(bzl, 1), (build, 1)])
        elif kind == 1:
            package = self.created.pop(self.rng.randrange(len(self.created)))
            directory = os.path.join(self.root, package)
            gone = [os.path.join(directory, n) for n in os.listdir(directory)]
            shutil.rmtree(directory)
            self.created_bzl = [b for b in self.created_bzl if not b.startswith(package + "/")]
            self.watched([(p, 3) for p in gone])
        elif kind == 2 and self.created_bzl:
            old = self.rng.choice(self.created_bzl)
            new = old[:-4] + "_r.bzl" if not old.endswith("_r.bzl") else old[:-6] + ".bzl"
            os.rename(os.path.join(self.root, old), os.path.join(self.root, new))
            self.created_bzl[self.created_bzl.index(old)] = new
            self.watched([(os.path.join(self.root, old), 3), (os.path.join(self.root, new), 1)])
        elif self.created_bzl:
            bzl = self.rng.choice(self.created_bzl)
            path = os.path.join(self.root, bzl)
            body = self.rng.choice([
                "def m(name):\n    native.filegroup(name = name)\n",
                "def m(name):\n    native.filegroup(name = name + \"_x\")\n",
                "def m(name):\n    native.filegroup(name = name)\n    native.filegroup(name = name + \"_y\")\n",
            ])
            with open(path, "w") as f:
                f.write(body)
            self.watched([(path, 2)])

    # ---- the check ------------------------------------------------------

    def save_all(self):
        changes = []
        for doc in self.docs:
            with open(doc.path, encoding="utf-8") as f:
                if f.read() == doc.text:
                    continue
            with open(doc.path, "w", encoding="utf-8") as f:
                f.write(doc.text)
            changes.append((doc.path, 2))
        if changes:
            self.watched(changes)

    def settled(self):
        """The latest diagnostics of every open document, once the server
        published the latest version of each and then went quiet."""
        deadline = time.time() + 120
        while time.time() < deadline:
            with self.client.lock:
                published = list(self.client.diagnostics)
            latest = {}
            for _, params in published:
                latest[params["uri"]] = params
            ready = all(d.uri in latest and latest[d.uri].get("version") == d.version for d in self.docs)
            last = published[-1][0] if published else 0
            if ready and time.perf_counter() - last >= self.args.quiet:
                return {d.uri: latest[d.uri]["diagnostics"] for d in self.docs}
            time.sleep(0.2)
        return None

    def check(self, step):
        self.save_all()
        published = self.settled()
        rss = self.rss_mib()
        self.rss.append(rss)
        paths = [d.path for d in self.docs]
        out = subprocess.run(shlex.split(self.args.check_cmd) + ["check", "--format", "json"] + paths,
                             cwd=self.root, capture_output=True)
        try:
            expected_list = json.loads(out.stdout or b"[]")
        except ValueError:
            expected_list = None
        agreed = True
        if published is None or expected_list is None:
            agreed = False
            self.mismatches.append({"step": step, "error": "no settled diagnostics" if published is None
                                    else "bzls check output: %r" % out.stderr[-500:]})
        else:
            for doc in self.docs:
                rel = os.path.relpath(doc.path, self.root)
                expected = comparable([d for d in expected_list if d["file"] == rel])
                got = comparable(published[doc.uri])
                if expected != got:
                    agreed = False
                    self.mismatches.append({"step": step, "file": rel,
                                            "server_only": sorted(got - expected)[:5],
                                            "check_only": sorted(expected - got)[:5]})
        self.checks.append({"step": step, "agreed": agreed, "rss_mib": rss,
                            "workers_rss_mib": self.workers_rss[-1] if self.workers_rss else None})
        print(json.dumps(self.checks[-1]), file=sys.stderr, flush=True)

    def rss_mib(self):
        """The server's resident size, and its evaluation workers' (its
        child processes) together, in MiB."""
        server = vm_rss_mib(self.client.proc.pid)
        if server is None:
            return None
        self.workers_rss.append(sum(vm_rss_mib(child) or 0 for child in children(self.client.proc.pid)))
        return server


def vm_rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def children(pid):
    """The child processes of `pid` (of all its threads)."""
    out = []
    try:
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def comparable(diagnostics):
    return {
        "%s %s %s" % (d.get("code"), json.dumps(d["range"], sort_keys=True), d["message"])
        for d in diagnostics
        if not str(d.get("code", "")).startswith("select-")
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", required=True, help="the Bazel tree to copy and work on")
    ap.add_argument("--cmd", default="bzls serve", help="the server command (default: %(default)s)")
    ap.add_argument("--check-cmd", default=None, help="the bzls used for `check` (default: --cmd's program)")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--check-every", type=int, default=1000)
    ap.add_argument("--open", type=int, default=8, help="BUILD files to open (plus two .bzl files)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--settle", type=float, default=10, help="seconds to let the index build")
    ap.add_argument("--quiet", type=float, default=1.5)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy")
    ap.add_argument("--mix", default="40,35,25",
                    help="relative weights of edit, request and disk steps (default: %(default)s)")
    args = ap.parse_args()
    args.mix = [float(w) for w in args.mix.split(",")]
    if len(args.mix) != 3 or min(args.mix) < 0 or sum(args.mix) <= 0:
        ap.error("--mix takes three non-negative weights")
    if args.check_cmd is None:
        args.check_cmd = shlex.split(args.cmd)[0]

    scratch = tempfile.mkdtemp(prefix="bzls-soak-")
    root = os.path.join(scratch, "tree")
    shutil.copytree(args.tree, root, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    soak = Soak(args, root)
    started = time.time()
    step = 0
    alive = False
    try:
        soak.start()
        builds, bzls = [], []
        for d, _, files in os.walk(root):
            for name in files:
                if name in ("BUILD", "BUILD.bazel"):
                    builds.append(os.path.join(d, name))
                elif name.endswith(".bzl"):
                    bzls.append(os.path.join(d, name))
        builds.sort()
        bzls.sort()
        for path in soak.rng.sample(builds, min(args.open, len(builds))) + soak.rng.sample(bzls, min(2, len(bzls))):
            try:
                soak.open(path)
            except UnicodeDecodeError:
                pass
        soak.check(0)
        while time.time() - started < args.minutes * 60:
            soak.step()
            step += 1
            if step % args.check_every == 0:
                soak.check(step)
        soak.check(step)
        alive = soak.client.proc.poll() is None
        if alive:
            soak.client.request("shutdown", None, timeout=30)
            soak.client.notify("exit", None)
            soak.client.proc.wait(timeout=30)
    finally:
        if soak.client.proc.poll() is None:
            soak.client.proc.kill()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    rss = [r for r in soak.rss if r is not None]
    summary = {
        "tree": args.tree,
        "minutes": round((time.time() - started) / 60, 1),
        "steps": step,
        "requests": soak.requests,
        "unanswered": [str(u)[:300] for u in soak.unanswered[:5]],
        "unanswered_count": len(soak.unanswered),
        "latency_ms": {
            method.split("/")[-1]: percentiles(times) for method, times in sorted(soak.latencies.items())
        },
        "slowest_requests": [
            "%.1f ms %s %s" % (took * 1000, method, json.dumps(params)[:200]) for took, method, params in soak.slowest
        ],
        "checks": len(soak.checks),
        "checks_agreed": sum(1 for c in soak.checks if c["agreed"]),
        "mismatches": soak.mismatches[:10],
        "rss_mib": rss,
        "workers_rss_mib": soak.workers_rss,
        "alive_at_end": alive,
        "exit_code": soak.client.proc.returncode,
    }
    print(json.dumps(summary, indent=2))
    ok = alive and not soak.unanswered and all(c["agreed"] for c in soak.checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
