"""etkit.tune (``etkit export --tune``): export a model as fp32 and int8
variants, time each with et-run's loop where it will run, and keep the fastest
one whose outputs stay close enough to eager PyTorch's.

Which variant is fastest depends on the CPU (int8 lost to fp32 on an AVX2 host
without VNNI and won on one with it), so it is measured, not assumed. Each
candidate is timed with ``Runner.benchmark()`` (the C++ loop of ``et-run
--bench``) on this machine, or with a device's runner (same API) on the
device; the candidates are timed in turn, round by round, so that noise from
other work on the machine hits each alike.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from .errors import ArgumentError, DeviceError, EtkitError, ExportError
from .extras import require_export

if TYPE_CHECKING:
    from .device import Device

# name -> the exporter's quantize mode.
CANDIDATES = {"fp32": None, "int8": "int8", "int8-dynamic": "int8-dynamic"}
# The bound when none is given. A cosine of 0.999 keeps the usual int8 result
# of a well-calibrated model (0.9999 and up on the built-in models) and refuses
# a broken one; a largest absolute error depends on the model's output scale,
# so it has no default.
DEFAULT_MIN_COSINE = 0.999
# How many calibration samples the accuracy check also runs, besides the example.
MAX_EVAL_SAMPLES = 16


class TuneError(ExportError):
    """No candidate met the accuracy bounds (or none could be exported).
    ``report`` holds the candidates as measured; nothing was written."""

    def __init__(self, message: str, report: TuneReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class Candidate:
    name: str                      # fp32, int8, int8-dynamic
    quantize: str | None           # the exporter's mode
    size_bytes: int | None = None
    p50_ms: float | None = None    # median over the rounds of each round's p50
    p90_ms: float | None = None    # likewise
    iterations: int = 0            # timed runs, all rounds together
    max_abs_error: float | None = None  # against eager PyTorch, worst over the evaluation inputs
    cosine: float | None = None    # lowest over outputs and evaluation inputs
    qualifies: bool = False        # exported, ran, and met the bounds
    chosen: bool = False
    note: str = ""                 # why it was left out, or why it was chosen


@dataclass
class TuneReport:
    """What etkit.tune measured and wrote."""

    path: str | None               # the chosen program, None when nothing qualified
    chosen: str | None
    backend: str
    threads: int
    where: str                     # "host" or the device's URL
    max_error: float | None
    min_cosine: float | None
    eval_inputs: int               # how many input tuples the accuracy was measured on
    rounds: int
    candidates: list[Candidate] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["candidates"] = [asdict(c) for c in self.candidates]
        return d

    def bounds(self) -> str:
        parts = []
        if self.max_error is not None:
            parts.append(f"max |error| <= {self.max_error:g}")
        if self.min_cosine is not None:
            parts.append(f"cosine >= {self.min_cosine:g}")
        return " and ".join(parts) or "none"

    def table(self) -> str:
        """The candidates, one a line, the chosen one marked with '*'."""
        head = (f"  {'candidate':<13} {'p50':>10} {'p90':>10} {'size KiB':>9} {'max |err|':>10} {'cosine':>10}  note")
        lines = [f"{self.threads} thread(s) on {self.where}; accuracy against eager PyTorch on {self.eval_inputs} "
                 f"input(s); bounds: {self.bounds()}", head, "-" * len(head)]
        for c in self.candidates:
            size = "-" if c.size_bytes is None else f"{c.size_bytes / 1024:.1f}"
            err = "-" if c.max_abs_error is None else f"{c.max_abs_error:.2e}"
            cos = "-" if c.cosine is None else f"{c.cosine:.6f}"
            lines.append(f"{'*' if c.chosen else ' '} {c.name:<13} {format_latency(c.p50_ms):>10} "
                         f"{format_latency(c.p90_ms):>10} {size:>9} {err:>10} {cos:>10}  {c.note}")
        return "\n".join(lines)


def format_latency(ms: float | None) -> str:
    """'372 µs' under a millisecond, '12.4 ms' above."""
    if ms is None:
        return "-"
    if ms < 1:
        return f"{ms * 1e3:.3g} µs"
    return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"


def check_bounds(max_error: float | None, min_cosine: float | None) -> None:
    if max_error is not None and not (isinstance(max_error, (int, float)) and max_error >= 0):
        raise ArgumentError(f"max_error must be a number, 0 or more, got {max_error!r}")
    if min_cosine is not None and not (isinstance(min_cosine, (int, float)) and -1 <= min_cosine <= 1):
        raise ArgumentError(f"min_cosine must be a number from -1 to 1, got {min_cosine!r}")


def _eval_inputs(example: tuple, calibration: Iterable | None) -> list[tuple]:
    """The example inputs and up to MAX_EVAL_SAMPLES calibration samples: a
    static int8 program calibrated on the example alone can look better on it
    than on anything else."""
    from .exporter import _as_tuple

    samples = [example]
    for i, s in enumerate(calibration or ()):
        if i >= MAX_EVAL_SAMPLES:
            break
        samples.append(_as_tuple(s))
    return samples


def _accuracy(runner, model, samples: list[tuple]):
    import torch

    from .exporter import Accuracy, _tensors, compare_outputs

    worst = Accuracy(0.0, 1.0)
    for sample in samples:
        got = runner.run([x.detach().cpu().contiguous().numpy() for x in sample])
        with torch.no_grad():
            want = [t.detach().cpu().numpy() for t in _tensors(model(*sample))]
        if len(got) != len(want):
            raise ExportError(f"the program returned {len(got)} output(s); eager PyTorch returned {len(want)}")
        acc = compare_outputs(got, want)
        worst = Accuracy(max(worst.max_abs_error, acc.max_abs_error), min(worst.cosine_similarity,
                                                                           acc.cosine_similarity))
    return worst


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0][:300] if text else type(e).__name__


def tune(
    model,
    example_inputs,
    path: str | os.PathLike,
    *,
    candidates: Sequence[str] = tuple(CANDIDATES),
    max_error: float | None = None,
    min_cosine: float | None = None,
    backend: str = "xnnpack",
    threads: int = 1,
    calibration: Iterable | None = None,
    dynamic_shapes=None,
    rounds: int = 3,
    warmup: int | None = None,
    iterations: int | None = None,
    min_seconds: float | None = 0.5,
    device: Device | str | None = None,
    workdir: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
) -> TuneReport:
    """Exports ``model`` once per candidate (fp32, static int8, int8-dynamic),
    times each with et-run's loop (``Runner.benchmark``; on ``device``, an
    etkit.Device or its URL, that device's runner) at ``threads`` threads, and
    writes to ``path`` the fastest (lowest p50) whose outputs meet every bound
    given: largest absolute error against eager PyTorch at most ``max_error``,
    cosine similarity at least ``min_cosine``; with neither,
    ``min_cosine=DEFAULT_MIN_COSINE`` (0.999).
    Accuracy is measured on the example inputs and up to 16 calibration
    samples, with the program's own runner.

    A quantization that changes nothing (int8-dynamic quantizes linear and
    convolution layers only: a model without them gives fp32's program) is left
    out as not applicable. ``rounds`` rounds time every candidate in turn;
    each round is one ``benchmark(warmup, iterations, min_seconds)``.
    ``workdir`` keeps the candidates' programs (default: a temporary folder,
    removed).

    Returns a TuneReport; raises TuneError (with ``.report``) when no candidate
    qualifies, writing nothing."""
    require_export("etkit.tune")
    from .exporter import BACKENDS, _as_tuple, _write, export

    if max_error is None and min_cosine is None:
        min_cosine = DEFAULT_MIN_COSINE
    check_bounds(max_error, min_cosine)
    unknown = [c for c in candidates if c not in CANDIDATES]
    if unknown or not candidates:
        raise ArgumentError(f"unknown candidate(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
                            f"known: {', '.join(CANDIDATES)}")
    if backend not in BACKENDS:
        raise ArgumentError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ArgumentError(f"threads must be an integer, 1 or more, got {threads!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ArgumentError(f"rounds must be an integer, 1 or more, got {rounds!r}")
    if isinstance(device, str):
        from .device import Device

        with Device(device, progress=progress) as opened:
            return tune(model, example_inputs, path, candidates=candidates, max_error=max_error,
                        min_cosine=min_cosine, backend=backend, threads=threads, calibration=calibration,
                        dynamic_shapes=dynamic_shapes, rounds=rounds, warmup=warmup, iterations=iterations,
                        min_seconds=min_seconds, device=opened, workdir=workdir, progress=progress)

    def say(msg: str) -> None:
        if progress:
            progress(msg)

    if device is not None:
        device.probe()  # a dead device fails now, not after minutes of int8 export
    example = _as_tuple(example_inputs)
    calibration = None if calibration is None else list(calibration)
    samples = _eval_inputs(example, calibration)
    model = model.eval()
    report = TuneReport(path=None, chosen=None, backend=backend, threads=threads,
                        where="host" if device is None else device.url, max_error=max_error, min_cosine=min_cosine,
                        eval_inputs=len(samples), rounds=rounds)
    keep = workdir is not None
    folder = Path(workdir) if keep else Path(tempfile.mkdtemp(prefix="etkit-tune-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        runners: dict[str, object] = {}
        files: dict[str, Path] = {}
        fp32_bytes = None
        for name in dict.fromkeys(["fp32", *candidates]):  # fp32 first: the others are checked against it
            quantize = CANDIDATES[name]
            cand = Candidate(name, quantize)
            pte = folder / f"{name}.pte"
            say(f"export {name}")
            try:
                export(model, example, pte, backend=backend, quantize=quantize,
                       calibration=calibration if quantize == "int8" else None, dynamic_shapes=dynamic_shapes,
                       verify=False)
            except EtkitError as e:
                cand.note = f"export failed: {_first_line(e)}"
                if name in candidates:
                    report.candidates.append(cand)
                continue
            data = pte.read_bytes()
            if name == "fp32":
                fp32_bytes = data
            elif data == fp32_bytes:
                cand.note = f"not applicable: {name} quantized nothing (the same program as fp32)"
                report.candidates.append(cand)
                continue
            if name not in candidates:
                continue  # fp32 was only exported to recognise a quantization that changed nothing
            cand.size_bytes = len(data)
            try:
                runner = (device.runner(pte, threads=threads) if device is not None
                          else _host_runner(pte, threads))
                acc = _accuracy(runner, model, samples)
            except DeviceError:
                raise  # the device failed, not the candidate
            except EtkitError as e:
                cand.note = f"does not run in etkit's runtime: {_first_line(e)}"
                report.candidates.append(cand)
                continue
            cand.max_abs_error, cand.cosine = acc.max_abs_error, acc.cosine_similarity
            misses = []
            if max_error is not None and not cand.max_abs_error <= max_error:
                misses.append(f"max |error| {cand.max_abs_error:.2e} > {max_error:g}")
            if min_cosine is not None and not cand.cosine >= min_cosine:
                misses.append(f"cosine {cand.cosine:.6f} < {min_cosine:g}")
            cand.qualifies = not misses
            cand.note = "; ".join(misses) if misses else ""
            report.candidates.append(cand)
            runners[name], files[name] = runner, pte

        # Timed in turn, round by round, every candidate that ran (the
        # inaccurate ones too: the table shows what accuracy would cost).
        p50s: dict[str, list[float]] = {n: [] for n in runners}
        p90s: dict[str, list[float]] = {n: [] for n in runners}
        by_name = {c.name: c for c in report.candidates}
        for r in range(rounds):
            for name, runner in runners.items():
                say(f"time {name} (round {r + 1}/{rounds}, {threads} thread(s) on {report.where})")
                bench = runner.benchmark(warmup=warmup, iterations=iterations, min_seconds=min_seconds)
                p50s[name].append(bench["latency_ms"]["p50"])
                p90s[name].append(bench["latency_ms"]["p90"])
                by_name[name].iterations += bench["iterations"]
        for cand in report.candidates:
            if cand.name in p50s:
                cand.p50_ms = statistics.median(p50s[cand.name])
                cand.p90_ms = statistics.median(p90s[cand.name])

        qualified = [c for c in report.candidates if c.qualifies]
        if not qualified:
            lines = "; ".join(f"{c.name}: {c.note or 'no measurement'}" for c in report.candidates)
            raise TuneError(f"no candidate meets the accuracy bounds ({report.bounds()}): {lines}", report)
        best = min(qualified, key=lambda c: (c.p50_ms if c.p50_ms is not None else math.inf))
        best.chosen = True
        best.note = ("chosen: the fastest within the bounds" if len(qualified) > 1
                     else "chosen: the only one within the bounds")
        for c in qualified:
            if c is not best:
                c.note = f"{c.p50_ms / best.p50_ms:.2f}x {best.name}'s p50"
        _write(Path(path), files[best.name].read_bytes())
        report.path, report.chosen = str(path), best.name
        return report
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def _host_runner(pte: Path, threads: int):
    from .runner import Runner

    return Runner(pte, threads=threads)
