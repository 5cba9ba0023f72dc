"""etkit compare: every row measured on the same inputs, errors against eager PyTorch."""

from __future__ import annotations

import builtins
import hashlib
import importlib.util
import json
import sys

import pytest

from etkit import DeviceError, cli, compare, zoo
from etkit.device import Device


def _fast(**kw):
    model, example = zoo.build("tiny-classifier")
    return compare.compare(model, example, name="tiny", iterations=20, min_seconds=0, **kw)


def test_rows_cover_each_runtime_and_match_eager(tmp_path):
    result = _fast(workdir=tmp_path, variants=("portable", "xnnpack"))
    by_name = {r.name: r for r in result.rows}
    assert set(by_name) == {"et-run portable", "et-run xnnpack", "executorch Python runtime", "eager PyTorch",
                            "ONNX Runtime (CPU)", "LiteRT (XNNPACK)"}
    for name in ("et-run portable", "et-run xnnpack", "executorch Python runtime"):
        row = by_name[name]
        assert row.p50_ms > 0 and row.p90_ms >= row.p50_ms and row.iterations >= 20
        assert row.max_abs_error < 1e-5, (name, row.max_abs_error)
        assert row.file_bytes > 0 and row.load_ms > 0
    ort = by_name["ONNX Runtime (CPU)"]
    assert ort.note or ort.max_abs_error < 1e-5
    lite = by_name["LiteRT (XNNPACK)"]
    assert lite.note.startswith("skipped: ") or lite.max_abs_error < 1e-5
    assert result.threads == 1 and result.machine["executorch"] == "1.5.1"


HAS_LITERT = all(importlib.util.find_spec(m) for m in compare.LITERT_PACKAGES)


@pytest.mark.skipif(not HAS_LITERT, reason="LiteRT is not installed (pip install litert-torch ai-edge-litert)")
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "mobile-cnn" else n
                                  for n in zoo.MODELS])
def test_litert_matches_eager_on_zoo_models(name, tmp_path):
    model, example = zoo.build(name)
    result = compare.compare(model, example, name=name, workdir=tmp_path, variants=("xnnpack",), onnx=False,
                             iterations=20, min_seconds=0)
    lite = [r for r in result.rows if r.runtime == "litert"]
    assert len(lite) == 1, result.rows
    row = lite[0]
    assert not row.note, row.note
    assert row.max_abs_error < 1e-4, row.max_abs_error
    assert row.p50_ms > 0 and row.p90_ms >= row.p50_ms and row.iterations >= 20
    assert row.load_ms > 0 and row.file_bytes == (tmp_path / f"{name}.tflite").stat().st_size
    assert result.machine["ai-edge-litert"] and result.machine["litert-torch"]


@pytest.mark.parametrize("hidden, package", [("ai_edge_litert", "ai-edge-litert"), ("litert_torch", "litert-torch")])
def test_litert_absent_names_the_package_and_the_rest_runs(hidden, package, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, hidden, None)  # import raises ImportError, as when it is not installed
    result = _fast(workdir=tmp_path, variants=("xnnpack",), onnx=False)
    lite = [r for r in result.rows if r.runtime == "litert"][0]
    assert lite.p50_ms is None and lite.note == f"skipped: {package} not installed (pip install {package})"
    assert f"pip install {package}" in compare.format_table(result)
    assert [r.name for r in result.rows if r.p50_ms] == ["et-run xnnpack", "executorch Python runtime",
                                                         "eager PyTorch"]


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
                     "--min-seconds", "0", "--no-onnx", "--no-litert"])
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


# ---- etkit compare --device: the et-run variants timed on a device -----------

def _device_compare(etkit_main, url, runner, out, *variants):
    return etkit_main("compare", "tiny-classifier", "--device", url, "--runner", runner, "--threads", "1", "-o", out,
                      "--variants", *variants, "--iterations", "10", "--min-seconds", "0")


