"""etkit.tune / etkit export --tune: the choice is a measured candidate within
the accuracy bounds. No assertion here depends on which variant is faster."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import etkit
from etkit import zoo
from etkit.device import Device
from etkit.tuning import DEFAULT_MIN_COSINE

FAST = {"rounds": 1, "iterations": 20, "min_seconds": 0}  # timing is not what these tests check


def _tune(tmp_path, **kw):
    model, example = zoo.build("tiny-classifier")
    return etkit.tune(model, example, tmp_path / "tuned.pte", workdir=tmp_path / "candidates", **{**FAST, **kw})


def _check_choice(report, out):
    chosen = [c for c in report.candidates if c.chosen]
    assert len(chosen) == 1 and chosen[0].name == report.chosen and chosen[0].qualifies
    qualified = [c for c in report.candidates if c.qualifies]
    # The choice is the lowest measured p50 among those within the bounds.
    assert chosen[0].p50_ms == min(c.p50_ms for c in qualified)
    # What was written is that candidate's program, byte for byte.
    assert out.read_bytes() == (out.parent / "candidates" / f"{report.chosen}.pte").read_bytes()
    assert report.path == str(out)
    return chosen[0]


def test_choice_is_a_candidate_within_the_default_bound(tmp_path):
    report = _tune(tmp_path)
    names = [c.name for c in report.candidates]
    assert names == ["fp32", "int8", "int8-dynamic"]
    chosen = _check_choice(report, tmp_path / "tuned.pte")
    assert report.min_cosine == DEFAULT_MIN_COSINE and report.max_error is None
    assert chosen.cosine >= DEFAULT_MIN_COSINE
    for c in report.candidates:  # every candidate exported, ran and was timed
        assert c.size_bytes > 0 and c.p50_ms > 0 and c.p90_ms >= c.p50_ms and c.iterations >= 20, c
        assert c.max_abs_error is not None and c.cosine is not None
    # The written program runs, and within the bound.
    model, example = zoo.build("tiny-classifier")
    got = etkit.Runner(tmp_path / "tuned.pte").run([example[0].numpy()])[0]
    with torch.no_grad():
        want = model(*example).numpy()
    cos = float(got.ravel() @ want.ravel() / (np.linalg.norm(got) * np.linalg.norm(want)))
    assert cos >= DEFAULT_MIN_COSINE
    json.dumps(report.to_dict())  # plain data
    table = report.table()
    assert f"* {report.chosen}" in table and table.count("\n* ") == 1


def test_too_strict_error_bound_excludes_int8(tmp_path):
    # fp32 is within ~1e-7 of eager here; int8 is ~1e-3 away.
    report = _tune(tmp_path, max_error=1e-5)  # a bound given replaces the default cosine
    assert report.chosen == "fp32"
    _check_choice(report, tmp_path / "tuned.pte")
    for c in report.candidates:
        if c.name != "fp32":
            assert not c.qualifies and c.max_abs_error > 1e-5 and "max |error|" in c.note, c


def test_too_strict_cosine_bound_excludes_int8(tmp_path):
    report = _tune(tmp_path, candidates=("fp32", "int8"), min_cosine=0.9999999)
    assert report.chosen == "fp32" and [c.name for c in report.candidates] == ["fp32", "int8"]
    int8 = report.candidates[1]
    assert not int8.qualifies and int8.cosine < 0.9999999 and "cosine" in int8.note


def test_nothing_within_the_bounds_is_a_clear_error(tmp_path):
    with pytest.raises(etkit.TuneError, match=r"no candidate meets the accuracy bounds \(max \|error\| <= 1e-06\)"
                                              r": int8: max \|error\|") as info:
        _tune(tmp_path, candidates=("int8",), max_error=1e-6)
    assert isinstance(info.value, etkit.ExportError)
    assert [c.name for c in info.value.report.candidates] == ["int8"]
    assert not (tmp_path / "tuned.pte").exists()


def test_a_quantization_that_changes_nothing_is_not_applicable(tmp_path):
    class Elementwise(torch.nn.Module):  # nothing for the XNNPACK quantizer to quantize dynamically
        def forward(self, x):
            return torch.relu(x) * 2.0

    report = etkit.tune(Elementwise(), (torch.randn(1, 8),), tmp_path / "t.pte", candidates=("fp32", "int8-dynamic"),
                        **FAST)
    dyn = report.candidates[1]
    assert dyn.name == "int8-dynamic" and dyn.note.startswith("not applicable") and dyn.p50_ms is None
    assert report.chosen == "fp32"


def test_bad_arguments(tmp_path):
    with pytest.raises(etkit.ArgumentError, match="min_cosine must be a number from -1 to 1"):
        _tune(tmp_path, min_cosine=2)
    with pytest.raises(etkit.ArgumentError, match="max_error must be a number, 0 or more"):
        _tune(tmp_path, max_error=-1)
    with pytest.raises(etkit.ArgumentError, match="unknown candidate"):
        _tune(tmp_path, candidates=("fp16",))
    with pytest.raises(etkit.ArgumentError, match="threads must be"):
        _tune(tmp_path, threads=0)


def test_on_a_device_the_device_times_and_computes(host_runner_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ETKIT_DEVICE_CACHE", str(tmp_path / "device-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "host-cache"))
    with Device("local", runner=host_runner_dir) as device:
        report = _tune(tmp_path, candidates=("fp32", "int8"), device=device)
    assert report.where == "local"
    _check_choice(report, tmp_path / "tuned.pte")
    assert all(c.p50_ms > 0 and c.cosine is not None for c in report.candidates)


def test_command(etkit_main, tmp_path):
    out, js = tmp_path / "t.pte", tmp_path / "t.json"
    done = etkit_main("export", "tiny-classifier", "-o", out, "--tune", "--candidates", "fp32", "int8",
                      "--min-cosine", "0.99", "--threads", "1", "--json", js)
    assert done.returncode == 0, done.stderr
    report = json.loads(js.read_text())
    assert report["min_cosine"] == 0.99 and report["threads"] == 1
    assert [c["name"] for c in report["candidates"]] == ["fp32", "int8"]
    chosen = [c for c in report["candidates"] if c["chosen"]]
    assert len(chosen) == 1 and chosen[0]["name"] == report["chosen"] and chosen[0]["cosine"] >= 0.99
    assert out.stat().st_size == chosen[0]["size_bytes"]
    marked = [line for line in done.stdout.splitlines() if line.startswith("* ")]
    assert len(marked) == 1 and marked[0].split()[1] == report["chosen"]
    assert "µs" in marked[0]  # tiny-classifier runs in microseconds
    assert f"wrote {out} ({report['chosen']})" in done.stdout


def test_command_refuses_mixed_flags(etkit_main, tmp_path):
    done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "t.pte", "--tune", "--quantize", "int8")
    assert done.returncode == 1 and "--tune picks the quantization itself" in done.stderr
    done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "t.pte", "--max-error", "0.1", "--json", "x")
    assert done.returncode == 1 and "--max-error, --json are for --tune" in done.stderr
    done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "t.pte", "--tune", "--candidates", "int8",
                      "--max-error", "1e-9")
    assert done.returncode == 1 and "etkit: error: no candidate meets the accuracy bounds" in done.stderr
    assert "int8" in done.stdout and not (tmp_path / "t.pte").exists()
