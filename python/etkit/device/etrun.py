"""et-run's command line as the device layer sees it: which arguments name
files (to push, or to bring back), and what its exit status and error line mean.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ArgumentError, EtkitError, ExecutionError, InputError, MethodNotFoundError, ProgramError

# et-run's options that take a value (see cpp/tools/et_run.cpp); the others are flags.
VALUE_OPTIONS = {"--method", "--input", "--data", "--output-dir", "--seed", "--threads", "--warmup", "--iterations",
                 "--min-seconds", "--max-seconds", "--json", "--etdump", "--rtol", "--atol", "--error-format"}


@dataclass
class Plan:
    """et-run's arguments with host paths marked: files to push, results to bring back."""

    args: list[str]                                       # with placeholders: index -> what to put there
    program: int | None = None                            # index of the program argument
    inputs: list[int] = field(default_factory=list)       # indexes of --input files (not scalar values)
    data: list[int] = field(default_factory=list)         # indexes of --data files
    output_dir: int | None = None
    json: int | None = None                               # a --json file (not '-')
    etdump: int | None = None
    json_stdout: bool = False
    bench: bool = False


def _is_scalar(text: str) -> bool:
    """A value et-run takes for a scalar input: an int, a float, true or false."""
    if text in ("true", "false", "True", "False"):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def plan(args: list[str]) -> Plan:
    """Splits ``--opt=value``, finds the file arguments and checks the host side
    of each: pushed files exist, result folders exist (ArgumentError /
    ProgramError / InputError, as et-run would report them)."""
    out: list[str] = []
    for a in args:
        if a.startswith("--") and "=" in a and a.split("=", 1)[0] in VALUE_OPTIONS:
            out += a.split("=", 1)
        else:
            out.append(a)
    p = Plan(out)
    i = 0
    while i < len(out):
        a = out[i]
        if a in VALUE_OPTIONS and i + 1 < len(out):
            v = i + 1
            if a == "--input":
                if Path(out[v]).is_file() or not _is_scalar(out[v]):
                    p.inputs.append(v)  # a scalar input's value ("3", "true") stays as it is
            elif a == "--data":
                p.data.append(v)
            elif a == "--output-dir":
                p.output_dir = v
            elif a == "--json":
                if out[v] == "-":
                    p.json_stdout = True
                else:
                    p.json = v
            elif a == "--etdump":
                p.etdump = v
            i += 2
            continue
        if a == "--bench":
            p.bench = True
        elif not a.startswith("-") and p.program is None:
            p.program = i
        i += 1
    if p.program is not None and not Path(out[p.program]).is_file():
        raise ProgramError(f"{out[p.program]}: no such file on this machine")
    for v in p.inputs:
        if not Path(out[v]).is_file():
            raise InputError(f"--input {out[v]}: no such file on this machine")
    for v in p.data:
        if not Path(out[v]).is_file():
            raise ProgramError(f"--data {out[v]}: no such file on this machine")
    if p.output_dir is not None:  # made when missing, as et-run does
        try:
            Path(out[p.output_dir]).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ArgumentError(f"cannot make --output-dir {out[p.output_dir]}: {e.strerror}") from None
    for v in (p.json, p.etdump):
        if v is not None and not Path(out[v]).resolve().parent.is_dir():
            raise ArgumentError(f"{out[v - 1]}: the folder of {out[v]} does not exist")
    return p


# et-run --error-format json: {"error": <core error code name>, "message": ...}.
# The same mapping as the binding's (cpp/python/errors.cpp), so that a device
# raises what etkit.Runner raises for the same program and inputs.
_CLASSES = {
    "I/O error": ProgramError,
    "invalid program": ProgramError,
    "method not found": MethodNotFoundError,
    "invalid input": InputError,
    "execution failed": ExecutionError,
    "invalid argument": ArgumentError,
}


def error_for(returncode: int, stderr: str, device: str) -> EtkitError:
    """The exception for et-run's exit 1 or 2 (the one place that maps them)."""
    for line in reversed(stderr.strip().splitlines()):
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if isinstance(j, dict) and "error" in j:
            return _CLASSES.get(j["error"], ExecutionError)(f"{j.get('message', '')} (on {device})")
    text = " ".join(stderr.strip().split()) or f"et-run exited with {returncode}"
    if returncode == 2:
        return ArgumentError(f"{text} (on {device})")
    # No JSON line: a failed runtime check that ended the process (et-run prints it, exits 1).
    return ExecutionError(f"{text} (on {device})")
