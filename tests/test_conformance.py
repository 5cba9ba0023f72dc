"""The programs of ExecuTorch's own runtime tests (tests/conformance.py), run
by et-run, etkit.Runner and etkit.inspect: every program the runtime runs
must run in etkit with the runtime's outputs; a program the runtime crashes
on must be refused with a message."""

import json

import numpy as np
import pytest
import torch

import conformance
import etkit
from conftest import load_outputs
from inspect_oracle import inspect_with_executorch

RUNNABLE = [(c.name, m) for c in conformance.CASES if not c.crashes_runtime for m in c.inputs]


@pytest.fixture(scope="session")
def programs(conformance_programs):
    return conformance_programs


def as_numpy(args) -> list:
    """Tensors as arrays; scalars stay Python values (Runner takes both)."""
    return [a.numpy() if isinstance(a, torch.Tensor) else a for a in args]


def et_run_args(args, folder) -> list[str]:
    """--input for each argument: tensors as .npy files, scalars as text."""
    out = []
    for i, a in enumerate(args):
        if isinstance(a, torch.Tensor):
            np.save(folder / f"x{i}.npy", a.numpy())
            out += ["--input", str(folder / f"x{i}.npy")]
        else:
            out += ["--input", str(a).lower()]
    return out


def runtime_outputs(path, method, args, data=None) -> list:
    """What ExecuTorch's own Python runtime returns (None outputs as None)."""
    from executorch.runtime import Runtime

    program = Runtime.get().load_program(path, data_path=data)
    outputs = program.load_method(method).execute(list(args))
    return [o.numpy() if isinstance(o, torch.Tensor) else o for o in outputs]


def assert_same(got: list[np.ndarray], want: list) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if w is None:  # a None output: etkit gives an empty array
            assert g.size == 0
            continue
        w = np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name,method", RUNNABLE, ids=[f"{n}-{m}" for n, m in RUNNABLE])
