"""VAE: building, forward terms, KL options, generation, save/load, a few training steps."""

import pytest
import torch

from hockey_vae.core import VAE, VAEConfig, loss_step, shuffled_batches, train_loop


def _data(likelihood: str, n: int = 32, dim: int = 6, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if likelihood == "bernoulli":
        return (torch.rand(n, dim, generator=g) < 0.3).float()
    if likelihood == "categorical":
        return torch.randint(0, 4, (n, dim), generator=g)
    return torch.randn(n, dim, generator=g)


@pytest.mark.parametrize("likelihood", ["gaussian", "gaussian_learned", "bernoulli", "categorical"])
def test_forward_terms_and_generation(likelihood):
    torch.manual_seed(0)
    cfg = VAEConfig(input_dim=6, latent_dim=3, hidden_dims=(16,), likelihood=likelihood, n_categories=4)
    model = VAE(cfg)
    x = _data(likelihood)
    out = model(x)
    assert out.loss.shape == () and torch.isfinite(out.loss)
    torch.testing.assert_close(out.elbo, -(out.recon + out.kl))
    torch.testing.assert_close(out.loss, out.recon + out.kl)  # beta = 1, no warm-up, no free bits
    assert out.kl > 0
    out.loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    mean, var = model.encode(x)
    assert mean.shape == var.shape == (32, 3) and (var > 0).all()
    assert model.sample(5).shape == (5, 6)
    assert model.sample(5, mean=False).shape == (5, 6)
    assert model.reconstruct(x).shape == (32, 6)


def test_categorical_mean_is_expected_index_in_range():
    model = VAE(VAEConfig(input_dim=4, latent_dim=2, hidden_dims=(8,), likelihood="categorical", n_categories=5))
    s = model.sample(50)
    assert ((s >= 0) & (s <= 4)).all()


def test_beta_and_warmup_weight():
    model = VAE(VAEConfig(input_dim=4, latent_dim=2, beta=2.0, warmup_steps=10))
    assert model.kl_weight(0) == pytest.approx(0.2)
    assert model.kl_weight(4) == pytest.approx(1.0)
    assert model.kl_weight(50) == pytest.approx(2.0)
    assert model.kl_weight(None) == pytest.approx(2.0)  # evaluation uses the full weight
    x = _data("gaussian", dim=4)
    torch.manual_seed(1)
    out = model(x, step=4)
    torch.testing.assert_close(out.loss, out.recon + 1.0 * out.kl)


def test_free_bits_floor_the_penalised_kl():
    model = VAE(VAEConfig(input_dim=4, latent_dim=3, free_bits=5.0))
    out = model(_data("gaussian", dim=4))
    assert out.kl < 15.0  # an untrained encoder sits near the prior
    # every dimension is below the floor, so the penalised KL is the constant 3 * 5 nats
    torch.testing.assert_close(out.loss, out.recon + torch.tensor(15.0))


def test_invalid_config_names_allowed_values():
    with pytest.raises(ValueError, match="gaussian_learned"):
        VAEConfig(likelihood="poisson")
    with pytest.raises(ValueError, match="unknown VAEConfig key"):
        VAEConfig.from_dict({"input_dim": 3, "latent": 2})


def test_save_load_round_trip(tmp_path):
    cfg = VAEConfig(input_dim=5, latent_dim=2, hidden_dims=(8, 8), likelihood="gaussian_learned")
    model = VAE(cfg)
    model.save(tmp_path / "run")
    loaded = VAE.load(tmp_path / "run")
    assert loaded.config == cfg
    x = _data("gaussian", dim=5)
    torch.testing.assert_close(loaded.reconstruct(x), model.reconstruct(x))
    (tmp_path / "run" / "model.pt").unlink()
    with pytest.raises(FileNotFoundError, match="model.pt"):
        VAE.load(tmp_path / "run")


def test_pluggable_networks():
    enc = torch.nn.Linear(4, 2 * 2)
    dec = torch.nn.Linear(2, 4)
    model = VAE(VAEConfig(input_dim=4, latent_dim=2), encoder=enc, decoder=dec)
    assert model.encoder is enc and model.decoder is dec
    assert torch.isfinite(model(_data("gaussian", dim=4)).loss)


def test_training_steps_raise_the_elbo():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    # two clusters in 6-D: a 1-D latent explains them
    x = torch.cat([torch.randn(128, 6, generator=g) * 0.3 + 2, torch.randn(128, 6, generator=g) * 0.3 - 2])
    model = VAE(VAEConfig(input_dim=6, latent_dim=2, hidden_dims=(32,), likelihood="gaussian_learned",
                          warmup_steps=20))
    before = model(x).elbo.item()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = train_loop(loss_step(model, opt), shuffled_batches(x, 64, g), 100, log_every=25)
    assert len(history) == 4 and history.last()["step"] == 99
    model.eval()
    after = model(x).elbo.item()
    assert after > before + 5, (before, after)
