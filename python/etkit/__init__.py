"""etkit: take PyTorch models to edge devices with ExecuTorch.

``import etkit`` needs numpy only; ``etkit.export`` imports torch and
executorch when called.
"""

from .errors import (
    ArgumentError,
    EtkitError,
    ExecutionError,
    ExportError,
    InputError,
    MethodNotFoundError,
    ProgramError,
    SpecError,
)
from .exporter import Accuracy, ExportReport, export
from .inspection import inspect
from .runner import Runner, TensorInfo

__version__ = "0.1.0"

__all__ = [
    "Accuracy",
    "ArgumentError",
    "EtkitError",
    "ExecutionError",
    "ExportError",
    "ExportReport",
    "InputError",
    "MethodNotFoundError",
    "ProgramError",
    "Runner",
    "SpecError",
    "TensorInfo",
    "export",
    "inspect",
]
