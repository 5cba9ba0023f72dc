"""etkit.export: quantization, verification, dynamic shapes, several methods, progress.

Quantized exports take seconds each: each is made once per session (module
fixtures) on the small test models.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.export import Dim

import etkit
from etkit.exporter import STAGES, compare_outputs
from models import MODELS
from conftest import etkit_cmd

INT8_COSINE_FLOOR = 0.99


def _export(*args, **kwargs) -> etkit.ExportReport:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return etkit.export(*args, **kwargs)


def _eager(model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    with torch.no_grad():
        out = model(*[torch.from_numpy(x) for x in inputs])
    return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]


def _random(shape, seed) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# -- quantization -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cnn_int8(tmp_path_factory):
    model, example = MODELS["cnn"]()
    calibration = [(torch.from_numpy(_random((1, 3, 16, 16), seed)),) for seed in range(8)]
    path = tmp_path_factory.mktemp("q") / "cnn_int8.pte"
    stages = []
    report = _export(model, example, path, quantize="int8", calibration=calibration, progress=stages.append)
    return model, path, report, stages


@pytest.mark.slow
def test_int8_static_cnn_is_close_to_eager(cnn_int8):
    model, path, report, stages = cnn_int8
    assert report.quantize == "int8" and report.delegated_subgraphs >= 1
    assert stages == ["capture", "quantize", "lower", "serialize", "verify"]
    acc = report.accuracy["forward"]
    assert acc.cosine_similarity >= INT8_COSINE_FLOOR and acc.max_abs_error > 0  # int8 is not exact
    runner = etkit.Runner(path)
    for seed in range(10, 13):  # inputs it was not calibrated on
        x = [_random((1, 3, 16, 16), seed)]
        got, want = runner.run(x), _eager(model, x)
        assert compare_outputs(got, want).cosine_similarity >= INT8_COSINE_FLOOR


@pytest.mark.slow
def test_int8_dynamic_mlp(tmp_path):
    model, example = MODELS["mlp"]()
    report = _export(model, example, tmp_path / "d.pte", quantize="int8-dynamic")
    assert report.accuracy["forward"].cosine_similarity >= INT8_COSINE_FLOOR
    x = [_random((1, 20), 3)]
    got = etkit.Runner(tmp_path / "d.pte").run(x)
    assert compare_outputs(got, _eager(model, x)).cosine_similarity >= INT8_COSINE_FLOOR


@pytest.mark.slow
def test_int8_portable_from_cli_with_calibration(tmp_path):
    """Portable int8 needs executorch's export-time quantized plugin in the process that then verifies the
    program in etkit's runtime, which links its own quantized kernels: both must coexist. A fresh process,
    because the plugin takes over the runtime's log routing for the rest of the process."""
    model, _ = MODELS["mlp"]()
    np.savez(tmp_path / "cal.npz", _random((16, 1, 20), 0))
    out = tmp_path / "q.pte"
    done = etkit_cmd("export", "tiny-classifier", "-o", out, "--backend", "portable", "--quantize", "int8",
                     "--calibration", tmp_path / "cal.npz")
    assert done.returncode == 0, done.stderr
    assert "verified forward" in done.stdout and "cosine" in done.stdout
    runner = etkit.Runner(out)
    assert runner.backends == []  # every quantized operator ran on etkit's linked kernels
    x = [_random((1, 20), 5)]
    assert compare_outputs(runner.run(x), _eager(model, x)).cosine_similarity >= INT8_COSINE_FLOOR


@pytest.mark.parametrize("arrays, message", [
    ({"x": np.zeros((4, 20), np.float32)}, "expected [N, 1, 20]"),
    ({"x": np.zeros((4, 1, 20), np.float32), "y": np.zeros((4, 1, 20), np.float32)}, "has 2 array(s)"),
    ({"x": np.zeros((4, 1, 20), np.int64)}, "is int64; input 0 is torch.float32"),
    ({"x": np.zeros((0, 1, 20), np.float32)}, "holds no samples"),
])
def test_calibration_file_that_does_not_fit(tmp_path, etkit_main, arrays, message):  # noqa: F811
    np.savez(tmp_path / "cal.npz", **arrays)
    done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "x.pte", "--quantize", "int8",
                      "--calibration", tmp_path / "cal.npz")
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "x.pte").exists()


