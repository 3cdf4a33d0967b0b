"""Every numeric field of every task config (and of `seqzoo finetune`) declares its allowed
range, and a value outside it is refused as one UsageError sentence naming the flag, from
the Python API, the command line and a run's config.json alike (issue 14, rule 3)."""

import dataclasses
import json

import pytest

from seqzoo.tasks.common.config import (
    JSONConfig, RANGE_KEYS, allowed_range, config_fields, field_type, flag_name,
)
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.run_directory import read_config
from seqzoo.tasks.finetune.config import FinetuneConfig
from seqzoo.tasks.registry import all_tasks

CONFIG_CLASSES = [spec.config_class for spec in all_tasks()] + [FinetuneConfig]


def numeric_fields():
    for config_class in CONFIG_CLASSES:
        for field in config_fields(config_class):
            kind, _ = field_type(field)
            if kind in ("int", "float"):
                yield pytest.param(config_class, field, id=f"{config_class.__name__}.{field.name}")


def out_of_range_values(field):
    """A value just outside each declared bound of `field`."""
    kind, _ = field_type(field)
    step = 1 if kind == "int" else 0.5
    metadata = field.metadata
    values = []
    if "minimum" in metadata:
        values.append(metadata["minimum"] - step)
    if "above" in metadata:
        values.append(metadata["above"])
    if "maximum" in metadata:
        values.append(metadata["maximum"] + step)
    if "below" in metadata:
        values.append(metadata["below"])
    return values


def other_fraction_cleared(config_class, field, value):
    """Keyword arguments setting `field` to `value`, with the other held-out fraction at 0 so
    the joint rule (valid + test < 1) does not answer first."""
    values = {field.name: value}
    partner = {"valid_fraction": "test_fraction", "test_fraction": "valid_fraction"}.get(field.name)
    if partner:
        values[partner] = 0.0
    return values


@pytest.mark.parametrize("config_class", CONFIG_CLASSES, ids=lambda c: c.__name__)
def test_default_config_is_valid_and_checked_on_creation(config_class):
    assert issubclass(config_class, JSONConfig)
    config = config_class()
    assert config_class.from_dict(config.to_dict()) == config
    assert config_class.__post_init__ is JSONConfig.__post_init__


@pytest.mark.parametrize("config_class,field", numeric_fields())
def test_every_numeric_field_declares_a_range(config_class, field):
    assert any(key in field.metadata for key in RANGE_KEYS), f"{field.name} declares no range"


@pytest.mark.parametrize("config_class,field", numeric_fields())
def test_out_of_range_value_is_refused_naming_the_flag_and_range(config_class, field):
    values = out_of_range_values(field)
    assert values
    for value in values:
        with pytest.raises(UsageError) as caught:
            config_class(**other_fraction_cleared(config_class, field, value))
        message = str(caught.value)
        assert message.startswith(f"{flag_name(field.name)} is ")
        assert allowed_range(field.metadata) in message
        assert "\n" not in message and message.endswith(".")


@pytest.mark.parametrize("config_class,field", numeric_fields())
def test_the_bounds_themselves_are_accepted(config_class, field):
    for key in ("minimum", "maximum"):
        if key in field.metadata:
            config = config_class(**other_fraction_cleared(config_class, field, field.metadata[key]))
            assert getattr(config, field.name) == field.metadata[key]


@pytest.mark.parametrize("config_class,field", numeric_fields())
def test_wrong_type_is_refused(config_class, field):
    with pytest.raises(UsageError, match=f"^{flag_name(field.name)} is 'ten'; it must be a"):
        config_class(**{field.name: "ten"})


CHOICE_FIELDS = [
    pytest.param(config_class, field, id=f"{config_class.__name__}.{field.name}")
    for config_class in CONFIG_CLASSES for field in config_fields(config_class) if field.metadata.get("choices")
]


@pytest.mark.parametrize("config_class,field", CHOICE_FIELDS)
def test_choices_are_checked(config_class, field):
    with pytest.raises(UsageError, match=f"^{flag_name(field.name)} is 'nonsense'; it must be one of "):
        config_class(**{field.name: "nonsense"})


