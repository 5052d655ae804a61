"""Run folders: no training over another run, --resume checks what it continues, --overwrite
clears the old run, and config.json arrives with the first checkpoint."""

import dataclasses
import json

import pandas as pd
import pytest
from _tiny_run import CVAE_SMALL, SMALL, cfg, digests, write_toy_dir
from _toy import toy_tables

from hockey_vae.cli import main
from hockey_vae.models import PlayerCVAE
from hockey_vae.resume import data_fingerprint
from hockey_vae.run_folder import RunFolderError, clear_stale, prepare_run_folder
from hockey_vae.train import fit, load_run


@pytest.fixture(scope="module")
def tables():
    return toy_tables(n_games=10, events_per_game=20, seed=6)


@pytest.fixture()
def lstm_run(tables, tmp_path):
    fit(tables, tmp_path / "run", "lstm", model_overrides=SMALL, train_config=cfg())
    return tmp_path / "run"


def test_training_into_a_folder_holding_a_run_is_refused(tables, lstm_run):
    before = digests(lstm_run)
    with pytest.raises(RunFolderError, match=r"already holds a lstm run .*--resume.*--overwrite"):
        fit(tables, lstm_run, "frequency", train_config=cfg())
    assert digests(lstm_run) == before


def test_overwrite_clears_the_previous_runs_files(tables, lstm_run):
    (lstm_run / ".metrics.csv.123.tmp").write_text("left by a kill")
    fit(tables, lstm_run, "frequency", train_config=cfg(), overwrite=True)
    assert sorted(p.name for p in lstm_run.iterdir()) == ["best.pt", "checkpoint.pt",
                                                          "config.json"]
    assert json.loads((lstm_run / "config.json").read_text())["model_name"] == "frequency"
    assert load_run(lstm_run).history.empty  # no stale metrics.csv of the lstm run


def test_a_kill_before_the_first_checkpoint_leaves_the_old_run_intact(tables, lstm_run,
                                                                      monkeypatch):
    before = digests(lstm_run)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # stands in for a kill during epoch 0

    monkeypatch.setattr(PlayerCVAE, "forward", killed)
    with pytest.raises(KeyboardInterrupt):
        fit(tables, lstm_run, "cvae", model_overrides=CVAE_SMALL, train_config=cfg(),
            overwrite=True)
    assert digests(lstm_run) == before  # no cvae config.json beside lstm weights


def test_resume_with_another_model_names_both(tables, lstm_run):
    with pytest.raises(RunFolderError, match=r"is a 'lstm' run, not 'cvae'; pass --model lstm"):
        fit(tables, lstm_run, "cvae", train_config=cfg(epochs=2), resume=True)


def test_resume_names_every_config_difference(tables, lstm_run):
    with pytest.raises(RunFolderError) as err:
        fit(tables, lstm_run, "lstm", model_overrides={**SMALL, "hidden": 16},
            train_config=cfg(epochs=2, lr=0.01, batch_games=2), resume=True)
    msg = str(err.value)
    for part in ("model.hidden 8 -> 16", "train.lr 0.003 -> 0.01", "train.batch_games 4 -> 2"):
        assert part in msg, msg
    assert "train.epochs" not in msg  # running longer is what resume is for


def test_resume_names_changed_and_missing_games(tables, lstm_run):
    events = tables.events
    split = json.loads((lstm_run / "config.json").read_text())["split"]
    gone, edited = split["train"][0], split["train"][1]
    ev = events[events["game_id"] != gone].copy()
    ev.loc[ev.index[ev["game_id"] == edited][3], "x"] = 12.5
    other = dataclasses.replace(tables, events=ev)
    with pytest.raises(RunFolderError, match=rf"1 of the run's \d+ training/validation games are "
                                             rf"not in the data \(e.g. {gone}\).*1 training/"
                                             rf"validation game\(s\) hold other events.*{edited}"):
        fit(other, lstm_run, "lstm", model_overrides=SMALL, train_config=cfg(epochs=2),
            resume=True)


