"""nn.Module -> .pte: torch.export, Edge dialect, lowering, to_executorch.

torch and executorch are imported inside the functions: ``import etkit`` and
running a program need numpy only.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .errors import ExportError

BACKENDS = ("xnnpack", "portable")
QUANTIZE_MODES = (None, "int8", "int8-dynamic")

Progress = Callable[[str], None]


@dataclass
class ExportReport:
    """What etkit.export wrote."""

    path: str
    backend: str
    quantize: str | None
    size_bytes: int
    delegated_ops: int
    portable_ops: int
    delegated_subgraphs: int
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        q = f", {self.quantize}" if self.quantize else ""
        return (
            f"wrote {self.path} ({self.size_bytes:,} bytes, {self.backend}{q}): "
            f"{self.delegated_ops} operators delegated in {self.delegated_subgraphs} subgraph(s), "
            f"{self.portable_ops} on portable kernels"
        )


def _check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ExportError(f"unknown {name} {value!r}; expected one of {shown}")


def _as_tuple(inputs: Any) -> tuple:
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


class _Stages:
    """Times the export stages and reports each one as it starts."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.seconds[name] = time.perf_counter() - start


def _capture(model, example_inputs: tuple, dynamic_shapes):
    import torch

    try:
        return torch.export.export(model, example_inputs, dynamic_shapes=dynamic_shapes, strict=False)
    except Exception as e:  # torch raises many types here; name the cause, keep the chain.
        raise ExportError(f"torch.export could not capture {type(model).__name__}: {e}") from e


def _quantize(model, example_inputs: tuple, dynamic_shapes, mode: str, calibration: Iterable | None):
    """PT2E quantization with ExecuTorch's XNNPACK quantizer; returns the re-exported program."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    graph = _capture(model, example_inputs, dynamic_shapes).module()
    config = get_symmetric_quantization_config(is_per_channel=True, is_dynamic=(mode == "int8-dynamic"))
    prepared = prepare_pt2e(graph, XNNPACKQuantizer().set_global(config))
    samples = [example_inputs] if calibration is None else [_as_tuple(s) for s in calibration]
    if not samples:
        raise ExportError("calibration is empty: give at least one input tuple")
    for sample in samples:
        if len(sample) != len(example_inputs):
            raise ExportError(
                f"a calibration sample has {len(sample)} input(s) but the model takes {len(example_inputs)}"
            )
        try:
            prepared(*sample)
        except Exception as e:
            raise ExportError(f"calibration failed: {e}") from e
    return _capture(convert_pt2e(prepared), example_inputs, dynamic_shapes)


def _lower(programs: dict, backend: str):
    from executorch.exir import EdgeCompileConfig, to_edge, to_edge_transform_and_lower

    config = EdgeCompileConfig(_check_ir_validity=False)
    try:
        if backend == "xnnpack":
            from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

            return to_edge_transform_and_lower(programs, partitioner=[XnnpackPartitioner()], compile_config=config)
        return to_edge(programs, compile_config=config)
    except Exception as e:
        raise ExportError(f"lowering to {backend} failed: {e}") from e


def _count_delegation(edge) -> tuple[int, int, int]:
    from executorch.devtools.backend_debug import get_delegation_info

    delegated = portable = subgraphs = 0
    for name in edge.methods:
        info = get_delegation_info(edge.exported_program(name).graph_module)
        delegated += info.num_delegated_nodes
        subgraphs += info.num_delegated_subgraphs
        # getitem only unpacks tuples; it is not a kernel.
        portable += sum(b.non_delegated for op, b in info.delegation_by_operator.items() if op != "getitem")
    return delegated, portable, subgraphs


def export(
    model,
    example_inputs,
    path: str | os.PathLike,
    *,
    backend: str = "xnnpack",
    quantize: str | None = None,
    calibration: Iterable | None = None,
    dynamic_shapes=None,
    progress: Progress | None = None,
) -> ExportReport:
    """Exports ``model`` to an ExecuTorch program at ``path``.

    ``backend`` is "xnnpack" (delegate what XNNPACK supports, the rest runs on
    portable kernels) or "portable". ``quantize`` is None, "int8" (static,
    calibrated on ``calibration``, an iterable of input tuples that defaults to
    the example inputs) or "int8-dynamic". ``dynamic_shapes`` goes to
    torch.export as is. ``progress`` is called with each stage's name.
    """
    _check_choice("backend", backend, BACKENDS)
    _check_choice("quantize", quantize, QUANTIZE_MODES)
    import torch

    example_inputs = _as_tuple(example_inputs)
    if isinstance(model, torch.nn.Module):
        model = model.eval()
    stages = _Stages(progress)
    if quantize:
        program = stages.run("quantize", lambda: _quantize(model, example_inputs, dynamic_shapes, quantize, calibration))
    else:
        program = stages.run("capture", lambda: _capture(model, example_inputs, dynamic_shapes))
    edge = stages.run("lower", lambda: _lower({"forward": program}, backend))
    delegated, portable, subgraphs = _count_delegation(edge)

    def serialize() -> int:
        try:
            buffer = edge.to_executorch().buffer
        except Exception as e:
            raise ExportError(f"to_executorch failed: {e}") from e
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_bytes(buffer)
        tmp.replace(out)  # never leave a half-written .pte behind
        return len(buffer)

    size = stages.run("serialize", serialize)
    return ExportReport(
        path=str(path),
        backend=backend,
        quantize=quantize,
        size_bytes=size,
        delegated_ops=delegated,
        portable_ops=portable,
        delegated_subgraphs=subgraphs,
        stage_seconds=stages.seconds,
    )
