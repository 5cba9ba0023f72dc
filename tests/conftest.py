"""Shared fixtures: programs exported once per session, and the installed tools."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from models import MODELS  # noqa: E402

pytest_plugins = ["device_fixtures"]  # sshd, stand-in adb, runner folder (tests/test_device_*.py)

BACKENDS = ("xnnpack", "portable")


@dataclass
class Exported:
    name: str
    backend: str
    path: Path
    model: object
    example: tuple

    def eager(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        with torch.no_grad():
            out = self.model(*[torch.from_numpy(x) for x in inputs])
        out = out if isinstance(out, tuple) else (out,)
        return [o.numpy() for o in out]

    def random_inputs(self, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        made = []
        for x in self.example:
            if x.dtype.is_floating_point:
                made.append(rng.standard_normal(tuple(x.shape)).astype(np.float32))
            else:
                made.append(rng.integers(0, 10, tuple(x.shape)).astype(np.int64))
        return made


@pytest.fixture(scope="session")
def program_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("programs")


_cache: dict[tuple[str, str], Exported] = {}


@pytest.fixture(scope="session")
def exported(program_dir):
    """exported(name, backend) -> Exported, each exported once per session (a test model
    of models.py or a zoo model's name)."""
    import etkit

    def get(name: str, backend: str = "xnnpack") -> Exported:
        key = (name, backend)
        if key not in _cache:
            if name in MODELS:
                model, example = MODELS[name]()
            else:  # a built-in model of etkit's zoo, by its name
                from etkit import zoo

                model, example = zoo.build(name)
            path = program_dir / f"{name}_{backend}.pte"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                etkit.export(model, example, path, backend=backend)
            _cache[key] = Exported(name, backend, path, model, example)
        return _cache[key]

    return get


@pytest.fixture(scope="session")
def float_ids(exported, tmp_path_factory):
    """The token model with its ids declared float. etkit's verifier accepts it
    (the dtype rule is the kernel's); the embedding kernel then fails one of
    the runtime's own checks (ET_CHECK), which would end the process."""
    from executorch.exir._serialize._program import deserialize_pte_binary, serialize_pte_binary
    from executorch.exir.scalar_type import ScalarType

    pte = deserialize_pte_binary(exported("tokens", "portable").path.read_bytes())
    plan = pte.program.execution_plan[0]
    plan.values[plan.inputs[0]].val.scalar_type = ScalarType.FLOAT
    path = tmp_path_factory.mktemp("abort") / "float_ids.pte"
    path.write_bytes(bytes(serialize_pte_binary(pte)))
    return path


@pytest.fixture(scope="session")
def conformance_programs(tmp_path_factory) -> Path:
    """The programs of ExecuTorch's own runtime tests (tests/conformance.py):
    <Name>.pte, and <Name>Program.pte with its weights in <Name>.ptd."""
    import conformance

    out = tmp_path_factory.mktemp("conformance")
    for case in conformance.CASES:
        conformance.export(case, out)
    for name in conformance.EXTERNAL:
        conformance.export(conformance.by_name(name), out, external_constants=True)
    return out


@pytest.fixture(scope="session")
def et_run() -> str:
    from etkit.tools import et_run_path

    return et_run_path()


@pytest.fixture
def run_et(et_run):
    """run_et(*args) -> CompletedProcess of et-run, text mode, with a timeout."""

    def run(*args, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([et_run, *map(str, args)], capture_output=True, text=True, timeout=timeout)

    return run


def etkit_cmd(*args, cwd=None, timeout=600, **kw) -> subprocess.CompletedProcess:
    """The etkit command in a fresh interpreter, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "etkit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, **kw)


@pytest.fixture
def etkit_main(capsys, monkeypatch):
    """The etkit command in this interpreter (torch already imported: fast)."""

    from etkit.cli import main

    def run(*args, cwd=None):
        if cwd:
            monkeypatch.chdir(cwd)
            monkeypatch.syspath_prepend(str(cwd))
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:  # argparse exits on bad flags
            code = e.code
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return run


# ---- Device builds (scripts/cross-build.sh), run here under qemu ----------

CROSS_BUILD = Path(__file__).resolve().parents[1] / "scripts" / "cross-build.sh"


def cross_build(*args, env=None, timeout=1500) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CROSS_BUILD), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture(scope="session")
def qemu_env(tmp_path_factory) -> dict:
    # An empty prefix: qemu must find nothing of a sysroot, only the runner's own files.
    return dict(os.environ, QEMU_LD_PREFIX=str(tmp_path_factory.mktemp("no-sysroot")))


def save_inputs(arrays, folder: Path) -> list[str]:
    """Writes arrays as x<i>.npy in folder; returns et-run's --input arguments."""
    args = []
    for i, x in enumerate(arrays):
        np.save(folder / f"x{i}.npy", x)
        args += ["--input", str(folder / f"x{i}.npy")]
    return args


def load_outputs(folder: Path) -> list[np.ndarray]:
    return [np.load(folder / f"output_{i}.npy") for i in range(len(list(folder.glob("output_*.npy"))))]


def readelf(*args) -> str:
    return subprocess.run(["readelf", *map(str, args)], capture_output=True, text=True, check=True).stdout


def assert_device_matches_host(device_cmd: list[str], program, run_et, env: dict, tmp_path: Path) -> None:
    """Runs program on seeded inputs with the host et-run and with device_cmd
    (an et-run command line for another machine, e.g. under qemu); their
    outputs must agree within 1e-5 and match eager PyTorch."""
    inputs = program.random_inputs(seed=3)
    args = save_inputs(inputs, tmp_path)
    (tmp_path / "host").mkdir()
    (tmp_path / "device").mkdir()
    host = run_et(program.path, *args, "--output-dir", tmp_path / "host")
    assert host.returncode == 0, host.stderr
    device = subprocess.run([*device_cmd, str(program.path), *args, "--output-dir", str(tmp_path / "device")],
                            capture_output=True, text=True, env=env, timeout=600)
    assert device.returncode == 0, device.stderr
    host_out, device_out = load_outputs(tmp_path / "host"), load_outputs(tmp_path / "device")
    eager = program.eager(inputs)
    assert len(device_out) == len(host_out) == len(eager) > 0
    for d, h, e in zip(device_out, host_out, eager):
        assert d.dtype == h.dtype and d.shape == h.shape
        # 1e-5 relative, with an absolute floor at 1e-6 of the output's scale
        # for entries near zero (ARM's kernels round differently from x86's).
        np.testing.assert_allclose(d, h, rtol=1e-5, atol=1e-6 * float(np.abs(h).max()))
        np.testing.assert_allclose(d, e, rtol=1e-4, atol=1e-5)
