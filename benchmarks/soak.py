"""Soak: many runs of a small model through etkit.Runner and through et-run,
resident memory (RSS) sampled from /proc; writes benchmarks/SOAK.md.

    .venv/bin/python benchmarks/soak.py [--runs 100000] [--model mlp] [--backend xnnpack]

Growth is measured from a baseline taken after a warm-up (first-run
allocations, lazily mapped pages), to the end. Goal: under 1 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _models():
    from models import MODELS  # imports torch: not in the Runner's child

    return MODELS

WARMUP = 1000


def rss_bytes(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def soak_runner(path: Path, runs: int, threads: int) -> dict:
    import numpy as np

    import etkit

    runner = etkit.Runner(path, threads=threads)
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(i.shape).astype(i.dtype) if i.dtype.kind == "f" else np.zeros(i.shape, i.dtype)
              for i in runner.inputs]
    for _ in range(WARMUP):
        runner.run(inputs)
    base = rss_bytes()
    samples = [(0, base)]
    start = time.perf_counter()
    every = max(1, runs // 50)
    for i in range(1, runs + 1):
        runner.run(inputs)
        if i % every == 0:
            samples.append((i, rss_bytes()))
    return {"runs": runs, "seconds": time.perf_counter() - start, "samples": samples}


def soak_et_run(path: Path, runs: int, threads: int) -> dict:
    """et-run's own benchmark loop: set inputs once, execute `runs` times.
    Its latency samples (8 bytes a run) are kept by design and counted apart."""
    from etkit.tools import et_run_path

    cmd = [et_run_path(), str(path), "--bench", "--warmup", str(WARMUP), "--iterations", str(runs),
           "--min-seconds", "0", "--max-seconds", "0", "--threads", str(threads), "--json", "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []
    start = time.perf_counter()
    while proc.poll() is None:
        try:
            samples.append((time.perf_counter() - start, rss_bytes(proc.pid)))
        except (OSError, RuntimeError):
            break
        time.sleep(0.002)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"et-run failed: {err}")
    report = json.loads(out)
    return {"runs": report["iterations"], "seconds": time.perf_counter() - start, "samples": samples,
            "peak_rss_bytes": report["peak_rss_bytes"], "latency_p50_ms": report["latency_ms"]["p50"]}


def machine() -> str:
    from importlib.metadata import version

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; Python "
            f"{platform.python_version()}, torch {version('torch')}, executorch {version('executorch')}, "
            f"etkit {version('etkit')}, numpy {version('numpy')}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--model", default="mlp")
    ap.add_argument("--backend", default="xnnpack", choices=("xnnpack", "portable"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--report", type=Path, default=ROOT / "benchmarks" / "SOAK.md")
    ap.add_argument("--child-runner", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_runner:
        print(json.dumps(soak_runner(args.child_runner, args.runs, args.threads)))
        return 0

    import etkit

    path = Path(tempfile.mkdtemp(prefix="etkit-soak-")) / f"{args.model}_{args.backend}.pte"
    model, example = _models()[args.model]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        etkit.export(model, example, path, backend=args.backend)

    print(f"Runner: {args.runs} runs", file=sys.stderr, flush=True)
    # In a fresh interpreter: numpy and etkit only, as a deployed script has.
    child = subprocess.run(
        [sys.executable, __file__, "--child-runner", str(path), "--runs", str(args.runs), "--threads", str(args.threads)],
        capture_output=True, text=True, check=True)
    r = json.loads(child.stdout)
    print(f"et-run: {args.runs} runs", file=sys.stderr, flush=True)
    e = soak_et_run(path, args.runs, args.threads)

    def mb(n: float) -> str:
        return f"{n / 2**20:+.3f} MB" if n else "0 MB"

    r["samples"] = [tuple(x) for x in r["samples"]]
    r_base, r_end = r["samples"][0][1], r["samples"][-1][1]
    r_max = max(s[1] for s in r["samples"])
    # et-run: baseline once its warm-up is over (a tenth of the way in), end at the last sample.
    e_samples = e["samples"]
    e_base = e_samples[len(e_samples) // 10][1]
    e_end = e_samples[-1][1]
    latency_store = 8 * e["runs"]
    lines = [
        "# Soak: memory over many runs",
        "",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {machine()}.",
        "",
        f"Command: `.venv/bin/python benchmarks/soak.py --runs {args.runs} --model {args.model} "
        f"--backend {args.backend} --threads {args.threads}`. Model `{args.model}` from `tests/models.py`, "
        f"lowered to {args.backend}, {args.threads} thread(s). Goal: growth under 1 MB.",
        "",
        "| path | runs | time | RSS after warm-up | RSS at end | growth | max over baseline |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| `etkit.Runner.run` (Python loop, {WARMUP} warm-up runs) | {r['runs']} | {r['seconds']:.1f} s | "
        f"{r_base / 2**20:.2f} MB | {r_end / 2**20:.2f} MB | {mb(r_end - r_base)} | {mb(r_max - r_base)} |",
        f"| `et-run --bench` (C++ loop) | {e['runs']} | {e['seconds']:.1f} s | {e_base / 2**20:.2f} MB | "
        f"{e_end / 2**20:.2f} MB | {mb(e_end - e_base)} | {mb(max(s[1] for s in e_samples) - e_base)} |",
        "",
        f"Runner: in a fresh interpreter (numpy and etkit, no torch); {r['seconds'] / r['runs'] * 1e6:.1f} µs a run; "
        f"RSS sampled every {max(1, args.runs // 50)} runs ({len(r['samples'])} samples). et-run: sampled from "
        f"/proc/PID/status every 2 ms ({len(e_samples)} samples; p50 latency {e['latency_p50_ms'] * 1000:.1f} µs); "
        f"its benchmark keeps one 8-byte latency per run by design ({latency_store / 2**20:.2f} MB for "
        f"{e['runs']} runs), which is part of its growth and not a leak.",
    ]
    args.report.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[6:10]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
