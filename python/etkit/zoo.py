"""Built-in models, exportable by name (``etkit export tiny-classifier``).

Each entry builds a fresh model in eval mode and the example inputs that
``etkit export`` uses when none are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class ZooEntry:
    name: str
    description: str
    build: Callable[[], tuple]  # () -> (nn.Module, example_inputs tuple)


def _tiny_classifier():
    import torch
    from torch import nn

    class TinyClassifier(nn.Module):
        """The ExecuTorch tutorial's model: 20 features in, 4 classes out."""

        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4)
            )

        def forward(self, x):
            return self.net(x)

    torch.manual_seed(0)
    return TinyClassifier().eval(), (torch.randn(1, 20),)


MODELS: dict[str, ZooEntry] = {
    e.name: e
    for e in [
        ZooEntry("tiny-classifier", "the tutorial's MLP: Linear 20->64, ReLU, Linear 64->32, ReLU, Linear 32->4", _tiny_classifier),
    ]
}


def build(name: str):
    """Returns (model, example_inputs) for a built-in model name."""
    from .errors import SpecError

    try:
        entry = MODELS[name]
    except KeyError:
        raise SpecError(f"unknown built-in model {name!r}; built-in models: {', '.join(sorted(MODELS))}") from None
    return entry.build()
