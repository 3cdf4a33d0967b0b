"""Held-out splits of one running text by contiguous blocks (for language models).

Shuffling the lines of a text before splitting it leaks: neighbouring lines
share names, phrases and topics, so a model scores well on validation lines
whose neighbours it trained on. `split_corpus` cuts the text into
`num_blocks` contiguous blocks (at line ends where one is near) and holds out
whole blocks, chosen with a seed, so the held-out text is text the model has
never seen a neighbour of, except at the few block edges.

Pure Python, no TensorFlow.
"""

from __future__ import annotations

import random
import re

from seqzoo.data.errors import DataError

__all__ = ["split_corpus"]

_WHITE_SPACE = re.compile(r"\s")


def _cut_points(text: str, num_blocks: int) -> list[int]:
    """Block boundaries: about equal sizes, each moved to just after a nearby newline,
    else to just after the next white space, so no word is ever cut in two (a
    word-level model would read the two halves as two unknown words). Where the next
    white space lies beyond the next target, that block merges with the next one; only
    a text without any white space (one long word, or a script written without
    spaces) is cut at the targets themselves."""
    size = len(text) / num_blocks
    spaced = _WHITE_SPACE.search(text) is not None
    cuts = [0]
    for index in range(1, num_blocks):
        target = int(round(index * size))
        cut = target
        if spaced:
            # A newline within half a block keeps lines whole, else white space words.
            found = text.find("\n", target, target + int(size / 2) + 1)
            if found == -1 or found + 1 - target >= size / 2:
                match = _WHITE_SPACE.search(text, target)
                found = -1 if match is None else match.start()
            if found == -1:
                break  # no white space after the target: the rest is one block
            cut = found + 1
        if cuts[-1] < cut < len(text):
            cuts.append(cut)
    cuts.append(len(text))
    return cuts


def split_corpus(
    text: str,
    valid_fraction: float = 0.05,
    test_fraction: float = 0.05,
    num_blocks: int = 100,
    seed: int = 0,
    source: str = "the corpus",
) -> dict[str, str]:
    """Splits a running text into train / valid / test texts by contiguous blocks.

    The text is cut into `num_blocks` blocks of about equal length (at line
    ends where possible); `round(num_blocks * fraction)` blocks (at least
    one when the fraction is positive) go to validation and to test, drawn
    with `seed`; the rest, in order, is the training text. Each split is its
    blocks joined in their original order.

    Args:
        text: the whole corpus.
        valid_fraction: share of the blocks held out for validation (0 for none).
        test_fraction: share of the blocks held out for testing (0 for none).
        num_blocks: number of blocks; fewer when the text is shorter than that
            in characters.
        seed: which blocks are held out.
        source: the file or data set name, for error messages.

    Returns:
        `{"train": str, "valid": str, "test": str}` (an empty string for a
        fraction of 0).

    Raises:
        DataError: the text is too short to hold out the blocks asked for.

    Examples:

    >>> text = "".join(f"line {i}\\n" for i in range(100))
    >>> splits = split_corpus(text, 0.1, 0.1, num_blocks=10, seed=0)
    >>> [len(splits[name].splitlines()) for name in ("train", "valid", "test")]
    [80, 10, 10]
    >>> splits["valid"].splitlines()[:2]   # a contiguous block, not scattered lines
    ['line 71', 'line 72']
    """
    if not 0 <= valid_fraction < 1 or not 0 <= test_fraction < 1:
        raise ValueError("valid_fraction and test_fraction must lie in [0, 1)")
    if valid_fraction + test_fraction >= 1:
        raise ValueError("valid_fraction + test_fraction must be below 1")
    cuts = _cut_points(text, max(1, min(num_blocks, len(text))))
    blocks = [text[start:end] for start, end in zip(cuts, cuts[1:])]

    def count(fraction: float) -> int:
        return 0 if fraction == 0 else max(1, round(len(blocks) * fraction))

    wanted_valid, wanted_test = count(valid_fraction), count(test_fraction)
    if wanted_valid + wanted_test >= len(blocks):
        raise DataError(
            f"{source}: the text ({len(text)} characters) is too short to hold out "
            f"validation and test blocks; give more text or --valid and --test files"
        )
    order = list(range(len(blocks)))
    random.Random(seed).shuffle(order)
    valid = set(order[:wanted_valid])
    test = set(order[wanted_valid : wanted_valid + wanted_test])
    return {
        "train": "".join(b for i, b in enumerate(blocks) if i not in valid and i not in test),
        "valid": "".join(b for i, b in enumerate(blocks) if i in valid),
        "test": "".join(b for i, b in enumerate(blocks) if i in test),
    }
