"""Plots written into run directories (matplotlib, no screen needed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

from seqzoo.tasks.common.atomic_files import atomic_path

# History columns that are not learning curves: the schedule, and the time each epoch
# spent on its training batches (recipe.TrainingClock).
NOT_PLOTTED = ("learning_rate", "train_seconds")


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; works on machines without a display
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path: str | os.PathLike) -> None:
    """Save atomically, so an interrupted run never leaves a broken PNG."""
    path = Path(path)
    # The file names its maker, so that a later command may replace it (output_dirs.is_seqzoo_plot).
    metadata = {"Creator": "seqzoo"} if path.suffix.lower() in (".png", ".svg", ".pdf", ".ps", ".eps") else None
    try:
        # Matplotlib picks the format by the name's ending: the temporary keeps it.
        with atomic_path(path, suffix=f".tmp{path.suffix}") as temporary:
            figure.savefig(temporary, dpi=120, bbox_inches="tight", metadata=metadata)
    finally:
        pyplot().close(figure)


def plot_learning_curves(
    history: Mapping[str, Sequence[float]], path: str | os.PathLike, title: str = ""
) -> None:
    """One panel per metric (loss, accuracy, ...), training and validation on shared axes.

    Examples:

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "curves.png")
    >>> plot_learning_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, path)
    >>> os.path.getsize(path) > 0
    True
    """
    plt = pyplot()
    names = [name for name in history if not name.startswith("val_") and name not in NOT_PLOTTED]
    figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names):
        epochs = range(1, len(history[name]) + 1)
        axis.plot(epochs, history[name], marker="o", label="training")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], marker="o", label="validation")
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    save_figure(figure, path)
