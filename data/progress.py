"""Progress lines for the long phases before training: reading files, building a
vocabulary, decoding images, caching features.

A phase that ends within `after` seconds (3 by default) prints nothing; a longer one
prints one plain line every `every` seconds to stderr (never a redrawn bar, so a log
file or CI log stays readable) and one line when it ends:

    reading reviews.csv: 120,000 rows (40,000 rows/s, 3.0 s)
    reading reviews.csv: done, 250,000 rows in 6.2 s (40,322 rows/s)

Nothing is printed while the environment variable SEQZOO_QUIET is "1" (what `--quiet`
sets, so worker processes stay quiet too). The clock is read once every `check_every`
calls of `advance`, so counting single items costs next to nothing.

Examples:

>>> import io
>>> ticks = iter(range(100))
>>> out = io.StringIO()
>>> with PhaseProgress("reading toy.csv", "rows", stream=out, clock=lambda: next(ticks) * 2.0) as progress:
...     for _ in range(3):
...         progress.advance(1000)
>>> print(out.getvalue().splitlines()[-1])
reading toy.csv: done, 3,000 rows in 8.0 s (375 rows/s)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

QUIET_ENV = "SEQZOO_QUIET"
SHOW_AFTER_SECONDS = 3.0  # shorter phases print nothing: most runs need no progress at all
LINE_EVERY_SECONDS = 5.0

Item = TypeVar("Item")


def progress_quiet() -> bool:
    """Whether progress lines are switched off (`--quiet`: SEQZOO_QUIET=1).

    Examples:

    >>> isinstance(progress_quiet(), bool)
    True
    """
    return os.environ.get(QUIET_ENV) == "1"


def _count(value: float) -> str:
    return f"{value:,.0f}"


class PhaseProgress:
    """Counts what a phase has done and prints a line now and then once it runs long.

    Args:
        phase: what is happening, with its object ("reading reviews.csv").
        unit: what is counted ("rows", "files", "texts", "images").
        total: how many there are, when known (the lines then show a percentage).
        after: seconds before the first line; a phase that ends sooner prints nothing
            (default: SHOW_AFTER_SECONDS, read when the phase starts).
        every: seconds between lines (default: LINE_EVERY_SECONDS).
        check_every: read the clock only every this many calls of `advance`.
        stream: where lines go (default: stderr, or nowhere under SEQZOO_QUIET=1).
        clock: seconds, monotonic (injectable for tests).

    Examples:

    >>> import io
    >>> out = io.StringIO()
    >>> progress = PhaseProgress("building the vocabulary", "texts", stream=out)
    >>> progress.advance(10); progress.close()
    >>> progress.done, out.getvalue()  # quick: nothing printed
    (10, '')
    """

    def __init__(self, phase: str, unit: str = "items", total: int | None = None, after: float | None = None,
                 every: float | None = None, check_every: int = 1, stream=None,
                 clock: Callable[[], float] = time.monotonic):
        self.phase, self.unit, self.total = phase, unit, total
        self.after = SHOW_AFTER_SECONDS if after is None else after
        self.every = LINE_EVERY_SECONDS if every is None else every
        self.check_every = max(1, int(check_every))
        self.stream = stream if stream is not None else (None if progress_quiet() else sys.stderr)
        self.clock = clock
        self.done = 0
        self.lines = 0
        self._calls = 0
        self._started = clock()
        self._next_line = self._started + self.after
        self._closed = False

    def advance(self, count: int = 1) -> None:
        """Count `count` more items; print a line when one is due."""
        self.done += count
        self._calls += 1
        if self.stream is None or self._calls % self.check_every:
            return
        now = self.clock()
        if now >= self._next_line:
            self._print(self._line(now))
            self._next_line = now + self.every

    def close(self) -> None:
        """End the phase: one closing line if any line was printed."""
        if self._closed:
            return
        self._closed = True
        if self.stream is None:
            return
        now = self.clock()
        if self.lines or now - self._started >= self.after:
            seconds = now - self._started
            rate = f" ({_count(self.done / seconds)} {self.unit}/s)" if seconds > 0 else ""
            self._print(f"{self.phase}: done, {_count(self.done)} {self.unit} in {seconds:.1f} s{rate}")

    def _line(self, now: float) -> str:
        seconds = now - self._started
        done = _count(self.done)
        if self.total:
            done = f"{done}/{_count(self.total)} ({100 * self.done / self.total:.0f}%)"
        rate = f"{_count(self.done / seconds)} {self.unit}/s, " if seconds > 0 else ""
        return f"{self.phase}: {done} {self.unit} ({rate}{seconds:.1f} s)"

    def _print(self, line: str) -> None:
        self.lines += 1
        print(line, file=self.stream, flush=True)

    def __enter__(self) -> "PhaseProgress":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:  # a failed phase says why through its error, not a "done" line
            self.close()
        else:
            self._closed = True


def track(items: Iterable[Item], phase: str, unit: str = "items", size: Callable[[Item], int] | None = None,
          total: int | None = None, **options) -> Iterator[Item]:
    """`items`, unchanged, with a `PhaseProgress` counting them (or `size(item)` of each,
    e.g. the rows of a batch) as they are consumed.

    Examples:

    >>> [batch for batch in track([[1, 2], [3]], "decoding images", "images", size=len)]
    [[1, 2], [3]]
    """
    with PhaseProgress(phase, unit, total=total, **options) as progress:
        for item in items:
            yield item
            progress.advance(size(item) if size is not None else 1)
