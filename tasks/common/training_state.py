"""The training state of a run, saved so that `seqzoo train --resume` continues it exactly.

One file, `checkpoints/training-state.npz`, written atomically (a temporary file renamed
over the old one, fsynced): every variable of the model (weights, dropout seed states,
a language model's carried states), of the optimizer (slots, step count) and of the
metrics (the running means of a half-done epoch), the early-stopping best weights, and a
JSON record of where training stands: the epoch and the step within it, the history of
the finished epochs, the callbacks' bookkeeping (early stopping's wait and best, the best
checkpoint's best value, the time budget used) and whether training has ended.

The batches of epoch k are shuffled with a seed made of the run's seed and k alone
(`seqzoo.data.epoch_data`), so the resumed run sees the batches the uninterrupted one
would; dropout draws from the seed states saved here.

Examples:

>>> import os, tempfile, numpy as np, keras
>>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
>>> model.compile(optimizer="adam", loss="mse")
>>> model.optimizer.build(model.trainable_variables)
>>> path = os.path.join(tempfile.mkdtemp(), "training-state.npz")
>>> save_training_state(path, model, {"epoch": 3, "step": 0}, {})
>>> before = [w.copy() for w in model.get_weights()]
>>> _ = model.layers[0].kernel.assign(np.zeros((2, 1)))
>>> record, _ = load_training_state(path, model)
>>> record["epoch"], all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
(3, True)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from seqzoo.tasks.common.atomic_files import atomic_path
from seqzoo.tasks.common.errors import UsageError

STATE_FILE = "checkpoints/training-state.npz"
FORMAT_VERSION = 1


def state_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / STATE_FILE


def _groups(model, include_metrics: bool = True) -> dict[str, list]:
    """The variables a resumed run needs, by group, in a stable order."""
    groups = {"model": list(model.variables)}
    extra = getattr(model, "resume_variables", None)
    groups["carried"] = list(extra() if callable(extra) else [])
    optimizer = getattr(model, "optimizer", None)
    groups["optimizer"] = list(optimizer.variables) if optimizer is not None else []
    groups["metrics"] = list(model.metrics_variables) if include_metrics else []
    return groups


def _per_replica(variable):
    """The copies of a variable that each replica keeps apart (synchronised on read: a
    language model's carried states), or None for any other variable."""
    import tensorflow as tf

    if isinstance(variable, tf.distribute.DistributedValues) and \
            getattr(variable, "synchronization", None) == tf.VariableSynchronization.ON_READ:
        return list(variable.values)
    return None


def _value(variable) -> np.ndarray:
    copies = _per_replica(variable)
    if copies is not None:
        # Replica k holds rows k of each global batch, in order: together, one device's rows.
        return np.concatenate([np.asarray(copy.numpy()) for copy in copies], axis=0)
    value = variable.numpy() if hasattr(variable, "numpy") else np.asarray(variable)
    return np.asarray(value)


def _assign(variable, value) -> None:
    copies = _per_replica(variable)
    if copies is None:
        variable.assign(value)
        return
    parts = np.array_split(value, len(copies), axis=0) if len(value) else [value] * len(copies)
    for copy, part in zip(copies, parts):
        copy.assign(part)


def save_training_state(path: str | Path, model, record: dict, arrays: dict[str, list[np.ndarray]]) -> None:
    """Write the model's, optimizer's and metrics' variables, `arrays` (named lists of
    arrays, e.g. the best weights) and the JSON `record` to `path`, atomically."""
    contents = {}
    shapes = {}
    for group, variables in _groups(model).items():
        shapes[group] = []
        for index, variable in enumerate(variables):
            value = _value(variable)
            contents[f"{group}/{index:05d}"] = value
            shapes[group].append(list(value.shape))
    for name, values in arrays.items():
        for index, value in enumerate(values):
            contents[f"extra.{name}/{index:05d}"] = np.asarray(value)
        shapes[f"extra.{name}"] = len(values)
    meta = {"format_version": FORMAT_VERSION, "record": record, "shapes": shapes}
    contents["record.json"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".tmp.npz") as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **contents)


def read_record(path: str | Path) -> dict | None:
    """The JSON record of a saved state (None when there is none or it is unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as contents:
            return json.loads(bytes(contents["record.json"]).decode("utf-8"))["record"]
    except (OSError, ValueError, KeyError):
        return None


def load_training_state(path: str | Path, model, restore_metrics: bool = True) -> tuple[dict, dict]:
    """Assign a saved state to `model` (its optimizer built first); returns
    `(record, {name: arrays})` of what `save_training_state` was given.

    A state that does not fit the model (another architecture or size) is refused in
    one sentence."""
    path = Path(path)
    try:
        contents = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise UsageError(f"{path}: the training state cannot be read ({error}); train again without --resume.") \
            from None
    with contents:
        meta = json.loads(bytes(contents["record.json"]).decode("utf-8"))
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)
        for group, variables in _groups(model, include_metrics=restore_metrics).items():
            saved = meta["shapes"].get(group, [])
            if group == "metrics" and not variables:
                continue
            if len(saved) != len(variables):
                raise UsageError(f"{path}: the training state holds {len(saved)} {group} variables but the model has "
                                 f"{len(variables)}; it belongs to another model: train again without --resume.")
            for index, variable in enumerate(variables):
                value = contents[f"{group}/{index:05d}"]
                shape = tuple(getattr(variable, "shape", value.shape))
                if group != "carried" and tuple(value.shape) != shape:
                    raise UsageError(f"{path}: the training state's {group} variable {index} has shape "
                                     f"{tuple(value.shape)} but the model's has {shape}; it belongs to another "
                                     "model: train again without --resume.")
                _assign(variable, value)
        arrays = {}
        for key, count in meta["shapes"].items():
            if key.startswith("extra."):
                name = key[len("extra."):]
                arrays[name] = [contents[f"{key}/{index:05d}"] for index in range(count)]
    return meta["record"], arrays


def restore_metrics(path: str | Path, model) -> None:
    """Assign the saved metric accumulators (those of a half-done epoch) and carried
    states to `model`: what `fit` resets as an epoch begins (a language model zeroes its
    carried states in `reset_metrics`), which a resumed epoch continues."""
    with np.load(path, allow_pickle=False) as contents:
        meta = json.loads(bytes(contents["record.json"]).decode("utf-8"))
        extra = getattr(model, "resume_variables", None)
        carried = list(extra() if callable(extra) else [])
        if len(meta["shapes"].get("carried", [])) == len(carried):
            for index, variable in enumerate(carried):
                _assign(variable, contents[f"carried/{index:05d}"])
        variables = list(model.metrics_variables)
        if len(meta["shapes"].get("metrics", [])) != len(variables):
            return  # metrics compiled differently: the epoch's running means start afresh
        for index, variable in enumerate(variables):
            variable.assign(contents[f"metrics/{index:05d}"])
