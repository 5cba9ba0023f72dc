"""Resolve a model SPEC: a built-in name, path/to/file.py:Name or package.module:Name.

Name is an nn.Module class (built with no arguments) or a factory function
returning a module, or a (module, example_inputs) pair.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import zoo
from .errors import SpecError


# --input-shape's dtypes: the name a user types -> torch's dtype name.
DTYPES = {
    "float32": "float32", "float": "float32", "f32": "float32",
    "float16": "float16", "half": "float16", "f16": "float16",
    "float64": "float64", "double": "float64", "f64": "float64",
    "int64": "int64", "long": "int64", "i64": "int64",
    "int32": "int32", "int": "int32", "i32": "int32",
    "int16": "int16", "i16": "int16",
    "int8": "int8", "i8": "int8",
    "uint8": "uint8", "u8": "uint8",
    "bool": "bool",
}
INPUT_SHAPE_HELP = (
    "SHAPE[:DTYPE[:LOW..HIGH]]: 1x3x224x224 (float32, standard normal), 1x16:int64 (integers 0..9), "
    "1x16:int64:0..999 (token ids of a vocabulary of 1000; LOW and HIGH included), 2x8:float32:-1..1 (uniform). "
    f"DTYPE is one of {', '.join(sorted(set(DTYPES.values())))}"
)
# Integers without a range: small enough for any embedding table or index a model may take.
DEFAULT_INT_RANGE = (0, 9)


@dataclass(frozen=True)
class InputSpec:
    """One --input-shape: the shape, the dtype and the range random values are drawn from
    (None: standard normal for floats, DEFAULT_INT_RANGE for integers)."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    low: float | None = None
    high: float | None = None

    def __str__(self) -> str:
        text = "x".join(map(str, self.shape)) + f":{self.dtype}"
        return text + (f":{_num(self.low)}..{_num(self.high)}" if self.low is not None else "")

    def make(self, generator):
        """A random example tensor of this spec."""
        import torch

        dtype = getattr(torch, self.dtype)
        if dtype == torch.bool:
            return torch.randint(0, 2, self.shape, generator=generator).to(torch.bool)
        if dtype.is_floating_point:
            if self.low is None:
                return torch.randn(*self.shape, generator=generator).to(dtype)
            return (torch.rand(*self.shape, generator=generator, dtype=torch.float64) * (self.high - self.low)
                    + self.low).to(dtype)
        low, high = (self.low, self.high) if self.low is not None else DEFAULT_INT_RANGE
        return torch.randint(int(low), int(high) + 1, self.shape, generator=generator, dtype=dtype)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_RANGE = re.compile(r"^(?P<low>[-+]?[0-9.]+(?:e[-+]?[0-9]+)?)\.\.(?P<high>[-+]?[0-9.]+(?:e[-+]?[0-9]+)?)$")


def parse_input_spec(text: str) -> InputSpec:
    """'1x3x224x224' -> float32; '1x16:int64' or '1x16:int64:0..999' -> int64 ids (LOW..HIGH inclusive)."""
    shape_text, *rest = text.strip().split(":")
    usage = f"bad --input-shape {text!r}: expected {INPUT_SHAPE_HELP}"
    if len(rest) > 2:
        raise SpecError(usage)
    try:
        dims = tuple(int(d) for d in shape_text.lower().split("x"))
    except ValueError:
        raise SpecError(f"bad --input-shape {text!r}: expected dimensions joined by 'x', like 1x3x224x224 "
                        "(then optionally :DTYPE[:LOW..HIGH], like 1x16:int64:0..999)") from None
    if not dims or any(d < 1 for d in dims):
        # A zero-sized example exports an empty program and compares nothing.
        raise SpecError(f"bad --input-shape {text!r}: every dimension must be 1 or more")
    dtype = "float32"
    if rest:
        name = rest[0].strip().lower()
        if name not in DTYPES:
            raise SpecError(f"bad --input-shape {text!r}: unknown dtype {rest[0]!r}; "
                            f"expected one of {', '.join(sorted(set(DTYPES.values())))}")
        dtype = DTYPES[name]
    low = high = None
    if len(rest) == 2:
        m = _RANGE.match(rest[1].strip())
        try:
            low, high = (float(m["low"]), float(m["high"])) if m else (None, None)
        except ValueError:
            low = high = None
        if low is None or not low <= high:
            raise SpecError(f"bad --input-shape {text!r}: the value range must be LOW..HIGH with LOW <= HIGH, "
                            "like 0..999")
        if dtype == "bool":
            raise SpecError(f"bad --input-shape {text!r}: a bool input takes no value range")
        if dtype not in ("float32", "float16", "float64") and not (low.is_integer() and high.is_integer()):
            raise SpecError(f"bad --input-shape {text!r}: an integer input's range must be whole numbers")
    return InputSpec(dims, dtype, low, high)


