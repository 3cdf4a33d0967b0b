"""SavedModel export: raw input in, raw output out, tokenisation inside the graph.

The exported directory loads with `tf.saved_model.load` in a process that imports only
`tensorflow` and `tensorflow_text` (TensorFlow Serving has tf-text's ops built in), never
seqzoo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import tensorflow as tf

from seqzoo.tasks.common.output_dirs import check_out, input_paths, staged_output


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


def check_export_dir(export_dir: str | Path, overwrite: bool = False, run_dir: str | Path | None = None) -> Path:
    """Refuse, before any work, an export folder that overlaps the run it comes from, or
    that exists and is not to be replaced (see `seqzoo.tasks.common.output_dirs`)."""
    return check_out(export_dir, "export", inputs=_inputs(run_dir), overwrite=overwrite,
                     exists_message=_exists_message(export_dir))


def _inputs(run_dir) -> list:
    return input_paths(extra=[("the run directory", run_dir)]) if run_dir is not None else []


def _exists_message(export_dir) -> str:
    return f"{export_dir} already exists; pass --overwrite to replace it."


def save_servable(
    module: tf.Module, signatures: dict, export_dir: str | Path, overwrite: bool, card: dict | None = None
) -> Path:
    """`tf.saved_model.save` into a temporary folder beside `export_dir`, then rename, so
    an existing export is replaced only when asked, only when it is one seqzoo made, and
    never left half-written; the run it was loaded from (`card["run_directory"]`) is
    never written over.

    `card` (from `seqzoo.tasks.common.model_card.model_card`) is completed with the signature
    contract read back from the saved graph and written into the same temporary folder
    (`assets.extra/model_card.json`, `MODEL_CARD.md`), so it always matches the export."""
    export_dir = Path(export_dir)
    run_dir = (card or {}).get("run_directory")
    with staged_output(export_dir, "export", inputs=_inputs(run_dir), overwrite=overwrite,
                       exists_message=_exists_message(export_dir), always_stage=True) as output:
        tf.saved_model.save(module, str(output.path), signatures=signatures)
        if card is not None:
            from seqzoo.tasks.common.model_card import signature_contract, write_model_card

            write_model_card(output.path, {**card, "signatures": signature_contract(output.path)})
    return export_dir


def export_classifier(preprocessor, model, label_names, max_length, export_dir, overwrite=False, card=None) -> Path:
    """Export a text classifier with a `serving_default` signature (`text` ->
    `label`, `probabilities`)."""
    server = ClassifierServer(preprocessor, model, label_names, max_length)
    return save_servable(server, {"serving_default": server.serve}, export_dir, overwrite, card=card)
