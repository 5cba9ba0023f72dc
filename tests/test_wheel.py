"""The runtime wheel (issue 12): `pip install etkit` with numpy alone, for x86_64 and aarch64.

scripts/build-wheel.sh builds the wheels; each is installed where nothing else is: a fresh venv
filled from a folder holding only numpy's wheel and etkit's (--no-index), and Debian's arm64
CPython under qemu-aarch64, where the arm64 interpreter's own pip installs it. The zoo programs
then run there and must give the outputs this (the main) venv computes. Downloads (numpy's
wheels, the arm64 .debs) are cached in ~/.cache/etkit (ETKIT_CACHE), so reruns stay offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import etkit
from etkit import zoo

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("ETKIT_CACHE") or Path.home() / ".cache" / "etkit")
EXTRA_LINE = 'etkit: error: etkit export needs the export extra: pip install "etkit[export]"'


def _run(cmd, timeout=900, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)
    assert done.returncode == 0, f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


def _build_wheel(*args) -> Path:
    done = _run(["bash", ROOT / "scripts" / "build-wheel.sh", *args])
    wheel = Path(done.stdout.strip().splitlines()[-1])
    assert wheel.parent == ROOT / "dist" and wheel.is_file(), done.stdout
    return wheel


def _numpy_wheel(folder: str, *platform_args: str) -> Path:
    """numpy's wheel, the version of this venv, from the cache (downloaded once)."""
    dest = CACHE / folder
    found = sorted(dest.glob(f"numpy-{np.__version__}-*.whl"))
    if not found:
        _run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", *platform_args,
              f"numpy=={np.__version__}", "-d", dest])
        found = sorted(dest.glob(f"numpy-{np.__version__}-*.whl"))
    assert found, f"no numpy {np.__version__} wheel in {dest}"
    return found[-1]


@pytest.fixture(scope="session")
def zoo_programs(tmp_path_factory) -> dict:
    """Each built-in model exported for XNNPACK, with seeded inputs (.npy) and the outputs this
    venv's Runner gives at one thread: the reference every install must reproduce."""
    folder = tmp_path_factory.mktemp("zoo")
    programs = {}
    rng = np.random.default_rng(7)
    for name in sorted(zoo.MODELS):
        model, example = zoo.build(name)
        path = folder / f"{name}.pte"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            etkit.export(model, example, path, verify=False)
        inputs = [rng.standard_normal(tuple(x.shape)).astype(np.float32) if x.dtype.is_floating_point
                  else rng.integers(0, 100, tuple(x.shape)).astype(np.int64) for x in example]
        for i, x in enumerate(inputs):
            np.save(folder / f"{name}.in{i}.npy", x)
        reference = etkit.Runner(path, threads=1).run(inputs)
        programs[name] = {"path": path, "inputs": [folder / f"{name}.in{i}.npy" for i in range(len(inputs))],
                          "reference": reference, "inspect": etkit.inspect(path)}
    return programs


# One script for every install: each program through Runner (outputs as .npy) and inspect (JSON).
_RUN_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import etkit
    manifest = json.load(open(sys.argv[1]))
    for name, p in manifest.items():
        runner = etkit.Runner(p["path"], threads=1)
        outputs = runner.run([np.load(f) for f in p["inputs"]])
        for i, o in enumerate(outputs):
            np.save(p["out"] + f".runner{i}.npy", o)
        json.dump(etkit.inspect(p["path"]), open(p["out"] + ".inspect.json", "w"))
    print("ran", len(manifest))
