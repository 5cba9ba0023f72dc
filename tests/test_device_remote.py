"""`etkit remote` and `etkit device probe` end to end: et-run through a real
sshd on 127.0.0.1 (and the stand-in adb), outputs against a local run,
the device cache, results brought back, and each way a device fails."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import etkit_cmd
from etkit import DeviceError
from etkit.device import Device


def remote(*args, timeout=300):
    return etkit_cmd("remote", *args, timeout=timeout)


@pytest.fixture
def mlp(exported, tmp_path):
    e = exported("mlp")
    x = tmp_path / "x.npy"
    np.save(x, e.random_inputs(3)[0])
    return e.path, x


def local_outputs(run_et, program, x, folder: Path) -> list[np.ndarray]:
    folder.mkdir()
    assert run_et(program, "--input", x, "--output-dir", folder).returncode == 0
    return [np.load(p) for p in sorted(folder.glob("output_*.npy"))]


def test_ssh_outputs_equal_a_local_run_and_second_run_pushes_no_program(
        ssh_server, device_env, host_runner_dir, mlp, run_et, tmp_path):
    program, x = mlp
    want = local_outputs(run_et, program, x, tmp_path / "local")
    out = tmp_path / "remote"
    out.mkdir()
    done = remote(ssh_server.url, "--runner", host_runner_dir, "--", program, "--input", x, "--output-dir", out)
    assert done.returncode == 0, done.stderr
    assert str(program) in done.stdout  # device paths are shown as the host's
    got = [np.load(p) for p in sorted(out.glob("output_*.npy"))]
    assert len(got) == len(want) and all(np.array_equal(g, w) for g, w in zip(got, want))

    for attempt in (1, 2):
        result = tmp_path / f"bench{attempt}.json"
        done = remote(ssh_server.url, "--runner", host_runner_dir, "--", program, "--input", x, "--bench",
                      "--iterations", "5", "--min-seconds", "0", "--json", result)
        assert done.returncode == 0, done.stderr
        record = json.loads(result.read_text())
    assert record["model"] == str(program)
    assert record["device"]["arch"] == "x86_64" and record["device"]["cores"] >= 1
    assert record["runner"]["target"] == "x86_64" and len(record["runner"]["sha256"]) == 64
    assert record["program_sha256"] == __import__("hashlib").sha256(Path(program).read_bytes()).hexdigest()
    assert record["etkit_version"]
    assert record["transfer"]["by_kind"]["program"] == 0 and record["transfer"]["bytes_pushed"] == 0
    assert record["latency_ms"]["p50"] > 0


def test_arm64_bundle_through_ssh_under_qemu(ssh_server, device_env, mlp, run_et, tmp_path):
    """--target builds (or reuses) the ARM64 bundle from this checkout; the
    x86_64 'device' has qemu-user, so the bundle's launcher emulates it."""
    program, x = mlp
    want = local_outputs(run_et, program, x, tmp_path / "local")
    out = tmp_path / "remote"
    out.mkdir()
    done = remote(ssh_server.url, "--target", "aarch64-linux", "--", program, "--input", x, "--output-dir", out,
                  timeout=1500)
    assert done.returncode == 0, done.stderr[-2000:]
    got = [np.load(p) for p in sorted(out.glob("output_*.npy"))]
    assert all(np.allclose(g, w, rtol=1e-5, atol=1e-5) for g, w in zip(got, want)) and len(got) == len(want)
    done = remote(ssh_server.url, "--target", "aarch64-linux", "--", program, "--bench", "--iterations", "3",
                  "--min-seconds", "0", "--json", "-", timeout=1500)
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads(done.stdout)
    assert record["runner"]["arch"] == "aarch64" and record["runner"]["emulated"] is True


@pytest.mark.parametrize("target, arch, emulated", [("aarch64-static", "aarch64", True),
                                                    ("armv7-static", "armv7l", True),
                                                    ("x86_64", "x86_64", False)])
