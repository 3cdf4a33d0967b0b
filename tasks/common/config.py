"""Typed, JSON-serialisable configurations of the task templates.

Every field has a default that works, and every field is a command-line flag
(`arch` -> `--arch`, `valid_fraction` -> `--valid-fraction`); the `help` of each
field is the flag's help text. This module imports no TensorFlow so that
`seqzoo --help` stays fast.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqzoo.data.vocabulary import RESERVED_TOKENS

# The metadata of `config_field` that declares a field's allowed values, checked by
# `validate_config` (so by every `JSONConfig`) before any work starts:
#   minimum=x   the value is at least x        above=x   the value is more than x
#   maximum=x   the value is at most x         below=x   the value is less than x
#   choices=(...)  one of these values (also the command line's choices)
# A field annotated `X | None` also accepts None (its documented default behaviour).
RANGE_KEYS = ("minimum", "above", "maximum", "below")

# The smallest useful vocabulary: the reserved tokens and one real token.
MIN_VOCABULARY = len(RESERVED_TOKENS) + 1

# Fractions of one file held out (validation, test): [0, 1), and together less than 1.
FRACTION = {"minimum": 0, "below": 1}
RATE = {"minimum": 0, "below": 1}  # dropout, label smoothing
SEED = {"minimum": 0, "maximum": 2**32 - 1}  # what keras.utils.set_random_seed takes


def config_field(default: Any, help: str, **kwargs) -> Any:
    """A config field: its default, its `--flag`'s help, and optionally its allowed values
    (`minimum`, `above`, `maximum`, `below`, `choices`; see RANGE_KEYS) and `path=True`
    for a field that names an input file or folder (an `--out` may never overlap it)."""
    unknown = set(kwargs) - set(RANGE_KEYS) - {"choices", "path"}
    if unknown:
        raise TypeError(f"config_field: unknown metadata {sorted(unknown)}")
    return field(default=default, metadata={"help": help, **kwargs})


def flag_name(name: str) -> str:
    """The command-line flag of a config field: `batch_size` -> `--batch-size`."""
    return "--" + name.replace("_", "-")


def field_type(field_: dataclasses.Field) -> tuple[str, bool]:
    """("int" | "float" | "str" | "bool", whether None is allowed) of a config field."""
    annotation = field_.type if isinstance(field_.type, str) else getattr(field_.type, "__name__", str(field_.type))
    parts = [part.strip() for part in str(annotation).split("|")]
    optional = "None" in parts
    base = [part for part in parts if part != "None"]
    return (base[0] if base else "None"), optional


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def allowed_range(metadata) -> str:
    """The allowed range of a field in words ("at least 1", "at least 0 and below 1"), or ""."""
    words = {"minimum": "at least", "above": "more than", "maximum": "at most", "below": "below"}
    parts = [f"{words[key]} {_number(metadata[key])}" for key in RANGE_KEYS if key in metadata]
    return " and ".join(parts)


def _kind_words(kind: str) -> str:
    return {"int": "a whole number", "float": "a number", "str": "a string", "bool": "true or false"}.get(kind, kind)


def check_field(field_: dataclasses.Field, value) -> None:
    """Refuse a value a field does not allow, in one UsageError sentence naming the flag."""
    from seqzoo.tasks.common.errors import UsageError

    kind, optional = field_type(field_)
    flag, metadata = flag_name(field_.name), field_.metadata
    if value is None:
        if optional:
            return
        raise UsageError(f"{flag} is not set; it must be {_kind_words(kind)}.")
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
    else:
        ok = True
    if not ok:
        raise UsageError(f"{flag} is {value!r}; it must be {_kind_words(kind)}"
                         + (" or null." if optional else "."))
    if kind == "float" and not math.isfinite(value):
        raise UsageError(f"{flag} is {value!r}; it must be a finite number.")
    choices = metadata.get("choices")
    if choices is not None and value not in choices:
        raise UsageError(f"{flag} is {value!r}; it must be one of {', '.join(map(str, choices))}.")
    if kind in ("int", "float"):
        bad = (("minimum" in metadata and value < metadata["minimum"])
               or ("above" in metadata and value <= metadata["above"])
               or ("maximum" in metadata and value > metadata["maximum"])
               or ("below" in metadata and value >= metadata["below"]))
        if bad:
            raise UsageError(f"{flag} is {_number(value)}; it must be {allowed_range(metadata)}.")


def validate_config(config) -> None:
    """Check every field of a config dataclass against its declared type and range, and the
    rules that join fields; the first bad value is refused as one UsageError sentence."""
    from seqzoo.tasks.common.errors import UsageError

    for field_ in dataclasses.fields(config):
        if field_.name != "task":
            check_field(field_, getattr(config, field_.name))
    valid, test = getattr(config, "valid_fraction", None), getattr(config, "test_fraction", None)
    if valid is not None and test is not None and valid + test >= 1:
        raise UsageError(f"--valid-fraction ({_number(valid)}) and --test-fraction ({_number(test)}) "
                         f"add up to {_number(valid + test)}; together they must be below 1.")


def config_kind(config_class) -> str:
    """What a config is called in messages: "a sentiment config", "a FinetuneConfig"."""
    task = getattr(config_class, "task", None)
    return f"a {task} config" if isinstance(task, str) else f"a {config_class.__name__}"


class UnknownConfigKeys(ValueError):
    """Keys of a config dict that its class has no field for, named in one sentence with
    the closest field names and the known ones (a ValueError: the reader of the file
    adds its name, see `read_config_file`).

    Args:
        config_class: the config dataclass.
        keys: the unknown keys.

    Examples:

    >>> from seqzoo.tasks.sentiment.config import SentimentConfig
    >>> str(UnknownConfigKeys(SentimentConfig, ["unitz"])).split(";")[0]
    "unknown key 'unitz' (did you mean 'units'?)"
    """

    def __init__(self, config_class, keys):
        self.keys = sorted(keys)
        known = sorted(f.name for f in dataclasses.fields(config_class))
        guesses = [f"'{guess[0]}'" for key in self.keys if (guess := difflib.get_close_matches(key, known, n=1))]
        named = ", ".join(f"'{key}'" for key in self.keys)
        hint = f" (did you mean {' or '.join(dict.fromkeys(guesses))}?)" if guesses else ""
        super().__init__(f"unknown key{'s' if len(self.keys) > 1 else ''} {named}{hint}; "
                         f"{config_kind(config_class)} has {', '.join(known)}")


class JSONConfig:
    """What every task config can do: round trip through a dict and JSON (`config.json`).
    A mixin for dataclasses; unknown keys are refused with their names, and every field is
    checked against its declared type and range when the config is made (`__post_init__`),
    so the command line, the Python API and `config.json` files are all covered."""

    def __post_init__(self) -> None:
        validate_config(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]):
        """The config from a dict such as `to_dict` gives; keys it lacks keep their
        defaults (a config.json from an older seqzoo), unknown keys raise
        `UnknownConfigKeys`, bad values a UsageError naming the flag."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise UnknownConfigKeys(cls, unknown)
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


