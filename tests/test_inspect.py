"""etkit.inspect and `etkit inspect`: checked against programs exported here, against the C++ core's
runner, and against executorch's own Python deserializer (the oracle in inspect_oracle.py)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch
from torch.export import Dim

import etkit
from inspect_oracle import inspect_with_executorch
from models import MODELS


def _check_against_runner(path, info):
    """What inspect reads from the file must agree with what the runtime reports after loading it,
    and with what executorch's deserializer reads."""
    assert info == inspect_with_executorch(path)
    assert sum(v for k, v in info["sizes"].items() if k != "file") == info["sizes"]["file"]
    for m in info["methods"]:
        runner = etkit.Runner(path, method=m["name"])
        assert [(np.dtype(t["dtype"]), tuple(t["shape"]), t["dynamism"]) for t in m["inputs"]] == \
            [(t.dtype, t.shape, t.dynamism) for t in runner.inputs]
        assert [(np.dtype(t["dtype"]), tuple(t["shape"])) for t in m["outputs"]] == \
            [(t.dtype, t.shape) for t in runner.outputs]
        assert m["planned_memory_bytes"] == runner.planned_memory_bytes
        assert sorted({d["backend"] for d in m["delegates"]}) == sorted(runner.backends)
        assert sum(m["operators"].values()) == m["kernel_calls"]


def test_xnnpack_program(exported):
    e = exported("cnn")
    info = etkit.inspect(e.path)
    _check_against_runner(e.path, info)
    (m,) = info["methods"]
    assert m["name"] == "forward" and m["inputs"][0] == {"dtype": "float32", "shape": [1, 3, 16, 16],
                                                          "dynamism": "static"}
    assert m["delegates"] and all(d["backend"] == "XnnpackBackend" and d["nodes"] > 0 for d in m["delegates"])
    shares = [d["share"] for d in m["delegates"]]
    assert 0 < sum(shares) <= 1
    # Every delegate's blob lives in a segment of the file.
    assert info["sizes"]["delegates"] == sum(d["bytes"] for d in m["delegates"]) > 0


def test_portable_program(exported):
    e = exported("mlp", "portable")
    info = etkit.inspect(e.path)
    _check_against_runner(e.path, info)
    (m,) = info["methods"]
    assert m["delegates"] == []
    assert m["operators"]["aten::addmm.out"] == 3 and m["operators"]["aten::relu.out"] == 2
    weights = sum(p.numel() * 4 for p in e.model.parameters())
    assert info["sizes"]["constants"] >= weights  # the float32 weights, in the constant segment


def test_dynamic_and_several_methods(tmp_path):
    model, example = MODELS["two_io"]()
    batch = Dim("batch", min=1, max=6)
    encoder = torch.nn.Linear(6, 2).eval()
    path = tmp_path / "dm.pte"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        etkit.export(model, example, path, dynamic_shapes=({0: batch}, {0: batch}),
                     methods={"encode": (encoder, (torch.randn(1, 6),))})
    info = etkit.inspect(path)
    _check_against_runner(path, info)
    methods = {m["name"]: m for m in info["methods"]}
    assert set(methods) == {"forward", "encode"}
    assert methods["forward"]["inputs"] == [
        {"dtype": "float32", "shape": [6, 6], "dynamism": "bounded"},
        {"dtype": "float32", "shape": [6, 4], "dynamism": "bounded"},
    ]
    assert methods["encode"]["inputs"] == [{"dtype": "float32", "shape": [1, 6], "dynamism": "static"}]


def test_cli_table_and_json(exported, etkit_main):  # noqa: F811
    e = exported("two_io")
    done = etkit_main("inspect", e.path)
    assert done.returncode == 0, done.stderr
    for text in ("method forward", "input  0  float32[2, 6]", "output 1  float32[2, 1]", "delegate XnnpackBackend",
                 "program flatbuffer", "planned memory"):
        assert text in done.stdout, done.stdout
    done = etkit_main("inspect", e.path, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(json.dumps(etkit.inspect(e.path)))


def test_bad_files(tmp_path, exported, etkit_main):  # noqa: F811
    (tmp_path / "text.pte").write_text("hello, not a program")
    good = exported("mlp").path.read_bytes()
    (tmp_path / "cut.pte").write_bytes(good[: len(good) - 100])
    for name, message in [("absent.pte", "cannot read"), ("text.pte", "not an ExecuTorch program"),
                          ("cut.pte", "cut short")]:
        with pytest.raises(etkit.ProgramError, match=message):
            etkit.inspect(tmp_path / name)
        done = etkit_main("inspect", tmp_path / name)
        assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_bundled_program(tmp_path, etkit_main):  # noqa: F811
    model, example = MODELS["mlp"]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        etkit.export(model, example, tmp_path / "m.pte", bundled_program=tmp_path / "m.bpte", verify=False)
    inner, bundled = etkit.inspect(tmp_path / "m.pte"), etkit.inspect(tmp_path / "m.bpte")
    assert bundled == inspect_with_executorch(tmp_path / "m.bpte")
    assert bundled.pop("bundled")["test_cases"] == {"forward": 1}
    assert {**bundled, "path": ""} == {**inner, "path": ""}  # the same program inside
    done = etkit_main("inspect", tmp_path / "m.bpte")
    assert done.returncode == 0 and "bundled program" in done.stdout and "1 for forward" in done.stdout, done.stdout
