"""Static device runners: scripts/cross-build.sh aarch64-static, android-arm64,
armv7-static and selective builds (--models). Each is one executable with no
loader and no shared library, run here under qemu with no sysroot, and gives
the host et-run's outputs.

The first build on a machine compiles ExecuTorch from source (cached in
~/.cache/etkit: 10 to 20 minutes per architecture on two cores); after that
each runner links in a minute or less.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import BACKENDS, assert_device_matches_host, cross_build, etkit_cmd, readelf

ROOT = Path(__file__).resolve().parents[1]
TEST_MODELS = ("mlp", "cnn", "two_io", "tokens")
ZOO_MODELS = ("tiny-classifier", "mobile-cnn", "tiny-transformer")
QEMU = {"aarch64": "qemu-aarch64", "armv7l": "qemu-arm"}


def build(target: str, out: Path, *models: Path) -> Path:
    args = ["--models", *models] if models else []
    done = cross_build(target, out, *args, timeout=3600)
    assert done.returncode == 0, f"cross build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return out


@pytest.fixture(scope="session")
def aarch64_static(tmp_path_factory) -> Path:
    return build("aarch64-static", tmp_path_factory.mktemp("static") / "aarch64")


@pytest.fixture(scope="session")
def armv7_static(tmp_path_factory) -> Path:
    return build("armv7-static", tmp_path_factory.mktemp("static") / "armv7")


SELECTED = [("mlp", "portable"), ("cnn", "portable"), ("two_io", "portable"), ("cnn", "xnnpack")]


@pytest.fixture(scope="session")
def selective(tmp_path_factory, exported) -> Path:
    """An ARM64 runner holding the operators of SELECTED only (not the token
    model's embedding)."""
    programs = [exported(name, backend).path for name, backend in SELECTED]
    return build("aarch64-static", tmp_path_factory.mktemp("static") / "selective", *programs)


def run_static(folder: Path, *args, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    arch = json.loads((folder / "runner.json").read_text())["arch"]
    return subprocess.run([QEMU[arch], str(folder / "et-run"), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)


def assert_matches_host(runner: Path, program, run_et, qemu_env, tmp_path):
    arch = json.loads((runner / "runner.json").read_text())["arch"]
    assert_device_matches_host([QEMU[arch], str(runner / "et-run")], program, run_et, qemu_env, tmp_path)


@pytest.mark.parametrize("runner, arch, machine", [("aarch64_static", "aarch64", "AArch64"),
                                                   ("armv7_static", "armv7l", "ARM")])
def test_one_static_executable(request, runner, arch, machine):
    folder = request.getfixturevalue(runner)  # built on first use
    et_run = folder / "et-run"
    assert sorted(p.name for p in folder.iterdir()) == ["README.txt", "et-run", "runner.json"]
    assert f"Machine:                           {machine}" in readelf("-h", et_run)
    assert "INTERP" not in readelf("-l", et_run)  # no loader: the kernel runs it, on Android too
    assert "NEEDED" not in readelf("-d", et_run)
    assert ".symtab" not in readelf("-S", et_run)  # stripped
    info = json.loads((folder / "runner.json").read_text())
    assert info["arch"] == arch and info["linkage"] == "static" and info["selected_programs"] == []


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", TEST_MODELS + ZOO_MODELS)
def test_aarch64_static_matches_host(aarch64_static, qemu_env, exported, run_et, tmp_path, name, backend):
    assert_matches_host(aarch64_static, exported(name, backend), run_et, qemu_env, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ZOO_MODELS + ("two_io", "tokens"))
def test_armv7_static_matches_host(armv7_static, qemu_env, exported, run_et, tmp_path, name, backend):
    assert_matches_host(armv7_static, exported(name, backend), run_et, qemu_env, tmp_path)


@pytest.mark.parametrize("runner", ["aarch64_static", "armv7_static"])
def test_bench_json(request, runner, qemu_env, exported, tmp_path):
    out = tmp_path / "bench.json"
    program = exported("mobile-cnn", "xnnpack").path
    done = run_static(request.getfixturevalue(runner), program, "--bench", "--threads", "1",
                      "--warmup", "1", "--iterations", "5", "--min-seconds", "0", "--json", out, env=qemu_env)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["threads"] == 1 and report["iterations"] >= 5
    assert 0 < report["latency_ms"]["min"] <= report["latency_ms"]["p50"] <= report["latency_ms"]["max"]
    for key in ("load_ms", "method_load_ms", "first_inference_ms", "peak_rss_bytes", "planned_memory_bytes"):
        assert report[key] > 0, key


def test_profile_etdump_and_bundled_verify(aarch64_static, qemu_env, exported, tmp_path):
    import etkit

    program = exported("cnn", "xnnpack")
    done = run_static(aarch64_static, program.path, "--profile", env=qemu_env)
    assert done.returncode == 0, done.stderr
    assert "DELEGATE_CALL" in done.stdout or "XnnpackBackend" in done.stdout, done.stdout
    done = run_static(aarch64_static, program.path, "--etdump", tmp_path / "run.etdump", env=qemu_env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run.etdump").stat().st_size > 100

    bpte = tmp_path / "cnn.bpte"
    with warnings.catch_warnings():  # executorch's own deprecation notices
        warnings.simplefilter("ignore")
        etkit.export(program.model, program.example, tmp_path / "cnn.pte", bundled_program=bpte, verify=False)
    done = run_static(aarch64_static, bpte, "--verify", env=qemu_env)
    assert done.returncode == 0, done.stderr


def test_static_refuses_bad_input_cleanly(aarch64_static, qemu_env, exported, tmp_path):
    bad = tmp_path / "bad.pte"
    bad.write_bytes(b"not a program at all")
    done = run_static(aarch64_static, bad, env=qemu_env)
    assert done.returncode == 1 and "et-run: error:" in done.stderr
    good = exported("cnn", "xnnpack").path
    cut = tmp_path / "cut.pte"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    done = run_static(aarch64_static, cut, env=qemu_env)
    assert done.returncode == 1 and "not a valid ExecuTorch program" in done.stderr
    np.save(tmp_path / "wrong.npy", np.zeros((2, 2), np.float32))
    done = run_static(aarch64_static, good, "--input", tmp_path / "wrong.npy", env=qemu_env)
    assert done.returncode == 1 and "shape" in done.stderr
    done = run_static(aarch64_static, good, "--no-such-flag", env=qemu_env)
    assert done.returncode == 2 and "--no-such-flag" in done.stderr
    done = run_static(aarch64_static, "--version", env=qemu_env)
    assert done.returncode == 0 and "ExecuTorch 1.5.0 (source cff6f4dd)" in done.stdout


def test_static_failed_runtime_check_exits_1(aarch64_static, qemu_env, float_ids):
    """In a static binary the runtime's frames can't be told from etkit's, so
    a failed check is never left: et-run prints it and exits 1, no signal."""
    done = run_static(aarch64_static, float_ids, env=qemu_env)
    assert done.returncode == 1, done.stderr
    assert "the ExecuTorch runtime stopped on a failed check: In function embedding_out()" in done.stderr


def test_selective_build(selective, aarch64_static, qemu_env, exported, run_et, tmp_path):
    info = json.loads((selective / "runner.json").read_text())
    assert info["selected_programs"] == [exported(n, b).path.name for n, b in SELECTED]
    assert (selective / "et-run").stat().st_size < 0.6 * (aarch64_static / "et-run").stat().st_size
    for i, (name, backend) in enumerate(SELECTED):
        (tmp_path / str(i)).mkdir()
        assert_matches_host(selective, exported(name, backend), run_et, qemu_env, tmp_path / str(i))

    # The token model needs aten::embedding, which none of the selection uses.
    done = run_static(selective, exported("tokens", "portable").path, env=qemu_env)
    assert done.returncode == 1
    assert "Missing operator" in done.stderr and "aten::embedding" in done.stderr, done.stderr
    assert "this et-run is a selective build" in done.stderr and "cnn_xnnpack.pte" in done.stderr
    done = run_static(selective, "--version", env=qemu_env)
    assert "operators selected for mlp_portable.pte" in done.stdout


def test_android_target_is_the_static_binary_with_adb_steps(aarch64_static, tmp_path):
    out = build("android-arm64", tmp_path / "android")
    assert (out / "et-run").read_bytes() == (aarch64_static / "et-run").read_bytes()
    readme = (out / "README.txt").read_text()
    assert "adb push et-run model.pte /data/local/tmp/" in readme and "/system/bin/sh" in readme
    assert json.loads((out / "runner.json").read_text())["target"] == "android-arm64"


def test_bundle_select_ops_for_android(qemu_env, exported, tmp_path):
    programs = [exported("mlp", "portable"), exported("cnn", "xnnpack")]
    out = tmp_path / "phone"
    done = etkit_cmd("bundle", "--target", "android-arm64", "--select-ops", *[p.path for p in programs], "-o", out,
                     cwd=ROOT, timeout=3600)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (out / "models").iterdir()) == sorted(p.path.name for p in programs)
    assert json.loads((out / "runner.json").read_text())["selected_programs"] == [p.path.name for p in programs]
    run_sh = (out / "run.sh").read_text()
    assert run_sh.startswith("#!/system/bin/sh\n")

    # Android's /system/bin/sh is mksh: run run.sh with it, the ARM binary
    # under qemu through a stand-in (the kernel here can't exec it directly),
    # after an `adb push` that lost the executable bit.
    shutil.move(out / "et-run", out / "et-run.arm64")
    (out / "et-run").write_text(f'#!/bin/sh\nexec qemu-aarch64 "{out}/et-run.arm64" "$@"\n')
    (out / "et-run").chmod(0o644)
    done = subprocess.run(["mksh", "run.sh", "--seed", "7"], cwd=out, capture_output=True, text=True,
                          env=qemu_env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("== ") == 2 and "== mlp_portable.pte" in done.stdout
    assert "output 0  float32[1, 5]" in done.stdout  # the cnn's five classes

    # A selection needs a static target.
    done = etkit_cmd("bundle", "--target", "aarch64-linux", "--select-ops", programs[0].path, "-o", tmp_path / "x",
                     cwd=ROOT, timeout=60)
    assert done.returncode != 0 and "--select-ops needs a static target" in done.stderr
    assert not (tmp_path / "x").exists()
