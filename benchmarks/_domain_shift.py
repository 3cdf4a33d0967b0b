"""What the two fine-tuning benchmarks (finetune_shift.py, finetune_shift_translation.py)
print the same way: the machine line and the table of scores on both domains."""

from __future__ import annotations

import os
import platform


def machine_line(setup: str) -> str:
    """The machine, how loaded it was (1-minute load average, read at the end) and `setup`."""
    return (f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
            f"{setup}")


def print_table(rows, score: str, decimals: int, width: int) -> None:
    """`rows` of (model, score on B, score on A, seconds) under a header naming `score`."""
    columns = [f"B test {score}", f"A test {score}"]
    size = max(len(c) for c in columns)
    print(f"{'model':<{width}} {columns[0]:>{size}} {columns[1]:>{size}} {'seconds':>8}")
    for name, on_b, on_a, seconds in rows:
        print(f"{name:<{width}} {on_b:>{size}.{decimals}f} {on_a:>{size}.{decimals}f} {seconds:>8.1f}")
