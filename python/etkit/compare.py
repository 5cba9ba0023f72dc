"""etkit compare: one model, several ways to deploy it, measured side by side.

Exports the model for portable kernels, XNNPACK fp32 and XNNPACK int8, times
each with et-run, and beside them the executorch Python runtime, eager PyTorch,
ONNX Runtime and LiteRT (each when installed), all at one thread count. Writes a JSON
report and a PNG plot; returns the rows.

With a device (etkit.Device or its URL), et-run runs there through the device
layer and the host-only runtimes are left out: their timings would be this
machine's, not the device's. Eager PyTorch still runs here, untimed, as the
reference of the error column.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from .errors import EtkitError
from .extras import require_export
from .timing import duration, time_calls
from .tools import et_run_path

if TYPE_CHECKING:
    from .device import Device

# (label, backend, quantize) of each exported variant.
VARIANTS = {
    "portable": ("portable", None),
    "xnnpack": ("xnnpack", None),
    "xnnpack-int8": ("xnnpack", "int8"),
}


@dataclass
class Row:
    name: str                      # what ran: "et-run xnnpack", "eager PyTorch", ...
    runtime: str                   # et-run, executorch-python, pytorch, onnxruntime, litert
    p50_ms: float | None = None
    p90_ms: float | None = None
    iterations: int = 0
    load_ms: float | None = None   # program (or session) load + method load
    file_bytes: int | None = None
    max_abs_error: float | None = None  # against eager PyTorch on the same inputs
    note: str = ""
    where: str = "host"            # where it was timed: "host", or the device's URL


@dataclass
class Comparison:
    model: str
    threads: int
    inputs: list[list[int]]
    rows: list[Row] = field(default_factory=list)
    machine: dict = field(default_factory=dict)  # the host: it exports, and runs everything without a device
    device: dict | None = None     # the device's probe (as in a remote benchmark's record), None on the host
    runner: dict | None = None     # the et-run shipped to the device: sha256, target, arch, linkage, emulated

    def to_dict(self) -> dict:
        d = asdict(self)
        d["rows"] = [asdict(r) for r in self.rows]
        return d


def machine_info() -> dict:
    import torch

    from importlib.metadata import PackageNotFoundError, version

    def ver(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "executorch": ver("executorch"), "onnxruntime": ver("onnxruntime"), "ai-edge-litert": ver("ai-edge-litert"),
            "litert-torch": ver("litert-torch"), "etkit": ver("etkit"),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def _max_error(got: list[np.ndarray], want: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(g.astype(np.float64) - w.astype(np.float64)))) if w.size else 0.0
               for g, w in zip(got, want))


def _et_runner(device: Device | None) -> Callable[[list[str]], str]:
    """et-run's stdout for ``args`` (host paths), here or on ``device``, which
    pushes the files the arguments name and brings --output-dir back."""
    if device is None:
        def run(args: list[str]) -> str:
            done = subprocess.run([et_run_path(), *args], capture_output=True, text=True)
            if done.returncode != 0:
                raise EtkitError(f"et-run {' '.join(args[:1])} failed: {done.stderr.strip()}")
            return done.stdout
        return run

    from .device.etrun import error_for

    def run_there(args: list[str]) -> str:
        done = device.run_et(args, extra=["--error-format", "json"])  # DeviceError when the device fails
        if done.returncode != 0:
            raise error_for(done.returncode, done.stderr, device.url)
        return done.stdout
    return run_there


def device_name(c: Comparison) -> str:
    """'ssh://pi@board (aarch64, 4 cores)', or 'host'."""
    if not c.device:
        return "host"
    d = c.device
    emulated = " emulated" if (c.runner or {}).get("emulated") else ""
    return f"{d.get('url')} ({d.get('arch')}{emulated}, {d.get('cores')} cores)"


def compare(model, example_inputs: tuple, *, name: str, workdir: str | os.PathLike, threads: int = 1,
            variants: tuple[str, ...] = ("portable", "xnnpack", "xnnpack-int8"), min_seconds: float = 1.0,
            iterations: int = 100, onnx: bool = True, litert: bool = True, device: Device | str | None = None,
            progress: Callable[[str], None] | None = None) -> Comparison:
    """Measures ``model`` every way etkit knows to run it. See the module doc.

    ``device``: an etkit.Device or a device URL (ssh://..., adb, local) to
    time the et-run variants on; DeviceError when it fails."""
    require_export("etkit.compare")
    import torch

    from .exporter import export

    from . import _core

    _core.set_runtime_log_echo(False)  # route the runtime's log lines through etkit (quiet)
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise EtkitError(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    if threads < 1:
        raise EtkitError(f"threads must be 1 or more, got {threads}")
    if isinstance(device, str):
        from .device import Device

        with Device(device, progress=progress) as opened:
            return compare(model, example_inputs, name=name, workdir=workdir, threads=threads, variants=variants,
                           min_seconds=min_seconds, iterations=iterations, onnx=onnx, litert=litert,
                           device=opened, progress=progress)
    # Reach the device before the exports (minutes for int8): a dead one fails now.
    probed = None if device is None else {k: v for k, v in device.probe().items() if k != "cache"}
    run_et = _et_runner(device)
    where = "host" if device is None else device.url
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    steps = len(variants) + (0 if device is not None else 2 + int(onnx) + int(litert))
    step = iter(range(1, steps + 1))

    def say(msg: str) -> None:
        if progress:
            progress(f"[{next(step)}/{steps}] {msg}")

    inputs = [t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t) for t in example_inputs]
    input_files = []
    for i, x in enumerate(inputs):
        p = workdir / f"input_{i}.npy"
        np.save(p, x)
        input_files += ["--input", str(p)]
    torch.set_num_threads(threads)
    model = model.eval()
    with torch.no_grad():
        out = model(*[torch.from_numpy(x) for x in inputs])
    eager_out = [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]
    result = Comparison(model=name, threads=threads, inputs=[list(x.shape) for x in inputs], machine=machine_info(),
                        device=probed)
    timing = {"iterations": iterations, "min_seconds": min_seconds}

    xnnpack_pte = None
    for variant in variants:
        backend, quantize = VARIANTS[variant]
        say(f"export {variant} and run it with et-run" + ("" if device is None else f" on {device.url}"))
        pte = workdir / f"{name}_{variant}.pte"
        try:
            export(model, tuple(example_inputs), pte, backend=backend, quantize=quantize)
        except EtkitError as e:
            result.rows.append(Row(f"et-run {variant}", "et-run", note=f"export failed: {e}", where=where))
            continue
        if variant == "xnnpack":
            xnnpack_pte = pte
        outdir = workdir / f"out_{variant}"
        outdir.mkdir(exist_ok=True)
        run_et([str(pte), *input_files, "--output-dir", str(outdir), "--threads", str(threads)])
        got = [np.load(outdir / f"output_{i}.npy") for i in range(len(eager_out))]
        bench = json.loads(run_et([str(pte), *input_files, "--threads", str(threads), "--bench", "--json", "-",
                                   "--iterations", str(iterations), "--min-seconds", str(min_seconds)]))
        result.rows.append(Row(f"et-run {variant}", "et-run", bench["latency_ms"]["p50"], bench["latency_ms"]["p90"],
                               bench["iterations"], bench["load_ms"] + bench["method_load_ms"], pte.stat().st_size,
                               _max_error(got, eager_out), where=where))
        if device is not None:
            result.runner = bench["runner"]

    if device is not None:  # the host-only runtimes would time this machine, not the device
        return result
    say("executorch Python runtime (XNNPACK program)")
    result.rows.append(_executorch_python(xnnpack_pte, inputs, eager_out, threads, timing))
    say("eager PyTorch")
    with torch.no_grad():
        tensors = [torch.from_numpy(x) for x in inputs]
        measured = time_calls(lambda: model(*tensors), **timing)
    result.rows.append(Row("eager PyTorch", "pytorch", measured["latency_ms"]["p50"], measured["latency_ms"]["p90"],
                           measured["iterations"], max_abs_error=0.0))
    if onnx:
        say("ONNX Runtime")
        result.rows.append(_onnxruntime(model, example_inputs, inputs, eager_out, threads, timing, workdir, name))
    if litert:
        say("LiteRT")
        result.rows.append(_litert(model, example_inputs, inputs, eager_out, threads, timing, workdir, name))
    return result


def _executorch_python(pte: Path | None, inputs, eager_out, threads: int, timing: dict) -> Row:
    row = Row("executorch Python runtime", "executorch-python")
    if pte is None:
        row.note = "no XNNPACK program to run"
        return row
    import torch
    from executorch.extension.pybindings import portable_lib
    from executorch.runtime import Runtime

    portable_lib._unsafe_reset_threadpool(threads)  # the same pool et-run sizes with --threads
    start = time.perf_counter()
    method = Runtime.get().load_program(pte).load_method("forward")
    row.load_ms = (time.perf_counter() - start) * 1e3
    tensors = [torch.from_numpy(x) for x in inputs]
    got = [o.numpy() for o in method.execute(tensors)]
    measured = time_calls(lambda: method.execute(tensors), **timing)
    row.p50_ms, row.p90_ms = measured["latency_ms"]["p50"], measured["latency_ms"]["p90"]
    row.iterations, row.file_bytes = measured["iterations"], pte.stat().st_size
    row.max_abs_error = _max_error(got, eager_out)
    return row


def _onnxruntime(model, example_inputs, inputs, eager_out, threads: int, timing: dict, workdir: Path, name: str) -> Row:
    row = Row("ONNX Runtime (CPU)", "onnxruntime")
    try:
        import onnxruntime as ort
    except ImportError:
        row.note = "skipped: onnxruntime is not installed (pip install 'etkit[compare]')"
        return row
    import torch

    import logging

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # it lists every op it skips
    path = workdir / f"{name}.onnx"
    try:
        torch.onnx.export(model, tuple(example_inputs), str(path), dynamo=True, verbose=False)
    except Exception as e:  # exporter failures vary; report, don't abort the comparison
        row.note = f"skipped: torch.onnx.export failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
        return row
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    start = time.perf_counter()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    row.load_ms = (time.perf_counter() - start) * 1e3
    feed = {i.name: x for i, x in zip(session.get_inputs(), inputs)}
    got = session.run(None, feed)
    measured = time_calls(lambda: session.run(None, feed), **timing)
    row.p50_ms, row.p90_ms = measured["latency_ms"]["p50"], measured["latency_ms"]["p90"]
    row.iterations, row.file_bytes = measured["iterations"], path.stat().st_size
    row.max_abs_error = _max_error(got, eager_out)
    return row


# LiteRT needs two packages: the converter (torch -> .tflite) and the runtime.
LITERT_PACKAGES = {"litert_torch": "litert-torch", "ai_edge_litert": "ai-edge-litert"}


def _missing_litert() -> list[str]:
    """The pip names of LiteRT's packages that do not import."""
    import importlib

    missing = []
    for module, package in LITERT_PACKAGES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    return missing


def load_litert(path: str | os.PathLike, inputs: list[np.ndarray], threads: int):
    """A .tflite loaded in ai-edge-litert's interpreter (default XNNPACK
    delegate, ``threads`` threads) with ``inputs`` set: returns (invoke,
    outputs), where outputs() reads the output arrays of the last invoke."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=threads)
    signature = interpreter.get_signature_list()
    key = next(iter(signature))
    runner = interpreter.get_signature_runner(key)
    # The signature's names are in the model's argument order; its runner
    # holds the tensors, so drop it before allocating the interpreter's own.
    in_details = [runner.get_input_details()[n] for n in signature[key]["inputs"]]
    out_index = [runner.get_output_details()[n]["index"] for n in signature[key]["outputs"]]
    del runner
    interpreter.allocate_tensors()
    for detail, x in zip(in_details, inputs):
        # int64 model inputs become int32 in a .tflite (litert-torch's default).
        interpreter.set_tensor(detail["index"], x.astype(detail["dtype"], copy=False))
    return interpreter.invoke, lambda: [interpreter.get_tensor(i) for i in out_index]


def _litert(model, example_inputs, inputs, eager_out, threads: int, timing: dict, workdir: Path, name: str) -> Row:
    """Converted by litert-torch (no TensorFlow), run by ai-edge-litert's
    interpreter with its default XNNPACK delegate at ``threads`` threads. The
    timed call is invoke() on inputs set once, as et-run's loop runs the
    method on inputs set once."""
    row = Row("LiteRT (XNNPACK)", "litert")
    missing = _missing_litert()
    if missing:
        row.note = f"skipped: {' and '.join(missing)} not installed (pip install {' '.join(missing)})"
        return row
    import logging

    import litert_torch

    litert_torch.config.show_progress = False  # it prints a line per conversion stage
    path = workdir / f"{name}.tflite"
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it warns on the root logger that int64 inputs become int32
    try:
        litert_torch.convert(model, tuple(example_inputs)).export(str(path))
    except Exception as e:  # converter failures vary; report, don't abort the comparison
        row.note = f"skipped: litert_torch.convert failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
        return row
    finally:
        root.setLevel(level)
    start = time.perf_counter()
    invoke, outputs = load_litert(path, inputs, threads)
    row.load_ms = (time.perf_counter() - start) * 1e3
    invoke()
    got = outputs()
    measured = time_calls(invoke, **timing)
    row.p50_ms, row.p90_ms = measured["latency_ms"]["p50"], measured["latency_ms"]["p90"]
    row.iterations, row.file_bytes = measured["iterations"], path.stat().st_size
    row.max_abs_error = _max_error(got, eager_out)
    return row


def format_table(c: Comparison) -> str:
    def num(v, fmt):
        return format(v, fmt) if v is not None else format("-", ">" + fmt.split(".")[0])

    wide = max([5, *(len(r.where) for r in c.rows)])
    head = (f"{'runtime':<28} {'where':<{wide}} {'p50':>10} {'p90':>10} {'runs':>8} {'load':>10} "
            f"{'file KiB':>9} {'max |err|':>10}  note")
    lines = [f"{c.model}: {c.threads} thread(s), inputs {c.inputs}, on {device_name(c)}", head, "-" * len(head)]
    if c.device:
        lines.insert(1, "max |err| is against eager PyTorch on this host, on the same inputs")
    for r in c.rows:
        # Times in ms, us or ns as fits (etkit.timing.duration, as et-run prints them).
        lines.append(f"{r.name:<28} {r.where:<{wide}} {duration(r.p50_ms):>10} {duration(r.p90_ms):>10} "
                     f"{r.iterations:>8} "
                     f"{duration(r.load_ms):>10} {num(None if r.file_bytes is None else r.file_bytes / 1024, '9.1f')} "
                     f"{num(r.max_abs_error, '10.2e')}  {r.note}")
    return "\n".join(lines)


def format_markdown(c: Comparison) -> str:
    def num(v, fmt):
        return "–" if v is None else format(v, fmt)

    lines = ["| runtime | p50 | p90 | runs | load | file KiB | max abs error vs eager | note |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in c.rows:
        lines.append(f"| {r.name} | {duration(r.p50_ms)} | {duration(r.p90_ms)} | {r.iterations} | "
                     f"{duration(r.load_ms)} | {num(None if r.file_bytes is None else r.file_bytes / 1024, '.1f')} | "
                     f"{num(r.max_abs_error, '.2e')} | {r.note} |")
    return "\n".join(lines)


def plot(c: Comparison, path: str | os.PathLike) -> bool:
    """A bar chart of p50 (whisker to p90) per runtime. False when matplotlib is absent."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    from matplotlib.ticker import LogFormatter, NullFormatter

    rows = [r for r in c.rows if r.p50_ms is not None]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5))
    names = [r.name for r in rows]
    p50 = [r.p50_ms * 1e3 for r in rows]  # microseconds read better for small models
    p90 = [max(r.p90_ms * 1e3, v) for r, v in zip(rows, p50)]
    colors = ["tab:blue" if r.runtime == "et-run" else "tab:gray" for r in rows]
    left = min(p50) / 2
    ax.barh(names, [v - left for v in p50], left=left, color=colors)
    ax.errorbar(p90, range(len(rows)), fmt="|", color="black", markersize=10)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(left, max(p90) * 3)
    ax.xaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("latency per call, µs (bar: p50, tick: p90; log scale)")
    ax.set_title(f"{c.model}, {c.threads} thread(s)" + (f", on {device_name(c)}" if c.device else ""))
    for y, (v, w) in enumerate(zip(p50, p90)):
        ax.text(w * 1.08, y, f"{v:.3g} µs", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
