"""`seqzoo train --resume`: a run killed (SIGKILL), interrupted (Ctrl-C) or stopped by an
error after its first training-state save continues from that state and ends exactly as
the uninterrupted run would; what cannot end that way (other settings, other data) is
refused in one sentence; a finished run is left alone.

The end-to-end tests kill a real `seqzoo train` process of every task (tiny models on
the built-in data sets) at a mid-epoch state after the first epoch, resume it in this
process, and compare metrics.json, history.csv and the final training state with an
uninterrupted run of the same command. The unit tests drive `EpochData`,
`TrainingLoop`, `EarlyStopping` and the training-state file directly."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import threading
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqzoo.data.epoch_data import EpochData
from seqzoo.tasks.cli import main
from seqzoo.tasks.common import recipe
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.output_dirs import FINISHED, UNFINISHED, run_status
from seqzoo.tasks.common.training_loop import TrainingLoop
from seqzoo.tasks.common.training_state import (
    load_training_state,
    read_record,
    save_training_state,
    state_path,
)

from tests.tasks.helpers import (
    seqzoo_process,
    stop_process,
    tiny_untrained_tasks,
    toy_reviews,
    tree_hashes,
    wait_until,
    write_csv,
)

pytestmark = pytest.mark.timeout(300)

# Every task, tiny, on its built-in data set, in some 20 to 70 steps an epoch; three
# epochs, so that a process can be caught in the middle of epoch 1 or 2, and a training
# state every three steps.
COMMON = ["--units", "8", "--embedding-dim", "8", "--epochs", "3", "--patience", "1000", "--seed", "7",
          "--checkpoint-every", "3", "--quiet"]
CASES = {
    "sentiment": ["sentiment", "--arch", "gru", "--batch-size", "128", *COMMON],
    # Truncated BPTT (the default): the states carried between batches are resumed too.
    "language-model": ["language-model", "--arch", "lstm", "--dropout", "0.1", "--window", "50", "--batch-size",
                       "256", *COMMON],
    "language-model-no-tbptt": ["language-model", "--arch", "gru", "--no-tbptt", "--dropout", "0.1", "--window",
                                "50", "--batch-size", "256", *COMMON],
    "translation": ["translation", "--arch", "luong", "--max-examples", "400", "--batch-size", "8", "--beam-size",
                    "1", *COMMON],
    "captioning": ["captioning", "--arch", "show-attend-tell", "--cnn-filters", "4,8", "--image-size", "16x48",
                   "--max-images", "200", "--batch-size", "8", "--beam-size", "1", *COMMON],
}


def _refused(capsys, argv, *phrases) -> str:
    """The command exits with 2 and prints one sentence on stderr naming the problem."""
    capsys.readouterr()
    assert main(argv) == 2
    captured = capsys.readouterr()
    error = captured.err.strip()
    assert error.startswith("seqzoo: error:") and len(error.splitlines()) == 1, error
    assert error.endswith(".") and "Traceback" not in error, error
    for phrase in phrases:
        assert phrase in error, (phrase, error)
    return error


def _hidden_siblings(folder: Path) -> list[Path]:
    return sorted(p for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def _replaced(argv: list[str], flag: str, value: str) -> list[str]:
    argv = list(argv)
    argv[argv.index(flag) + 1] = value
    return argv


def _metrics(run: Path) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    assert isinstance(metrics.pop("training_seconds"), float)
    return metrics


def _history(run: Path) -> list[dict]:
    with open(run / "history.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        assert float(row.pop("train_seconds")) >= 0
    return rows


def _final_state(run: Path) -> dict[str, np.ndarray]:
    """Every array of the last training state (weights, optimizer, metrics, carried
    states, early stopping's best weights), and its record's history (but the clock's
    train_seconds)."""
    with np.load(state_path(run)) as contents:
        arrays = {key: contents[key] for key in contents.files if key != "record.json"}
    history = read_record(state_path(run))["history"]
    arrays["history"] = {name: values for name, values in history.items() if name != "train_seconds"}  # a clock
    return arrays


def _assert_same_run(resumed: Path, expected: Path) -> None:
    metrics, reference = _metrics(resumed), _metrics(expected)
    assert metrics == reference
    history, reference_history = _history(resumed), _history(expected)
    assert [row["epoch"] for row in history] == [str(k) for k in range(reference["epochs"])]
    assert history == reference_history
    state, reference_state = _final_state(resumed), _final_state(expected)
    assert state.keys() == reference_state.keys()
    differing = [key for key in state if key != "history" and not np.array_equal(state[key], reference_state[key])]
    assert differing == [], differing
    assert state["history"] == reference_state["history"]


def _kill_mid_epoch(process, run_dir_of, first_epoch: int = 1) -> dict:
    """SIGKILL `process` once its training state is in the middle of an epoch (step > 0)
    at or after `first_epoch`; returns that state's record. The process is stopped
    (SIGSTOP) while the state is read again, so the state killed at is the one seen."""

    def record():
        folder = run_dir_of()
        return read_record(state_path(folder)) if folder is not None else None

    def mid_epoch(seen):
        return seen is not None and seen["epoch"] >= first_epoch and seen["step"] > 0 and not seen["stopped"]

    while True:
        wait_until(process, lambda: mid_epoch(record()), f"a mid-epoch training state in epoch {first_epoch} or later")
        os.killpg(process.pid, signal.SIGSTOP)
        seen = record()
        if mid_epoch(seen):
            assert stop_process(process) == -signal.SIGKILL
            return seen
        os.killpg(process.pid, signal.SIGCONT)  # an epoch ended in between: wait for the next state


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run of each case, trained once (in this process) when first asked."""
    made: dict[str, Path] = {}

    def get(case: str) -> Path:
        if case not in made:
            out = tmp_path_factory.mktemp("reference") / case
            assert main(["train", *CASES[case], "--out", str(out)]) == 0
            assert run_status(out) == FINISHED
            made[case] = out
        return made[case]

    return get


class _Watcher(threading.Thread):
    """Runs `_kill_mid_epoch` beside the test, so the uninterrupted run can train meanwhile."""

    def __init__(self, process, run_dir_of):
        super().__init__(daemon=True)
        self.process, self.run_dir_of = process, run_dir_of
        self.record, self.error = None, None

    def run(self):
        try:
            self.record = _kill_mid_epoch(self.process, self.run_dir_of)
        except BaseException as error:  # handed to the test
            self.error = error

    def result(self) -> dict:
        self.join(timeout=300)
        if self.is_alive():
            stop_process(self.process)
            raise AssertionError("the process was never caught in the middle of an epoch")
        if self.error is not None:
            raise self.error
        return self.record


# ----------------------------------------------------------------------------- killed, resumed
@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_run_killed_mid_epoch_resumes_to_exactly_the_uninterrupted_run(capsys, reference, tmp_path, case):
    out = tmp_path / "run"
    argv = ["train", *CASES[case], "--out", str(out)]
    watcher = _Watcher(seqzoo_process(*argv), lambda: out)
    watcher.start()
    try:
        expected = reference(case)  # trained here while the process trains there
    except BaseException:
        stop_process(watcher.process)
        watcher.join(timeout=60)
        raise
    killed_at = watcher.result()
    assert run_status(out) == UNFINISHED and not (out / "model.keras").exists()
    assert not (out / "metrics.json").exists()
    _refused(capsys, ["evaluate", str(out)], "unfinished", "--resume")
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 0
    printed = capsys.readouterr().out
    assert f"resuming {out} from epoch {killed_at['epoch'] + 1}, step {killed_at['step']}" in printed, printed
    assert run_status(out) == FINISHED and (out / "model.keras").is_file()
    assert _hidden_siblings(out) == []
    _assert_same_run(out, expected)


# ----------------------------------------------------------------------------- finished
@pytest.mark.slow
def test_resume_of_a_finished_run_has_nothing_to_do_and_changes_nothing(capsys, reference, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(reference("sentiment"), run)
    before = tree_hashes(run)
    capsys.readouterr()
    assert main(["train", *CASES["sentiment"], "--out", str(run), "--resume"]) == 0
    assert f"{run} is a finished run: there is nothing to resume." in capsys.readouterr().out
    assert tree_hashes(run) == before and _hidden_siblings(run) == []
    assert run_status(run) == FINISHED


# ----------------------------------------------------------------------------- refusals
class _CtrlCAt(keras.callbacks.Callback):
    """Raises KeyboardInterrupt (what Ctrl-C raises) at the end of one training batch."""

    def __init__(self, epoch: int, batch: int):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt


SMALL = ["--arch", "gru", "--units", "4", "--embedding-dim", "4", "--epochs", "3", "--patience", "1000",
         "--checkpoint-every", "2", "--batch-size", "16", "--quiet"]


@pytest.fixture
def interrupted(monkeypatch, capsys, tmp_path):
    """(data file, an unfinished sentiment run on it, its command): the run was
    interrupted (in this process) in the middle of its second epoch."""
    (tmp_path / "mydata").mkdir()
    data = write_csv(tmp_path / "mydata" / "reviews.csv", toy_reviews(160))
    out = tmp_path / "runs" / "gru"
    argv = ["train", "sentiment", "--data", str(data), *SMALL, "--out", str(out)]
    real = recipe.training_callbacks

    def interrupting(run_dir, patience, **options):
        callbacks, rest = real(run_dir, patience, **options)
        return callbacks + [_CtrlCAt(epoch=1, batch=2)], rest

    with monkeypatch.context() as patch:
        patch.setattr(recipe, "training_callbacks", interrupting)
        assert main(argv) == 130
    record = read_record(state_path(out))
    assert (record["epoch"], record["step"]) == (1, 2), record
    assert run_status(out) == UNFINISHED
    capsys.readouterr()
    return data, out, argv


def test_resume_with_another_model_setting_is_refused_naming_the_flag(capsys, interrupted):
    data, out, argv = interrupted
    before = tree_hashes(out)
    _refused(capsys, [*_replaced(argv, "--units", "8"), "--resume"], "--units 4 -> 8", "--resume")
    _refused(capsys, [*_replaced(argv, "--arch", "lstm"), "--resume"], "--arch gru -> lstm")
    assert tree_hashes(out) == before and run_status(out) == UNFINISHED
    # How long it trains may change: a longer --epochs continues to the new end.
    assert main([*_replaced(argv, "--epochs", "4"), "--resume"]) == 0
    assert run_status(out) == FINISHED
    assert _metrics(out)["epochs"] == 4
    assert [row["epoch"] for row in _history(out)] == ["0", "1", "2", "3"]


def test_resume_after_the_data_file_changed_is_refused_naming_the_file(capsys, interrupted):
    data, out, argv = interrupted
    before = tree_hashes(out)
    original = data.read_bytes()
    with open(data, "a", encoding="utf-8") as file:
        file.write("an awful film,neg\n")
    error = _refused(capsys, [*argv, "--resume"], "--resume", "changed")
    assert str(data.resolve()) in error or str(data) in error, error
    assert tree_hashes(out) == before and run_status(out) == UNFINISHED
    data.write_bytes(original)  # the same data again: it resumes
    assert main([*argv, "--resume"]) == 0
    assert run_status(out) == FINISHED and _metrics(out)["epochs"] == 3


# ----------------------------------------------------------------------------- Ctrl-C of --overwrite
@pytest.mark.slow
def test_ctrl_c_of_an_overwrite_keeps_the_old_run_and_resume_swaps_the_new_one_in(capsys, reference, tmp_path):
    run = tmp_path / "runs" / "gru"
    shutil.copytree(reference("sentiment"), run)
    before = tree_hashes(run)
    # The new run: another seed, two epochs.
    argv = ["train", *_replaced(_replaced(CASES["sentiment"], "--seed", "8"), "--epochs", "2"), "--out", str(run),
            "--overwrite"]

    def staging():
        folders = [p for p in _hidden_siblings(run) if ".seqzoo-staging-" in p.name]
        return folders[0] if folders else None

    process = seqzoo_process(*argv)
    wait_until(process, lambda: staging() is not None and (read_record(state_path(staging())) or {}).get("step", 0) > 0,
               "a mid-epoch training state in its staging folder")
    code = stop_process(process, signal.SIGINT)
    stderr = process.stderr.read().decode()
    assert code == 130 and "Traceback" not in stderr, stderr[-2000:]
    # The old run is untouched and still served; the new one is kept, unfinished, to resume.
    assert tree_hashes(run) == before and run_status(run) == FINISHED
    kept = _hidden_siblings(run)
    assert len(kept) == 1 and ".seqzoo-staging-" in kept[0].name, kept
    assert run_status(kept[0]) == UNFINISHED and read_record(state_path(kept[0])) is not None
    assert main(["evaluate", str(run)]) == 0
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 0
    assert "resuming" in capsys.readouterr().out
    assert run_status(run) == FINISHED and _hidden_siblings(run) == []
    assert json.loads((run / "config.json").read_text())["seed"] == 8  # the new run replaced the old
    assert tree_hashes(run) != before
    assert [row["epoch"] for row in _history(run)] == ["0", "1"]
    assert main(["evaluate", str(run)]) == 0


# ----------------------------------------------------------------------------- units
def _listed(batches) -> list:
    return [tf.nest.map_structure(lambda t: t.numpy().tolist(), batch) for batch in batches]


def test_an_epoch_skipping_batches_is_the_tail_of_that_epoch_and_each_epoch_its_own_order():
    data = EpochData(tf.data.Dataset.range(23), 23, lambda d: d.batch(4), seed=5)
    epochs = [_listed(data.epoch(k)) for k in range(4)]
    for k, batches in enumerate(epochs):
        assert sorted(sum(batches, [])) == list(range(23))
        assert _listed(data.epoch(k)) == batches  # the same order whenever it is rebuilt
    for skip in range(len(epochs[2]) + 1):
        assert _listed(data.epoch(2, skip_batches=skip)) == epochs[2][skip:]
    assert len({json.dumps(batches) for batches in epochs}) == 4  # every epoch shuffled differently
    assert _listed(EpochData(tf.data.Dataset.range(23), 23, lambda d: d.batch(4), seed=6).epoch(0)) != epochs[0]
    # The order is the seed's and the epoch's alone, whatever TensorFlow's global seed is.
    tf.random.set_seed(12345)
    assert _listed(data.epoch(2)) == epochs[2]
    assert _listed(EpochData(tf.data.Dataset.range(23), 23, lambda d: d.batch(4), seed=5).epoch(1)) == epochs[1]
    ordered = EpochData(tf.data.Dataset.range(23), 23, lambda d: d.batch(4), seed=5, shuffle=False)
    assert _listed(ordered.epoch(3)) == _listed(ordered.epoch(0)) == _listed(ordered.batches())


def test_a_bucketed_task_epoch_skipping_batches_is_the_tail_of_that_epoch():
    from seqzoo.data.readers import LabelledTexts

    task = tiny_untrained_tasks()["sentiment"]
    words = [" ".join(["good"] * (1 + i % 7) + ["film"] * (i % 3)) for i in range(60)]
    data = task.epoch_data(LabelledTexts(words, ["pos", "neg"] * 30, source="toy"))
    assert isinstance(data, EpochData)
    first = _listed(data.epoch(1))
    assert len(first) > 3 and _listed(data.epoch(1)) == first
    assert _listed(data.epoch(1, skip_batches=3)) == first[3:]
    assert _listed(data.epoch(2)) != first


def _toy_model(seed: int):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def _toy_data() -> tuple[EpochData, tf.data.Dataset]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], "float32"))[:, None]
    examples = tf.data.Dataset.from_tensor_slices((x, y))
    return EpochData(examples, 40, lambda d: d.batch(8), seed=3), examples.batch(20)


