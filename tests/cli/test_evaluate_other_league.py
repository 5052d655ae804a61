"""`evaluate` on another league: every game the run did not train on is scored, and said so."""

import json

from hockey_vae.cli import main


def test_evaluate_on_another_league_scores_its_games(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["simulate", "--teams", "4", "--games", "6", "--seed", "1", "--league", "AAA",
                 "--out", str(a)]) == 0
    assert main(["simulate", "--teams", "4", "--games", "4", "--seed", "2", "--league", "BBB",
                 "--out", str(b)]) == 0
    config = tmp_path / "lstm.json"
    config.write_text(json.dumps({"model": {"hidden": 8, "d_context": 8},
                                  "train": {"epochs": 1, "progress": False}}))
    assert main(["train", "--data", str(a), "--model", "lstm", "--out", str(tmp_path / "run"),
                 "--config", str(config)]) == 0
    capsys.readouterr()

    assert main(["evaluate", "--run", str(tmp_path / "run"), "--data", str(b), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["split"]["n_games"] == 8  # 4 teams x 4 games / 2, none of them the run's
    assert "neither trained nor validated" in out["split"]["note"]
    # league BBB shares no player with AAA: every acting player is unseen, and reported
    assert out["models"]["lstm"]["roster"]["n_events"] == 0
    unseen = out["unknown"]
    assert unseen["n_events"] == unseen["n_total"] > 0
    assert unseen["roster"]["n_events"] == unseen["n_events"]
    assert -10 < unseen["roster"]["loglik"] < 0

    assert main(["evaluate", "--run", str(tmp_path / "run"), "--data", str(b)]) == 0
    text = capsys.readouterr().out
    assert "neither trained nor validated" in text and "unseen players, roster" in text

def test_evaluate_on_its_own_data_keeps_its_test_games(tmp_path, capsys):
    a = tmp_path / "a"
    assert main(["simulate", "--teams", "4", "--games", "10", "--out", str(a)]) == 0
    assert main(["train", "--data", str(a), "--model", "frequency",
                 "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--run", str(tmp_path / "run"), "--data", str(a)]) == 0
    assert "the run's 2 test games" in capsys.readouterr().out
