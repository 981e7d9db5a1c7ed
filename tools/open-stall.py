#!/usr/bin/env python3
"""How long opening a large file holds up requests about other files.

Starts a language server over stdio on a workspace, opens a small file,
then opens (and closes again) a large file many times; right behind each
didOpen it sends a request about the small file, and times its answer.
A server that parses the large file on its message loop answers after the
parse; one that parses it elsewhere answers at once.

    tools/open-stall.py --cmd "target/release/bzls serve" --root /work/scratch/xls \
        --large xls/passes/BUILD --small xls/ir/BUILD --rounds 40
"""

import argparse
import importlib.util
import os
import shlex
import statistics
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("typing_bench", os.path.join(HERE, "typing-bench.py"))
typing_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(typing_bench)
Client = typing_bench.Client


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cmd", required=True, help="the server command")
    ap.add_argument("--root", required=True, help="the workspace root")
    ap.add_argument("--large", required=True, help="the large file, relative to the root")
    ap.add_argument("--small", required=True, help="the small file, relative to the root")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--settle", type=float, default=5.0, help="seconds to let the server index first")
    args = ap.parse_args()

    root = os.path.abspath(args.root)
    client = Client(shlex.split(args.cmd), root)
    client.request(
        "initialize",
        {"processId": None, "rootUri": "file://" + root, "capabilities": {}},
    )
    client.notify("initialized", {})
    small_uri = "file://" + os.path.join(root, args.small)
    large_uri = "file://" + os.path.join(root, args.large)
    with open(os.path.join(root, args.small)) as f:
        small = f.read()
    with open(os.path.join(root, args.large)) as f:
        large = f.read()
    item = {"uri": small_uri, "languageId": "starlark", "version": 1, "text": small}
    client.notify("textDocument/didOpen", {"textDocument": item})
    time.sleep(args.settle)
    symbols = {"textDocument": {"uri": small_uri}}
    alone, behind = [], []
    for i in range(args.rounds):
        sent = time.perf_counter()
        received, _, _ = client.timed_request("textDocument/documentSymbol", symbols)
        alone.append((received - sent) * 1000)
        item = {"uri": large_uri, "languageId": "starlark", "version": i + 1, "text": large}
        client.notify("textDocument/didOpen", {"textDocument": item})
        sent = time.perf_counter()
        received, _, _ = client.timed_request("textDocument/documentSymbol", symbols)
        behind.append((received - sent) * 1000)
        client.notify("textDocument/didClose", {"textDocument": {"uri": large_uri}})
        time.sleep(0.3)
    client.request("shutdown", None)
    client.notify("exit", None)

    def summary(name, times):
        times = sorted(times)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{name}: median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms")

    print(f"{len(large.splitlines())}-line {args.large}, {args.rounds} rounds")
    summary("documentSymbol on the small file alone", alone)
    summary("documentSymbol on the small file right behind the large didOpen", behind)


if __name__ == "__main__":
    main()
