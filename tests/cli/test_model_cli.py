"""train / evaluate / embed / benchmark subcommands end to end on a tiny league."""

import json

import pandas as pd
import pyarrow as pa
import pytest
from _toy import toy_tables

from hockey_vae.cli import main
from hockey_vae.schema import EVENTS, GAMES, ROSTERS
from hockey_vae.sources.base import Ingested, write_tables

TINY = {"model": {"d_z": 2, "d_hidden": 8, "eval_samples": 4, "prior_samples": 2,
                  "encoder": {"hidden": 8, "d_context": 8}},
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
    cfg.write_text(json.dumps({"model": {"cvae": TINY["model"]}, "train": TINY["train"]}))
    out = tmp_path / "reports" / "toy"
    assert main(["benchmark", "--data", str(data_dir), "--out", str(out), "--epochs", "1",
                 "--models", "cvae,lstm-nohist,uniform", "--config", str(cfg),
                 "--runs", str(tmp_path / "runs")]) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    assert set(report["models"]) == {"cvae", "lstm_nohist", "uniform"}
    assert {"data", "split", "commit"} <= set(report)
    assert "| cvae |" in out.with_suffix(".md").read_text()
