"""Two benchmark seeds as separate CLI runs, then `benchmark-report`: every key of the protocol."""

import json

import pandas as pd
import pyarrow as pa
import pytest
from _toy import toy_tables

from hockey_vae.cli import main
from hockey_vae.reporting.bins import PAIRED_BINS
from hockey_vae.schema import EVENTS, GAMES, ROSTERS
from hockey_vae.sources.base import Ingested, write_tables

TINY = {"features": {"lineup": True},
        "model": {"cvae": {"d_z": 2, "d_hidden": 8, "eval_samples": 4, "prior_samples": 2,
                           "encoder": {"hidden": 8, "d_context": 8}},
                  "lstm": {"hidden": 8, "d_context": 8}},
        "train": {"epochs": 1, "batch_games": 4, "progress": False, "val_samples": 2}}
MODELS = "cvae,lstm,cond-logit,cond-logit-lineup,frequency"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """Two seeds of a tiny benchmark with the last season held out; (tmp, runs folders)."""
    tmp = tmp_path_factory.mktemp("bench")
    t = toy_tables(n_games=24, events_per_game=25, seed=8)
    write_tables(Ingested(
        events=pa.Table.from_pandas(t.events, schema=EVENTS, preserve_index=False),
        games=pa.Table.from_pandas(t.games, schema=GAMES, preserve_index=False),
        rosters=pa.Table.from_pandas(t.rosters, schema=ROSTERS, preserve_index=False)),
        tmp / "data")
    cfg = tmp / "tiny.json"
    cfg.write_text(json.dumps(TINY))
    runs = []
    for s in (0, 1):
        runs.append(tmp / "runs" / f"seed{s}")
        assert main(["benchmark", "--data", str(tmp / "data"), "--out",
                     str(tmp / "rep" / f"seed{s}"), "--config", str(cfg), "--seed", str(s),
                     "--models", MODELS, "--runs", str(runs[-1]), "--test-season", "20212022",
                     "--diag-events", "100", "--threads", "1"]) == 0
    return tmp, runs


def test_seed_keeps_per_event_predictions(seeds):
    _, runs = seeds
    f = pd.read_parquet(runs[0] / "predictions" / "cond_logit.parquet")
    for col in ("game_id", "event_idx", "player_id", "known", "train_events", "event_type",
                "loglik_roster", "top1_on_ice", "top5_all", "ptop_roster", "in_set_roster"):
        assert col in f.columns, col
    assert f[["game_id", "event_idx"]].duplicated().sum() == 0
    assert (f.loc[f["known"], "train_events"] >= 1).all()
    seed_report = json.loads((runs[0] / "benchmark.json").read_text())
    assert seed_report["diagnostics"]["cvae"]["loglik_k1000"] < 0


def test_report_has_every_protocol_key(seeds, tmp_path, capsys):
    _, runs = seeds
    leaks = tmp_path / "leaks.json"
    leaks.write_text(json.dumps({"shuffled_slots": {"gain": 0.001}}))
    out = tmp_path / "player_id" / "toy"
    assert main(["benchmark-report", "--runs", *map(str, runs), "--out", str(out),
                 "--reference", "lstm", "--leak-checks", str(leaks), "--boot", "1000"]) == 0
    assert "nats/event" in capsys.readouterr().out
    r = json.loads(out.with_suffix(".json").read_text())
    models = ["cvae", "lstm", "cond_logit", "cond_logit_lineup", "frequency"]
    sets = ["all", "roster", "on_ice"]
    assert r["reference"] == "lstm" and r["test_season"] == "20212022"
    assert r["leak_checks"] == {"shuffled_slots": {"gain": 0.001}}
    assert "latent_model" not in r  # no model with player latents among these runs
    for m in models:
        for c in sets:
            assert set(r["models"][m][c]) >= {"top1", "top5", "loglik", "n_events"}
            assert set(r["seeds"][m][c]) >= {"mean", "sd", "n"} and r["seeds"][m][c]["n"] == 2
        for b in ("1-10", "11-50", "51-200", ">200", "unseen"):
            assert set(r["bins"][m][b]) == {"loglik", "top1", "n_events"}
        assert 0 <= r["calibration"][m]["ece"] <= 1
        assert r["everyone"][m]["roster"]["n_events"] >= r["models"][m]["roster"]["n_events"]
    for m in models[:1] + models[2:]:
        for k in (*sets, *PAIRED_BINS):
            assert set(r["paired"][m][k]) >= {"diff", "lo", "hi"}, (m, k)
        p = r["paired"][m]["roster"]
        assert p["lo"] <= p["diff"] <= p["hi"]
        # the paired diff over the same events is the difference of the seed means
        assert p["diff"] == pytest.approx(r["models"][m]["roster"]["loglik"]
                                          - r["models"]["lstm"]["roster"]["loglik"], abs=1e-6)
    d = r["diagnostics"]["cvae"]
    assert set(d) >= {"loglik_k10", "loglik_k100", "loglik_k1000", "kl_per_event",
                      "active_units"}
    assert 0 <= d["active_units"] <= 2 and d["kl_per_event"] >= 0
    assert "cond_logit" not in r["diagnostics"]
    assert {"data", "split", "commit", "command", "tuning_budget"} <= set(r)
    md = out.with_suffix(".md").read_text()
    assert "game-level cluster bootstrap" in md and " [" in md and "| cond_logit_lineup |" in md
    assert (out.parent / "toy_reliability.png").stat().st_size > 0