def test_calibration_file_errors(tmp_path, etkit_main):  # noqa: F811
    (tmp_path / "junk.npz").write_text("not a zip")
    for args, message in [
        (["--quantize", "int8", "--calibration", tmp_path / "absent.npz"], "does not exist"),
        (["--quantize", "int8", "--calibration", tmp_path / "junk.npz"], "cannot read calibration file"),
        (["--calibration", tmp_path / "junk.npz"], "--calibration is for --quantize int8"),
    ]:
        done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "x.pte", *args)
        assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_unknown_choices_raise_export_error(tmp_path):
    model, example = MODELS["mlp"]()
    with pytest.raises(etkit.ExportError, match="unknown quantize 'int4'"):
        etkit.export(model, example, tmp_path / "x.pte", quantize="int4")
    with pytest.raises(etkit.ExportError, match="unknown backend 'gpu'"):
        etkit.export(model, example, tmp_path / "x.pte", backend="gpu")
    with pytest.raises(etkit.ExportError, match="calibration sample 0 has 2 input"):
        etkit.export(model, example, tmp_path / "x.pte", quantize="int8", calibration=[(example[0], example[0])])


# -- verification -------------------------------------------------------------------------------------------


def test_fp32_export_is_verified_against_eager(exported, tmp_path):
    model, example = MODELS["two_io"]()
    report = _export(model, example, tmp_path / "v.pte")
    assert report.verified and set(report.accuracy) == {"forward"}
    assert report.accuracy["forward"].max_abs_error < 1e-5
    assert report.accuracy["forward"].cosine_similarity > 0.999999
    assert "verified forward" in report.summary()
    unverified = _export(model, example, tmp_path / "n.pte", verify=False)
    assert unverified.accuracy is None and "verify" not in unverified.stage_seconds


_lib = None


def _custom_op_model():
    """A model using an operator that etkit's runtime does not link: exports, but cannot load."""
    global _lib
    if _lib is None:
        _lib = torch.library.Library("etkit_test", "DEF")
        _lib.define("twice(Tensor x) -> Tensor")
        _lib.define("twice.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)")
        _lib.impl("twice", lambda x: x * 2, "CompositeExplicitAutograd")
        _lib.impl("twice.out", lambda x, *, out: out.copy_(x * 2), "CompositeExplicitAutograd")

    class UsesCustomOp(nn.Module):
        def forward(self, x):
            return torch.ops.etkit_test.twice(x) + 1

    return UsesCustomOp(), (torch.randn(2, 3),)


def test_missing_operator_fails_at_export(tmp_path):
    import executorch.kernels.quantized  # noqa: F401  (registers its own runtime log hook)
    from executorch.runtime import Runtime

    Runtime.get()  # so does executorch's Python runtime
    model, example = _custom_op_model()
    with pytest.raises(etkit.ExportError) as info:
        _export(model, example, tmp_path / "c.pte", backend="portable")
    message = str(info.value)
    # The runtime's own line names the operator, even in a process that also loaded executorch's Python
    # runtime or its quantized plugin (each registers its own log hook; etkit takes it back).
    assert "does not load in etkit's runtime" in message and "OperatorMissing" in message
    assert "etkit_test::twice.out" in message
    # Without verification it is written, and fails only when loaded.
    report = _export(model, example, tmp_path / "c.pte", backend="portable", verify=False)
    assert report.accuracy is None and "not verified" in report.summary()
    with pytest.raises(etkit.ExecutionError, match="OperatorMissing"):
        etkit.Runner(tmp_path / "c.pte").run([np.zeros((2, 3), np.float32)])