def test_runs_as_the_runtime_does(programs, name, method, run_et, tmp_path):
    case = conformance.by_name(name)
    path = programs / f"{name}.pte"
    args = case.inputs[method]
    want = runtime_outputs(path, method, args)

    assert_same(etkit.Runner(path, method=method).run(as_numpy(args)), want)

    result = run_et(path, "--method", method, *et_run_args(args, tmp_path), "--output-dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert_same(load_outputs(tmp_path / "out"), want)

    # et-run's own inputs: tensors random, scalars at their exported values.
    assert run_et(path, "--method", method).returncode == 0

    described = etkit.inspect(path)
    assert described == inspect_with_executorch(path)  # the same as executorch's own deserializer
    inputs = {m["name"]: m for m in described["methods"]}[method]["inputs"]
    assert len(inputs) == len(args)


def test_refuses_what_the_runtime_crashes_on(programs, run_et):
    path = programs / "ModuleStateful.pte"  # its state has no memory: the runtime writes through a null pointer
    result = run_et(path)
    assert result.returncode == 1
    assert "without memory" in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(etkit.ProgramError, match="without memory"):
        etkit.Runner(path)


def test_dynamic_input_below_its_bound(programs, run_et, tmp_path):
    path = programs / "ModuleDynamicCatUnallocatedIO.pte"  # inputs and outputs left unplanned too
    x = torch.randn(2, 4)
    want = runtime_outputs(path, "forward", (x,))
    assert want[0].shape == (3, 4)
    assert_same(etkit.Runner(path).run([x.numpy()]), want)
    result = run_et(path, *et_run_args((x,), tmp_path), "--output-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert_same(load_outputs(tmp_path), want)


# ---- Scalar inputs ------------------------------------------------------------


def test_scalar_inputs_are_described_as_scalars(programs, run_et):
    runner = etkit.Runner(programs / "ModuleIntBool.pte")
    kinds = [(i.kind, i.value) for i in runner.inputs]
    assert kinds == [("tensor", None), ("int", 1), ("bool", True)]
    assert runner.inputs[1].is_scalar and not runner.inputs[0].is_scalar

    described = json.loads(run_et(programs / "ModuleIntBool.pte", "--describe").stdout)
    assert [(s["kind"], s.get("value")) for s in described["inputs"]] == kinds

    inspected = etkit.inspect(programs / "ModuleAdd.pte")["methods"][0]["inputs"]
    assert inspected[2] == {"kind": "float", "value": 1.0}


def test_scalar_inputs_take_values(programs, run_et, tmp_path):
    path = programs / "ModuleIntBool.pte"
    x = np.full(1, 2.0, np.float32)
    np.testing.assert_array_equal(etkit.Runner(path).run([x, 1, True])[0], [4.0])
    np.testing.assert_array_equal(etkit.Runner(path).run([x, np.int32(1), np.bool_(True)])[0], [4.0])
    np.save(tmp_path / "x.npy", x)
    result = run_et(path, "--input", tmp_path / "x.npy", "--input", "1", "--input", "true", "--output-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "output_0.npy"), [4.0])
    assert "int                      1" in result.stdout  # shown as a scalar, not int64[]


@pytest.mark.parametrize("value,message", [("3", "takes only 1, got 3"), ("x", "give its value"),
                                           ("1.5", "give its value")])
def test_scalar_input_other_than_exported_is_refused(programs, run_et, tmp_path, value, message):
    path = programs / "ModuleIntBool.pte"
    np.save(tmp_path / "x.npy", np.ones(1, np.float32))
    result = run_et(path, "--input", tmp_path / "x.npy", "--input", value, "--input", "true")
    assert result.returncode == 1
    assert message in result.stderr and "input 1" in result.stderr


def test_runner_refuses_another_scalar_value(programs):
    runner = etkit.Runner(programs / "ModuleAdd.pte")
    x = np.ones((2, 2), np.float32)
    np.testing.assert_allclose(runner.run([x, x, 1])[0], 2 * x)  # an int for a float: the same value
    with pytest.raises(etkit.InputError, match=r"input 2 .* takes only 1\.0, got 2\.5"):
        runner.run([x, x, 2.5])
    with pytest.raises(etkit.InputError, match="a float and takes one value"):
        runner.run([x, x, np.ones(2)])


# ---- Weights in a .ptd file ------------------------------------------------------


@pytest.mark.parametrize("name", conformance.EXTERNAL)
def test_program_with_data_file(programs, name, run_et, tmp_path):
    pte, ptd = programs / f"{name}Program.pte", programs / f"{name}.ptd"
    args = conformance.by_name(name).inputs["forward"]
    want = runtime_outputs(pte, "forward", args, data=ptd)
    # The same weights inside the program give the same outputs.
    assert_same(etkit.Runner(programs / f"{name}.pte").run(as_numpy(args)), want)

    assert_same(etkit.Runner(pte, data=ptd).run(as_numpy(args)), want)
    assert_same(etkit.Runner(pte, data=[str(ptd)]).run(as_numpy(args)), want)
    result = run_et(pte, "--data", ptd, *et_run_args(args, tmp_path), "--output-dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert_same(load_outputs(tmp_path / "out"), want)
    assert etkit.inspect(pte)["methods"][0]["external_data"]


def test_missing_data_file_is_named(programs, run_et):
    pte = programs / "ModuleLinearProgram.pte"
    result = run_et(pte)
    assert result.returncode == 1
    assert "--data" in result.stderr and "linear.weight" in result.stderr
    with pytest.raises(etkit.ExecutionError, match="separate .ptd file"):
        etkit.Runner(pte)


def test_wrong_data_file_is_refused(programs, run_et):
    # The other program's weights: names that don't match.
    result = run_et(programs / "ModuleLinearProgram.pte", "--data", programs / "ModuleAddMul.ptd")
    assert result.returncode == 1 and "error:" in result.stderr


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "program"])
def test_damaged_data_file_is_refused(programs, run_et, tmp_path, damage):
    good = (programs / "ModuleLinear.ptd").read_bytes()
    bad = {
        "truncate": good[: len(good) // 2],
        "flip": good[:40] + bytes(b ^ 0xFF for b in good[40:80]) + good[80:],
        "empty": b"",
        "program": (programs / "ModuleLinear.pte").read_bytes(),  # a .pte given as data
    }[damage]
    path = tmp_path / "bad.ptd"
    path.write_bytes(bad)
    result = run_et(programs / "ModuleLinearProgram.pte", "--data", path)
    assert result.returncode == 1, result.stderr
    assert "error:" in result.stderr
    with pytest.raises(etkit.EtkitError):
        etkit.Runner(programs / "ModuleLinearProgram.pte", data=path)


def test_damaged_data_files_never_crash(programs, tmp_path):
    """Every single-byte change in the header and flatbuffer of a .ptd: a
    clean error or a run, never a crash (the runtime reads them unchecked)."""
    import random

    good = bytearray((programs / "ModuleLinear.ptd").read_bytes())
    rng = random.Random(0)
    x = np.ones(3, np.float32)
    for k in range(300):
        damaged = bytearray(good)
        at = rng.randrange(min(len(good), 400))
        damaged[at] = rng.randrange(256)
        path = tmp_path / f"d{k}.ptd"
        path.write_bytes(damaged)
        try:
            etkit.Runner(programs / "ModuleLinearProgram.pte", data=path).run([x])
        except etkit.EtkitError:
            pass
