"""Loading run directories safely: `.keras` files with Python code are refused (Keras
safe mode, even where unsafe deserialisation was enabled globally), and runs written
by a newer seqzoo give one clear sentence instead of a traceback."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from seqzoo.data.readers import LabelledTexts
from seqzoo.tasks import SentimentConfig, SentimentTask
from seqzoo.tasks.cli import main
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.model_files import load_keras_model
from seqzoo.tasks.common.run_directory import RUN_FORMAT_VERSION, atomic_write_json


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data = LabelledTexts(["good film", "bad film"] * 4, ["pos", "neg"] * 4, source="toy")
    run = tmp_path_factory.mktemp("run") / "run"
    SentimentTask.build(SentimentConfig(arch="gru", units=4, embedding_dim=4), data).save(run)
    return run


def _lambda_model(path):
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs)).save(path)
    return path


def _cli_error(capsys, argv) -> str:
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("seqzoo: error:") and len(error.splitlines()) == 1, error
    return error


def test_a_keras_file_with_python_code_is_refused(tmp_path):
    path = _lambda_model(tmp_path / "lambda.keras")
    with pytest.raises(UsageError, match="holds Python code.*safe mode"):
        load_keras_model(path)


def test_safe_mode_holds_even_when_unsafe_deserialization_was_enabled(tmp_path):
    from keras.src.backend.common import global_state

    path = _lambda_model(tmp_path / "lambda.keras")
    before = global_state.get_global_attribute("safe_mode_saving")
    keras.config.enable_unsafe_deserialization()
    try:
        assert keras.saving.load_model(path).predict(np.ones((1, 3)), verbose=0).tolist() == [[2.0] * 3]
        with pytest.raises(UsageError, match="holds Python code"):
            load_keras_model(path)
    finally:
        global_state.set_global_attribute("safe_mode_saving", before)


def test_a_run_whose_model_holds_python_code_is_refused_by_the_cli(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    _lambda_model(copy / "model.keras")
    error = _cli_error(capsys, ["export", str(copy), "--out", str(tmp_path / "out")])
    assert "model.keras holds Python code" in error
    assert not (tmp_path / "out").exists()


def test_a_model_with_a_class_this_seqzoo_does_not_know_names_it(tmp_path):
    @keras.saving.register_keras_serializable(package="seqzoo_future")
    class LayerFromTheFuture(keras.layers.Layer):
        def call(self, x):
            return x

    inputs = keras.Input((3,))
    path = tmp_path / "future.keras"
    keras.Model(inputs, LayerFromTheFuture()(inputs)).save(path)
    del keras.saving.get_custom_objects()["seqzoo_future>LayerFromTheFuture"]
    with pytest.raises(UsageError, match="'LayerFromTheFuture'.*newer seqzoo"):
        load_keras_model(path)


def test_a_missing_or_corrupt_model_file_is_named(tmp_path):
    with pytest.raises(UsageError, match="no such model file"):
        load_keras_model(tmp_path / "model.keras")
    (tmp_path / "model.keras").write_text("not a zip")
    with pytest.raises(UsageError, match="not a readable .keras file"):
        load_keras_model(tmp_path / "model.keras")


def test_a_run_from_a_newer_format_is_refused_by_every_command(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    info = json.loads((copy / "run.json").read_text())
    atomic_write_json(copy / "run.json", {**info, "format_version": RUN_FORMAT_VERSION + 1, "seqzoo_version": "9.0"})
    for argv in (["export", str(copy), "--out", str(tmp_path / "out")], ["evaluate", str(copy)],
                 ["inspect", str(copy)]):
        error = _cli_error(capsys, argv)
        assert "seqzoo 9.0" in error and "upgrade seqzoo" in error, error


def test_a_config_with_settings_from_a_newer_seqzoo_is_refused_clearly(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    config = json.loads((copy / "config.json").read_text())
    atomic_write_json(copy / "config.json", {**config, "warp_drive": True})
    error = _cli_error(capsys, ["export", str(copy), "--out", str(tmp_path / "out")])
    assert "config.json" in error and "warp_drive" in error and "upgrade seqzoo" in error, error
