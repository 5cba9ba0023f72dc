"""Writes benchmarks/PERF.md: where et-run stands against LiteRT and ONNX
Runtime on CNNs and transformer encoders, and what each change that etkit
controls is worth, every number a ratio measured in one run.

    .venv/bin/python benchmarks/perf.py [--rounds 5] [--min-seconds 0.5] [--quick]

Every round times every variant of a model in turn (et-run through its own
binary, LiteRT's and ONNX Runtime's Python APIs), so that the machine's noise
hits all of them alike; the report gives the median of the per-round ratios
and their range. Takes about 15 minutes; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---- Models -----------------------------------------------------------------------


def _encoder(vocab: int, dim: int, heads: int, ffn: int, layers: int, tokens: int, batch: int = 1):
    """A pre-norm transformer encoder over token ids, attention written out as
    plain ops (what sentence-transformer encoders export to)."""
    import torch
    from torch import nn

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
            self.ffn = nn.Sequential(nn.Linear(dim, ffn), nn.GELU(), nn.Linear(ffn, dim))

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
            attn = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // heads), dim=-1)
            x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, t, d))
            return x + self.ffn(self.norm2(x))

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, dim)
            self.pos = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
            self.layers = nn.Sequential(*[Layer() for _ in range(layers)])
            self.norm = nn.LayerNorm(dim)

        def forward(self, ids):
            return self.norm(self.layers(self.embed(ids) + self.pos)).mean(dim=1)

    torch.manual_seed(0)
    return Encoder().eval(), (torch.randint(0, vocab, (batch, tokens)),)


def _mobilenet_v2():
    """MobileNetV2 (width 1.0, 224x224): inverted residual blocks with
    BatchNorm and ReLU6, as torchvision defines it (written out: no torchvision)."""
    import torch
    from torch import nn

    def conv(cin, cout, k=3, s=1, groups=1, act=True):
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        return nn.Sequential(*layers, nn.ReLU6()) if act else nn.Sequential(*layers)

    class Block(nn.Module):
        def __init__(self, cin, cout, stride, expand):
            super().__init__()
            hidden = cin * expand
            layers = [conv(cin, hidden, 1)] if expand != 1 else []
            layers += [conv(hidden, hidden, 3, stride, groups=hidden), conv(hidden, cout, 1, act=False)]
            self.body, self.residual = nn.Sequential(*layers), stride == 1 and cin == cout

        def forward(self, x):
            return x + self.body(x) if self.residual else self.body(x)

    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1)]
    layers, cin = [conv(3, 32, 3, 2)], 32
    for t, c, n, s in settings:
        for i in range(n):
            layers.append(Block(cin, c, s if i == 0 else 1, t))
            cin = c
    layers += [conv(cin, 1280, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 1000)]
    torch.manual_seed(0)
    model = nn.Sequential(*layers).eval()
    with torch.no_grad():  # trained-looking BatchNorm statistics
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_var.uniform_(0.5, 2.0)
                m.running_mean.uniform_(-0.1, 0.1)
    return model, (torch.randn(1, 3, 224, 224),)


def models(quick: bool) -> dict:
    from etkit import zoo

    out = {
        "mobile-cnn": (lambda: zoo.build("mobile-cnn"), "cnn"),
        "mobilenet-v2-224": (_mobilenet_v2, "cnn"),
        "tiny-transformer": (lambda: zoo.build("tiny-transformer"), "encoder"),
        # all-MiniLM-L6-v2's shape: 6 layers of width 384, 12 heads, 2 x 32 tokens.
        "minilm-l6-encoder": (lambda: _encoder(30522, 384, 12, 1536, 6, 32, batch=2), "encoder"),
    }
    if quick:
        out = {k: out[k] for k in ("mobile-cnn", "tiny-transformer")}
    return out


# ---- Layer norm as XNNPACK operators (experiments) ------------------------------------


def _swap_layer_norms(model, how: str):
    """model with every nn.LayerNorm over the last dimension computed from
    operators XNNPACK takes: "mean4d" (mean over the two innermost dims of a 4-D
    view, XNNPACK's global average pooling) or "matmul" (the mean as a product
    with a constant 1/C vector, a fully connected layer)."""
    import torch
    from torch import nn

    class LayerNormBy(nn.Module):
        def __init__(self, ln):
            super().__init__()
            c = ln.normalized_shape[-1]
            self.register_buffer("avg", torch.full((1, c), 1.0 / c))
            self.weight, self.bias, self.eps = ln.weight, ln.bias, ln.eps

        def mean(self, x):
            if how == "matmul":
                return nn.functional.linear(x, self.avg)
            shape = x.shape
            return x.reshape(1, -1, 1, shape[-1]).mean(dim=[2, 3], keepdim=True).reshape(*shape[:-1], 1)

        def forward(self, x):
            xc = x - self.mean(x)
            return xc * torch.rsqrt(self.mean(xc * xc) + self.eps) * self.weight + self.bias

    model = copy.deepcopy(model)
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.LayerNorm):
                setattr(module, name, LayerNormBy(child))
    return model


@contextmanager
def _xnnpack_passes(keep: set[str]):
    """etkit's pre-partitioning passes, only those named in ``keep``."""
    import etkit.exporter as exporter

    original = exporter._xnnpack_passes
    names = {"ReplaceSqueezeAndUnsqueezeWithViewPass": "squeeze", "_RemoveIdentityExpand": "expand"}
    exporter._xnnpack_passes = lambda: [p for p in original() if names[type(p).__name__] in keep]
    try:
        yield
    finally:
        exporter._xnnpack_passes = original


