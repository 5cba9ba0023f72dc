"""etkit.Device: et-run on a board or phone as if it were on the host.

Written against the four verbs of :class:`~.transport.Transport` only. On the
device everything lives in one cache folder, addressed by content:

    CACHE/runners/<sha256 of the runner folder>/et-run ...
    CACHE/files/<sha256 of the file>/<its name>          programs, inputs
    CACHE/runs/<random id>/                             one run's outputs, removed after

so a file already there is never pushed again, and a half-pushed one (renamed
into place only when complete) is never mistaken for a whole one.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import BuildError, DeviceError
from . import etrun, probe as probe_mod
from .runners import QEMU, RunnerBundle, file_sha256, host_runner, load_runner, resolve_target, target_for
from .transport import Transport, device_error, env_cache, open_transport

_ARCH_NAMES = {"arm64": "aarch64", "armv8l": "armv7l", "armv7": "armv7l", "amd64": "x86_64"}


def _shell_word(path: str) -> str:
    """A cache folder as given -> a shell word; a leading ~/ stays the device's home."""
    if path == "~" or path.startswith("~/"):
        return '"$HOME"' + (shlex.quote(path[1:]) if len(path) > 1 else "")
    return shlex.quote(path)


@dataclass
class Transfer:
    """Bytes pushed by one run, by kind, and the seconds spent checking and pushing."""

    by_kind: dict = field(default_factory=lambda: {"runner": 0, "program": 0, "data": 0, "inputs": 0})
    files: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"bytes_pushed": sum(self.by_kind.values()), "seconds": round(self.seconds, 4),
                "files_pushed": self.files, "by_kind": dict(self.by_kind)}


@dataclass
class RemoteRun:
    """One et-run on a device: its exit status and output (remote paths turned
    back into the host's), and for a benchmark its JSON record with device,
    runner, program_sha256, etkit_version and transfer added."""

    device: str
    returncode: int
    stdout: str
    stderr: str
    record: dict | None
    transfer: dict


