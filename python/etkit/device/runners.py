"""Which et-run a device gets, and where the host keeps it.

A runner is a folder made by ``scripts/cross-build.sh TARGET DIR``: its entry
point is always ``DIR/et-run`` (a POSIX sh launcher for glibc bundles, the
binary itself for static builds) and ``DIR/runner.json`` says
{"target", "arch", "linkage": "static"|"bundle", ...}. The whole folder is
shipped, addressed by the hash of its contents.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..bundle import STATIC_TARGETS
from ..errors import ArgumentError, BuildError

# The one table from a probed device to the runner it gets: (android?, uname -m) -> cross-build target.
# ARM devices get one static executable (no loader, no libraries: Android runs it
# too); x86_64 boards the glibc bundle of the host build.
ARCH_TARGETS = {
    (False, "aarch64"): "aarch64-static",
    (False, "arm64"): "aarch64-static",
    (False, "armv8l"): "armv7-static",  # a 32-bit userland on a 64-bit core
    (False, "x86_64"): "x86_64",
    (False, "armv7l"): "armv7-static",
    (True, "aarch64"): "android-arm64",
    (True, "armv7l"): "armv7-static",
    (True, "armv8l"): "armv7-static",
    (True, "x86_64"): "x86_64",  # Android emulators
}

# cross-build.sh targets -> the architecture they run on (uname -m) and the
# qemu-user binary that emulates it elsewhere.
TARGET_ARCH = {
    "aarch64": "aarch64",
    "aarch64-static": "aarch64",
    "android-arm64": "aarch64",
    "x86_64": "x86_64",
    "armv7-static": "armv7l",
}
QEMU = {"aarch64": "qemu-aarch64", "armv7l": "qemu-arm", "x86_64": "qemu-x86_64"}

# Names people type for --target (etkit bundle's, GNU triples) -> cross-build targets.
TARGET_ALIASES = {
    "aarch64-linux": "aarch64", "aarch64-linux-gnu": "aarch64", "arm64": "aarch64",
    "android-arm64-v8a": "android-arm64", "arm64-v8a": "android-arm64",
    "x86_64-linux": "x86_64", "x86_64-linux-gnu": "x86_64", "amd64": "x86_64",
    "armv7": "armv7-static", "armv7-linux": "armv7-static", "arm-linux-gnueabihf": "armv7-static",
}

_ELF_MACHINES = {0xB7: "aarch64", 0x3E: "x86_64", 0x28: "armv7l"}


def resolve_target(name: str) -> str:
    """A --target as given -> a cross-build.sh target."""
    target = TARGET_ALIASES.get(name, name)
    if target not in TARGET_ARCH:
        known = sorted(set(TARGET_ARCH) | set(TARGET_ALIASES))
        raise ArgumentError(f"unknown target {name!r} (known: {', '.join(known)})")
    return target


def target_for(probe: dict) -> str | None:
    """The target a probed device gets by default, or None if there is none for it."""
    return ARCH_TARGETS.get((probe.get("android") is not None, probe.get("arch") or ""))


@dataclass
class RunnerBundle:
    """A runner folder on the host."""

    path: Path
    target: str
    arch: str
    linkage: str  # "static" or "bundle"
    files: list[tuple[str, Path, bool]] = field(default_factory=list)  # (relative path, file, executable)
    sha256: str = ""

    @property
    def size(self) -> int:
        return sum(f.stat().st_size for _, f, _ in self.files)


def _elf_arch(path: Path) -> str | None:
    try:
        head = path.read_bytes()[:20]
    except OSError:
        return None
    if head[:4] != b"\x7fELF":
        return None
    return _ELF_MACHINES.get(int.from_bytes(head[18:20], "little" if head[5] == 1 else "big"))


def load_runner(path: str | os.PathLike, target: str | None = None) -> RunnerBundle:
    """Reads a runner folder: its runner.json, else (a bundle made before
    runner.json existed) linkage "bundle" and the arch of the target or of bin/et-run."""
    root = Path(path).resolve()
    entry = root / "et-run"
    if not (entry.is_file() and os.access(entry, os.X_OK)):
        raise ArgumentError(f"{root} is not a runner folder: no executable et-run in it "
                            "(make one with scripts/cross-build.sh TARGET DIR)")
    meta = {}
    if (root / "runner.json").is_file():
        try:
            meta = json.loads((root / "runner.json").read_text())
        except (OSError, ValueError) as e:
            raise ArgumentError(f"{root}/runner.json is not readable JSON: {e}") from None
    tgt = meta.get("target") or target
    arch = meta.get("arch") or (TARGET_ARCH.get(tgt) if tgt else None) or _elf_arch(entry) \
        or _elf_arch(root / "bin" / "et-run")
    if not arch:
        raise ArgumentError(f"cannot tell which architecture {root} is for: give --target or add runner.json")
    linkage = meta.get("linkage") or ("static" if _elf_arch(entry) else "bundle")
    files = []
    digest = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.relative_to(root).as_posix()
        executable = os.access(f, os.X_OK)
        files.append((rel, f, executable))
        digest.update(f"{rel}\0{int(executable)}\0{file_sha256(f)}\n".encode())
    return RunnerBundle(root, tgt or arch, arch, linkage, files, digest.hexdigest())


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def host_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "etkit" / "runners"


# What the runner is built from. Staleness: the cache key is a hash of these
# files' contents, so any edit to the C++, the CMake files or the build script
# makes a new runner (cross-build.sh's build is incremental, so that is quick),
# and an unchanged checkout reuses the cached one without running a build.
_SOURCES = ("CMakeLists.txt", "CMakePresets.json", "scripts/cross-build.sh", "cpp", "cmake")


def _source_fingerprint(root: Path) -> str:
    h = hashlib.sha256()
    for name in _SOURCES:
        p = root / name
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p] if p.is_file() else []
        for f in files:
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def host_runner(target: str, progress: Callable[[str], None] | None = None) -> RunnerBundle:
    """The runner for ``target`` from the host cache, built from the etkit
    checkout with scripts/cross-build.sh when missing or stale."""
    from ..bundle import source_dir

    try:
        root = source_dir()
    except ArgumentError as e:
        raise ArgumentError(f"no runner for {target}: {e}; or pass --runner DIR "
                            f"(a folder made by scripts/cross-build.sh {target} DIR)") from None
    home = host_cache() / target
    home.mkdir(parents=True, exist_ok=True)
    out = home / _source_fingerprint(root)
    # One build at a time per target, across threads (several devices) and processes.
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "et-run").is_file():
            if progress:
                first = ("10 to 20 minutes the first time on a machine: ExecuTorch is built from source"
                         if target in STATIC_TARGETS else "minutes the first time")
                progress(f"building et-run for {target} into {out} (scripts/cross-build.sh; {first})")
            done = subprocess.run(["bash", str(root / "scripts" / "cross-build.sh"), target, str(out)], cwd=root,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if done.returncode != 0:
                tail = "\n".join(done.stdout.strip().splitlines()[-8:])
                raise BuildError(f"scripts/cross-build.sh {target} failed (exit {done.returncode}):\n{tail}")
            for old in home.iterdir():  # runners of older sources
                if old.is_dir() and old != out:
                    shutil.rmtree(old, ignore_errors=True)
    return load_runner(out, target)
