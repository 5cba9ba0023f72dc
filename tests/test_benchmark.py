"""Benchmarking and profiling: et-run --bench/--json/--profile/--etdump and Runner.benchmark()."""

from __future__ import annotations

import json
import os

import numpy as np
import torch
import pytest

import etkit

# The JSON contract of ../shared/DESIGN.md: add keys freely, never rename these.
CONTRACT_KEYS = {"model", "method", "threads", "iterations", "load_ms", "method_load_ms", "first_inference_ms",
                 "latency_ms", "peak_rss_bytes", "planned_memory_bytes"}
LATENCY_KEYS = {"min", "p50", "p90", "p99", "max", "mean", "std"}


def _bench_json(run_et, path, *args):
    done = run_et(path, "--bench", "--json", "-", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _check_report(r: dict, iterations: int | None = None):
    assert CONTRACT_KEYS <= set(r)
    assert set(r["latency_ms"]) == LATENCY_KEYS
    lat = r["latency_ms"]
    assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert lat["min"] <= lat["mean"] <= lat["max"] and lat["std"] >= 0
    assert r["load_ms"] > 0 and r["method_load_ms"] > 0 and r["first_inference_ms"] > 0
    assert r["peak_rss_bytes"] > 1 << 20
    assert r["planned_memory_bytes"] > 0
    if iterations is not None:
        assert r["iterations"] == iterations


def test_et_run_json_has_the_contract_keys(exported, run_et):
    e = exported("cnn")
    r = _bench_json(run_et, e.path, "--iterations", "30", "--min-seconds", "0", "--warmup", "2", "--threads", "1")
    _check_report(r, iterations=30)
    assert r["method"] == "forward" and r["model"] == str(e.path) and r["threads"] == 1 and r["warmup"] == 2


def test_runner_benchmark_returns_the_same_keys_as_et_run(exported, run_et):
    e = exported("mlp")
    cli = _bench_json(run_et, e.path, "--iterations", "10", "--min-seconds", "0")
    py = etkit.Runner(e.path).benchmark(iterations=10, min_seconds=0)
    assert set(cli) == set(py)
    assert set(cli["latency_ms"]) == set(py["latency_ms"])
    _check_report(py, iterations=10)


def test_min_seconds_extends_and_max_seconds_bounds_the_timed_runs(exported):
    runner = etkit.Runner(exported("mlp").path, threads=1)
    timed = runner.benchmark(iterations=5, min_seconds=0.3, warmup=0)
    assert timed["total_seconds"] >= 0.3 and timed["iterations"] > 5
    capped = runner.benchmark(iterations=10**9, min_seconds=0, max_seconds=0.2, warmup=0)
    assert 0.2 <= capped["total_seconds"] < 5 and capped["iterations"] < 10**9


def test_benchmark_uses_given_inputs_and_checks_them(exported):
    e = exported("two_io")
    runner = etkit.Runner(e.path)
    r = runner.benchmark(iterations=3, min_seconds=0, inputs=e.random_inputs(1))
    assert r["iterations"] == 3
    with pytest.raises(etkit.InputError, match="takes 2 input"):
        runner.benchmark(iterations=3, min_seconds=0, inputs=[np.zeros((2, 6), np.float32)])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"iterations": 0}, "--iterations must be 1 or more"),
        ({"warmup": -1}, "--warmup must be 0 or more"),
        ({"min_seconds": -1.0}, "--min-seconds must be 0 or more"),
        ({"min_seconds": 3.0, "max_seconds": 1.0}, "below --min-seconds"),
    ],
)
def test_runner_benchmark_rejects_nonsense(exported, params, message):
    with pytest.raises(etkit.ArgumentError, match=message):
        etkit.Runner(exported("mlp").path).benchmark(**params)


def test_threads_size_the_pool_xnnpack_uses(exported, run_et):
    """The count in force is reported, and the pool's worker threads really change."""
    path = exported("cnn").path
    for n in (1, 2):
        assert _bench_json(run_et, path, "--threads", n, "--iterations", "3", "--min-seconds", "0")["threads"] == n

    def os_threads():
        return len(os.listdir("/proc/self/task"))

    runner = etkit.Runner(path, threads=1)
    one = os_threads()
    etkit.Runner(path, threads=2)
    assert os_threads() == one + 1  # one worker beside the caller
    etkit.Runner(path, threads=1)
    assert os_threads() == one
    assert runner.threads == 1


def test_readable_table_by_default(exported, run_et):
    done = run_et(exported("mlp").path, "--bench", "--iterations", "5", "--min-seconds", "0")
    assert done.returncode == 0
    for word in ("program load", "method load", "first inference", "p50", "p99", "peak RSS", "planned memory"):
        assert word in done.stdout


