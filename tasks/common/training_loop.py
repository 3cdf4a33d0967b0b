"""The epoch loop every task trains with: Keras `fit`, one call per epoch, resumable.

Each epoch is one `model.fit(..., initial_epoch=k, epochs=k + 1)` on epoch k's own
batches (`EpochData.epoch(k)`), so the loop can start anywhere: at the epoch and step a
saved training state names (`seqzoo.tasks.common.training_state`), skipping the batches
that epoch already trained on. The callbacks see one training session: `on_train_begin`
and `on_train_end` once, epochs and steps numbered as in an uninterrupted run.
`fit` keeps its compiled train step between the calls, and does the distribution
(`tf.distribute` strategies), `steps_per_execution` and XLA as usual.

Examples:

>>> import numpy as np, keras, tensorflow as tf
>>> from seqzoo.data.epoch_data import EpochData
>>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> examples = tf.data.Dataset.from_tensor_slices((np.ones((8, 1)), np.ones((8, 1))))
>>> loop = TrainingLoop(model, EpochData(examples, 8, lambda d: d.batch(4)), None, [], epochs=3, verbose=0)
>>> history = loop.run()
>>> len(history["loss"]), loop.epochs_done
(3, 3)
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import keras
from seqzoo.tasks.common.training_state import (
    load_training_state,
    restore_metrics,
    save_training_state,
)

DEFAULT_CHECKPOINT_SECONDS = 300.0  # a mid-epoch training state every five minutes of training


class _Forward(keras.callbacks.Callback):
    """Given to each per-epoch `fit`: passes its events on to the session's callbacks,
    without the per-call train begin and end, and with the steps of a resumed epoch
    numbered from where it resumed."""

    def __init__(self, loop: "TrainingLoop"):
        super().__init__()
        self.loop = loop

    def on_epoch_begin(self, epoch, logs=None):
        self.loop.epoch_begins(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self.loop.epoch_ends(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self.loop.callbacks.on_train_batch_begin(batch + self.loop.step_offset, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.loop.batch_ends(batch + self.loop.step_offset, logs)

    def on_test_begin(self, logs=None):
        self.loop.callbacks.on_test_begin(logs)

    def on_test_end(self, logs=None):
        self.loop.callbacks.on_test_end(logs)

    def on_test_batch_begin(self, batch, logs=None):
        self.loop.callbacks.on_test_batch_begin(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self.loop.callbacks.on_test_batch_end(batch, logs)


class _EpochLogs(keras.callbacks.Callback):
    """The last callback of a session: keeps the epoch's logs as the others left them."""

    def __init__(self):
        super().__init__()
        self.logs = {}

    def on_epoch_end(self, epoch, logs=None):
        self.logs = dict(logs or {})


