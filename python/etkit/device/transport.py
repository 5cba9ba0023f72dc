"""How etkit reaches a device: four verbs (STYLE 13, after Ansible's connection plugins).

Every way of reaching a device is a :class:`Transport` with ``exec`` (run a
POSIX shell command there), ``put_file``, ``fetch_file`` and ``close``.
Everything above (the content-addressed cache, argument rewriting, probing,
benchmarks) is written against these four and never knows which transport it
has: ssh (:mod:`.ssh`), adb (:mod:`.adb`), this machine (:class:`LocalTransport`),
and later a device farm, is one more class.

A transport raises :class:`DeviceError` when the device cannot be reached or the
connection drops; a command that ran and failed is a result, not an error.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from ..errors import ArgumentError, DeviceError


class Completed(NamedTuple):
    """What a command on the device did: its exit status and output."""

    returncode: int
    stdout: bytes
    stderr: bytes


def device_error(device: str, cause: str, detail: str = "") -> DeviceError:
    """The one shape of a device failure message: 'DEVICE: CAUSE (detail)'."""
    detail = " ".join(detail.strip().split())[:400]
    return DeviceError(f"{device}: {cause}" + (f" ({detail})" if detail else ""), device=device, cause=cause)


def classify(causes: tuple[tuple[str, str], ...], text: str, default: str) -> str:
    """The cause of a client's failure: the first (phrase, cause) whose phrase is in its output."""
    return next((cause for phrase, cause in causes if phrase in text), default)


def run_client(argv: list[str], device: str, *, timeout: float | None = None, what: str = "") -> Completed:
    """Runs a client binary (ssh, scp, adb) on the host.

    Output goes to temporary files, not pipes: a ControlPersist ssh master
    forks into the background holding the client's stderr, and a pipe would
    then wait for the master to exit (60 s) before reporting EOF.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=timeout).returncode
        except FileNotFoundError:
            package = {"ssh": "openssh-client", "scp": "openssh-client", "adb": "adb"}.get(argv[0], argv[0])
            raise device_error(device, f"the {argv[0]} client is not installed (Debian package {package})") from None
        except subprocess.TimeoutExpired:
            raise device_error(device, f"timed out after {timeout:g} s{' ' + what if what else ''}") from None
        out.seek(0)
        err.seek(0)
        return Completed(rc, out.read(), err.read())


class Transport(ABC):
    """One device reached one way. Commands are POSIX shell command lines."""

    #: The device's cache folder as a shell word ($HOME may be in it).
    default_cache: str = "\"$HOME/.cache/etkit\""

    def __init__(self, url: str) -> None:
        self.url = url

    @abstractmethod
    def exec(self, command: str, *, timeout: float | None = None) -> Completed:
        """Runs ``command`` with the device's sh. DeviceError if the device
        could not be reached or the connection dropped."""

    @abstractmethod
    def put_file(self, local: Path, remote: str) -> None:
        """Copies a host file to ``remote`` (an absolute path), mode bits included."""

    @abstractmethod
    def fetch_file(self, remote: str, local: Path) -> None:
        """Copies a device file to ``local`` on the host."""

    def close(self) -> None:
        """Releases connections; the transport may be used again after."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


class LocalTransport(Transport):
    """This machine, through the same code path as a remote device."""

    default_cache = "\"${XDG_CACHE_HOME:-$HOME/.cache}/etkit/device\""

    def exec(self, command: str, *, timeout: float | None = None) -> Completed:
        return run_client(["sh", "-c", command], self.url, timeout=timeout)

    def _copy(self, src: Path | str, dst: Path | str, what: str) -> None:
        try:
            shutil.copy2(src, dst)
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise device_error(self.url, "no space left on the device", f"{what}: {e.strerror}") from None
            raise device_error(self.url, f"cannot {what}", str(e)) from None

    def put_file(self, local: Path, remote: str) -> None:
        self._copy(local, remote, f"copy {local} to {remote}")

    def fetch_file(self, remote: str, local: Path) -> None:
        self._copy(remote, local, f"copy {remote} to {local}")


# --- URLs -------------------------------------------------------------------

URL_FORMS = "ssh://[user@]host[:port], adb, adb://SERIAL or local"


def split_url(url: str) -> tuple[str, str, dict[str, str]]:
    """'ssh://pi@board:2222?cache=/tmp/et' -> ('ssh', 'pi@board:2222', {'cache': '/tmp/et'})."""
    if not isinstance(url, str) or not url.strip():
        raise ArgumentError(f"a device URL must be a non-empty string ({URL_FORMS})")
    url = url.strip()
    base, _, query = url.partition("?")
    params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    unknown = set(params) - {"cache"}
    if unknown:
        raise ArgumentError(f"{url}: unknown URL parameter(s) {', '.join(sorted(unknown))} (known: cache)")
    if base in ("local", "local://"):
        return "local", "", params
    if base in ("adb", "adb://"):
        return "adb", "", params
    scheme, sep, rest = base.partition("://")
    if sep and scheme in ("ssh", "adb") and rest.strip("/"):
        return scheme, rest.rstrip("/"), params
    raise ArgumentError(f"unknown device URL {url!r}: use {URL_FORMS}")


def open_transport(url: str) -> tuple[Transport, str | None]:
    """The transport for ``url`` and the cache folder the URL asks for (or None)."""
    kind, where, params = split_url(url)
    if kind == "local":
        transport: Transport = LocalTransport(url)
    elif kind == "adb":
        from .adb import AdbTransport

        transport = AdbTransport(url, serial=where or None)
    else:
        from .ssh import SshTransport

        parts = urlsplit("ssh://" + where)
        try:
            port = parts.port
        except ValueError:
            raise ArgumentError(f"{url}: the port must be a number from 1 to 65535") from None
        if not parts.hostname:
            raise ArgumentError(f"{url}: no host name")
        transport = SshTransport(url, host=parts.hostname, user=parts.username, port=port)
    return transport, params.get("cache") or None


def env_cache() -> str | None:
    """$ETKIT_DEVICE_CACHE: a cache folder for every device (a URL's ?cache= wins)."""
    return os.environ.get("ETKIT_DEVICE_CACHE") or None
