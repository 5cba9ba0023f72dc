"""Damaged programs: et-run and etkit.Runner run them or refuse them with a
message; never a crash, a hang, or a dead interpreter.

ETKIT_FUZZ_COUNT sets the number of mutants (default 200, about 15 s here);
benchmarks/fuzz_pte.py runs ten thousand and records the result."""

from __future__ import annotations

import os
import random

import pytest

import etkit
from etkit.errors import ProgramError
from pte_fuzz import INSPECT_CHILD, Report, _check_runner, fuzz, mutate

SEEDS = (("mlp", "xnnpack"), ("mlp", "portable"), ("cnn", "xnnpack"), ("tokens", "portable"))


@pytest.fixture(scope="module")
def seeds(exported):
    return [exported(name, backend).path for name, backend in SEEDS]


def test_mutants_run_or_are_refused(seeds, et_run, tmp_path):
    count = int(os.environ.get("ETKIT_FUZZ_COUNT", "200"))
    report = fuzz(seeds, count, tmp_path, et_run, rng_seed=int(os.environ.get("ETKIT_FUZZ_SEED", "0")))
    assert not report.findings, "\n".join(report.findings[:20])
    assert report.mutants == count
    for tool in ("et-run", "Runner"):
        ran, refused = report.outcomes[tool, "ran"], report.outcomes[tool, "refused"]
        assert ran + refused == count
        # Most mutants must be caught; some (a flipped weight bit) still run.
        assert refused > count // 4, report.outcomes


def test_seeds_themselves_run(seeds, run_et):
    for path in seeds:
        assert run_et(path).returncode == 0
        etkit.Runner(path)


@pytest.mark.parametrize("cut", [100, 1000])
def test_cut_short_file_is_refused_with_the_reason(exported, run_et, tmp_path, cut):
    data = exported("mlp", "xnnpack").path.read_bytes()
    bad = tmp_path / "cut.pte"
    bad.write_bytes(data[:-cut])
    proc = run_et(bad)
    assert proc.returncode == 1
    assert "runs past the file's" in proc.stderr
    with pytest.raises(ProgramError, match="runs past the file's"):
        etkit.Runner(bad)


def test_a_dying_interpreter_is_a_finding(tmp_path):
    """The harness notices a Runner child that dies mid-file: the check can fail."""
    path = tmp_path / "x.pte"
    path.write_bytes(b"")
    dies = "import json, os, sys; print(json.dumps({'start': sys.stdin.readline().strip()}), flush=True); os.abort()"
    report = Report()
    _check_runner({path: "test"}, 10, report, child_code=dies)
    assert len(report.findings) == 1 and "died" in report.findings[0], report.findings


def test_inspect_reads_or_refuses_mutants(seeds, tmp_path):
    """etkit inspect reads untrusted files with the core's own readers: a damaged one is described
    or refused with a message, never a crash."""
    rng = random.Random(int(os.environ.get("ETKIT_FUZZ_SEED", "0")))
    corpus = [(p.name, p.read_bytes()) for p in seeds]
    paths = {}
    for i in range(300):
        name, data = corpus[i % len(corpus)]
        mutant, what = mutate(data, rng)
        paths[tmp_path / f"mutant_{i:03d}.pte"] = f"{name}, {what}"
        (tmp_path / f"mutant_{i:03d}.pte").write_bytes(mutant)
    report = Report()
    _check_runner(paths, 30.0, report, child_code=INSPECT_CHILD)
    assert not report.findings, "\n".join(report.findings[:20])
    described, refused = report.outcomes["Runner", "ran"], report.outcomes["Runner", "refused"]
    assert described + refused == len(paths) and refused > 0, report.outcomes
