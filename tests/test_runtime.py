"""Device names are checked before torch sees them, so a typo is one clear error."""

from __future__ import annotations

import pytest

from hockey_vae.cli import main
from hockey_vae.runtime import select_device


def test_select_device_refuses_a_name_that_is_not_a_device():
    with pytest.raises(ValueError, match="device must be auto, cpu, cuda, cuda:N or mps"):
        select_device("cdua")
    assert select_device("cpu").type == "cpu"


def test_cli_turns_os_errors_into_one_line(tmp_path, capsys):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    sample = tmp_path / "sample"
    assert main(["simulate", "--teams", "4", "--games", "2", "--out", str(sample)]) == 0
    code = main(["ingest", "tabular", str(sample / "events.parquet"), "--out",
                 str(blocker / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "hockey-vae ingest: error:" in err and "Traceback" not in err
