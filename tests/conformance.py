"""The programs of ExecuTorch's own runtime tests, exported the way its
test/models/export_program.py exports them (pytorch/executorch, BSD licence):
plain to_edge + to_executorch, no etkit in the way. They are programs etkit
did not write, so they test that etkit runs what the runtime runs: scalar
inputs, no weights at all, unplanned inputs and outputs, a joint training
graph, mutable state, several methods, weights in a separate .ptd file.

The module definitions are written here from that script's descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn
from torch.export import Dim


class ModuleBasic(nn.Module):
    def forward(self, x):
        return torch.sin(x).max()


class ModuleIndex(nn.Module):
    def forward(self, x):
        return x[1::2, torch.tensor([1, 2])]


class ModuleIntBool(nn.Module):
    def forward(self, x: torch.Tensor, y: int, z: bool):
        return x + y + int(z)


class ModuleNoOp(nn.Module):
    def forward(self, x, y):
        return (x, y)


class ModuleAdd(nn.Module):
    def forward(self, x, y, alpha):
        return torch.add(x, y, alpha=alpha)


class ModuleDynamicCat(nn.Module):
    def forward(self, k):
        return torch.cat((k, torch.ones(1, 4)))


class ModuleAddMul(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = 3 * torch.ones(2, 2)
        self.b = 2 * torch.ones(2, 2)

    def forward(self, x):
        return torch.add(torch.mul(self.a, x), self.b)


class ModuleLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)

    def forward(self, x):
        return self.linear(x)


class ModuleMultipleEntry(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = 3 * torch.ones(2, 2)
        self.b = 2 * torch.ones(2, 2)

    def forward(self, x):
        return x + self.a

    def forward2(self, x):
        return x + self.a + self.b


class ModuleSimpleTrain(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)
        self.loss = nn.CrossEntropyLoss()

    def forward(self, x, y):
        return self.loss(self.linear(x).softmax(dim=0), y)


class ModuleStateful(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("state", torch.zeros(1, dtype=torch.int32))

    def forward(self, x):
        self.state.add_(1)
        return x + self.state


class ModuleKVCacheInputPos(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)

    def forward(self, x, input_pos):
        return (self.linear(x.to(torch.float)).to(torch.long) + input_pos).to(torch.float)


class ModuleNoKVCache(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)

    def forward(self, x):
        return self.linear(x.to(torch.float))


class ModuleSharedState(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("state", torch.ones(1))

    def forward(self, x):
        return self.state.add_(1) + x

    def get_state(self):
        return self.state

    def set_state(self, x):
        self.state.copy_(x)


@dataclass
class Case:
    """One program: its module, example inputs per method, export options."""

    name: str
    module: Callable[[], nn.Module]
    inputs: dict[str, tuple]
    dynamic_shapes: Any = None
    # MemoryPlanningPass options and ExecutorchBackendConfig options.
    planning: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    joint: bool = False  # a training program: forward and backward in one graph
    # ExecuTorch's runtime crashes on it (seen: SIGSEGV in its Python runtime):
    # etkit must refuse it with a message instead.
    crashes_runtime: bool = False


def _ids(*shape):
    return torch.randint(100, shape, dtype=torch.long)


CASES = [
    Case("ModuleBasic", ModuleBasic, {"forward": (torch.randn(100),)}, config={"ignore_to_out_var_failure": True}),
    Case("ModuleIndex", ModuleIndex, {"forward": (torch.randn(10, 10, 10),)}),
    Case("ModuleIntBool", ModuleIntBool, {"forward": (torch.ones(1), 1, True)}),
    Case("ModuleNoOp", ModuleNoOp, {"forward": (torch.randn(2, 2), torch.randn(2, 2))}),
    Case("ModuleAdd", ModuleAdd, {"forward": (torch.randn(2, 2), torch.randn(2, 2), 1.0)}),
    Case("ModuleAddHalf", ModuleAdd, {"forward": (torch.randn(2, 2).half(), torch.randn(2, 2).half(), 1.0)}),
    Case(
        "ModuleDynamicCatUnallocatedIO",
        ModuleDynamicCat,
        {"forward": (torch.randn(3, 4),)},
        dynamic_shapes=({0: Dim("dim0_k", max=3)},),
        planning={"alloc_graph_input": False, "alloc_graph_output": False},
    ),
    Case("ModuleAddMul", ModuleAddMul, {"forward": (torch.ones(2, 2),)}),
    Case("ModuleLinear", ModuleLinear, {"forward": (torch.randn(3),)}),
    Case("ModuleMultipleEntry", ModuleMultipleEntry, {"forward": (torch.ones(2, 2),), "forward2": (torch.ones(2, 2),)}),
    Case("ModuleSimpleTrain", ModuleSimpleTrain, {"forward": (torch.randn(3), torch.tensor([1.0, 0.0, 0.0]))},
         joint=True),
    # Its state is left unplanned for the caller to provide (export_state_names).
    Case("ModuleStateful", ModuleStateful, {"forward": (torch.ones(1),)},
         planning={"alloc_mutable_buffers": False}, config={"emit_mutable_buffer_names": True}, crashes_runtime=True),
    Case("ModuleKVCacheInputPos", ModuleKVCacheInputPos, {"forward": (_ids(1, 3), torch.tensor([0]))}),
    Case("ModuleKVCacheCachePos", ModuleKVCacheInputPos, {"forward": (_ids(1, 3), torch.arange(3))}),
    Case("ModuleNoKVCache", ModuleNoKVCache, {"forward": (_ids(1, 3),)}),
    Case(
        "ModuleSharedState",
        ModuleSharedState,
        {"forward": (torch.ones(1),), "get_state": (), "set_state": (torch.ones(1),)},
        planning={"share_mutable_buffers": True},
    ),
]
# Weights in a separate .ptd file (program-data separation).
EXTERNAL = ["ModuleAddMul", "ModuleLinear"]


class _Method(nn.Module):
    """One method of a module as the forward of a module that shares its state."""

    def __init__(self, module: nn.Module, method: str):
        super().__init__()
        self.inner = module
        self.method = method

    def forward(self, *args):
        return getattr(self.inner, self.method)(*args)


def by_name(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def export(case: Case, out: Path, external_constants: bool = False) -> tuple[Path, Path | None]:
    """Writes case's program (and its .ptd with external constants); returns their paths."""
    from executorch.exir import EdgeCompileConfig, ExecutorchBackendConfig, to_edge
    from executorch.exir.passes import MemoryPlanningPass, ToOutVarPass

    torch.manual_seed(0)
    module = case.module().eval()
    methods = {}
    for method, args in case.inputs.items():
        if case.joint:
            from torch.export._trace import _export
            from torch.export.experimental import _export_forward_backward

            ep = _export(module, args, pre_dispatch=True)
            methods[method] = _export_forward_backward(ep)
        else:
            target = module if method == "forward" else _Method(module, method)
            methods[method] = torch.export.export(target, args, dynamic_shapes=case.dynamic_shapes, strict=False)
    config = dict(case.config)
    ignore = config.pop("ignore_to_out_var_failure", False)
    program = to_edge(methods, compile_config=EdgeCompileConfig(_check_ir_validity=False)).to_executorch(
        ExecutorchBackendConfig(
            memory_planning_pass=MemoryPlanningPass(**case.planning),
            to_out_var_pass=ToOutVarPass(ignore),
            external_constants=external_constants,
            **config,
        )
    )
    name = case.name + ("Program" if external_constants else "")
    pte = out / f"{name}.pte"
    pte.write_bytes(program.buffer)
    ptd = None
    if external_constants:
        program.write_tensor_data_to_file(str(out))
        written = sorted(out.glob("*.ptd"), key=lambda p: p.stat().st_mtime)
        ptd = out / f"{case.name}.ptd"
        written[-1].rename(ptd)
    return pte, ptd


if __name__ == "__main__":
    import sys

    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        print(export(case, folder))
    for name in EXTERNAL:
        print(export(by_name(name), folder, external_constants=True))
