#!/usr/bin/env python3
"""Measures how many main-repository labels go-to-definition can follow.

For each tree given, starts `bzls` as a language server over stdio with the
tree as its workspace, waits for the index, then opens a random sample of
the package BUILD files (as `tools/label-recall.py` picks them: outside the
directories `.bazelignore` removes) and asks `textDocument/definition` on
every main-repository label string in their `deps`, `srcs` and `data`
(`//pkg:x`, `:x`, and file names that exist). A label counts as followed
when the answer is a location. Reports the share per tree and the labels
not followed, with what they point at.

    tools/label-clicks.py --bzls target/release/bzls --seed 1 --files 40 TREE...
"""

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = importlib.util.spec_from_file_location("label_recall", os.path.join(HERE, "label-recall.py"))
recall = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(recall)


def uri(path):
    return urllib.parse.urljoin("file:", urllib.request.pathname2url(os.path.abspath(path)))


class Server:
    """A language server over stdio; answers and notifications by a reader thread."""

    def __init__(self, cmd, root):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=root)
        self.next_id = 0
        self.answers = {}
        self.indexed = threading.Event()
        self.cond = threading.Condition()
        threading.Thread(target=self.read, daemon=True).start()

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(out.read(length))
            if "id" in message and "method" in message:
                # A request from the server (progress creation, registration).
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                with self.cond:
                    self.answers[message["id"]] = message
                    self.cond.notify_all()
            elif message.get("method") == "$/progress":
                if message["params"].get("value", {}).get("kind") == "end":
                    self.indexed.set()

    def request(self, method, params, timeout=60):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.time() + timeout
        with self.cond:
            while rid not in self.answers:
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError(method)
                self.cond.wait(left)
            return self.answers.pop(rid)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self):
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def position(text, offset):
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return {"line": line, "character": len(text[offset - column:offset].encode("utf-16-le")) // 2}


def measure(bzls, tree, rng, files):
    tree = os.path.abspath(tree)
    server = Server([bzls, "serve"], tree)
    server.request("initialize", {
        "processId": os.getpid(), "rootUri": uri(tree),
        "capabilities": {"window": {"workDoneProgress": True}},
    })
    server.notify("initialized", {})
    server.indexed.wait(300)
    paths = list(recall.build_files(tree))
    rng.shuffle(paths)
    followed, missed = 0, []
    for path in paths[:files]:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri(path), "languageId": "starlark", "version": 1, "text": text}})
        for offset, label, _, _ in recall.candidates(tree, path, text):
            answer = server.request("textDocument/definition", {
                "textDocument": {"uri": uri(path)},
                "position": position(text, offset + len(label) // 2)})
            if answer.get("result"):
                followed += 1
            else:
                missed.append(f"{os.path.relpath(path, tree)}:{text.count(chr(10), 0, offset) + 1}: {label}")
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri(path)}})
    server.close()
    return followed, missed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bzls", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", type=int, default=40, help="BUILD files per tree")
    parser.add_argument("--show", type=int, default=10, help="labels not followed shown per tree")
    parser.add_argument("trees", nargs="+")
    args = parser.parse_args()
    bzls = os.path.abspath(args.bzls)
    total, total_followed = 0, 0
    for tree in args.trees:
        rng = random.Random(f"{args.seed}:{os.path.basename(os.path.normpath(tree))}")
        followed, missed = measure(bzls, tree, rng, args.files)
        count = followed + len(missed)
        total += count
        total_followed += followed
        share = 100.0 * followed / count if count else 100.0
        print(f"{os.path.basename(os.path.normpath(tree))}: {followed}/{count} labels followed ({share:.1f}%)")
        for line in missed[:args.show]:
            print(f"   not followed: {line}")
    share = 100.0 * total_followed / total if total else 100.0
    print(f"total: {total_followed}/{total} = {share:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
