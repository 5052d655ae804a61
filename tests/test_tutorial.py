"""docs/tutorial.md runs as written: every python block, then every hockey-vae line of the
bash blocks, in order, in an empty folder."""

import re
import shlex
from pathlib import Path

import matplotlib
import pytest

from hockey_vae.cli import main

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"


def _blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"```(python|bash)\n(.*?)```", text, flags=re.S)


@pytest.mark.slow
def test_tutorial_runs(tmp_path, monkeypatch, capsys):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    blocks = _blocks(TUTORIAL.read_text())
    assert sum(kind == "python" for kind, _ in blocks) >= 5
    namespace: dict = {}
    for kind, code in blocks:
        if kind == "python":
            exec(compile(code, str(TUTORIAL), "exec"), namespace)  # noqa: S102
            continue
        for line in code.strip().splitlines():
            argv = shlex.split(line)
            assert argv[0] == "hockey-vae", line
            assert main(argv[1:]) == 0, line
    out = capsys.readouterr().out
    assert "players most like" in out and "with embeddings" in out
    for name in ("players.csv", "players.parquet", "shots.png", "map.png", "martin.png",
                 "game.png"):
        assert (tmp_path / name).stat().st_size > 0, name