class _Steps(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen, self.epoch, self.begun = [], None, 0

    def on_train_begin(self, logs=None):
        self.begun += 1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append((self.epoch, batch))


def _stopper():
    return recipe.EarlyStopping(monitor="val_loss", patience=1000, restore_best_weights=True)


def test_a_training_loop_resumed_mid_epoch_ends_with_exactly_the_uninterrupted_weights(tmp_path):
    train, valid = _toy_data()
    model = _toy_model(seed=1)
    steps = _Steps()
    uninterrupted = TrainingLoop(model, train, valid, [_stopper(), steps], epochs=3, verbose=0,
                                 state_file=tmp_path / "a.npz", checkpoint_every=1).run()
    assert steps.seen == [(e, b) for e in range(3) for b in range(5)]

    stopped = _toy_model(seed=1)
    with pytest.raises(KeyboardInterrupt):
        TrainingLoop(stopped, train, valid, [_stopper(), _CtrlCAt(epoch=1, batch=2)], epochs=3, verbose=0,
                     state_file=tmp_path / "b.npz", checkpoint_every=1).run()
    record = read_record(tmp_path / "b.npz")
    assert (record["epoch"], record["step"]) == (1, 2) and len(record["history"]["loss"]) == 1

    resumed = _toy_model(seed=99)  # other initial weights and dropout seeds: all restored from the state
    assert not all(np.array_equal(a, b) for a, b in zip(resumed.get_weights(), model.get_weights()))
    steps = _Steps()
    loop = TrainingLoop(resumed, train, valid, [_stopper(), steps], epochs=3, verbose=0,
                        state_file=tmp_path / "b.npz", checkpoint_every=1, resume=True)
    history = loop.run()
    # The callbacks saw one session, its steps numbered as in the uninterrupted run.
    assert steps.begun == 1
    assert steps.seen == [(1, 2), (1, 3), (1, 4)] + [(2, b) for b in range(5)]
    assert history == uninterrupted  # the resumed epoch's running means included
    assert loop.epochs_done == 3 and not loop.finished_before
    for mine, theirs in zip(resumed.variables, model.variables):
        assert np.array_equal(np.asarray(mine), np.asarray(theirs)), mine.path
    for mine, theirs in zip(resumed.optimizer.variables, model.optimizer.variables):
        assert np.array_equal(np.asarray(mine), np.asarray(theirs)), mine.path
    # Resuming the finished state trains nothing more.
    again = _toy_model(seed=5)
    TrainingLoop(again, train, valid, [], epochs=3, verbose=0, state_file=tmp_path / "a.npz", resume=True).run()
    assert int(again.optimizer.iterations.numpy()) == 15


def test_early_stopping_bookkeeping_survives_a_resume(tmp_path):
    train, valid = _toy_data()
    model = _toy_model(seed=1)
    stopper = recipe.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    TrainingLoop(model, train, valid, [stopper], epochs=4, verbose=0).run()
    record, arrays = stopper.resume_state()
    assert json.loads(json.dumps(record)) == record  # what the state file's record can hold
    assert record["best"] is not None and len(arrays["best_weights"]) == len(model.get_weights())

    again = recipe.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    again.set_model(model)
    again.on_train_begin()  # what a resumed loop does first, then restores
    again.restore_resume_state(json.loads(json.dumps(record)), arrays)
    assert (again.wait, again.best, again.best_epoch, again.stopped_epoch) == \
           (stopper.wait, stopper.best, stopper.best_epoch, stopper.stopped_epoch)
    assert all(np.array_equal(a, b) for a, b in zip(again.best_weights, stopper.best_weights))
    fresh = recipe.EarlyStopping(monitor="val_loss")
    fresh.restore_resume_state(*fresh.resume_state())
    assert fresh.best_weights is None and fresh.wait == 0


@pytest.mark.parametrize("other", ["wider", "deeper"])
def test_a_training_state_of_another_model_is_refused_in_one_sentence(tmp_path, other):
    model = _toy_model(seed=1)
    model.optimizer.build(model.trainable_variables)
    path = tmp_path / "training-state.npz"
    save_training_state(path, model, {"epoch": 1, "step": 0}, {})
    keras.utils.set_random_seed(2)
    layers = [keras.Input((4,)), keras.layers.Dense(16 if other == "wider" else 8, activation="relu"),
              keras.layers.Dropout(0.5), keras.layers.Dense(1)]
    if other == "deeper":
        layers.insert(2, keras.layers.Dense(8))
    wrong = keras.Sequential(layers)
    wrong.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    before = [w.copy() for w in wrong.get_weights()]
    with pytest.raises(UsageError) as refused:
        load_training_state(path, wrong)
    message = str(refused.value)
    assert len(message.splitlines()) == 1 and message.endswith(".") and message.count(". ") == 0, message
    assert str(path) in message and "another model" in message and "without --resume" in message
    if other == "deeper":  # refused before anything was assigned
        assert all(np.array_equal(a, b) for a, b in zip(before, wrong.get_weights()))
