"""GAN losses on hand-computed values, their stability, and the alternating step function."""

import math

import pytest
import torch

from hockey_vae.core import GAN, GANConfig, discriminator_loss, gan_step, generator_loss, train_loop

LN3 = math.log(3.0)  # logit of D = 0.75


def test_generator_losses_hand_computed():
    # D(fake) = 0.5 and 0.75
    logits = torch.tensor([0.0, LN3])
    # minimax: mean ln(1 - D) = (ln 0.5 + ln 0.25) / 2
    assert generator_loss(logits, "minimax").item() == pytest.approx((math.log(0.5) + math.log(0.25)) / 2)
    # non-saturating: -mean ln D = -(ln 0.5 + ln 0.75) / 2
    assert generator_loss(logits, "non_saturating").item() == pytest.approx(-(math.log(0.5) + math.log(0.75)) / 2)


def test_discriminator_loss_hand_computed():
    real = torch.tensor([LN3, 0.0])   # D = 0.75, 0.5
    fake = torch.tensor([-LN3])       # D = 0.25
    expected = -(math.log(0.75) + math.log(0.5)) / 2 - math.log(0.75)
    assert discriminator_loss(real, fake).item() == pytest.approx(expected)


def test_losses_stay_finite_when_discriminator_saturates():
    confident = torch.tensor([-200.0, 200.0], requires_grad=True)
    for loss in (generator_loss(confident, "minimax"), generator_loss(confident, "non_saturating"),
                 discriminator_loss(confident, confident)):
        assert torch.isfinite(loss)
        (grad,) = torch.autograd.grad(loss, confident)
        assert torch.isfinite(grad).all()
    # the reason for the non-saturating loss: when D rejects a fake (logit -200), the minimax
    # gradient vanishes and the non-saturating one does not
    x = torch.tensor([-200.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(generator_loss(x, "minimax"), x)
    (g_ns,) = torch.autograd.grad(generator_loss(x, "non_saturating"), x)
    assert abs(g_mm.item()) < 1e-12 and g_ns.item() == pytest.approx(-1.0)


def test_unknown_loss_is_rejected():
    with pytest.raises(ValueError, match="non_saturating"):
        generator_loss(torch.zeros(2), "wasserstein")
    with pytest.raises(ValueError, match="minimax"):
        GANConfig(loss="hinge")


def test_shapes_and_probabilities():
    gan = GAN(GANConfig(data_dim=3, noise_dim=4, hidden_dims=(8,), noise="uniform"))
    x = gan.sample(10, generator=torch.Generator().manual_seed(0))
    assert x.shape == (10, 3)
    p = gan.prob_real(x)
    assert p.shape == (10,) and ((p > 0) & (p < 1)).all()
    eps = gan.noise(1000, generator=torch.Generator().manual_seed(1))
    assert eps.min() >= -1 and eps.max() <= 1


@pytest.mark.parametrize("d_steps,g_steps", [(1, 1), (3, 1), (1, 2)])
def test_step_function_alternates_at_the_configured_ratio(d_steps, g_steps):
    torch.manual_seed(0)
    gan = GAN(GANConfig(data_dim=1, noise_dim=1, hidden_dims=(8,), d_steps=d_steps, g_steps=g_steps))
    d_opt = torch.optim.SGD(gan.discriminator.parameters(), lr=0.1)
    g_opt = torch.optim.SGD(gan.generator.parameters(), lr=0.1)
    counts = {"d": 0, "g": 0}
    d_opt.register_step_post_hook(lambda *_: counts.__setitem__("d", counts["d"] + 1))
    g_opt.register_step_post_hook(lambda *_: counts.__setitem__("g", counts["g"] + 1))
    real = (torch.randn(16, 1) + 5 for _ in range(6))
    history = train_loop(gan_step(gan, d_opt, g_opt), real, 6)
    assert counts == {"d": 6, "g": (6 // d_steps) * g_steps}
    assert {"d_loss", "g_loss"} <= set(history.last())


def test_training_moves_generator_towards_data():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    gan = GAN(GANConfig(data_dim=1, noise_dim=1, hidden_dims=(16,)))
    d_opt = torch.optim.Adam(gan.discriminator.parameters(), lr=5e-3, betas=(0.5, 0.999))
    g_opt = torch.optim.Adam(gan.generator.parameters(), lr=5e-3, betas=(0.5, 0.999))
    real = (torch.randn(64, 1, generator=g) + 4 for _ in range(300))
    before = gan.sample(500, g).mean().item()
    train_loop(gan_step(gan, d_opt, g_opt, g), real, 300)
    after = gan.sample(500, g).mean().item()
    assert abs(after - 4) < abs(before - 4) / 2, (before, after)


def test_config_json_round_trip(tmp_path):
    cfg = GANConfig(data_dim=3, hidden_dims=(4, 5), loss="minimax", d_steps=2, r1_gamma=0.5)
    path = cfg.save_json(tmp_path / "gan.json")
    assert GANConfig.from_json_file(path) == cfg
    with pytest.raises(FileNotFoundError, match="missing.json"):
        GANConfig.from_json_file(tmp_path / "missing.json")


def test_r1_penalty_is_logged_and_positive():
    torch.manual_seed(0)
    gan = GAN(GANConfig(data_dim=2, noise_dim=2, hidden_dims=(8,), r1_gamma=1.0))
    step = gan_step(gan, torch.optim.SGD(gan.discriminator.parameters(), lr=0.01),
                    torch.optim.SGD(gan.generator.parameters(), lr=0.01))
    metrics = step(torch.randn(16, 2), 0)
    assert metrics["r1"] > 0 and {"d_loss", "g_loss"} <= set(metrics)
