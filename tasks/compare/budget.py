"""The time budget of `seqzoo compare --budget` (no TensorFlow)."""

from __future__ import annotations

import re

from seqzoo.tasks.common.errors import UsageError

__all__ = ["UNLIMITED_EPOCHS", "parse_budget"]

# Epochs of a run with a time budget and no --epochs: the budget (or early stopping) ends it.
UNLIMITED_EPOCHS = 1_000_000
_BUDGET = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(min|sec|h|m|s)?", re.IGNORECASE)
_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}


def parse_budget(text: str) -> float:
    """Seconds in a duration such as `90s`, `10m`, `1h`, `1h30m` or `45` (seconds).

    Examples:

    >>> parse_budget("10m"), parse_budget("90s"), parse_budget("1h30m"), parse_budget("2.5")
    (600.0, 90.0, 5400.0, 2.5)
    >>> parse_budget("soon")
    Traceback (most recent call last):
    ...
    seqzoo.tasks.common.errors.UsageError: budget 'soon': give a duration such as 90s, 10m, 1h or 1h30m.
    """
    compact = text.strip().replace(" ", "")
    parts = list(_BUDGET.finditer(compact))
    if not compact or not parts or "".join(p.group(0) for p in parts) != compact:
        raise UsageError(f"budget {text!r}: give a duration such as 90s, 10m, 1h or 1h30m.")
    seconds = sum(float(p.group(1)) * _SECONDS[(p.group(2) or "").lower() or None] for p in parts)
    if seconds <= 0:
        raise UsageError(f"budget {text!r}: must be more than zero.")
    return seconds
