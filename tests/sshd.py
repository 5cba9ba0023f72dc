"""A real OpenSSH server for the device tests: Debian's sshd on 127.0.0.1, a free
port, a temporary host key and client key, key-only authentication, and an
ssh config for the client (passed to etkit with ETKIT_SSH_CONFIG)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


class SshServer:
    def __init__(self, folder: Path, *, fsize_blocks: int | None = None) -> None:
        self.dir = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        for name in ("host_key", "client_key", "wrong_key"):
            _keygen(folder / name)
        (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
        self.user = os.environ.get("USER") or "root"
        (folder / "sshd_config").write_text(f"""\
ListenAddress 127.0.0.1
Port {self.port}
HostKey {folder}/host_key
AuthorizedKeysFile {folder}/authorized_keys
PidFile {folder}/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel ERROR
# bash run by sshd sources ~/.bashrc unless SHLVL says it is nested: keep
# this machine's shell setup (pyenv's rehash lock here) out of the tests.
SetEnv SHLVL=1
""")
        host_pub = (folder / "host_key.pub").read_text().split()
        (folder / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        self.config = self.client_config("client_key")
        self.proc: subprocess.Popen | None = None

    def client_config(self, key: str) -> Path:
        path = self.dir / f"ssh_config_{key}"
        path.write_text(f"""\
Host *
  IdentityFile {self.dir}/{key}
  IdentitiesOnly yes
  UserKnownHostsFile {self.dir}/known_hosts
  StrictHostKeyChecking yes
  User {self.user}
""")
        return path

    @property
    def url(self) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}"

    def start(self) -> "SshServer":
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege separation folder
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")],
                                     stdout=subprocess.DEVNULL, stderr=open(self.dir / "sshd.log", "wb"),
                                     start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd exited: {(self.dir / 'sshd.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sshd did not start listening")

    def _descendants(self) -> list[int]:
        parent = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                    parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            kids = [p for p, pp in parent.items() if pp == pid]
            found += kids
            todo += kids
        return found

    def kill_all(self) -> None:
        """The server and every session it forked, at once (a device losing
        power). Sessions call setsid(), so a process group would not reach them."""
        if self.proc and self.proc.poll() is None:
            for pid in [self.proc.pid, *self._descendants()]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait()

    def stop(self) -> None:
        self.kill_all()


def available() -> str | None:
    """Why the ssh tests can't run here, or None."""
    for tool in ("ssh", "scp", "ssh-keygen"):
        if not shutil.which(tool):
            return f"{tool} is not installed (Debian: openssh-client)"
    if not os.path.exists(SSHD):
        return "sshd is not installed (Debian: openssh-server)"
    return None
