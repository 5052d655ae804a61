"""`hockey-vae downstream`: end to end on a small synthetic league, report shape."""

from __future__ import annotations

import json

import pytest
from conftest import make_league, write_canonical

from hockey_vae.cli import main
from hockey_vae.downstream import check_unseen


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    league = make_league(n_games=40, seed=1)
    folder = tmp_path_factory.mktemp("sim")
    write_canonical(league, folder / "tables")
    league["event_embeddings"].to_parquet(folder / "emb.parquet")
    return folder


def test_all_with_embeddings_writes_the_report_shape(data_dir, tmp_path):
    out = tmp_path / "reports" / "sim"
    code = main(["downstream", "all", "--data", str(data_dir / "tables"), "--embeddings",
                 str(data_dir / "emb.parquet"), "--out", str(out), "--models", "logistic",
                 "--n-boot", "5"])  # fmt: skip
    assert code == 0
    report = json.loads((tmp_path / "reports" / "sim.json").read_text())
    for situation in ("5v5", "all"):
        for variant in ("baseline", "with_embeddings"):
            entry = report["goals"][situation][variant]
            assert set(entry) >= {"auc", "log_loss", "brier"}
    for variant in ("baseline", "with_embeddings"):
        assert set(report["outcome"]["in_game"][variant]) >= {"log_loss", "accuracy"}
    for variant in ("home_ice", "team", "with_embeddings"):
        assert set(report["outcome"]["pre_game"][variant]) >= {"accuracy", "log_loss", "auc"}
    meta = report["meta"]
    assert meta["command"].startswith("hockey-vae downstream all --data")
    assert meta["commit"] and meta["seed"] == 0 and meta["split"]["test"]["games"] == 4
    for path in report["figures"].values():
        assert (out.parent / path).is_file()
    text = (tmp_path / "reports" / "sim.md").read_text()
    assert "Overtime and shootout games count for their final winner" in text
    assert "hockeyR" in text


def test_baseline_only_marks_embeddings_as_not_run(data_dir, tmp_path):
    out = tmp_path / "goals_only"
    assert main(["downstream", "goals", "--data", str(data_dir / "tables"), "--out", str(out),
                 "--models", "logistic", "--n-boot", "5"]) == 0  # fmt: skip
    report = json.loads((tmp_path / "goals_only.json").read_text())
    assert report["goals"]["all"]["with_embeddings"] is None
    assert "outcome" not in report
    assert "| all | with_embeddings | not run |" in (tmp_path / "goals_only.md").read_text()


def test_bad_arguments_fail_cleanly_without_writing(data_dir, tmp_path, capsys):
    out = tmp_path / "nothing"
    code = main(["downstream", "goals", "--data", str(tmp_path / "absent"), "--out", str(out)])
    assert code == 2
    assert "missing events.parquet" in capsys.readouterr().err
    (tmp_path / "nothing.json").write_text("{}")  # an earlier report survives a failed run
    code = main(["downstream", "goals", "--data", str(data_dir / "tables"), "--out", str(out),
                 "--models", "svm"])  # fmt: skip
    assert code == 2
    assert "expected one or more of ['logistic', 'hgb']" in capsys.readouterr().err
    assert (tmp_path / "nothing.json").read_text() == "{}"


def test_embeddings_from_a_model_that_saw_test_games_are_refused():
    import pandas as pd

    part = pd.Series({"G1": "train", "G2": "val", "G3": "test"})
    check_unseen(part, ["G1"])  # fine
    check_unseen(part, None)  # unknown: nothing to check
    with pytest.raises(ValueError, match="trained on 1 validation/test game"):
        check_unseen(part, ["G1", "G3"])
