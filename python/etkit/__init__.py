"""etkit: take PyTorch models to edge devices with ExecuTorch.

``import etkit`` needs numpy only (``pip install etkit``: Runner, inspect,
et-run); ``etkit.export`` imports torch and executorch when called, which
``pip install "etkit[export]"`` brings.
"""

from .errors import (
    ArgumentError,
    DeviceError,
    EtkitError,
    ExecutionError,
    ExportError,
    InputError,
    MethodNotFoundError,
    MissingExtraError,
    ProgramError,
    SpecError,
)
from .exporter import Accuracy, ExportReport, export
from .inspection import inspect
from .runner import Runner, TensorInfo
from .tuning import Candidate, TuneError, TuneReport, tune
from .device import Device

__version__ = "0.1.0"

__all__ = [
    "Accuracy",
    "ArgumentError",
    "Candidate",
    "Device",
    "DeviceError",
    "EtkitError",
    "ExecutionError",
    "ExportError",
    "ExportReport",
    "InputError",
    "MethodNotFoundError",
    "MissingExtraError",
    "ProgramError",
    "Runner",
    "SpecError",
    "TensorInfo",
    "TuneError",
    "TuneReport",
    "export",
    "inspect",
    "tune",
]