# ---- Measuring ---------------------------------------------------------------------------


def _et_run(pte: Path, inputs: list[Path], threads: int, min_seconds: float, extra=(), runner: str | None = None) -> float:
    from etkit.tools import et_run_path

    cmd = [runner or et_run_path(), str(pte), "--bench", "--json", "-", "--threads", str(threads), "--min-seconds",
           str(min_seconds), *extra]
    for f in inputs:
        cmd += ["--input", str(f)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)["latency_ms"]["p50"]


def _export_variants(name: str, build, kind: str, work: Path) -> tuple[dict, list[Path], object, tuple]:
    """The .pte variants of one model: etkit's export before and after its
    passes, each pass alone, and for encoders the layer-norm rewrites."""
    import etkit

    model, example = build()
    variants = {
        "et-run, no passes": ("none", model),
        "et-run, squeeze->view only": ("squeeze", model),
        "et-run, identity expand only": ("expand", model),
        "et-run (etkit export)": ("all", model),
    }
    if kind == "encoder":
        variants["et-run + LayerNorm as 4-D mean"] = ("all", _swap_layer_norms(model, "mean4d"))
        variants["et-run + LayerNorm as matmul mean"] = ("all", _swap_layer_norms(model, "matmul"))
    out = {}
    for label, (passes, m) in variants.items():
        path = work / f"{name}-{len(out)}.pte"
        keep = {"squeeze", "expand"} if passes == "all" else set() if passes == "none" else {passes}
        say(f"  exporting {name}: {label}")
        with _xnnpack_passes(keep):
            report = etkit.export(m, example, path, verify=True)
        method = etkit.inspect(path)["methods"][0]
        out[label] = {"path": path, "xnnpack_calls": sum(d["calls"] for d in method["delegates"]),
                      "kernel_calls": method["kernel_calls"],
                      "max_abs_error": max(a.max_abs_error for a in report.accuracy.values())}
    inputs = []
    for i, x in enumerate(example):
        inputs.append(work / f"{name}-input{i}.npy")
        np.save(inputs[-1], x.numpy())
    return out, inputs, model, example


def _litert(model, example, work: Path, name: str):
    try:
        import litert_torch
    except ImportError:
        return None
    import logging

    litert_torch.config.show_progress = False
    path = work / f"{name}.tflite"
    root = logging.getLogger()
    level, root.level = root.level, logging.ERROR
    try:
        litert_torch.convert(model, tuple(example)).export(str(path))
    except Exception as e:  # report and go on without it
        say(f"  {name}: litert-torch failed: {type(e).__name__}: {str(e)[:200]}")
        return None
    finally:
        root.setLevel(level)
    return path


