"""The built-in parallel corpus of the translation template: "cldr-dates".

Dates written out by the Unicode CLDR locale data that ships in Babel (a dependency),
English on the source side and German (or French) on the target side:

    Friday, March 5, 2021   ->  Freitag, 5. März 2021
    March 5, 2021           ->  5. März 2021
    Mar 5, 2021             ->  05.03.2021

Nothing is downloaded and nothing is invented by seqzoo: every sentence is what
`babel.dates.format_date` writes for that locale. The pairs need reordering (day and
month swap places, the weekday's comma moves, "Mar" becomes "03" two positions later),
so an attention model has an alignment to learn that is not the diagonal, and the
vocabulary is small (weekdays, months, day numbers, years), so a model learns the task
in a few minutes on two CPU cores.

How it is made: `random.Random(seed)` draws `size` distinct dates uniformly between
1950-01-01 and 2049-12-31 and, for each, one of the CLDR formats "full", "long" and
"medium" (the same format on both sides; dates in May always take "long", because
English writes "May 5, 2021" in both formats while German writes "5. Mai 2021" and
"05.05.2021", and a source with two translations would cap the exact match). The default
8000 pairs take about a second.
"""

from __future__ import annotations

import datetime
import random

from seqzoo.data.parallel import ParallelTexts

__all__ = ["load_cldr_dates", "DATE_FORMATS", "DEFAULT_SIZE"]

DATE_FORMATS = ("full", "long", "medium")
DEFAULT_SIZE = 8000
FIRST_DAY = datetime.date(1950, 1, 1)
LAST_DAY = datetime.date(2049, 12, 31)
TARGET_LANGUAGES = ("de", "fr")


def load_cldr_dates(
    seed: int = 0, size: int | None = None, target_language: str = "de"
) -> ParallelTexts:
    """English dates and their German (or French) rendering by Babel's CLDR data.

    Args:
        seed: the same seed always gives the same pairs.
        size: number of pairs (distinct dates); None for `DEFAULT_SIZE`.
        target_language: "de" or "fr".

    Returns:
        `ParallelTexts` (English sources, target-language targets).

    Examples:

    >>> pairs = load_cldr_dates(seed=0, size=3)
    >>> len(pairs), all(s != t for s, t in zip(pairs.sources, pairs.targets))
    (3, True)
    >>> from babel.dates import format_date
    >>> import datetime
    >>> format_date(datetime.date(2021, 3, 5), format="long", locale="de")
    '5. März 2021'
    """
    from babel.dates import format_date

    if target_language not in TARGET_LANGUAGES:
        raise ValueError(f"target_language must be one of {TARGET_LANGUAGES}, got {target_language!r}")
    size = DEFAULT_SIZE if size is None else size
    span = (LAST_DAY - FIRST_DAY).days + 1
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= span:
        raise ValueError(f"size must be an integer between 1 and {span}, got {size!r}")
    rng = random.Random(seed)
    offsets = rng.sample(range(span), size)
    sources, targets = [], []
    for offset in offsets:
        day = FIRST_DAY + datetime.timedelta(days=offset)
        style = rng.choice(DATE_FORMATS)
        if style == "medium" and day.month == 5:
            # English writes May alike in the long and medium formats ("May 5, 2021"),
            # German does not; one style keeps every source with one translation.
            style = "long"
        sources.append(format_date(day, format=style, locale="en"))
        targets.append(format_date(day, format=style, locale=target_language))
    return ParallelTexts(
        sources, targets, f"cldr-dates (built-in, en-{target_language}, seed={seed}, size={size})"
    )
