"""DeviceRunner: etkit.Runner's API, backed by et-run on a device."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ArgumentError, InputError, ProgramError
from ..runner import TensorInfo, _float, _info, _int
from .etrun import error_for

_INT64_MAX = 2**63 - 1


def _spec(described: dict) -> tuple:
    """et-run --describe's entry as the tuple etkit.runner._info takes."""
    return (described["dtype"], described["shape"], described["dynamism"], described.get("kind", "tensor"),
            described.get("value"))


class DeviceRunner:
    """A program and one of its methods on a device. Each call runs et-run
    there (the program is pushed once; the device keeps it by content hash).
    Results are numpy arrays and the dicts etkit.Runner returns; et-run's
    failures raise the classes etkit.Runner raises, the device's DeviceError."""

    def __init__(self, device, path: str | os.PathLike, method: str = "forward", threads: int | None = None,
                 data: str | os.PathLike | Sequence[str | os.PathLike] | None = None) -> None:
        try:
            self._path = Path(os.fsdecode(path))
        except TypeError:
            raise ArgumentError(f"path must be a str or os.PathLike, got {type(path).__name__}") from None
        if not isinstance(method, str):
            raise ArgumentError(f"method must be a str, got {type(method).__name__}")
        if threads is not None:
            threads = _int("threads", threads, 1, 2**31 - 1)
        if not self._path.is_file():
            raise ProgramError(f"cannot open {self._path}: no such file")
        if data is None:
            data = []
        elif isinstance(data, (str, bytes, os.PathLike)):
            data = [data]
        self._data = [os.fsdecode(d) for d in data]
        self.device = device
        self.method = method
        self._threads = threads
        described = json.loads(self._et(["--describe"]).stdout)  # also checks program and method, as Runner does
        self._inputs = [_info(_spec(s)) for s in described["inputs"]]
        self._outputs = [_info(_spec(s)) for s in described["outputs"]]

    def __repr__(self) -> str:
        return f"DeviceRunner({self.device.url!r}, {str(self._path)!r}, method={self.method!r})"

    @property
    def path(self) -> str:
        return str(self._path)

    @property
    def inputs(self) -> list[TensorInfo]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[TensorInfo]:
        return list(self._outputs)

    @property
    def threads(self) -> int | None:
        """The thread count asked for (None: the device's default, one per core)."""
        return self._threads

    def _et(self, args: list[str], extra_files: Sequence[np.ndarray] | None = None, outdir: str | None = None):
        with tempfile.TemporaryDirectory(prefix="etkit-device-") as tmp:
            given = []
            for i, x in enumerate(self._check_inputs(extra_files)):
                np.save(Path(tmp) / f"input_{i}.npy", x)
                given += ["--input", str(Path(tmp) / f"input_{i}.npy")]
            threads = ["--threads", str(self._threads)] if self._threads else []
            data = [a for d in self._data for a in ("--data", d)]
            done = self.device.run_et([str(self._path), "--method", self.method, *threads, *data, *given, *args,
                                       *(["--output-dir", outdir] if outdir else [])],
                                      extra=["--error-format", "json"])
        if done.returncode != 0:
            raise error_for(done.returncode, done.stderr, self.device.url)
        return done

    @staticmethod
    def _check_inputs(inputs) -> list[np.ndarray]:
        if inputs is None:
            return []
        if isinstance(inputs, np.ndarray) or not isinstance(inputs, (list, tuple)):
            raise InputError(f"inputs must be a list of numpy arrays, got {type(inputs).__name__}")
        checked = []
        for i, x in enumerate(inputs):
            if isinstance(x, (bool, int, float, np.generic)):  # a scalar input's value, as Runner takes it
                x = np.asarray(x)
            if not isinstance(x, np.ndarray):
                raise InputError(f"input {i} is a {type(x).__name__}, not a numpy array")
            checked.append(x)
        return checked

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Runs the method once on the device; returns its outputs."""
        with tempfile.TemporaryDirectory(prefix="etkit-device-out-") as out:
            self._et([], self._check_inputs(inputs), outdir=out)
            return [np.load(Path(out) / f"output_{i}.npy") for i in range(len(self._outputs))]

    def benchmark(self, warmup: int | None = None, iterations: int | None = None, min_seconds: float | None = None,
                  max_seconds: float | None = None, inputs: Sequence[np.ndarray] | None = None, seed: int = 0) -> dict:
        """et-run --bench on the device: the dict etkit.Runner.benchmark returns,
        plus device, runner, program_sha256, etkit_version and transfer."""
        args = ["--bench", "--json", "-", "--seed", str(_int("seed", seed, 0, 2**64 - 1))]
        for flag, value in (("--warmup", warmup), ("--iterations", iterations)):
            if value is not None:
                args += [flag, str(_int(flag[2:], value, -_INT64_MAX, _INT64_MAX))]
        for flag, value in (("--min-seconds", min_seconds), ("--max-seconds", max_seconds)):
            if value is not None:
                args += [flag, repr(_float(flag[2:].replace("-", "_"), value))]
        return self._et(args, inputs).record

    def profile(self, runs: int = 20, warmup: int = 3, inputs: Sequence[np.ndarray] | None = None,
                seed: int = 0) -> list[dict]:
        """Per-operator and per-delegate rows, as etkit.Runner.profile returns.
        et-run profiles 20 runs after 3 warm-up runs: other counts are refused."""
        if (_int("runs", runs, 1, _INT64_MAX), _int("warmup", warmup, 0, _INT64_MAX)) != (20, 3):
            raise ArgumentError("on a device the profile is et-run's: runs=20 and warmup=3")
        done = self._et(["--profile", "--json", "-", "--seed", str(_int("seed", seed, 0, 2**64 - 1))], inputs)
        return json.loads(done.stdout)["ops"]
