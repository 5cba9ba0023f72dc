"""The one exception hierarchy of etkit.

Every failure that etkit reports, from the Python tooling or from the C++ core
through the binding, is an :class:`EtkitError`. The subclasses also derive from
the matching built-in exception so that ``except ValueError`` keeps working.
"""

from __future__ import annotations


class EtkitError(Exception):
    """Base class of every error raised by etkit."""


class ProgramError(EtkitError, ValueError):
    """A .pte file is missing, unreadable, malformed or rejected by the runtime."""


class MethodNotFoundError(EtkitError, KeyError):
    """The program has no method of the requested name."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable.
        return str(self.args[0]) if self.args else ""


class InputError(EtkitError, ValueError):
    """Inputs do not fit the method: wrong count, dtype, shape or a bad .npy file."""


class ExecutionError(EtkitError, RuntimeError):
    """The runtime failed while loading or executing a method."""


class ExportError(EtkitError, RuntimeError):
    """A model could not be captured, lowered or serialized."""


class SpecError(EtkitError, ValueError):
    """A model SPEC (built-in name, file.py:Name or package.module:Name) does not resolve."""


class ArgumentError(EtkitError, ValueError):
    """An option makes no sense (negative counts, max below min, ...)."""


class BuildError(EtkitError, RuntimeError):
    """A native build (cross-compiling et-run for a device bundle) failed."""


class MissingExtraError(EtkitError, ImportError):
    """An export-side function was called in a runtime-only install: torch and
    executorch come with ``pip install "etkit[export]"``."""


class DeviceError(EtkitError, RuntimeError):
    """A device itself failed: unreachable, authentication, no space, unsupported
    architecture, or the connection dropped mid-run (exit code 3 of ``etkit remote``).
    ``device`` is the URL as given, ``cause`` the short reason."""

    def __init__(self, message: str, *, device: str | None = None, cause: str | None = None) -> None:
        super().__init__(message)
        self.device = device
        self.cause = cause
