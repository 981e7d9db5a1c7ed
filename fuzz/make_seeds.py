#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/seeds/<target>/.

Seeds come from the project's own fixtures (editor test workspace, rc
conformance fixtures, grammar highlight files, the evaluator's stand-in
.bzl files, the fixtures embedded in the select and rc unit tests, the
embedded flag dump) and from small inputs written here. Deterministic: run
it again and the same files come out.

    python3 fuzz/make_seeds.py
"""

import gzip
import hashlib
import os
import random
import re
import struct
import base64

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = os.path.join(HERE, "seeds")


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def raw_strings(path):
    """The r#"..."# literals of a Rust source file that are not expectations."""
    src = read(path).decode()
    out = []
    for m in re.finditer(r'(expect!\[\[)?r#"(.*?)"#', src, re.S):
        if m.group(1):
            continue
        out.append(m.group(2))
    return out


# --- Starlark texts ---------------------------------------------------------

STARLARK_FILES = [
    "editors/vscode/test/fixture/MODULE.bazel",
    "editors/vscode/test/fixture/app/BUILD.bazel",
    "editors/vscode/test/fixture/lib/BUILD.bazel",
    "server/src/workspace/eval/stand_ins/collections.bzl",
    "server/src/workspace/eval/stand_ins/dicts.bzl",
    "server/src/workspace/eval/stand_ins/paths.bzl",
    "server/src/workspace/eval/stand_ins/shell.bzl",
    "server/src/workspace/eval/stand_ins/structs.bzl",
    "server/src/workspace/eval/stand_ins/types.bzl",
]

STARLARK_WRITTEN = [
    "def f():\n    pass\n",
    "def f(a, *args, **kwargs):\n    return g(*args, **kwargs)\n",
    "for x in []:\n    pass\n",
    "if True:\n    pass\nelif False:\n    pass\nelse:\n    pass\n",
    'load("//:a.bzl", "b")\nb(name = "x", *a, **k)\nc(d(e(**f)))\n',
    "x = [f(*a) for a in b if g(**a)]\n",
    "x = lambda *a, **k: f(*a, **k)\n",
    'cc_library(\n    name = "a",  # comment\n    srcs = glob(["*.cc"]) + select({"//c:x": ["x.cc"]}),\n)\n',
    "\n\n  \n# only comments\n",
    "",
    'bazel_dep(name = "a")\nmodule(name = "m")\nmodule(name = "n")\n',
    'X = str(1)\nmodule(name = X)\nx = use_extension("//:e.bzl", "e")\n',
    "cc_library(\n    name = \"a\",\n    srcs = [\"a.cc\",\n)\nx = \n",
    "while x:\n    x = x is not None\n",
    'x = f"{y}"\nmatch(a, b)\n',
    "# a NUL \x00 in a comment\nx = 1\n",
    "a = 1\r\nb = [\r\n    2,\r\n]\rc = 3\r",
    'name = "é😀漢字"\n',
    "x = " + "(" * 50 + "1" + ")" * 50 + "\n",
    "x = [[[[[[[[[[[[\n",
    "def f(\n",
    'x = """unclosed\n',
    "\tif x:\n  pass\n",
]


def starlark_texts():
    out = [read(p).decode() for p in STARLARK_FILES]
    out += STARLARK_WRITTEN
    return out


# --- rc files ---------------------------------------------------------------

RC_FIXTURES = "tests/fixtures/bazel-2.1.0-rc"


def rc_conformance_inputs():
    """Each conformance fixture as one multi-file input: `--- path` headers
    become `//- /path`, the command becomes an `@args` part."""
    out = []
    base = os.path.join(ROOT, RC_FIXTURES)
    for case in sorted(os.listdir(base)):
        files = read(os.path.join(RC_FIXTURES, case, "rc-files.txt")).decode()
        text = ""
        for line in files.splitlines(keepends=True):
            if line.startswith("--- "):
                name = line[4:].strip()
                text += "//- " + (name if name.startswith("~/") else "/" + name) + "\n"
            else:
                text += line
        command = read(os.path.join(RC_FIXTURES, case, "command.txt")).decode()
        text += "//- @args\n" + command
        out.append(text)
    return out


