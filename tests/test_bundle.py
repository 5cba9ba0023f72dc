"""`etkit bundle`: an ARM64 bundle with the given programs and run.sh, run here under qemu-aarch64."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import conftest
import etkit.bundle
from etkit.errors import ArgumentError, ProgramError

ROOT = Path(__file__).resolve().parents[1]


def etkit_cmd(*args, timeout=1500, **kw) -> subprocess.CompletedProcess:
    return conftest.etkit_cmd(*args, cwd=ROOT, timeout=timeout, **kw)  # from the checkout: bundle builds there


@pytest.fixture(scope="module")
def programs(exported):
    return [exported("mlp", "xnnpack"), exported("two_io", "portable")]


def test_bundle_command_packs_programs_and_run_script(programs, tmp_path):
    out = tmp_path / "board"
    out.mkdir()
    (out / "stale.txt").write_text("from an older bundle")  # replaced as a whole
    done = etkit_cmd("bundle", "--target", "aarch64-linux", *[p.path for p in programs], "-o", out)
    assert done.returncode == 0, done.stderr
    assert not (out / "stale.txt").exists()
    for p in programs:
        assert (out / "models" / p.path.name).read_bytes() == p.path.read_bytes()
    assert os.access(out / "run.sh", os.X_OK) and os.access(out / "et-run", os.X_OK)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board"]  # nothing left beside it

    env = dict(os.environ, QEMU_LD_PREFIX=str(tmp_path / "board" / "models"))  # no sysroot in it
    done = subprocess.run([str(out / "run.sh"), "--seed", "7"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("== ") == 2
    assert "== mlp_xnnpack.pte" in done.stdout and "== two_io_portable.pte" in done.stdout
    assert "output 1  float32[2, 1]" in done.stdout  # two_io's second output

    # The bundled program computes what eager PyTorch does, on the bundled et-run.
    x = programs[0].random_inputs(seed=5)
    np.save(tmp_path / "x.npy", x[0])
    done = subprocess.run([str(out / "et-run"), str(out / "models" / "mlp_xnnpack.pte"), "--input",
                           str(tmp_path / "x.npy"), "--output-dir", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(np.load(tmp_path / "output_0.npy"), programs[0].eager(x)[0], rtol=1e-4, atol=1e-5)


def test_bundle_rejects_bad_programs_before_building(tmp_path, programs):
    out = tmp_path / "board"
    done = etkit_cmd("bundle", tmp_path / "missing.pte", "-o", out, timeout=60)
    assert done.returncode == 1 and "missing.pte: no such file" in done.stderr
    not_pte = tmp_path / "notes.pte"
    not_pte.write_text("hello, this is not a program")
    done = etkit_cmd("bundle", not_pte, "-o", out, timeout=60)
    assert done.returncode == 1 and "not an ExecuTorch program" in done.stderr
    done = etkit_cmd("bundle", "--target", "riscv64-linux", programs[0].path, "-o", out, timeout=60)
    assert done.returncode == 2 and "riscv64-linux" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.pte"]  # no bundle, no partial folder

    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / programs[0].path.name).write_bytes(programs[0].path.read_bytes())
    with pytest.raises(ArgumentError, match="two programs are named"):
        etkit.bundle.bundle([programs[0].path, twin / programs[0].path.name], out)
    with pytest.raises(ProgramError):
        etkit.bundle.bundle([not_pte], out)
    with pytest.raises(ArgumentError, match="does not exist"):
        etkit.bundle.bundle([programs[0].path], tmp_path / "no" / "board")
    with pytest.raises(ArgumentError, match="not an etkit checkout"):
        etkit.bundle.bundle([programs[0].path], out, source=tmp_path)
    assert not out.exists()
