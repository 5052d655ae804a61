"""benchmarks/gpu.sh runs end to end on CPU (--dry-run): throughput, MFU and a 2-process DDP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu.sh"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          env=env, timeout=600, check=False)


def test_unknown_option_is_refused_and_help_describes_the_outputs() -> None:
    bad = _run("--fast")
    assert bad.returncode == 2 and "unknown option --fast" in bad.stderr
    helped = _run("--help")
    assert helped.returncode == 0 and "gpu_ddp.json" in helped.stdout


@pytest.mark.slow
def test_dry_run_writes_throughput_mfu_and_a_ddp_run(tmp_path: Path) -> None:
    done = _run("--dry-run", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    speed = json.loads((tmp_path / "gpu_train_speed.json").read_text())
    for key in ("train_events_per_s", "mfu", "eval_events_per_s", "embed_events_per_s",
                "latent_eval_events_per_s_k100", "matmul_gflops", "threads", "commit"):
        assert key in speed, key
    assert 0 < speed["mfu"] < 1 and speed["train_events_per_s"] > 0 and speed["profile"]
    ddp = json.loads((tmp_path / "gpu_ddp.json").read_text())
    assert ddp["processes"] == 2 and ddp["epochs"] == 2 and ddp["device"] == "cpu"
    assert ddp["files"] == ["best.pt", "checkpoint.pt", "config.json", "metrics.csv"]
    assert all(v > 0 for v in ddp["train_events"])
    assert "dry run" in (tmp_path / "gpu_env.txt").read_text()
