"""etkit.inspect: what a .pte holds, read from the file alone.

The C++ core reads the program with its own flatbuffer readers
(cpp/core/src/describe.cpp), so inspecting needs neither torch nor
executorch's Python package: it works where only the runtime is installed.
Nothing is loaded into a runtime.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import _core
from .errors import ProgramError


def inspect(path: str | os.PathLike) -> dict:
    """Describes a .pte: its methods (inputs and outputs with dtype, shape and
    dynamism; for a dynamic tensor ``shape`` is the upper bound), the operators
    each calls with counts, its delegates with the share of the method's
    operators each took, its planned memory, and a size breakdown of the file.
    Of a .bpte: the program inside, and under ``bundled`` its test cases per method.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ProgramError(f"cannot read {path}: {e.strerror or e}") from None
    if data[4:8] == b"BP08":
        describe = getattr(_core, "describe_bundled", None)
        if describe is None:  # a core built from an SDK without the bundled-program schema
            raise ProgramError(f"{path} is a bundled program (.bpte), which this build of etkit cannot read")
    else:
        describe = _core.describe_program
    try:
        info = describe(data)
    except ProgramError as e:
        raise ProgramError(f"{path}: {e}") from None
    return {"path": str(path), **info}


def _fmt_shape(t: dict) -> str:
    if "dtype" not in t:
        return t.get("kind", "?")
    bound = "<=" if t["dynamism"] != "static" else ""
    return f"{t['dtype']}{bound}[{', '.join(map(str, t['shape']))}]"


def format_inspection(info: dict) -> str:
    """A readable report of inspect()'s dict."""
    sizes = info["sizes"]
    lines = [f"{info['path']}  ({sizes['file']:,} bytes)", "", "size"]
    if "bundled" in info:
        cases = ", ".join(f"{n} for {m}" for m, n in info["bundled"]["test_cases"].items())
        lines[0] = (f"{info['path']}  (bundled program, {info['bundled']['file_bytes']:,} bytes: test cases {cases}; "
                    f"the program inside is {sizes['file']:,} bytes)")
    for key, label in [("program", "program flatbuffer"), ("constants", "constant segment"),
                       ("delegates", "delegate blobs"), ("named_data", "named data (delegate weights)"),
                       ("mutable_data", "mutable data"), ("other", "other segments"), ("padding", "headers, padding")]:
        if sizes[key] or key in ("program", "constants", "delegates"):
            share = sizes[key] / sizes["file"] if sizes["file"] else 0
            lines.append(f"  {label:<30} {sizes[key]:>12,}  {share:6.1%}")
    for m in info["methods"]:
        lines += ["", f"method {m['name']}  (planned memory {m['planned_memory_bytes']:,} bytes)"]
        for kind in ("inputs", "outputs"):
            for i, t in enumerate(m[kind]):
                dyn = f"  ({t['dynamism']})" if t.get("dynamism", "static") != "static" else ""
                lines.append(f"  {kind[:-1]:<6} {i}  {_fmt_shape(t)}{dyn}")
        for d in m["delegates"]:
            # The words of etkit export's summary: XNNPACK nodes are what XNNPACK runs, after
            # fusing the graph's ATen operators; the share counts them against everything the
            # method runs (XNNPACK nodes plus kernel calls outside delegates).
            unit = "XNNPACK node(s)" if d["backend"] == "XnnpackBackend" else "node(s)"
            nodes = f", {d['nodes']} {unit}" if d["nodes"] is not None else ""
            share = "" if d["share"] is None else (
                f", {d['share']:.0%} of what the method runs (XNNPACK nodes and kernel calls outside delegates)")
            lines.append(f"  delegate {d['backend']}: {d['calls']} call(s){nodes}, {d['bytes']:,} bytes{share}")
        if m["operators"]:
            lines.append(f"  operators outside delegates ({m['kernel_calls']} call(s)):")
            lines += [f"    {count:>5}  {name}" for name, count in m["operators"].items()]
        else:
            lines.append("  no operators outside delegates")
    return "\n".join(lines)
