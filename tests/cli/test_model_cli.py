"""train / evaluate / embed / benchmark subcommands end to end on a tiny league."""

import json

import pandas as pd
import pyarrow as pa
import pytest
from _toy import toy_tables

from hockey_vae.cli import main
from hockey_vae.schema import EVENTS, GAMES, ROSTERS
from hockey_vae.sources.base import Ingested, write_tables

TINY = {"model": {"cvae": {"d_z": 2, "d_hidden": 8, "eval_samples": 4, "prior_samples": 2,
                           "encoder": {"hidden": 8, "d_context": 8}}},
        "train": {"batch_games": 4, "progress": False, "val_samples": 2}}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    t = toy_tables(n_games=12, events_per_game=25, seed=8)
    out = tmp_path_factory.mktemp("data")
    write_tables(Ingested(
        events=pa.Table.from_pandas(t.events, schema=EVENTS, preserve_index=False),
        games=pa.Table.from_pandas(t.games, schema=GAMES, preserve_index=False),
        rosters=pa.Table.from_pandas(t.rosters, schema=ROSTERS, preserve_index=False)), out)
    return out


def test_train_evaluate_embed(data_dir, tmp_path, capsys):
    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps(TINY))
    run = tmp_path / "run"
    assert main(["train", "--data", str(data_dir), "--model", "cvae", "--out", str(run),
                 "--epochs", "1", "--config", str(cfg)]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--run", str(run), "--data", str(data_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["models"]["cvae"]) == {"all", "roster", "on_ice", "sparse"}
    assert {"top1", "top5", "loglik", "n_events"} == set(out["models"]["cvae"]["roster"])
    assert main(["embed", "--run", str(run), "--data", str(data_dir), "--out",
                 str(tmp_path / "p.parquet"), "--per-player"]) == 0
    assert "n_events" in pd.read_parquet(tmp_path / "p.parquet").columns


def test_unknown_config_key_is_an_error(data_dir, tmp_path, capsys):
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({"train": {"epoch": 1}}))
    code = main(["train", "--data", str(data_dir), "--model", "lstm", "--out",
                 str(tmp_path / "r"), "--config", str(cfg)])
    assert code == 2 and "unknown train config key" in capsys.readouterr().err
    cfg.write_text(json.dumps({"modle": {}}))
    assert main(["train", "--data", str(data_dir), "--model", "lstm", "--out",
                 str(tmp_path / "r"), "--config", str(cfg)]) == 2


def test_benchmark_writes_report(data_dir, tmp_path):
    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps(TINY))
    out = tmp_path / "reports" / "toy"
    assert main(["benchmark", "--data", str(data_dir), "--out", str(out), "--epochs", "1",
                 "--models", "cvae,lstm-nohist,uniform", "--config", str(cfg),
                 "--runs", str(tmp_path / "runs")]) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    assert set(report["models"]) == {"cvae", "lstm_nohist", "uniform"}
    assert {"data", "split", "commit"} <= set(report)
    assert "| cvae |" in out.with_suffix(".md").read_text()


@pytest.fixture(scope="module")
def league_dir(tmp_path_factory):
    from hockey_vae.simulate import simulate_league

    out = tmp_path_factory.mktemp("league")
    write_tables(simulate_league(n_teams=4, games=4, seed=2), out)
    return out


def test_one_config_file_serves_train_and_benchmark(league_dir, tmp_path, capsys):
    cfg = tmp_path / "lineup.json"
    cfg.write_text(json.dumps({"features": {"lineup": True},
                               "train": {"epochs": 1, "batch_games": 4, "progress": False}}))
    run = tmp_path / "run"
    assert main(["train", "--data", str(league_dir), "--model", "lstm", "--out", str(run),
                 "--config", str(cfg)]) == 0
    written = json.loads((run / "config.json").read_text())
    assert written["features"]["lineup"] and written["model_config"]["lineup"]
    out = tmp_path / "reports" / "lineup"
    assert main(["benchmark", "--data", str(league_dir), "--out", str(out), "--config", str(cfg),
                 "--models", "lstm-nohist,frequency", "--runs", str(tmp_path / "runs")]) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["config"]["features"]["lineup"] and report["train_config"]["epochs"] == 1
    assert json.loads((tmp_path / "runs" / "lstm-nohist" / "config.json").read_text())[
        "features"] == {"min_player_events": 1, "history": False, "on_ice_history": False,
                        "lineup": True}


