"""Device bundles: a cross-compiled et-run with its libraries, programs and a run script.

:func:`bundle` runs the checkout's ``scripts/cross-build.sh`` (the one way
et-run is cross-compiled), then adds the given ``.pte`` programs under
``models/`` and ``run.sh``, which runs each of them with the bundled et-run.
The result is written beside the output folder and moved into place only when
complete, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from .errors import ArgumentError, BuildError, ProgramError

# --target of `etkit bundle` -> target of scripts/cross-build.sh. The static
# targets are one executable each (ExecuTorch built from source, selective
# builds possible); android-arm64 is the static ARM64 one, which Android runs.
TARGETS = {
    "aarch64-linux": "aarch64",
    "aarch64-static": "aarch64-static",
    "android-arm64": "android-arm64",
    "android-arm64-v8a": "android-arm64",
    "armv7-static": "armv7-static",
    "x86_64-linux": "x86_64",
}
STATIC_TARGETS = {"aarch64-static", "android-arm64", "armv7-static"}

_SCRIPT = Path("scripts") / "cross-build.sh"

# POSIX sh that Android's /system/bin/sh (mksh) runs too: no bashisms, no
# dirname (older toolboxes lack it). adb push may drop the executable bit.
_RUN_SH = """#!{shell}
# Runs every program in models/ once with the bundled et-run. Arguments go to
# each run, e.g.  ./run.sh --bench --threads 4   (Android: sh run.sh ...)
case $0 in */*) here=${{0%/*}} ;; *) here=. ;; esac
here=$(cd "$here" && pwd) || exit 1
[ -x "$here/et-run" ] || chmod 755 "$here/et-run" || exit 1
status=0
for program in "$here"/models/*.pte; do
  echo "== ${{program##*/}}"
  "$here/et-run" "$program" "$@" || status=$?
done
exit $status
"""


def source_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The etkit checkout whose scripts/cross-build.sh builds bundles.

    Looked for in: ``explicit``, ``$ETKIT_SOURCE_DIR``, the folder holding the
    running virtualenv (scripts/setup.sh makes ``.venv`` at the checkout's
    root), then the current folder and its parents.
    """
    if explicit is not None or os.environ.get("ETKIT_SOURCE_DIR"):
        given = Path(explicit if explicit is not None else os.environ["ETKIT_SOURCE_DIR"]).resolve()
        if not (given / _SCRIPT).is_file():
            raise ArgumentError(f"{given} is not an etkit checkout (no {_SCRIPT} in it)")
        return given
    cwd = Path.cwd().resolve()
    for candidate in (Path(sys.prefix).resolve().parent, cwd, *cwd.parents):
        if (candidate / _SCRIPT).is_file():
            return candidate
    raise ArgumentError(
        f"cannot find an etkit checkout with {_SCRIPT}: bundles are cross-compiled from the source; "
        "pass --source DIR or set ETKIT_SOURCE_DIR"
    )


def _check_programs(programs: Iterable[str | os.PathLike]) -> list[Path]:
    paths = [Path(p) for p in programs]
    if not paths:
        raise ArgumentError("give at least one .pte program to put in the bundle")
    names: dict[str, Path] = {}
    for p in paths:
        if not p.is_file():
            raise ProgramError(f"{p}: no such file")
        with open(p, "rb") as f:
            head = f.read(8)
        # The flatbuffer file identifier of an ExecuTorch program; the device's
        # et-run verifies the rest.
        if head[4:8] != b"ET12":
            raise ProgramError(f"{p}: not an ExecuTorch program (no 'ET12' identifier at byte 4)")
        if p.name in names:
            raise ArgumentError(f"two programs are named {p.name} ({names[p.name]} and {p}): bundle names must differ")
        names[p.name] = p
    return paths


def bundle(
    programs: Iterable[str | os.PathLike],
    output: str | os.PathLike,
    *,
    target: str = "aarch64-linux",
    source: str | os.PathLike | None = None,
    select_ops: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write a device bundle to ``output``: et-run for ``target``, its libraries,
    the ``programs`` under models/ and run.sh. Replaces an existing ``output``.
    With ``select_ops`` (static targets) et-run holds only the operators those
    programs use.

    Raises ArgumentError (unknown target, no checkout), ProgramError (a program
    is missing or not a .pte) or BuildError (the cross build failed).
    """
    if target not in TARGETS:
        raise ArgumentError(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    if select_ops and TARGETS[target] not in STATIC_TARGETS:
        raise ArgumentError(f"--select-ops needs a static target ({', '.join(sorted(STATIC_TARGETS))}), not {target}")
    paths = _check_programs(programs)
    root = source_dir(source)
    out = Path(output).resolve()
    if out == root or out in root.parents:
        raise ArgumentError(f"refusing to replace {out} with a bundle")
    if not out.parent.is_dir():
        raise ArgumentError(f"the folder that should hold {out} does not exist")

    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        staged = Path(tmp) / "bundle"
        if progress:
            progress(f"cross-building et-run for {target} (static targets build ExecuTorch from source "
                     "the first time: 10 to 20 minutes)")
        selection = ["--models", *map(str, paths)] if select_ops else []
        done = subprocess.run(
            ["bash", str(root / _SCRIPT), TARGETS[target], str(staged), *selection],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        if done.returncode != 0:
            tail = "\n".join(done.stdout.strip().splitlines()[-12:])
            raise BuildError(f"scripts/cross-build.sh {TARGETS[target]} failed (exit {done.returncode}):\n{tail}")
        models = staged / "models"
        models.mkdir()
        for p in paths:
            shutil.copyfile(p, models / p.name)
        run_sh = staged / "run.sh"
        android = TARGETS[target] == "android-arm64"
        run_sh.write_text(_RUN_SH.format(shell="/system/bin/sh" if android else "/bin/sh"))
        run_sh.chmod(0o755)
        if out.exists():
            # Move the old one aside inside tmp: it goes when tmp does.
            out.rename(Path(tmp) / "old")
        staged.rename(out)
    if progress:
        progress(f"wrote {out}")
    return out