class Device:
    """A device reached by URL: ``ssh://[user@]host[:port]``, ``adb``, ``adb://SERIAL`` or ``local``.

    ``runner`` is a runner folder (scripts/cross-build.sh TARGET DIR) to use
    instead of one built from the checkout; ``target`` overrides the probed
    architecture; ``cache`` the device's cache folder (also ``?cache=DIR`` in
    the URL or $ETKIT_DEVICE_CACHE). Calls on one Device are serialised.
    """

    def __init__(self, url: str, *, runner: str | os.PathLike | None = None, target: str | None = None,
                 cache: str | None = None, progress: Callable[[str], None] | None = None,
                 transport: Transport | None = None) -> None:
        if transport is None:
            transport, url_cache = open_transport(url)
        else:
            url_cache = None
        self.url = url
        self._transport = transport
        given_cache = cache or url_cache or env_cache()
        self._cache_word = _shell_word(given_cache) if given_cache else transport.default_cache
        self._target = resolve_target(target) if target else None
        self._runner_dir = runner
        self._progress = progress
        self._probe: dict | None = None
        self._bundle: RunnerBundle | None = None
        self._command: list[str] | None = None  # how to start et-run on the device
        self._emulated = False
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Device({self.url!r})"

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    # --- what the device is ----------------------------------------------

    def probe(self, refresh: bool = False) -> dict:
        """Architecture, OS and kernel, CPU model, cores and per-core maximum
        frequency, memory, governor, thermal zones and (Android) getprop's
        model and SDK level."""
        with self._lock:
            if self._probe is None or refresh:
                done = self._transport.exec(probe_mod.script(self._cache_word), timeout=120)
                info = {"url": self.url, **probe_mod.parse(done.stdout.decode(errors="replace"))}
                if not info["arch"]:
                    raise device_error(self.url, "the device's shell did not answer the probe",
                                       done.stderr.decode(errors="replace"))
                self._probe = info
            return dict(self._probe)

    def _cache(self) -> str:
        info = self.probe()
        if not info["cache"]["path"]:
            raise device_error(self.url, f"cannot create the cache folder {self._cache_word} on the device",
                               info["cache"]["error"])
        return info["cache"]["path"]

    # --- the runner ----------------------------------------------------------

    def _runner_command(self) -> list[str]:
        """How to start et-run on the device (its last word is the runner's path there)."""
        if self._command is None:
            self._command = self._choose_runner()
        return self._command

    def _choose_runner(self) -> list[str]:
        info = self.probe()
        arch = _ARCH_NAMES.get(info["arch"], info["arch"])
        if self._runner_dir is not None:
            bundle = load_runner(self._runner_dir, self._target)
        else:
            target = self._target or target_for(info)
            if target is None:
                raise device_error(self.url, "unsupported architecture",
                                   f"no et-run target for {info['arch']}{' (Android)' if info['android'] else ''}")
            try:
                bundle = host_runner(target, self._progress)
            except BuildError as e:
                raise device_error(self.url, f"unsupported architecture: no et-run for {target} could be built",
                                   str(e)) from None
        prefix: list[str] = []
        if bundle.arch != arch:
            qemu = QEMU.get(bundle.arch)
            if qemu not in info["qemu"]:
                raise device_error(self.url, "unsupported architecture",
                                   f"the device is {arch}, the runner is for {bundle.arch}, "
                                   f"and the device has no {qemu or 'emulator for it'}")
            self._emulated = True
            # A bundle's launcher starts qemu itself (it must pass its own loader); a static binary needs the prefix.
            if bundle.linkage == "static":
                prefix = [qemu]
        self._bundle = bundle
        # The launcher of a bundle is a POSIX sh script: start it with sh, as
        # Android has no /bin/sh for its #! line.
        return prefix + (["sh"] if bundle.linkage == "bundle" else []) + [f"{self._cache()}/runners/{bundle.sha256}/et-run"]

    def _push_runner(self, bundle: RunnerBundle, remote: str, transfer: Transfer) -> None:
        if self._progress:
            self._progress(f"{self.url}: pushing et-run for {bundle.target} ({bundle.size / 2**20:.1f} MiB, once)")
        stage = f"{remote}.partial-{uuid.uuid4().hex[:8]}"
        dirs = sorted({os.path.dirname(f"{stage}/{rel}") for rel, _, _ in bundle.files})
        self._check(self._exec("mkdir -p " + " ".join(map(shlex.quote, dirs))), "make the runner's folders")
        try:
            for rel, path, _ in bundle.files:
                self._put(path, f"{stage}/{rel}", "runner", transfer)
            executables = [f"{stage}/{rel}" for rel, _, x in bundle.files if x]
            # Another process may have finished the same runner meanwhile: keep either, they are identical.
            self._check(self._exec(
                (f"chmod 755 {' '.join(map(shlex.quote, executables))} && " if executables else "")
                + f"{{ mv {shlex.quote(stage)} {shlex.quote(remote)} 2>/dev/null || [ -e {shlex.quote(remote)}/et-run ]; }}"),
                "put the runner in place")
        finally:
            self._exec_quietly(f"rm -rf {shlex.quote(stage)}")

    # --- files ---------------------------------------------------------------

    def _exec(self, command: str):
        return self._transport.exec(command)

    def _exec_quietly(self, command: str) -> None:
        try:
            self._transport.exec(command, timeout=60)
        except DeviceError:
            pass

    def _check(self, done, what: str) -> None:
        if done.returncode != 0:
            text = (done.stderr + done.stdout).decode(errors="replace")
            cause = "no space left on the device" if "No space left" in text else f"cannot {what} on the device"
            raise device_error(self.url, cause, text)

    def _present(self, paths: list[str]) -> set[str]:
        quoted = " ".join(map(shlex.quote, paths))
        done = self._exec(f'for p in {quoted}; do [ -e "$p" ] && echo "$p"; done; true')
        return set(done.stdout.decode(errors="replace").splitlines())

    def _put(self, local: Path, remote: str, kind: str, transfer: Transfer) -> None:
        start = time.perf_counter()
        try:
            self._transport.put_file(local, remote)
        except DeviceError as e:
            raise self._explain_push_failure(e, local) from None
        transfer.seconds += time.perf_counter() - start
        transfer.by_kind[kind] += local.stat().st_size
        transfer.files += 1

    def _explain_push_failure(self, error: DeviceError, local: Path) -> DeviceError:
        """scp over SFTP reports a full disk as a bare 'Failure': ask the device how much room is left."""
        if error.cause and ("no space" in error.cause or error.cause.startswith(("unreachable", "connection"))):
            return error
        try:
            done = self._transport.exec(f"df -kP {shlex.quote(self._cache())} | tail -n 1", timeout=60)
            free = int(done.stdout.split()[3]) * 1024
        except (DeviceError, ValueError, IndexError):
            return error
        if free < local.stat().st_size + (1 << 16):
            return device_error(self.url, "no space left on the device",
                                f"{free} bytes free in {self._cache()}, {local.name} needs {local.stat().st_size}")
        return error

    def push_files(self, files: list[tuple[Path, str]], transfer: Transfer) -> dict[Path, str]:
        """Host files (with their kind: program, inputs) -> their paths in the
        device's cache, pushing those not there yet, and the runner too when it
        is missing (checked on every run, in the same round trip: the device's
        cache may have been cleared since)."""
        cache = self._cache()
        runner = self._runner_command()[-1]
        remote = {}
        for path, _ in files:
            remote[path] = f"{cache}/files/{file_sha256(path)}/{path.name or 'file'}"
        present = self._present([runner, *sorted(set(remote.values()))])
        if runner not in present:
            self._push_runner(self._bundle, os.path.dirname(runner), transfer)
        missing = [(p, k) for p, k in files if remote[p] not in present]
        if missing:
            dirs = sorted({os.path.dirname(remote[p]) for p, _ in missing})
            self._check(self._exec("mkdir -p " + " ".join(map(shlex.quote, dirs))), "make the cache's folders")
            moves = []
            pushed = set()
            for p, kind in missing:
                if remote[p] in pushed:  # the same file given twice
                    continue
                pushed.add(remote[p])
                try:
                    self._put(p, remote[p] + ".partial", kind, transfer)
                except DeviceError:  # free what this batch took: a full disk stays usable
                    partials = " ".join(shlex.quote(r + ".partial") for r in pushed)
                    self._exec_quietly(f"rm -f {partials}")
                    raise
                moves.append(f"mv -f {shlex.quote(remote[p] + '.partial')} {shlex.quote(remote[p])}")
            self._check(self._exec(" && ".join(moves)), "put files in place")
        return remote

    # --- running et-run ----------------------------------------------------

    def run_et(self, args: list[str], *, extra: list[str] | tuple[str, ...] = ()) -> RemoteRun:
        """Runs et-run with ``args`` (host paths) on the device; brings back
        --output-dir, --json and --etdump. Returns et-run's exit status 0, 1 or
        2 and output; raises DeviceError when the device failed."""
        plan = etrun.plan(list(args))
        with self._lock:
            transfer = Transfer()
            start = time.perf_counter()
            command = self._runner_command()
            a = list(plan.args)
            files = ([(Path(a[plan.program]), "program")] if plan.program is not None else []) + \
                [(Path(a[i]), "inputs") for i in plan.inputs] + [(Path(a[i]), "data") for i in plan.data]
            remote = self.push_files(files, transfer)
            back = {}  # remote path -> host path, for messages
            for i in ([plan.program] if plan.program is not None else []) + plan.inputs + plan.data:
                back[remote[Path(a[i])]] = a[i]
                a[i] = remote[Path(a[i])]
            rundir = f"{self._cache()}/runs/{uuid.uuid4().hex[:12]}"
            results = {}
            for index, name in ((plan.output_dir, "out"), (plan.json, "result.json"), (plan.etdump, "result.etdump")):
                if index is not None:
                    results[name] = a[index]
                    back[f"{rundir}/{name}"] = a[index]
                    a[index] = f"{rundir}/{name}"
            transfer.seconds = time.perf_counter() - start
            line = (f"mkdir -p {shlex.quote(rundir + '/out')} && cd {shlex.quote(rundir)} && "
                    + " ".join(map(shlex.quote, [*command, *a, *extra])))
            if not results:  # nothing to bring back: clean up in the same round trip
                line = f"{line}; status=$?; cd / && rm -rf {shlex.quote(rundir)}; exit $status"
            done = self._transport.exec(line)  # DeviceError if the connection dropped: nothing is reported
            try:
                stdout, stderr = (self._host_paths(x.decode(errors="replace"), back) for x in (done.stdout, done.stderr))
                if done.returncode not in (0, 1, 2):
                    raise self._runner_failure(done.returncode, stderr)
                record = None
                if done.returncode == 0:
                    record = self._bring_back(plan, rundir, results, transfer, back)
                    if plan.json_stdout and plan.bench:
                        record = self._with_extras(json.loads(stdout), a, plan, transfer)
                        stdout = json.dumps(record, indent=2) + "\n"
            finally:
                if results:
                    self._exec_quietly(f"rm -rf {shlex.quote(rundir)}")
            return RemoteRun(self.url, done.returncode, stdout, stderr, record, transfer.as_dict())

    def _bring_back(self, plan, rundir: str, results: dict, transfer: Transfer, back: dict) -> dict | None:
        record = None
        if "out" in results:
            listing = self._exec(f"ls -1 {shlex.quote(rundir + '/out')}")
            for name in listing.stdout.decode(errors="replace").split():
                self._transport.fetch_file(f"{rundir}/out/{name}", Path(results["out"]) / name)
        if "result.json" in results:
            with tempfile.TemporaryDirectory(prefix="etkit-fetch-") as tmp:
                got = Path(tmp) / "result.json"
                self._transport.fetch_file(f"{rundir}/result.json", got)
                text = self._host_paths(got.read_text(), back)  # "model" names the host's file
            if plan.bench:
                record = self._with_extras(json.loads(text), plan.args, plan, transfer)
                text = json.dumps(record, indent=2) + "\n"
            Path(results["result.json"]).write_text(text)
        if "result.etdump" in results:
            self._transport.fetch_file(f"{rundir}/result.etdump", Path(results["result.etdump"]))
        return record

    def _with_extras(self, report: dict, args: list[str], plan, transfer: Transfer) -> dict:
        import etkit

        info = {k: v for k, v in self.probe().items() if k != "cache"}
        bundle = self._bundle
        program = Path(plan.args[plan.program]) if plan.program is not None else None
        return {**report, "device": info,
                "runner": {"sha256": bundle.sha256, "target": bundle.target, "arch": bundle.arch,
                           "linkage": bundle.linkage, "emulated": self._emulated},
                "program_sha256": file_sha256(program) if program else None,
                "etkit_version": etkit.__version__, "transfer": transfer.as_dict()}

    def _runner_failure(self, code: int, stderr: str) -> DeviceError:
        # et-run itself only exits 0, 1 or 2: anything else is the device's doing.
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        if code > 128 and code - 128 < 65:
            try:
                name = signal.Signals(code - 128).name
            except ValueError:
                name = f"signal {code - 128}"
            hint = " (out of memory?)" if name == "SIGKILL" else ""
            return device_error(self.url, f"et-run was killed by {name} on the device{hint}", last)
        if code == 126 or "Exec format error" in stderr or "qemu-user" in stderr:
            return device_error(self.url, "unsupported architecture: the device cannot execute this et-run", last)
        if code == 127:
            return device_error(self.url, "the runner is missing on the device (was the cache cleared mid-run?)", last)
        return device_error(self.url, f"et-run ended with status {code}", last)

    @staticmethod
    def _host_paths(text: str, back: dict) -> str:
        for remote in sorted(back, key=len, reverse=True):
            text = text.replace(remote, back[remote])
        return text

    # --- Python API ------------------------------------------------------------

    def runner(self, path: str | os.PathLike, method: str = "forward", threads: int | None = None, data=None):
        """An object with etkit.Runner's API (inputs, outputs, run, benchmark,
        profile) backed by et-run on this device; ``data`` as Runner's."""
        from .runner import DeviceRunner

        return DeviceRunner(self, path, method=method, threads=threads, data=data)

