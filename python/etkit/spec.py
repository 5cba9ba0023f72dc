"""Resolve a model SPEC: a built-in name, path/to/file.py:Name or package.module:Name.

Name is an nn.Module class (built with no arguments) or a factory function
returning a module, or a (module, example_inputs) pair.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

from . import zoo
from .errors import SpecError


def parse_shape(text: str) -> tuple[int, ...]:
    """'1x3x224x224' -> (1, 3, 224, 224)."""
    try:
        dims = tuple(int(d) for d in text.lower().split("x"))
    except ValueError:
        raise SpecError(f"bad --input-shape {text!r}: expected dimensions joined by 'x', like 1x3x224x224") from None
    if not dims or any(d < 1 for d in dims):
        # A zero-sized example exports an empty program and compares nothing.
        raise SpecError(f"bad --input-shape {text!r}: every dimension must be 1 or more")
    return dims


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


def resolve(spec: str, input_shapes: list[tuple[int, ...]] | None = None):
    """Returns (model, example_inputs) for a SPEC.

    ``input_shapes`` gives float32 example inputs; without it, a built-in
    model uses its own and a user model needs a factory that returns
    (module, example_inputs) or a module with an ``example_inputs`` attribute.
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
    if input_shapes:
        gen = torch.Generator().manual_seed(0)
        example = tuple(torch.randn(*s, generator=gen) for s in input_shapes)
    if example is None:
        raise SpecError(
            f"{spec} has no example inputs: pass --input-shape (once per input), "
            "or return (module, example_inputs) from a factory"
        )
    example = tuple(example) if isinstance(example, (tuple, list)) else (example,)
    return model.eval(), example
