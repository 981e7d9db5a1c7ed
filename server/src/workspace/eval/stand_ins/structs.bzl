"""bzls's stand-in for bazel_skylib's `lib/structs.bzl` when that repository
is not on disk: the documented API, written for bzls."""

def _to_dict(s):
    return {key: getattr(s, key) for key in dir(s) if key not in ("to_json", "to_proto")}

def _merge(first, *rest):
    fields = _to_dict(first)
    for more in rest:
        fields.update(_to_dict(more))
    return struct(**fields)

structs = struct(to_dict = _to_dict, merge = _merge)
