"""One CLI convention: --out, --device auto, --seed/--threads/--quiet, one model spelling."""

import argparse
import json
import logging

import pytest

from hockey_vae.cli import build_parser, main

# subcommands that train or evaluate a model: each takes --seed, --threads and --quiet
TRAINS_OR_EVALUATES = ("train", "evaluate", "demo", "downstream goals", "downstream outcome",
                       "downstream all")
# --out of these is a report path prefix (NAME -> NAME.md, NAME.json, NAME_*.png), said in
# their help; every other --out is a folder or one file
PREFIX_OUT = ("benchmark", "benchmark-report", "downstream goals", "downstream outcome",
              "downstream all")


def _commands(parser=None, prefix=""):
    """{'train': parser, 'plot rink': parser, ...} for every (sub)subcommand."""
    parser = parser or build_parser()
    out = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                key = f"{prefix} {name}".strip()
                nested = _commands(sub, key)
                out.update(nested or {key: sub})
    return out


def _flags(parser):
    return {opt: a for a in parser._actions for opt in a.option_strings}


def test_every_flag_has_help_and_every_out_says_folder_or_file():
    for name, parser in _commands().items():
        flags = _flags(parser)
        for opt, action in flags.items():
            assert action.help, f"{name} {opt} has no help"
        if "--out" in flags and name not in PREFIX_OUT:
            text = flags["--out"].help.lower()
            assert "folder" in text or "file" in text, f"{name} --out: {text}"


def test_device_defaults_to_auto_everywhere():
    seen = 0
    for name, parser in _commands().items():
        device = _flags(parser).get("--device")
        if device is not None:
            seen += 1
            assert device.default in ("auto", None) and "auto (default" in device.help, name
    assert seen >= 6


@pytest.mark.parametrize("name", TRAINS_OR_EVALUATES)
def test_training_and_evaluating_commands_take_seed_threads_quiet(name):
    flags = _flags(_commands()[name])
    assert {"--seed", "--threads", "--quiet"} <= set(flags), name


def test_lstm_nohist_spelled_one_way_accepted_both_ways():
    parser = build_parser()
    for spelling in ("lstm-nohist", "lstm_nohist", "LSTM_NOHIST"):
        args = parser.parse_args(["train", "--data", "d", "--out", "r", "--model", spelling])
        assert args.model == "lstm-nohist"
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--data", "d", "--out", "r", "--model", "lstm_nohistx"])


def test_evaluate_json_names_the_model_as_displayed(sim_dir, tmp_path, capsys):
    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps({"model": {"lstm-nohist": {"hidden": 8, "d_context": 8}},
                               "train": {"batch_games": 4, "val_samples": 2}}))
    root = logging.getLogger()
    level = root.level
    try:
        assert main(["train", "--data", str(sim_dir), "--model", "lstm_nohist", "--out",
                     str(tmp_path / "run"), "--epochs", "1", "--config", str(cfg), "--quiet",
                     "--threads", "1", "--seed", "4"]) == 0
        assert root.level == logging.WARNING  # --quiet: warnings and errors only
    finally:
        root.setLevel(level)
    train = json.loads((tmp_path / "run" / "config.json").read_text())["train_config"]
    assert (train["seed"], train["num_threads"], train["progress"]) == (4, 1, False)
    capsys.readouterr()
    assert main(["evaluate", "--run", str(tmp_path / "run"), "--data", str(sim_dir), "--json",
                 "--threads", "1", "--seed", "1", "--quiet"]) == 0
    root.setLevel(level)
    assert list(json.loads(capsys.readouterr().out)["models"]) == ["lstm-nohist"]
    assert main(["train", "--data", str(sim_dir), "--model", "lstm", "--out",
                 str(tmp_path / "r2"), "--threads", "0"]) == 2
    assert "--threads must be at least 1" in capsys.readouterr().err
