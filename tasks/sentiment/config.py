"""The sentiment template's configuration (no TensorFlow at import)."""

from __future__ import annotations

from dataclasses import dataclass

from seqzoo.tasks.common.config import DataConfig, JSONConfig, ModelConfig, TrainConfig


@dataclass
class SentimentConfig(JSONConfig, TrainConfig, ModelConfig, DataConfig):
    """Everything a sentiment (text classification) run needs, saved as `config.json`.

    Examples:

    >>> config = SentimentConfig(arch="lstm", epochs=2)
    >>> SentimentConfig.from_dict(config.to_dict()) == config
    True
    """

    task: str = "sentiment"
