"""Locating etkit's native tools."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .errors import EtkitError


def et_run_path() -> str:
    """$ETKIT_ET_RUN if set (e.g. a sanitizer build), else the et-run installed
    with this etkit (beside the interpreter), else the one on PATH."""
    override = os.environ.get("ETKIT_ET_RUN")
    if override:
        if not (os.path.isfile(override) and os.access(override, os.X_OK)):
            raise EtkitError(f"ETKIT_ET_RUN={override} is not an executable file")
        return override
    beside = Path(sys.executable).parent / "et-run"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("et-run")
    if not found:
        raise EtkitError("et-run is not installed: run scripts/setup.sh (or pip install .)")
    return found
