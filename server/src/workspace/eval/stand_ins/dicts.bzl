"""bzls's stand-in for bazel_skylib's `lib/dicts.bzl` when that repository is
not on disk: the documented API, written for bzls."""

def _add(*dictionaries, **kwargs):
    merged = {}
    for one in dictionaries:
        merged.update(one)
    merged.update(kwargs)
    return merged

def _omit(dictionary, keys):
    dropped = {key: None for key in keys}
    return {key: value for key, value in dictionary.items() if key not in dropped}

def _pick(dictionary, keys):
    return {key: dictionary[key] for key in keys if key in dictionary}

dicts = struct(add = _add, omit = _omit, pick = _pick)
