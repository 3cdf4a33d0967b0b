"""`--config FILE`: a run's config.json (or one written by hand) given back to `seqzoo
train`, `compare` and `finetune`, with command-line flags overriding it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from seqzoo.tasks import registry
from seqzoo.tasks.cli import build_parser, main
from seqzoo.tasks.common.atomic_files import atomic_write_json
from seqzoo.tasks.common.cli_support import config_from_args
from seqzoo.tasks.common.config import config_fields, field_type
from seqzoo.tasks.finetune.config import FinetuneConfig

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "seqzoo-0.1"
OLD_RUNS = {"s": "sentiment", "lm": "language-model", "tr": "translation", "cap": "captioning"}


def _other_value(field_, default):
    """A value of the field's type that differs from its default (None for none)."""
    kind, optional = field_type(field_)
    choices = field_.metadata.get("choices")
    if choices:
        return next((choice for choice in choices if choice != default), None)
    if kind == "bool":
        return not default
    if kind == "int":
        return 3 if default is None else default + 1
    if kind == "float":
        return 0.375 if default is None else default / 2
    if kind == "str":
        return "elsewhere/file.txt" if default is None else None
    return None


def changed_config(config_class):
    """A config with as many fields as its checks allow away from their defaults: every
    bool flipped, other choices, numbers moved, None-default fields set."""
    config = config_class()
    for field_ in config_fields(config_class):
        value = _other_value(field_, getattr(config, field_.name))
        if value is None:
            continue
        try:
            config = dataclasses.replace(config, **{field_.name: value})
        except ValueError:  # a value the config's own rules refuse: keep the default
            pass
    return config


def parsed_config(argv, config_class, **options):
    """The config the real command-line parser and `config_from_args` make of `argv`."""
    return config_from_args(config_class, build_parser().parse_args(argv), **options)


@pytest.mark.parametrize("spec", registry.all_tasks(), ids=lambda spec: spec.name)
def test_every_task_config_written_reads_back_through_config(tmp_path, spec):
    defaults, changed = spec.config_class(), changed_config(spec.config_class)
    # The test means something only if some values really moved, Nones and bools included.
    moved = {f.name for f in config_fields(spec.config_class) if getattr(changed, f.name) != getattr(defaults, f.name)}
    assert len(moved) >= 10 and any(getattr(defaults, name) is None for name in moved)
    for number, config in enumerate([defaults, changed]):
        path = tmp_path / f"config-{number}.json"
        path.write_text(config.to_json() + "\n")  # as Task.save writes it
        assert parsed_config(["train", spec.name, "--config", str(path)], spec.config_class, task=spec.name) == config
        # compare takes the same file (arch and time_budget are then set per run)
        assert parsed_config(["compare", spec.name, "--config", str(path)], spec.config_class, task=spec.name) == config


def test_flags_override_the_file_and_the_file_overrides_the_defaults(tmp_path):
    spec = registry.get_task("sentiment")
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"arch": "gru", "units": 16, "lowercase": False, "clipnorm": 2.0}))
    config = parsed_config(["train", "sentiment", "--config", str(path), "--units", "8", "--lowercase",
                            "--clipnorm", "0.5"], spec.config_class, task="sentiment")
    expected = dataclasses.replace(spec.config_class(), arch="gru", units=8, lowercase=True, clipnorm=0.5)
    assert config == expected


def test_a_finetune_json_reads_back_through_config(tmp_path):
    config = changed_config(FinetuneConfig)
    assert config != FinetuneConfig()
    # As seqzoo finetune records it in the new run: the options inside finetune.json.
    atomic_write_json(tmp_path / "finetune.json", {"source": "/runs/x", "source_task": "sentiment",
                                                   "options": config.to_dict()})
    argv = ["finetune", "runs/x", "--config", str(tmp_path / "finetune.json")]
    assert parsed_config(argv, FinetuneConfig, nested_in="options") == config
    assert parsed_config(argv + ["--epochs", "9"], FinetuneConfig, nested_in="options") == \
        dataclasses.replace(config, epochs=9)


@pytest.mark.parametrize("folder", sorted(OLD_RUNS))
def test_a_config_json_of_seqzoo_0_1_is_read_with_todays_defaults_for_what_it_lacks(folder):
    spec = registry.get_task(OLD_RUNS[folder])
    path = FIXTURES / folder / "config.json"
    written = json.loads(path.read_text())
    config = parsed_config(["train", spec.name, "--config", str(path)], spec.config_class, task=spec.name)
    assert config.to_dict() == {**spec.config_class().to_dict(), **written}
    assert set(config.to_dict()) - set(written)  # the fixture really lacks newer fields


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_an_unknown_key_is_refused_by_name_with_the_closest_field(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"task": "sentiment", "unitz": 8, "epochs": 1}))
    message = _error(capsys, ["train", "sentiment", "--config", str(path), "--out", str(tmp_path / "run")])
    assert message.startswith(f"seqzoo: error: {path}: unknown key 'unitz' (did you mean 'units'?); "
                              "a sentiment config has ")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("values,start", [
    ({"batch_size": 0}, "--batch-size is 0; it must be at least 1"),
    ({"lowercase": "yes"}, "--lowercase is 'yes'; it must be true or false"),
])
def test_a_bad_value_in_the_file_is_refused_naming_the_file_and_the_flag(capsys, tmp_path, values, start):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(values))
    assert _error(capsys, ["train", "sentiment", "--config", str(path)]).startswith(f"seqzoo: error: {path}: {start}")


def test_another_tasks_config_and_a_missing_file_are_refused(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(registry.get_task("translation").config_class().to_json())
    message = _error(capsys, ["train", "sentiment", "--config", str(path)])
    assert message == (f"seqzoo: error: {path} holds a translation config, not a sentiment one; "
                       "use it with `seqzoo train translation`.")
    missing = tmp_path / "none.json"
    assert _error(capsys, ["train", "sentiment", "--config", str(missing)]) == \
        f"seqzoo: error: --config {missing}: no such file."


def test_a_trained_run_is_run_again_from_its_config_json_with_a_flag_changed(capsys, tmp_path, toy_csv):
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["train", "sentiment", "--data", str(toy_csv), "--text-column", "review", "--label-column", "stars",
                 "--arch", "gru", "--units", "4", "--embedding-dim", "4", "--epochs", "1", "--no-bucketing",
                 "--out", str(first), "--quiet"]) == 0
    assert main(["train", "sentiment", "--config", str(first / "config.json"), "--units", "8",
                 "--out", str(second), "--quiet"]) == 0
    capsys.readouterr()
    written = json.loads((first / "config.json").read_text())
    assert written["units"] == 4 and written["bucketing"] is False and written["clipnorm"] is None
    assert json.loads((second / "config.json").read_text()) == {**written, "units": 8}
