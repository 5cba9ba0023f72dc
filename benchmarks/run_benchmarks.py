"""Writes benchmarks/REPORT.md: etkit's speed goals as ratios measured in one
run, and `etkit compare` for representative models, with machine, versions
and date.

    .venv/bin/python benchmarks/run_benchmarks.py [--threads 1] [--rounds 5] [--models NAME ...]

Needs the host preset's build of benchmarks/cpp/module_forward_loop (built
here when missing). Takes a few minutes; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BARE_LOOP = ROOT / "build" / "host" / "benchmarks" / "module_forward_loop"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def build_bare_loop() -> None:
    if BARE_LOOP.exists():
        return
    say("building the Module::forward baseline (host preset)")
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")
    subprocess.run(["cmake", "--preset", "host"], cwd=ROOT, check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", "--preset", "host", "--target", "module_forward_loop"], cwd=ROOT, check=True,
                   env=env)


def speed_goals(pte: Path, threads: int, rounds: int, calls: int) -> dict:
    """The three ratios of issue 3, each from measurements taken in alternation
    (round by round) so that machine noise hits both sides alike."""
    import torch

    import etkit
    from etkit.timing import time_calls
    from etkit.tools import et_run_path
    from executorch.extension.pybindings import portable_lib
    from executorch.runtime import Runtime

    runner = etkit.Runner(pte, threads=threads)
    x = np.random.default_rng(0).standard_normal(tuple(runner.inputs[0].shape)).astype(np.float32)
    xt = torch.from_numpy(x)
    portable_lib._unsafe_reset_threadpool(threads)
    et_method = Runtime.get().load_program(pte).load_method("forward")

    samples = {k: [] for k in ("bare_loop", "et_run", "runner_benchmark", "runner_run", "executorch_python")}
    for r in range(rounds):
        say(f"  speed goals: round {r + 1}/{rounds}")
        bare = json.loads(subprocess.run([str(BARE_LOOP), str(pte), str(threads), str(calls)], check=True,
                                         capture_output=True, text=True).stdout)
        samples["bare_loop"].append(bare["latency_ms"]["p50"])
        et = json.loads(subprocess.run([et_run_path(), str(pte), "--bench", "--json", "-", "--threads", str(threads),
                                        "--iterations", str(calls), "--min-seconds", "0"], check=True,
                                       capture_output=True, text=True).stdout)
        samples["et_run"].append(et["latency_ms"]["p50"])
        rb = runner.benchmark(iterations=calls, min_seconds=0)
        samples["runner_benchmark"].append(rb["latency_ms"]["p50"])
        samples["runner_run"].append(time_calls(lambda: runner.run([x]), iterations=calls // 4,
                                                min_seconds=0)["latency_ms"]["p50"])
        samples["executorch_python"].append(time_calls(lambda: et_method.execute([xt]), iterations=calls // 4,
                                                       min_seconds=0)["latency_ms"]["p50"])
    med = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "threads": threads,
        "rounds": rounds,
        "p50_ms": med,
        "samples_p50_ms": samples,
        "goals": [
            {"what": "et-run p50 / bare Module::forward loop p50", "ratio": med["et_run"] / med["bare_loop"],
             "goal": "<= 1.10", "met": med["et_run"] / med["bare_loop"] <= 1.10},
            {"what": "Runner.benchmark p50 / et-run p50", "ratio": med["runner_benchmark"] / med["et_run"],
             "goal": "0.90 - 1.10", "met": 0.9 <= med["runner_benchmark"] / med["et_run"] <= 1.10},
            {"what": "Runner.run per call / executorch Python runtime per call",
             "ratio": med["runner_run"] / med["executorch_python"], "goal": "<= 0.35",
             "met": med["runner_run"] / med["executorch_python"] <= 0.35},
        ],
    }


def litert_ratios(work: Path, names: list[str], thread_counts: list[int], rounds: int,
                  min_seconds: float) -> list[dict]:
    """et-run (XNNPACK fp32 .pte) against LiteRT (the .tflite, XNNPACK) per
    model and thread count, on the files and inputs compare left in ``work``,
    measured in alternation round by round so that machine noise hits both."""
    import etkit
    from etkit.compare import load_litert
    from etkit.timing import time_calls
    from etkit.tools import et_run_path

    out = []
    for name in names:
        folder = work / name
        pte, tflite = folder / f"{name}_xnnpack.pte", folder / f"{name}.tflite"
        if not (pte.exists() and tflite.exists()):
            say(f"  {name}: no .pte or no .tflite, no LiteRT ratio")
            continue
        # How et-run's program is split: each XNNPACK subgraph is a delegate
        # call, and the operators outside them run on portable kernels.
        method = etkit.inspect(pte)["methods"][0]
        split = {"xnnpack_calls": sum(d["calls"] for d in method["delegates"]),
                 "kernel_calls": method["kernel_calls"]}
        input_files = sorted(folder.glob("input_*.npy"), key=lambda p: int(p.stem.split("_")[1]))
        inputs = [np.load(p) for p in input_files]
        for threads in thread_counts:
            invoke, _ = load_litert(tflite, inputs, threads)
            samples = {"et_run": [], "litert": []}
            for r in range(rounds):
                say(f"  et-run against LiteRT: {name}, {threads} thread(s), round {r + 1}/{rounds}")
                cmd = [et_run_path(), str(pte), "--bench", "--json", "-", "--threads", str(threads),
                       "--min-seconds", str(min_seconds)]
                for f in input_files:
                    cmd += ["--input", str(f)]
                et = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                samples["et_run"].append(et["latency_ms"]["p50"])
                samples["litert"].append(time_calls(invoke, min_seconds=min_seconds)["latency_ms"]["p50"])
            per_round = [e / lite for e, lite in zip(samples["et_run"], samples["litert"])]
            out.append({"model": name, "threads": threads, "samples_p50_ms": samples, "round_ratios": per_round,
                        "ratio": statistics.median(per_round), "et_run_program": split})
    return out


def plot_litert(ratios: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['model']}, {r['threads']} thread(s)" for r in ratios]
    mid = [r["ratio"] for r in ratios]
    lo = [m - min(r["round_ratios"]) for m, r in zip(mid, ratios)]
    hi = [max(r["round_ratios"]) - m for m, r in zip(mid, ratios)]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(ratios) + 1.5))
    ax.barh(labels, mid, xerr=[lo, hi], color=["tab:blue" if m <= 1 else "tab:orange" for m in mid], capsize=3)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    top = max(max(r["round_ratios"]) for r in ratios)
    ax.set_xlim(0, max(top, 1.0) * 1.15)
    ax.set_xlabel("et-run p50 / LiteRT p50 (bar: median round, whiskers: lowest and highest)")
    ax.set_title("et-run against LiteRT, both XNNPACK fp32 (below 1: et-run faster)")
    for y, (m, r) in enumerate(zip(mid, ratios)):
        ax.text(max(r["round_ratios"]) + 0.02 * top, y, f"{m:.2f}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20000, help="timed calls per measurement in the speed goals")
    parser.add_argument("--models", nargs="*", help="zoo models for the comparison (default: all)")
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--litert-rounds", type=int, default=5, help="rounds of the et-run / LiteRT ratios")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "REPORT.md"))
    args = parser.parse_args()

    warnings.filterwarnings("ignore")
    import torch

    import etkit
    from etkit import compare, zoo

    build_bare_loop()
    results_dir = Path(args.output).parent / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="etkit-bench-"))

    say("speed goals on tiny-classifier (XNNPACK)")
    model, example = zoo.build("tiny-classifier")
    tiny = work / "tiny.pte"
    etkit.export(model, example, tiny)
    goals = speed_goals(tiny, args.threads, args.rounds, args.calls)

    comparisons = []
    for name in args.models or list(zoo.MODELS):
        say(f"compare {name}")
        model, example = zoo.build(name)
        c = compare.compare(model, example, name=name, workdir=work / name, threads=args.threads,
                            min_seconds=args.min_seconds, progress=lambda m: say("  " + m))
        compare.plot(c, results_dir / f"{name}.png")
        comparisons.append(c)

    names = [c.model for c in comparisons]
    thread_counts = sorted({1, os.cpu_count() or 1})
    say(f"et-run against LiteRT at {' and '.join(map(str, thread_counts))} thread(s)")
    ratios = litert_ratios(work, names, thread_counts, args.litert_rounds, args.min_seconds)
    if ratios:
        plot_litert(ratios, results_dir / "litert.png")

    info = compare.machine_info()
    (results_dir / "results.json").write_text(json.dumps(
        {"machine": info, "speed_goals": goals, "comparisons": [c.to_dict() for c in comparisons],
         "litert_ratios": ratios}, indent=2))

    lines = [
        "# etkit benchmark report",
        "",
        f"Generated by `benchmarks/run_benchmarks.py` on {info['date']}.",
        "",
        f"- Machine: {info['cpu']}, {info['cores']} cores, shared with other engineers' builds and tests: "
        "bare times are noisy and move between runs; quote the ratios, which come from one run",
        f"- Versions: Python {info['python']}, torch {info['torch']}, executorch {info['executorch']}, "
        f"onnxruntime {info['onnxruntime']}, ai-edge-litert {info['ai-edge-litert']}, "
        f"litert-torch {info['litert-torch']}, etkit {info['etkit']}",
        f"- Threads: {args.threads} for every runtime in the tables per model; the LiteRT ratios at "
        f"{' and at '.join(str(t) for t in thread_counts)} (all {info['cores']} cores)",
        "",
        "## Speed goals (tiny-classifier, XNNPACK)",
        "",
        f"Median over {goals['rounds']} rounds of the p50 per call; in each round every side is measured once, "
        "in turn.",
        "",
        "| measurement | p50 µs |",
        "|---|---:|",
    ]
    labels = {"bare_loop": "bare C++ loop of Module::forward", "et_run": "et-run --bench",
              "runner_benchmark": "etkit.Runner.benchmark()", "runner_run": "etkit.Runner.run() from Python",
              "executorch_python": "executorch Python runtime Method.execute()"}
    for k, v in goals["p50_ms"].items():
        lines.append(f"| {labels[k]} | {v * 1e3:.3f} |")
    lines += ["", "| ratio | measured | goal | met |", "|---|---:|---|---|"]
    for g in goals["goals"]:
        lines.append(f"| {g['what']} | {g['ratio']:.3f} | {g['goal']} | {'yes' if g['met'] else 'NO'} |")
    if ratios:
        lines += ["", "## et-run against LiteRT", "",
                  "The same model both ways, XNNPACK fp32 each: the `.pte` from `etkit export` run by "
                  "`et-run --bench`, "
                  "the `.tflite` from litert-torch run by ai-edge-litert's interpreter (`invoke()` timed from Python "
                  "on inputs set once). Ratio of the p50s, et-run over LiteRT: below 1, et-run is faster. "
                  f"Median of {args.litert_rounds} rounds, each timing both sides in turn; the range is the lowest "
                  "and highest round. Measured on a shared 2-core machine: the ratios hold better than the times, "
                  "and a wide range means other work interfered. LiteRT's time includes one call from Python per "
                  "run, which et-run's C++ loop does not pay: on the smallest models that counts against LiteRT. "
                  "The last column says how `etkit export` split et-run's program: XNNPACK subgraphs (delegate "
                  "calls) and operators left outside them on portable kernels: the more there are, the more "
                  "et-run's time goes outside XNNPACK.",
                  "", "| model | threads | et-run / LiteRT p50 | range over rounds | et-run's program: XNNPACK calls, "
                  "portable kernel calls |", "|---|---:|---:|---|---|"]
        for r in ratios:
            split = r["et_run_program"]
            lines.append(f"| {r['model']} | {r['threads']} | {r['ratio']:.2f} | "
                         f"{min(r['round_ratios']):.2f} – {max(r['round_ratios']):.2f} | "
                         f"{split['xnnpack_calls']}, {split['kernel_calls']} |")
        lines += ["", "![et-run against LiteRT](results/litert.png)"]
    for c in comparisons:
        lines += ["", f"## {c.model}", "", f"Inputs {c.inputs}. Error: largest absolute difference from eager "
                  "PyTorch on the same inputs.", "", compare.format_markdown(c), "",
                  f"![{c.model}](results/{c.model}.png)"]
    lines += ["", "Raw numbers: [results/results.json](results/results.json).", ""]
    Path(args.output).write_text("\n".join(lines))
    say(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
