"""SavedModel export: raw input in, raw output out, tokenisation inside the graph.

The exported directory loads with `tf.saved_model.load` in a process that imports only
`tensorflow` and `tensorflow_text` (TensorFlow Serving has tf-text's ops built in), never
seqzoo.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import tensorflow as tf

from seqzoo.tasks.common.errors import UsageError


class ClassifierServer(tf.Module):
    """Wraps a preprocessor and a classifier into one servable module.

    `serve(text)` takes a batch of UTF-8 strings and returns the most likely `label`
    (strings) and the `probabilities` of every class, in the order of `label_names`.

    Args:
        preprocessor: a `seqzoo.data.TextPreprocessor`.
        model: a Keras model from token ids `[batch, time]` to logits `[batch, classes]`.
        label_names: class names in the order of the model's outputs.
        max_length: texts are truncated to this many tokens, as in training.
    """

    def __init__(self, preprocessor, model, label_names: Sequence[str], max_length: int):
        super().__init__(name="seqzoo_classifier")
        self.preprocessor = preprocessor
        self.model = model
        self.label_table = tf.Variable(list(label_names), trainable=False, name="label_names")
        self.max_length = int(max_length)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(self, text):
        ids = self.preprocessor(text)[:, : self.max_length]
        ids = ids.to_tensor()
        # At least one column, so a batch of empty strings still has a valid shape.
        ids = tf.pad(ids, [[0, 0], [0, tf.maximum(0, 1 - tf.shape(ids)[1])]])
        probabilities = tf.nn.softmax(self.model(ids, training=False), axis=-1)
        labels = tf.gather(self.label_table, tf.argmax(probabilities, axis=-1))
        return {"label": labels, "probabilities": probabilities}


def save_servable(
    module: tf.Module, signatures: dict, export_dir: str | Path, overwrite: bool, card: dict | None = None
) -> Path:
    """`tf.saved_model.save` into a temporary folder beside `export_dir`, then rename, so
    an existing export is replaced only when asked and never left half-written.

    `card` (from `seqzoo.tasks.common.model_card.model_card`) is completed with the signature
    contract read back from the saved graph and written into the same temporary folder
    (`assets.extra/model_card.json`, `MODEL_CARD.md`), so it always matches the export."""
    export_dir = Path(export_dir)
    if export_dir.exists() and (not export_dir.is_dir() or any(export_dir.iterdir())):
        if not overwrite:
            raise UsageError(f"{export_dir} already exists; pass --overwrite to replace it.")
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=export_dir.parent, prefix=f".{export_dir.name}."))
    try:
        tf.saved_model.save(module, str(staging), signatures=signatures)
        # mkdtemp makes the folder private (0700); a server running as another user,
        # TensorFlow Serving in a container say, must be able to read it.
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
        if card is not None:
            from seqzoo.tasks.common.model_card import signature_contract, write_model_card

            write_model_card(staging, {**card, "signatures": signature_contract(staging)})
        if export_dir.exists():
            shutil.rmtree(export_dir) if export_dir.is_dir() else export_dir.unlink()
        staging.rename(export_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return export_dir


def export_classifier(preprocessor, model, label_names, max_length, export_dir, overwrite=False, card=None) -> Path:
    """Export a text classifier with a `serving_default` signature (`text` ->
    `label`, `probabilities`)."""
    server = ClassifierServer(preprocessor, model, label_names, max_length)
    return save_servable(server, {"serving_default": server.serve}, export_dir, overwrite, card=card)
