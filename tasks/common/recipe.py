"""The training recipe shared by the task templates: optimizer, clipping, callbacks.

The callbacks write into the run directory: the best weights so far
(`checkpoints/best.weights.h5`), the history (`history.csv`) and TensorBoard logs
(`logs/`). Early stopping restores the best weights; a loss that turns NaN stops
training and restores the last good weights, and says so.

The checkpoint and the history are written atomically, with the mode every seqzoo file
gets (`atomic_files`): a run killed at any moment leaves the previous checkpoint and the
history of the epochs it finished, never half a file.
"""

from __future__ import annotations

import collections.abc
import csv
import io
import math
import time
from pathlib import Path

import keras
import numpy as np
from seqzoo.tasks.common.atomic_files import atomic_path, atomic_write_text


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training when the loss becomes NaN or infinite and restores the weights of
    the last epoch that ended with a finite loss.

    Keras' `TerminateOnNaN` stops, but leaves the broken weights in the model; a user
    who saves the model afterwards would lose the good ones.

    Args:
        report: a function that receives a one-line message (default: `print`).

    Examples:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.SGD(1e30), loss="mse")
    >>> guard = DivergenceGuard(report=lambda message: None)
    >>> _ = model.fit(np.ones((8, 1)), np.ones((8, 1)) * 1e10, epochs=3, verbose=0,
    ...               callbacks=[guard])
    >>> guard.diverged
    True
    """

    def __init__(self, report=print):
        super().__init__()
        self.report = report
        self.diverged = False
        self._good_weights = None
        self._good_epoch = None

    def on_train_begin(self, logs=None):
        self._good_weights = self.model.get_weights()
        self._good_epoch = 0

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if not self.diverged:
            self._good_weights = self.model.get_weights()
            self._good_epoch = epoch + 1

    def resume_state(self):
        return {"good_epoch": self._good_epoch}, {}

    def restore_resume_state(self, record, arrays):
        # The restored weights are the last good ones (a state is saved only while finite).
        self._good_weights = self.model.get_weights()
        self._good_epoch = record.get("good_epoch", 0)

    def on_train_end(self, logs=None):
        if self.diverged:
            self.model.set_weights(self._good_weights)
            where = (
                f"the weights after epoch {self._good_epoch}"
                if self._good_epoch
                else "the initial weights"
            )
            self.report(
                f"warning: the training loss became NaN or infinite; training stopped and "
                f"{where} were restored. Try a lower --learning-rate or a smaller --clipnorm."
            )


class TrainingClock(keras.callbacks.Callback):
    """Adds `train_seconds` to each epoch's logs (and so to `history.csv`): the time spent
    on training batches alone, without the validation pass that follows them, so that a
    throughput figure counts only the work it claims to measure.

    Examples:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> history = model.fit(np.ones((8, 1)), np.ones((8, 1)), epochs=2, verbose=0,
    ...                     validation_data=(np.ones((4, 1)), np.ones((4, 1))),
    ...                     callbacks=[TrainingClock()])
    >>> [seconds > 0 for seconds in history.history["train_seconds"]]
    [True, True]
    """

    def __init__(self):
        super().__init__()
        self._epoch_started = None
        self._seconds = 0.0
        self._carried = 0.0  # the training time a resumed epoch had before the stop

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()
        self._seconds, self._carried = self._carried, 0.0

    def resume_state(self):
        running = self._seconds + (time.perf_counter() - self._epoch_started if self._epoch_started else 0.0)
        return {"epoch_seconds": running}, {}

    def restore_resume_state(self, record, arrays):
        self._carried = float(record.get("epoch_seconds", 0.0))

    def on_test_begin(self, logs=None):
        self._stop_clock()

    def on_epoch_end(self, epoch, logs=None):
        self._stop_clock()  # no validation pass: the epoch was all training
        if logs is not None:
            logs["train_seconds"] = round(self._seconds, 4)

    def _stop_clock(self):
        if self._epoch_started is not None:
            self._seconds += time.perf_counter() - self._epoch_started
            self._epoch_started = None


class TimeBudget(keras.callbacks.Callback):
    """Stops training once `seconds` of wall-clock time have passed since it began.

    The clock is read after every batch, so the epoch in progress ends early. Keras still
    runs its validation pass after that (so the history gets a last validation loss), so
    the budget keeps back the time the last validation pass took, and the last batch's
    time for the next batch: training stops when the elapsed time plus both reaches the
    budget. These are estimates (the first epoch's validation pass is not measured yet,
    batches differ in length), so a run can still end a little past the budget.
    Comparing architectures for the same time, rather than the same number of epochs, is
    fair to the fast ones (`seqzoo compare --budget`, `seqzoo train --time-budget`).

    Args:
        seconds: the budget.
        report: a function that receives a one-line message (default: `print`).
        clock: the time source in seconds (default: `time.perf_counter`).

    Examples:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> budget = TimeBudget(0.0, report=lambda message: None)
    >>> history = model.fit(np.ones((8, 1)), np.ones((8, 1)), batch_size=2, epochs=5,
    ...                     verbose=0, callbacks=[budget])
    >>> budget.stopped, len(history.history["loss"])
    (True, 1)
    """

    def __init__(self, seconds: float, report=print, clock=time.perf_counter):
        super().__init__()
        self.seconds = float(seconds)
        self.report = report
        self.clock = clock
        self.stopped = False
        self._started = self._last_mark = self._validation_started = None
        self.validation_seconds = 0.0  # the last validation pass, kept back from the budget
        self.batch_seconds = 0.0  # the last batch: the next one is expected to take as long

    def on_train_begin(self, logs=None):
        self._started = self._last_mark = self.clock()
        self.stopped = False
        self.validation_seconds = self.batch_seconds = 0.0

    def resume_state(self):
        return {"used": self.clock() - self._started, "validation_seconds": self.validation_seconds,
                "batch_seconds": self.batch_seconds}, {}

    def restore_resume_state(self, record, arrays):
        # The budget counts the time used before the stop too.
        self._started = self.clock() - float(record.get("used", 0.0))
        self.validation_seconds = float(record.get("validation_seconds", 0.0))
        self.batch_seconds = float(record.get("batch_seconds", 0.0))

    def on_epoch_begin(self, epoch, logs=None):
        self._last_mark = self.clock()

    def on_test_begin(self, logs=None):
        self._validation_started = self.clock()

    def on_test_end(self, logs=None):
        if self._validation_started is not None:
            self.validation_seconds = self.clock() - self._validation_started
            self._validation_started = None

    def on_train_batch_end(self, batch, logs=None):
        now = self.clock()
        self.batch_seconds, self._last_mark = now - self._last_mark, now
        self._stop_if_out_of_time(now)

    def on_epoch_end(self, epoch, logs=None):
        # After the validation pass: start no epoch whose first batch cannot fit (unless
        # training ends here anyway: the last epoch, or early stopping said so first).
        last = epoch + 1 >= (self.params or {}).get("epochs", float("inf"))
        if not last and not self.model.stop_training:
            self._stop_if_out_of_time(self.clock())

    def _stop_if_out_of_time(self, now: float) -> None:
        # Another batch, and the validation pass that follows the epoch, must still fit.
        if now - self._started + self.batch_seconds + self.validation_seconds >= self.seconds:
            self.stopped = True
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        # Read by `seqzoo compare` to tell this stop from early stopping: the reserves
        # stop training before the budget's last second.
        self.model.time_budget_reached = self.stopped
        if self.stopped:
            self.report(f"time budget of {self.seconds:g} s reached; training stopped.")


class HistoryCSV(keras.callbacks.Callback):
    """Writes the epochs' logs to a CSV file, the whole file anew and atomically after
    each epoch, in the layout of Keras' `CSVLogger` (an `epoch` column, then the log
    names sorted, `val_` columns added when there is no validation, "NA" for a missing
    value), so readers of `history.csv` see every finished epoch and never a torn row.

    Args:
        path: the CSV file.

    Examples:

    >>> import csv, os, tempfile, numpy as np, keras
    >>> path = os.path.join(tempfile.mkdtemp(), "history.csv")
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[HistoryCSV(path)])
    >>> [row["epoch"] for row in csv.DictReader(open(path, newline=""))]
    ['0', '1']
    """

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)
        self.keys = None
        self.rows = []

    def on_train_begin(self, logs=None):
        # An empty file at once, as CSVLogger makes: a run killed before its first
        # epoch ended still shows that it started training.
        self.keys, self.rows = None, []
        atomic_write_text(self.path, "")

    def resume_state(self):
        rows = [{key: value.item() if isinstance(value, np.generic) else value for key, value in row.items()}
                for row in self.rows]
        return {"keys": self.keys, "rows": rows}, {}

    def restore_resume_state(self, record, arrays):
        self.keys = record.get("keys")
        self.rows = [collections.OrderedDict(row) for row in record.get("rows", [])]
        self._write()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.rows.append(row)
        self._write()

    def _write(self):
        if self.keys is None:
            atomic_write_text(self.path, "")
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["epoch", *self.keys], dialect=csv.excel)
        writer.writeheader()
        writer.writerows(self.rows)
        atomic_write_text(self.path, buffer.getvalue())


def _csv_value(value):
    # As CSVLogger writes them: a sequence becomes "[a, b]" (quoted), a scalar itself.
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value
    if isinstance(value, collections.abc.Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class BestWeightsCheckpoint(keras.callbacks.Callback):
    """Saves the weights whenever the monitored value improves on the best so far,
    to a temporary file beside `path` that is then renamed over it, so the checkpoint
    on disk is always a whole one. A value that is missing or not finite never counts
    as an improvement, so a diverged epoch never replaces a good checkpoint.

    Args:
        path: the weights file (ends in `.weights.h5`).
        monitor: the log to watch, e.g. "val_loss".
        mode: "min" or "max"; by default "max" for accuracy-like names, else "min".

    Examples:

    >>> import os, tempfile, numpy as np, keras
    >>> path = os.path.join(tempfile.mkdtemp(), "best.weights.h5")
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[BestWeightsCheckpoint(path, monitor="loss")])
    >>> os.listdir(os.path.dirname(path))
    ['best.weights.h5']
    """

    def __init__(self, path, monitor: str = "val_loss", mode: str | None = None):
        super().__init__()
        self.path = Path(path)
        self.monitor = monitor
        if mode is None:
            mode = "max" if any(word in monitor for word in ("acc", "auc", "bleu")) else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', not {mode!r}")
        self.mode = mode
        self.best = None

    def on_train_begin(self, logs=None):
        self.best = None

    def resume_state(self):
        return {"best": self.best}, {}

    def restore_resume_state(self, record, arrays):
        self.best = record.get("best")

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        value = float(value)
        if self.best is not None and not (value < self.best if self.mode == "min" else value > self.best):
            return
        self.best = value
        with atomic_path(self.path, suffix=".tmp.weights.h5") as temporary:
            self.model.save_weights(temporary, overwrite=True)


class EarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' `EarlyStopping` whose bookkeeping (epochs waited, the best value and its
    weights) survives a resume (`seqzoo.tasks.common.training_loop`).

    Examples:

    >>> stopper = EarlyStopping(monitor="loss", patience=2)
    >>> stopper.wait, stopper.best = 1, 0.5
    >>> record, arrays = stopper.resume_state()
    >>> again = EarlyStopping(monitor="loss", patience=2)
    >>> again.restore_resume_state(record, arrays)
    >>> again.wait, again.best
    (1, 0.5)
    """

    def resume_state(self):
        best = None if self.best is None else float(self.best)
        record = {"wait": int(self.wait), "best": best, "best_epoch": int(getattr(self, "best_epoch", 0)),
                  "stopped_epoch": int(self.stopped_epoch)}
        return record, ({"best_weights": list(self.best_weights)} if self.best_weights is not None else {})

    def restore_resume_state(self, record, arrays):
        self.wait = int(record.get("wait", 0))
        if record.get("best") is not None:
            self.best = float(record["best"])
        self.best_epoch = int(record.get("best_epoch", 0))
        self.stopped_epoch = int(record.get("stopped_epoch", 0))
        if "best_weights" in arrays:
            self.best_weights = list(arrays["best_weights"])