def _onnx(model, example, work: Path, name: str):
    import logging

    import torch

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    path = work / f"{name}.onnx"
    try:
        torch.onnx.export(model, tuple(example), str(path), dynamo=True, verbose=False)
    except Exception as e:
        say(f"  {name}: torch.onnx.export failed: {type(e).__name__}: {str(e)[:200]}")
        return None
    return path


def measure(name: str, build, kind: str, work: Path, thread_counts: list[int], rounds: int,
            min_seconds: float, source_runner: str | None = None) -> dict:
    from etkit.compare import load_litert
    from etkit.timing import time_calls

    variants, input_files, model, example = _export_variants(name, build, kind, work)
    inputs = [np.load(f) for f in input_files]
    tflite, onnx = _litert(model, example, work, name), _onnx(model, example, work, name)
    result = {"model": name, "kind": kind, "inputs": [list(x.shape) for x in inputs],
              "programs": {k: {kk: vv for kk, vv in v.items() if kk != "path"} for k, v in variants.items()},
              "threads": {}}
    for threads in thread_counts:
        timers = {label: (lambda v=v: _et_run(v["path"], input_files, threads, min_seconds))
                  for label, v in variants.items()}
        # XNNPACK's options, on the program etkit writes: the runtime's default
        # is workspace sharing "global", weight cache off.
        best = variants["et-run (etkit export)"]["path"]
        for mode in ("disabled", "per-model"):
            timers[f"et-run, workspace sharing {mode}"] = (
                lambda m=mode: _et_run(best, input_files, threads, min_seconds, ["--xnnpack-workspace", m]))
        timers["et-run, weight cache on"] = (
            lambda: _et_run(best, input_files, threads, min_seconds, ["--xnnpack-weight-cache", "on"]))
        if source_runner:  # the same program on ExecuTorch built from source (scripts/cross-build.sh x86_64-static)
            timers[SOURCE_BUILT] = lambda: _et_run(best, input_files, threads, min_seconds, runner=source_runner)
        if tflite:
            invoke, _ = load_litert(tflite, inputs, threads)
            timers["LiteRT (XNNPACK)"] = lambda invoke=invoke: time_calls(invoke, min_seconds=min_seconds)["latency_ms"]["p50"]
        if onnx:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads, options.log_severity_level = threads, 1, 3
            session = ort.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
            feed = {i.name: x for i, x in zip(session.get_inputs(), inputs)}
            timers["ONNX Runtime"] = lambda s=session, f=feed: time_calls(lambda: s.run(None, f),
                                                                          min_seconds=min_seconds)["latency_ms"]["p50"]
        samples = {label: [] for label in timers}
        for r in range(rounds):
            say(f"  {name}, {threads} thread(s), round {r + 1}/{rounds}")
            for label, timer in timers.items():
                samples[label].append(timer())
        result["threads"][str(threads)] = samples
    return result


SOURCE_BUILT = "et-run, ExecuTorch built from source (static)"


def ratios(samples: dict, numerator: str, denominator: str) -> tuple[float, float, float] | None:
    if numerator not in samples or denominator not in samples:
        return None
    per_round = [a / b for a, b in zip(samples[numerator], samples[denominator])]
    return statistics.median(per_round), min(per_round), max(per_round)


# ---- Report ----------------------------------------------------------------------------------


