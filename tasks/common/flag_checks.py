"""Range checks for the command flags that are not config fields (config fields carry their
ranges in `config.py`). No TensorFlow at import.

`at_least` / `between` make argparse `type=` functions, so a bad number is refused while
the flags are parsed, before any model is loaded; their message names the flag and the
range, in the style of the config checks: "--top-k is -1; it must be at least 0."
`check_out_path` refuses an output path that cannot be written (under a regular file) at
the start of a command.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path


def _number(flag: str, kind: type, text: str):
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{flag} is {text!r}; it must be {what}.") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{flag} is {text}; it must be a finite number.")
    return value


def at_least(flag: str, minimum, kind: type = int):
    """An argparse `type=`: a number (`kind`) of at least `minimum`.

    Examples:

    >>> at_least("--top-k", 0)("3")
    3
    >>> at_least("--top-k", 0)("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: --top-k is -1; it must be at least 0.
    """

    def parse(text: str):
        value = _number(flag, kind, text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{flag} is {text}; it must be at least {minimum}.")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse


def between(flag: str, low, high, kind: type = float, low_open: bool = False):
    """An argparse `type=`: a number in [low, high] ((low, high] with `low_open`).

    Examples:

    >>> between("--top-p", 0.0, 1.0, low_open=True)("1.5")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: --top-p is 1.5; it must be more than 0.0 and at most 1.0.
    """

    def parse(text: str):
        value = _number(flag, kind, text)
        below = value <= low if low_open else value < low
        if below or value > high:
            lower = f"more than {low}" if low_open else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{flag} is {text}; it must be {lower} and at most {high}.")
        return value

    parse.__name__ = kind.__name__
    return parse


def seed(text: str) -> int:
    """An argparse `type=` for --seed: 0 to 2**31 - 1 (TensorFlow takes it as int32)."""
    return between("--seed", 0, 2**31 - 1, kind=int)(text)


def check_out_path(path, flag: str) -> None:
    """Refuse (UsageError) an output path with a regular file among its parents, so nothing
    can be written there; say which file is in the way."""
    from seqzoo.tasks.common.errors import UsageError

    if path is None:
        return
    for parent in Path(os.path.abspath(path)).parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{flag} {path} cannot be written: {parent} is a file, not a folder.")
            return


def check_texts(texts, what: str) -> None:
    """Refuse (UsageError) an empty or blank text among `texts`."""
    from seqzoo.tasks.common.errors import UsageError

    for number, text in enumerate(texts, start=1):
        if not text.strip():
            where = f"text {number}" if len(texts) > 1 else "the text"
            raise UsageError(f"{where} is empty; give {what}.")


def texts_to_read(args, none_given: str, what: str) -> list[str]:
    """The texts of a command: its arguments, then the lines of `--file` (read with
    `--encoding`); none at all, or an empty one, is refused (UsageError) in one sentence."""
    from seqzoo.tasks.common.errors import UsageError

    texts = list(args.texts)
    if args.file:
        from seqzoo.data.readers import read_texts

        texts += read_texts(args.file, encoding=args.encoding)
    if not texts:
        raise UsageError(none_given)
    check_texts(texts, what)
    return texts
