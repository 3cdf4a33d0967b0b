"""Shared fixtures for the task tests: tiny labelled files a model can learn quickly."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

FILLER = "the a film movie plot story was is and it this that with of".split()


def toy_reviews(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """Texts whose label is given by one keyword ("great" / "awful") among filler words."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        label = "pos" if i % 2 == 0 else "neg"
        words = rng.choices(FILLER, k=rng.randint(2, 8))
        words.insert(rng.randint(0, len(words)), "great" if label == "pos" else "awful")
        rows.append((" ".join(words), label))
    return rows


def write_csv(path: Path, rows, header=("text", "label"), delimiter=",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def toy_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "reviews.csv", toy_reviews(120), header=("review", "stars"))