def test_json_to_a_file(exported, run_et, tmp_path):
    out = tmp_path / "bench.json"
    done = run_et(exported("mlp").path, "--bench", "--iterations", "5", "--min-seconds", "0", "--json", out)
    assert done.returncode == 0 and "p50" in done.stdout
    _check_report(json.loads(out.read_text()), iterations=5)


def test_profile_names_kernels_and_delegates(exported, run_et):
    portable = run_et(exported("cnn", "portable").path, "--profile")
    assert portable.returncode == 0, portable.stderr
    table = portable.stdout[portable.stdout.index("profile"):]
    assert "convolution" in table and "share" in table
    rows = etkit.Runner(exported("cnn", "portable").path).profile(runs=5)
    times = [r["ms"] for r in rows]
    assert times == sorted(times, reverse=True)
    assert all(r["kind"] == "operator" for r in rows)
    assert 0.5 < sum(r["share"] for r in rows) <= 1.0  # kernels take most of execute()
    xnn = etkit.Runner(exported("cnn").path).profile(runs=5)
    delegate = [r for r in xnn if r["kind"] == "delegate"]
    assert [r["name"] for r in delegate] == ["XnnpackBackend"] and delegate[0]["calls"] == 1
    assert any(r["kind"] == "in delegate" and "Convolution" in r["name"] for r in xnn)


class _Split(torch.nn.Module):
    """Linear layers between operators XNNPACK does not take: one delegate call each."""

    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(8, 8) for _ in range(4))

    def forward(self, x):
        for layer in self.layers:
            x = torch.cumsum(layer(x), dim=1)
        return x


def test_profile_of_many_delegate_calls_stays_a_table(run_et, tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "split.pte"
    etkit.export(_Split().eval(), (torch.randn(1, 8),), path)
    rows = etkit.Runner(path).profile(runs=5)
    delegate = [r for r in rows if r["kind"] == "delegate"]
    assert [r["name"] for r in delegate] == ["XnnpackBackend"] and delegate[0]["calls"] == 4
    done = run_et(path, "--profile")
    assert done.returncode == 0, done.stderr
    table = done.stdout[done.stdout.index("\nprofile "):].splitlines()
    assert all(len(line) < 100 for line in table)
    # Times below a millisecond read in us or ns, not "0.0000 ms".
    assert "0.0000" not in done.stdout and (" us" in done.stdout or " ns" in done.stdout)


def test_etdump_is_readable_by_executorchs_inspector(exported, run_et, tmp_path):
    dump = tmp_path / "run.etdump"
    done = run_et(exported("cnn", "portable").path, "--etdump", dump)
    assert done.returncode == 0, done.stderr
    from executorch.devtools import Inspector

    inspector = Inspector(etdump_path=str(dump))
    names = {event.name for block in inspector.event_blocks for event in block.events}
    assert any("convolution" in n for n in names), names


@pytest.mark.parametrize("backend", ("xnnpack", "portable"))
@pytest.mark.parametrize("name", ["mlp", "cnn", "two_io", "tokens"])
def test_repeated_inferences_stay_correct(exported, name, backend):
    """Benchmarks and profiles run many inferences on one method. Memory planning may hand a
    consumed input's bytes to later activations, so each inference must set its inputs again
    (an embedding's indices read back as garbage otherwise)."""
    e = exported(name, backend)
    runner = etkit.Runner(e.path)
    inputs = e.random_inputs(4)
    assert runner.benchmark(iterations=5, warmup=2, min_seconds=0, inputs=inputs)["iterations"] == 5
    assert runner.profile(runs=3, warmup=1, inputs=inputs)
    for got, want in zip(runner.run(inputs), e.eager(inputs)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_xnnpack_options_are_set_and_reported(exported, run_et):
    path = exported("cnn").path
    default = json.loads(run_et(path, "--bench", "--iterations", "3", "--min-seconds", "0", "--json", "-").stdout)
    assert set(default["xnnpack"]) == {"workspace_sharing", "weight_cache"}
    done = run_et(path, "--bench", "--iterations", "3", "--min-seconds", "0", "--json", "-",
                  "--xnnpack-workspace", "per-model", "--xnnpack-weight-cache", "on", "--threads", "1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["xnnpack"] == {"workspace_sharing": "per-model", "weight_cache": True}
    bad = run_et(path, "--xnnpack-workspace", "sometimes")
    assert bad.returncode == 2 and "--xnnpack-workspace" in bad.stderr
