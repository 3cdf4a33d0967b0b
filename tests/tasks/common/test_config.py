import pytest

from seqzoo.tasks.sentiment.config import SentimentConfig


def test_config_round_trips_through_a_dict():
    config = SentimentConfig(arch="gru", units=7, data="x.csv", lowercase=False)
    assert SentimentConfig.from_dict(config.to_dict()) == config


def test_unknown_config_keys_are_named():
    with pytest.raises(ValueError, match="colour"):
        SentimentConfig.from_dict({"colour": "red"})