def _ratio_text(r) -> str:
    return "–" if r is None else f"{r[0]:.2f} ({r[1]:.2f}–{r[2]:.2f})"


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, before, after, ort_ratio = [], [], [], []
    for res in results:
        for threads, samples in res["threads"].items():
            labels.append(f"{res['model']}\n{threads} thread(s)")
            b = ratios(samples, "et-run, no passes", "LiteRT (XNNPACK)")
            a = ratios(samples, "et-run (etkit export)", "LiteRT (XNNPACK)")
            o = ratios(samples, "et-run (etkit export)", "ONNX Runtime")
            before.append(b[0] if b else np.nan)
            after.append(a[0] if a else np.nan)
            ort_ratio.append(o[0] if o else np.nan)
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(labels)), 4.5))
    ax.bar(x - 0.27, before, 0.27, label="et-run / LiteRT, before etkit's passes")
    ax.bar(x, after, 0.27, label="et-run / LiteRT, etkit export now")
    ax.bar(x + 0.27, ort_ratio, 0.27, label="et-run / ONNX Runtime, etkit export now")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("latency ratio (below 1: et-run faster)")
    ax.set_title("et-run against LiteRT and ONNX Runtime (median of rounds, same run)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _median(samples: dict, a: str, b: str) -> float | None:
    r = ratios(samples, a, b)
    return r[0] if r else None


def findings(results: list[dict]) -> list[str]:
    """The conclusions, with this run's numbers in them."""
    now, before = "et-run (etkit export)", "et-run, no passes"
    out = ["## Findings", ""]
    # The noise floor: where the passes change nothing, both rows time the same program.
    same = [r for r in results if r["programs"][before]["xnnpack_calls"] == r["programs"][now]["xnnpack_calls"]
            and r["programs"][before]["kernel_calls"] == r["programs"][now]["kernel_calls"]]
    floor = [abs(_median(s, before, now) - 1) for r in same for s in r["threads"].values() if _median(s, before, now)]
    if floor:
        out.append(f"- **How fine this run can see.** Where etkit's passes change nothing ({', '.join(r['model'] for r in same)}), "
                   "the two rows time the same program twice, and their medians still differ by up to "
                   f"{100 * max(floor):.0f}%. Read every ratio against that: this is a shared two-core machine, "
                   "and a ratio closer to its goal than that is not settled by this run.")
    noise = max(floor) if floor else 0.0

    def verdict(value: float, goal: float) -> str:
        said = "met" if value <= goal else "not met"
        return f"{said}, within the noise" if abs(value - goal) < noise else said
    # Export passes.
    parts = []
    for res in results:
        p0, p1 = res["programs"][before], res["programs"][now]
        gains = [_median(s, before, now) for s in res["threads"].values()]
        parts.append(f"{res['model']} {' / '.join(f'{g:.2f}x' for g in gains if g)} "
                     f"({p0['xnnpack_calls']} XNNPACK calls and {p0['kernel_calls']} portable calls -> "
                     f"{p1['xnnpack_calls']} and {p1['kernel_calls']})")
    out.append("- **Kept: two export passes** (`etkit.exporter._xnnpack_passes`). Before partitioning, "
               "squeeze/unsqueeze become views and expand_copy to the shape its input already has goes (torch's "
               "matmul decomposition leaves one beside every batched matmul). XNNPACK takes neither operator, so "
               "each split the program into another delegate call with portable kernels between. Speed-up "
               "(before / after, at " + " / ".join(f"{t} thread(s)" for t in results[0]["threads"]) + "): " +
               "; ".join(parts) + ". The CNNs had nothing to gain: one delegate call before and after.")
    # Layer norm.
    encs = [r for r in results if r["kind"] == "encoder"]
    if encs:
        cells = []
        for res in encs:
            for label in ("et-run + LayerNorm as 4-D mean", "et-run + LayerNorm as matmul mean"):
                vals = [_median(s, label, now) for s in res["threads"].values()]
                cells.append(f"{res['model']} {label.split(' as ')[1]} " + " / ".join(f"{v:.2f}" for v in vals if v))
        out.append("- **Tried, not kept: layer norm inside XNNPACK.** ExecuTorch 1.5.1's XNNPACK partitioner has no "
                   "layer norm and takes `mean` only over the two innermost dimensions of a 4-D tensor (global "
                   "average pooling), so each LayerNorm runs on a portable kernel and splits an encoder into "
                   "2 x layers + 1 delegate calls. Rewriting it from operators XNNPACK takes (a 4-D view and that "
                   "mean, or the mean as a product with a constant 1/C vector) puts the whole encoder in one or two "
                   "calls, and is slower all the same: more nodes and layout changes than one portable layer_norm "
                   "kernel costs. Ratios to today's program: " + "; ".join(cells) + ".")
    # XNNPACK options.
    spread = []
    for res in results:
        for s in res["threads"].values():
            for label in ("et-run, workspace sharing disabled", "et-run, workspace sharing per-model",
                          "et-run, weight cache on"):
                v = _median(s, label, now)
                if v:
                    spread.append(v)
    if spread:
        out.append(f"- **XNNPACK's options change nothing measurable here.** Workspace sharing (disabled, per-model, "
                   f"the runtime's default global) and the weight cache gave medians from {min(spread):.2f} to "
                   f"{max(spread):.2f} of the default, within the rounds' spread: they decide how much memory "
                   "several delegate calls or loaded methods share, not how fast one call runs. et-run keeps the "
                   "defaults and offers both (`--xnnpack-workspace`, `--xnnpack-weight-cache`); the benchmark JSON "
                   "records them. The thread pool is ExecuTorch's (pthreadpool), sized by `--threads`.")
    # Source build.
    built = [(res["model"], t, _median(s, SOURCE_BUILT, now)) for res in results for t, s in res["threads"].items()
             if SOURCE_BUILT in s]
    if built:
        out.append("- **ExecuTorch built from source** (`scripts/cross-build.sh x86_64-static`: the archive's "
                   "ExecuTorch and XNNPACK, GCC 12, -O3, static) against the executorch 1.5.1 wheel's runtime, "
                   "same program: " + "; ".join(f"{m} {t} thread(s) {v:.2f}" for m, t, v in built if v) +
                   " (below 1: the source build is faster).")
    else:
        out.append("- **ExecuTorch built from source** was not timed in this run (`--source-runner` not given).")
    # Goals.
    cnn = [(r["model"], t, _median(s, now, "LiteRT (XNNPACK)")) for r in results if r["kind"] == "cnn"
           for t, s in r["threads"].items()]
    enc = [(r["model"], t, _median(s, now, "ONNX Runtime")) for r in encs for t, s in r["threads"].items()]
    out.append("- **The goals.** et-run / LiteRT <= 1.00 on CNNs: " +
               "; ".join(f"{m} {t} thread(s) {v:.2f} ({verdict(v, 1.0)})" for m, t, v in cnn if v) +
               ". et-run / ONNX Runtime <= 0.90 on encoders: " +
               "; ".join(f"{m} {t} thread(s) {v:.2f} ({verdict(v, 0.9)})" for m, t, v in enc if v) +
               ". On a CNN both runtimes run the whole model as one XNNPACK graph, so what is left is the "
               "runtimes' own cost per inference and XNNPACK's build; the per-round range says how much of it "
               "this shared machine can resolve. On an encoder the portable layer norms and the delegate calls "
               "they cause are what etkit cannot remove with ExecuTorch 1.5.1's partitioner (above); a "
               "partitioner that takes layer norm (or `mean` over the last dimension) would be the next step, "
               "and it is ExecuTorch's, not etkit's.")
    return out + [""]


def report(results: list[dict], info: dict, rounds: int, min_seconds: float) -> str:
    lines = [
        "# Performance: et-run against LiteRT and ONNX Runtime, and what etkit's choices are worth",
        "",
        "Written by `benchmarks/perf.py`. " + info["when"] + ", " + info["machine"] + ". " + info["versions"] + ".",
        "",
        f"Every number is a ratio of p50 latencies measured in the same run: each of {rounds} rounds times every "
        f"variant of a model in turn (at least {min_seconds} s each), so that the noise of this shared machine hits "
        "all of them alike. The table gives the median of the per-round ratios and, in brackets, the lowest and "
        "highest round. et-run is timed by its own binary (`--bench`); LiteRT (`invoke()`) and ONNX Runtime "
        "(`run()`) from Python, which adds about a microsecond per call to their side, noticeable only on the "
        "smallest model. All three run fp32, LiteRT and et-run through XNNPACK.",
        "",
        "## Where et-run stands (the program `etkit export` writes today)",
        "",
        "| model | threads | et-run / LiteRT | et-run / ONNX Runtime | XNNPACK calls | portable kernel calls |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        prog = res["programs"]["et-run (etkit export)"]
        for threads, samples in res["threads"].items():
            lines.append(f"| {res['model']} | {threads} | "
                         f"{_ratio_text(ratios(samples, 'et-run (etkit export)', 'LiteRT (XNNPACK)'))} | "
                         f"{_ratio_text(ratios(samples, 'et-run (etkit export)', 'ONNX Runtime'))} | "
                         f"{prog['xnnpack_calls']} | {prog['kernel_calls']} |")
    lines += ["", "![et-run against LiteRT and ONNX Runtime](results/perf.png)", "", *findings(results),
              "## What was tried, each on its own", "",
              "Each row: that variant's p50 over the p50 of the program `etkit export` writes today, in the same "
              "rounds (below 1: the variant is faster). The programs' split says how many XNNPACK delegate calls "
              "and portable kernel calls one inference makes.", ""]
    for res in results:
        lines += [f"### {res['model']} (inputs {res['inputs']})", "",
                  "| variant | " + " | ".join(f"{t} thread(s)" for t in res["threads"]) +
                  " | XNNPACK calls | portable calls | max abs error vs eager |",
                  "|---|" + "---:|" * (len(res["threads"]) + 3)]
        labels = list(next(iter(res["threads"].values())))
        for label in labels:
            if label in ("LiteRT (XNNPACK)", "ONNX Runtime"):
                continue
            prog = res["programs"].get(label, res["programs"]["et-run (etkit export)"])
            cells = [_ratio_text(ratios(s, label, "et-run (etkit export)")) for s in res["threads"].values()]
            lines.append(f"| {label} | " + " | ".join(cells) +
                         f" | {prog['xnnpack_calls']} | {prog['kernel_calls']} | {prog['max_abs_error']:.1e} |")
        lines.append("")
    return "\n".join(lines)


def _isa() -> str:
    """The vector extensions XNNPACK picks kernels by."""
    try:
        flags = next(l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith(("flags", "Features")))
    except (OSError, StopIteration):
        return "ISA unknown"
    have = set(flags.split(":", 1)[1].split())
    wanted = ["avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_tile", "asimddp", "i8mm", "sve"]
    return " ".join(f for f in wanted if f in have) or "no AVX2"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.5)
    parser.add_argument("--quick", action="store_true", help="the two zoo models only")
    parser.add_argument("--out", default=str(ROOT / "benchmarks"), help="folder of PERF.md and results/")
    parser.add_argument("--render", metavar="PERF_JSON",
                        help="write PERF.md and the plot from an earlier run's results/perf.json; measure nothing")
    parser.add_argument("--source-runner", metavar="ET_RUN",
                        help="also time an et-run built against ExecuTorch from source "
                             "(scripts/cross-build.sh x86_64-static DIR, then DIR/et-run)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import etkit.cli  # noqa: F401  (quiets torch's and executorch's import-time noise, as the etkit command does)
    from etkit.compare import machine_info

    out = Path(args.out)
    if args.render:
        saved = json.loads(Path(args.render).read_text())
        (out / "results").mkdir(parents=True, exist_ok=True)
        plot(saved["results"], out / "results" / "perf.png")
        (out / "PERF.md").write_text(report(saved["results"], saved["info"], saved["rounds"], saved["min_seconds"]))
        say(f"wrote {out / 'PERF.md'}")
        return 0
    thread_counts = sorted({1, os.cpu_count() or 1})
    results = []
    with tempfile.TemporaryDirectory(prefix="etkit-perf-") as tmp:
        for name, (build, kind) in models(args.quick).items():
            say(f"{name}")
            folder = Path(tmp) / name
            folder.mkdir()
            results.append(measure(name, build, kind, folder, thread_counts, args.rounds, args.min_seconds,
                                   args.source_runner))
    (out / "results").mkdir(parents=True, exist_ok=True)
    plot(results, out / "results" / "perf.png")
    m = machine_info()
    import importlib.metadata as md

    def version(pkg):
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return "not installed"

    info = {"when": f"Measured {m.get('date', '')}".strip(),
            "machine": f"{m.get('cpu', 'unknown CPU')} ({_isa()}), {os.cpu_count()} cores",
            "versions": ", ".join(f"{p} {version(p)}" for p in ("executorch", "torch", "ai-edge-litert", "litert-torch",
                                                               "onnxruntime"))}
    (out / "results" / "perf.json").write_text(json.dumps(
        {"info": info, "rounds": args.rounds, "min_seconds": args.min_seconds, "results": results}, indent=2))
    (out / "PERF.md").write_text(report(results, info, args.rounds, args.min_seconds))
    say(f"wrote {out / 'PERF.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
