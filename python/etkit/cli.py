"""The ``etkit`` command: export, demo (and more as they land).

Exit codes: 0 success, 1 the model, program or inputs were rejected, 2 bad
command line, 3 a device failed (etkit remote, device, compare --device).
Errors print one line; --verbose adds the Python traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from .errors import ArgumentError, DeviceError, EtkitError, ExportError


def _quiet_export_libraries(command: str) -> None:
    # A runtime-only install (pip install etkit) lacks torch: say so in one line.
    from .extras import require_export

    require_export(f"etkit {command}")
    # torch, torchao and executorch warn at length on import and export; the
    # user asked for a .pte, not for their deprecation notices. Only theirs are
    # filtered: etkit's own warnings, and the user's model's, still show.
    from . import _quiet

    _quiet.filter_warnings()
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
    with _quiet.quiet():
        import torch  # noqa: F401  (torch sets its loggers' levels on import: quiet them after)
    _quiet.silence_loggers()


def _progress_printer():
    """Prints each export stage as it starts, with the time since the first."""
    import time

    start = time.perf_counter()

    def show(stage: str) -> None:
        print(f"  [{time.perf_counter() - start:6.1f} s] {stage}...", file=sys.stderr, flush=True)

    return show


def cmd_export(args) -> int:
    _check_tune_flags(args)
    _quiet_export_libraries("export")
    from . import spec as spec_mod
    from .exporter import export, load_calibration, parse_dynamic

    model, example = spec_mod.resolve(args.spec, _example_inputs(args))
    dynamic = parse_dynamic(args.dynamic, example) if args.dynamic else None
    calibration = None
    if args.calibration:
        if args.quantize != "int8" and not args.tune:
            raise ArgumentError("--calibration is for --quantize int8 (static quantization)")
        calibration = load_calibration(args.calibration, example, dynamic)
    if args.tune:
        return _export_tuned(args, model, example, calibration, dynamic)
    print(f"exporting {args.spec} ({args.backend}{', ' + args.quantize if args.quantize else ''})", file=sys.stderr)
    try:
        report = export(model, example, args.output, backend=args.backend, quantize=args.quantize,
                        calibration=calibration, dynamic_shapes=dynamic, verify=not args.no_verify,
                        bundled_program=args.bundled_program, progress=_progress_printer())
    except ExportError as e:
        captured = str(e).startswith("torch.export could not capture")  # not a later stage's failure
        hints = [_dtype_hint(str(e), example), _own_inputs_hint(args)] if captured else []
        if any(hints):
            raise ExportError("; ".join([str(e), *filter(None, hints)])) from e
        raise
    print(report.summary())
    return 0


def _check_tune_flags(args) -> None:
    """--tune's own flags need --tune; --tune picks the quantization itself."""
    if args.tune:
        if args.quantize:
            raise ArgumentError("--tune picks the quantization itself: drop --quantize (or name --candidates)")
        if args.bundled_program or args.no_verify:
            raise ArgumentError("--bundled-program and --no-verify don't go with --tune")
        return
    flags = (("--max-error", args.max_error), ("--min-cosine", args.min_cosine), ("--threads", args.threads),
             ("--json", args.json), ("--device", args.device), ("--candidates", args.candidates))
    given = [flag for flag, value in flags if value is not None]
    if given:
        raise ArgumentError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for --tune")


def _export_tuned(args, model, example, calibration, dynamic) -> int:
    """etkit export --tune: the candidates, timed here or on --device, the fastest accurate one to -o."""
    import json

    from .tuning import CANDIDATES, TuneError, tune

    print(f"tuning {args.spec} ({args.backend}): {', '.join(args.candidates or CANDIDATES)}", file=sys.stderr)
    try:
        report = tune(model, example, args.output, candidates=tuple(args.candidates or CANDIDATES),
                      max_error=args.max_error, min_cosine=args.min_cosine, backend=args.backend,
                      threads=args.threads or 1, calibration=calibration, dynamic_shapes=dynamic, device=args.device,
                      progress=_progress_printer())
    except TuneError as e:
        print(e.report.table())
        if args.json:
            Path(args.json).write_text(json.dumps(e.report.to_dict(), indent=2))
        raise
    print(report.table())
    print(f"wrote {report.path} ({report.chosen})")
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=2))
        print(f"wrote {args.json}")
    return 0


