"""Exports the programs the C++ tests load. Regenerate with:
python cpp/tests/make_fixtures.py DIR"""

import sys
from pathlib import Path

import torch

import etkit
from etkit import zoo

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
model, example = zoo.build("tiny-classifier")
for backend in ("xnnpack", "portable"):
    path = out / f"tiny_{backend}.pte"
    if not path.exists():
        etkit.export(model, example, path, backend=backend)
        print(f"wrote {path}")
# A convolution and a depthwise one, for the XNNPACK payload checks.
path = out / "conv_xnnpack.pte"
if not path.exists():
    torch.manual_seed(0)
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.Conv2d(8, 8, 3, padding=1, groups=8))
    etkit.export(conv.eval(), (torch.randn(1, 3, 8, 8),), path, backend="xnnpack")
    print(f"wrote {path}")
# Token ids through an embedding (portable): its kernel checks the ids' dtype
# with a check that stops the runtime, which test_runtime_abort.cpp needs.
path = out / "embedding_portable.pte"
if not path.exists():
    torch.manual_seed(0)
    embed = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten(), torch.nn.Linear(12, 2))
    etkit.export(embed.eval(), (torch.tensor([[1, 2, 3]]),), path, backend="portable")
    print(f"wrote {path}")
torch.save  # torch is needed by export; imported above so a missing install fails loudly here