def test_missing_operator_from_cli(tmp_path):
    (tmp_path / "custom.py").write_text(
        "import torch\n"
        "lib = torch.library.Library('etkit_test', 'DEF')\n"
        "lib.define('twice(Tensor x) -> Tensor')\n"
        "lib.define('twice.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)')\n"
        "lib.impl('twice', lambda x: x * 2, 'CompositeExplicitAutograd')\n"
        "lib.impl('twice.out', lambda x, *, out: out.copy_(x * 2), 'CompositeExplicitAutograd')\n"
        "class UsesCustomOp(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return torch.ops.etkit_test.twice(x) + 1\n"
    )
    done = etkit_cmd("export", f"{tmp_path / 'custom.py'}:UsesCustomOp", "-o", tmp_path / "c.pte",
                     "--input-shape", "2x3", "--backend", "portable")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "OperatorMissing" in done.stderr and "etkit_test::twice.out" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_model_export_cannot_capture(tmp_path):
    class DataDependent(nn.Module):
        def forward(self, x):
            return x * 2 if x.sum() > 0 else -x

    with pytest.raises(etkit.ExportError, match="torch.export could not capture DataDependent") as info:
        _export(DataDependent(), (torch.randn(3),), tmp_path / "x.pte")
    assert "data-dependent" in str(info.value) and "x.sum() > 0" in str(info.value)  # the cause and the line
    assert len(str(info.value)) < 600  # not torch's pages of advice
    assert not (tmp_path / "x.pte").exists()


def test_model_export_cannot_capture_from_cli(tmp_path, etkit_main):  # noqa: F811
    (tmp_path / "dd.py").write_text(
        "import torch\n"
        "class DataDependent(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x * 2 if x.sum() > 0 else -x\n"
    )
    done = etkit_main("export", f"{tmp_path / 'dd.py'}:DataDependent", "-o", tmp_path / "x.pte", "--input-shape", "3")
    assert done.returncode == 1 and "could not capture DataDependent" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "def forward" not in done.stderr


# -- dynamic shapes -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cnn_dynamic(tmp_path_factory):
    model, example = MODELS["cnn"]()
    path = tmp_path_factory.mktemp("dyn") / "cnn_dyn.pte"
    report = _export(model, example, path, dynamic_shapes=({0: Dim("batch", min=1, max=4)},))
    return model, path, report