def test_report_errors_name_the_problem(seeds, tmp_path):
    _, runs = seeds
    assert main(["benchmark-report", "--runs", str(tmp_path), "--out",
                 str(tmp_path / "x")]) == 2
    assert main(["benchmark-report", "--runs", str(runs[0]), "--out", str(tmp_path / "x"),
                 "--reference", "nope"]) == 2
    assert main(["benchmark-report", "--runs", str(runs[0]), "--out", str(tmp_path / "x"),
                 "--boot", "10"]) == 2


def test_runs_of_one_seed_from_two_invocations_are_combined(seeds, tmp_path):
    """A model benchmarked later (`--models NEW`, its own --runs folder) joins its seed; the
    same model twice in one seed is refused."""
    import shutil

    from hockey_vae.reporting.aggregate import load_seed, merge_same_seed

    _, runs = seeds
    later = tmp_path / "seed0_later"
    (later / "predictions").mkdir(parents=True)
    report = json.loads((runs[0] / "benchmark.json").read_text())
    report["predictions"] = {"cond_logit": report["predictions"]["cond_logit"]}
    (later / "benchmark.json").write_text(json.dumps(report))
    shutil.copy(runs[0] / "predictions" / "cond_logit.parquet", later / "predictions")
    first = tmp_path / "seed0_first"
    shutil.copytree(runs[0], first)
    (first / "predictions" / "cond_logit.parquet").unlink()
    rep0 = json.loads((first / "benchmark.json").read_text())
    del rep0["predictions"]["cond_logit"]
    (first / "benchmark.json").write_text(json.dumps(rep0))
    merged = merge_same_seed([load_seed(first), load_seed(later), load_seed(runs[1])])
    assert len(merged) == 2
    assert merged[0].report["command"] == f"{rep0['command']} ; {report['command']}"
    assert set(merged[0].frames) == set(load_seed(runs[0]).frames)
    with pytest.raises(ValueError, match="in both"):
        merge_same_seed([load_seed(runs[0]), load_seed(later)])


def test_extra_file_brings_the_style_probe(seeds, tmp_path):
    _, runs = seeds
    probe = tmp_path / "probe.json"
    probe.write_text(json.dumps({"latent_model": "player-latent", "command": "probe cmd",
                                 "probe": {"player_latent": [{"style": "skill", "r2": 0.5,
                                                              "r2_boxscore": 0.4,
                                                              "n_players": 9}]}}))
    out = tmp_path / "rep"
    assert main(["benchmark-report", "--runs", *map(str, runs), "--out", str(out),
                 "--extra", str(probe)]) == 0
    rep = json.loads(out.with_suffix(".json").read_text())
    assert rep["latent_model"] == "player-latent"
    assert rep["probe"]["player_latent"][0]["r2_boxscore"] == 0.4
    assert "Style probe" in out.with_suffix(".md").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["benchmark-report", "--runs", str(runs[0]), "--out", str(out),
                 "--extra", str(bad)]) == 2


def test_a_run_with_player_latents_names_the_latent_model(seeds, tmp_path):
    """`latent_model` is set from the runs themselves when one of them has player-latent."""
    import shutil

    _, runs = seeds
    run = tmp_path / "seed0"
    shutil.copytree(runs[0], run)
    report = json.loads((run / "benchmark.json").read_text())
    entry = report["predictions"].pop("cond_logit")
    report["predictions"]["player_latent"] = entry.replace("cond_logit", "player_latent")
    (run / "benchmark.json").write_text(json.dumps(report))
    (run / "predictions" / "cond_logit.parquet").rename(
        run / "predictions" / "player_latent.parquet")
    out = tmp_path / "rep"
    assert main(["benchmark-report", "--runs", str(run), "--out", str(out)]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["latent_model"] == "player-latent"