def parse_shape(text: str) -> tuple[int, ...]:
    """'1x3x224x224' -> (1, 3, 224, 224) (the shape part of an --input-shape)."""
    return parse_input_spec(text).shape


def read_npz(path, what: str, error: type[Exception]) -> list:
    """The (key, array) pairs of an .npz in the file's order; ``error`` naming
    ``what`` when it is missing or unreadable (no pickles: the file is data)."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as npz:
            return [(k, npz[k]) for k in npz.files]
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except Exception as e:
        raise error(f"cannot read {what} {path} as .npz: {e}") from e


def load_inputs(path: str | Path) -> tuple:
    """Example inputs from an .npz: one array per model input, in the file's order
    (``np.savez(f, x, y)`` or ``np.savez(f, x=x, y=y)``), each with its own dtype and shape."""
    import numpy as np
    import torch

    arrays = read_npz(path, "--inputs file", SpecError)
    if not arrays:
        raise SpecError(f"--inputs file {path} holds no arrays: give one array per model input, in order")
    made = []
    for key, arr in arrays:
        if arr.dtype.kind not in "fiub":
            raise SpecError(f"--inputs array {key!r} in {path} is {arr.dtype}: expected numbers or bools")
        if arr.size == 0:
            raise SpecError(f"--inputs array {key!r} in {path} has shape {list(arr.shape)}: it holds no elements")
        made.append(torch.from_numpy(np.ascontiguousarray(arr)))
    return tuple(made)


def _load_object(spec: str):
    target, _, name = spec.rpartition(":")
    if not target or not name:
        raise SpecError(
            f"unknown model {spec!r}: give a built-in name ({', '.join(sorted(zoo.MODELS))}), "
            "path/to/file.py:Name or package.module:Name"
        )
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise SpecError(f"model file {target} does not exist")
        mod_name = f"_etkit_spec_{path.stem}"
        mod_spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules[mod_name] = module
        try:
            mod_spec.loader.exec_module(module)
        except Exception as e:
            raise SpecError(f"importing {target} failed: {type(e).__name__}: {e}") from e
    else:
        try:
            module = importlib.import_module(target)
        except Exception as e:
            raise SpecError(f"cannot import {target}: {type(e).__name__}: {e}") from e
    try:
        return getattr(module, name)
    except AttributeError:
        raise SpecError(f"{target} has no attribute {name!r}") from None


def resolve(spec: str, inputs=None):
    """Returns (model, example_inputs) for a SPEC.

    ``inputs`` replaces the model's example inputs: a list of InputSpec (or
    shape tuples, float32) to draw random ones from, or a tuple of tensors
    (from load_inputs). Without it, a built-in model uses its own and a user
    model needs a factory that returns (module, example_inputs) or a module
    with an ``example_inputs`` attribute.
    """
    import torch

    if spec in zoo.MODELS:
        model, example = zoo.build(spec)
    else:
        obj = _load_object(spec)
        if not callable(obj):
            raise SpecError(f"{spec} is not a class or a factory function")
        try:
            made = obj()
        except Exception as e:
            kind = "class" if inspect.isclass(obj) else "factory"
            raise SpecError(f"building {spec} failed ({kind} called with no arguments): {type(e).__name__}: {e}") from e
        model, example = made if isinstance(made, tuple) else (made, getattr(made, "example_inputs", None))
        if callable(example):
            example = example()
        if not isinstance(model, torch.nn.Module):
            raise SpecError(f"{spec} gave a {type(model).__name__}, not a torch.nn.Module")
    if inputs:
        if all(isinstance(x, torch.Tensor) for x in inputs):
            example = tuple(inputs)
        else:
            gen = torch.Generator().manual_seed(0)
            example = tuple((s if isinstance(s, InputSpec) else InputSpec(tuple(s))).make(gen) for s in inputs)
    if example is None:
        raise SpecError(
            f"{spec} has no example inputs: pass --input-shape (once per input) or --inputs FILE.npz, "
            "or return (module, example_inputs) from a factory"
        )
    example = tuple(example) if isinstance(example, (tuple, list)) else (example,)
    return model.eval(), example
