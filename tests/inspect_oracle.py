"""The reading etkit.inspect did before the core read programs itself, kept as
the tests' oracle: executorch's own Python deserializer (needs executorch and
torch); the extended header and XNNPACK's blob header are read directly.
tests/test_inspect.py checks that etkit.inspect (cpp/core/src/describe.cpp)
gives the same dict.
"""

from __future__ import annotations

import os
import struct
from collections import Counter
from pathlib import Path

from etkit.errors import ProgramError

# ExecuTorch ScalarType -> numpy-style names, as etkit.Runner reports them.
_DTYPES = {
    "BYTE": "uint8", "CHAR": "int8", "SHORT": "int16", "INT": "int32", "LONG": "int64", "HALF": "float16",
    "FLOAT": "float32", "DOUBLE": "float64", "BOOL": "bool", "BFLOAT16": "bfloat16", "UINT16": "uint16",
    "UINT32": "uint32", "UINT64": "uint64",
}
_DYNAMISM = {0: "static", 1: "bounded", 2: "unbounded"}


def _xnnpack_nodes(blob: bytes) -> int | None:
    """Number of XNNPACK nodes in a delegate blob: its header ("XH00" at byte 4)
    gives the offset of an XNNGraph flatbuffer, whose second field is xnodes."""
    try:
        if blob[4:8] != b"XH00":
            return None
        fb_offset = struct.unpack_from("<I", blob, 10)[0]
        fb = memoryview(blob)[fb_offset:]
        table = struct.unpack_from("<I", fb, 0)[0]
        vtable = table - struct.unpack_from("<i", fb, table)[0]
        vtable_size = struct.unpack_from("<H", fb, vtable)[0]
        slot = 4 + 2 * 1  # field 1: xnodes
        if slot >= vtable_size:
            return 0
        field = struct.unpack_from("<H", fb, vtable + slot)[0]
        if not field:
            return 0
        vector = table + field + struct.unpack_from("<I", fb, table + field)[0]
        return struct.unpack_from("<I", fb, vector)[0]
    except struct.error:
        return None


def _tensor_info(value) -> dict:
    from executorch.exir.schema import Tensor

    v = value.val
    if not isinstance(v, Tensor):
        kind = type(v).__name__.lower()
        scalar = {"int": "int_val", "bool": "bool_val", "double": "double_val"}.get(kind)
        if scalar:  # the value it was exported with
            return {"kind": "float" if kind == "double" else kind, "value": getattr(v, scalar)}
        return {"kind": kind}
    dtype = getattr(v.scalar_type, "name", str(v.scalar_type))
    return {
        "dtype": _DTYPES.get(dtype, dtype.lower()),
        "shape": list(v.sizes),  # for a dynamic tensor, its upper bound
        "dynamism": _DYNAMISM.get(int(v.shape_dynamism), str(v.shape_dynamism)),
    }


def inspect_with_executorch(path: str | os.PathLike) -> dict:
    """etkit.inspect's dict for an existing .pte or .bpte, read by executorch."""
    path = Path(path)
    data = path.read_bytes()
    if data[4:8] == b"BP08":
        return _inspect_bundled(data, path)
    return _inspect_program(data, path)


def _inspect_bundled(data: bytes, path: Path) -> dict:
    """A .bpte: the program it embeds, and how many test cases each method has."""
    from executorch.devtools.bundled_program.serialize import deserialize_from_flatbuffer_to_bundled_program

    try:
        bundle = deserialize_from_flatbuffer_to_bundled_program(data)
    except Exception as e:
        raise ProgramError(f"{path} is not a readable bundled program (.bpte): {e}") from e
    info = _inspect_program(bytes(bundle.program), path)
    info["bundled"] = {
        "file_bytes": len(data),
        "test_cases": {s.method_name: len(s.test_cases) for s in bundle.method_test_suites},
    }
    return info


