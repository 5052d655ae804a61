"""JSON writers never emit NaN or Infinity: null, with the path and reason under "nulls"."""

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hockey_vae.jsonsafe import dumps_json, json_safe, write_json


def test_non_finite_values_become_null_with_their_path_and_reason():
    obj = {"models": {"cvae": {"roster": {"loglik": float("nan"), "top1": 0.25}}},
           "rates": [1.0, float("inf"), np.float32("-inf")], "n": np.int64(3)}
    text = dumps_json(obj)
    out = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))
    assert out["models"]["cvae"]["roster"] == {"loglik": None, "top1": 0.25}
    assert out["rates"] == [1.0, None, None] and out["n"] == 3
    assert out["nulls"] == {"models.cvae.roster.loglik": "NaN replaced by null",
                            "rates[1]": "Infinity replaced by null",
                            "rates[2]": "-Infinity replaced by null"}


def test_finite_objects_are_unchanged_and_get_no_note():
    obj = {"a": [1, 2.5, "x", None, True], "b": {"c": (1, 2)}}
    assert json.loads(dumps_json(obj)) == {"a": [1, 2.5, "x", None, True], "b": {"c": [1, 2]}}


def test_numpy_and_torch_values_become_plain_json():
    clean, nulls = json_safe({"arr": np.array([1.0, np.nan]), "t": torch.tensor(2.0),
                              "d": np.datetime64("2021-01-02")})
    assert clean["arr"] == [1.0, None] and nulls == {"arr[1]": "NaN"}
    assert clean["t"] == 2.0 and isinstance(clean["d"], str)


def test_top_level_list_is_cleaned_without_a_note():
    assert json.loads(dumps_json([math.nan, 1])) == [None, 1]


def test_an_existing_nulls_key_is_never_overwritten():
    with pytest.raises(ValueError, match="nulls"):
        dumps_json({"nulls": 1, "x": math.nan})


def test_write_json_is_strict_json_on_disk(tmp_path):
    path = write_json({"x": math.inf}, tmp_path / "out.json")
    assert json.loads(path.read_text()) == {"x": None,
                                            "nulls": {"x": "Infinity replaced by null"}}


_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
                    st.floats(allow_nan=True, allow_infinity=True))
_trees = st.recursive(_leaves, lambda kids: st.lists(kids, max_size=4)
                      | st.dictionaries(st.text(max_size=4), kids, max_size=4), max_leaves=20)


def _strict(text):
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))


def _same_finite(a, b):
    """b equals a with every non-finite float replaced by None."""
    if isinstance(a, float) and not math.isfinite(a):
        return b is None
    if isinstance(a, dict):
        return set(a) == set(b) and all(_same_finite(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same_finite, a, b))
    return a == b


@settings(max_examples=200, deadline=None)
@given(_trees)
def test_any_tree_gives_strict_json_with_every_null_noted(tree):
    out = _strict(dumps_json({"data": tree}))
    assert _same_finite(tree, out["data"])
    assert ("nulls" in out) == _has_nonfinite(tree)


def _has_nonfinite(x):
    if isinstance(x, float):
        return not math.isfinite(x)
    values = x.values() if isinstance(x, dict) else x if isinstance(x, list) else []
    return any(_has_nonfinite(v) for v in values)
