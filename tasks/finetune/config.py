"""The options of `seqzoo finetune` (TensorFlow-free): one command-line flag per field.

Fields left at None take the source run's value (data columns, encoding, epochs, seed),
so a fine-tuning run only states what differs from the run it starts from.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqzoo.tasks.common.config import SEED, JSONConfig, RuntimeConfig, config_field

VOCABULARY_POLICIES = ("keep", "extend", "rebuild")
FREEZE_CHOICES = ("none", "embeddings", "encoder")


@dataclass
class DataConfig:
    """The new data; columns default to the source run's."""

    data: str | None = config_field(None, "the new training data, in any format the source run's task reads")
    valid: str | None = config_field(None, "separate validation file (otherwise split off --data)")
    test: str | None = config_field(None, "separate test file (otherwise split off --data)")
    encoding: str | None = config_field(None, "text encoding of the data files (default: the source run's)")
    text_column: str | None = config_field(None, "sentiment: column holding the text")
    label_column: str | None = config_field(None, "sentiment: column holding the label")
    source_column: str | None = config_field(None, "translation: column holding the source sentence")
    target_column: str | None = config_field(None, "translation: column holding the translation")
    image_column: str | None = config_field(None, "captioning: column holding the image file name")
    caption_column: str | None = config_field(None, "captioning: column holding the caption")
    images: str | None = config_field(None, "captioning: folder holding the images")
    vocabulary: str | None = config_field(
        None, "when RUN is a .keras file: the folder laid out as a run directory's vocabulary "
        "files (vocabulary.txt and preprocessor.json, labels.txt; source/ and target/ for "
        "translation, captions/ for captioning), optionally with config.json"
    )


@dataclass
class TrainConfig:
    """What changes and what trains."""

    vocab: str = config_field(
        "keep", "keep: new words map to [UNK] (counted); extend: append new tokens seen at least "
        "--min-frequency times, old ids and rows kept exactly; rebuild: learn a new vocabulary, "
        "rows of shared tokens copied", choices=VOCABULARY_POLICIES,
    )
    min_frequency: int = config_field(2, "with --vocab extend: the fewest occurrences of a new token", minimum=1)
    new_labels: bool = config_field(
        False, "sentiment: learn the new data's label set with a new classification head (encoder kept)"
    )
    freeze: str = config_field(
        "none", "weights kept fixed: the token embeddings, or the whole encoder (see docs/tools/finetune.md)",
        choices=FREEZE_CHOICES,
    )
    unfreeze_after: int | None = config_field(None, "train everything after this many frozen epochs", minimum=1)
    epochs: int | None = config_field(None, "maximum epochs (default: the source run's; early stopping as there)", minimum=1)
    learning_rate: float | None = config_field(None, "Adam learning rate (default: the source run's / 10)", above=0)
    seed: int | None = config_field(None, "seed for splits, shuffling and new rows (default: the source run's)", **SEED)
    evaluate_before: bool = config_field(True, "also evaluate the model on the new test split before fine-tuning")
    forgetting: str | None = config_field(
        None, "also evaluate the source model and the fine-tuned one on the old data, to measure forgetting: "
        "'source' (the source run's own test split) or a file in the source's format and columns"
    )


@dataclass
class FinetuneConfig(JSONConfig, RuntimeConfig, TrainConfig, DataConfig):
    """How to fine-tune a run on new data; saved as `finetune.json` in the new run.

    Examples:

    >>> config = FinetuneConfig(data="mine.csv", vocab="extend", freeze="encoder")
    >>> FinetuneConfig.from_dict(config.to_dict()) == config
    True
    """

    # Fields that name the new data and map onto the same fields of the task's config.
    DATA_FIELDS = (
        "data", "valid", "test", "encoding", "text_column", "label_column", "source_column",
        "target_column", "image_column", "caption_column", "images",
    )
