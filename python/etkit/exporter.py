"""nn.Module -> .pte: torch.export, quantization, Edge dialect, lowering,
to_executorch, and a check of the result in etkit's own runtime.

torch and executorch are imported inside the functions: ``import etkit`` and
running a program need numpy only.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import _core, _quiet
from .errors import ExportError
from .extras import require_export

BACKENDS = ("xnnpack", "portable")
QUANTIZE_MODES = (None, "int8", "int8-dynamic")
STAGES = ("capture", "quantize", "lower", "serialize", "bundle", "verify")

Progress = Callable[[str], None]


@dataclass
class Accuracy:
    """How far the program's outputs are from eager PyTorch's, on the example inputs."""

    max_abs_error: float
    cosine_similarity: float  # the lowest over the outputs (and over the input sizes checked)
    # The input shapes the method was run at: the example's, and for a dynamic
    # program also its smallest and largest allowed sizes.
    input_shapes: list[list[list[int]]] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"max |error| {self.max_abs_error:.3g}, cosine {self.cosine_similarity:.6f}"
        if len(self.input_shapes) > 1:
            shown = "; ".join(", ".join(str(s) for s in shapes) for shapes in self.input_shapes)
            text += f" (worst of {len(self.input_shapes)} input sizes: {shown})"
        return text


@dataclass
class ExportReport:
    """What etkit.export wrote."""

    path: str
    backend: str
    quantize: str | None
    size_bytes: int
    # Two counts of the same work, in different units (etkit inspect uses the same words):
    # ATen operators are the graph's operators as captured (Edge dialect), before lowering;
    # XNNPACK nodes are what XNNPACK runs after fusing them (a convolution, its batch norm and
    # its activation become one node), the count that etkit inspect reads from the program.
    delegated_ops: int  # ATen operators taken by delegates
    portable_ops: int  # ATen operators left to portable kernels
    delegated_subgraphs: int
    stage_seconds: dict[str, float] = field(default_factory=dict)
    methods: list[str] = field(default_factory=lambda: ["forward"])
    # Per method, from running the written .pte in etkit's runtime (None when verify=False).
    accuracy: dict[str, Accuracy] | None = None
    bundled_program: str | None = None  # the .bpte written beside the .pte, if any
    xnnpack_nodes: int | None = None  # nodes in the program's XNNPACK payloads (None: no XNNPACK delegate)

    @property
    def verified(self) -> bool:
        return self.accuracy is not None

    def summary(self) -> str:
        q = f", {self.quantize}" if self.quantize else ""
        m = f", methods {', '.join(self.methods)}" if self.methods != ["forward"] else ""
        run_as = f", run as {self.xnnpack_nodes} XNNPACK node(s)" if self.xnnpack_nodes is not None else ""
        lines = [
            f"wrote {self.path} ({self.size_bytes:,} bytes, {self.backend}{q}{m}): "
            f"{self.delegated_ops} ATen operator(s) delegated in {self.delegated_subgraphs} subgraph(s){run_as}; "
            f"{self.portable_ops} ATen operator(s) on portable kernels"
        ]
        if self.bundled_program:
            lines.append(f"wrote {self.bundled_program} (the program with its example inputs and eager outputs: "
                         "et-run --verify checks them)")
        if self.accuracy is None:
            lines.append("not verified (--no-verify)")
        for name, acc in (self.accuracy or {}).items():
            lines.append(f"verified {name} in etkit's runtime against eager PyTorch: {acc}")
        lines.append("stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.stage_seconds.items()))
        return "\n".join(lines)


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
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def _size_oblivious(dynamic: bool):
    # torch.export specialises a dimension whose example size is 1 (a batch of
    # one, the usual example) and then rejects it as dynamic; size-oblivious
    # reasoning keeps it symbolic. Lowering needs it too: without it a
    # quantized graph's batch bound shrank from 8 to 2 in to_edge.
    if not dynamic:
        return contextlib.nullcontext()
    import torch.fx.experimental._config as fx_config

    return fx_config.patch(backed_size_oblivious=True)


def _torch_cause(message: str) -> str:
    """torch.export's first line and the user's line it points at, without its
    pages of debugging advice (the full text stays in the exception chain)."""
    lines = [line for line in message.strip().splitlines()]
    cause = lines[0].strip() if lines else "unknown error"
    # A constraint violation explains itself in "- ..." bullets.
    cause += "".join(" " + x.strip() for x in lines[1:] if x.strip().startswith("- "))
    for i, line in enumerate(lines):
        if line.strip().startswith("The following call raised this error"):
            where = [x.strip() for x in lines[i + 1: i + 3] if x.strip()]
            if where:
                cause += " | raised at " + ": ".join(where)
            break
    return cause


@contextlib.contextmanager
def _held_torch_logs():
    """Holds back what torch's loggers emit inside the block: dropped if the
    block raises (the exception carries the cause; a failed shape check in
    fake-tensor code otherwise logs its whole traceback first), replayed as
    usual if it does not. torch's loggers have their own stderr handlers and
    do not propagate, so this swaps the handlers of each."""
    import logging

    records: list[logging.LogRecord] = []

    class Hold(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    hold = Hold()
    saved = {}
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.split(".")[0] == "torch" and logger.handlers:
            saved[logger] = logger.handlers
            logger.handlers = [hold]
    try:
        yield
    finally:
        for logger, handlers in saved.items():
            logger.handlers = handlers
    for record in records:  # only reached without an exception
        logging.getLogger(record.name).handle(record)


def _capture(model, example_inputs: tuple, dynamic_shapes, what: str = ""):
    import torch

    printed = io.StringIO()
    try:
        # On a data-dependent branch torch prints the partial graph to stderr
        # before raising; the error names the cause, so hold the print back.
        with _size_oblivious(dynamic_shapes is not None), contextlib.redirect_stderr(printed), _held_torch_logs():
            program = torch.export.export(model, example_inputs, dynamic_shapes=dynamic_shapes, strict=False)
    except Exception as e:  # torch raises many types here; name the cause, keep the chain.
        name = what or type(model).__name__
        raise ExportError(f"torch.export could not capture {name}: {_torch_cause(str(e))}") from e
    sys.stderr.write(printed.getvalue())
    return program


def _quantize(program, example_inputs: tuple, dynamic_shapes, mode: str, calibration: Iterable | None, what: str):
    """PT2E quantization of a captured program with ExecuTorch's XNNPACK quantizer
    (symmetric, per-channel weights); returns the re-captured program."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    config = get_symmetric_quantization_config(is_per_channel=True, is_dynamic=(mode == "int8-dynamic"))
    try:
        prepared = prepare_pt2e(program.module(), XNNPACKQuantizer().set_global(config))
    except Exception as e:
        raise ExportError(f"preparing {what} for {mode} quantization failed: {e}") from e
    samples = [example_inputs] if calibration is None else [_as_tuple(s) for s in calibration]
    if not samples:
        raise ExportError("calibration is empty: give at least one input tuple")
    for i, sample in enumerate(samples):
        if len(sample) != len(example_inputs):
            raise ExportError(
                f"calibration sample {i} has {len(sample)} input(s) but {what} takes {len(example_inputs)}"
            )
        try:
            prepared(*sample)
        except Exception as e:
            raise ExportError(f"calibrating {what} failed on sample {i}: {e}") from e
    return _capture(convert_pt2e(prepared), example_inputs, dynamic_shapes, what)