@dataclass
class DataConfig:
    """Where the examples come from and how text becomes token ids."""

    data: str | None = config_field(
        None, "training data: a file, or the name of a built-in data set (default: the task's built-in one)"
    )
    valid: str | None = config_field(None, "separate validation file (otherwise split off --data)")
    test: str | None = config_field(None, "separate test file (otherwise split off --data)")
    encoding: str = config_field("utf-8", "text encoding of the data files, e.g. cp1252")
    valid_fraction: float = config_field(0.1, "fraction held out for validation when one file is given", **FRACTION)
    test_fraction: float = config_field(0.1, "fraction held out for testing when one file is given", **FRACTION)
    level: str = config_field("word", "tokenisation level", choices=("word", "char", "subword"))
    lowercase: bool = config_field(True, "fold case before tokenising")
    max_vocabulary: int = config_field(20000, "largest vocabulary, reserved tokens included", minimum=MIN_VOCABULARY)
    min_frequency: int = config_field(1, "drop tokens seen fewer times than this", minimum=1)
    max_length: int = config_field(200, "longest sequence in tokens; longer texts are truncated (counted)", minimum=1)


@dataclass
class ModelConfig:
    """Size of the architecture; each architecture uses the fields that apply to it. A
    task's config gives `arch` its default architecture."""

    arch: str = config_field("", "architecture name (see `seqzoo archs`)")
    word_vectors: str | None = config_field(
        None, "word2vec/GloVe text file to initialise the learned embedding from"
    )
    freeze_embeddings: bool = config_field(False, "keep the embedding fixed during training")
    embedding_dim: int = config_field(128, "embedding width, also the Transformer width (ignored for one-hot)", minimum=1)
    units: int = config_field(128, "recurrent units per direction (Transformer: half the feed-forward width)", minimum=1)
    num_layers: int = config_field(1, "stacked recurrent layers or Transformer blocks", minimum=1)
    num_heads: int = config_field(4, "attention heads (Transformer)", minimum=1)
    dropout: float = config_field(0.2, "dropout on the inputs of each recurrent layer, before the classifier, and inside Transformers", **RATE)


@dataclass
class DecoderModelConfig:
    """Settings every recurrent-or-Transformer decoder template shares (translation,
    captioning); shown with the task's own model options."""

    group_title = "model"

    cell: str = config_field(
        "lstm", "recurrent cell of the recurrent architectures: rnn, irnn, lstm or gru (seqzoo.zoo.cell_registry)"
    )
    embedding_dim: int = config_field(64, "token embedding width, also the Transformer width", minimum=1)
    num_heads: int = config_field(4, "attention heads (Transformer)", minimum=1)
    freeze_embeddings: bool = config_field(False, "keep the initialised embedding(s) fixed during training")