""")


def _run_everywhere(python_cmd, programs, workdir: Path, env=None) -> None:
    manifest = {n: {"path": str(p["path"]), "inputs": [str(f) for f in p["inputs"]], "out": str(workdir / n)}
                for n, p in programs.items()}
    (workdir / "manifest.json").write_text(json.dumps(manifest))
    (workdir / "run.py").write_text(_RUN_SCRIPT)
    done = _run([*python_cmd, workdir / "run.py", workdir / "manifest.json"], env=env)
    assert f"ran {len(programs)}" in done.stdout


def _check_outputs(programs, workdir: Path, kind: str, rtol: float, atol: float) -> None:
    for name, p in programs.items():
        for i, want in enumerate(p["reference"]):
            got = np.load(workdir / f"{name}.{kind}{i}.npy")
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"{name} output {i} ({kind})")


# --- x86_64 (the host) ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def host_wheel() -> Path:
    return _build_wheel()


@pytest.fixture(scope="session")
def runtime_venv(host_wheel, tmp_path_factory) -> Path:
    """A venv with only numpy and the etkit wheel, installed by pip from a folder, no index."""
    base = tmp_path_factory.mktemp("runtime")
    find = base / "find"
    find.mkdir()
    for wheel in (host_wheel, _numpy_wheel("wheels")):
        shutil.copy(wheel, find)
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", venv])
    _run([venv / "bin/python", "-m", "pip", "install", "-q", "--no-index", "--find-links", find, "etkit"])
    return venv


def test_runtime_install_is_numpy_only(runtime_venv):
    py = runtime_venv / "bin/python"
    for module in ("torch", "executorch"):
        done = subprocess.run([py, "-c", f"import {module}"], capture_output=True, text=True)
        assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr, (module, done.stderr)
    assert "No broken requirements found" in _run([py, "-m", "pip", "check"]).stdout
    listed = json.loads(_run([py, "-m", "pip", "list", "--format", "json"]).stdout)
    assert {p["name"].lower() for p in listed} - {"pip", "setuptools", "wheel"} == {"etkit", "numpy"}


def test_runner_and_et_run_reproduce_the_main_venv(runtime_venv, zoo_programs, tmp_path):
    _run_everywhere([runtime_venv / "bin/python"], zoo_programs, tmp_path)
    _check_outputs(zoo_programs, tmp_path, "runner", rtol=0, atol=0)  # the same code on the same CPU
    # et-run as a user starts it: by its path, from a shell that never activated the venv.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "LD_LIBRARY_PATH", "PYTHONPATH")}
    for name, p in zoo_programs.items():
        out = tmp_path / f"{name}.et-run"
        out.mkdir()
        cmd = [runtime_venv / "bin/et-run", p["path"], "--threads", "1", "--output-dir", out]
        for f in p["inputs"]:
            cmd += ["--input", f]
        _run(cmd, env=env)
        for i, want in enumerate(p["reference"]):
            np.testing.assert_array_equal(np.load(out / f"output_{i}.npy"), want, err_msg=f"{name} et-run output {i}")
    for name, p in zoo_programs.items():
        assert json.loads((tmp_path / f"{name}.inspect.json").read_text()) == json.loads(json.dumps(p["inspect"]))


def test_inspect_command_and_export_side_without_torch(runtime_venv, zoo_programs, tmp_path):
    etkit_cmd = runtime_venv / "bin/etkit"
    p = zoo_programs["tiny-classifier"]
    done = _run([etkit_cmd, "inspect", p["path"]])
    assert "method forward" in done.stdout and "delegate XnnpackBackend" in done.stdout
    for args in (["export", "tiny-classifier", "-o", tmp_path / "x.pte"], ["demo"], ["compare", "tiny-classifier"]):
        done = subprocess.run([etkit_cmd, *map(str, args)], capture_output=True, text=True)
        want = EXTRA_LINE.replace("etkit export", f"etkit {args[0]}")
        assert (done.returncode, done.stdout, done.stderr) == (1, "", want + "\n"), done
    done = _run([etkit_cmd, "--version"])
    assert done.stdout.strip() == ('etkit 0.1.0 (torch not installed, executorch not installed); '
                                   'runtime only: export needs pip install "etkit[export]"'), done.stdout
    script = ("import etkit\ntry:\n    etkit.export(None, (), 'x.pte')\nexcept etkit.MissingExtraError as e:\n"
              "    print(isinstance(e, ImportError), e)")
    done = _run([runtime_venv / "bin/python", "-c", script], cwd=tmp_path)
    assert done.stdout.strip() == 'True etkit.export needs the export extra: pip install "etkit[export]"'


def test_installed_size_and_other_install_schemes(runtime_venv, host_wheel, zoo_programs, tmp_path):
    site = Path(_run([runtime_venv / "bin/python", "-c", "import sysconfig; print(sysconfig.get_path('platlib'))"])
                .stdout.strip())
    etkit_bytes = sum(f.stat().st_size for f in (site / "etkit").rglob("*") if f.is_file())
    etkit_bytes += (runtime_venv / "bin/et-run").stat().st_size
    assert etkit_bytes < 40e6, f"the runtime install is {etkit_bytes / 1e6:.1f} MB besides numpy"
    # pip install --target: et-run in DIR/bin finds DIR/etkit/lib through its run path.
    target = tmp_path / "target"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", target, host_wheel])
    p = zoo_programs["tiny-classifier"]
    done = _run([target / "bin/et-run", p["path"], "--input", p["inputs"][0], "--threads", "1"])
    assert "output 0" in done.stdout


# --- aarch64, under qemu -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def arm64_site(tmp_path_factory) -> tuple[list, Path, Path]:
    """Debian's arm64 CPython 3.11 (cached unpacked) and a site folder where that interpreter's pip
    (the host's pip wheel, pure Python) installed the aarch64 etkit wheel and numpy's, no index.
    Returns (command that starts the interpreter under qemu, site folder, the arm64 root)."""
    wheel = _build_wheel("--target", "aarch64")  # installs the cross toolchain and qemu-user when missing
    assert "-cp311-cp311-manylinux_" in wheel.name and wheel.name.endswith("_aarch64.whl"), wheel.name
    root = CACHE / "arm64-python"
    _run(["bash", ROOT / "scripts" / "arm64-python.sh", root])
    base = tmp_path_factory.mktemp("arm64")
    find = base / "find"
    find.mkdir()
    shutil.copy(wheel, find)
    shutil.copy(_numpy_wheel("wheels-aarch64", "--platform", "manylinux_2_28_aarch64", "--python-version", "3.11",
                             "--implementation", "cp"), find)
    pip_wheel = next((Path(sysconfig.get_path("stdlib")) / "ensurepip" / "_bundled").glob("pip-*.whl"))
    python = ["qemu-aarch64", "-L", root, root / "usr/bin/python3.11"]
    site = base / "site"
    # pip decides from the arm64 interpreter's own tags (glibc 2.36: Debian 12, Raspberry Pi OS 12)
    # that the wheel fits it.
    _run([*python, pip_wheel / "pip", "install", "-q", "--disable-pip-version-check", "--no-index", "--find-links",
          find, "--target", site, "etkit"], env={**os.environ, "PYTHONPATH": str(pip_wheel)})
    return python, site, root


def test_aarch64_wheel_under_qemu(arm64_site, zoo_programs, tmp_path):
    python, site, root = arm64_site
    env = {**os.environ, "PYTHONPATH": str(site)}
    _run_everywhere(python, zoo_programs, tmp_path, env=env)
    _check_outputs(zoo_programs, tmp_path, "runner", rtol=1e-4, atol=1e-5)  # ARM kernels: rounding differs
    for name, p in zoo_programs.items():
        assert json.loads((tmp_path / f"{name}.inspect.json").read_text()) == json.loads(json.dumps(p["inspect"]))
    # The wheel's et-run, from site/bin (pip --target), on the ARM64 loader.
    p = zoo_programs["tiny-classifier"]
    out = tmp_path / "et-run"
    out.mkdir()
    _run(["qemu-aarch64", "-L", root, site / "bin/et-run", p["path"], "--input", p["inputs"][0],
          "--threads", "1", "--output-dir", out])
    np.testing.assert_allclose(np.load(out / "output_0.npy"), p["reference"][0], rtol=1e-4, atol=1e-5)
