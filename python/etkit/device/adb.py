"""adb or adb://SERIAL: Android devices through the ``adb`` client (Debian's adb).

Files go with ``adb push``/``adb pull``, commands with ``adb shell``, which
runs them with the device's /system/bin/sh (Android has no /bin/sh).

Tested only against tests/fake_adb/adb, a stand-in that maps these commands
onto a local folder: never against a phone.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from .transport import Completed, Transport, classify, device_error, run_client

# adb exits 1 both for its own failures and for a command that failed on the
# device, and adb before Android 7 (no shell protocol) always exits 0. A
# marker with the command's status, printed last, tells them apart, and its
# absence means the connection dropped.
_MARK = b"__etkit_exit_status="

_CAUSES = (
    ("no devices/emulators found", "unreachable: no device connected"),
    ("not found", "unreachable: device not found"),
    ("unauthorized", "authentication failed: the device has not authorized this computer "
                     "(accept the USB debugging prompt)"),
    ("offline", "unreachable: the device is offline"),
    ("more than one device", "several devices are connected: name one with adb://SERIAL"),
    ("No space left on device", "no space left on the device"),
    ("Read-only file system", "the device's folder is read-only"),
    ("closed", "connection dropped"),
    ("protocol fault", "connection dropped"),
    ("connection reset", "connection dropped"),
)



class AdbTransport(Transport):
    default_cache = "/data/local/tmp/etkit"  # the one place where shell may write and execute

    def __init__(self, url: str, *, serial: str | None = None) -> None:
        super().__init__(url)
        self.serial = serial

    def _adb(self, *args: str) -> list[str]:
        return ["adb", *(["-s", self.serial] if self.serial else []), *args]

    def exec(self, command: str, *, timeout: float | None = None) -> Completed:
        wrapped = f"sh -c {shlex.quote(command)}; echo {_MARK.decode()}$?"
        done = run_client(self._adb("shell", wrapped), self.url, timeout=timeout)
        at = done.stdout.rfind(_MARK)
        if at < 0:
            text = (done.stderr + done.stdout).decode(errors="replace")
            raise device_error(self.url, classify(_CAUSES, text, "connection dropped"), text)
        status = done.stdout[at + len(_MARK):].strip()
        return Completed(int(status) if status.isdigit() else 255, done.stdout[:at], done.stderr)

    def _copy(self, verb: str, src: str, dst: str, what: str) -> None:
        done = run_client(self._adb(verb, src, dst), self.url, what=what)
        if done.returncode != 0:
            text = (done.stderr + done.stdout).decode(errors="replace")
            raise device_error(self.url, classify(_CAUSES, text, f"cannot {what}"), text)

    def put_file(self, local: Path, remote: str) -> None:
        self._copy("push", str(local), remote, f"push {local}")

    def fetch_file(self, remote: str, local: Path) -> None:
        self._copy("pull", remote, str(local), f"pull {remote}")
