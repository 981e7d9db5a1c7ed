"""bzls's stand-in for bazel_skylib's `lib/paths.bzl` when that repository is
not on disk: the documented API, written for bzls."""

def _basename(p):
    return p.split("/")[-1]

def _dirname(p):
    cut = p.rfind("/")
    if cut < 0:
        return ""
    head = p[:cut].rstrip("/")
    return head if head else "/"

def _is_absolute(path):
    return path.startswith("/") or (len(path) > 2 and path[1] == ":")

def _join(path, *others):
    joined = path
    for part in others:
        if _is_absolute(part):
            joined = part
        elif joined == "" or joined.endswith("/"):
            joined = joined + part
        else:
            joined = joined + "/" + part
    return joined

def _normalize(path):
    if path == "":
        return "."
    leading = 0
    if path.startswith("//") and not path.startswith("///"):
        leading = 2
    elif path.startswith("/"):
        leading = 1
    kept = []
    for part in path.split("/"):
        if part == "" or part == ".":
            continue
        if part == "..":
            if kept and kept[-1] != "..":
                kept.pop()
                continue
            if leading:
                continue
        kept.append(part)
    result = "/" * leading + "/".join(kept)
    return result if result else "."

def _relativize(path, start):
    parts = _normalize(path).split("/")
    base = _normalize(start).split("/")
    if base == ["."]:
        base = []
    if parts[:len(base)] != base:
        fail("Path '%s' is not beneath '%s'" % (path, start))
    return "/".join(parts[len(base):])

def _split_extension(p):
    name = _basename(p)
    dot = name.rfind(".")
    if dot <= 0:
        return (p, "")
    size = len(name) - dot
    return (p[:len(p) - size], p[len(p) - size:])

def _replace_extension(p, new_extension):
    return _split_extension(p)[0] + new_extension

def _starts_with(path_a, path_b):
    a = _normalize(path_a)
    b = _normalize(path_b)
    if not a.startswith(b):
        return False
    return len(a) == len(b) or b.endswith("/") or a[len(b)] == "/"

paths = struct(
    basename = _basename,
    dirname = _dirname,
    is_absolute = _is_absolute,
    is_normalized = lambda path, look_for_same_level_references = True: _normalize(path) == path,
    join = _join,
    normalize = _normalize,
    relativize = _relativize,
    replace_extension = _replace_extension,
    split_extension = _split_extension,
    starts_with = _starts_with,
)