def test_dynamic_batch_runner(cnn_dynamic):
    model, path, report = cnn_dynamic
    assert report.accuracy["forward"].max_abs_error < 1e-5
    runner = etkit.Runner(path)
    assert runner.inputs[0].dynamism == "bounded" and runner.inputs[0].shape == (4, 3, 16, 16)
    for batch in (1, 2, 4):
        x = [_random((batch, 3, 16, 16), batch)]
        (got,) = runner.run(x)
        assert got.shape == (batch, 5)
        np.testing.assert_allclose(got, _eager(model, x)[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(etkit.InputError, match=r"within the bounds \[4, 3, 16, 16\].*dimension 0 is 5"):
        runner.run([_random((5, 3, 16, 16), 0)])


def test_dynamic_batch_et_run(cnn_dynamic, run_et, tmp_path):
    model, path, _ = cnn_dynamic
    x = _random((3, 3, 16, 16), 7)
    np.save(tmp_path / "x.npy", x)
    done = run_et(path, "--input", tmp_path / "x.npy", "--output-dir", tmp_path)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(np.load(tmp_path / "output_0.npy"), _eager(model, [x])[0], rtol=1e-5, atol=1e-5)
    np.save(tmp_path / "big.npy", _random((6, 3, 16, 16), 0))
    done = run_et(path, "--input", tmp_path / "big.npy")
    assert done.returncode == 1 and "[4, 3, 16, 16]" in done.stderr, done.stderr


def test_dynamic_from_cli(tmp_path, etkit_main):  # noqa: F811
    out = tmp_path / "d.pte"
    done = etkit_main("export", "tiny-classifier", "-o", out, "--dynamic", "batch=1..8")
    assert done.returncode == 0, done.stderr
    runner = etkit.Runner(out)
    assert runner.inputs[0].shape == (8, 20) and runner.inputs[0].dynamic
    model, _ = MODELS["mlp"]()
    x = [_random((6, 20), 1)]
    np.testing.assert_allclose(runner.run(x)[0], _eager(model, x)[0], rtol=1e-5, atol=1e-5)


def test_dynamic_batch_is_verified_at_its_smallest_and_largest_sizes(cnn_dynamic):
    _, _, report = cnn_dynamic
    assert report.accuracy["forward"].input_shapes == [[[1, 3, 16, 16]], [[4, 3, 16, 16]]]
    assert "worst of 2 input sizes" in report.summary()


def test_a_program_that_takes_less_than_asked_is_refused(tmp_path):
    # Exported at batch 1, this model's program came out bounded at batch 2 of the 8 asked.
    model, example = MODELS["bn_head"]()
    path = tmp_path / "short.pte"
    with pytest.raises(etkit.ExportError) as info:
        _export(model, example, path, dynamic_shapes={"x": {0: Dim("batch", min=1, max=8)}})
    message = str(info.value)
    assert "input 0 (x) dimension 0 (batch): asked up to 8, the program takes at most 2" in message, message
    assert "specialized it to be a constant (1)" in message  # the likely cause, from plain torch.export
    assert "example inputs at the largest sizes asked (batch=8)" in message  # the way out
    assert not path.exists() and not list(tmp_path.iterdir())  # nothing left on disk

    # The hint works: at batch 8 the program takes every batch from 1 to 8, as eager does.
    big = (torch.randn(8, 3, 16, 16),)
    report = _export(model, big, path, dynamic_shapes=({0: Dim("batch", min=1, max=8)},))
    assert report.accuracy["forward"].input_shapes == [[[8, 3, 16, 16]], [[1, 3, 16, 16]]]
    runner = etkit.Runner(path)
    assert runner.inputs[0].shape == (8, 3, 16, 16)
    for batch in (1, 4, 8):
        x = [_random((batch, 3, 16, 16), batch)]
        np.testing.assert_allclose(runner.run(x)[0], _eager(model, x)[0], rtol=1e-4, atol=1e-5)


def test_dynamic_verification_fails_where_eager_fails(tmp_path):
    class NeedsTwo(nn.Module):  # eager rejects a batch of one (which torch.export does not see)
        def forward(self, x):
            if not torch.compiler.is_exporting() and x.shape[0] < 2:
                raise ValueError("needs a batch of two or more")
            return x * 2

    with pytest.raises(etkit.ExportError, match=r"eager PyTorch fails on forward at input shape\(s\) \[1, 3\]"):
        _export(NeedsTwo(), (torch.randn(3, 3),), tmp_path / "n.pte", backend="portable",
                dynamic_shapes=({0: Dim("batch", min=1, max=4)},))


@pytest.mark.parametrize("spec, message", [
    ("batch=1-8", "expected DIM=MIN..MAX"),
    ("batch=4..2", "need 1 <= MIN <= MAX"),
    ("2=1..8", "input 0 has 2 dimension(s)"),
    ("3:0=1..8", "the model has 1 input(s)"),
    ("batch=2..8", "example input 0 has size 1 in dimension 0, outside 2..8"),
])
def test_bad_dynamic_flag(tmp_path, etkit_main, spec, message):  # noqa: F811
    done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "x.pte", "--dynamic", spec)
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_dynamic_for_one_input(tmp_path):
    model, example = MODELS["two_io"]()
    shapes = etkit.exporter.parse_dynamic(["1:0=1..5"], example)
    assert shapes[0] == {} and shapes[1][0].max == 5  # noqa: PLR2004
    # torch.export finds that the two batch sizes must be equal (they are added): name the cause.
    with pytest.raises(etkit.ExportError, match="could not capture.*input1_dim0"):
        _export(model, example, tmp_path / "x.pte", dynamic_shapes=shapes)
    both = etkit.exporter.parse_dynamic(["batch=1..5"], example)
    report = _export(model, example, tmp_path / "ok.pte", dynamic_shapes=both)
    runner = etkit.Runner(tmp_path / "ok.pte")
    x = [_random((5, 6), 0), _random((5, 4), 1)]
    for g, w in zip(runner.run(x), _eager(model, x)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    assert report.accuracy["forward"].max_abs_error < 1e-5


# -- several methods ----------------------------------------------------------------------------------------


class AutoEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Linear(8, 3)
        self.dec = nn.Linear(3, 8)

    def encode(self, x):
        return torch.tanh(self.enc(x))

    def decode(self, z):
        return self.dec(z)

    def forward(self, x):
        return self.decode(self.encode(x))


@pytest.fixture(scope="module")
def autoencoder(tmp_path_factory):
    torch.manual_seed(0)
    model = AutoEncoder().eval()
    path = tmp_path_factory.mktemp("methods") / "ae.pte"
    report = _export(model, (torch.randn(2, 8),), path,
                     methods={"encode": (model.encode, (torch.randn(2, 8),)),
                              "decode": (model.decode, (torch.randn(2, 3),))},
                     bundled_program=path.with_suffix(".bpte"))
    return model, path, report


def test_several_methods_runner(autoencoder):
    model, path, report = autoencoder
    assert report.methods == ["forward", "encode", "decode"]
    assert all(a.max_abs_error < 1e-5 for a in report.accuracy.values())
    x, z = _random((2, 8), 0), _random((2, 3), 1)
    with torch.no_grad():
        want = {"forward": model(torch.from_numpy(x)), "encode": model.encode(torch.from_numpy(x)),
                "decode": model.decode(torch.from_numpy(z))}
    for name, inputs in [("forward", [x]), ("encode", [x]), ("decode", [z])]:
        runner = etkit.Runner(path, method=name)
        assert sorted(runner.method_names) == ["decode", "encode", "forward"]
        np.testing.assert_allclose(runner.run(inputs)[0], want[name].numpy(), rtol=1e-5, atol=1e-5)


def test_several_methods_et_run(autoencoder, run_et, tmp_path):
    model, path, _ = autoencoder
    x = _random((2, 8), 3)
    np.save(tmp_path / "x.npy", x)
    done = run_et(path, "--method", "encode", "--input", tmp_path / "x.npy", "--output-dir", tmp_path)
    assert done.returncode == 0, done.stderr
    with torch.no_grad():
        want = model.encode(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.load(tmp_path / "output_0.npy"), want, rtol=1e-5, atol=1e-5)


def test_bad_methods_argument(tmp_path):
    model = AutoEncoder().eval()
    x = (torch.randn(2, 8),)
    for methods, message in [
        ({"forward": (model, x)}, "given twice"),
        ({"bad name": (model.encode, x)}, "not an identifier"),
        ({"encode": model.encode}, r"expected \(module_or_callable, example_inputs"),
        ({"encode": (42, x)}, "not a module or a callable"),
    ]:
        with pytest.raises(etkit.ExportError, match=message):
            etkit.export(model, x, tmp_path / "x.pte", methods=methods)


def test_progress_stages_in_order(exported, tmp_path, etkit_main):  # noqa: F811
    assert STAGES == ("capture", "quantize", "lower", "serialize", "bundle", "verify")
    done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "p.pte")
    assert done.returncode == 0, done.stderr
    shown = [s for s in STAGES if f"] {s}..." in done.stderr]
    assert shown == ["capture", "lower", "serialize", "verify"], done.stderr
    assert "stages: capture" in done.stdout


# -- bundled test vectors -----------------------------------------------------------------------------------


def test_bundled_program_verifies_on_et_run(autoencoder, run_et):
    _, path, report = autoencoder
    bpte = path.with_suffix(".bpte")
    assert report.bundled_program == str(bpte) and "et-run --verify" in report.summary()
    done = run_et(bpte, "--verify")
    assert done.returncode == 0, done.stdout + done.stderr
    for method in ("forward", "encode", "decode"):
        assert f"ok       {method} case 0" in done.stdout
    assert "3 passed, 0 failed" in done.stdout
    done = run_et(bpte, "--verify", "--method", "encode")
    assert done.returncode == 0 and "1 passed, 0 failed" in done.stdout, done.stdout + done.stderr


def test_bundled_program_from_cli(tmp_path, etkit_main, run_et):  # noqa: F811
    done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "t.pte", "--bundled-program", tmp_path / "t.bpte")
    assert done.returncode == 0, done.stderr
    done = run_et(tmp_path / "t.bpte", "--verify")
    assert done.returncode == 0 and "1 passed, 0 failed" in done.stdout, done.stdout + done.stderr


