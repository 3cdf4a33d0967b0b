"""What the command line of every task and tool shares: flags made from a config
dataclass (over a `--config` file), `--quiet` / `--verbose`, the errors shown as one
sentence, and a quiet TensorFlow import.

Nothing here imports TensorFlow at import time, so every `--help` answers at once.

Examples:

>>> import argparse
>>> from seqzoo.tasks.sentiment.config import SentimentConfig
>>> parser = argparse.ArgumentParser()
>>> add_config_flags(parser, SentimentConfig, only={"arch", "epochs"})
>>> config_from_args(SentimentConfig, parser.parse_args(["--epochs", "3"])).epochs
3
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import typing
from collections.abc import Iterator

from seqzoo.data.progress import QUIET_ENV
from seqzoo.tasks.common.config import config_fields, field_groups, read_config_file

_TYPES = {"str": str, "int": int, "float": float}


def _flag_type(annotation):
    """`int`, `float` or `str` for a field annotated so (`X | None` too), as a string (a
    module with `from __future__ import annotations`) or as the type itself."""
    if not isinstance(annotation, str):
        options = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
        annotation = options[0].__name__
    base = annotation.replace(" | None", "").strip()
    if base not in _TYPES and base != "bool":
        raise TypeError(f"a config field must be str, int, float or bool (or X | None), not {annotation}.")
    return bool if base == "bool" else _TYPES[base]


def add_config_flags(parser: argparse.ArgumentParser, config_class: type, only: set[str] | None = None,
                     listed: dict[str, list[str]] | None = None) -> None:
    """One flag per dataclass field; defaults come from the dataclass. `listed` names the
    known values of a field in its help (e.g. the architecture table's names for `arch`);
    they are checked where the config is used, with a one-sentence error."""
    defaults = config_class()
    group_of = {name: title for title, names in field_groups(config_class).items() for name in names}
    groups = {}
    for field in config_fields(config_class):
        if only is not None and field.name not in only:
            continue
        title = group_of.get(field.name, "options")
        if title not in groups:
            groups[title] = parser.add_argument_group(f"{title} options")
        group = groups[title]
        flag = "--" + field.name.replace("_", "-")
        help_text = field.metadata.get("help", "")
        default = getattr(defaults, field.name)
        if _flag_type(field.type) is bool:
            group.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                help=f"{help_text} (default: {default})",
            )
            continue
        if (listed or {}).get(field.name):
            help_text = f"{help_text}: {', '.join(listed[field.name])}"
        group.add_argument(
            flag,
            type=_flag_type(field.type),
            choices=field.metadata.get("choices"),
            default=argparse.SUPPRESS,
            metavar=field.name.upper(),
            help=help_text if default is None else f"{help_text} (default: {default})",
        )


def add_config_file_flag(parser: argparse.ArgumentParser, what: str = "a run's config.json") -> None:
    """`--config FILE`: start from the settings of a file (`config_from_args` reads it)."""
    parser.add_argument(
        "--config", metavar="FILE",
        help=f"settings to start from: {what}, or a JSON object of only the settings that differ; "
             "flags given here override it, and an unknown key or bad value is refused naming the file",
    )


def config_from_args(config_class: type, args: argparse.Namespace, task: str | None = None,
                     nested_in: str | None = None):
    """The config dataclass from the flags `add_config_flags` added, over the file that
    `--config` names (when the parser has that flag and it is given), over the
    dataclass's defaults: absent flags are absent from `args` (argparse.SUPPRESS), so
    only the flags typed override the file. `task` and `nested_in` are as in
    `seqzoo.tasks.common.config.read_config_file`."""
    names = {field.name for field in config_fields(config_class)}
    flags = {name: value for name, value in vars(args).items() if name in names}
    if getattr(args, "config", None) is None:
        return config_class(**flags)
    base = read_config_file(args.config, config_class, task=task, nested_in=nested_in)
    return dataclasses.replace(base, **flags)


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    """`--quiet` and `--verbose` (one or the other) for a command that trains."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--quiet", action="store_true",
        help="no Keras progress at all (no bar, no per-epoch lines) and no progress lines of the phases before "
             "training (reading, vocabulary, images); the one-line summaries, warnings, errors and results "
             "(metrics, where the output went) are still printed",
    )
    group.add_argument(
        "--verbose", action="store_true",
        help="Keras' progress bar, redrawn each batch, even when the output is not a terminal (default: the "
             "bar in a terminal, one line per epoch when writing to a file or a pipe)",
    )


def auto_verbosity(stream=None) -> int:
    """Keras' `verbose` when neither --quiet nor --verbose is given: 1 (the redrawn bar)
    in a terminal, 2 (one line per epoch) when `stream` (stdout) is a file or a pipe,
    where thousands of redraws would fill the log.

    Examples:

    >>> import io
    >>> auto_verbosity(io.StringIO())
    2
    """
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return 1 if callable(isatty) and isatty() else 2


def fit_verbosity(args: argparse.Namespace, stream=None) -> int:
    """Keras' `verbose` for `fit` from `--quiet` (0), `--verbose` (1) or neither
    (`auto_verbosity`).

    Examples:

    >>> import argparse, io
    >>> fit_verbosity(argparse.Namespace(quiet=True, verbose=False))
    0
    >>> fit_verbosity(argparse.Namespace(quiet=False, verbose=False), io.StringIO())
    2
    """
    if getattr(args, "quiet", False):
        return 0
    if getattr(args, "verbose", False):
        return 1
    return auto_verbosity(stream)


@contextlib.contextmanager
def output_settings(args: argparse.Namespace) -> Iterator[int]:
    """Apply `--quiet` / `--verbose` while a command runs; gives Keras' `verbose`.

    `--quiet` also silences the progress lines of the phases before training
    (`seqzoo.data.progress`) through the environment, so worker processes started
    meanwhile (`seqzoo compare`) are quiet too; the variable is restored afterwards.

    Examples:

    >>> import argparse, os
    >>> with output_settings(argparse.Namespace(quiet=True, verbose=False)) as verbose:
    ...     verbose, os.environ["SEQZOO_QUIET"]
    (0, '1')
    """
    verbose = fit_verbosity(args)
    saved = os.environ.get(QUIET_ENV)
    if verbose == 0:
        os.environ[QUIET_ENV] = "1"
    try:
        yield verbose
    finally:
        if saved is None:
            os.environ.pop(QUIET_ENV, None)
        else:
            os.environ[QUIET_ENV] = saved


def add_flag_once(group, parser: argparse.ArgumentParser, flag: str, **kwargs) -> None:
    """Add `flag` unless another task already offers it (with the same meaning) on `parser`."""
    if flag not in parser._option_string_actions:
        group.add_argument(flag, **kwargs)


def user_errors() -> tuple[type, ...]:
    """The exceptions that are the user's mistake: printed as one sentence, exit code 2."""
    from seqzoo.data.errors import DataError
    from seqzoo.tasks.common.errors import UsageError

    return (DataError, UsageError)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up chatter (oneDNN, CUDA probing) hidden.

    Much of it is printed before TensorFlow reads TF_CPP_MIN_LOG_LEVEL, so file
    descriptor 2 goes to a temporary file meanwhile; the chatter is shown only if the
    import fails. A user who sets TF_CPP_MIN_LOG_LEVEL gets TensorFlow's own behaviour.
    """
    if "tensorflow" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as chatter:
        os.dup2(chatter.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe logs here
        except BaseException:
            os.dup2(saved, 2)
            chatter.seek(0)
            sys.stderr.buffer.write(chatter.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
