"""etkit.Runner under misuse: threads sharing runners, arguments of every
wrong kind, and a program that fails one of the runtime's own checks. Every
failure must be an etkit exception, never a crash, a bare TypeError from the
binding, or numpy's ValueError."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

import etkit
import etkit.tools
from etkit.errors import ArgumentError, EtkitError, ExecutionError, InputError, MethodNotFoundError, ProgramError


def _threads(work, n):
    errors = []

    def guarded(i):
        try:
            work(i)
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_concurrent_runs_from_threads_are_serialised_and_correct(exported):
    e = exported("cnn")
    runner = etkit.Runner(e.path)
    inputs = [e.random_inputs(s) for s in range(4)]
    want = [e.eager(x)[0] for x in inputs]

    def work(i):
        for _ in range(30):
            np.testing.assert_allclose(runner.run(inputs[i])[0], want[i], rtol=1e-5, atol=1e-5)

    _threads(work, 4)


def test_benchmark_and_run_at_once_on_one_runner(exported):
    e = exported("cnn")
    runner = etkit.Runner(e.path)
    inputs = [e.random_inputs(s) for s in range(2)]
    want = [e.eager(x)[0] for x in inputs]
    reports = []

    def work(i):
        if i < 2:  # runners
            for _ in range(40):
                np.testing.assert_allclose(runner.run(inputs[i])[0], want[i], rtol=1e-5, atol=1e-5)
        else:  # benchmarks, on their own inputs, interleaved with the runs
            for _ in range(3):
                reports.append(runner.benchmark(warmup=1, iterations=50, min_seconds=0, inputs=inputs[i - 2]))

    _threads(work, 4)
    assert len(reports) == 6 and all(r["iterations"] == 50 for r in reports)
    # The runs' inputs were not left behind for a later run to see.
    np.testing.assert_allclose(runner.run(inputs[0])[0], want[0], rtol=1e-5, atol=1e-5)


def test_several_runners_on_one_file(exported):
    e = exported("two_io")
    runners = [etkit.Runner(e.path) for _ in range(4)]
    inputs = [e.random_inputs(s) for s in range(4)]
    want = [e.eager(x) for x in inputs]

    def work(i):
        for _ in range(50):
            got = runners[i].run(inputs[i])
            for g, w in zip(got, want[i]):
                np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)

    _threads(work, 4)


def test_runners_made_and_dropped_while_others_run(exported):
    e = exported("mlp")
    x = e.random_inputs(0)
    want = e.eager(x)[0]
    keep = etkit.Runner(e.path)

    def work(i):
        for _ in range(10):
            r = keep if i == 0 else etkit.Runner(e.path)
            np.testing.assert_allclose(r.run(x)[0], want, rtol=1e-5, atol=1e-5)

    _threads(work, 3)


@pytest.fixture(scope="module")
def mlp(exported):
    e = exported("mlp")
    return e, etkit.Runner(e.path)


def _runner_cases(path):
    return {
        "path int": (lambda: etkit.Runner(3), ArgumentError),
        "path None": (lambda: etkit.Runner(None), ArgumentError),
        "path with NUL": (lambda: etkit.Runner(str(path) + "\0x"), ArgumentError),
        "path undecodable": (lambda: etkit.Runner("\udcff.pte"), ProgramError),
        "path a folder": (lambda: etkit.Runner(path.parent), ProgramError),
        "path /dev/zero": (lambda: etkit.Runner("/dev/zero"), ProgramError),
        "method int": (lambda: etkit.Runner(path, method=3), ArgumentError),
        "method None": (lambda: etkit.Runner(path, method=None), ArgumentError),
        "method unknown": (lambda: etkit.Runner(path, method="nope"), MethodNotFoundError),
        "threads str": (lambda: etkit.Runner(path, threads="2"), ArgumentError),
        "threads float": (lambda: etkit.Runner(path, threads=2.5), ArgumentError),
        "threads bool": (lambda: etkit.Runner(path, threads=True), ArgumentError),
        "threads 0": (lambda: etkit.Runner(path, threads=0), ArgumentError),
        "threads 2**100": (lambda: etkit.Runner(path, threads=2**100), ArgumentError),
    }


@pytest.mark.parametrize("case", list(_runner_cases(None)))
def test_bad_runner_arguments_raise_etkit_errors(mlp, case):
    e, _ = mlp
    call, error = _runner_cases(e.path)[case]
    with pytest.raises(error) as info:
        call()
    assert str(info.value)


def _run_cases(runner, good):
    return {
        "None": (lambda: runner.run(None), InputError),
        "int": (lambda: runner.run(3), InputError),
        "str": (lambda: runner.run("abc"), InputError),
        "dict": (lambda: runner.run({0: good}), InputError),
        "a bare array": (lambda: runner.run(good), InputError),
        "list of lists": (lambda: runner.run([good.tolist()]), InputError),
        "numpy scalar": (lambda: runner.run([np.float32(1)]), InputError),
        "0-d array": (lambda: runner.run([np.array(1.0, np.float32)]), InputError),
        "zero-size array": (lambda: runner.run([np.zeros((0,) + good.shape[1:], np.float32)]), InputError),
        "huge strided view": (lambda: runner.run([np.broadcast_to(np.float32(0), (2**20, 2**20))]), InputError),
        "object array": (lambda: runner.run([good.astype(object)]), InputError),
        "str array": (lambda: runner.run([good.astype(str)]), InputError),
        "complex": (lambda: runner.run([good.astype(np.complex64)]), InputError),
        "big-endian": (lambda: runner.run([good.astype(">f4")]), InputError),
        "float64": (lambda: runner.run([good.astype(np.float64)]), InputError),
        "datetime": (lambda: runner.run([np.zeros(good.shape, "M8[s]")]), InputError),
        "structured": (lambda: runner.run([np.zeros(good.shape, [("a", "f4")])]), InputError),
        "64 dimensions": (lambda: runner.run([np.zeros((1,) * 64, np.float32)]), InputError),
        "two inputs": (lambda: runner.run([good, good]), InputError),
        "no inputs": (lambda: runner.run([]), InputError),
        "benchmark iterations str": (lambda: runner.benchmark(iterations="3"), ArgumentError),
        "benchmark iterations 2**70": (lambda: runner.benchmark(iterations=2**70), ArgumentError),
        "benchmark iterations -1": (lambda: runner.benchmark(iterations=-1), ArgumentError),
        "benchmark min_seconds nan": (lambda: runner.benchmark(min_seconds=float("nan")), ArgumentError),
        "benchmark min_seconds str": (lambda: runner.benchmark(min_seconds="1"), ArgumentError),
        "benchmark seed -1": (lambda: runner.benchmark(seed=-1, iterations=1), ArgumentError),
        "benchmark inputs array": (lambda: runner.benchmark(inputs=good, iterations=1), InputError),
        "profile runs str": (lambda: runner.profile(runs="x"), ArgumentError),
        "profile runs 2**70": (lambda: runner.profile(runs=2**70), ArgumentError),
        "profile runs 0": (lambda: runner.profile(runs=0), ArgumentError),
    }


@pytest.mark.parametrize("case", list(_run_cases(None, np.zeros(1))))
def test_bad_run_arguments_raise_etkit_errors(mlp, case):
    e, runner = mlp
    good = e.random_inputs(0)[0]
    call, error = _run_cases(runner, good)[case]
    with pytest.raises(error) as info:
        call()
    assert str(info.value)
    # The runner still works afterwards.
    np.testing.assert_allclose(runner.run([good])[0], e.eager([good])[0], rtol=1e-5, atol=1e-5)


def test_odd_but_valid_arrays_run(mlp):
    e, runner = mlp
    good = e.random_inputs(0)[0]
    want = e.eager([good])[0]
    unaligned = np.frombuffer(b"\0" + good.tobytes(), np.uint8)[1:].view(np.float32).reshape(good.shape)
    readonly = good.copy()
    readonly.flags.writeable = False
    fortran = np.asfortranarray(good)
    for x in (unaligned, readonly, fortran, good.view(np.recarray), np.ma.masked_array(good)):
        np.testing.assert_allclose(runner.run([x])[0], want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(runner.run((x for x in [good]))[0], want, rtol=1e-5, atol=1e-5)


def test_undecodable_path_is_kept(tmp_path, mlp):
    e, _ = mlp
    odd = tmp_path / "caf\udce9.pte"  # a Latin-1 file name on a UTF-8 system
    odd.write_bytes(e.path.read_bytes())
    runner = etkit.Runner(odd)
    assert runner.path == str(odd)
    assert isinstance(repr(runner), str)
    with pytest.raises(EtkitError):
        etkit.Runner(tmp_path / "missing\udce9.pte")


def test_a_failed_runtime_check_is_an_exception_not_a_dead_interpreter(float_ids, mlp):
    runner = etkit.Runner(float_ids)
    ids = [np.ones(runner.inputs[0].shape, np.float32)]
    with pytest.raises(ExecutionError, match=r"stopped on a failed check: In function embedding_out\(\)"):
        runner.run(ids)
    # Its state is unknown after that: it refuses, the interpreter goes on.
    for again in (lambda: runner.run(ids), lambda: runner.benchmark(warmup=0, iterations=2, min_seconds=0)):
        with pytest.raises(ExecutionError, match="can't run again"):
            again()
    e, good = mlp
    x = e.random_inputs(0)
    np.testing.assert_allclose(good.run(x)[0], e.eager(x)[0], rtol=1e-5, atol=1e-5)


def test_et_run_reports_a_failed_runtime_check(float_ids, run_et):
    proc = run_et(float_ids)
    assert proc.returncode == 1
    assert "executing method 'forward' failed: the ExecuTorch runtime stopped on a failed check: " \
           "In function embedding_out()" in proc.stderr


def test_a_failed_check_keeps_its_message_after_executorch_loads_its_runtime(float_ids):
    """executorch's Python runtime registers its own log hook when it loads;
    the core takes it back, so the check's text still reaches the error."""
    runner = etkit.Runner(float_ids)
    from executorch.runtime import Runtime

    Runtime.get()
    with pytest.raises(ExecutionError, match=r"stopped on a failed check: In function embedding_out\(\)"):
        runner.run([np.ones(runner.inputs[0].shape, np.float32)])


