"""Mutation fuzzing of .pte files, shared by tests/test_fuzz.py (a few hundred
mutants) and benchmarks/fuzz_pte.py (ten thousand).

Each mutant of a real program goes to et-run and to etkit.Runner. Allowed:
a run that succeeds, or a refusal (et-run exit 1 with a message, an etkit
exception). Anything else is a finding: a signal, a hang, another exit code,
a non-etkit exception, or a Python interpreter that died. The Runner side runs
in a child interpreter so that a crash shows up as a finding instead of
killing the caller.
"""

from __future__ import annotations

import json
import random
import struct
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# ---- mutations ----------------------------------------------------------------

# Values that make offsets and sizes point far away, wrap or go negative.
_HUGE32 = (0xFFFFFFFF, 0xFFFFFFF0, 0x7FFFFFFF, 0x80000000, 0x0FFFFFFF, 0x00010000)
_HUGE64 = (2**64 - 1, 2**63, 2**62, 2**40, 2**32, 2**31)


def _program_size(data: bytes) -> int:
    """Bytes of the flatbuffer: from the extended header, else the whole file."""
    if len(data) >= 32 and data[8:12] == b"eh00":
        size = struct.unpack_from("<Q", data, 16)[0]
        if 0 < size <= len(data):
            return size
    return len(data)


def _bit_flips(data: bytearray, rng: random.Random) -> str:
    n = rng.choice((1, 1, 2, 4, 8))
    for _ in range(n):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return f"flip {n} bit(s)"


def _truncate(data: bytearray, rng: random.Random) -> str:
    keep = rng.randrange(len(data))
    del data[keep:]
    return f"truncate to {keep}"


def _overwrite(data: bytearray, rng: random.Random) -> str:
    start = rng.randrange(len(data))
    n = min(rng.choice((1, 4, 16, 64, 256)), len(data) - start)
    fill = rng.choice(("zeros", "ones", "random"))
    if fill == "zeros":
        data[start : start + n] = bytes(n)
    elif fill == "ones":
        data[start : start + n] = b"\xff" * n
    else:
        data[start : start + n] = rng.randbytes(n)
    return f"overwrite {n} bytes at {start} with {fill}"


def _huge_offset(data: bytearray, rng: random.Random) -> str:
    """A huge value in a 4-byte slot of the flatbuffer, where offsets, lengths
    and indices live."""
    if len(data) < 4:  # cut short by an earlier mutation
        return _bit_flips(data, rng)
    end = min(max(4, _program_size(data) - 4), len(data) - 3)
    at = rng.randrange(0, end, 4)
    value = rng.choice(_HUGE32 + (len(data), len(data) - 4, rng.randrange(2**32)))
    struct.pack_into("<I", data, at, value & 0xFFFFFFFF)
    return f"u32 {value:#x} at {at}"


def _header_field(data: bytearray, rng: random.Random) -> str:
    """program_size, segment_base_offset or segment_data_size of the extended header."""
    if len(data) < 40:
        return _bit_flips(data, rng)
    at = rng.choice((16, 24, 32))
    value = rng.choice(_HUGE64 + (0, len(data), len(data) + 1, rng.randrange(len(data))))
    struct.pack_into("<Q", data, at, value)
    return f"header u64 {value:#x} at {at}"


def _segment_tail(data: bytearray, rng: random.Random) -> str:
    """Damage inside the segment data (constants, delegate blobs), past the flatbuffer."""
    start = _program_size(data)
    if start >= len(data):
        return _overwrite(data, rng)
    at = rng.randrange(start, len(data))
    if rng.random() < 0.5:
        del data[at:]
        return f"truncate segment data at {at}"
    n = min(64, len(data) - at)
    data[at : at + n] = rng.randbytes(n)
    return f"overwrite {n} segment bytes at {at}"


MUTATORS = (_bit_flips, _truncate, _overwrite, _huge_offset, _huge_offset, _header_field, _segment_tail)


