"""Several devices at once: the same et-run arguments on each, in parallel,
one table and one JSON list. A device that fails is a row with its error;
the others go on."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import ArgumentError, DeviceError, EtkitError
from ..timing import duration
from . import etrun
from .device import Device, RemoteRun

EXIT_DEVICE = 3  # the device itself failed; et-run's own codes are 0, 1 and 2


@dataclass
class Outcome:
    url: str
    returncode: int
    run: RemoteRun | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        if self.run is not None and self.returncode == 0:
            return {"url": self.url, "status": "ok", **(self.run.record or {})}
        return {"url": self.url, "status": "error", "exit_code": self.returncode,
                "error": self.error or (self.run.stderr.strip() if self.run else "")}


def read_devices_file(path: str) -> list[str]:
    """One URL a line; blank lines and # comments are skipped."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as e:
        raise ArgumentError(f"--devices {path}: {e.strerror}") from None
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def slug(url: str) -> str:
    """A file-name-safe name of a device: ssh://pi@board:22 -> ssh-pi-board-22."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", url).strip("-") or "device"


def run_one(url: str, args: list[str], *, runner=None, target=None, progress=None) -> Outcome:
    try:
        with Device(url, runner=runner, target=target, progress=progress) as device:
            done = device.run_et(args)
        return Outcome(url, done.returncode, done, None if done.returncode == 0 else done.stderr.strip())
    except DeviceError as e:
        return Outcome(url, EXIT_DEVICE, error=str(e))
    except ArgumentError as e:
        return Outcome(url, 2, error=str(e))
    except EtkitError as e:
        return Outcome(url, 1, error=str(e))


def run_many(urls: list[str], args: list[str], *, runner=None, target=None,
             progress: Callable[[str], None] | None = None) -> list[Outcome]:
    """The same et-run arguments on every device, in parallel. Per-device
    results: --output-dir DIR/<device>/, --etdump PATH.<device>; --json is
    collected into the list (Outcome.as_dict) by the caller."""
    plan = etrun.plan(args)  # host-side checks once, before any device is touched
    per_device = []
    for url in urls:
        a = list(plan.args)
        if plan.output_dir is not None:
            out = Path(a[plan.output_dir]) / slug(url)
            out.mkdir(exist_ok=True)
            a[plan.output_dir] = str(out)
        if plan.etdump is not None:
            a[plan.etdump] = f"{a[plan.etdump]}.{slug(url)}"
        if plan.json is not None:
            a[plan.json] = "-"  # the record comes back in the RemoteRun; the caller writes the list
        elif plan.bench and not plan.json_stdout:
            a += ["--json", "-"]  # the table needs the record
        per_device.append(a)
    with ThreadPoolExecutor(max_workers=min(16, len(urls))) as pool:
        futures = [pool.submit(run_one, url, a, runner=runner, target=target, progress=progress)
                   for url, a in zip(urls, per_device)]
        return [f.result() for f in futures]


def table(outcomes: list[Outcome]) -> str:
    def num(v, fmt=".3f"):
        return "-" if v is None else format(v, fmt)

    rows = []
    for o in outcomes:
        r = o.run.record if o.run and o.run.record else {}
        lat = r.get("latency_ms", {})
        load = r["load_ms"] + r["method_load_ms"] if "load_ms" in r else None
        rss = r["peak_rss_bytes"] / 2**20 if "peak_rss_bytes" in r else None
        status = "ok" if o.returncode == 0 else f"exit {o.returncode}: {' '.join((o.error or '').split())}"
        if o.returncode == 0 and r.get("runner", {}).get("emulated"):
            status = "ok (emulated: timings say nothing about the device)"
        rows.append((o.url, duration(lat.get("p50")), duration(lat.get("p90")), duration(load), num(rss, ".1f"), status))
    head = ("device", "p50", "p90", "load", "peak RSS MiB", "status")
    width = [max(len(str(x[i])) for x in [head, *rows]) for i in range(5)]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(width)) + "  {}"
    lines = [fmt.format(*head)]
    lines.append("-" * len(lines[0]))
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(lines)


def json_list(outcomes: list[Outcome]) -> str:
    return json.dumps([o.as_dict() for o in outcomes], indent=2)