class TrainingLoop:
    """Trains `model` for `epochs` on `train`, an `EpochData` (or a plain dataset, whose
    epochs are then its successive passes), validating on `valid` after each epoch.

    With a `state_file`, the training state is saved there at every epoch end and, within
    an epoch, every `checkpoint_every` steps (None: every `checkpoint_seconds` of
    training; 0: at epoch ends only); `resume=True` starts from the state saved there.

    Callbacks may keep state across a resume by defining `resume_state()` (returning
    `(JSON-able dict, {name: list of arrays}})` and `restore_resume_state(record,
    arrays)`; they are matched by position.

    Attributes:
        history: the logs of every finished epoch, those before a resume included.
        epochs_done: epochs finished so far.
        seconds: training time so far, time before a resume included.
        finished_before: whether the resumed state said training had already ended.
    """

    def __init__(self, model, train, valid, callbacks, epochs: int, verbose="auto", state_file=None,
                 checkpoint_every: int | None = None, checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS,
                 resume: bool = False, clock=time.monotonic):
        self.model, self.train, self.valid = model, train, valid
        self.user_callbacks = list(callbacks)
        self.epochs = int(epochs)
        self.verbose = 1 if verbose == "auto" else verbose
        self.state_file = Path(state_file) if state_file else None
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self.resume = resume
        self.clock = clock
        self.history: dict[str, list] = {}
        self.epochs_done = 0
        self.step_offset = 0
        self.seconds_before = 0.0
        self.finished_before = False
        self._started = None
        self._last_saved = None
        self._metrics_to_restore = False
        self._stop = False
        self._recorder = _EpochLogs()
        self.callbacks = keras.callbacks.CallbackList(
            [*self.user_callbacks, self._recorder], add_history=False, add_progbar=self.verbose != 0, verbose=self.verbose,
            epochs=self.epochs, steps=None, model=model,
        )

    @property
    def seconds(self) -> float:
        return self.seconds_before + (self.clock() - self._started if self._started is not None else 0.0)

    # ------------------------------------------------------------------ the loop
    def run(self) -> dict[str, list]:
        """Train; returns the history of every epoch as plain floats."""
        self._started = self._last_saved = self.clock()
        self.callbacks.on_train_begin()
        start_epoch, start_step = 0, 0
        if self.resume and self.state_file is not None and self.state_file.is_file():
            start_epoch, start_step = self._restore()
        self._stop = self.finished_before
        with warnings.catch_warnings():
            # Bucketed datasets have no known length until an epoch ends: Keras' note
            # that the input "ran out of data" is noise here.
            warnings.filterwarnings("ignore", message=".*ran out of data.*")
            for epoch in range(start_epoch, self.epochs):
                if self._stop:
                    break
                self.step_offset = start_step if epoch == start_epoch else 0
                self._metrics_to_restore = self.step_offset > 0
                batches = self._epoch_batches(epoch, self.step_offset)
                self.model.fit(batches, validation_data=self.valid, initial_epoch=epoch, epochs=epoch + 1,
                               callbacks=[_Forward(self)], verbose=0, shuffle=False)
                if self.model.stop_training:
                    self._stop = True
        self.callbacks.on_train_end(self._last_logs())
        return self.history

    def _epoch_batches(self, epoch: int, skip: int):
        epoch_of = getattr(self.train, "epoch", None)
        if callable(epoch_of):
            return epoch_of(epoch, skip_batches=skip)
        return self.train.skip(skip) if skip else self.train

    def _last_logs(self):
        return {name: values[-1] for name, values in self.history.items() if values} or None

    # ------------------------------------------------------------------ events
    def epoch_begins(self, epoch: int) -> None:
        if self._metrics_to_restore:
            # `fit` has just reset the metrics (and with them a language model's carried
            # states); a resumed epoch continues its running means and its states.
            restore_metrics(self.state_file, self.model)
            self._metrics_to_restore = False
        self.callbacks.on_epoch_begin(epoch)

    def batch_ends(self, step: int, logs) -> None:
        self.callbacks.on_train_batch_end(step, logs)
        if self.state_file is None or self.checkpoint_every == 0:
            return
        done = step + 1
        if self.checkpoint_every:
            due = done % self.checkpoint_every == 0
        else:
            due = self.clock() - self._last_saved >= self.checkpoint_seconds
        if due:
            self.save(epoch=self.epochs_done, step=done)

    def epoch_ends(self, epoch: int, logs) -> None:
        self.callbacks.on_epoch_end(epoch, dict(logs or {}))
        # As the last callback saw them: callbacks may add to the logs (train_seconds).
        for name, value in self._recorder.logs.items():
            self.history.setdefault(name, []).append(float(value))
        self.epochs_done = epoch + 1
        if self.state_file is not None:
            self.save(epoch=epoch + 1, step=0, stopped=bool(self.model.stop_training))

    # ------------------------------------------------------------------ state
    def save(self, epoch: int, step: int, stopped: bool = False) -> None:
        """Write the training state: `epoch` epochs and `step` steps of the next done;
        `stopped` when a callback ended training (early stopping, time budget, NaN)."""
        record = {
            "epoch": epoch, "step": step, "stopped": stopped, "epochs": self.epochs,
            "seconds": round(self.seconds, 3), "history": self.history, "callbacks": [],
        }
        arrays = {}
        for index, callback in enumerate(self.user_callbacks):
            getter = getattr(callback, "resume_state", None)
            if callable(getter):
                state, callback_arrays = getter()
                record["callbacks"].append(state)
                for name, values in callback_arrays.items():
                    arrays[f"{index}.{name}"] = values
            else:
                record["callbacks"].append(None)
        save_training_state(self.state_file, self.model, record, arrays)
        self._last_saved = self.clock()

    def _restore(self) -> tuple[int, int]:
        if getattr(self.model, "_symbolic_build", None) is not None:
            # Build the compiled metrics and the optimizer before their variables are
            # assigned (Keras otherwise builds them inside the first train step).
            first = next(iter(self._epoch_batches(0, 0).take(1)))
            self.model._symbolic_build(data_batch=first)
        record, arrays = load_training_state(self.state_file, self.model, restore_metrics=False)
        self.history = {name: list(values) for name, values in record.get("history", {}).items()}
        self.seconds_before = float(record.get("seconds", 0.0))
        epoch, step = int(record["epoch"]), int(record["step"])
        self.epochs_done = epoch
        self.finished_before = bool(record.get("stopped")) or epoch >= self.epochs
        states = record.get("callbacks", [])
        for index, callback in enumerate(self.user_callbacks):
            setter = getattr(callback, "restore_resume_state", None)
            if callable(setter) and index < len(states) and states[index] is not None:
                prefix = f"{index}."
                setter(states[index], {name[len(prefix):]: values for name, values in arrays.items()
                                       if name.startswith(prefix)})
        return epoch, step