def mutate(seed_bytes: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One to three mutations of a program; returns the bytes and what was done."""
    data = bytearray(seed_bytes)
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if not data:
            break
        done.append(rng.choice(MUTATORS)(data, rng))
    return bytes(data), "; ".join(done)


# ---- running the tools ------------------------------------------------------------


@dataclass
class Report:
    mutants: int = 0
    # ("et-run" | "Runner", "ran" | "refused" | "failed check left"): the last
    # counts refusals that were the runtime's own checks, left by etkit.
    outcomes: Counter = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def unsafe_text(data: bytes) -> str | None:
    """Why `data` is not safe to print (invalid UTF-8, a control character
    other than newline and tab), or None. Messages quote names from the file:
    a crafted one must not reach a terminal with escape sequences."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"invalid UTF-8 at byte {e.start}"
    for c in text:
        if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F:
            return f"control character {c!r}"
    return None


def _check_et_run(et_run: str, path: Path, what: str, timeout: float, report: Report) -> None:
    try:
        raw = subprocess.run([et_run, str(path)], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        report.findings.append(f"et-run hung (> {timeout} s) on {path.name}: {what}")
        return
    for stream in (raw.stdout, raw.stderr):
        if problem := unsafe_text(stream):
            report.findings.append(f"et-run printed {problem} on {path.name}: {what}; {stream[-200:]!r}")
    proc = subprocess.CompletedProcess(raw.args, raw.returncode, raw.stdout.decode(errors="replace"),
                                       raw.stderr.decode(errors="replace"))
    if proc.returncode == 0:
        report.outcomes["et-run", "ran"] += 1
    elif proc.returncode == 1 and "error:" in proc.stderr:
        report.outcomes["et-run", "refused"] += 1
        report.outcomes["et-run", "failed check left"] += "stopped on a failed check" in proc.stderr
    else:
        report.findings.append(
            f"et-run exited {proc.returncode} on {path.name}: {what}; stderr: {proc.stderr.strip()[-300:]}"
        )


# The child interpreter: runs each file named on stdin through etkit.Runner and
# prints one JSON line per file, after a "start" line, so that the parent knows
# which file was being run when a crash ended the child.
_RUNNER_CHILD = r"""
import json, sys
import numpy as np
import etkit
from etkit.errors import EtkitError

def inputs_for(runner):
    made = []
    for info in runner.inputs:
        dtype = info.dtype if isinstance(info.dtype, np.dtype) else np.dtype("uint16")
        made.append(np.zeros(info.shape, dtype=dtype))
    return made

for line in sys.stdin:
    path = line.strip()
    print(json.dumps({"start": path}), flush=True)
    try:
        runner = etkit.Runner(path, threads=1)
        runner.run(inputs_for(runner))
        outcome = {"path": path, "outcome": "ran"}
    except EtkitError as e:
        unsafe = any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in str(e))
        outcome = {"path": path, "outcome": "unsafe message" if unsafe else "refused" if str(e) else "empty message",
                   "failed check left": "stopped on a failed check" in str(e), "detail": repr(str(e))[:300]}
    except BaseException as e:
        outcome = {"path": path, "outcome": "non-etkit exception", "detail": f"{type(e).__name__}: {e}"[:300]}
    print(json.dumps(outcome), flush=True)
"""


# The same child with etkit.inspect (the core's describe_program, which reads
# an untrusted file too) in place of loading and running the program.
INSPECT_CHILD = _RUNNER_CHILD.replace(
    "        runner = etkit.Runner(path, threads=1)\n        runner.run(inputs_for(runner))\n",
    "        json.dumps(etkit.inspect(path))  # all of it, as `etkit inspect --json` prints it\n")
assert INSPECT_CHILD != _RUNNER_CHILD, "the Runner child changed: update INSPECT_CHILD"


def _check_runner(paths: dict[Path, str], timeout: float, report: Report, child_code: str = _RUNNER_CHILD) -> None:
    """Runs every path through Runner in child interpreters, restarting the
    child after a crash or a hang so that the remaining files are still run."""
    pending = list(paths)
    while pending:
        child = subprocess.Popen(
            [sys.executable, "-c", child_code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            out, err = child.communicate("\n".join(map(str, pending)) + "\n", timeout=timeout * len(pending))
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            hung = True
        else:
            hung = False
        started = None
        finished = set()
        for line in out.splitlines():
            msg = json.loads(line)
            if "start" in msg:
                started = Path(msg["start"])
                continue
            path = Path(msg["path"])
            finished.add(path)
            if msg["outcome"] in ("ran", "refused"):
                report.outcomes["Runner", msg["outcome"]] += 1
                report.outcomes["Runner", "failed check left"] += msg.get("failed check left", False)
            else:
                report.findings.append(f"Runner: {msg['outcome']} on {path.name}: {paths[path]}; {msg.get('detail', '')}")
        if child.returncode == 0 and not hung:
            return
        if started is None or started in finished:
            report.findings.append(f"Runner child failed before any file (exit {child.returncode}): {err[-300:]}")
            return
        how = "hung" if hung else f"died (exit {child.returncode})"
        report.findings.append(f"Runner: interpreter {how} on {started.name}: {paths[started]}; {err.strip()[-300:]}")
        pending = pending[pending.index(started) + 1 :]


def fuzz(
    seeds: list[Path],
    count: int,
    workdir: Path,
    et_run: str,
    *,
    rng_seed: int = 0,
    timeout: float = 30.0,
    batch: int = 500,
    keep: bool = False,
) -> Report:
    """Makes `count` mutants of the seed programs in `workdir` and runs each
    through et-run and Runner. Mutants are deleted after their batch unless
    `keep` or they caused a finding."""
    rng = random.Random(rng_seed)
    corpus = [(p.name, p.read_bytes()) for p in seeds]
    report = Report()
    start = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    for first in range(0, count, batch):
        paths: dict[Path, str] = {}
        for i in range(first, min(first + batch, count)):
            name, data = corpus[i % len(corpus)]
            mutant, what = mutate(data, rng)
            path = workdir / f"mutant_{i:05d}.pte"
            path.write_bytes(mutant)
            paths[path] = f"{name}, {what}"
        before = len(report.findings)
        for path, what in paths.items():
            _check_et_run(et_run, path, what, timeout, report)
        _check_runner(paths, timeout, report)
        report.mutants += len(paths)
        if not keep:
            blamed = "\n".join(report.findings[before:])
            for path in paths:
                if path.name not in blamed:
                    path.unlink()
    report.seconds = time.monotonic() - start
    return report
