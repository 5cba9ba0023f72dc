"""The model zoo: each built-in model exports by name and matches eager PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import etkit
from etkit import zoo


def _inputs_like(example: tuple, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    made = []
    for x in example:
        if x.dtype.is_floating_point:
            made.append(rng.standard_normal(tuple(x.shape)).astype(np.float32))
        else:
            made.append(rng.integers(0, 100, tuple(x.shape)).astype(np.int64))
    return made


def test_every_entry_builds_and_runs_eagerly():
    assert {"tiny-classifier", "mobile-cnn", "tiny-transformer"} <= set(zoo.MODELS)
    for name in zoo.MODELS:
        model, example = zoo.build(name)
        assert not model.training, name
        with torch.no_grad():
            out = model(*example)
        assert torch.isfinite(out).all(), name


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mobile-cnn", "tiny-transformer"])
def test_export_by_name_matches_eager(tmp_path, etkit_main, name):  # noqa: F811
    out = tmp_path / f"{name}.pte"
    done = etkit_main("export", name, "-o", out)
    assert done.returncode == 0, done.stderr
    assert "verified forward" in done.stdout
    model, example = zoo.build(name)
    runner = etkit.Runner(out)
    assert [i.shape for i in runner.inputs] == [tuple(x.shape) for x in example]
    for seed in range(2):
        inputs = _inputs_like(example, seed)
        (got,) = runner.run(inputs)
        with torch.no_grad():
            want = model(*[torch.from_numpy(x) for x in inputs]).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    info = etkit.inspect(out)
    assert any(d["backend"] == "XnnpackBackend" for d in info["methods"][0]["delegates"])


def test_unknown_name():
    with pytest.raises(etkit.SpecError, match="built-in models: mobile-cnn, tiny-classifier, tiny-transformer"):
        zoo.build("resnet")
