"""bzls's stand-in for bazel_skylib's `lib/types.bzl` when that repository is
not on disk: the documented API, written for bzls."""

def _is(kind):
    return lambda v: type(v) == kind

types = struct(
    is_list = _is("list"),
    is_string = _is("string"),
    is_bool = _is("bool"),
    is_none = lambda v: v == None,
    is_int = _is("int"),
    is_float = _is("float"),
    is_tuple = _is("tuple"),
    is_dict = _is("dict"),
    is_function = lambda v: type(v) in ("function", "builtin_function_or_method", "rule", "macro"),
    is_depset = _is("depset"),
    is_set = lambda v: type(v) in ("set", "struct"),
)