@dataclass
class TrainConfig:
    """The training recipe."""

    epochs: int = config_field(20, "maximum number of passes over the training data", minimum=1)
    batch_size: int = config_field(64, "examples per batch", minimum=1)
    learning_rate: float = config_field(2e-3, "Adam learning rate", above=0)
    clipnorm: float | None = config_field(
        None, "clip gradients to this global norm (default: 1.0 for recurrent models, off for Transformers)", minimum=0
    )
    patience: int = config_field(8, "stop after this many epochs without a better validation loss", minimum=0)
    seed: int = config_field(0, "seed for splits, shuffling and initialisation", **SEED)
    bucketing: bool = config_field(True, "batch sequences of similar length together")
    time_budget: float | None = config_field(
        None, "stop training when this many seconds of wall-clock time are up (checked after every batch, "
        "keeping back time for the next batch and the validation pass)", above=0
    )


@dataclass
class RuntimeConfig:
    """Where and how training runs: checkpoints for --resume, devices, precision, XLA
    (`seqzoo.tasks.common.runtime`). Every task's config has these fields."""

    checkpoint_every: int | None = config_field(
        None, "save the training state (for --resume) every this many steps, besides every epoch end "
        "(default: every 5 minutes of training; 0: at epoch ends only)", minimum=0
    )
    distribute: str = config_field(
        "none", "train on several devices through tf.distribute: 'mirrored' (every local GPU, or the "
        "--devices named; --batch-size is the global batch) or 'multi-worker' (one process per machine, "
        "from TF_CONFIG)", choices=("none", "mirrored", "multi-worker")
    )
    devices: str | None = config_field(
        None, "with --distribute mirrored: the devices, comma-separated (e.g. 'GPU:0,GPU:1'; default: "
        "every GPU, else the CPU)"
    )
    mixed_precision: str = config_field(
        "off", "compute in float16 or bfloat16, keeping variables, softmax, losses and logits in float32 "
        "(float16 with loss scaling)", choices=("off", "float16", "bfloat16")
    )
    jit_compile: str = config_field(
        "auto", "compile the training step with XLA: 'auto' picks per architecture and device the mode "
        "measured fastest", choices=("auto", "on", "off")
    )


def read_config_file(path: str | os.PathLike, config_class, task: str | None = None, nested_in: str | None = None):
    """The config a JSON file holds, as `config_class`: a run's `config.json` (also one
    from an older seqzoo: the fields it lacks keep their defaults) or one written by hand
    with only the fields that differ. Every problem is one UsageError sentence naming the
    file: not JSON, another task's config (`task`), an unknown key, a value out of range.

    Args:
        path: the file (`--config`).
        config_class: the config dataclass (a `JSONConfig`).
        task: the task the config is for; a file whose "task" differs is refused.
        nested_in: a key under which a file may hold the config instead (the "options"
            of a fine-tuned run's `finetune.json`).

    Examples:

    >>> import pathlib, tempfile
    >>> from seqzoo.tasks.sentiment.config import SentimentConfig
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "config.json"
    >>> _ = path.write_text('{"task": "sentiment", "units": 8}')
    >>> read_config_file(path, SentimentConfig, task="sentiment").units
    8
    """
    from seqzoo.tasks.common.atomic_files import read_json
    from seqzoo.tasks.common.errors import UsageError

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--config {path}: no such file.")
    values = read_json(path)
    if nested_in is not None and isinstance(values, dict) and isinstance(values.get(nested_in), dict):
        values = values[nested_in]
    if not isinstance(values, dict):
        raise UsageError(f"{path}: not a seqzoo config; expected a JSON object of settings such as a run's config.json.")
    if task is not None and values.get("task", task) != task:
        raise UsageError(f"{path} holds a {values['task']} config, not a {task} one; "
                         f"use it with `seqzoo train {values['task']}`.")
    try:
        return config_class.from_dict(values)
    except UnknownConfigKeys as error:
        raise UsageError(f"{path}: {error}.") from None
    except UsageError as error:  # a value the field does not allow
        raise UsageError(f"{path}: {str(error).rstrip('.')} (correct the file, or give the flag).") from None


def config_fields(config_class) -> list[dataclasses.Field]:
    """The fields of a config class that are command-line flags (all but `task`)."""
    return [f for f in dataclasses.fields(config_class) if f.name != "task"]


def field_groups(config_class) -> dict[str, list[str]]:
    """Field names by the dataclass that declares them ("data", "model", "train"...), in
    declaration order, for grouping command-line help."""
    groups: dict[str, list[str]] = {}
    seen: set[str] = set()
    for base in reversed(config_class.__mro__):
        names = [n for n in getattr(base, "__annotations__", {}) if n != "task" and n not in seen]
        if names and dataclasses.is_dataclass(base):
            title = vars(base).get("group_title") or base.__name__.removesuffix("Config").lower() or "options"
            groups.setdefault(title, []).extend(names)
            seen.update(names)
    return groups
