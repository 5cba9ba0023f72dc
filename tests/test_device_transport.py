"""The four verbs of each transport (python/etkit/device/transport.py, ssh.py,
adb.py): ssh against a real sshd on 127.0.0.1, adb against the stand-in
tests/fake_adb/adb, local directly."""

from __future__ import annotations

import os

import pytest

import etkit
from etkit import ArgumentError, DeviceError
from etkit.device.transport import open_transport, split_url


@pytest.mark.parametrize("url, want", [
    ("local", ("local", "", {})),
    ("adb", ("adb", "", {})),
    ("adb://R5CT1234", ("adb", "R5CT1234", {})),
    ("ssh://pi@board:2222", ("ssh", "pi@board:2222", {})),
    ("ssh://board?cache=/tmp/et", ("ssh", "board", {"cache": "/tmp/et"})),
])
def test_split_url(url, want):
    assert split_url(url) == want


@pytest.mark.parametrize("url", ["", "board", "http://x", "ssh://", "ssh://b?colour=red", "ssh://b:99999"])
def test_bad_urls_are_argument_errors(url):
    with pytest.raises(ArgumentError):
        open_transport(url)


def _four_verbs(transport, remote_dir: str, tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(3000))
    src.chmod(0o755)
    assert transport.exec(f"mkdir -p {remote_dir}").returncode == 0
    transport.put_file(src, f"{remote_dir}/copy.bin")
    done = transport.exec(f"test -x {remote_dir}/copy.bin && echo out; echo err >&2; exit 7")
    assert (done.returncode, done.stdout, done.stderr) == (7, b"out\n", b"err\n")
    back = tmp_path / "back.bin"
    transport.fetch_file(f"{remote_dir}/copy.bin", back)
    assert back.read_bytes() == src.read_bytes()
    transport.close()


def test_local_transport(tmp_path):
    transport, _ = open_transport("local")
    _four_verbs(transport, str(tmp_path / "dev"), tmp_path)


def test_ssh_transport(ssh_server, device_env, tmp_path):
    transport, _ = open_transport(ssh_server.url)
    _four_verbs(transport, str(tmp_path / "dev"), tmp_path)
    assert transport._control_dir is None  # close() stopped the shared connection and removed its socket


def test_adb_transport(fake_adb, tmp_path):
    transport, _ = open_transport("adb://emulator-5554")
    _four_verbs(transport, "/data/local/tmp/t", tmp_path)
    assert (fake_adb / "data/local/tmp/t/copy.bin").is_file()


def test_ssh_wrong_key_is_authentication(ssh_server, device_env, monkeypatch):
    monkeypatch.setenv("ETKIT_SSH_CONFIG", str(ssh_server.client_config("wrong_key")))
    transport, _ = open_transport(ssh_server.url)
    with pytest.raises(DeviceError) as e:
        transport.exec("true")
    assert e.value.cause == "authentication failed" and ssh_server.url in str(e.value)


def test_ssh_closed_port_is_unreachable(ssh_server, device_env):
    with pytest.raises(DeviceError, match="unreachable: connection refused"):
        open_transport("ssh://127.0.0.1:1")[0].exec("true")


@pytest.mark.parametrize("serials, url, cause", [
    ("", "adb", "unreachable: no device connected"),
    ("emulator-5554", "adb://other", "unreachable: device not found"),
    ("a,b", "adb", "several devices are connected: name one with adb://SERIAL"),
])
def test_adb_failures(fake_adb, monkeypatch, serials, url, cause):
    monkeypatch.setenv("FAKE_ADB_SERIALS", serials)
    with pytest.raises(DeviceError) as e:
        open_transport(url)[0].exec("true")
    assert e.value.cause == cause


def test_missing_client_binary(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DeviceError, match="adb client is not installed"):
        open_transport("adb")[0].exec("true")


def test_ssh_control_folder_goes_without_close(ssh_server, device_env):
    """A Device left open (no close, no with) leaves no etkit-ssh-* folder behind."""
    import gc
    import os

    device = etkit.Device(ssh_server.url)
    device.probe()
    folder = device._transport._control_dir  # noqa: SLF001 - what close() would remove
    assert folder and os.path.isdir(folder)
    del device
    gc.collect()
    assert not os.path.exists(folder)
