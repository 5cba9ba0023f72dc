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


def _mobile_cnn():
    import torch
    from torch import nn

    def conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, act: bool = True):
        layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        return nn.Sequential(*layers, nn.ReLU6()) if act else nn.Sequential(*layers)

    class InvertedResidual(nn.Module):
        """MobileNetV2's block: 1x1 expand, 3x3 depthwise, 1x1 linear projection; a skip when shapes allow."""

        def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
            super().__init__()
            hidden = cin * expand
            layers = [conv_bn(cin, hidden, 1)] if expand != 1 else []
            layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden), conv_bn(hidden, cout, 1, act=False)]
            self.block = nn.Sequential(*layers)
            self.skip = stride == 1 and cin == cout

        def forward(self, x):
            return x + self.block(x) if self.skip else self.block(x)

    class MobileCNN(nn.Module):
        """A narrow MobileNetV2: 3x64x64 images in, 10 classes out."""

        def __init__(self) -> None:
            super().__init__()
            # (in, out, stride, expansion) per block, MobileNetV2's pattern at a small width.
            blocks = [(16, 16, 1, 1), (16, 24, 2, 6), (24, 24, 1, 6), (24, 32, 2, 6), (32, 32, 1, 6), (32, 48, 1, 6)]
            self.features = nn.Sequential(
                conv_bn(3, 16, 3, stride=2),
                *[InvertedResidual(*b) for b in blocks],
                conv_bn(48, 192, 1),
                nn.AdaptiveAvgPool2d(1),
            )
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(192, 10))

        def forward(self, x):
            return self.classifier(torch.flatten(self.features(x), 1))

    torch.manual_seed(0)
    model = MobileCNN().eval()
    with torch.no_grad():  # trained-looking BatchNorm statistics, so that folding them matters
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return model, (torch.randn(1, 3, 64, 64),)


def _tiny_transformer():
    import math

    import torch
    from torch import nn

    class EncoderLayer(nn.Module):
        """Pre-norm self-attention and feed-forward, written out so that export sees plain ops."""

        def __init__(self, dim: int, heads: int, ffn: int) -> None:
            super().__init__()
            self.heads = heads
            self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
            self.ffn = nn.Sequential(nn.Linear(dim, ffn), nn.GELU(), nn.Linear(ffn, dim))

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
            attn = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // self.heads), dim=-1)
            x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, t, d))
            return x + self.ffn(self.norm2(x))

    class TinyTransformer(nn.Module):
        """Token ids (vocabulary 100, up to 32 tokens) -> 2 encoder layers of width 32 -> 4 classes."""

        def __init__(self, vocab: int = 100, max_len: int = 32, dim: int = 32, heads: int = 4, layers: int = 2) -> None:
            super().__init__()
            self.embed = nn.Embedding(vocab, dim)
            self.pos = nn.Parameter(torch.randn(1, max_len, dim) * 0.02)
            self.layers = nn.Sequential(*[EncoderLayer(dim, heads, 2 * dim) for _ in range(layers)])
            self.norm = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, 4)

        def forward(self, ids):
            x = self.embed(ids) + self.pos[:, : ids.shape[1]]
            return self.head(self.norm(self.layers(x)).mean(dim=1))

    torch.manual_seed(0)
    return TinyTransformer().eval(), (torch.randint(0, 100, (1, 16)),)


MODELS: dict[str, ZooEntry] = {
    e.name: e
    for e in [
        ZooEntry("tiny-classifier", "the tutorial's MLP: Linear 20->64, ReLU, Linear 64->32, ReLU, Linear 32->4", _tiny_classifier),
        ZooEntry("mobile-cnn", "a narrow MobileNetV2 (inverted residual blocks): 1x3x64x64 image -> 10 classes", _mobile_cnn),
        ZooEntry("tiny-transformer", "a 2-layer transformer encoder: 1x16 int64 token ids (vocabulary 100) -> 4 classes",
                 _tiny_transformer),
    ]
}


def build(name: str):
    """Returns (model, example_inputs) for a built-in model name."""
    from .errors import SpecError
    from .extras import require_export

    require_export("etkit's built-in models")

    try:
        entry = MODELS[name]
    except KeyError:
        raise SpecError(f"unknown built-in model {name!r}; built-in models: {', '.join(sorted(MODELS))}") from None
    return entry.build()
