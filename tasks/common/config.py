"""Typed, JSON-serialisable configurations of the task templates.

Every field has a default that works, and every field is a command-line flag
(`arch` -> `--arch`, `valid_fraction` -> `--valid-fraction`); the `help` of each
field is the flag's help text. This module imports no TensorFlow so that
`seqzoo --help` stays fast.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any


def config_field(default: Any, help: str, **kwargs) -> Any:
    return field(default=default, metadata={"help": help, **kwargs})


class JSONConfig:
    """What every task config can do: round trip through a dict and JSON (`config.json`).
    A mixin for dataclasses; unknown keys are refused with their names."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown configuration keys: {', '.join(unknown)}")
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
    valid_fraction: float = config_field(0.1, "fraction held out for validation when one file is given")
    test_fraction: float = config_field(0.1, "fraction held out for testing when one file is given")
    level: str = config_field("word", "tokenisation level", choices=("word", "char", "subword"))
    lowercase: bool = config_field(True, "fold case before tokenising")
    max_vocabulary: int = config_field(20000, "largest vocabulary, reserved tokens included")
    min_frequency: int = config_field(1, "drop tokens seen fewer times than this")
    max_length: int = config_field(200, "longest sequence in tokens; longer texts are truncated (counted)")


@dataclass
class ModelConfig:
    """Size of the architecture; each architecture uses the fields that apply to it. A
    task's config gives `arch` its default architecture."""

    arch: str = config_field("", "architecture name (see `seqzoo archs`)")
    word_vectors: str | None = config_field(
        None, "word2vec/GloVe text file to initialise the learned embedding from"
    )
    freeze_embeddings: bool = config_field(False, "keep the embedding fixed during training")
    embedding_dim: int = config_field(128, "embedding width, also the Transformer width (ignored for one-hot)")
    units: int = config_field(128, "recurrent units per direction (Transformer: half the feed-forward width)")
    num_layers: int = config_field(1, "stacked recurrent layers or Transformer blocks")
    num_heads: int = config_field(4, "attention heads (Transformer)")
    dropout: float = config_field(0.2, "dropout on the inputs of each recurrent layer, before the classifier, and inside Transformers")


@dataclass
class DecoderModelConfig:
    """Settings every recurrent-or-Transformer decoder template shares (translation,
    captioning); shown with the task's own model options."""

    group_title = "model"

    cell: str = config_field(
        "lstm", "recurrent cell of the recurrent architectures: rnn, irnn, lstm or gru (seqzoo.zoo.cell_registry)"
    )
    embedding_dim: int = config_field(64, "token embedding width, also the Transformer width")
    num_heads: int = config_field(4, "attention heads (Transformer)")
    freeze_embeddings: bool = config_field(False, "keep the initialised embedding(s) fixed during training")


@dataclass
class TrainConfig:
    """The training recipe."""

    epochs: int = config_field(20, "maximum number of passes over the training data")
    batch_size: int = config_field(64, "examples per batch")
    learning_rate: float = config_field(2e-3, "Adam learning rate")
    clipnorm: float | None = config_field(
        None, "clip gradients to this global norm (default: 1.0 for recurrent models, off for Transformers)"
    )
    patience: int = config_field(8, "stop after this many epochs without a better validation loss")
    seed: int = config_field(0, "seed for splits, shuffling and initialisation")
    bucketing: bool = config_field(True, "batch sequences of similar length together")
    time_budget: float | None = config_field(
        None, "stop training when this many seconds of wall-clock time are up (checked after every batch, "
        "keeping back time for the next batch and the validation pass)"
    )


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
