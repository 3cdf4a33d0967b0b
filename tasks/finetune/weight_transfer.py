"""A model rebuilt with other vocabulary sizes (or class count), its weights copied over.

Fine-tuning with a changed vocabulary needs larger (or re-ordered) embedding and output
matrices. Rather than knowing every architecture, the model is serialised, the
`vocabulary_size` of the affected sub-models (`encoder`, `decoder`) is changed in that
config, and Keras builds the new model; each weight is then copied from the old one.
Only weights along a vocabulary axis differ in shape, which is how those axes are found.

Along a vocabulary axis, row `i` of the new weight is row `mapping[i]` of the old one;
rows with no old counterpart (mapping -1) keep the new layer's own initial values,
except output biases, which start at the smallest old bias: a new token begins as
unlikely as the rarest known one instead of at an arbitrary zero.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import keras
import numpy as np


@dataclass
class VocabularyResize:
    """How one vocabulary changes: the sub-models it feeds and where each new id comes from.

    Args:
        attributes: names of the model's sub-models holding this vocabulary ("encoder").
        mapping: for each new id, the old id with the same token, or -1 for a new token.

    Examples:

    >>> import numpy as np
    >>> extend = VocabularyResize(("encoder",), np.array([0, 1, 2, 3, 4, -1]))
    >>> extend.size, extend.is_identity_prefix(5)
    (6, True)
    """

    attributes: tuple[str, ...]
    mapping: np.ndarray

    @property
    def size(self) -> int:
        return len(self.mapping)

    def is_identity_prefix(self, old_size: int) -> bool:
        """True when old ids keep their places (keep and extend)."""
        return bool(np.array_equal(self.mapping[:old_size], np.arange(old_size)))


def _set_vocabulary_size(serialized, size: int) -> None:
    # Every nested layer config of the sub-model that names a vocabulary size gets the new one.
    if isinstance(serialized, dict):
        for key, value in serialized.items():
            if key == "vocabulary_size" and isinstance(value, int):
                serialized[key] = size
            else:
                _set_vocabulary_size(value, size)
    elif isinstance(serialized, list):
        for value in serialized:
            _set_vocabulary_size(value, size)


def rebuild(model: keras.Model, sizes: dict[str, int], num_classes: int | None = None) -> keras.Model:
    """A fresh, built model like `model` with sub-model `name` at vocabulary size
    `sizes[name]` (and `num_classes` outputs, for a classifier)."""
    serialized = copy.deepcopy(keras.saving.serialize_keras_object(model))
    serialized.pop("compile_config", None)  # the task compiles it itself
    for attribute, size in sizes.items():
        _set_vocabulary_size(serialized["config"][attribute], size)
    if num_classes is not None:
        serialized["config"]["num_classes"] = num_classes
    return keras.saving.deserialize_keras_object(serialized, safe_mode=True)


def _owner(model, variable, resizes: list[VocabularyResize]):
    for resize in resizes:
        for attribute in resize.attributes:
            if any(variable is v for v in getattr(model, attribute).weights):
                return resize
    return None


def transfer(
    old: keras.Model,
    resizes: list[VocabularyResize],
    num_classes: int | None = None,
    fresh: str | None = None,
) -> keras.Model:
    """The new model, its weights copied from `old` as the resizes say.

    Args:
        old: the trained model.
        resizes: one per vocabulary that changes (an empty list: none).
        num_classes: a new number of classes (classifiers only).
        fresh: a sub-model attribute (e.g. "output_dense") whose weights stay newly
            initialised: the new classification head.

    Returns:
        the new model, with the layers `old` has frozen frozen; `old` is not changed.
    """
    sizes = {a: r.size for r in resizes for a in r.attributes}
    new = rebuild(old, sizes, num_classes)
    probe = None
    if any(r.size == _old_size(old, r) and not r.is_identity_prefix(r.size) for r in resizes):
        # A rebuilt vocabulary of the same size: shapes cannot show the vocabulary axes,
        # so a model one token larger shows them.
        probe = rebuild(old, {a: s + 1 for a, s in sizes.items()}, num_classes)
    fresh_ids = {id(v) for v in getattr(new, fresh).weights} if fresh else set()
    old_weights, new_weights = old.weights, new.weights
    if len(old_weights) != len(new_weights):
        raise ValueError(f"the rebuilt model has {len(new_weights)} weights, the old one {len(old_weights)}")
    probe_weights = probe.weights if probe is not None else [None] * len(new_weights)
    for old_variable, new_variable, probe_variable in zip(old_weights, new_weights, probe_weights):
        if id(new_variable) in fresh_ids:
            continue
        old_value = np.asarray(old_variable.numpy())
        resize = _owner(new, new_variable, resizes)
        reference = probe_variable if probe_variable is not None else new_variable
        axes = [i for i, (a, b) in enumerate(zip(old_value.shape, reference.shape)) if a != b]
        if not axes:
            new_variable.assign(old_value)
            continue
        if resize is None or len(axes) != 1:
            raise ValueError(f"cannot map weight {old_variable.path} {old_value.shape} onto {new_variable.shape}")
        new_variable.assign(_remap(old_value, np.asarray(new_variable.numpy()), axes[0], resize.mapping))
    # A nested layer's `trainable` is not in the serialised config: what the source froze
    # (its --freeze-embeddings) stays frozen.
    for old_layer, new_layer in zip(old._flatten_layers(), new._flatten_layers(), strict=True):
        if not old_layer.trainable:
            new_layer.trainable = False
    return new


def _old_size(model, resize: VocabularyResize) -> int:
    return int(getattr(model, resize.attributes[0]).vocabulary_size)


def _remap(old: np.ndarray, initial: np.ndarray, axis: int, mapping: np.ndarray) -> np.ndarray:
    value = initial.copy()
    known = np.flatnonzero(mapping >= 0)
    if old.ndim == 1 and len(known) < len(mapping):
        value[:] = old.min()  # output bias of a new token: as unlikely as the rarest old one
    taken = np.take(old, mapping[known], axis=axis)
    index = [slice(None)] * value.ndim
    index[axis] = known
    value[tuple(index)] = taken
    return value