def _xnnpack_passes() -> list:
    """Edge passes run before XNNPACK partitioning: shape-only operators that
    XNNPACK does not take become ones it does, so that they stop splitting the
    program into several delegate calls with portable kernels between them
    (each call costs a few microseconds; a portable expand_copy costs more).
    benchmarks/PERF.md measures what each is worth."""
    from executorch.backends.transforms.replace_squeeze_unsqueeze_with_view import (
        ReplaceSqueezeAndUnsqueezeWithViewPass,
    )

    return [ReplaceSqueezeAndUnsqueezeWithViewPass(), _RemoveIdentityExpand()]


class _RemoveIdentityExpand:
    """Drops expand_copy to the shape its input already has, which torch's
    matmul decomposition leaves around every batched matmul."""

    def __call__(self, graph_module):
        from executorch.exir.dialects._ops import ops as exir_ops
        from torch.fx.passes.infra.pass_base import PassResult

        changed = False
        for node in list(graph_module.graph.nodes):
            if node.op != "call_function" or node.target != exir_ops.edge.aten.expand_copy.default:
                continue
            source, shape = node.args[0], tuple(node.meta["val"].shape)
            if all(isinstance(d, int) for d in shape) and tuple(source.meta["val"].shape) == shape:
                node.replace_all_uses_with(source)
                graph_module.graph.erase_node(node)
                changed = True
        if changed:
            graph_module.recompile()
        return PassResult(graph_module, changed)


