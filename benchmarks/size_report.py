"""Writes benchmarks/SIZE.md (and results/sizes.json, results/sizes.png): the
stripped size of each device runner and what its bytes are.

    .venv/bin/python benchmarks/size_report.py

Builds, with scripts/cross-build.sh: the ARM64 glibc bundle, the static ARM64
and ARMv7 runners, and a selective ARM64 runner per zoo model and backend.
The first static build compiles ExecuTorch from source (cached in
~/.cache/etkit); after that each runner links in under a minute. Progress goes
to stderr.

The breakdown reads the linker's map of each static link (et-run.map beside
the binary in build/): every input section that takes bytes in the file,
summed by the archive it came from, grouped into XNNPACK, kernels, runtime,
etkit, libc and the C++ library.
"""

from __future__ import annotations

import datetime
import json
import platform
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
ZOO = ("tiny-classifier", "mobile-cnn", "tiny-transformer")
BACKENDS = ("xnnpack", "portable")

# Archive (or object) name -> the part of the runner it is.
GROUPS = [
    ("XNNPACK and KleidiAI", r"libXNNPACK\.a|libxnnpack-microkernels-prod\.a|libkleidiai\.a"),
    ("XNNPACK delegate glue", r"libxnnpack_backend\.a"),
    ("thread pool, cpuinfo", r"libpthreadpool\.a|libcpuinfo\.a|libextension_threadpool\.a"),
    ("kernels", r"lib(optimized|portable|quantized|optimized_portable)_kernels\.a|libcpublas\.a|libeigen_blas\.a"
                r"|libkernels_util_all_deps\.a|lib\w*ops_lib\.a|libetkit_selected_kernels\.a"),
    ("ExecuTorch runtime, ETDump", r"libexecutorch(_core)?\.a|libextension_\w+\.a|libetdump\.a|libflatccrt\.a"
                                   r"|libbundled_program\.a"),
    ("etkit (et-run, verifier, core)", r"libetkit_\w+\.a|et_run\.cpp\.o"),
    ("libstdc++", r"libstdc\+\+\.a|libsupc\+\+\.a"),
    ("libc, libm", r"lib(c|m|pthread|dl|rt|mvec)\.a|crt\w*\.o"),
    ("libgcc", r"libgcc(_eh)?\.a"),
]
# Input sections that take no bytes in the file, or that strip removes.
NO_FILE_BYTES = re.compile(r"^\.(t?bss|debug|comment|note|gnu\.warning|stab)|^COMMON$")


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def group_of(source: str) -> str:
    name = Path(source.split("(")[0]).name
    for group, pattern in GROUPS:
        if re.fullmatch(pattern, name):
            return group
    return "other"


def breakdown(map_file: Path) -> dict[str, int]:
    """Bytes per group from a GNU ld map: the input sections after 'Linker
    script and memory map' (the ones before it were discarded)."""
    text = map_file.read_text(errors="replace")
    text = text[text.index("Linker script and memory map"):]
    sizes: dict[str, int] = {}
    pending = None  # a section name whose address, size and file are on the next line
    for line in text.splitlines():
        m = re.match(r"^ (\S+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if m:
            section, size, source = m.groups()
        elif pending and (m := re.match(r"^\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$", line)):
            section, (size, source) = pending, m.groups()
        else:
            pending = line.strip() if re.match(r"^ \S+$", line) else None
            continue
        pending = None
        if NO_FILE_BYTES.match(section) or section.startswith("*"):
            continue
        group = group_of(source)
        sizes[group] = sizes.get(group, 0) + int(size, 16)
    return sizes


def cross_build(target: str, out: Path, models: list[Path] = ()) -> Path:
    args = ["bash", str(ROOT / "scripts" / "cross-build.sh"), target, str(out)]
    if models:
        args += ["--models", *map(str, models)]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"size_report: {' '.join(args[1:])} failed:\n{done.stderr[-2000:]}")
    return out


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.suffix not in (".txt", ".json")
               and p.parent.name != "licenses")


