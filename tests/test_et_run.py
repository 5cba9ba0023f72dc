"""et-run end to end: outputs against eager PyTorch, .npy round trips, and every bad input."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import BACKENDS


def _save_inputs(tmp_path, inputs):
    paths = []
    for i, x in enumerate(inputs):
        p = tmp_path / f"in_{i}.npy"
        np.save(p, x)
        paths.append(p)
    return paths


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["mlp", "cnn", "two_io", "tokens"])
def test_outputs_match_eager_pytorch(exported, run_et, tmp_path, name, backend):
    e = exported(name, backend)
    inputs = e.random_inputs(5)
    args = []
    for p in _save_inputs(tmp_path, inputs):
        args += ["--input", p]
    done = run_et(e.path, *args, "--output-dir", tmp_path)
    assert done.returncode == 0, done.stderr
    want = e.eager(inputs)
    for i, w in enumerate(want):
        got = np.load(tmp_path / f"output_{i}.npy")
        assert got.dtype == w.dtype and got.shape == w.shape
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-5)
    assert f"output {len(want) - 1}" in done.stdout


def test_generated_inputs_are_seeded(exported, run_et, tmp_path):
    path = exported("mlp").path
    outs = []
    for seed in (1, 1, 2):
        d = tmp_path / f"s{len(outs)}"
        d.mkdir()
        assert run_et(path, "--seed", seed, "--output-dir", d).returncode == 0
        outs.append(np.load(d / "output_0.npy"))
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], outs[2])


def test_runner_and_et_run_agree_bit_for_bit(exported, run_et, tmp_path):
    import etkit

    e = exported("cnn")
    inputs = e.random_inputs(9)
    (p,) = _save_inputs(tmp_path, inputs)
    assert run_et(e.path, "--input", p, "--output-dir", tmp_path).returncode == 0
    np.testing.assert_array_equal(np.load(tmp_path / "output_0.npy"), etkit.Runner(e.path).run(inputs)[0])


def _bad_files(tmp_path, good: bytes):
    (tmp_path / "empty.pte").write_bytes(b"")
    (tmp_path / "garbage.pte").write_bytes(b"\x01garbage" * 300)
    (tmp_path / "truncated.pte").write_bytes(good[: len(good) // 2])
    (tmp_path / "corrupt.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'")
    (tmp_path / "text.npy").write_text("1 2 3")
    np.save(tmp_path / "f64.npy", np.zeros((1, 20), np.float64))
    np.save(tmp_path / "shape.npy", np.zeros((3, 20), np.float32))
    np.save(tmp_path / "ok.npy", np.zeros((1, 20), np.float32))


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["missing.pte"], 1, "cannot open missing.pte"),
        (["empty.pte"], 1, "empty.pte is empty"),
        (["garbage.pte"], 1, "garbage.pte is not a valid ExecuTorch program"),
        (["truncated.pte"], 1, "truncated.pte is not a valid ExecuTorch program"),
        (["{good}", "--input", "corrupt.npy"], 1, "corrupt.npy is not a valid .npy file"),
        (["{good}", "--input", "text.npy"], 1, "text.npy is not a valid .npy file"),
        (["{good}", "--input", "missing.npy"], 1, "cannot open missing.npy"),
        (["{good}", "--input", "f64.npy"], 1, "dtype float64, expected float32"),
        (["{good}", "--input", "shape.npy"], 1, "has shape [3, 20]"),
        (["{good}", "--input", "ok.npy", "--input", "ok.npy"], 1, "takes 1 input(s), got 2 --input file(s)"),
        (["{good}", "--method", "encode"], 1, "no method 'encode'"),
        (["{good}", "--threads", "0"], 2, "threads must be 1 or more, got 0"),
        (["{good}", "--threads", "100000"], 2, "thread count must be from 1 to 256"),
        (["{good}", "--threads", "many"], 2, "threads must be a number, got 'many'"),
        (["{good}", "--seed", "-3"], 2, "seed must be 0 or more"),
        (["{good}", "--bench", "--iterations", "-1"], 2, "iterations must be 1 or more"),
        (["{good}", "--bench", "--warmup", "-2"], 2, "warmup must be 0 or more"),
        (["{good}", "--bench", "--min-seconds", "-1"], 2, "min-seconds must be 0 or more"),
        (["{good}", "--bench", "--min-seconds", "2", "--max-seconds", "1"], 2, "below --min-seconds"),
        (["{good}", "--iterations", "5"], 2, "needs --bench"),
        (["{good}", "--output-dir", "ok.npy"], 1, "--output-dir ok.npy is not a directory"),
        (["{good}", "--bench", "--json", "missing_dir/b.json"], 1,
         "cannot write --json missing_dir/b.json: No such file or directory"),
        (["{good}", "--bench", "--json", "."], 2, "--json . is a directory"),
        (["{good}", "--etdump", "missing_dir/x.etdp"], 1, "cannot write --etdump missing_dir/x.etdp"),
        (["{good}", "--frobnicate"], 2, "frobnicate"),
        ([], 2, "program"),
    ],
)
def test_bad_input_exits_with_a_message(exported, run_et, tmp_path, monkeypatch, args, code, message):
    good = exported("mlp").path
    _bad_files(tmp_path, good.read_bytes())
    monkeypatch.chdir(tmp_path)
    done = run_et(*[str(good) if a == "{good}" else a for a in args], timeout=60)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr and "terminate called" not in done.stderr
    assert len(done.stderr) < 300  # one clear line, not CLI11's range of doubles
    assert not (tmp_path / "missing_dir").exists()


def test_output_dir_is_made(exported, run_et, tmp_path):
    out = tmp_path / "new" / "nested"
    done = run_et(exported("mlp").path, "--output-dir", out)
    assert done.returncode == 0, done.stderr
    assert (out / "output_0.npy").is_file()


def test_output_paths_are_checked_before_the_benchmark(exported, run_et, tmp_path):
    import time

    start = time.monotonic()
    done = run_et(exported("mlp").path, "--bench", "--min-seconds", "30", "--json", tmp_path / "no" / "b.json")
    assert done.returncode == 1 and "No such file or directory" in done.stderr
    assert time.monotonic() - start < 20  # refused up front, not after 30 s of runs
    assert not list(tmp_path.iterdir())  # and nothing was left behind


def test_help_lists_every_flag(run_et):
    done = run_et("--help")
    assert done.returncode == 0
    assert "Usage: et-run " in done.stdout and "/" not in done.stdout.split("\n")[1]  # no install path
    for flag in ("--method", "--input", "--output-dir", "--seed", "--threads", "--bench", "--warmup",
                 "--iterations", "--min-seconds", "--max-seconds", "--json", "--profile", "--etdump", "--data",
                 "--version"):
        assert flag in done.stdout


def test_et_run_needs_no_environment(exported, et_run, tmp_path):
    """Installed et-run starts from a bare environment: no LD_LIBRARY_PATH, no Python."""
    import subprocess

    done = subprocess.run([et_run, str(exported("mlp").path)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "output 0" in done.stdout