def _example_inputs(args):
    """--input-shape (random, of each given dtype) or --inputs FILE.npz, or None: the model's own."""
    from . import spec as spec_mod

    if args.input_shape and getattr(args, "inputs", None):
        raise ArgumentError("give --input-shape or --inputs, not both")
    if getattr(args, "inputs", None):
        return spec_mod.load_inputs(args.inputs)
    return [spec_mod.parse_input_spec(s) for s in args.input_shape] if args.input_shape else None


# Words of torch's errors about an input's dtype (embedding indices, index_select, type promotion...).
_DTYPE_WORDS = ("dtype", "scalar type", "scalartype", "floattensor", "longtensor", "inttensor",
                "expected tensor for argument", "indices", "must be long", "must be int")


def _dtype_hint(message: str, example: tuple) -> str | None:
    """When the model rejects its example inputs' dtype, the options that give another."""
    text = message.lower()
    if not any(w in text for w in _DTYPE_WORDS):
        return None
    have = ", ".join(f"{str(x.dtype).replace('torch.', '')}{list(x.shape)}" for x in example if hasattr(x, "dtype"))
    return (f"the example inputs were {have}: if the model takes another dtype, give it in --input-shape "
            "(e.g. --input-shape 1x16:int64:0..999 for token ids of a vocabulary of 1000) "
            "or pass example inputs with --inputs FILE.npz (one array per input, in order)")


def _own_inputs_hint(args) -> str | None:
    """A built-in model given other example inputs: say what it takes."""
    from . import zoo

    if args.spec not in zoo.MODELS or not (args.input_shape or args.inputs):
        return None
    _, own = zoo.build(args.spec)
    shown = ", ".join(f"{str(x.dtype).replace('torch.', '')}{list(x.shape)}" for x in own)
    return f"{args.spec} takes {shown}: leave out --input-shape and --inputs to use its own example inputs"


def cmd_inspect(args) -> int:
    import json

    from .inspection import format_inspection, inspect

    info = inspect(args.program)
    print(json.dumps(info, indent=2) if args.json else format_inspection(info))
    return 0


def cmd_demo(args) -> int:
    """Export the tutorial's model, run it with et-run, compare with eager PyTorch."""
    _quiet_export_libraries("demo")
    if args.workdir:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        return _demo(args, workdir)
    # Without --workdir nothing is left behind: a fresh folder, removed at the end.
    with tempfile.TemporaryDirectory(prefix="etkit-demo-") as tmp:
        return _demo(args, Path(tmp))


def _demo(args, workdir: Path) -> int:
    import numpy as np
    import torch

    from . import zoo
    from .exporter import export
    from .tools import et_run_path

    model, _ = zoo.build("tiny-classifier")
    pte = workdir / "tiny_classifier.pte"
    print(f"1. export tiny-classifier to {pte} ({args.backend})")
    report = export(model, (torch.randn(1, 20),), pte, backend=args.backend)
    print("\n".join("   " + line for line in report.summary().splitlines()))

    x = np.random.default_rng(args.seed).standard_normal((1, 20), dtype=np.float32)
    np.save(workdir / "x.npy", x)
    out_dir = workdir / "out"
    out_dir.mkdir(exist_ok=True)
    cmd = [et_run_path(), str(pte), "--input", str(workdir / "x.npy"), "--output-dir", str(out_dir)]
    print("2. run it natively: " + " ".join(cmd))
    done = subprocess.run(cmd, capture_output=True, text=True)
    print("\n".join("   " + line for line in done.stdout.splitlines()))
    if done.returncode != 0:
        raise EtkitError(f"et-run failed (exit {done.returncode}): {done.stderr.strip()}")
    native = np.load(out_dir / "output_0.npy")
    with torch.no_grad():
        eager = model(torch.from_numpy(x)).numpy()

    print("3. compare with eager PyTorch on the same input")
    print(f"   {'class':>5}  {'et-run':>12}  {'PyTorch':>12}  {'|diff|':>10}")
    for i, (a, b) in enumerate(zip(native.ravel(), eager.ravel())):
        print(f"   {i:>5}  {a:>12.6f}  {b:>12.6f}  {abs(a - b):>10.2e}")
    diff = float(np.max(np.abs(native - eager)))
    ok = diff <= args.tolerance
    print(f"   largest difference {diff:.3e} ({'within' if ok else 'ABOVE'} {args.tolerance:g})")
    return 0 if ok else 1


