"""ssh://[user@]host[:port]: the OpenSSH client binaries, as a user runs them.

Driving ``ssh``/``scp`` themselves (not a Python SSH library) means the user's
~/.ssh/config, agent, keys and jump hosts just work. ``ControlMaster=auto``
with ``ControlPersist=60s`` makes the many short commands of one run share a
single connection; the control socket lives in a private temporary folder.
``BatchMode=yes``: never wait for a password prompt nobody can see.
``ETKIT_SSH_CONFIG=FILE`` adds ``-F FILE`` (which replaces ~/.ssh/config).
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import weakref
from pathlib import Path

from .transport import Completed, Transport, classify, device_error, run_client

# ssh exits 255 for its own failures; the first matching phrase names the cause.
_CAUSES = (
    ("Permission denied", "authentication failed"),
    ("Too many authentication failures", "authentication failed"),
    ("Host key verification failed", "host key verification failed (is the device in known_hosts?)"),
    ("REMOTE HOST IDENTIFICATION HAS CHANGED", "host key verification failed (the device's key changed)"),
    ("Could not resolve hostname", "unreachable: unknown host name"),
    ("Connection refused", "unreachable: connection refused"),
    ("No route to host", "unreachable: no route to host"),
    ("Network is unreachable", "unreachable: network is unreachable"),
    ("Connection timed out during banner exchange", "unreachable: no answer from the ssh server"),
    ("Connection timed out", "unreachable: connection timed out"),
    ("Operation timed out", "unreachable: connection timed out"),
    ("Timeout, server", "connection dropped: the device stopped answering"),
    ("Broken pipe", "connection dropped"),
    ("Connection reset", "connection dropped"),
    ("Connection closed", "connection dropped"),
    ("closed by remote host", "connection dropped"),
    ("lost connection", "connection dropped"),
    ("subsystem request failed", "the device's ssh server has no sftp subsystem, which scp needs"),
    ("No space left on device", "no space left on the device"),
    ("Disk quota exceeded", "no space left on the device (quota)"),
)



class SshTransport(Transport):
    default_cache = "\"$HOME/.cache/etkit\""

    def __init__(self, url: str, *, host: str, user: str | None = None, port: int | None = None) -> None:
        super().__init__(url)
        self.host, self.user, self.port = host, user, port
        self._control_dir: str | None = None

    def _options(self) -> list[str]:
        if self._control_dir is None:
            # Short path: unix socket paths are limited to ~100 bytes; %C is a hash.
            self._control_dir = tempfile.mkdtemp(prefix="etkit-ssh-")
            # Removed at close(), or when the transport is collected or the
            # interpreter exits without a close (a Device left open).
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._control_dir, True)
        opts = []
        config = os.environ.get("ETKIT_SSH_CONFIG")
        if config:
            opts += ["-F", config]
        for o in ("ControlMaster=auto", "ControlPersist=60s", f"ControlPath={self._control_dir}/%C", "BatchMode=yes",
                  "ConnectTimeout=15", "ServerAliveInterval=5", "ServerAliveCountMax=3", "LogLevel=ERROR"):
            opts += ["-o", o]
        if self.user:
            opts += ["-o", f"User={self.user}"]
        return opts

    def _ssh(self) -> list[str]:
        return ["ssh", *self._options(), *(["-p", str(self.port)] if self.port else []), self.host]

    def _scp_target(self, remote: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6
        return f"{host}:{remote}"

    def _scp(self, src: str, dst: str, what: str) -> None:
        argv = ["scp", "-q", "-p", *self._options(), *(["-P", str(self.port)] if self.port else []), src, dst]
        done = run_client(argv, self.url, what=what)
        if done.returncode != 0:
            text = done.stderr.decode(errors="replace")
            raise device_error(self.url, classify(_CAUSES, text, f"cannot {what}"), text)

    def exec(self, command: str, *, timeout: float | None = None) -> Completed:
        # sh -c: the remote login shell may be fish or csh; the command is POSIX sh.
        done = run_client([*self._ssh(), "sh -c " + shlex.quote(command)], self.url, timeout=timeout)
        if done.returncode == 255:  # ssh's own failure; et-run and sh never exit 255
            text = done.stderr.decode(errors="replace")
            # A session whose shared connection died says nothing: it just ends with 255.
            raise device_error(self.url, classify(_CAUSES, text, "ssh failed" if text.strip() else "connection dropped"), text)
        return done

    def put_file(self, local: Path, remote: str) -> None:
        self._scp(str(local), self._scp_target(remote), f"copy {local} to the device")

    def fetch_file(self, remote: str, local: Path) -> None:
        self._scp(self._scp_target(remote), str(local), f"copy {remote} from the device")

    def close(self) -> None:
        if self._control_dir is None:
            return
        # Stop the shared connection now rather than 60 s from now.
        try:
            run_client([*self._ssh()[:-1], "-O", "exit", self.host], self.url, timeout=10)
        except Exception:  # noqa: BLE001 - best effort: the master may be gone already
            pass
        self._cleanup()
        self._control_dir = None
