"""Fixtures of the device tests (tests/test_device_*.py): a real sshd on
127.0.0.1, the stand-in adb, and a runner folder for this machine.

Every device test keeps the host's and the device's caches in temporary
folders (XDG_CACHE_HOME, ETKIT_DEVICE_CACHE), never in the user's home.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import sshd as sshd_mod

TESTS = Path(__file__).resolve().parent
FAKE_ADB = TESTS / "fake_adb"


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory):
    why = sshd_mod.available()
    if why:
        pytest.skip(why)
    server = sshd_mod.SshServer(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_ssh_server(tmp_path):
    """An sshd of the test's own, for tests that kill it."""
    why = sshd_mod.available()
    if why:
        pytest.skip(why)
    server = sshd_mod.SshServer(tmp_path / "sshd").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def host_runner_dir(tmp_path_factory, et_run) -> Path:
    """A runner folder for this x86_64 machine: its launcher starts the
    installed et-run. (The self-contained x86_64 bundle of cross-build.sh is
    exercised the same way once built; this one costs nothing to make.)"""
    folder = tmp_path_factory.mktemp("runner-x86_64")
    (folder / "et-run").write_text(f'#!/bin/sh\nexec "{et_run}" "$@"\n')
    (folder / "et-run").chmod(0o755)
    (folder / "runner.json").write_text('{"target": "x86_64", "arch": "x86_64", "linkage": "bundle"}\n')
    return folder


@pytest.fixture
def device_env(tmp_path, monkeypatch, ssh_server):
    """Environment of an etkit that reaches the test sshd, with caches in tmp."""
    monkeypatch.setenv("ETKIT_SSH_CONFIG", str(ssh_server.config))
    monkeypatch.setenv("ETKIT_DEVICE_CACHE", str(tmp_path / "device-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "host-cache"))
    return dict(os.environ)


@pytest.fixture
def fake_adb(tmp_path, monkeypatch):
    """The stand-in adb (tests/fake_adb/adb) first on PATH, its device a tmp folder."""
    root = tmp_path / "phone"
    (root / "data" / "local" / "tmp").mkdir(parents=True)
    monkeypatch.setenv("PATH", f"{FAKE_ADB}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_ADB_ROOT", str(root))
    monkeypatch.setenv("FAKE_ADB_SERIALS", "emulator-5554")
    monkeypatch.delenv("ETKIT_DEVICE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "host-cache"))
    assert shutil.which("adb") == str(FAKE_ADB / "adb")
    return root
