"""The etkit command: export and the demo."""

from __future__ import annotations

import textwrap

import numpy as np

import etkit
from conftest import etkit_cmd


def test_export_builtin_then_run(tmp_path, run_et):
    out = tmp_path / "t.pte"
    done = etkit_cmd("export", "tiny-classifier", "-o", out)
    assert done.returncode == 0, done.stderr
    assert "delegated" in done.stdout
    ran = run_et(out)
    assert ran.returncode == 0 and "float32[1, 4]" in ran.stdout


def test_export_from_file_with_input_shape(tmp_path, etkit_main):
    (tmp_path / "mymodel.py").write_text(textwrap.dedent("""
        import torch
        class Doubler(torch.nn.Module):
            def forward(self, x, y):
                return x * 2 + y
        def make():
            return Doubler()
    """))
    out = tmp_path / "d.pte"
    done = etkit_main("export", f"{tmp_path / 'mymodel.py'}:Doubler", "-o", out, "--backend", "portable",
                     "--input-shape", "2x3", "--input-shape", "2x3")
    assert done.returncode == 0, done.stderr
    r = etkit.Runner(out)
    a, b = np.ones((2, 3), np.float32), np.full((2, 3), 5, np.float32)
    np.testing.assert_array_equal(r.run([a, b])[0], a * 2 + b)
    # the factory function works too
    done = etkit_main("export", f"{tmp_path / 'mymodel.py'}:make", "-o", tmp_path / "m.pte", "--input-shape", "4",
                     "--input-shape", "4")
    assert done.returncode == 0, done.stderr
    assert etkit.Runner(tmp_path / "m.pte").inputs[0].shape == (4,)


def test_export_from_package_module(tmp_path, etkit_main):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "nets.py").write_text(textwrap.dedent("""
        import torch
        def build():
            return torch.nn.Linear(3, 2), (torch.randn(1, 3),)
    """))
    done = etkit_main("export", "mypkg.nets:build", "-o", tmp_path / "p.pte", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert etkit.Runner(tmp_path / "p.pte").outputs[0].shape == (1, 2)


def test_bad_specs_fail_with_a_message(tmp_path, etkit_main):
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    cases = [
        ("no-such-model", "unknown model 'no-such-model'"),
        (f"{tmp_path}/absent.py:Net", "does not exist"),
        (f"{tmp_path}/broken.py:Net", "boom"),
        ("collections:OrderedDict", "not a torch.nn.Module"),
        ("no_such_package_xyz.mod:Net", "cannot import no_such_package_xyz.mod"),
    ]
    for spec, message in cases:
        done = etkit_main("export", spec, "-o", tmp_path / "x.pte", "--input-shape", "1x3")
        assert done.returncode == 1, (spec, done.stderr)
        assert message in done.stderr, (spec, done.stderr)
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.pte").exists()


def test_bad_flags_exit_2(tmp_path, etkit_main):
    done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "x.pte", "--backend", "gpu")
    assert done.returncode == 2 and "invalid choice" in done.stderr
    done = etkit_main("export", "tiny-classifier", "-o", tmp_path / "x.pte", "--input-shape", "1xA")
    assert done.returncode == 1 and "bad --input-shape" in done.stderr


def test_demo_matches_pytorch(tmp_path):
    done = etkit_cmd("demo", "--workdir", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "largest difference" in done.stdout and "within" in done.stdout
    assert (tmp_path / "out" / "output_0.npy").exists()