def _lower(programs: dict, backend: str):
    from executorch.exir import EdgeCompileConfig, to_edge, to_edge_transform_and_lower

    config = EdgeCompileConfig(_check_ir_validity=False)
    try:
        if backend == "xnnpack":
            from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

            return to_edge_transform_and_lower(programs, transform_passes=_xnnpack_passes(),
                                               partitioner=[XnnpackPartitioner()], compile_config=config)
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


def _needs_quantized_out_variants(edge) -> bool:
    for name in edge.methods:
        for node in edge.exported_program(name).graph.nodes:
            if node.op == "call_function" and "quantized_decomposed" in str(node.target):
                return True
    return False


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # never leave a half-written file behind


def _bundle(manager, methods: dict[str, tuple], path: Path) -> None:
    """Writes a BundledProgram (.bpte): the program plus, per method, its
    example inputs and eager PyTorch's outputs, for `et-run --verify`."""
    import torch
    from executorch.devtools.bundled_program.config import MethodTestCase, MethodTestSuite
    from executorch.devtools.bundled_program.core import BundledProgram
    from executorch.devtools.bundled_program.serialize import serialize_from_bundled_program_to_flatbuffer

    suites = []
    for name, (module, example, _) in methods.items():
        with torch.no_grad():
            expected = [t.detach().clone() for t in _tensors(module(*example))]
        suites.append(MethodTestSuite(method_name=name, test_cases=[
            MethodTestCase(inputs=list(example), expected_outputs=expected)]))
    try:
        data = serialize_from_bundled_program_to_flatbuffer(BundledProgram(manager, suites))
    except Exception as e:
        raise ExportError(f"bundling test vectors into {path} failed: {e}") from e
    _write(path, data)


def _serialize(edge):
    if _needs_quantized_out_variants(edge):
        # Registers the out-variants of the quantize/dequantize operators left
        # outside a delegate (all of them with the portable backend); without
        # it to_executorch fails with "Missing out variants". etkit's runtime
        # links its own copy of these kernels (executorch::kernels_quantized):
        # both in one process exports and runs, but the plugin re-registers
        # the runtime's platform layer, so runtime log lines are no longer
        # routed through etkit in this process. Hence only when needed.
        import executorch.kernels.quantized  # noqa: F401
    try:
        manager = edge.to_executorch()
        buffer = manager.buffer
    except Exception as e:
        raise ExportError(f"to_executorch failed: {e}") from e
    return manager, buffer


@dataclass
class _Bound:
    """A dimension of an input that was asked to be dynamic, with a finite range."""

    dim: int
    name: str  # the Dim's name
    min: int
    max: int


@dataclass
class _Leaf:
    """One input of the program, in its order: a name for messages, the example
    value and the bounded dynamic dimensions asked of it."""

    name: str
    value: Any
    bounds: list[_Bound]


