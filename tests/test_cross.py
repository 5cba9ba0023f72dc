"""The ARM64 bundle of scripts/cross-build.sh, run under qemu-aarch64 with no
sysroot, gives the host et-run's outputs; the script rejects bad input cleanly.

The session's first use builds the bundle (from a clean machine: apt packages,
the aarch64 executorch wheel and the build, about a minute and a half; then a
few seconds, see scripts/cross-build.sh).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BACKENDS, assert_device_matches_host, cross_build, readelf

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "cross-build.sh"
MODELS = ("mlp", "cnn", "two_io", "tokens")


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cross") / "bundle"
    done = cross_build("aarch64", out)
    assert done.returncode == 0, f"cross build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return out


def test_bundle_is_arm64_and_self_contained(bundle_dir):
    et_run = bundle_dir / "bin" / "et-run"
    assert "AArch64" in readelf("-h", et_run)
    dynamic = readelf("-d", et_run)
    assert "Library runpath: [$ORIGIN/../lib]" in dynamic  # no build-machine path left in it
    lib = bundle_dir / "lib"
    assert (lib / "ld-linux-aarch64.so.1").is_file()
    # Every library that anything in the bundle needs is in lib/.
    for elf in [et_run, *lib.glob("*.so*")]:
        for line in readelf("-d", elf).splitlines():
            if "(NEEDED)" in line:
                name = line.split("[", 1)[1].rstrip("]")
                assert (lib / name).is_file(), f"{elf.name} needs {name}, not in the bundle"
    for name in ("libexecutorch.so", "libexecutorch_backend_xnnpack.so", "libexecutorch_threadpool.so",
                 "libstdc++.so.6", "libc.so.6"):
        assert (lib / name).is_file()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", MODELS)
def test_arm64_outputs_match_host(bundle_dir, qemu_env, exported, run_et, tmp_path, name, backend):
    lib = bundle_dir / "lib"
    loader = ["qemu-aarch64", str(lib / "ld-linux-aarch64.so.1"), "--library-path", str(lib),
              str(bundle_dir / "bin" / "et-run")]
    assert_device_matches_host(loader, exported(name, backend), run_et, qemu_env, tmp_path)


def test_launcher_runs_from_anywhere(bundle_dir, qemu_env, exported, tmp_path):
    program = exported("mlp", "xnnpack")
    # Started by a relative path from another folder: it finds its files by its own location.
    done = subprocess.run(["sh", os.path.relpath(bundle_dir / "et-run", tmp_path), str(program.path)],
                          cwd=tmp_path, capture_output=True, text=True, env=qemu_env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "output 0  float32[1, 4]" in done.stdout
    # And through a symlink, as from a folder on PATH.
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "et-run").symlink_to(bundle_dir / "et-run")
    done = subprocess.run([str(tmp_path / "bin" / "et-run"), str(program.path)], capture_output=True, text=True,
                          env=qemu_env, timeout=300)
    assert done.returncode == 0 and "output 0  float32[1, 4]" in done.stdout, done.stderr

    # And from a folder whose path has spaces in it.
    moved = tmp_path / "my boards" / "et run"
    shutil.copytree(bundle_dir, moved, symlinks=True)
    done = subprocess.run([str(moved / "et-run"), str(program.path)], capture_output=True, text=True,
                          env=qemu_env, timeout=300)
    assert done.returncode == 0 and "output 0  float32[1, 4]" in done.stdout, done.stderr

    # Its exit codes are et-run's: 1 rejected program, 2 bad command line.
    bad = tmp_path / "bad.pte"
    bad.write_bytes(b"not a program at all")
    done = subprocess.run([str(bundle_dir / "et-run"), str(bad)], capture_output=True, text=True,
                          env=qemu_env, timeout=300)
    assert done.returncode == 1 and "et-run: error:" in done.stderr
    done = subprocess.run([str(bundle_dir / "et-run"), str(program.path), "--no-such-flag"],
                          capture_output=True, text=True, env=qemu_env, timeout=300)
    assert done.returncode == 2 and "--no-such-flag" in done.stderr


def test_arm64_leaves_a_failed_runtime_check(bundle_dir, qemu_env, float_ids):
    """The runtime's own checks are left on ARM64 too (the unwinder walks the
    stack to see that it is safe): the run fails with the check, not a signal."""
    done = subprocess.run([str(bundle_dir / "et-run"), str(float_ids)], capture_output=True, text=True,
                          env=qemu_env, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "executing method 'forward' failed: the ExecuTorch runtime stopped on a failed check: " \
           "In function embedding_out()" in done.stderr


def test_launcher_without_qemu_says_what_to_install(bundle_dir, tmp_path):
    if os.uname().machine in ("aarch64", "arm64"):
        pytest.skip("on ARM64 the launcher runs natively and never asks for qemu")
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("dirname", "uname"):  # what the launcher uses, and no qemu-aarch64
        (tools / tool).symlink_to(subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True,
                                                 text=True, check=True).stdout.strip())
    done = subprocess.run(["/bin/sh", str(bundle_dir / "et-run"), "model.pte"], capture_output=True, text=True,
                          env={"PATH": str(tools)}, timeout=60)
    assert done.returncode == 126
    assert "64-bit ARM" in done.stderr and "qemu-user" in done.stderr


def test_unknown_target_is_rejected_and_dir_untouched(tmp_path):
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    for out in (existing, tmp_path / "new"):
        done = cross_build("riscv64", out, timeout=60)
        assert done.returncode == 2
        assert "unknown target 'riscv64'" in done.stderr and "aarch64" in done.stderr
    assert [p.name for p in existing.iterdir()] == ["keep.txt"] and (existing / "keep.txt").read_text() == "mine"
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]  # no partial folders either


def test_usage_and_missing_parent(tmp_path):
    done = cross_build("aarch64", timeout=60)
    assert done.returncode == 2 and "usage:" in done.stderr
    done = cross_build("aarch64", tmp_path / "no" / "such" / "bundle", timeout=60)
    assert done.returncode == 1 and "does not exist" in done.stderr
    assert not (tmp_path / "no").exists()


def test_missing_toolchain_that_apt_cannot_install(tmp_path):
    # A PATH like this machine's but without the cross compiler, and an apt-get that fails.
    tools = tmp_path / "bin"
    tools.mkdir()
    for entry in Path("/usr/bin").iterdir():
        if not entry.name.startswith(("aarch64-linux-gnu-", "apt-get")):
            (tools / entry.name).symlink_to(entry)
    (tools / "apt-get").write_text("#!/bin/sh\necho 'E: Unable to locate package' >&2\nexit 100\n")
    (tools / "apt-get").chmod(0o755)
    out = tmp_path / "bundle"
    done = cross_build("aarch64", out, env=dict(os.environ, PATH=str(tools)), timeout=120)
    assert done.returncode == 1
    assert "apt-get could not install" in done.stderr and "g++-aarch64-linux-gnu" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


def test_failed_download_leaves_nothing(tmp_path):
    # A fresh checkout's layout (no SDK downloaded yet) and a package index that does not answer.
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "cross-build.sh").write_bytes(SCRIPT.read_bytes())
    (tmp_path / "third_party").mkdir()
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL="http://127.0.0.1:9/simple",
               PIP_NO_CACHE_DIR="1", PIP_RETRIES="0", PIP_TIMEOUT="5")
    done = subprocess.run(["bash", str(tmp_path / "scripts" / "cross-build.sh"), "aarch64", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1
    assert "could not download executorch==1.5.1" in done.stderr
    assert list((tmp_path / "third_party").iterdir()) == [] and not (tmp_path / "out").exists()


def test_android_ndk_without_ndk_says_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ANDROID_NDK"}
    done = cross_build("android-ndk", tmp_path / "android", env=env, timeout=60)
    assert done.returncode == 1
    assert "ANDROID_NDK is not set" in done.stderr and "docs/android.md" in done.stderr
    assert "android-arm64 DIR" in done.stderr  # the static binary needs no NDK
    # An NDK folder without the toolchain file is named as such.
    env["ANDROID_NDK"] = str(tmp_path)
    done = cross_build("android-ndk", tmp_path / "android", env=env, timeout=60)
    assert done.returncode == 1 and "android.toolchain.cmake" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
