"""The simulator keeps the shape issue 15 asked for, checked by benchmarks/code_shape.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def code_shape():
    spec = importlib.util.spec_from_file_location("code_shape", ROOT / "benchmarks" / "code_shape.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_simulator_has_short_typed_functions_and_small_modules(code_shape):
    lines = code_shape.report([ROOT / "hockey_vae" / "simulate"])
    assert lines[:-1] == []  # no finding: module sizes, function lengths, parameters, types
    assert lines[-1].endswith(", 0 untyped parameters")
    assert int(lines[-1].split()[0]) >= 10  # the package really was split


def test_checker_flags_long_wide_and_untyped_functions(tmp_path, code_shape):
    body = "\n".join(f"    v{i} = {i}" for i in range(61))
    params = ", ".join(f"p{i}: int" for i in range(9))
    src = (f"def long() -> None:\n{body}\n\n"
           f"def wide({params}) -> None:\n    pass\n\n"
           "class K:\n    def loose(self, a, b: int):\n        pass\n"
           + "\n" * 400)
    path = tmp_path / "bad.py"
    path.write_text(src)
    lines = code_shape.report([path])
    text = "\n".join(lines)
    assert "module has" in text and "(> 400)" in text
    assert "long: 62 lines (> 60)" in text
    assert "wide: 9 parameters (> 8)" in text
    assert "K.loose: untyped a (return)" in text
    assert lines[-1] == "1 modules, 3 functions, 1 untyped parameters"
    assert code_shape.main([str(path)]) == 0
