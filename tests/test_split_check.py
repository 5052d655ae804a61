"""Too little data is refused before any training, with the split sizes in the message."""

import json

import pytest
from _tiny_run import SMALL, cfg, write_toy_dir
from _toy import toy_tables

from hockey_vae.benchmark import run_benchmark
from hockey_vae.cli import main
from hockey_vae.split_check import InsufficientData, check_split, require_games
from hockey_vae.train import fit


def test_one_game_refuses_a_trained_model_before_training(tmp_path):
    one = toy_tables(n_games=1, events_per_game=20, seed=2)
    with pytest.raises(InsufficientData, match=r"training lstm: 1 game\(s\) split into "
                                               r"train/val/test = 1/0/0 .*no validation game"):
        fit(one, tmp_path / "run", "lstm", model_overrides=SMALL, train_config=cfg())
    assert not (tmp_path / "run").exists()
    assert fit(one, tmp_path / "freq", "frequency", train_config=cfg()).model.counts.sum() > 0


def test_benchmark_with_too_few_games_fails_before_training(tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        pytest.fail("the benchmark trained although the split has no test game")

    monkeypatch.setattr("hockey_vae.benchmark.fit", no_training)
    three = toy_tables(n_games=3, events_per_game=20, seed=2)
    out = tmp_path / "reports" / "few"
    with pytest.raises(InsufficientData,
                       match=r"benchmark: 3 game\(s\) .* = 2/1/0 .*no test game"):
        run_benchmark(three, out, models=["lstm", "uniform"],
                      config={"train": {"epochs": 1, "progress": False}},
                      runs_dir=tmp_path / "runs")
    assert not (tmp_path / "reports").exists() and not (tmp_path / "runs").exists()


def test_cli_benchmark_with_too_few_games_is_one_line(tmp_path, capsys):
    data = write_toy_dir(tmp_path / "data", n_games=2)
    code = main(["benchmark", "--data", str(data), "--out", str(tmp_path / "r" / "x"),
                 "--models", "uniform", "--runs", str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "too little data for benchmark" in err[0]
    assert not (tmp_path / "r").exists()


def test_evaluate_without_test_games_is_a_clear_error_and_json_is_strict(tmp_path, capsys):
    data = write_toy_dir(tmp_path / "data", n_games=10)
    run = tmp_path / "run"
    fit(toy_tables(n_games=10, events_per_game=20, seed=8), run, "frequency",
        train_config=cfg())
    assert main(["evaluate", "--run", str(run), "--data", str(data), "--json"]) == 0
    text = capsys.readouterr().out
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in evaluate --json"))
    fewer = write_toy_dir(tmp_path / "fewer", n_games=8)  # lacks the run's test game
    assert main(["evaluate", "--run", str(run), "--data", str(fewer)]) == 2
    captured = capsys.readouterr()
    assert "no test games of run" in captured.err and "nan" not in captured.out.lower()


def test_check_split_and_require_games_units():
    check_split({"train": ["a"], "val": ["b"], "test": []}, ("train", "val"))
    with pytest.raises(InsufficientData, match="no validation or test game; .* needs at least "
                                               "one training, one validation and one test game"):
        check_split({"train": ["a"], "val": [], "test": []}, ("train", "val", "test"))
    require_games(3, "test")
    with pytest.raises(InsufficientData, match="no val games"):
        require_games(0, "val")
