import json

import pytest

from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.run_directory import (
    RUN_FORMAT_VERSION,
    atomic_write_json,
    create_run_directory,
    default_run_directory,
    read_run_info,
)


def test_existing_run_directory_is_not_overwritten_without_being_asked(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.keras").write_text("precious")
    with pytest.raises(UsageError, match="--overwrite"):
        create_run_directory(run)
    assert (run / "model.keras").read_text() == "precious"
    # Not a run seqzoo made (no marker, no run.json and config.json): --overwrite is refused too.
    with pytest.raises(UsageError, match="not a run directory that seqzoo made"):
        create_run_directory(run, overwrite=True)
    assert (run / "model.keras").read_text() == "precious"
    atomic_write_json(run / "run.json", {"task": "sentiment", "format_version": RUN_FORMAT_VERSION})
    atomic_write_json(run / "config.json", {})
    create_run_directory(run, overwrite=True)  # a run of seqzoo's, as made before markers
    assert not (run / "model.keras").exists()


def test_default_run_directory_picks_a_free_name(tmp_path):
    first = default_run_directory("sentiment", "lstm", root=tmp_path)
    assert first.name == "sentiment-lstm"
    first.mkdir()
    (first / "x").write_text("1")
    assert default_run_directory("sentiment", "lstm", root=tmp_path).name == "sentiment-lstm-2"


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    atomic_write_json(tmp_path / "metrics.json", {"accuracy": 0.5})
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"accuracy": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_run_from_a_newer_format_is_refused_clearly(tmp_path):
    atomic_write_json(tmp_path / "run.json", {"task": "sentiment", "format_version": RUN_FORMAT_VERSION + 1,
                                              "seqzoo_version": "9.0"})
    with pytest.raises(UsageError, match="upgrade seqzoo"):
        read_run_info(tmp_path)


def test_a_folder_that_is_not_a_run_is_named(tmp_path):
    with pytest.raises(UsageError, match="run.json"):
        read_run_info(tmp_path)
