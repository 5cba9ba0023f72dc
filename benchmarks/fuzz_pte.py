"""Mutation fuzzing at scale: COUNT damaged programs through et-run and
etkit.Runner (the same harness as tests/test_fuzz.py), result written to
benchmarks/FUZZ.md.

    .venv/bin/python benchmarks/fuzz_pte.py [--count 10000] [--seed 0] [--keep DIR]

Findings (a crash, hang, stray exit code or non-etkit exception) are listed
in the report with the mutation that caused them; the exit status is 1 if
there are any. --keep keeps every mutant in DIR; without it only those that
caused a finding are kept, in a temporary folder named in the report.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from models import MODELS  # noqa: E402
from pte_fuzz import fuzz  # noqa: E402

SEEDS = (("mlp", "xnnpack"), ("mlp", "portable"), ("cnn", "xnnpack"), ("tokens", "portable"), ("two_io", "xnnpack"))


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    import executorch  # noqa: F401
    import torch
    from importlib.metadata import version

    return (
        f"{cpu}, {__import__('os').cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, torch {torch.__version__}, executorch {version('executorch')}, "
        f"etkit {version('etkit')}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="keep every mutant in this folder")
    ap.add_argument("--report", type=Path, default=ROOT / "benchmarks" / "FUZZ.md")
    args = ap.parse_args()

    import etkit
    from etkit.tools import et_run_path

    work = args.keep or Path(tempfile.mkdtemp(prefix="etkit-fuzz-"))
    seed_dir = work / "seeds"
    seed_dir.mkdir(parents=True, exist_ok=True)
    seeds = []
    for name, backend in SEEDS:
        path = seed_dir / f"{name}_{backend}.pte"
        model, example = MODELS[name]()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            etkit.export(model, example, path, backend=backend)
        seeds.append(path)
    et_run = et_run_path()
    print(f"fuzzing {args.count} mutants of {len(seeds)} programs with {et_run}", file=sys.stderr, flush=True)
    report = fuzz(seeds, args.count, work / "mutants", et_run, rng_seed=args.seed, keep=args.keep is not None)

    lines = [
        "# Fuzzing .pte files",
        "",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {machine()}.",
        "",
        f"Command: `.venv/bin/python benchmarks/fuzz_pte.py --count {args.count} --seed {args.seed}`",
        "(the harness of `tests/test_fuzz.py`, which runs 200 in CI).",
        "",
        "Seeds, exported in the run: " + ", ".join(f"`{n}` ({b})" for n, b in SEEDS) + " from `tests/models.py`.",
        "Mutations: 1 to 3 of bit flips, truncation, overwritten ranges (zeros, 0xff, random), huge values",
        "written into 4-byte slots of the flatbuffer, extended-header fields, damage inside the segment data.",
        "Each mutant goes to `et-run FILE` and to `etkit.Runner(FILE).run(zeros)` (in a child interpreter).",
        "",
        f"Mutants: {report.mutants}, in {report.seconds:.0f} s.",
        "",
        "| tool | ran | refused (exit 1 / etkit exception) | of which the runtime's own check, left by etkit |",
        "|---|---:|---:|---:|",
    ]
    for tool in ("et-run", "Runner"):
        o = report.outcomes
        lines.append(f"| {tool} | {o[tool, 'ran']} | {o[tool, 'refused']} | {o[tool, 'failed check left']} |")
    lines += ["", f"Findings (crash, hang, other exit code, non-etkit exception): {len(report.findings)}."]
    aborts = sum("stopped on a failed check" in f for f in report.findings)
    if report.findings:
        lines += [
            "",
            f"Of these, {aborts} are the runtime stopping on one of its own checks where etkit can't leave it",
            "(inside the thread pool or a backend, see cpp/core/src/runtime_abort.h): etkit prints the check;",
            "et-run exits 1 on them, a Python process is ended.",
        ]
        if len(report.findings) > aborts:
            lines += [
                f"The other {len(report.findings) - aborts} are signals, hangs or stray exceptions inside the runtime",
                "or a delegate that the verifier (program and XNNPACK payload) did not foresee; each names its mutant.",
            ]
    if report.findings:
        lines += ["", f"Mutants kept in `{work / 'mutants'}`.", ""] + [f"- {f}" for f in report.findings[:100]]
    args.report.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.report}: {len(report.findings)} finding(s)", file=sys.stderr)
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