def test_device_runners_through_ssh(ssh_server, device_env, mlp, run_et, tmp_path, target, arch, emulated):
    """What boards and phones get by default: the static ARM runners (one file;
    the x86_64 'device' runs them under qemu-user, so etkit prefixes qemu),
    and the self-contained x86_64 bundle of the host build. Built from this
    checkout on first use (scripts/cross-build.sh)."""
    program, x = mlp
    want = local_outputs(run_et, program, x, tmp_path / "local")
    out = tmp_path / "remote"
    out.mkdir()
    done = remote(ssh_server.url, "--target", target, "--", program, "--input", x, "--output-dir", out,
                  timeout=3600)
    assert done.returncode == 0, done.stderr[-2000:]
    got = [np.load(p) for p in sorted(out.glob("output_*.npy"))]
    assert len(got) == len(want) and all(np.allclose(g, w, rtol=1e-5, atol=1e-5) for g, w in zip(got, want))
    done = remote(ssh_server.url, "--target", target, "--", program, "--bench", "--iterations", "3",
                  "--min-seconds", "0", "--json", tmp_path / "bench.json")
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((tmp_path / "bench.json").read_text())
    assert record["runner"]["target"] == target and record["runner"]["arch"] == arch
    assert record["runner"]["emulated"] is emulated
    assert record["runner"]["linkage"] == ("bundle" if target == "x86_64" else "static")


def test_exit_codes_are_et_runs(ssh_server, device_env, host_runner_dir, mlp, tmp_path):
    program, _ = mlp
    cut = tmp_path / "cut.pte"
    cut.write_bytes(Path(program).read_bytes()[:3000])
    done = remote(ssh_server.url, "--runner", host_runner_dir, "--", cut)
    assert done.returncode == 1 and str(cut) in done.stderr and "not a valid ExecuTorch program" in done.stderr
    done = remote(ssh_server.url, "--runner", host_runner_dir, "--", program, "--no-such-flag")
    assert done.returncode == 2
    done = remote(ssh_server.url, "--runner", host_runner_dir, "--", tmp_path / "missing.pte")
    assert done.returncode == 1 and "no such file" in done.stderr
    done = remote(ssh_server.url, "--runner", host_runner_dir, program)
    assert done.returncode == 2 and "unrecognized arguments" in done.stderr
    done = remote(ssh_server.url)
    assert done.returncode == 2 and "after --" in done.stderr


def test_wrong_key_exits_3_naming_authentication(ssh_server, device_env, host_runner_dir, mlp, monkeypatch):
    monkeypatch.setenv("ETKIT_SSH_CONFIG", str(ssh_server.client_config("wrong_key")))
    done = remote(ssh_server.url, "--runner", host_runner_dir, "--", mlp[0])
    assert done.returncode == 3
    assert ssh_server.url in done.stderr and "authentication failed" in done.stderr and "Traceback" not in done.stderr


