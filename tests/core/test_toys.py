"""Demos: the cheap ones end to end, the ring metrics by hand, the report section writer."""

import math

import pytest
import torch

from hockey_vae.cli import main
from hockey_vae.core.toys import ring8_centres, ring8_metrics, run_toy, write_report_section


def test_noise_demo_numbers():
    r = run_toy("noise", n=5000, seed=0)
    assert r.numbers["uniform_plus_1"]["min"] >= 1 and r.numbers["uniform_plus_1"]["max"] <= 2
    assert r.numbers["normal_plus_1"]["mean"] == pytest.approx(1, abs=0.05)
    assert r.numbers["ring"]["radius_mean"] == pytest.approx(1 + math.sqrt(math.pi / 2) / 10, abs=0.01)
    assert r.figure.axes and r.seconds > 0


def test_pi_error_falls_like_inverse_square_root():
    r = run_toy("pi", max_exponent=4, reps=30, seed=0)
    assert -0.7 < r.numbers["slope"] < -0.3


def test_ring_metrics_by_hand():
    centres = ring8_centres()
    assert centres.shape == (8, 2)
    torch.testing.assert_close(centres.norm(dim=1), torch.full((8,), 2.0))
    # 10 samples on each of modes 0..3, 8 of them within 3 sd; plus 20 samples at the origin
    on_mode = centres[:4].repeat_interleave(10, 0) + torch.tensor([0.01, 0.0])
    on_mode[::5] += 1.0  # every fifth one pushed far away
    samples = torch.cat([on_mode, torch.zeros(20, 2)])
    m = ring8_metrics(samples, centres, std=0.05)
    assert m["high_quality"] == pytest.approx(32 / 60)
    assert m["modes"] == 4 and sum(m["per_mode"]) == 32


def test_report_section_is_replaced_not_duplicated(tmp_path):
    path = tmp_path / "core.md"
    write_report_section(path, "pi", "first")
    write_report_section(path, "noise", "other")
    write_report_section(path, "pi", "second")
    text = path.read_text()
    assert text.count("<!-- toy:pi -->") == 1 and "second" in text and "first" not in text
    assert "other" in text


def test_cli_writes_figure_and_section(tmp_path, capsys):
    assert main(["toys", "noise", "--reports", str(tmp_path)]) == 0
    assert (tmp_path / "figures" / "core_noise.png").stat().st_size > 1000
    assert "toy:noise" in (tmp_path / "core.md").read_text()
    assert "radius_mean" in capsys.readouterr().out
    assert main(["toys", "noise", "--steps", "5", "--reports", str(tmp_path)]) == 2


def test_unknown_toy_is_rejected():
    with pytest.raises(ValueError, match="allowed"):
        run_toy("mnist")


@pytest.mark.slow
def test_ring8_smoke():
    r = run_toy("ring8", steps=5, n_test=100, losses=("non_saturating",), hidden=16)
    assert {"modes", "high_quality", "c2st"} <= set(r.numbers["non_saturating"])


@pytest.mark.slow
def test_gan1d_smoke():
    g = run_toy("gan1d", steps=8, n_test=100)
    assert 0 <= g.numbers["c2st"] <= 1 and set(g.numbers) >= {"non_saturating", "minimax"}


@pytest.mark.slow
def test_digits_smoke():
    r = run_toy("digits", steps=20, k=5, latent_dim=2, gmm_grid={"diag": (1,)}, gmm_reg=(1e-3,))
    n = r.numbers
    assert n["k"] == 5 and n["n_train"] + n["n_val"] + n["n_test"] == 1797
    assert n["gmm"]["covariance_type"] == "diag"
    assert math.isfinite(n["vae_loglik"]) and math.isfinite(n["gmm_loglik"])
