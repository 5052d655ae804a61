"""`import hockey_vae` stays light: heavy dependencies load only when a name that needs them is used."""

from __future__ import annotations

import subprocess
import sys

import hockey_vae

HEAVY = ("torch", "sklearn", "scipy", "matplotlib", "seaborn")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_loads_no_heavy_dependency() -> None:
    assert _loaded_after("import hockey_vae") == set()


def test_data_names_stay_light_and_model_names_load_torch() -> None:
    assert _loaded_after("import hockey_vae as hv; hv.simulate_league; hv.schema") == set()
    assert "torch" in _loaded_after("import hockey_vae as hv; hv.TrainConfig")


def test_every_public_name_resolves() -> None:
    for name in hockey_vae.__all__:
        assert getattr(hockey_vae, name) is not None, name
    assert hockey_vae.load is hockey_vae.load_run
    assert set(hockey_vae.__all__) <= set(dir(hockey_vae))


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        hockey_vae.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_cli_help_and_data_subcommands_never_import_torch(tmp_path) -> None:
    for argv in ("--help", "describe --help", "ingest --help", "train --help", "demo --help",
                 "toys --help", "fetch --help", "downstream --help"):
        code = (f"from hockey_vae.cli import main\ntry:\n    main({argv!r}.split())\n"
                "except SystemExit:\n    pass")
        assert "torch" not in _loaded_after(code), argv


def test_describe_and_ingest_run_without_torch(tmp_path) -> None:
    sample = tmp_path / "sample"
    code = (f"from hockey_vae.cli import main\n"
            f"main(['simulate', '--teams', '4', '--games', '2', '--out', {str(sample)!r}])\n"
            f"main(['describe', {str(sample)!r}])\n"
            f"main(['ingest', 'tabular', {str(sample / 'events.parquet')!r}, "
            f"'--out', {str(tmp_path / 'out')!r}])")
    assert "torch" not in _loaded_after(code)


def test_toy_names_match_the_core_toys() -> None:
    from hockey_vae.cli.toys import TOY_NAMES
    from hockey_vae.core.toys import TOYS

    assert sorted(TOYS) == list(TOY_NAMES)
