"""bzls's stand-in for bazel_skylib's `lib/shell.bzl` when that repository is
not on disk: the documented API, written for bzls."""

def _quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def _array_literal(iterable):
    return "(" + " ".join([_quote(str(item)) for item in iterable]) + ")"

shell = struct(quote = _quote, array_literal = _array_literal)