def test_bundled_mismatch_exits_1_with_the_errors(exported, run_et, tmp_path):
    """Expected outputs that the program does not produce (eager's plus one) must fail --verify."""
    from executorch.devtools.bundled_program.config import MethodTestCase, MethodTestSuite
    from executorch.devtools.bundled_program.core import BundledProgram
    from executorch.devtools.bundled_program.serialize import serialize_from_bundled_program_to_flatbuffer

    e = exported("two_io")
    x = [torch.from_numpy(a) for a in e.random_inputs(0)]
    wrong = [torch.from_numpy(o) + 1 for o in e.eager(e.random_inputs(0))]
    right = [torch.from_numpy(o) for o in e.eager(e.random_inputs(0))]
    suites = [MethodTestSuite("forward", [MethodTestCase(inputs=x, expected_outputs=right),
                                          MethodTestCase(inputs=x, expected_outputs=wrong)])]
    bpte = tmp_path / "wrong.bpte"
    bpte.write_bytes(serialize_from_bundled_program_to_flatbuffer(
        BundledProgram(None, suites, pte_file_path=str(e.path))))
    done = run_et(bpte, "--verify")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ok       forward case 0" in done.stdout
    assert "MISMATCH forward case 1" in done.stdout and "output 0: 6 of 6 element(s) differ" in done.stdout
    assert "1 passed, 1 failed" in done.stdout
    # a tolerance wide enough accepts it
    done = run_et(bpte, "--verify", "--atol", "1.5")
    assert done.returncode == 0 and "2 passed, 0 failed" in done.stdout, done.stdout + done.stderr


