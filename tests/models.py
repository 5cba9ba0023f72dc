"""Small models the tests export: each covers a shape of graph users deploy."""

from __future__ import annotations

import torch
from torch import nn


class SmallCNN(nn.Module):
    """Conv + BatchNorm + depthwise conv + pooling + linear, like a mobile net's block."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU6(),
            nn.Conv2d(8, 8, 3, padding=1, groups=8),  # depthwise
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 16, 1),  # pointwise
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


class TwoInTwoOut(nn.Module):
    """Two inputs of different shapes, two outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(6, 3)
        self.b = nn.Linear(4, 3)

    def forward(self, x, y):
        h = self.a(x) + self.b(y)
        return torch.tanh(h), h.sum(dim=1, keepdim=True)


class TokenClassifier(nn.Module):
    """An int64 input: token ids through an embedding."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 8)
        self.out = nn.Linear(8, 2)

    def forward(self, ids):
        return self.out(self.embed(ids).mean(dim=1))


class ResidualBnHead(nn.Module):
    """Residual depthwise blocks with BatchNorm and a pooled head with BatchNorm1d.
    Exported at batch 1 with a dynamic batch, plain torch.export refuses it
    ("specialized it to be a constant (1)"); size-oblivious capture takes it
    and the program came out bounded at batch 2 of the 8 asked."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.block = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
            nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.norm = nn.BatchNorm1d(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.block(x)
        return self.fc(self.norm(torch.flatten(self.pool(x), 1)))


def _seeded(build):
    def make():
        torch.manual_seed(0)
        model, inputs = build()
        model.eval()
        if any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in model.modules()):
            # Non-trivial running statistics, so that BatchNorm folding is tested.
            with torch.no_grad():
                for m in model.modules():
                    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                        m.running_mean.uniform_(-0.5, 0.5)
                        m.running_var.uniform_(0.5, 1.5)
        return model, inputs

    return make


def _mlp():
    from etkit import zoo

    return zoo.build("tiny-classifier")


MODELS = {
    "mlp": _seeded(_mlp),
    "cnn": _seeded(lambda: (SmallCNN(), (torch.randn(1, 3, 16, 16),))),
    "two_io": _seeded(lambda: (TwoInTwoOut(), (torch.randn(2, 6), torch.randn(2, 4)))),
    "bn_head": _seeded(lambda: (ResidualBnHead(), (torch.randn(1, 3, 16, 16),))),
    "tokens": _seeded(lambda: (TokenClassifier(), (torch.randint(0, 10, (1, 5)),))),
}
