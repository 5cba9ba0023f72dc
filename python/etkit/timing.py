"""Latency statistics for runtimes timed from Python (eager PyTorch, the
executorch Python runtime, ONNX Runtime), defined exactly as the C++ core
defines them (cpp/core/src/stats.cpp): numpy's linear-interpolation
percentiles and the population standard deviation."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np


def duration(ms: float | None) -> str:
    """A latency for people, as et-run prints it: "1.234 ms", "651.2 us"
    below a millisecond, "37 ns" below a microsecond ("-" for None)."""
    if ms is None:
        return "-"
    if ms >= 1.0:
        return f"{ms:.3f} ms"
    if ms >= 1e-3:
        return f"{ms * 1e3:.1f} us"
    return f"{ms * 1e6:.0f} ns"


def summarize(samples_ms) -> dict:
    a = np.asarray(samples_ms, dtype=np.float64)
    if a.size == 0:
        return {k: 0.0 for k in ("min", "p50", "p90", "p99", "max", "mean", "std")}
    p50, p90, p99 = np.percentile(a, [50, 90, 99])
    return {"min": float(a.min()), "p50": float(p50), "p90": float(p90), "p99": float(p99),
            "max": float(a.max()), "mean": float(a.mean()), "std": float(a.std())}


def time_calls(fn: Callable[[], object], *, warmup: int = 10, iterations: int = 100, min_seconds: float = 1.0,
               max_seconds: float = 60.0) -> dict:
    """Calls ``fn`` like et-run's benchmark loop: ``warmup`` untimed calls, then
    timed calls until both ``iterations`` and ``min_seconds`` are reached or
    ``max_seconds`` passed. Returns {"iterations", "latency_ms": stats}."""
    for _ in range(warmup):
        fn()
    samples = []
    clock = time.perf_counter
    begin = clock()
    while True:
        start = clock()
        fn()
        end = clock()
        samples.append((end - start) * 1e3)
        elapsed = end - begin
        if (len(samples) >= iterations and elapsed >= min_seconds) or (max_seconds and elapsed >= max_seconds):
            break
    return {"iterations": len(samples), "latency_ms": summarize(samples)}
