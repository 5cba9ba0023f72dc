"""etkit.Runner: the pybind11 binding of the C++ core."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import etkit
from conftest import BACKENDS

MODEL_NAMES = ["mlp", "cnn", "two_io", "tokens"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_runner_matches_eager_pytorch(exported, name, backend):
    e = exported(name, backend)
    runner = etkit.Runner(e.path)
    for seed in range(3):
        inputs = e.random_inputs(seed)
        got = runner.run(inputs)
        want = e.eager(inputs)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_describes_inputs_and_outputs(exported):
    runner = etkit.Runner(exported("two_io").path)
    assert runner.method_names == ["forward"]
    assert [(i.dtype, i.shape) for i in runner.inputs] == [(np.dtype("float32"), (2, 6)), (np.dtype("float32"), (2, 4))]
    assert [(o.dtype, o.shape) for o in runner.outputs] == [(np.dtype("float32"), (2, 3)), (np.dtype("float32"), (2, 1))]
    assert not runner.inputs[0].dynamic
    tokens = etkit.Runner(exported("tokens").path)
    assert tokens.inputs[0].dtype == np.dtype("int64")
    assert "XnnpackBackend" in runner.backends
    assert etkit.Runner(exported("mlp", "portable").path).backends == []


def test_outputs_are_owned_copies(exported):
    """An output array must survive the next run (it is not a view of the method's memory)."""
    e = exported("mlp")
    runner = etkit.Runner(e.path)
    a_in, b_in = e.random_inputs(1), e.random_inputs(2)
    first = runner.run(a_in)[0]
    kept = first.copy()
    runner.run(b_in)
    np.testing.assert_array_equal(first, kept)


def test_non_contiguous_inputs_are_accepted(exported):
    e = exported("mlp")
    runner = etkit.Runner(e.path)
    wide = np.random.default_rng(0).standard_normal((1, 40)).astype(np.float32)
    view = wide[:, ::2]
    assert not view.flags.c_contiguous
    np.testing.assert_allclose(runner.run([view])[0], e.eager([np.ascontiguousarray(view)])[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "inputs, message",
    [
        ([], "takes 1 input(s), got 0"),
        ([np.zeros((1, 20), np.float32)] * 2, "takes 1 input(s), got 2"),
        ([np.zeros((1, 20), np.float64)], "dtype float64, expected float32"),
        ([np.zeros((2, 20), np.float32)], "shape [2, 20]"),
        ([np.zeros((20,), np.float32)], "rank"),
        (["not an array"], "expected a numpy array"),
        ([np.zeros((1, 20), np.complex64)], "unsupported numpy dtype"),
    ],
)
def test_bad_inputs_raise_input_error(exported, inputs, message):
    runner = etkit.Runner(exported("mlp").path)
    with pytest.raises(etkit.InputError, match=None) as info:
        runner.run(inputs)
    assert message in str(info.value)
    assert isinstance(info.value, etkit.EtkitError) and isinstance(info.value, ValueError)


def test_bad_programs_raise_program_error(tmp_path, exported):
    empty = tmp_path / "empty.pte"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.pte"
    garbage.write_bytes(b"\x00garbage" * 512)
    good = exported("mlp").path.read_bytes()
    truncated = tmp_path / "truncated.pte"
    truncated.write_bytes(good[: len(good) // 3])
    for path in (tmp_path / "missing.pte", empty, garbage, truncated):
        with pytest.raises(etkit.ProgramError) as info:
            etkit.Runner(path)
        assert path.name in str(info.value)
    with pytest.raises(etkit.ProgramError):
        etkit.Runner(tmp_path)  # a directory


def test_unknown_method_raises(exported):
    with pytest.raises(etkit.MethodNotFoundError, match="no method 'encode'.*methods: forward"):
        etkit.Runner(exported("mlp").path, method="encode")


def test_bad_thread_count_raises(exported):
    with pytest.raises(etkit.ArgumentError, match="threads must be 1 or more"):
        etkit.Runner(exported("mlp").path, threads=0)
    before = etkit.Runner(exported("mlp").path).threads
    with pytest.raises(etkit.ArgumentError, match="thread count must be from 1 to 256, got 100000"):
        etkit.Runner(exported("mlp").path, threads=100000)
    assert etkit.Runner(exported("mlp").path).threads == before  # the pool was left alone


def test_threads_are_set(exported):
    runner = etkit.Runner(exported("mlp").path, threads=1)
    assert runner.threads == 1
    assert runner.benchmark(iterations=3, min_seconds=0, warmup=0)["threads"] == 1


def test_import_and_run_need_numpy_only(exported):
    """Importing etkit and running a program must not load torch or executorch's Python package."""
    code = (
        "import sys, numpy as np, etkit\n"
        f"r = etkit.Runner({str(exported('mlp').path)!r})\n"
        "r.run([np.zeros((1, 20), np.float32)])\n"
        "bad = [m for m in ('torch', 'executorch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("backend", BACKENDS)
def test_inputs_and_outputs_the_program_leaves_unplanned(exported, tmp_path, backend):
    """Memory planning can leave graph inputs and outputs to the caller
    (alloc_graph_input/alloc_graph_output=False): etkit gives them memory."""
    import torch
    from executorch.exir import EdgeCompileConfig, ExecutorchBackendConfig, to_edge_transform_and_lower
    from executorch.exir.passes import MemoryPlanningPass

    e = exported("two_io", backend)
    partitioners = []
    if backend == "xnnpack":
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        partitioners = [XnnpackPartitioner()]
    edge = to_edge_transform_and_lower(torch.export.export(e.model, e.example), partitioner=partitioners,
                                       compile_config=EdgeCompileConfig(_check_ir_validity=False))
    planning = MemoryPlanningPass(alloc_graph_input=False, alloc_graph_output=False)
    path = tmp_path / "unplanned.pte"
    path.write_bytes(edge.to_executorch(ExecutorchBackendConfig(memory_planning_pass=planning)).buffer)

    from executorch.exir._serialize._program import deserialize_pte_binary

    plan = deserialize_pte_binary(path.read_bytes()).program.execution_plan[0]
    assert all(plan.values[i].val.allocation_info is None for i in [*plan.inputs, *plan.outputs])

    runner = etkit.Runner(path)
    for seed in range(3):
        x = e.random_inputs(seed)
        for got, want in zip(runner.run(x), e.eager(x), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
