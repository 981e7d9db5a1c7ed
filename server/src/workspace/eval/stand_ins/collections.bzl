"""bzls's stand-in for bazel_skylib's `lib/collections.bzl` when that
repository is not on disk: the documented API, written for bzls."""

def _after_each(separator, iterable):
    out = []
    for item in iterable:
        out.append(item)
        out.append(separator)
    return out

def _before_each(separator, iterable):
    out = []
    for item in iterable:
        out.append(separator)
        out.append(item)
    return out

def _uniq(iterable):
    seen = {}
    for item in iterable:
        seen[item] = None
    return list(seen.keys())

collections = struct(after_each = _after_each, before_each = _before_each, uniq = _uniq)