def _finite(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _dim_bounds(spec, ndim: int) -> list[_Bound]:
    """A tensor's dynamic_shapes entry ({dim: Dim}, [Dim or None per dim], None) -> its bounded dims."""
    if isinstance(spec, dict):
        items = list(spec.items())
    elif isinstance(spec, (list, tuple)):
        items = list(enumerate(spec))
    else:
        return []
    bounds = []
    for dim, d in items:
        lo, hi = getattr(d, "min", None), getattr(d, "max", None)
        if not isinstance(dim, int) or not _finite(hi) or not 0 <= dim < ndim:
            continue  # Dim.AUTO/DYNAMIC/STATIC, an unbounded Dim: no upper bound was asked
        name = getattr(d, "__name__", None) or f"dim{dim}"
        bounds.append(_Bound(dim, name, max(int(lo) if _finite(lo) else 0, 0), int(hi)))
    return bounds


def _asked_leaves(module, example: tuple, dynamic_shapes) -> list[_Leaf] | None:
    """The program's inputs as torch.export flattens them (pytree order of the
    positional arguments), each with the bounds dynamic_shapes asked of it.
    None when the two cannot be matched (etkit then checks nothing extra)."""
    import inspect as pyinspect

    import torch

    if dynamic_shapes is None:
        return []
    if isinstance(dynamic_shapes, dict):
        try:
            bound = pyinspect.signature(module.forward).bind(*example)
        except (TypeError, ValueError):
            return None
        pairs = [(name, value, dynamic_shapes.get(name)) for name, value in bound.arguments.items()]
    elif isinstance(dynamic_shapes, (list, tuple)):
        specs = list(dynamic_shapes) + [None] * (len(example) - len(dynamic_shapes))
        try:
            names = list(pyinspect.signature(module.forward).bind(*example).arguments)
        except (TypeError, ValueError):
            names = []
        names = names if len(names) == len(example) else [f"input {i}" for i in range(len(example))]
        pairs = list(zip(names, example, specs))
    else:
        return None
    leaves: list[_Leaf] = []

    def walk(name: str, value, spec) -> None:
        if isinstance(value, torch.Tensor):
            leaves.append(_Leaf(name, value, _dim_bounds(spec, value.dim())))
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(f"{name}[{i}]", v, spec[i] if isinstance(spec, (list, tuple)) and i < len(spec) else None)
        elif isinstance(value, dict):
            for k, v in value.items():  # torch's pytree flattens a dict in insertion order
                walk(f"{name}[{k!r}]", v, spec.get(k) if isinstance(spec, dict) else None)
        else:
            leaves.append(_Leaf(name, value, []))

    for name, value, spec in pairs:
        walk(name, value, spec)
    return leaves


def _plain_capture_cause(module, example: tuple, dynamic_shapes) -> str | None:
    """What plain torch.export (without etkit's size-oblivious capture) says of
    the model, or None when it accepts it."""
    import torch
    import torch.fx.experimental._config as fx_config

    try:
        with fx_config.patch(backed_size_oblivious=False), contextlib.redirect_stderr(io.StringIO()), \
                _held_torch_logs():
            torch.export.export(module, example, dynamic_shapes=dynamic_shapes, strict=False)
    except Exception as e:  # noqa: BLE001 - any refusal is the diagnosis
        # torch's advice on mark_dynamic and TORCH_LOGS is not for etkit's users.
        sentences = re.split(r"(?<=[.!])\s+", _torch_cause(str(e)))
        return " ".join(x for x in sentences if not x.startswith(("For more information", "If you're using"))).rstrip(".")
    return None


def _xnnpack_nodes(described: dict) -> int | None:
    """Nodes in the program's XNNPACK payloads, as etkit inspect counts them."""
    nodes = [d["nodes"] for m in described["methods"] for d in m["delegates"]
             if d["backend"] == "XnnpackBackend" and d["nodes"] is not None]
    return sum(nodes) if nodes else None


def _check_bounds(described: dict, methods: dict[str, tuple]) -> None:
    """Every bounded dynamic dimension asked for must have that upper bound in
    the program (a dynamic tensor's sizes in the program are its upper bounds):
    lowering can shrink it silently (seen: a BatchNorm1d head exported at
    batch 1 came out bounded at 2 of 8). Raises ExportError, before anything
    is written, naming the input, the dimension, both bounds and a way out."""
    described = {m["name"]: m for m in described["methods"]}
    for method, (module, example, dynamic_shapes) in methods.items():
        leaves = _asked_leaves(module, example, dynamic_shapes)
        if not leaves or not any(leaf.bounds for leaf in leaves):
            continue
        inputs = [t for t in described[method]["inputs"] if "shape" in t]
        tensors = [leaf for leaf in leaves if hasattr(leaf.value, "shape")]
        if len(inputs) != len(tensors):
            continue  # cannot pair them (constants folded away): the sized verification still runs
        short = []
        for index, (leaf, got) in enumerate(zip(tensors, inputs)):
            for b in leaf.bounds:
                have = got["shape"][b.dim] if b.dim < len(got["shape"]) else None
                if have is None or have < b.max:
                    short.append((index, leaf, b, have))
        if not short:
            continue
        where = "" if method == "forward" else f"method {method!r}: "
        said = "; ".join(
            f"input {i} ({leaf.name}) dimension {b.dim} ({b.name}): asked up to {b.max}, the program takes "
            f"at most {have}" for i, leaf, b, have in short)
        cause = _plain_capture_cause(module, example, dynamic_shapes)
        example_sizes = ", ".join(f"dimension {b.dim} of input {i} is {leaf.value.shape[b.dim]}" for i, leaf, b, _ in short)
        likely = (f"plain torch.export refuses the model at this example ({example_sizes}): {cause}; "
                  "etkit's size-oblivious capture let it through and lowering then fixed the bound"
                  if cause else f"lowering fixed the bound (the example has {example_sizes})")
        raise ExportError(
            f"{where}the program cannot take the dynamic sizes asked: {said}. Likely cause: {likely}. "
            "Hint: export with example inputs at the largest sizes asked "
            f"({', '.join(f'{b.name}={b.max}' for _, _, b, _ in short)}), or change what in the model fixes "
            "the size (plain torch.export at the example names it). Nothing was written.")


def _tensors(value) -> list:
    import torch
    from torch.utils._pytree import tree_flatten

    return [v for v in tree_flatten(value)[0] if isinstance(v, torch.Tensor)]


def compare_outputs(got: Sequence, want: Sequence) -> Accuracy:
    """Largest absolute error and lowest cosine similarity between two lists of arrays."""
    import numpy as np

    worst, cosine = 0.0, 1.0
    for g, w in zip(got, want):
        g = np.asarray(g, dtype=np.float64).ravel()
        w = np.asarray(w, dtype=np.float64).ravel()
        if g.size:
            worst = max(worst, float(np.max(np.abs(g - w))))
        ng, nw = float(np.linalg.norm(g)), float(np.linalg.norm(w))
        # Two zero vectors agree; one zero vector and one not do not.
        cos = 1.0 if ng == 0 and nw == 0 else (float(g @ w) / (ng * nw) if ng and nw else 0.0)
        cosine = min(cosine, cos)
    return Accuracy(worst, cosine)


def _sized_inputs(module, example: tuple, dynamic_shapes, seed: int = 0) -> list[tuple]:
    """The example inputs, then for a dynamic method the same inputs at the
    smallest and at the largest sizes allowed (each dimension at its Dim's min
    or max, at least 1): what the verification runs. Values are random, of
    the example's dtype (integers within the example's own range, e.g. token ids)."""
    import torch

    from .spec import InputSpec

    leaves = _asked_leaves(module, example, dynamic_shapes) or []
    if len(leaves) != len(example) or not any(leaf.bounds for leaf in leaves):
        return [example]
    gen = torch.Generator().manual_seed(seed)
    made = [example]
    for pick in (lambda b: max(b.min, 1), lambda b: b.max):
        sized = []
        for leaf in leaves:
            x = leaf.value
            shape = list(x.shape)
            for b in leaf.bounds:
                shape[b.dim] = pick(b)
            if shape == list(x.shape):
                sized.append(x)
            elif x.dtype.is_complex:  # InputSpec draws real values only
                sized.append(torch.randn(*shape, generator=gen).to(x.dtype))
            else:  # drawn as --input-shape draws them; integers within the example's own range
                low = high = None
                if not (x.dtype.is_floating_point or x.dtype == torch.bool):
                    low, high = (int(x.min()), int(x.max())) if x.numel() else (0, 0)
                sized.append(InputSpec(tuple(shape), str(x.dtype).removeprefix("torch."), low, high).make(gen))
        sized = tuple(sized)
        # Bounded, so finite; a program this large would not fit a device either.
        if sum(t.numel() for t in sized) > _MAX_VERIFY_ELEMENTS:
            continue
        if any(all(a.shape == b.shape for a, b in zip(m, sized)) for m in made):
            continue  # a size already checked (the example is often the smallest)
        made.append(sized)
    return made


# Verification at a dynamic method's largest size is skipped above this many input elements (1 GiB of float32).
_MAX_VERIFY_ELEMENTS = 1 << 28


def _verify(path: Path, methods: dict[str, tuple]) -> dict[str, Accuracy]:
    """Loads every method in etkit's C++ core (a missing operator or an
    unlinked backend fails here, not on the device), runs it on its example
    inputs, and a dynamic method also at its smallest and largest allowed
    sizes, and compares with eager PyTorch."""
    import torch

    from .errors import EtkitError
    from .runner import Runner

    accuracy = {}
    for name, (module, example, dynamic_shapes) in methods.items():
        try:
            runner = Runner(path, method=name)
        except EtkitError as e:
            raise ExportError(f"the exported program does not load in etkit's runtime: {e}") from e
        if not all(isinstance(x, torch.Tensor) for x in example):
            raise ExportError(f"cannot verify {name}: its example inputs are not all tensors (pass verify=False)")
        worst = Accuracy(0.0, 1.0)
        for inputs in _sized_inputs(module, example, dynamic_shapes):
            shapes = [list(x.shape) for x in inputs]
            at = "" if inputs is example else f" at input shape(s) {', '.join(map(str, shapes))}"
            try:
                got = runner.run([x.detach().cpu().contiguous().numpy() for x in inputs])
            except EtkitError as e:
                raise ExportError(f"method {name} of the exported program failed in etkit's runtime{at}: {e}") from e
            try:
                with torch.no_grad():
                    want = [t.detach().cpu().numpy() for t in _tensors(module(*inputs))]
            except Exception as e:
                raise ExportError(f"eager PyTorch fails on {name}{at}, a size that dynamic_shapes allows: "
                                  f"{type(e).__name__}: {e}") from e
            if len(got) != len(want):
                raise ExportError(f"method {name} returned {len(got)} output(s){at}; eager PyTorch returned {len(want)}")
            if not any(w.size for w in want):
                raise ExportError(f"cannot verify {name}{at}: its outputs hold no elements, so there is nothing "
                                  "to compare (pass verify=False to export it unverified)")
            acc = compare_outputs(got, want)
            worst = Accuracy(max(worst.max_abs_error, acc.max_abs_error),
                             min(worst.cosine_similarity, acc.cosine_similarity), worst.input_shapes + [shapes])
        accuracy[name] = worst
    return accuracy


def _as_module(fn, name: str):
    """A method given as a callable becomes a module whose forward calls it."""
    import torch

    if isinstance(fn, torch.nn.Module):
        return fn
    if not callable(fn):
        raise ExportError(f"method {name!r} is a {type(fn).__name__}, not a module or a callable")

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            owner = getattr(fn, "__self__", None)
            # A bound method of a module (model.encode): keep the module as a
            # submodule so that its weights are parameters, not baked constants.
            self.owner = owner if isinstance(owner, torch.nn.Module) else None
            self.fn = None if self.owner is not None else fn

        def forward(self, *args):
            if self.owner is not None:
                return getattr(self.owner, fn.__name__)(*args)
            return self.fn(*args)

    Wrapped.__name__ = Wrapped.__qualname__ = getattr(fn, "__name__", name)
    return Wrapped()


def _method_table(model, example_inputs, dynamic_shapes, methods: Mapping | None) -> dict[str, tuple]:
    import torch

    table = {"forward": (model, _as_tuple(example_inputs), dynamic_shapes)}
    for name, entry in (methods or {}).items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ExportError(f"method name {name!r} is not an identifier")
        if name in table:
            raise ExportError(f"method {name!r} is given twice (forward is the model itself)")
        if not isinstance(entry, (tuple, list)) or len(entry) not in (2, 3):
            raise ExportError(
                f"method {name!r}: expected (module_or_callable, example_inputs[, dynamic_shapes]), "
                f"got {type(entry).__name__}"
            )
        fn, example, *shapes = entry
        table[name] = (_as_module(fn, name), _as_tuple(example), shapes[0] if shapes else None)
    for name, (module, _, _) in table.items():
        if isinstance(module, torch.nn.Module):
            module.eval()
    return table


def _refuse_empty_examples(table: dict[str, tuple]) -> None:
    """An example with a zero-sized dimension exports a program of empty
    tensors, whose verification compares nothing."""
    for name, (_, example, _) in table.items():
        for i, x in enumerate(_tensors(example)):
            if x.numel() == 0:
                where = "" if name == "forward" else f"method {name!r}: "
                raise ExportError(f"{where}example input {i} has shape {list(x.shape)}, which holds no elements: "
                                  "give example inputs of the sizes the model will run at (every dimension 1 or more)")


def export(
    model,
    example_inputs,
    path: str | os.PathLike,
    *,
    backend: str = "xnnpack",
    quantize: str | None = None,
    calibration: Iterable | None = None,
    dynamic_shapes=None,
    methods: Mapping[str, tuple] | None = None,
    verify: bool = True,
    bundled_program: str | os.PathLike | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Exports ``model`` to an ExecuTorch program at ``path``.

    ``backend`` is "xnnpack" (delegate what XNNPACK supports, the rest runs on
    portable kernels) or "portable". ``quantize`` is None, "int8" (static,
    calibrated on ``calibration``, an iterable of input tuples that defaults to
    the example inputs) or "int8-dynamic". ``dynamic_shapes`` goes to
    torch.export as is (``torch.export.Dim`` with bounds; the program then
    takes any shape within them).

    ``methods`` adds methods beside ``forward`` (the model itself):
    ``{"encode": (module_or_callable, example_inputs[, dynamic_shapes])}``; a
    callable such as ``model.encode`` is wrapped in a module. Each method is
    quantized like forward, on its own example inputs.

    With ``verify`` (the default) the written program is loaded in etkit's
    C++ runtime, each method run on its example inputs and compared with
    eager PyTorch: ``ExportReport.accuracy``. A program that does not load
    (a missing operator, an unlinked backend) raises ExportError.
    ``bundled_program`` also writes a BundledProgram (.bpte) there: the program with
    each method's example inputs and eager outputs, which ``et-run --verify``
    checks on the device.
    ``progress`` is called with each stage's name as it starts (STAGES).
    """
    require_export("etkit.export")
    _check_choice("backend", backend, BACKENDS)
    _check_choice("quantize", quantize, QUANTIZE_MODES)
    # torch's, torchao's and executorch's notices about themselves stay out of the caller's output.
    with _quiet.quiet():
        return _export(model, example_inputs, path, backend=backend, quantize=quantize, calibration=calibration,
                       dynamic_shapes=dynamic_shapes, methods=methods, verify=verify,
                       bundled_program=bundled_program, progress=progress)


def _export(model, example_inputs, path, *, backend, quantize, calibration, dynamic_shapes, methods, verify,
            bundled_program, progress) -> ExportReport:

    table = _method_table(model, example_inputs, dynamic_shapes, methods)
    _refuse_empty_examples(table)
    stages = _Stages(progress)

    def describe(name: str, module) -> str:
        return type(module).__name__ if name == "forward" else f"method {name!r} ({type(module).__name__})"

    out = Path(path)
    with _size_oblivious(any(ds is not None for _, _, ds in table.values())):
        captured = stages.run(
            "capture", lambda: {n: _capture(m, ex, ds, describe(n, m)) for n, (m, ex, ds) in table.items()}
        )
        if quantize:
            captured = stages.run("quantize", lambda: {
                n: _quantize(captured[n], ex, ds, quantize, calibration if n == "forward" else None, describe(n, m))
                for n, (m, ex, ds) in table.items()
            })
        edge = stages.run("lower", lambda: _lower(captured, backend))
        delegated, portable, subgraphs = _count_delegation(edge)
        manager, buffer = stages.run("serialize", lambda: _serialize(edge))
        described = _core.describe_program(buffer)  # what etkit inspect will say of the file
        _check_bounds(described, table)  # before writing: never leave a program that takes less than asked
        _write(out, buffer)
        size = len(buffer)
        if bundled_program is not None:
            stages.run("bundle", lambda: _bundle(manager, table, Path(bundled_program)))
    accuracy = stages.run("verify", lambda: _verify(out, table)) if verify else None
    return ExportReport(
        path=str(path),
        backend=backend,
        quantize=quantize,
        size_bytes=size,
        delegated_ops=delegated,
        portable_ops=portable,
        delegated_subgraphs=subgraphs,
        stage_seconds=stages.seconds,
        methods=list(table),
        accuracy=accuracy,
        bundled_program=None if bundled_program is None else str(bundled_program),
        xnnpack_nodes=_xnnpack_nodes(described),
    )


_DYNAMIC = re.compile(r"^(?:(?P<input>\d+):)?(?P<dim>batch|\d+)=(?P<min>\d+)\.\.(?P<max>\d+)$")


def parse_dynamic(specs: Sequence[str], example_inputs) -> tuple:
    """``--dynamic`` texts -> torch.export dynamic_shapes (one dict per input).

    ``DIM=MIN..MAX`` makes dimension DIM of every input dynamic, sharing one
    size (``batch`` means 0: ``batch=1..8``); ``I:DIM=MIN..MAX`` only that of
    input I (counted from 0). The example inputs' sizes must lie within.
    """
    from torch.export import Dim

    example = _as_tuple(example_inputs)
    shapes: list[dict] = [{} for _ in example]
    for text in specs:
        m = _DYNAMIC.match(text.strip())
        if not m:
            raise ExportError(f"bad --dynamic {text!r}: expected DIM=MIN..MAX (e.g. batch=1..8 or 0=1..8) "
                              "for every input, or INPUT:DIM=MIN..MAX (e.g. 1:0=1..8) for one")
        dim = 0 if m["dim"] == "batch" else int(m["dim"])
        lo, hi = int(m["min"]), int(m["max"])
        if not 1 <= lo <= hi:
            raise ExportError(f"bad --dynamic {text!r}: need 1 <= MIN <= MAX")
        if m["input"] is not None:
            which = [int(m["input"])]
            if which[0] >= len(example):
                raise ExportError(f"bad --dynamic {text!r}: the model has {len(example)} input(s), numbered from 0")
            name = f"input{which[0]}_dim{dim}"
        else:
            which = list(range(len(example)))
            name = "batch" if dim == 0 else f"dim{dim}"
        d = Dim(name, min=lo, max=hi)
        for i in which:
            shape = tuple(example[i].shape)
            if dim >= len(shape):
                raise ExportError(f"bad --dynamic {text!r}: input {i} has {len(shape)} dimension(s), shape {list(shape)}")
            if not lo <= shape[dim] <= hi:
                raise ExportError(f"bad --dynamic {text!r}: example input {i} has size {shape[dim]} in dimension "
                                  f"{dim}, outside {lo}..{hi}")
            shapes[i][dim] = d
    return tuple(shapes)


def load_calibration(path: str | os.PathLike, example_inputs, dynamic_shapes=None) -> list[tuple]:
    """Calibration samples from an .npz file: one array per model input, in the
    file's order (``np.savez(f, x, y)`` or ``np.savez(f, x=x, y=y)``), each
    with the sample count as a leading dimension: array i has shape
    ``(N, *input_i.shape)``. Returns N input tuples."""
    import numpy as np
    import torch

    from .spec import read_npz

    example = _as_tuple(example_inputs)
    arrays = read_npz(path, "calibration file", ExportError)
    if len(arrays) != len(example):
        raise ExportError(f"calibration file {path} has {len(arrays)} array(s) ({', '.join(k for k, _ in arrays)}); "
                          f"the model takes {len(example)} input(s): give one array per input, in order")
    dynamic = [set((s or {}).keys()) if isinstance(s, dict) else set() for s in _as_tuple(dynamic_shapes or ())]
    samples: list[list] = []
    counts = set()
    for i, ((key, arr), x) in enumerate(zip(arrays, example)):
        want = tuple(x.shape)
        fits = arr.ndim == len(want) + 1 and all(
            got == w or (i < len(dynamic) and d in dynamic[i]) for d, (got, w) in enumerate(zip(arr.shape[1:], want))
        )
        if not fits:
            raise ExportError(f"calibration array {key!r} (input {i}) has shape {list(arr.shape)}; expected "
                              f"[N, {', '.join(map(str, want))}]: N samples of input {i}'s shape {list(want)}")
        floating = x.dtype.is_floating_point
        if (arr.dtype.kind == "f") != floating or arr.dtype.kind not in "fiub":
            raise ExportError(f"calibration array {key!r} (input {i}) is {arr.dtype}; input {i} is {x.dtype}")
        counts.add(arr.shape[0])
        samples.append([torch.from_numpy(np.ascontiguousarray(s)).to(x.dtype) for s in arr])
    if len(counts) != 1:
        raise ExportError(f"calibration arrays in {path} hold different numbers of samples: {sorted(counts)}")
    if not counts.pop():
        raise ExportError(f"calibration file {path} holds no samples (leading dimension 0)")
    return list(zip(*samples))
