"""Metrics of a classifier, computed with scikit-learn."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def classification_metrics(
    true_ids: Sequence[int], predicted_ids: Sequence[int], label_names: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1 and the confusion matrix (rows: true labels).

    Examples:

    >>> metrics = classification_metrics([0, 1, 1], [0, 1, 0], ["neg", "pos"])
    >>> round(metrics["accuracy"], 3), metrics["confusion_matrix"]
    (0.667, [[1, 0], [1, 1]])
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    label_ids = list(range(len(label_names)))
    true_ids = np.asarray(true_ids)
    predicted_ids = np.asarray(predicted_ids)
    per_class = f1_score(true_ids, predicted_ids, labels=label_ids, average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(true_ids, predicted_ids)),
        "macro_f1": float(
            f1_score(true_ids, predicted_ids, labels=label_ids, average="macro", zero_division=0)
        ),
        "f1_per_class": {name: float(value) for name, value in zip(label_names, per_class)},
        "confusion_matrix": confusion_matrix(true_ids, predicted_ids, labels=label_ids).tolist(),
        "labels": list(label_names),
        "examples": int(len(true_ids)),
    }


def format_confusion_matrix(matrix: Sequence[Sequence[int]], label_names: Sequence[str]) -> str:
    """The confusion matrix as an aligned text table (rows: true, columns: predicted)."""
    width = max(6, *(len(name) for name in label_names), *(len(str(v)) for row in matrix for v in row))
    header = " " * (width + 2) + " ".join(f"{name:>{width}}" for name in label_names)
    rows = [
        f"{name:>{width}}  " + " ".join(f"{value:>{width}}" for value in row)
        for name, row in zip(label_names, matrix)
    ]
    return "\n".join(["true \\ predicted", header, *rows])
