"""The training recipe shared by the task templates: optimizer, clipping, callbacks.

The callbacks write into the run directory: the best weights so far
(`checkpoints/best.weights.h5`), the history (`history.csv`) and TensorBoard logs
(`logs/`). Early stopping restores the best weights; a loss that turns NaN stops
training and restores the last good weights, and says so.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras


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


def make_optimizer(learning_rate: float, clipnorm: float | None) -> keras.optimizers.Optimizer:
    """Adam, with the gradient clipped to a global norm when `clipnorm` is set (the
    standard fix for exploding gradients in recurrent networks, Pascanu et al. 2013)."""
    if clipnorm:
        return keras.optimizers.Adam(learning_rate=learning_rate, global_clipnorm=clipnorm)
    return keras.optimizers.Adam(learning_rate=learning_rate)


def training_callbacks(
    run_dir: str | Path | None, patience: int, monitor: str = "val_loss"
) -> tuple[list[keras.callbacks.Callback], DivergenceGuard]:
    """The NaN guard and early stopping; with a `run_dir`, also the best checkpoint,
    the CSV history and TensorBoard logs written there."""
    guard = DivergenceGuard()
    callbacks = [
        guard,
        keras.callbacks.EarlyStopping(
            # Say which epoch is restored when training for a run directory only.
            monitor=monitor, patience=patience, restore_best_weights=True, verbose=int(run_dir is not None)
        ),
    ]
    if run_dir is None:
        return callbacks, guard
    run_dir = Path(run_dir)
    (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    callbacks += [
        # Only improvements are saved, so a diverged epoch never replaces a good checkpoint.
        keras.callbacks.ModelCheckpoint(
            run_dir / "checkpoints" / "best.weights.h5",
            monitor=monitor,
            save_best_only=True,
            save_weights_only=True,
        ),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv")),
        keras.callbacks.TensorBoard(log_dir=str(run_dir / "logs"), write_graph=False),
    ]
    return callbacks, guard


def fit_datasets(model, train, valid, run_dir, patience: int, epochs: int, verbose="auto") -> dict[str, list[float]]:
    """`model.fit` on seqzoo's own tf.data datasets with `training_callbacks`; returns the
    history as plain floats.

    The datasets shuffle themselves (or must keep their order, as truncated BPTT does), so
    Keras' shuffling is off; bucketed datasets have no known length until the first epoch
    ends, so Keras' note that the input "ran out of data" is noise here.
    """
    import warnings

    callbacks, _ = training_callbacks(run_dir, patience)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ran out of data.*")
        history = model.fit(
            train, validation_data=valid, epochs=epochs, callbacks=callbacks, verbose=verbose, shuffle=False
        )
    return {name: [float(v) for v in values] for name, values in history.history.items()}
