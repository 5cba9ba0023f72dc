"""etkit compare: every row measured on the same inputs, errors against eager PyTorch."""

from __future__ import annotations

import builtins
import json

import pytest

from etkit import cli, compare, zoo


def _fast(**kw):
    model, example = zoo.build("tiny-classifier")
    return compare.compare(model, example, name="tiny", iterations=20, min_seconds=0, **kw)


def test_rows_cover_each_runtime_and_match_eager(tmp_path):
    result = _fast(workdir=tmp_path, variants=("portable", "xnnpack"))
    by_name = {r.name: r for r in result.rows}
    assert set(by_name) == {"et-run portable", "et-run xnnpack", "executorch Python runtime", "eager PyTorch",
                            "ONNX Runtime (CPU)"}
    for name in ("et-run portable", "et-run xnnpack", "executorch Python runtime"):
        row = by_name[name]
        assert row.p50_ms > 0 and row.p90_ms >= row.p50_ms and row.iterations >= 20
        assert row.max_abs_error < 1e-5, (name, row.max_abs_error)
        assert row.file_bytes > 0 and row.load_ms > 0
    ort = by_name["ONNX Runtime (CPU)"]
    assert ort.note or ort.max_abs_error < 1e-5
    assert result.threads == 1 and result.machine["executorch"] == "1.5.1"


def test_onnxruntime_absent_is_a_note_not_a_failure(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_ort(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("no onnxruntime")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ort)
    result = _fast(workdir=tmp_path, variants=("xnnpack",))
    ort = [r for r in result.rows if r.runtime == "onnxruntime"][0]
    assert ort.p50_ms is None and "not installed" in ort.note
    assert "not installed" in compare.format_table(result)


def test_bad_arguments(tmp_path):
    with pytest.raises(Exception, match="unknown variant"):
        _fast(workdir=tmp_path, variants=("tpu",))
    with pytest.raises(Exception, match="threads must be 1 or more"):
        _fast(workdir=tmp_path, threads=0)


def test_command_writes_json_and_plot(tmp_path, capsys):
    code = cli.main(["compare", "tiny-classifier", "-o", str(tmp_path), "--variants", "xnnpack", "--iterations", "10",
                     "--min-seconds", "0", "--no-onnx"])
    assert code == 0
    out = capsys.readouterr()
    assert "et-run xnnpack" in out.out and "[1/" in out.err  # table and progress
    report = json.loads((tmp_path / "compare.json").read_text())
    assert [r["name"] for r in report["rows"]] == ["et-run xnnpack", "executorch Python runtime", "eager PyTorch"]
    png = (tmp_path / "compare.png").read_bytes()
    assert png.startswith(b"\x89PNG")


def test_command_rejects_bad_flags(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["compare", "tiny-classifier", "--threads", "0"])
    assert info.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err
