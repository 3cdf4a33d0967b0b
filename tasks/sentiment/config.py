"""The sentiment template's configuration (no TensorFlow at import)."""

from __future__ import annotations

from dataclasses import dataclass

from seqzoo.tasks.common.config import DataConfig, JSONConfig, RuntimeConfig, ModelConfig, TrainConfig, config_field


@dataclass
class SentimentData(DataConfig):
    """Where the labelled texts come from."""

    group_title = "data"

    data: str | None = config_field(
        None, "training data: a .csv/.tsv/.jsonl file, a folder with one subfolder "
        "per class, or the name of a built-in data set (default: negation-reviews)"
    )
    text_column: str = config_field("text", "column holding the text")
    label_column: str = config_field("label", "column holding the label")


@dataclass
class SentimentModel(ModelConfig):
    """The classifier: encoder architecture, input embedding and pooling."""

    group_title = "model"

    arch: str = config_field("bilstm", "architecture name (see `seqzoo archs sentiment`)")
    embedding: str = config_field("learned", "input embedding", choices=("learned", "one-hot"))
    pooling: str = config_field(
        "last", "how the sequence becomes one vector", choices=("last", "attention", "mean")
    )


@dataclass
class SentimentConfig(JSONConfig, RuntimeConfig, TrainConfig, SentimentModel, SentimentData):
    """Everything a sentiment (text classification) run needs, saved as `config.json`.

    Examples:

    >>> config = SentimentConfig(arch="lstm", epochs=2)
    >>> SentimentConfig.from_dict(config.to_dict()) == config
    True
    """

    task: str = "sentiment"