def test_bundled_bad_use(exported, run_et, tmp_path):
    e = exported("mlp")
    done = run_et(e.path, "--verify")
    assert done.returncode == 1 and "not a bundled program (.bpte)" in done.stderr
    done = run_et(e.path, "--atol", "1")
    assert done.returncode == 2 and "needs --verify" in done.stderr
    _export(*MODELS["mlp"](), tmp_path / "m.pte", bundled_program=tmp_path / "m.bpte", verify=False)
    done = run_et(tmp_path / "m.bpte")
    assert done.returncode == 1 and "check it with --verify" in done.stderr
    done = run_et(tmp_path / "m.bpte", "--verify", "--bench")
    assert done.returncode == 2
    done = run_et(tmp_path / "m.bpte", "--verify", "--method", "nope")
    assert done.returncode == 1 and "no test cases for method 'nope'" in done.stderr
    data = (tmp_path / "m.bpte").read_bytes()
    (tmp_path / "cut.bpte").write_bytes(data[: len(data) // 2])
    done = run_et(tmp_path / "cut.bpte", "--verify")
    assert done.returncode == 1 and "not a well-formed bundled program" in done.stderr, done.stderr


class _Attention(torch.nn.Module):
    """q, k, v unpacked from one projection and batched matmuls over heads:
    torch leaves squeeze_copy and identity expand_copy operators in the graph."""

    def __init__(self, dim: int = 16, heads: int = 2):
        super().__init__()
        self.heads, self.qkv, self.out = heads, torch.nn.Linear(dim, 3 * dim), torch.nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
        return self.out((attn @ v).transpose(1, 2).reshape(b, t, d))


def test_shape_operators_do_not_split_the_xnnpack_program(tmp_path):
    torch.manual_seed(0)
    model, x = _Attention().eval(), torch.randn(1, 6, 16)
    report = etkit.export(model, (x,), tmp_path / "attn.pte")
    method = etkit.inspect(tmp_path / "attn.pte")["methods"][0]
    assert not any("expand_copy" in op or "squeeze_copy" in op for op in method["operators"]), method["operators"]
    assert len(method["delegates"]) == 1  # one XNNPACK call for the whole method
    assert report.accuracy["forward"].max_abs_error < 1e-5


def test_shape_passes_leave_dynamic_shapes_alone(tmp_path):
    torch.manual_seed(0)
    model = _Attention().eval()
    seq = torch.export.Dim("seq", min=2, max=8)
    path = tmp_path / "attn_dyn.pte"
    etkit.export(model, (torch.randn(1, 6, 16),), path, dynamic_shapes={"x": {1: seq}})
    runner = etkit.Runner(path)
    for t in (2, 5, 8):
        x = torch.randn(1, t, 16)
        np.testing.assert_allclose(runner.run([x.numpy()])[0], model(x).detach().numpy(), rtol=1e-4, atol=1e-5)


# -- example inputs that hold nothing, and torch's noise on a failed capture ---------------------------------


def test_zero_sized_example_is_refused(tmp_path):
    path = tmp_path / "empty.pte"
    with pytest.raises(etkit.ExportError, match=r"example input 0 has shape \[0, 20\], which holds no elements"):
        _export(MODELS["mlp"]()[0], (torch.zeros(0, 20),), path)
    assert not path.exists()


def test_outputs_with_no_elements_are_not_called_verified(tmp_path):
    class Nothing(nn.Module):
        def forward(self, x):
            return x[:, :0] * 2  # a real input, an empty output: nothing to compare

    with pytest.raises(etkit.ExportError, match="outputs hold no elements, so there is nothing to compare"):
        _export(Nothing(), (torch.randn(2, 3),), tmp_path / "n.pte", backend="portable")


def test_zero_sized_input_shape_from_cli(tmp_path):
    out = tmp_path / "z.pte"
    done = etkit_cmd("export", "mobile-cnn", "-o", out, "--input-shape", "0x3x32x32")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "every dimension must be 1 or more" in done.stderr and "verified" not in done.stdout
    assert not out.exists()


def test_wrong_input_shape_for_a_builtin_model_is_one_clean_error(tmp_path):
    done = etkit_cmd("export", "tiny-classifier", "-o", tmp_path / "w.pte", "--input-shape", "1x3x32x32")
    assert done.returncode == 1, done.stderr
    # etkit's own lines only: the stage shown, then one error line; no torch traceback logged before it.
    lines = done.stderr.splitlines()
    assert [x for x in lines if not x.startswith(("exporting ", "  [", "etkit: error: "))] == [], done.stderr
    (error,) = [x for x in lines if x.startswith("etkit: error: ")]
    assert "could not capture TinyClassifier" in error and "[20, 64]" in error
    assert "tiny-classifier takes float32[1, 20]" in error


# -- one vocabulary for export's summary and etkit inspect ---------------------------------------------------


def test_export_summary_and_inspect_count_in_the_same_named_units(exported, tmp_path, etkit_main):
    from etkit.inspection import format_inspection

    model, example = MODELS["cnn"]()
    path = tmp_path / "c.pte"
    report = _export(model, example, path)
    info = etkit.inspect(path)
    (delegate,) = info["methods"][0]["delegates"]
    # The XNNPACK nodes export reports are the ones inspect reads from the file.
    assert report.xnnpack_nodes == delegate["nodes"] and delegate["backend"] == "XnnpackBackend"
    # Fusion makes the two counts differ; each is named by its unit, in both places.
    assert report.delegated_ops > report.xnnpack_nodes
    summary = report.summary()
    assert (f"{report.delegated_ops} ATen operator(s) delegated in {report.delegated_subgraphs} subgraph(s), "
            f"run as {report.xnnpack_nodes} XNNPACK node(s)") in summary
    assert f"{report.xnnpack_nodes} XNNPACK node(s)" in format_inspection(info)
    assert "operators delegated" not in summary and " node(s), " not in format_inspection(info).replace(
        "XNNPACK node(s), ", "")

    portable = _export(model, example, tmp_path / "p.pte", backend="portable")
    assert portable.xnnpack_nodes is None and "XNNPACK" not in portable.summary()
    assert f"0 ATen operator(s) delegated in 0 subgraph(s); {portable.portable_ops} ATen operator(s)" in portable.summary()