def _wait_for_remote_bench(cache: Path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = subprocess.run(["pgrep", "-f", f"{cache}.*--bench"], capture_output=True, text=True).stdout.split()
        if busy:
            return
        time.sleep(0.1)
    raise AssertionError("the benchmark never started on the device")


def test_server_killed_during_bench(fresh_ssh_server, device_env, host_runner_dir, mlp, tmp_path, monkeypatch):
    monkeypatch.setenv("ETKIT_SSH_CONFIG", str(fresh_ssh_server.config))
    program, _ = mlp
    result = tmp_path / "result.json"
    killer = threading.Thread(target=lambda: (_wait_for_remote_bench(tmp_path / "device-cache"),
                                              fresh_ssh_server.kill_all()))
    killer.start()
    done = remote(fresh_ssh_server.url, "--runner", host_runner_dir, "--", program, "--bench", "--min-seconds", "60",
                  "--iterations", "1000000000", "--max-seconds", "60", "--json", result, timeout=120)
    killer.join()
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "connection dropped" in done.stderr and fresh_ssh_server.url in done.stderr
    assert not result.exists() and "latency" not in done.stdout  # no partial result reported as success


def test_server_killed_during_bench_python(fresh_ssh_server, device_env, host_runner_dir, mlp, monkeypatch, tmp_path):
    monkeypatch.setenv("ETKIT_SSH_CONFIG", str(fresh_ssh_server.config))
    runner = Device(fresh_ssh_server.url, runner=host_runner_dir).runner(mlp[0], threads=1)
    threading.Thread(target=lambda: (_wait_for_remote_bench(tmp_path / "device-cache"),
                                     fresh_ssh_server.kill_all())).start()
    with pytest.raises(DeviceError) as e:
        runner.benchmark(min_seconds=60, max_seconds=60, iterations=10**9)
    assert e.value.cause.startswith("connection dropped")


def test_cache_removed_between_runs_is_pushed_again(ssh_server, device_env, host_runner_dir, mlp, tmp_path):
    program, _ = mlp
    args = (ssh_server.url, "--runner", host_runner_dir, "--", program, "--bench", "--iterations", "2",
            "--min-seconds", "0", "--json", "-")
    assert remote(*args).returncode == 0
    subprocess.run(["rm", "-rf", str(tmp_path / "device-cache")], check=True)
    done = remote(*args)
    assert done.returncode == 0, done.stderr
    transfer = json.loads(done.stdout)["transfer"]["by_kind"]
    assert transfer["program"] == Path(program).stat().st_size and transfer["runner"] > 0


def test_cache_folder_that_cannot_be_made(ssh_server, device_env, host_runner_dir, mlp, tmp_path):
    (tmp_path / "a-file").write_text("")
    done = remote(f"{ssh_server.url}?cache={tmp_path}/a-file/etkit", "--runner", host_runner_dir, "--", mlp[0])
    assert done.returncode == 3 and "cannot create the cache folder" in done.stderr


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs privileges this machine does not give")
    yield mount
    subprocess.run(["umount", "-l", str(mount)])


def test_full_disk_exits_3_naming_space(ssh_server, device_env, host_runner_dir, mlp, small_disk, tmp_path):
    big = tmp_path / "big.npy"
    np.save(big, np.zeros(1 << 20, np.float32))  # 4 MiB into 256 KiB
    done = remote(f"{ssh_server.url}?cache={small_disk}/etkit", "--runner", host_runner_dir, "--", mlp[0],
                  "--input", big)
    assert done.returncode == 3, done.stderr
    assert "no space left on the device" in done.stderr and ssh_server.url in done.stderr
    assert not list(small_disk.rglob("*.partial"))  # nothing half-pushed left to be taken for whole


def test_several_devices_one_table_and_list(ssh_server, device_env, host_runner_dir, mlp, tmp_path):
    listing = tmp_path / "all.json"
    devices = tmp_path / "devices.txt"
    devices.write_text("# a board that is off\nssh://127.0.0.1:1\n")
    done = remote(ssh_server.url, "local", "--devices", devices, "--runner", host_runner_dir, "--", mlp[0],
                  "--bench", "--iterations", "3", "--min-seconds", "0", "--json", listing)
    assert done.returncode == 3, done.stderr
    rows = json.loads(listing.read_text())
    assert [r["url"] for r in rows] == [ssh_server.url, "local", "ssh://127.0.0.1:1"]
    assert [r["status"] for r in rows] == ["ok", "ok", "error"]
    assert rows[0]["latency_ms"]["p50"] > 0 and rows[1]["device"]["arch"] == "x86_64"
    assert rows[2]["exit_code"] == 3 and "unreachable" in rows[2]["error"]
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["device", "p50", "p90", "load"] and len(lines) == 5
    assert " us" in lines[2] or " ms" in lines[2]  # latencies carry their unit
    assert "unreachable" in lines[4]


def test_adb_stand_in_end_to_end(fake_adb, host_runner_dir, mlp, run_et, tmp_path):
    program, x = mlp
    want = local_outputs(run_et, program, x, tmp_path / "local")
    out = tmp_path / "remote"
    out.mkdir()
    done = remote("adb://emulator-5554", "--runner", host_runner_dir, "--", program, "--input", x, "--output-dir", out)
    assert done.returncode == 0, done.stderr
    got = [np.load(p) for p in sorted(out.glob("output_*.npy"))]
    assert all(np.array_equal(g, w) for g, w in zip(got, want)) and len(got) == len(want)
    assert list((fake_adb / "data/local/tmp/etkit/files").glob("*/mlp_xnnpack.pte"))


def test_probe_json(fake_adb):
    done = etkit_cmd("device", "probe", "adb", "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["android"]["model"] == "Stand-in Phone" and info["android"]["sdk"] == 34
    assert info["os"] == "Android 14" and info["cores"] >= 1 and info["memory"]["total_bytes"] > 0
    assert info["cache"]["path"] == "/data/local/tmp/etkit"
    done = etkit_cmd("device", "probe", "ssh://127.0.0.1:1")
    assert done.returncode == 3 and "unreachable" in done.stderr