# ---- Names from a hostile file never reach the terminal raw -------------------


def _renamed(exported, tmp_path, method: str, operator: str):
    """The portable MLP with its method and first operator renamed."""
    from executorch.exir._serialize._program import deserialize_pte_binary, serialize_pte_binary

    pte = deserialize_pte_binary(exported("mlp", "portable").path.read_bytes())
    plan = pte.program.execution_plan[0]
    plan.name = method
    plan.operators[0].name = operator
    path = tmp_path / "hostile.pte"
    path.write_bytes(bytes(serialize_pte_binary(pte)))
    return path


@pytest.mark.parametrize("method,operator", [
    ("forward\x1b]0;owned\x07", "aten::addmm"),    # a terminal title escape in a method name
    ("forward", "aten::addmm\x1b[2J\x9b"),          # clear-screen, and a C1 control, in an operator name
    ("forward\u202e", "aten::\u2066addmm"),         # text direction overrides
])
def test_hostile_names_are_escaped(exported, run_et, tmp_path, method, operator):
    from pte_fuzz import unsafe_text

    path = _renamed(exported, tmp_path, method, operator)
    for args in ([path], [path, "--method", method], [path, "--describe"], [path, "--profile"]):
        done = subprocess.run([etkit.tools.et_run_path(), *map(str, args)], capture_output=True)
        for stream in (done.stdout, done.stderr):
            assert unsafe_text(stream) is None, stream
            assert b"\\x1b" in stream or b"\x1b" not in stream
    shown = subprocess.run([sys.executable, "-m", "etkit", "inspect", str(path)], capture_output=True)
    assert unsafe_text(shown.stdout) is None and unsafe_text(shown.stderr) is None
    assert shown.returncode == 0 and b"\\x" in shown.stdout
    try:
        etkit.Runner(path, method=method)
    except EtkitError as e:
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u202e\u2066" for c in str(e)), str(e)


def test_invalid_utf8_in_a_name_is_refused_or_escaped(exported, run_et, tmp_path):
    from pte_fuzz import unsafe_text

    data = exported("mlp", "portable").path.read_bytes()
    at = data.index(b"aten::addmm") if b"aten::addmm" in data else data.index(b"addmm")
    path = tmp_path / "bytes.pte"
    path.write_bytes(data[:at] + b"\xff\xfe\x1b" + data[at + 3:])
    done = subprocess.run([etkit.tools.et_run_path(), str(path)], capture_output=True)
    assert unsafe_text(done.stdout) is None and unsafe_text(done.stderr) is None, done.stderr
    assert done.returncode in (0, 1)
