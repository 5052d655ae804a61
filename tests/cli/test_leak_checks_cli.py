"""`hockey-vae leak-checks` on a simulated league: one JSON keyed by check, and its .md twin."""

import json
import math

from hockey_vae.cli import main
from hockey_vae.leak_checks import LEAK_CHECKS


def test_leak_checks_cli_writes_json_and_markdown(tmp_path, capsys):
    data = tmp_path / "league"
    assert main(["simulate", "--teams", "4", "--games", "6", "--seed", "3", "--out",
                 str(data)]) == 0
    config = tmp_path / "lstm.json"
    config.write_text(json.dumps({"features": {"lineup": True},
                                  "model": {"hidden": 8, "d_context": 8},
                                  "train": {"epochs": 1, "progress": False}}))
    assert main(["train", "--data", str(data), "--model", "lstm", "--out",
                 str(tmp_path / "run"), "--config", str(config)]) == 0
    capsys.readouterr()
    out = tmp_path / "checks" / "leak.json"
    assert main(["leak-checks", "--run", str(tmp_path / "run"), "--data", str(data), "--out",
                 str(out), "--seed", "1", "--threads", "1"]) == 0
    result = json.loads(out.read_text())
    assert set(result) == {*LEAK_CHECKS, "meta"}
    assert result["meta"]["features"]["lineup"] is True and result["meta"]["seed"] == 1
    for name in LEAK_CHECKS:
        assert math.isfinite(result[name]["perturbed_loglik"]) and result[name]["n_events"] > 0
    assert "| shuffled_lineup |" in out.with_suffix(".md").read_text()
    assert "shuffled_lineup:" in capsys.readouterr().out
