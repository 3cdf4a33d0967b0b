"""Input-length ranges for scores by length (translation's BLEU, compare's accuracy)."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def length_buckets(lengths: Sequence[int], max_buckets: int = 5) -> list[tuple[int, int]]:
    """Inclusive (low, high) source-length ranges: one per length when there are few
    distinct lengths, otherwise up to `max_buckets` ranges of similar size (quantiles).

    Examples:

    >>> length_buckets([3, 4, 4, 6])
    [(3, 3), (4, 4), (6, 6)]
    >>> length_buckets(list(range(1, 101)), max_buckets=4)
    [(1, 25), (26, 50), (51, 75), (76, 100)]
    """
    distinct = sorted(set(int(n) for n in lengths))
    if len(distinct) <= max(max_buckets, 6):
        return [(n, n) for n in distinct]
    edges = np.quantile(np.asarray(lengths), np.linspace(0, 1, max_buckets + 1)[1:-1])
    buckets, low = [], distinct[0]
    for edge in edges:
        high = int(np.floor(edge))
        if high >= low:
            buckets.append((low, high))
            low = high + 1
    if low <= distinct[-1]:
        buckets.append((low, distinct[-1]))
    return buckets