def _check_device_report(out, url, variants, device_cache):
    report = json.loads((out / "compare.json").read_text())
    # Only et-run rows, each timed on the device; no host baseline mixed in.
    assert [(r["name"], r["where"]) for r in report["rows"]] == [(f"et-run {v}", url) for v in variants]
    for r in report["rows"]:
        assert r["p50_ms"] > 0 and r["p90_ms"] >= r["p50_ms"] and r["iterations"] >= 10 and r["load_ms"] > 0
        assert r["max_abs_error"] < 1e-5, r  # the device's outputs, brought back, against eager PyTorch here
    assert report["device"]["url"] == url and report["device"]["arch"] == "x86_64" and report["device"]["cores"] >= 1
    assert "cache" not in report["device"]  # as in a remote benchmark's record
    assert report["runner"]["target"] == "x86_64" and report["runner"]["emulated"] is False
    assert report["machine"]["torch"]  # the host that exported
    # The programs really went through the device's cache, by content hash.
    for v in variants:
        pte = out / "work" / f"tiny-classifier_{v}.pte"
        pushed = device_cache / "files" / hashlib.sha256(pte.read_bytes()).hexdigest() / pte.name
        assert pushed.read_bytes() == pte.read_bytes()
    assert (out / "compare.png").read_bytes().startswith(b"\x89PNG")
    return report


def test_device_ssh_times_et_run_variants_there(ssh_server, device_env, host_runner_dir, etkit_main, tmp_path):
    done = _device_compare(etkit_main, ssh_server.url, host_runner_dir, tmp_path / "out", "portable", "xnnpack")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"tiny-classifier: 1 thread(s), inputs [[1, 20]], on {ssh_server.url} (x86_64")
    assert [line.split()[:3] for line in lines if line.startswith("et-run")] == \
        [["et-run", "portable", ssh_server.url], ["et-run", "xnnpack", ssh_server.url]]
    assert "eager PyTorch" not in "\n".join(lines[2:]) and "ONNX" not in done.stdout
    _check_device_report(tmp_path / "out", ssh_server.url, ["portable", "xnnpack"], tmp_path / "device-cache")


def test_device_local(host_runner_dir, etkit_main, tmp_path, monkeypatch):
    monkeypatch.setenv("ETKIT_DEVICE_CACHE", str(tmp_path / "device-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "host-cache"))
    done = _device_compare(etkit_main, "local", host_runner_dir, tmp_path / "out", "xnnpack")
    assert done.returncode == 0, done.stderr
    assert "on local (x86_64" in done.stdout
    _check_device_report(tmp_path / "out", "local", ["xnnpack"], tmp_path / "device-cache")


def test_device_python_api(host_runner_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ETKIT_DEVICE_CACHE", str(tmp_path / "device-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "host-cache"))
    with Device("local", runner=host_runner_dir) as device:
        result = _fast(workdir=tmp_path, variants=("portable",), device=device)
    assert [(r.name, r.runtime, r.where) for r in result.rows] == [("et-run portable", "et-run", "local")]
    assert result.rows[0].max_abs_error < 1e-5 and result.device["arch"] == "x86_64"
    assert "on local (x86_64" in compare.format_table(result)


def test_device_dead_exits_3_naming_it_before_exporting(ssh_server, device_env, host_runner_dir, etkit_main,
                                                         tmp_path):
    url = "ssh://127.0.0.1:1"  # nothing listens there
    done = _device_compare(etkit_main, url, host_runner_dir, tmp_path / "out", "xnnpack")
    assert done.returncode == 3
    assert f"etkit: error: {url}: unreachable" in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.rglob("*.pte")) and not (tmp_path / "out" / "compare.json").exists()
    with pytest.raises(DeviceError, match="unreachable"):
        _fast(workdir=tmp_path / "api", device=url)


def test_device_options_need_a_device(host_runner_dir, etkit_main, tmp_path):
    done = etkit_main("compare", "tiny-classifier", "--runner", host_runner_dir, "-o", tmp_path)
    assert done.returncode != 0 and "--runner and --target go with --device" in done.stderr


def test_tables_give_small_times_in_us():
    """Sub-millisecond latencies read as us/ns, not 0.0006 ms (as et-run prints them)."""
    c = compare.Comparison(model="m", threads=1, inputs=[[1]], machine={})
    c.rows.append(compare.Row("et-run xnnpack", "et-run", 0.000651, 0.0123, 100, 1.5, 2048, 1e-7))
    for text in (compare.format_table(c), compare.format_markdown(c)):
        assert "651 ns" in text and "12.3 us" in text and "1.500 ms" in text and "0.0006" not in text
