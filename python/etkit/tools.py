"""Locating etkit's native tools."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .errors import EtkitError


def et_run_path() -> str:
    """The et-run installed with this etkit (beside the interpreter), else the one on PATH."""
    beside = Path(sys.executable).parent / "et-run"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("et-run")
    if not found:
        raise EtkitError("et-run is not installed: run scripts/setup.sh (or pip install .)")
    return found
