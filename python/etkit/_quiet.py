"""Keeps torch's, torchao's and executorch's own notices out of etkit's output.

They warn about their own internals (deprecations between each other, CUDA
extensions a CPU install cannot load) in words that say nothing about the
user's model. etkit filters them where it calls those libraries, and only
theirs: warnings raised by etkit itself or by the user's model still show.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Iterator

# Warnings attributed to these modules (the warning's own module, after its stacklevel).
_MODULES = r"(torch|torchao|executorch)(\..*)?$"
# Theirs, though attributed elsewhere: torch's pytree deprecation is raised from
# copyreg when executorch deep-copies a graph's tree specs (eight times an export).
_MESSAGES = (r"`isinstance\(treespec, LeafSpec\)` is deprecated",)
# Loggers that print at import or export: torchao a "Failed to load" line per
# CUDA extension; torch's pytree one line when torchao registers an enum.
_LOGGERS = ("torchao", "torch.utils._pytree")


def filter_warnings() -> None:
    """Adds filters for those libraries' warnings to the current warnings
    state: process-wide at the etkit command's start, or inside quiet()."""
    warnings.filterwarnings("ignore", module=_MODULES)
    for message in _MESSAGES:
        warnings.filterwarnings("ignore", message=message)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Within the block, those libraries' warnings are filtered and their
    chatty loggers show errors only; both are restored afterwards."""
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        filter_warnings()
        for logger in loggers:
            logger.setLevel(max(logger.getEffectiveLevel(), logging.ERROR))
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def silence_loggers() -> None:
    """For the etkit command, which owns its process: those libraries' loggers
    show errors only, from now on (after torch's import, which sets their levels)."""
    for name in ("torch", "torchao", "executorch", *_LOGGERS):
        logging.getLogger(name).setLevel(logging.ERROR)
