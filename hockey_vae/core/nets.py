"""Small network builders shared by the VAE and GAN defaults."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

__all__ = ["mlp"]


def mlp(in_dim: int, hidden_dims: Sequence[int], out_dim: int,
        activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Fully connected net in_dim -> hidden_dims... -> out_dim, `activation` between layers.

    Shapes: (..., in_dim) -> (..., out_dim); the last layer is linear (no activation).
    """
    layers: list[nn.Module] = []
    width = in_dim
    for hidden in hidden_dims:
        layers += [nn.Linear(width, hidden), activation()]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)
