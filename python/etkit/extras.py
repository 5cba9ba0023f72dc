"""What an install has: ``pip install etkit`` is the runtime (numpy only);
``pip install "etkit[export]"`` adds torch and executorch for the export side.
"""

from __future__ import annotations

import importlib.util

from .errors import MissingExtraError

EXPORT_HINT = 'pip install "etkit[export]"'


def has_export() -> bool:
    """True when torch and executorch can be imported (found, not imported: cheap)."""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "executorch"))


def require_export(what: str) -> None:
    """Raises MissingExtraError, one line naming ``what`` and the install that
    brings it, when the export extra is not installed."""
    if not has_export():
        raise MissingExtraError(f"{what} needs the export extra: {EXPORT_HINT}")
