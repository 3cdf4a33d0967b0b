"""What `recipe.fit_datasets` writes into a run directory: whole files, all with the
mode an ordinary file gets, and a `history.csv` in Keras' CSVLogger layout."""

import csv
import os
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqzoo.tasks.common.recipe import BestWeightsCheckpoint, HistoryCSV, fit_datasets


def _tiny_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _datasets():
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    valid = tf.data.Dataset.from_tensor_slices((x[:8], y[:8])).batch(4)
    return train, valid


@pytest.fixture
def umask_027():
    # A umask other than the usual 022, so a mode that merely happens to be 0644 fails.
    old = os.umask(0o027)
    yield 0o640
    os.umask(old)


def test_every_file_of_a_run_has_the_ordinary_mode_and_history_parses(tmp_path, umask_027):
    run_dir = tmp_path / "run"
    history = fit_datasets(_tiny_model(), *_datasets(), run_dir, patience=5, epochs=2, verbose=0)

    files = sorted(p for p in run_dir.rglob("*") if p.is_file())
    names = {p.relative_to(run_dir).as_posix() for p in files}
    assert {"history.csv", "checkpoints/best.weights.h5"} <= names
    assert any(name.startswith("logs/") for name in names)
    assert not [name for name in names if ".tmp" in name]  # no temporaries left behind
    modes = {p.relative_to(run_dir).as_posix(): oct(p.stat().st_mode & 0o777) for p in files}
    assert set(modes.values()) == {oct(umask_027)}, modes

    with open(run_dir / "history.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    # CSVLogger's columns: epoch, then the logs sorted (train_seconds from TrainingClock).
    assert list(rows[0]) == ["epoch", *sorted(history)]
    assert [row["epoch"] for row in rows] == ["0", "1"]
    for name, values in history.items():
        np.testing.assert_allclose([float(row[name]) for row in rows], values, rtol=1e-6)

    # The checkpoint is a whole weights file that loads (into a model not yet trained,
    # so Keras notes that it has no optimizer variables to fill).
    model = _tiny_model()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Skipping variable loading for optimizer.*")
        model.load_weights(run_dir / "checkpoints" / "best.weights.h5")


def test_history_csv_is_byte_for_byte_what_keras_csvlogger_writes(tmp_path):
    train, valid = _datasets()
    for callback_class, name in ((HistoryCSV, "ours.csv"), (keras.callbacks.CSVLogger, "keras.csv")):
        model = _tiny_model()
        model.fit(train, validation_data=valid, epochs=2, verbose=0, shuffle=False,
                  callbacks=[callback_class(str(tmp_path / name))])
    ours = (tmp_path / "ours.csv").read_text(encoding="utf-8")
    theirs = (tmp_path / "keras.csv").read_text(encoding="utf-8")
    # Same layout; the numbers differ only if training did (it does not: same seed).
    assert ours.splitlines()[0] == theirs.splitlines()[0]
    assert len(ours.splitlines()) == len(theirs.splitlines()) == 3
    assert ours == theirs


def test_history_without_validation_gets_na_columns_like_csvlogger(tmp_path):
    train, _ = _datasets()
    for callback_class, name in ((HistoryCSV, "ours.csv"), (keras.callbacks.CSVLogger, "keras.csv")):
        _tiny_model().fit(train, epochs=1, verbose=0, shuffle=False, callbacks=[callback_class(str(tmp_path / name))])
    assert (tmp_path / "ours.csv").read_text() == (tmp_path / "keras.csv").read_text()
    assert "val_loss" in (tmp_path / "ours.csv").read_text().splitlines()[0]


def test_the_checkpoint_is_replaced_only_by_a_better_finite_value(tmp_path):
    path = tmp_path / "checkpoints" / "best.weights.h5"
    model = _tiny_model()
    checkpoint = BestWeightsCheckpoint(path, monitor="val_loss")
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    checkpoint.on_epoch_end(0, {"val_loss": 0.5})
    first = path.read_bytes()
    model.set_weights([w + 1 for w in model.get_weights()])
    for worse in (0.7, float("nan"), float("inf")):
        checkpoint.on_epoch_end(1, {"val_loss": worse})
        assert path.read_bytes() == first
    checkpoint.on_epoch_end(2, {"val_loss": 0.4})
    assert path.read_bytes() != first
    assert os.listdir(path.parent) == ["best.weights.h5"]


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path):
    from seqzoo.tasks.common.atomic_files import atomic_path

    path = tmp_path / "best.weights.h5"
    path.write_bytes(b"the good checkpoint")
    with pytest.raises(OSError, match="No space"):
        with atomic_path(path, suffix=".tmp.weights.h5") as temporary:
            temporary.write_bytes(b"half a chec")
            raise OSError(28, "No space left on device")  # as a full disk fails the writer
    assert path.read_bytes() == b"the good checkpoint"
    assert os.listdir(tmp_path) == ["best.weights.h5"]