@pytest.mark.parametrize("config_class", CONFIG_CLASSES, ids=lambda c: c.__name__)
def test_optional_fields_accept_none(config_class):
    optional = {f.name: None for f in config_fields(config_class) if field_type(f)[1]}
    assert config_class(**optional)


def test_values_the_code_handles_stay_valid():
    from seqzoo.tasks.language_model.config import LanguageModelConfig
    from seqzoo.tasks.sentiment.config import SentimentConfig
    from seqzoo.tasks.translation.config import TranslationConfig

    LanguageModelConfig(clipnorm=0.0, learning_rate=None, dropout=0.0, window=4, units=2)
    SentimentConfig(units=4, embedding_dim=4, max_length=2, max_vocabulary=5, patience=0, epochs=1)
    TranslationConfig(beam_size=1, length_penalty=0.0, label_smoothing=0.0, learning_rate=None, valid_fraction=0.0)


def test_not_a_finite_number_is_refused():
    from seqzoo.tasks.sentiment.config import SentimentConfig

    with pytest.raises(UsageError, match="^--learning-rate is nan; it must be a finite number"):
        SentimentConfig(learning_rate=float("nan"))


@pytest.mark.parametrize("config_class", [c for c in CONFIG_CLASSES if any(
    f.name == "valid_fraction" for f in dataclasses.fields(c))], ids=lambda c: c.__name__)
def test_held_out_fractions_together_stay_below_one(config_class):
    with pytest.raises(UsageError, match="--valid-fraction .* and --test-fraction .* together they must be below 1"):
        config_class(valid_fraction=0.6, test_fraction=0.4)
    config_class(valid_fraction=0.5, test_fraction=0.4)


def test_cli_refuses_a_bad_value_in_one_line_before_any_work(tmp_path, capsys):
    from seqzoo.tasks.cli import main

    out = tmp_path / "X"
    assert main(["train", "sentiment", "--batch-size", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "seqzoo: error: --batch-size is 0; it must be at least 1."
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("argv,flag", [
    (["train", "sentiment", "--dropout", "1.5"], "--dropout"),
    (["train", "sentiment", "--valid-fraction", "1.5"], "--valid-fraction"),
    (["train", "language-model", "--window", "0"], "--window"),
    (["train", "translation", "--beam-size", "0"], "--beam-size"),
    (["train", "captioning", "--learning-rate", "0"], "--learning-rate"),
    (["train", "sentiment", "--epochs", "0"], "--epochs"),
])
def test_cli_names_the_flag(tmp_path, capsys, argv, flag):
    from seqzoo.tasks.cli import main

    out = tmp_path / "X"
    assert main(argv + ["--out", str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"seqzoo: error: {flag} is ")
    assert not out.exists()


def test_finetune_cli_refuses_a_bad_value(tmp_path, capsys):
    from seqzoo.tasks.cli import main

    assert main(["finetune", str(tmp_path / "no-run"), "--epochs", "0", "--out", str(tmp_path / "X")]) == 2
    assert capsys.readouterr().err.strip() == "seqzoo: error: --epochs is 0; it must be at least 1."
    assert not (tmp_path / "X").exists()


@pytest.mark.parametrize("values,flag", [
    ({"batch_size": 0}, "--batch-size"),
    ({"epochs": "20"}, "--epochs"),
    ({"dropout": 2}, "--dropout"),
])
def test_a_bad_value_in_config_json_is_refused_in_one_sentence(tmp_path, values, flag):
    from seqzoo.tasks.sentiment.config import SentimentConfig

    (tmp_path / "config.json").write_text(json.dumps({**SentimentConfig().to_dict(), **values}))
    with pytest.raises(UsageError) as caught:
        read_config(tmp_path, SentimentConfig)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'config.json'}: {flag} is ")
    assert "\n" not in message and "upgrade" not in message


def test_unknown_keys_in_config_json_still_name_the_version(tmp_path):
    from seqzoo.tasks.sentiment.config import SentimentConfig

    (tmp_path / "config.json").write_text(json.dumps({"colour": "red"}))
    with pytest.raises(UsageError, match="colour.*upgrade seqzoo"):
        read_config(tmp_path, SentimentConfig)