def test_data_fingerprint_sees_order_independent_content():
    t = toy_tables(n_games=3, events_per_game=5, seed=1)
    ids = list(t.games["game_id"])
    fp = data_fingerprint(t.events, ids + ["absent"])
    assert fp["absent"] == [0, ""] and all(fp[g][0] == 5 for g in ids)
    shuffled = t.events.sample(frac=1.0, random_state=0)
    assert data_fingerprint(shuffled, ids) == {g: fp[g] for g in ids}


def test_prepare_run_folder_rules(tmp_path):
    prepare_run_folder(tmp_path / "new")  # a new folder is fine
    prepare_run_folder(None)
    (tmp_path / "f").write_text("x")
    with pytest.raises(RunFolderError, match="is a file"):
        prepare_run_folder(tmp_path / "f")
    with pytest.raises(RunFolderError, match="exclude each other"):
        prepare_run_folder(tmp_path, resume=True, overwrite=True)
    with pytest.raises(FileNotFoundError, match="cannot resume: .*checkpoint.pt"):
        prepare_run_folder(tmp_path, resume=True)
    (tmp_path / "other.txt").write_text("user file")
    (tmp_path / "metrics.csv").write_text("epoch\n0\n")
    assert clear_stale(tmp_path) == ["metrics.csv"]
    assert (tmp_path / "other.txt").exists()  # only run files are removed


def test_cli_refuses_then_overwrites_then_resume_checks_the_config(tmp_path, capsys):
    data = write_toy_dir(tmp_path / "data")
    conf = tmp_path / "c.json"
    conf.write_text(json.dumps({"model": SMALL, "train": {"batch_games": 4, "progress": False}}))
    run = tmp_path / "run"
    base = ["train", "--data", str(data), "--out", str(run), "--epochs", "1"]
    assert main([*base, "--model", "lstm", "--config", str(conf)]) == 0
    assert main([*base, "--model", "frequency"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main([*base, "--model", "cvae", "--resume"]) == 2
    assert "not 'cvae'" in capsys.readouterr().err
    assert main([*base, "--model", "lstm", "--resume", "--epochs", "2"]) == 2  # no --config
    err = capsys.readouterr().err
    assert "model.hidden" in err and "Traceback" not in err
    assert main([*base, "--model", "lstm", "--resume", "--epochs", "2", "--config",
                 str(conf)]) == 0
    assert len(pd.read_csv(run / "metrics.csv")) == 2
    assert main([*base, "--model", "frequency", "--overwrite"]) == 0
    assert not (run / "metrics.csv").exists()


def test_estimator_refit_replaces_its_run(tables, tmp_path):
    from hockey_vae.estimator import PlayerEmbedder

    est = PlayerEmbedder(model="frequency", run_dir=str(tmp_path / "est"),
                         config={"train": {"progress": False}})
    est.fit(tables)
    est.fit(tables)  # sklearn semantics: a second fit replaces the first
    assert load_run(tmp_path / "est").name == "frequency"


def test_resume_with_another_model_is_named_before_any_other_check(tables, lstm_run):
    # lstm-nohist would otherwise fail first on its own feature check
    with pytest.raises(RunFolderError, match=r"is a 'lstm' run, not 'lstm-nohist'"):
        fit(tables, lstm_run, "lstm-nohist", train_config=cfg(epochs=2), resume=True)


def test_settings_newer_than_a_checkpoint_read_as_their_old_behaviour():
    """A run written before `pack_by_length` / `extra_latents` existed resumes with the
    behaviour it had (no packing, no extra latents) and is refused with the new one."""
    from hockey_vae.resume import check_resume

    ckpt = {"model_name": "player-latent", "model_config": {"d_u": 4},
            "train_config": {"batch_games": 2, "epochs": 3}}
    old = {"train_config": {"batch_games": 2, "epochs": 5, "pack_by_length": False},
           "model_config": {"d_u": 4, "extra_latents": False}}
    check_resume(ckpt, "run", model="player-latent", fingerprint={}, **old)
    new = {"train_config": {**old["train_config"], "pack_by_length": True},
           "model_config": {"d_u": 4, "extra_latents": True}}
    with pytest.raises(RunFolderError, match="pack_by_length False -> True") as err:
        check_resume(ckpt, "run", model="player-latent", fingerprint={}, **new)
    assert "model.extra_latents False -> True" in str(err.value)