@pytest.mark.parametrize(("section", "key", "value"), [
    ("train", "epochz", 1), ("train", "device", "cdua"), ("train", "epochs", 2.9),
    ("train", "val_candidates", "everyone"), ("train", "split_fractions", [0.9, 0.1]),
    ("train", "split_fractions", [0.5, 0.3, 0.3]), ("train", "train_candidates", ["bench"]),
    ("features", "lineup", "yes"), ("model", "lineup", True)])
def test_bad_config_is_refused_naming_the_key_before_data_load(tmp_path, capsys, section, key,
                                                               value):
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({section: {key: value}}))
    missing = str(tmp_path / "no_such_data")  # reading it would fail differently
    for cmd in (["train", "--model", "lstm", "--out", str(tmp_path / "r")],
                ["benchmark", "--models", "lstm", "--out", str(tmp_path / "rep")]):
        assert main([*cmd, "--data", missing, "--config", str(cfg)]) == 2
        err = capsys.readouterr().err
        assert repr(key) in err and "no_such_data" not in err, err


def test_presets_inherit_from_base_and_all_load():
    from pathlib import Path

    from hockey_vae.config import load_config, read_config_file

    configs = Path(__file__).resolve().parents[2] / "configs"
    for path in sorted(configs.glob("*.json")):
        load_config(path)  # every preset is valid
    lineup = load_config(configs / "nhl_lineup_onice_history.json")
    assert lineup.features.lineup and lineup.features.on_ice_history
    assert lineup.train.epochs == 15 and lineup.train.split_within_last_season
    assert "base" in json.loads((configs / "nhl_lineup_onice_history.json").read_text())
    assert "base" not in read_config_file(configs / "nhl_lineup_onice_history.json")


def test_demo_reads_the_same_schema_and_refuses_a_bad_file_first(tmp_path, capsys):
    cfg = tmp_path / "demo.json"
    cfg.write_text(json.dumps({"features": {"lineup": True}, "train": {"epochs": 1}}))
    assert main(["demo", "--out", str(tmp_path / "d"), "--teams", "4", "--games", "4",
                 "--models", "frequency", "--config", str(cfg)]) == 0
    report = json.loads((tmp_path / "d" / "report" / "player_id.json").read_text())
    assert report["config"]["features"]["lineup"] and report["train_config"]["epochs"] == 1
    assert report["train_config"]["batch_games"] == 4  # the demo preset underneath
    capsys.readouterr()
    cfg.write_text(json.dumps({"train": {"epochs": 2.9}}))
    assert main(["demo", "--out", str(tmp_path / "e"), "--config", str(cfg)]) == 2
    captured = capsys.readouterr()
    assert "'epochs'" in captured.err and "simulating" not in captured.out


def test_run_folders_from_before_the_refactor_are_refused_clearly(league_dir, tmp_path):
    import torch

    from hockey_vae.train import load_run

    assert main(["train", "--data", str(league_dir), "--model", "frequency", "--out",
                 str(tmp_path / "run")]) == 0
    state = torch.load(tmp_path / "run" / "best.pt", weights_only=True)
    del state["encoder"]["history"]  # what a pre-issue-15 checkpoint looks like
    torch.save(state, tmp_path / "run" / "best.pt")
    with pytest.raises(ValueError, match="before the features refactor"):
        load_run(tmp_path / "run")


def test_every_flag_has_help_and_version_prints(capsys):
    import argparse

    from hockey_vae import __version__
    from hockey_vae.cli import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, where: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{where} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{where} {action.option_strings or action.dest}")

    walk(build_parser(), "hockey-vae")
    assert not missing, f"flags without help text: {missing}"
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out