def export_zoo(folder: Path) -> dict[tuple[str, str], Path]:
    import logging
    import os

    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
    import etkit
    from etkit import zoo

    for name in ("torch", "torchao", "executorch", "root"):
        logging.getLogger(name).setLevel(logging.ERROR)

    programs = {}
    for name in ZOO:
        model, example = zoo.build(name)
        for backend in BACKENDS:
            path = folder / f"{name}_{backend}.pte"
            say(f"  exporting {name} ({backend})")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                etkit.export(model, example, path, backend=backend, verify=False)
            programs[(name, backend)] = path
    return programs


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        say("size_report: the ARM64 glibc bundle")
        bundle = cross_build("aarch64", tmp / "bundle")
        rows.append({"runner": "ARM64 glibc bundle (lib/ + bin/et-run)", "target": "aarch64",
                     "bytes": tree_bytes(bundle), "parts": None})
        for target, label in (("aarch64-static", "static ARM64, every operator"),
                              ("armv7-static", "static ARMv7, every operator")):
            say(f"size_report: {label}")
            out = cross_build(target, tmp / target)
            rows.append({"runner": label, "target": target, "bytes": (out / "et-run").stat().st_size,
                         "parts": breakdown(ROOT / "build" / target / "cpp" / "tools" / "et-run.map")})
        say("size_report: exporting the zoo")
        programs = export_zoo(tmp)
        for (name, backend), path in programs.items():
            say(f"size_report: selective ARM64 for {name} ({backend})")
            out = cross_build("aarch64-static", tmp / f"sel-{name}-{backend}", [path])
            selected = ROOT / "build" / "aarch64-static-selected"
            ops = (selected / "etkit_selected_kernels" / "selected_operators.yaml").read_text()
            ops = ops[ops.index("\noperators:"):]  # the operators themselves, not their dtype metadata
            rows.append({"runner": f"selective ARM64: {name}, {backend}", "target": "aarch64-static --models",
                         "operators": len(re.findall(r"^  \S+::\S+:", ops, re.M)),
                         "bytes": (out / "et-run").stat().st_size,
                         "parts": breakdown(selected / "cpp" / "tools" / "et-run.map")})

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sizes.json").write_text(json.dumps(rows, indent=2) + "\n")
    plot(rows, RESULTS / "sizes.png")
    (ROOT / "benchmarks" / "SIZE.md").write_text(report(rows))
    say("size_report: wrote benchmarks/SIZE.md, results/sizes.json, results/sizes.png")
    return 0


def mb(n: int) -> str:
    return f"{n / 1e6:.2f}"


def report(rows: list[dict]) -> str:
    groups = [g for g, _ in GROUPS] + ["other"]
    used = [g for g in groups if any(r["parts"] and r["parts"].get(g) for r in rows)]
    lines = [
        "# Device runner sizes",
        "",
        f"Made by `benchmarks/size_report.py` on {datetime.date.today()} ({platform.machine()} host, "
        "Debian's gcc 12 cross compilers, ExecuTorch cff6f4dd built from source, executorch 1.5.1 wheel for the "
        "bundle). Sizes are of the stripped files a device receives, in MB (10^6 bytes).",
        "",
        "Flags: `-ffunction-sections -fdata-sections` and `-Wl,--gc-sections` (the linker drops code nothing "
        "reaches: what a selective build leaves out above all), `--strip` at install. Kernels and XNNPACK keep "
        "`-O3`/`-O2`: `-Os` there would cost speed, and ExecuTorch's `EXECUTORCH_OPTIMIZE_SIZE` breaks its "
        "optimized FFT kernels.",
        "",
        "| runner | operators | MB | " + " | ".join(used) + " |",
        "|---|---:|---:|" + "---:|" * len(used),
    ]
    for r in rows:
        parts = r["parts"] or {}
        total = sum(parts.values()) or 1
        cells = [f"{mb(parts.get(g, 0))} ({100 * parts.get(g, 0) / total:.0f}%)" if parts else "" for g in used]
        ops = str(r.get("operators", "all"))
        lines.append(f"| {r['runner']} | {ops} | {mb(r['bytes'])} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The parts are the bytes each archive puts in the file, from the link map (before stripping: they add up "
        "to a little more than the file). The bundle needs its loader and shared libraries beside it "
        "(glibc, libstdc++, the ExecuTorch libraries); a static runner is one file that runs on any ARM64 Linux "
        "and, from `adb shell`, on Android.",
        "",
        "![sizes](results/sizes.png)",
        "",
        "Reading it: a selective runner is a third of the full one; past the kernels, its floor is "
        "XNNPACK (about 1 MB, linked whole since the delegate registers itself: a portable-only program "
        "could do without it, which etkit does not offer yet), libc and libstdc++ (a static link carries "
        "them) and etkit's own half megabyte (the verifier, the .npy reader, CLI11's flag parsing, the "
        "benchmark and profiler). Fully delegated programs need no kernel at all.",
        "",
    ]
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [g for g, _ in GROUPS] + ["other"]
    shown = [r for r in rows if r["parts"]]
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(shown) + 1.5))
    left = [0.0] * len(shown)
    for g in groups:
        widths = [r["parts"].get(g, 0) / 1e6 for r in shown]
        if any(widths):
            ax.barh([r["runner"] for r in shown], widths, left=left, label=g)
            left = [a + b for a, b in zip(left, widths)]
    ax.invert_yaxis()
    ax.set_xlabel("MB in the file (link map)")
    ax.set_title("What the bytes of each static et-run are")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