RC_WRITTEN = [
    # Imports: a self-import, a cycle, a diamond, try-imports, versions.
    "import %workspace%/.bazelrc\nbuild --jobs=1\n",
    "//- /.bazelrc\nimport %workspace%/a.rc\nimport %workspace%/b.rc\n"
    "//- /a.rc\nimport %workspace%/c.rc\nbuild:a --config=c\n"
    "//- /b.rc\nimport %workspace%/c.rc\ntry-import %workspace%/missing.rc\n"
    "//- /c.rc\nbuild:c -c opt\nimport %workspace%/a.rc\n",
    "try-import-if-bazel-version >=7.0.0 %workspace%/new.rc\n"
    "try-import-if-bazel-version ~6.1 %workspace%/old.rc\n"
    "try-import-if-bazel-version\nimport\nimport a b\n"
    "//- /new.rc\ncommon --enable_bzlmod\n//- @version\n7.1.0\n",
    "import relative.rc\nimport /abs/path.rc\nimport %workspace%/x.unreadable\n"
    "//- /relative.rc\nbuild -k\n",
    "//- @system\nbuild --jobs=2\n//- ~/.bazelrc\nbuild:home --config=home\n"
    "//- /.bazelrc\ncommon:home -c dbg\n//- @args\ntest\n--config=home\n",
    # Lexing: quotes, escapes, continuations, comments.
    "build --copt=\"a b\" 'c d' e\\ f # comment\n# whole-line comment \\\n"
    "still comment\nbuild \\\n  --jobs=4\\\r\n  -k\n\"\"\nbuild --x=#y\n",
    "build:cuda --define=using_cuda=true --config=opt\nbuild:opt -c opt\n"
    "build --flag_alias=short=//my:flag\nbuild --short=1 --//my:flag --no//my:flag\n"
    "build -- //foo/... -//bar\nbuild:ends -- //x\nbuild:uses --config=ends\n"
    "//- @args\nbuild\n--config=uses\n--config=cuda\n--enable_platform_specific_config\n",
    "startup:x --host_jvm_args=-Xmx1g\nbiuld --jobs=3\nbuild --jbos=3 --compilation_mode=fast\n"
    "build --jobs\nquery --compilation_mode=opt\nalways --keep_going\n",
]


def rc_texts():
    out = []
    for p in [
        "editors/vscode/test/fixture/.bazelrc",
        "grammar/test/highlight/basic.bazelrc",
        "grammar/test/highlight/configs.bazelrc",
    ]:
        out.append(read(p).decode())
    return out


def rc_unit_test_fixtures():
    """The fixtures of the rc feature tests, cursor markers removed."""
    out = []
    for s in raw_strings("server/src/analysis/rc/tests.rs"):
        if "$0" in s or "--" in s or "//- " in s:
            out.append(s.replace("$0", ""))
    return out


# --- incremental_edits --------------------------------------------------------

KINDS = ["Build", "Bzl", "Workspace", "Module", "Repo", "Star", "Bazelrc"]


def edit_input(kind, utf8, text, rng, n):
    body = text.encode()[:0xFFFF]
    head = bytes([KINDS.index(kind) | (0x80 if utf8 else 0)]) + struct.pack("<H", len(body))
    return head + body + bytes(rng.getrandbits(8) for _ in range(n))


# --- flags ---------------------------------------------------------------------


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v == 0:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def read_varint(data, at):
    shift = value = 0
    while True:
        b = data[at]
        at += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, at


def flag_messages(limit_bytes):
    """Whole FlagInfo messages from the start of the embedded 7.1.0 dump."""
    data = gzip.decompress(read("server/data/flags/bazel-7.1.0.flags.pb.gz"))
    at = 0
    out = b""
    while at < len(data):
        start = at
        key, at = read_varint(data, at)
        length, at = read_varint(data, at)
        at += length
        if len(out) + (at - start) > limit_bytes:
            break
        out += data[start:at]
    return out


def field(number, wire, payload):
    if wire == 2:
        return varint(number << 3 | 2) + varint(len(payload)) + payload
    return varint(number << 3 | wire) + varint(payload)


