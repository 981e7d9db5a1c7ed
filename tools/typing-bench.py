#!/usr/bin/env python3
"""typing-bench: keystroke latency of an LSP server, in two layers.

Starts `bzls serve` (or --cmd) over stdio on a workspace, opens one BUILD
file, waits for the index, then types characters one by one *inside an
existing label string* (each keystroke is one didChange) and measures, per
keystroke:

  first   time until the first publishDiagnostics for that version
          (bzls's first layer: syntax, with the last label diagnostics
          moved through the edit);
  labels  time until a publishDiagnostics for that version holds a
          diagnostic whose message names the label as now typed (the
          second layer: labels, loads, selects of that very text).

Typing inside a label keeps the file's syntax intact, and every keystroke
changes the label, so every keystroke needs new label diagnostics: the
figure is the latency of exact, per-version label checking.

With --request KIND:LINE:COL (KIND one of completion, hover, definition,
references) or --request KIND (documentSymbol, foldingRange, inlayHint over
the whole file, codeLens), repeatable, each request is also sent --repeat
times on the opened, indexed file before typing, and timed twice:

  received  until the last byte of the response has been read (the
            server's latency, transport included);
  parsed    until this client has also decoded the JSON (Python's decoder
            takes about 0.8 ms for a 200-item completion list on a 2-core
            VM: that part is the client's, not the server's).

Positions are 0-based LINE:COL (the column is a byte column, ASCII files).
The cursor must be just before a label string's closing quote.

Example (google/xls checkout):
  tools/typing-bench.py --root xls --file xls/passes/BUILD --at 2557:26 \\
      --text zzzzzzzzzzzzzzzzzzzz --settle 5

Python 3 standard library only. Exit status 0 when every keystroke got
both layers within --timeout.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request


def uri_of(path):
    return urllib.parse.urljoin("file:", urllib.request.pathname2url(os.path.abspath(path)))


class Client:
    def __init__(self, cmd, cwd):
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.next_id = 0
        self.lock = threading.Condition()
        self.responses = {}
        self.diagnostics = []  # (time, params)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                key, _, value = line.decode().partition(":")
                headers[key.strip().lower()] = value.strip()
            body = out.read(int(headers["content-length"]))
            now = time.perf_counter()
            msg = json.loads(body)
            with self.lock:
                if "id" in msg and "method" not in msg:
                    self.responses[msg["id"]] = (now, time.perf_counter(), msg)
                elif msg.get("method") == "textDocument/publishDiagnostics":
                    self.diagnostics.append((now, msg["params"]))
                elif "id" in msg:
                    # A request from the server: answer it with null.
                    self._send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                self.lock.notify_all()

    def _send(self, msg):
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, method, params, timeout=30):
        return self.timed_request(method, params, timeout)[2]

    def timed_request(self, method, params, timeout=30):
        """(received, parsed, response): perf_counter times of the last
        byte read and of the decoded message."""
        self.next_id += 1
        rid = self.next_id
        with self.lock:
            self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
            deadline = time.time() + timeout
            while rid not in self.responses:
                if not self.lock.wait(timeout=max(0, deadline - time.time())):
                    raise TimeoutError(method)
            return self.responses.pop(rid)

    def notify(self, method, params):
        with self.lock:
            self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_diagnostics(self, since_index, pred, timeout):
        """The first (time, params) at or after since_index matching pred."""
        deadline = time.time() + timeout
        with self.lock:
            i = since_index
            while True:
                while i < len(self.diagnostics):
                    t, params = self.diagnostics[i]
                    if pred(params):
                        return t, params
                    i += 1
                remaining = deadline - time.time()
                if remaining <= 0 or not self.lock.wait(timeout=remaining):
                    return None


def stats(values):
    if not values:
        return None
    vs = sorted(values)
    p95 = vs[min(len(vs) - 1, int(round(0.95 * (len(vs) - 1))))]
    return {
        "n": len(vs),
        "median_ms": round(statistics.median(vs), 3),
        "p95_ms": round(p95, 3),
        "max_ms": round(vs[-1], 3),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cmd", default="bzls serve", help="server command line")
    ap.add_argument("--root", required=True)
    ap.add_argument("--file", required=True, help="BUILD file, relative to --root")
    ap.add_argument("--at", required=True, help="LINE:COL, 0-based, just before a label's closing quote")
    ap.add_argument("--text", default="zzzzzzzzzzzzzzzzzzzz", help="characters to type")
    ap.add_argument("--settle", type=float, default=5.0, help="seconds to wait for the index")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--pause-ms", type=float, default=0.0, help="pause after both layers, per keystroke")
    ap.add_argument(
        "--request",
        action="append",
        default=[],
        metavar="KIND[:LINE:COL]",
        help="time this request before typing: completion, hover, definition, references at a position; "
        "selectionRange, documentHighlight, prepareRename, rename (to bzls_renamed) at a position; "
        "semanticTokens/full/delta (after an edit; with --text \"\" only); semanticTokens/range[:LINE:0] (60 lines); "
        "documentSymbol, foldingRange, documentLink, semanticTokens/full, inlayHint (whole file), codeLens without one",
    )
    ap.add_argument("--repeat", type=int, default=20, help="times each --request is sent")
    ap.add_argument(
        "--delta-pause-ms",
        type=float,
        default=0.0,
        help="semanticTokens/full/delta: wait this long after the edit before asking (editors debounce; "
        "0 asks at once, racing the analysis of the new version)",
    )
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()

    root = os.path.abspath(args.root)
    path = os.path.join(root, args.file)
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    line, col = (int(x) for x in args.at.split(":"))
    before = lines[line][:col]
    quote = before.rfind('"')
    if quote < 0 or not lines[line][col:].startswith('"'):
        sys.exit("--at must be just before the closing quote of a label string")
    label = before[quote + 1 :]

    client = Client(shlex.split(args.cmd), root)
    client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": uri_of(root),
            "capabilities": {"textDocument": {"publishDiagnostics": {"versionSupport": True}}},
        },
    )
    client.notify("initialized", {})
    uri = uri_of(path)
    opened = time.perf_counter()
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "starlark", "version": 0, "text": text}},
    )
    first_open = client.wait_diagnostics(0, lambda p: p["uri"] == uri, args.timeout)
    time.sleep(args.settle)

    requests = {}
    for spec in args.request:
        kind, _, at = spec.partition(":")
        params = {"textDocument": {"uri": uri}}
        if at:
            at_line, at_col = at.split(":")
            params["position"] = {"line": int(at_line), "character": int(at_col)}
        if kind == "references":
            params["context"] = {"includeDeclaration": True}
        if kind == "rename":
            params["newName"] = "bzls_renamed"
        if kind == "selectionRange":
            params["positions"] = [params.pop("position")]
        if kind == "semanticTokens/range":
            at_line = int(at.split(":")[0]) if at else 0
            params.pop("position", None)
            params["range"] = {"start": {"line": at_line, "character": 0}, "end": {"line": at_line + 60, "character": 0}}
        if kind == "inlayHint":
            params["range"] = {"start": {"line": 0, "character": 0}, "end": {"line": len(lines), "character": 0}}
        received, parsed, size = [], [], None
        delta = kind == "semanticTokens/full/delta"
        if delta:
            if args.text:
                sys.exit("semanticTokens/full/delta edits the document: use it with --text \"\"")
            first = client.request("textDocument/semanticTokens/full", {"textDocument": {"uri": uri}})
            result_id = first["result"]["resultId"]
            edit_version = 0
        for i in range(args.repeat):
            if delta:
                # After an edit, as editors ask: a comment mark put at the
                # file's start, then taken away.
                edit_version += 1
                change = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": i % 2}},
                          "text": "#" if i % 2 == 0 else ""}
                client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": edit_version},
                                                          "contentChanges": [change]})
                params["previousResultId"] = result_id
                if args.delta_pause_ms:
                    time.sleep(args.delta_pause_ms / 1000)
            sent = time.perf_counter()
            got_at, parsed_at, response = client.timed_request(f"textDocument/{kind}", params)
            if delta and isinstance(response.get("result"), dict):
                result_id = response["result"].get("resultId", result_id)
            received.append((got_at - sent) * 1000)
            parsed.append((parsed_at - sent) * 1000)
            result = response.get("result")
            if isinstance(result, dict) and "changes" in result:
                # A rename: its edits, over how many files.
                size = f"{sum(len(e) for e in result['changes'].values())} edits in {len(result['changes'])} files"
            elif response.get("error"):
                size = f"error: {response['error'].get('message')}"
            else:
                size = len(result.get("items", [])) if isinstance(result, dict) and "items" in result else (
                    len(result) if isinstance(result, list) else int(result is not None)
                )
        requests[spec] = {"results": size, "received": stats(received), "parsed": stats(parsed)}

    first, labels, missing = [], [], 0
    typed = label
    for i, ch in enumerate(args.text):
        version = i + 1
        typed += ch
        since = len(client.diagnostics)
        sent = time.perf_counter()
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": line, "character": col + i},
                            "end": {"line": line, "character": col + i},
                        },
                        "text": ch,
                    }
                ],
            },
        )
        got = client.wait_diagnostics(
            since, lambda p: p["uri"] == uri and p.get("version") == version, args.timeout
        )
        name = typed.rsplit(":", 1)[-1]
        full = client.wait_diagnostics(
            since,
            lambda p: p["uri"] == uri
            and p.get("version") == version
            and any(name in d["message"] for d in p["diagnostics"]),
            args.timeout,
        )
        if got:
            first.append((got[0] - sent) * 1000)
        if full:
            labels.append((full[0] - sent) * 1000)
        else:
            missing += 1
        if args.pause_ms:
            time.sleep(args.pause_ms / 1000)

    try:
        client.request("shutdown", None, timeout=10)
        client.notify("exit", None)
        client.proc.wait(timeout=10)
    except Exception:
        client.proc.kill()

    result = {
        "file": args.file,
        "at": args.at,
        "keystrokes": len(args.text),
        "open_first_diagnostics_ms": round((first_open[0] - opened) * 1000, 3) if first_open else None,
        "first": stats(first),
        "labels": stats(labels),
        "first_each_ms": [round(v, 3) for v in first],
        "labels_each_ms": [round(v, 3) for v in labels],
        "keystrokes_without_label_diagnostics": missing,
        "requests": requests,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0 if missing == 0 and len(first) == len(args.text) else 1


if __name__ == "__main__":
    sys.exit(main())
