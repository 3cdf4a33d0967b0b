"""Shared fixtures for the task tests: tiny labelled files a model can learn quickly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tasks.helpers import toy_reviews, write_csv

@pytest.fixture
def toy_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "reviews.csv", toy_reviews(120), header=("review", "stars"))