def cmd_bundle(args) -> int:
    """Cross-compile et-run and write a device bundle with the given programs."""
    from .bundle import bundle

    out = bundle(args.programs, args.output, target=args.target, source=args.source, select_ops=args.select_ops,
                 progress=lambda m: print(m, file=sys.stderr, flush=True))
    run = "sh run.sh" if "android" in args.target else "./run.sh"
    print(f"{out}: run ./et-run models/NAME.pte or {run} on the device (README.txt says how to copy it there)")
    return 0


def cmd_compare(args) -> int:
    """Export a model several ways and measure each beside other runtimes."""
    _quiet_export_libraries("compare")
    import contextlib
    import json

    from . import compare as cmp
    from . import spec as spec_mod

    model, example = spec_mod.resolve(args.spec, _example_inputs(args))
    name = Path(args.spec.split(":")[-1]).stem.replace(".", "_")
    outdir = Path(args.output or f"etkit-compare-{name}")
    if (args.runner or args.target) and not args.device:
        raise ArgumentError("--runner and --target go with --device URL")
    opened = contextlib.nullcontext()
    if args.device:
        from .device import Device

        opened = Device(args.device, runner=args.runner, target=args.target,
                        progress=lambda m: print(f"etkit: {m}", file=sys.stderr, flush=True))
    with opened as device:
        result = cmp.compare(model, example, name=name, workdir=outdir / "work", threads=args.threads,
                             variants=tuple(args.variants), min_seconds=args.min_seconds, iterations=args.iterations,
                             onnx=not args.no_onnx, litert=not args.no_litert, device=device,
                             progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(cmp.format_table(result))
    (outdir / "compare.json").write_text(json.dumps(result.to_dict(), indent=2))
    wrote = [str(outdir / "compare.json")]
    if cmp.plot(result, outdir / "compare.png"):
        wrote.append(str(outdir / "compare.png"))
    else:
        print("note: matplotlib is not installed, so no plot (pip install 'etkit[compare]')", file=sys.stderr)
    print("wrote " + ", ".join(wrote))
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _add_tune_flags(p: argparse.ArgumentParser) -> None:
    from .tuning import CANDIDATES, DEFAULT_MIN_COSINE

    g = p.add_argument_group(
        "tuning (--tune)",
        "Export every candidate (fp32, static int8, int8-dynamic where it quantizes anything), time each with "
        "et-run's loop (Runner.benchmark) on this machine or on --device, and write to -o the fastest whose "
        "outputs stay within the accuracy bounds against eager PyTorch, measured on the example inputs and up to "
        "16 --calibration samples. Prints the candidates' table, the chosen one marked with '*'.")
    g.add_argument("--tune", action="store_true", help="choose the variant by measurement (see above)")
    g.add_argument("--candidates", nargs="+", choices=list(CANDIDATES), help=f"the variants to try: {_choices(CANDIDATES)} (default: all)")
    g.add_argument("--max-error", type=_non_negative_float, metavar="E",
                   help="largest absolute error against eager PyTorch allowed (default: no bound; it depends on "
                        "the outputs' scale)")
    g.add_argument("--min-cosine", type=float, metavar="C",
                   help=f"lowest cosine similarity with eager PyTorch's outputs allowed (default {DEFAULT_MIN_COSINE}"
                        " when --max-error is not given; with both, both must hold)")
    g.add_argument("--threads", type=_positive_int, help="threads to time with (default: 1)")
    g.add_argument("--json", metavar="PATH", help="also write the candidates as JSON (default: no file)")
    g.add_argument("--device", metavar="URL",
                   help="time (and check the outputs) on this device: ssh://[user@]host[:port], adb, adb://SERIAL, "
                        "local; the runner is built for it as for etkit remote")


def version_text() -> str:
    """etkit's version, and torch's and executorch's when installed (read from their
    metadata, not imported: this works, and is quick, in the runtime-only install)."""
    from importlib import metadata

    from . import __version__

    parts = []
    for dist in ("torch", "executorch"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} not installed")
    text = f"etkit {__version__} ({', '.join(parts)})"
    from .extras import EXPORT_HINT, has_export

    return text if has_export() else f"{text}; runtime only: export needs {EXPORT_HINT}"


class _VersionAction(argparse.Action):
    """--version: prints version_text() as is (argparse's own action rewraps it to
    the terminal's width) and only when asked (it reads installed metadata)."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version_text())
        parser.exit()


def _choices(values) -> str:
    return ", ".join(str(v) for v in values)


def build_parser() -> argparse.ArgumentParser:
    from . import exporter as export_mod
    from . import spec as spec_mod
    from . import zoo

    parser = argparse.ArgumentParser(prog="etkit", description="Take PyTorch models to edge devices with ExecuTorch.")
    parser.add_argument("--version", action=_VersionAction,
                        help="print etkit's version (and torch's and executorch's) and exit")
    parser.add_argument("--verbose", action="store_true", help="show Python tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    quantize = [q for q in export_mod.QUANTIZE_MODES if q]
    p = sub.add_parser("export", help="export a model to a .pte program",
                       description="Export a PyTorch model to an ExecuTorch program (.pte), then load it in "
                                   "etkit's runtime, run it on the example inputs and compare with eager PyTorch.")
    p.add_argument("spec", help=f"built-in model ({', '.join(sorted(zoo.MODELS))}), path/to/file.py:Name or "
                                "package.module:Name (an nn.Module class or a factory function)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pte", help="the .pte to write")
    p.add_argument("--backend", choices=export_mod.BACKENDS, default="xnnpack",
                   help=f"{_choices(export_mod.BACKENDS)} (default: %(default)s): xnnpack delegates what XNNPACK "
                        "supports and runs the rest on portable kernels; portable runs everything on portable kernels")
    p.add_argument("--quantize", choices=quantize, default=None,
                   help=f"{_choices(quantize)} (default: none, float): int8 is static (calibrated on --calibration "
                        "or the example inputs), int8-dynamic quantizes weights and computes activation scales at run time")
    p.add_argument("--input-shape", action="append", metavar="SHAPE[:DTYPE[:LOW..HIGH]]",
                   help="a random example input, once per input, in order (default: the built-in model's or the "
                        f"factory's own). {spec_mod.INPUT_SHAPE_HELP}")
    p.add_argument("--inputs", metavar="FILE.npz",
                   help="example inputs from an .npz: one array per input, in order (np.savez(f, x, y)), each with "
                        "its own dtype and shape (default: --input-shape's, else the model's own)")
    p.add_argument("--calibration", metavar="FILE.npz",
                   help="samples for --quantize int8: one array per input, in order, each shaped [N, *input shape] "
                        "(default: the example inputs)")
    p.add_argument("--dynamic", action="append", metavar="[INPUT:]DIM=MIN..MAX",
                   help="a dynamic dimension: batch=1..8 (dim 0 of every input), 2=1..64, or 1:0=1..8 (input 1 only); "
                        "repeat as needed (default: every dimension static)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip loading the program in etkit's runtime and comparing it with eager PyTorch "
                        "(default: verify)")
    p.add_argument("--bundled-program", metavar="FILE.bpte",
                   help="also write a bundled program: the .pte plus the example inputs and eager outputs, "
                        "for et-run --verify (default: none)")
    _add_tune_flags(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("inspect", help="describe a .pte: methods, inputs, operators, delegates, sizes",
                       description="Describe a .pte or .bpte from the file alone (no torch needed).")
    p.add_argument("program", help="the .pte (or .bpte) to describe")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table (default: a table)")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("demo", help="export the tutorial model, run it with et-run and compare with PyTorch",
                       description="Export the tutorial's model, run it with et-run and compare with eager PyTorch.")
    p.add_argument("--workdir", metavar="DIR",
                   help="where to write the .pte, input and outputs, kept afterwards "
                        "(default: a temporary folder, removed at the end)")
    p.add_argument("--backend", choices=export_mod.BACKENDS, default="xnnpack",
                   help=f"{_choices(export_mod.BACKENDS)} (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random input (default: %(default)s)")
    p.add_argument("--tolerance", type=float, default=1e-5,
                   help="largest difference from PyTorch that passes (default: %(default)g)")
    p.set_defaults(func=cmd_demo)

    from .compare import VARIANTS

    p = sub.add_parser("compare", help="export a model several ways and benchmark each beside other runtimes",
                       description="Export a model several ways and benchmark each beside other runtimes.")
    p.add_argument("spec", help="built-in model, path/to/file.py:Name or package.module:Name")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="folder for compare.json, compare.png and the exported programs "
                        "(default: etkit-compare-NAME in the current folder)")
    p.add_argument("--threads", type=_positive_int, default=1, help="threads for every runtime (default: %(default)s)")
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                   help=f"{_choices(VARIANTS)} (default: all)")
    p.add_argument("--iterations", type=_positive_int, default=100,
                   help="at least this many timed runs each (default: %(default)s)")
    p.add_argument("--min-seconds", type=_non_negative_float, default=1.0,
                   help="at least this long timing each (default: %(default)s)")
    p.add_argument("--no-onnx", action="store_true", help="leave ONNX Runtime out (default: include it when installed)")
    p.add_argument("--no-litert", action="store_true",
                   help="leave LiteRT (litert-torch + ai-edge-litert) out (default: include it when installed)")
    p.add_argument("--input-shape", action="append", metavar="SHAPE[:DTYPE[:LOW..HIGH]]",
                   help=f"a random example input, once per input, in order. {spec_mod.INPUT_SHAPE_HELP}")
    p.add_argument("--inputs", metavar="FILE.npz", help="example inputs from an .npz: one array per input, in order")
    p.add_argument("--device", metavar="URL", help="time the et-run variants on this device (ssh://[user@]host[:port], "
                                                   "adb, adb://SERIAL, local), leaving the host-only runtimes out "
                                                   "(default: this machine)")
    p.add_argument("--target", help="with --device: the runner's target instead of the probed architecture")
    p.add_argument("--runner", metavar="DIR", help="with --device: a runner folder from scripts/cross-build.sh "
                                                   "(default: built for the target)")
    p.set_defaults(func=cmd_compare)

    from .bundle import TARGETS

    p = sub.add_parser("bundle", help="cross-compile et-run and bundle it with programs for a device",
                       description="Cross-compile et-run and write a device bundle with the given programs.")
    p.add_argument("programs", nargs="+", metavar="FILE.pte", help="programs to put in the bundle's models/")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="the bundle folder to write (replaced if it exists)")
    p.add_argument("--target", choices=list(TARGETS), default="aarch64-linux",
                   help=f"{_choices(TARGETS)} (default: %(default)s)")
    p.add_argument("--select-ops", action="store_true",
                   help="static targets: an et-run holding only the operators these programs use (smaller; "
                        "default: all operators)")
    p.add_argument("--source", metavar="DIR", help="the etkit checkout to build from (default: found from the venv or cwd)")
    p.set_defaults(func=cmd_bundle)

    from .device.cli import add_parsers as add_device_parsers

    add_device_parsers(sub)  # remote, device probe
    return parser


def main(argv: list[str] | None = None) -> int:
    from .device.cli import split_argv

    parser = build_parser()
    argv, et_run_args = split_argv(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if et_run_args is not None:
        args.et_run_args = et_run_args
    try:
        return args.func(args)
    except EtkitError as e:
        if args.verbose:
            traceback.print_exc()
        print(f"etkit: error: {e}", file=sys.stderr)
        if isinstance(e, DeviceError):
            return 3
        if isinstance(e, ArgumentError):
            return getattr(args, "argument_error_exit", 1)
        return 1
    except KeyboardInterrupt:
        print("etkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
