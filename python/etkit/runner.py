"""etkit.Runner: run and benchmark a .pte through the C++ core (numpy only)."""

from __future__ import annotations

import json
import os
from typing import NamedTuple, Sequence

import numpy as np

from . import _core
from .errors import ArgumentError


# Argument checks: the binding would raise a bare TypeError (or worse, numpy
# a ValueError); every failure from etkit is an EtkitError.
def _int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ArgumentError(f"{name} must be an integer, got {type(value).__name__}")
    if value < lo:
        raise ArgumentError(f"{name} must be {lo} or more, got {value}")
    if value > hi:
        raise ArgumentError(f"{name} must be at most {hi}, got {value}")
    return int(value)


def _float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ArgumentError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


_INT64_MAX = 2**63 - 1


def _fs_path(name: str, path) -> bytes:
    """A path as bytes: any path the OS accepts, undecodable names too."""
    try:
        fs_path = os.fsencode(path)
    except TypeError:
        raise ArgumentError(f"{name} must be a str or os.PathLike, got {type(path).__name__}") from None
    if b"\0" in fs_path:
        raise ArgumentError(f"{name} {path!r} contains a NUL character")
    return fs_path


class TensorInfo(NamedTuple):
    """dtype and shape of one input or output. For a dynamic tensor, ``shape``
    is its upper bound and ``dynamism`` is "bounded" or "unbounded".

    ``kind`` is "tensor", or for a scalar "int", "float" or "bool" (passed as
    a Python value or a 0-d array of int64, float64, bool), or "none". A
    scalar input's ``value`` is the one the program was exported with:
    ExecuTorch fixes scalar inputs at export, so runs must pass it again."""

    dtype: np.dtype | str
    shape: tuple[int, ...]
    dynamism: str
    kind: str = "tensor"
    value: int | float | bool | None = None

    @property
    def dynamic(self) -> bool:
        return self.dynamism != "static"

    @property
    def is_scalar(self) -> bool:
        return self.kind in ("int", "float", "bool")


def _info(spec: tuple) -> TensorInfo:
    dtype, shape, dynamism, *rest = spec
    try:
        dtype = np.dtype(dtype)
    except TypeError:  # bfloat16 has no numpy dtype
        pass
    return TensorInfo(dtype, tuple(shape), dynamism, *rest)


class Runner(_core.Runner):
    """A loaded program and one of its methods, run by etkit's C++ core: the
    same code as ``et-run``.

    ``threads`` sets ExecuTorch's shared thread pool, which is process-wide.
    ``data``: a .ptd file (or a list of them) holding tensors the program
    keeps outside itself, as programs exported with external constants do.
    ``run`` may be called from several threads; runs of one Runner are
    serialised. Inputs are numpy arrays; a scalar input also takes a Python
    int, float or bool.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        method: str = "forward",
        threads: int | None = None,
        data: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    ) -> None:
        fs_path = _fs_path("path", path)
        if not isinstance(method, str):
            raise ArgumentError(f"method must be a str, got {type(method).__name__}")
        if threads is not None:
            threads = _int("threads", threads, 1, 2**31 - 1)
        if data is None:
            data = []
        elif isinstance(data, (str, bytes, os.PathLike)):
            data = [data]
        data_paths = [_fs_path("data", d) for d in data]
        super().__init__(fs_path, method, threads, data_paths)
        self._fs_path = fs_path

    @property
    def path(self) -> str:
        return os.fsdecode(self._fs_path)  # the core's copy may not be valid UTF-8

    def __repr__(self) -> str:
        return f"Runner({self.path!r}, method={self.method!r})"

    @property
    def inputs(self) -> list[TensorInfo]:
        return [_info(s) for s in self._input_specs]

    @property
    def outputs(self) -> list[TensorInfo]:
        return [_info(s) for s in self._output_specs]

    @property
    def threads(self) -> int:
        return _core.thread_count()

    def benchmark(
        self,
        warmup: int | None = None,
        iterations: int | None = None,
        min_seconds: float | None = None,
        max_seconds: float | None = None,
        inputs: Sequence[np.ndarray] | None = None,
        seed: int = 0,
    ) -> dict:
        """Warm-up runs, then timed runs, in the C++ loop et-run uses, with the
        GIL released. Returns the same dict as ``et-run --bench --json``.
        Unset parameters take et-run's defaults; inputs default to seeded
        random ones."""
        given = {"warmup": warmup, "iterations": iterations, "min_seconds": min_seconds, "max_seconds": max_seconds}
        params = {k: (_core.BENCH_DEFAULTS[k] if v is None else v) for k, v in given.items()}
        for k in ("warmup", "iterations"):
            params[k] = _int(k, params[k], -_INT64_MAX, _INT64_MAX)  # the core says which values make sense
        for k in ("min_seconds", "max_seconds"):
            params[k] = _float(k, params[k])
        seed = _int("seed", seed, 0, 2**64 - 1)
        return json.loads(self._benchmark_json(**params, inputs=inputs, seed=seed))

    def profile(self, runs: int = 20, warmup: int = 3, inputs: Sequence[np.ndarray] | None = None, seed: int = 0) -> list[dict]:
        """Per-operator and per-delegate time per run, largest first: dicts
        with name, kind, calls, ms and share (of the traced execute time)."""
        runs = _int("runs", runs, -_INT64_MAX, _INT64_MAX)
        warmup = _int("warmup", warmup, -_INT64_MAX, _INT64_MAX)
        return self._profile(warmup, runs, inputs=inputs, seed=_int("seed", seed, 0, 2**64 - 1))