def make_optimizer(learning_rate: float, clipnorm: float | None) -> keras.optimizers.Optimizer:
    """Adam, with the gradient clipped to a global norm when `clipnorm` is set (the
    standard fix for exploding gradients in recurrent networks, Pascanu et al. 2013)."""
    if clipnorm:
        return keras.optimizers.Adam(learning_rate=learning_rate, global_clipnorm=clipnorm)
    return keras.optimizers.Adam(learning_rate=learning_rate)


def training_callbacks(
    run_dir: str | Path | None, patience: int, monitor: str = "val_loss", verbose="auto"
) -> tuple[list[keras.callbacks.Callback], DivergenceGuard]:
    """The NaN guard and early stopping; with a `run_dir`, also the best checkpoint,
    the CSV history and TensorBoard logs written there. `verbose` 0 (`--quiet`) keeps
    early stopping silent too."""
    guard = DivergenceGuard()
    callbacks = [
        TrainingClock(),  # first, so every later callback (HistoryCSV) sees train_seconds
        guard,
        EarlyStopping(
            # Say which epoch is restored when training for a run directory only.
            monitor=monitor, patience=patience, restore_best_weights=True,
            verbose=int(run_dir is not None and verbose != 0),
        ),
    ]
    if run_dir is None:
        return callbacks, guard
    run_dir = Path(run_dir)
    (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    callbacks += [
        # Only improvements are saved, so a diverged epoch never replaces a good checkpoint.
        BestWeightsCheckpoint(run_dir / "checkpoints" / "best.weights.h5", monitor=monitor),
        HistoryCSV(run_dir / "history.csv"),
        keras.callbacks.TensorBoard(log_dir=str(run_dir / "logs"), write_graph=False),
    ]
    return callbacks, guard


def fit_datasets(
    model, train, valid, run_dir, patience: int, epochs: int, verbose="auto", time_budget: float | None = None,
    checkpoint_every: int | None = None, resume: bool = False,
) -> dict[str, list[float]]:
    """Train `model` with `training_callbacks` in the resumable epoch loop
    (`seqzoo.tasks.common.training_loop`); returns the history as plain floats.

    `train` is an `EpochData` (each epoch rebuilt on its own, in the order a resumed run
    needs) or a plain dataset. With a `run_dir`, the training state is saved in it at
    every epoch end and every `checkpoint_every` steps (default: every five minutes of
    training), and `resume` continues from it. With a `time_budget` (seconds),
    `TimeBudget` ends training when the time is up.
    """
    from seqzoo.tasks.common.training_loop import TrainingLoop
    from seqzoo.tasks.common.training_state import state_path

    callbacks, _ = training_callbacks(run_dir, patience, verbose=verbose)
    if time_budget:
        callbacks.append(TimeBudget(time_budget))
    loop = TrainingLoop(model, train, valid, callbacks, epochs, verbose,
                        state_file=state_path(run_dir) if run_dir is not None else None,
                        checkpoint_every=checkpoint_every, resume=resume)
    history = loop.run()
    model.training_seconds = loop.seconds  # read by the jobs: the time before a resume included
    model.resumed_finished = loop.finished_before
    return {name: [float(v) for v in values] for name, values in history.items()}
