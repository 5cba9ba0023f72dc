"""The etkit command: export and the demo."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import etkit
from conftest import etkit_cmd


def test_export_builtin_then_run(tmp_path, run_et):
    out = tmp_path / "t.pte"
    done = etkit_cmd("export", "tiny-classifier", "-o", out)
    assert done.returncode == 0, done.stderr
    assert "ATen operator(s) delegated" in done.stdout and "XNNPACK node(s)" in done.stdout
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


def test_demo_without_workdir_leaves_nothing_behind(tmp_path):
    import os

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done = etkit_cmd("demo", env={**os.environ, "TMPDIR": str(tmp)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"export tiny-classifier to {tmp}/etkit-demo-" in done.stdout  # it worked in a fresh temporary folder
    # torch keeps its compile cache there (torchinductor_USER, shared by design); etkit leaves nothing.
    assert [p.name for p in tmp.iterdir() if not p.name.startswith("torchinductor_")] == []


# -- example inputs of other dtypes: --input-shape SHAPE:DTYPE[:LOW..HIGH], --inputs FILE.npz ----------------

_TOKENS = textwrap.dedent("""
    import torch
    class Tokens(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.embed = torch.nn.Embedding(50, 8)
            self.out = torch.nn.Linear(8, 2)
        def forward(self, ids):
            return self.out(self.embed(ids).mean(dim=1))
""")


def _tokens_model(tmp_path):
    import importlib.util

    (tmp_path / "tok.py").write_text(_TOKENS)
    spec = importlib.util.spec_from_file_location("tok_for_eager", tmp_path / "tok.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return f"{tmp_path / 'tok.py'}:Tokens", module.Tokens().eval()


def _eager(model, *arrays):
    import torch

    with torch.no_grad():
        return model(*[torch.from_numpy(a) for a in arrays]).numpy()


def test_input_shape_syntax():
    from etkit.spec import InputSpec, parse_input_spec

    assert parse_input_spec("1x3x8x8") == InputSpec((1, 3, 8, 8), "float32")
    assert parse_input_spec("1x16:int64") == InputSpec((1, 16), "int64")
    assert parse_input_spec("1x16:int64:0..999") == InputSpec((1, 16), "int64", 0, 999)
    assert parse_input_spec("2x4:float16:-1..1") == InputSpec((2, 4), "float16", -1, 1)
    assert parse_input_spec("3:bool").dtype == "bool"
    for bad, message in [("1x16:int65", "unknown dtype 'int65'"), ("1x16:int64:9..0", "LOW <= HIGH"),
                         ("1x16:int64:0..9.5", "whole numbers"), ("1x16:int64:0-9", "LOW..HIGH"),
                         ("1x16:int64:0..9:x", "expected SHAPE[:DTYPE[:LOW..HIGH]]"), ("1x0", "1 or more")]:
        with pytest.raises(etkit.SpecError, match=re.escape(message)):
            parse_input_spec(bad)


def test_input_shape_values_lie_in_the_range():
    import torch

    from etkit.spec import parse_input_spec

    gen = torch.Generator().manual_seed(0)
    ids = parse_input_spec("4x1000:int64:3..7").make(gen)
    assert ids.dtype == torch.int64 and int(ids.min()) == 3 and int(ids.max()) == 7  # both ends reachable
    small = parse_input_spec("4x1000:int32").make(gen)
    assert small.dtype == torch.int32 and 0 <= int(small.min()) and int(small.max()) <= 9
    x = parse_input_spec("100x100:float32:-2..-1").make(gen)
    assert x.dtype == torch.float32 and -2 <= float(x.min()) and float(x.max()) <= -1


def test_int64_token_ids_from_input_shape(tmp_path, etkit_main):
    spec, model = _tokens_model(tmp_path)
    out = tmp_path / "t.pte"
    done = etkit_main("export", spec, "-o", out, "--input-shape", "1x16:int64:0..49")
    assert done.returncode == 0, done.stderr
    runner = etkit.Runner(out)
    assert runner.inputs[0].dtype == np.int64 and runner.inputs[0].shape == (1, 16)
    ids = np.random.default_rng(0).integers(0, 50, (1, 16)).astype(np.int64)
    np.testing.assert_allclose(runner.run([ids])[0], _eager(model, ids), rtol=1e-5, atol=1e-6)


def test_float_example_for_token_ids_names_the_options(tmp_path, etkit_main):
    spec, _ = _tokens_model(tmp_path)
    done = etkit_main("export", spec, "-o", tmp_path / "t.pte", "--input-shape", "1x16")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "the example inputs were float32[1, 16]" in done.stderr, done.stderr
    assert "--input-shape 1x16:int64:0..999" in done.stderr and "--inputs FILE.npz" in done.stderr
    assert len(done.stderr.strip().splitlines()[-1]) > 0 and not (tmp_path / "t.pte").exists()


def test_example_inputs_from_npz(tmp_path, etkit_main):
    spec, model = _tokens_model(tmp_path)
    ids = np.random.default_rng(1).integers(0, 50, (2, 7)).astype(np.int64)
    np.savez(tmp_path / "ex.npz", ids=ids)
    out = tmp_path / "t.pte"
    done = etkit_main("export", spec, "-o", out, "--inputs", tmp_path / "ex.npz")
    assert done.returncode == 0, done.stderr
    runner = etkit.Runner(out)
    assert runner.inputs[0].dtype == np.int64 and runner.inputs[0].shape == (2, 7)
    np.testing.assert_allclose(runner.run([ids])[0], _eager(model, ids), rtol=1e-5, atol=1e-6)

    # two inputs, in the file's order
    (tmp_path / "two.py").write_text("import torch\nclass Two(torch.nn.Module):\n"
                                     "    def forward(self, x, y):\n        return x * 2 + y\n")
    a, b = np.ones((2, 3), np.float32), np.arange(6, dtype=np.float32).reshape(2, 3)
    np.savez(tmp_path / "two.npz", a, b)
    done = etkit_main("export", f"{tmp_path / 'two.py'}:Two", "-o", tmp_path / "two.pte", "--backend", "portable",
                      "--inputs", tmp_path / "two.npz")
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(etkit.Runner(tmp_path / "two.pte").run([b, a])[0], b * 2 + a)


def test_bad_example_inputs_npz(tmp_path, etkit_main):
    spec, _ = _tokens_model(tmp_path)
    np.savez(tmp_path / "empty.npz", np.zeros((0, 4), np.int64))
    (tmp_path / "junk.npz").write_text("not a zip")
    cases = [
        (["--inputs", tmp_path / "absent.npz"], "does not exist"),
        (["--inputs", tmp_path / "junk.npz"], "cannot read --inputs file"),
        (["--inputs", tmp_path / "empty.npz"], "holds no elements"),
        (["--inputs", tmp_path / "empty.npz", "--input-shape", "1x4"], "give --input-shape or --inputs, not both"),
    ]
    for flags, message in cases:
        done = etkit_main("export", spec, "-o", tmp_path / "x.pte", *flags)
        assert done.returncode == 1 and message in done.stderr, (flags, done.stderr)


# -- help and version ---------------------------------------------------------------------------------------


def test_every_option_has_help_with_its_choices_and_default():
    from etkit.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse keeps them only here
    for command in ("export", "inspect", "demo", "compare", "bundle"):
        for action in commands[command]._actions:  # noqa: SLF001
            if action.option_strings and action.dest != "help":
                assert action.help, (command, action.option_strings)
                if action.choices:  # every choice named, and the default
                    assert all(str(c) in action.help for c in action.choices), (command, action.option_strings)
                    assert "default" in action.help, (command, action.option_strings)
    text = commands["export"].format_help()
    assert "xnnpack, portable (default: xnnpack)" in text and "int8, int8-dynamic (default: none" in text
    assert "1x16:int64:0..999" in text and "--inputs FILE.npz" in text


def test_version(monkeypatch):
    from importlib import metadata

    from etkit import __version__, cli, extras

    import os

    done = etkit_cmd("--version", env={**os.environ, "COLUMNS": "40"})  # one line, however narrow the terminal
    assert done.returncode == 0
    assert done.stdout.strip() == (f"etkit {__version__} (torch {metadata.version('torch')}, "
                                   f"executorch {metadata.version('executorch')})")
    # The runtime-only install: no torch, no executorch (tests/test_wheel.py runs the real one).
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    monkeypatch.setattr(extras, "has_export", lambda: False)
    assert cli.version_text() == (f'etkit {__version__} (torch not installed, executorch not installed); '
                                  'runtime only: export needs pip install "etkit[export]"')


def test_version_imports_neither_torch_nor_executorch():
    script = ("import sys\nfrom etkit.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in ('torch', 'executorch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().endswith("[]"), done.stdout + done.stderr


# -- the commands' output is etkit's own ----------------------------------------------------------------------

# What torch, torchao and executorch printed before etkit filtered them at their source.
_FOREIGN = re.compile(r"Failed to load|FutureWarning|DeprecationWarning|_pytree|^[WEI]\d{4} |torchao|copyreg")


def test_commands_print_nothing_of_torch_torchao_or_executorch(tmp_path):
    out = tmp_path / "t.pte"
    done = etkit_cmd("export", "tiny-classifier", "-o", out, "--backend", "xnnpack")
    assert done.returncode == 0, done.stderr
    # stderr holds etkit's stage lines and nothing else
    assert [x for x in done.stderr.splitlines() if not x.startswith(("exporting ", "  ["))] == [], done.stderr
    for args in (["inspect", out], ["inspect", out, "--json"], ["--version"]):
        done = etkit_cmd(*args)
        assert done.returncode == 0 and done.stderr == "", (args, done.stderr)
        assert not _FOREIGN.search(done.stdout), (args, done.stdout)


def test_export_from_python_shows_the_models_warnings_and_no_others(tmp_path):
    script = textwrap.dedent(f"""
        import warnings
        import torch
        import etkit

        class Noisy(torch.nn.Module):
            def forward(self, x):
                warnings.warn("the model's own notice")
                return torch.relu(x) * 2

        etkit.export(Noisy(), (torch.randn(2, 3),), {str(tmp_path / 'n.pte')!r})
        warnings.warn("the caller's own notice")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "UserWarning: the model's own notice" in done.stderr and "UserWarning: the caller's own notice" in done.stderr
    assert all("UserWarning: the" in x for x in done.stderr.splitlines()), done.stderr  # theirs and nothing else
    assert not _FOREIGN.search(done.stderr), done.stderr