def main():
    rng = random.Random(0x5EED)
    texts = starlark_texts()
    for t in texts:
        write("starlark_document", t)

    # incremental_edits: fixtures of every kind, random edit bytes.
    for i, t in enumerate(texts):
        kind = KINDS[i % 6]
        write("incremental_edits", edit_input(kind, i % 2 == 0, t, rng, 96))
    for t in rc_texts() + RC_WRITTEN[5:7]:
        write("incremental_edits", edit_input("Bazelrc", False, t, rng, 96))
    write("incremental_edits", edit_input("Build", False, "", rng, 256))

    # rc
    for t in rc_conformance_inputs() + RC_WRITTEN + rc_texts() + rc_unit_test_fixtures():
        write("rc", t)

    # select: the select unit tests' fixtures, plus one written here.
    for s in raw_strings("server/src/select/tests.rs"):
        if "//- " in s:
            write("select", s)
    write(
        "select",
        "config_setting(name = \"a\", define_values = {\"a\": \"1\"})\n"
        "config_setting(name = \"b\", values = {\"define\": \"b=1\"})\n"
        "config_setting(name = \"ab\", define_values = {\"a\": \"1\", \"b\": \"1\"})\n"
        "filegroup(name = \"t\", srcs = select({\":a\": [\"a\"], \":b\": [\"b\"], \":ab\": [\"ab\"]}))\n"
        "filegroup(name = \"u\", srcs = select({\":a\": [\"a\"], \"//pkg:a\": [\"b\"], \"//conditions:default\": []}) + select({}))\n"
        "//- @args\n--define=a=1\n--define\nb=1\n",
    )

    # eval: the evaluator tests' kind of workspaces, and its stand-ins.
    defs = (
        "def my_test(name, srcs = [], **kwargs):\n"
        "    native.cc_library(name = name + \"_lib\", srcs = srcs)\n"
        "    native.cc_test(name = name, deps = [\":\" + name + \"_lib\"], **kwargs)\n"
    )
    write(
        "eval",
        "load(\"//tools:defs.bzl\", \"my_test\")\nmy_test(name = \"x\", srcs = [\"x.cc\"])\nmy_test(name = \"y\")\n"
        "//- //tools/defs.bzl\n" + defs,
    )
    write(
        "eval",
        "load(\"@//tools:defs.bzl\", \"my_test\")\nmy_test(name = \"x\")\n"
        "//- //tools/impl.bzl\n" + defs +
        "//- //tools/defs.bzl\nload(\":impl.bzl\", _my_test = \"my_test\")\nmy_test = _my_test\n",
    )
    write(
        "eval",
        "[cc_test(name = f[:-3]) for f in glob([\"*_test.cc\"])]\nfor n in [\"x\", \"y\"]:\n"
        "    sh_test(name = n + \"_sh\", srcs = [n + \".sh\"])\n"
        "if len(glob([\"**/*.cc\"])) == 4:\n    filegroup(name = \"all\")\n"
        "x = subpackages(include = [\"**\"])\n"
        "//- @files\na_test.cc\nb_test.cc\nutil.cc\nsub/c_test.cc\n//- @subpackages\nsub\n",
    )
    write(
        "eval",
        "load(\"//tools:rules.bzl\", \"my_rule\")\n"
        "my_rule(name = \"pkg\", out = \"extra.txt\", ir_file = \"pkg.opt.ir\", logs = [\"a.log\", \"b.log\"])\n"
        "//- //tools/rules.bzl\n"
        "def _impl(ctx):\n    return [CcInfo()]\n\n"
        "my_rule = rule(\n    implementation = _impl,\n    attrs = {\n"
        "        \"out\": attr.output(),\n        \"ir_file\": attr.output(),\n"
        "        \"logs\": attr.output_list(),\n    },\n"
        "    outputs = {\"archive\": \"%{name}.tar\", \"lib\": \"lib%{name}.a\"},\n)\n",
    )
    write(
        "eval",
        "load(\"@unfetched//:x.bzl\", \"unknown_macro\", \"NAME\")\ncc_library(name = \"a\")\n"
        "unknown_macro(name = \"b\")\ncc_library(name = NAME)\n"
        "load(\"//:loop.bzl\", \"z\")\n"
        "//- //loop.bzl\nload(\"//:loop.bzl\", \"z\")\nz = 1\n",
    )
    write(
        "eval",
        "load(\"//:slow.bzl\", \"m\")\nm(name = \"t\")\n"
        "//- //slow.bzl\n"
        "def m(name):\n    x = []\n    for i in range(100):\n        x.append(i)\n"
        "    if len(x) > 50:\n        native.filegroup(name = name)\n",
    )
    for t in texts:
        write("eval", t)
    write("eval", read("editors/vscode/test/fixture/app/BUILD.bazel").decode()
          + "//- //lib/defs.bzl\n" + read("server/src/workspace/eval/stand_ins/paths.bzl").decode())

    # label: label, current package, target name (one a line).
    for t in [
        "//pkg:name\npkg\nname",
        "@repo//a/b:c.txt\na/b\nx",
        "@@canonical~1.0+ext//:t\n\nt",
        "@//visibility:public\n\npublic",
        ":sub/x.cc\npkg\nsub/x.cc",
        "x.cc\nfoo/bar\nx.cc",
        "@repo\npkg\nrepo",
        "//a/b\na\nb",
        "//a/..:b\na/.\n.",
        "//conditions:default\npkg\n__pkg__",
        "@bad repo//x\npkg\nname\r",
        "//pkg:ñame\npkg\n😀",
        "@@//:x\n\n..",
    ]:
        write("label", t)

    # transport: framed JSON-RPC messages, good and bad.
    def frame(body):
        if isinstance(body, str):
            body = body.encode()
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    msgs = [
        '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}',
        '{"jsonrpc":"2.0","method":"initialized","params":{}}',
        '{"jsonrpc":"2.0","id":2,"method":"bzls/listConfigs"}',
        '{"jsonrpc":"2.0","id":"a","result":null}',
        '{"jsonrpc":"2.0","result":null}',
        '{"hello":"world"}',
        '[{"jsonrpc":"2.0","method":"exit"}]',
        '{"jsonrpc":"1.0","method":"exit"}',
        '{"jsonrpc":"2.0","id":{},"method":"x"}',
        '{"jsonrpc":"2.0","method":5,"id":7}',
        '{"jsonrpc":"2.0","method":"x","params":5}',
        "not json",
        '{"jsonrpc":"2.0","method":"exit"}',
        '{"jsonrpc":"2.0","id":3,"method":"shutdown"}',
    ]
    write("transport", b"".join(frame(m) for m in msgs))
    for m in msgs:
        write("transport", frame(m))
    write(
        "transport",
        b"Content-Length: 2\r\n\r\n{}content-length:3\r\nContent-Type: x\r\n\r\n[1]Foo: bar\r\n\r\n"
        b"Content-Length: zz\r\n\r\nContent-Length: 99999999999\r\n\r\nabc",
    )
    write("transport", b"Content-Length: 10\r\n\r\n{\"a\"")
    write("transport", b"X-" + b"a" * 9000 + b"\r\nContent-Length: 2\r\n\r\n{}")

    # decoders: slices of the embedded flag dump (raw and base64), help
    # lines, versions.
    raw = flag_messages(4000)
    write("decoders", raw)
    write("decoders", flag_messages(300))
    b64 = base64.b64encode(raw)
    write("decoders", b64)
    write("decoders", b"Starting local Bazel server...\n" + b64 + b"\n")
    write("decoders", base64.b64encode(raw).decode().rstrip("=").encode())
    one = field(1, 2, field(1, 2, b"keep_going") + field(2, 0, 1) + field(4, 2, b"build")
                + field(4, 2, b"test") + field(5, 2, b"k") + field(11, 2, b"old") + field(12, 2, b"no"))
    write("decoders", one)
    write("decoders", one + field(1, 2, field(4, 2, b"build")))
    write(
        "decoders",
        '  --[no]keep_going [-k] (a boolean; default: "false")\n'
        "  --jobs [-j] (an integer, or a keyword; default: \"auto\")\n"
        "bazel 7.1.0\n7.1.0rc1\n5.0.0-pre.20210317.1\nfork/7.1.0\n7.x\nlatest\n"
        "USE_BAZEL_VERSION=\"6.4.0\"\nexport USE_BAZEL_VERSION=7\ncc_library\ngenrule\nlabel_list\n",
    )


if __name__ == "__main__":
    main()
