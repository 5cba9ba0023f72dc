"""etkit.Device(url).runner(...): etkit.Runner's API backed by et-run on the
device, checked against etkit.Runner on the same program and inputs; et-run's
failures raise the classes Runner raises, whatever the transport."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import etkit
from etkit import InputError, MethodNotFoundError, ProgramError


@pytest.fixture(params=["local", "ssh", "adb"])
def device(request, host_runner_dir, tmp_path, monkeypatch):
    if request.param == "ssh":
        server = request.getfixturevalue("ssh_server")
        request.getfixturevalue("device_env")
        url = server.url
    elif request.param == "adb":
        request.getfixturevalue("fake_adb")
        url = "adb"
    else:
        monkeypatch.setenv("ETKIT_DEVICE_CACHE", str(tmp_path / "device-cache"))
        url = "local"
    with etkit.Device(url, runner=host_runner_dir) as d:
        yield d


def test_same_api_and_results_as_runner(device, exported):
    e = exported("two_io")
    local = etkit.Runner(e.path, threads=1)
    remote = device.runner(e.path, threads=1)
    assert remote.inputs == local.inputs and remote.outputs == local.outputs
    inputs = e.random_inputs(5)
    for got, want in zip(remote.run(inputs), local.run(inputs)):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    report = remote.benchmark(warmup=1, iterations=3, min_seconds=0)
    assert set(local.benchmark(warmup=1, iterations=3, min_seconds=0)) <= set(report)
    assert report["threads"] == 1 and report["iterations"] >= 3 and report["device"]["url"] == device.url
    rows = remote.profile()
    assert rows and set(rows[0]) == {"name", "kind", "calls", "ms", "share"}


def test_errors_are_runners_classes(device, exported, tmp_path):
    e = exported("mlp")
    cut = tmp_path / "cut.pte"
    cut.write_bytes(Path(e.path).read_bytes()[:2000])
    for make in (etkit.Runner, device.runner):
        with pytest.raises(ProgramError, match="not a valid ExecuTorch program"):
            make(cut)
        with pytest.raises(MethodNotFoundError):
            make(e.path, method="nope")
    with pytest.raises(InputError, match="shape"):
        device.runner(e.path).run([np.zeros((3, 3), np.float32)])
    with pytest.raises(InputError):
        device.runner(e.path).run(np.zeros((1, 20), np.float32))  # not a list
    with pytest.raises(ProgramError):
        device.runner(tmp_path / "missing.pte")


def test_scalar_inputs_and_data_files(device, conformance_programs):
    """What etkit.Runner takes beyond arrays: scalar values and a .ptd file."""
    x = np.full(1, 2.0, np.float32)
    remote = device.runner(conformance_programs / "ModuleIntBool.pte")
    assert [(i.kind, i.value) for i in remote.inputs] == [("tensor", None), ("int", 1), ("bool", True)]
    np.testing.assert_array_equal(remote.run([x, 1, True])[0], [4.0])
    with pytest.raises(InputError, match="takes only 1"):
        remote.run([x, 3, True])

    pte, ptd = conformance_programs / "ModuleLinearProgram.pte", conformance_programs / "ModuleLinear.ptd"
    x3 = np.arange(3, dtype=np.float32)
    want = etkit.Runner(pte, data=ptd).run([x3])
    np.testing.assert_array_equal(device.runner(pte, data=ptd).run([x3])[0], want[0])
    with pytest.raises(etkit.ExecutionError, match="--data"):
        device.runner(pte).run([x3])