def _inspect_program(data: bytes, path: Path) -> dict:
    if len(data) < 8 or data[4:6] != b"ET":
        raise ProgramError(f"{path} is not an ExecuTorch program (no ET file identifier)")

    from executorch.exir._serialize._flatbuffer_program import _flatbuffer_to_program
    from executorch.exir._serialize._program import _get_extended_header
    from executorch.exir.schema import DataLocation, DelegateCall, KernelCall, Tensor, TensorDataLocation

    header = _get_extended_header(data)
    program_size, segment_base = len(data), 0
    if header is not None and header.is_valid():
        program_size, segment_base = header.program_size, header.segment_base_offset
    try:
        program = _flatbuffer_to_program(data[:program_size])
    except Exception as e:  # the generated reader raises whatever a bad offset leads to
        raise ProgramError(f"{path} is not a readable ExecuTorch program: {e}") from e

    segments = program.segments or []
    end = max((segment_base + s.offset + s.size for s in segments), default=program_size)
    if end > len(data):
        raise ProgramError(f"{path} is cut short: its segments end at byte {end:,}, the file has {len(data):,}")

    def segment(index: int) -> bytes:
        s = segments[index]
        return data[segment_base + s.offset: segment_base + s.offset + s.size]

    kind_of_segment: dict[int, str] = {}
    if segments and program.constant_segment and program.constant_segment.offsets:
        kind_of_segment[program.constant_segment.segment_index] = "constants"
    for named in program.named_data or []:
        kind_of_segment.setdefault(named.segment_index, "named_data")
    for sub in program.mutable_data_segments or []:
        kind_of_segment.setdefault(sub.segment_index, "mutable_data")

    methods = []
    for plan in program.execution_plan:
        operators: Counter = Counter()
        delegate_calls: Counter = Counter()
        for chain in plan.chains:
            for instruction in chain.instructions:
                call = instruction.instr_args
                if isinstance(call, KernelCall):
                    op = plan.operators[call.op_index]
                    operators[f"{op.name}.{op.overload}" if op.overload else op.name] += 1
                elif isinstance(call, DelegateCall):
                    delegate_calls[call.delegate_index] += 1
        delegates = []
        for i, d in enumerate(plan.delegates):
            if d.processed.location == DataLocation.SEGMENT:
                kind_of_segment[d.processed.index] = "delegates"
                blob = segment(d.processed.index)
            else:
                blob = program.backend_delegate_data[d.processed.index].data
            nodes = _xnnpack_nodes(blob) if d.id == "XnnpackBackend" else None
            delegates.append({"backend": d.id, "calls": delegate_calls[i], "bytes": len(blob), "nodes": nodes})
        kernel_calls = sum(operators.values())
        # Share of the method's operators: a delegate's nodes against all
        # nodes plus the kernel calls left outside delegates.
        total = kernel_calls + sum(d["nodes"] or 0 for d in delegates)
        for d in delegates:
            d["share"] = (d["nodes"] / total) if d["nodes"] is not None and total else None
        methods.append({
            "name": plan.name,
            "inputs": [_tensor_info(plan.values[i]) for i in plan.inputs],
            "outputs": [_tensor_info(plan.values[i]) for i in plan.outputs],
            "operators": dict(operators.most_common()),
            "kernel_calls": kernel_calls,
            "delegates": delegates,
            # Buffer 0 is reserved for constants; the rest are planned activations.
            "planned_memory_bytes": sum(plan.non_const_buffer_sizes[1:]),
            "external_data": [v.val.extra_tensor_info.fully_qualified_name for v in plan.values
                              if isinstance(v.val, Tensor) and v.val.extra_tensor_info is not None
                              and int(v.val.extra_tensor_info.location) == int(TensorDataLocation.EXTERNAL)],
        })

    sizes = {"file": len(data), "program": program_size, "constants": 0, "delegates": 0, "named_data": 0,
             "mutable_data": 0, "other": 0}
    for i, s in enumerate(segments):
        sizes[kind_of_segment.get(i, "other")] += s.size
    # Constants stored inside the flatbuffer (older programs) count as program.
    sizes["padding"] = len(data) - program_size - sum(s.size for s in segments)
    return {"path": str(path), "version": program.version, "methods": methods, "sizes": sizes}
