"""What fine-tuning needs to know about each task template, one small class per task.

Each says where its data and vocabularies are, which sub-models a vocabulary feeds,
how to assemble a task object from new parts, and what "encoder" means for `--freeze`:

- sentiment: the sequence encoder (embedding and recurrent or Transformer layers); the
  pooling and the classification head train.
- language-model: the decoder's embedding and recurrent or Transformer layers; the output
  layer (and its bias) trains. With tied weights the output matrix is the embedding, so it
  is frozen with it.
- translation: the source-side encoder; the whole decoder trains.
- captioning: everything on the image side (backbone, projection, region positions,
  initial-state layers); the caption decoder trains.

`--freeze embeddings` freezes every learned token embedding (both languages in translation).
An embedding that grew (`--vocab extend` or `rebuild`) is frozen row by row instead: its
old tokens' rows stay fixed and the added tokens' rows train (`open_grown_embeddings`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.tasks.common.errors import UsageError
from seqzoo.zoo import TokenEmbedding


@dataclass(frozen=True)
class VocabularySlot:
    """One vocabulary of a task: its name, the task attribute holding its preprocessor,
    the model's sub-models it feeds and how to get its texts from a split.

    Examples:

    >>> [(slot.name, slot.model_attributes) for slot in TASK_PARTS["sentiment"].slots(None)]
    [('text', ('encoder',))]
    """

    name: str
    preprocessor_attribute: str
    model_attributes: tuple[str, ...]
    texts: Callable


def _flat_captions(data) -> list[str]:
    return [caption for captions in data.captions for caption in captions]


def _sublayers(layer) -> list[keras.layers.Layer]:
    return list(layer._flatten_layers(include_self=False, recursive=False))


class TaskParts:
    """What fine-tuning needs from one task; the defaults suit the tasks whose model has
    one `encoder` to freeze. One subclass per task, one entry each in `TASK_PARTS`.

    Examples:

    >>> parts = TASK_PARTS["translation"]
    >>> parts.name, parts.config_class().__name__
    ('translation', 'TranslationConfig')
    """

    name: str
    jobs: str

    def job_module(self):
        return importlib.import_module(self.jobs)

    def load_splits(self, config) -> dict:
        return self.job_module().load_splits(config)

    def evaluate(self, task, split):
        return task.evaluate(split)

    def learning_rate(self, task) -> float:
        return float(task.config.learning_rate)

    def encoder_layers(self, model) -> list:
        return [model.encoder]

    def labels(self, task, splits, new_labels: bool):
        """(label names, new number of classes or None, attribute of a fresh head or None)."""
        if new_labels:
            raise UsageError(f"--new-labels is for sentiment runs; this is a {self.name} run.")
        return None, None, None


class SentimentParts(TaskParts):
    name, jobs = "sentiment", "seqzoo.tasks.sentiment.jobs"

    def config_class(self):
        from seqzoo.tasks.sentiment.config import SentimentConfig

        return SentimentConfig

    def slots(self, task) -> list[VocabularySlot]:
        return [VocabularySlot("text", "preprocessor", ("encoder",), lambda data: data.texts)]

    def labels(self, task, splits, new_labels: bool):
        from seqzoo.tasks.sentiment.task import sorted_label_names

        seen = sorted_label_names([label for split in splits.values() for label in split.labels])
        if new_labels:
            names = sorted_label_names(splits["train"].labels)
            missing = sorted(set(seen) - set(names))
            if missing:
                raise UsageError(
                    f"labels {', '.join(map(repr, missing))} of the validation or test data are not in the "
                    f"training data {splits['train'].source}."
                )
            return names, len(names), "output_dense"
        unseen = [label for label in seen if label not in task.label_names]
        if unseen:
            raise UsageError(
                f"the new data has labels the model never saw: {', '.join(map(repr, unseen[:10]))} (it knows "
                f"{', '.join(map(repr, task.label_names))}); pass --new-labels to train a new "
                "classification head on the new label set (the encoder is kept)."
            )
        return task.label_names, None, None

    def make(self, old, config, preprocessors, model, label_names):
        from seqzoo.tasks.sentiment.task import SentimentTask

        return SentimentTask(config, preprocessors["text"], model, label_names)

    def from_files(self, config, folder: Path, model):
        from seqzoo.tasks.sentiment.task import SentimentTask

        labels = folder / "labels.txt"
        names = (
            labels.read_text(encoding="utf-8").splitlines() if labels.is_file()
            else [str(i) for i in range(model.num_classes)]
        )
        return SentimentTask(config, TextPreprocessor.load(folder), model, names)


class LanguageModelParts(TaskParts):
    name, jobs = "language-model", "seqzoo.tasks.language_model.jobs"

    def config_class(self):
        from seqzoo.tasks.language_model.config import LanguageModelConfig

        return LanguageModelConfig

    def load_splits(self, config) -> dict:
        splits, _ = self.job_module().load_splits(config)
        return splits

    def evaluate(self, task, split):
        return task.evaluate(split, "the test text")

    def learning_rate(self, task) -> float:
        return float(task.learning_rate(task.config))

    def slots(self, task) -> list[VocabularySlot]:
        return [VocabularySlot("text", "preprocessor", ("decoder",), lambda text: text.splitlines(True))]

    def encoder_layers(self, model) -> list:
        decoder = model.decoder
        output = {id(getattr(decoder, n, None)) for n in ("output_projection", "tied_projection")}
        return [layer for layer in _sublayers(decoder) if id(layer) not in output]

    def make(self, old, config, preprocessors, model, label_names):
        from seqzoo.tasks.language_model.task import LanguageModelTask

        return LanguageModelTask(config, preprocessors["text"], model)

    def from_files(self, config, folder: Path, model):
        from seqzoo.tasks.language_model.task import LanguageModelTask

        return LanguageModelTask(config, TextPreprocessor.load(folder), model)


class TranslationParts(TaskParts):
    name, jobs = "translation", "seqzoo.tasks.translation.jobs"

    def config_class(self):
        from seqzoo.tasks.translation.config import TranslationConfig

        return TranslationConfig

    def learning_rate(self, task) -> float:
        return float(task.learning_rate())

    def slots(self, task) -> list[VocabularySlot]:
        if task.config.shared_vocabulary:  # source_preprocessor is target_preprocessor
            return [VocabularySlot("shared", "source_preprocessor", ("encoder", "decoder"),
                                   lambda data: list(data.sources) + list(data.targets))]
        return [
            VocabularySlot("source", "source_preprocessor", ("encoder",), lambda data: list(data.sources)),
            VocabularySlot("target", "target_preprocessor", ("decoder",), lambda data: list(data.targets)),
        ]

    def make(self, old, config, preprocessors, model, label_names):
        from seqzoo.tasks.translation.task import TranslationTask

        source = preprocessors.get("source", preprocessors.get("shared"))
        target = preprocessors.get("target", preprocessors.get("shared"))
        return TranslationTask(config, source, target, model)

    def from_files(self, config, folder: Path, model):
        from seqzoo.tasks.translation.task import TranslationTask

        source = TextPreprocessor.load(folder / "source")
        target = source if config.shared_vocabulary else TextPreprocessor.load(folder / "target")
        return TranslationTask(config, source, target, model)


class CaptioningParts(TaskParts):
    name, jobs = "captioning", "seqzoo.tasks.captioning.jobs"

    def config_class(self):
        from seqzoo.tasks.captioning.config import CaptioningConfig

        return CaptioningConfig

    def slots(self, task) -> list[VocabularySlot]:
        return [VocabularySlot("caption", "preprocessor", ("decoder",), _flat_captions)]

    def encoder_layers(self, model) -> list:
        return [layer for layer in _sublayers(model) if layer is not model.decoder]

    def make(self, old, config, preprocessors, model, label_names):
        from seqzoo.tasks.captioning.task import CaptioningTask

        return CaptioningTask(config, preprocessors["caption"], model)

    def from_files(self, config, folder: Path, model):
        from seqzoo.tasks.captioning.task import CaptioningTask

        return CaptioningTask(config, TextPreprocessor.load(folder / "captions"), model)


# One line per task template.
TASK_PARTS: dict[str, TaskParts] = {
    "sentiment": SentimentParts(),
    "language-model": LanguageModelParts(),
    "translation": TranslationParts(),
    "captioning": CaptioningParts(),
}

# The task of a bare `.keras` file, from its model class.
MODEL_TASKS = {
    "SequenceClassifier": "sentiment",
    "LanguageModel": "language-model",
    "EncoderDecoderModel": "translation",
    "ImageCaptioner": "captioning",
}


def frozen_layers(parts: TaskParts, model, which: str) -> list:
    """The layers `--freeze which` makes non-trainable."""
    if which == "none":
        return []
    if which == "embeddings":
        layers = [
            layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, TokenEmbedding) and layer.mode == "learned"
        ]
        if not layers:
            raise UsageError("--freeze embeddings: this model has no learned token embedding (one-hot input).")
        return layers
    if which == "encoder":
        return parts.encoder_layers(model)
    raise UsageError(f"--freeze {which!r}: use none, embeddings or encoder.")


def _embeddings_fed_by(model, resize) -> list[TokenEmbedding]:
    """The token embeddings (learned or one-hot) that read the vocabulary `resize` changes."""
    found = []
    for attribute in resize.attributes:
        holder = getattr(model, attribute, None)
        if holder is None:
            continue
        for layer in holder._flatten_layers(include_self=True, recursive=True):
            if (isinstance(layer, TokenEmbedding) and layer.vocabulary_size == resize.size
                    and all(layer is not known for known in found)):
                found.append(layer)
    return found


def _can_train(embedding: TokenEmbedding) -> bool:
    # A learned table the source did not freeze (a one-hot input has no table: its rows
    # are the first recurrent kernel's, trained or frozen with the encoder).
    table = getattr(embedding, "embeddings", None)  # None until built
    trainable_table = table.trainable if table is not None else embedding.trainable_embeddings
    return embedding.mode == "learned" and embedding.trainable and trainable_table


def grown_embeddings(model, resizes) -> list[tuple[TokenEmbedding, np.ndarray]]:
    """Each trainable learned token embedding that a vocabulary change gave new tokens,
    with the mask of its new rows (the ids that had no old token; one mask object per
    vocabulary, shared by the embeddings it feeds).

    Examples:

    >>> import numpy as np
    >>> from seqzoo.tasks.finetune.weight_transfer import VocabularyResize
    >>> from seqzoo.zoo import RecurrentEncoder
    >>> model = keras.Sequential([RecurrentEncoder(6, embedding_dim=2, units=2)])
    >>> model.encoder = model.layers[0]
    >>> [(type(e).__name__, rows.tolist()) for e, rows in
    ...  grown_embeddings(model, [VocabularyResize(("encoder",), np.array([0, 1, 2, 3, 4, -1]))])]
    [('TokenEmbedding', [False, False, False, False, False, True])]
    """
    found = []
    for resize in resizes:
        new_rows = np.asarray(resize.mapping) < 0
        if new_rows.any():
            found += [(embedding, new_rows) for embedding in _embeddings_fed_by(model, resize)
                      if _can_train(embedding)]
    return found


def added_tokens_under_freezing(frozen: list, rows_frozen: list, model, resizes) -> tuple[int, int]:
    """(added tokens whose rows train row by row, added tokens whose rows keep their
    initial values) among the vocabularies read inside the `frozen` layers (or by an
    embedding the source froze); each vocabulary counted once."""
    inside = {id(layer) for outer in frozen for layer in outer._flatten_layers(include_self=True, recursive=True)}
    opened = {id(embedding) for embedding, _ in rows_frozen}
    training = stuck = 0
    for resize in resizes:
        added = int((np.asarray(resize.mapping) < 0).sum())
        # A one-hot input's rows are frozen only inside a frozen layer; a learned table
        # the source froze is frozen wherever it is.
        fixed = [e for e in _embeddings_fed_by(model, resize) if id(e) in opened or id(e) in inside
                 or (e.mode == "learned" and not _can_train(e))]
        if not added or not fixed:
            continue
        if all(id(e) in opened for e in fixed):
            training += added
        else:
            stuck += added
    return training, stuck


def open_grown_embeddings(frozen: list, grown: list) -> tuple[list, list]:
    """`frozen` with every grown embedding taken out of it, and the (embedding, new rows)
    pairs to freeze row by row instead.

    A frozen layer that holds a grown embedding is replaced by its sublayers (recursively)
    so that everything else in it stays frozen. A layer with weights of its own besides
    its sublayers' cannot be opened that way and stays frozen whole (its grown embedding's
    new rows then keep their initial values, as before).
    """
    grown_ids = {id(embedding): (embedding, rows) for embedding, rows in grown}
    kept, rows_frozen = [], []

    def holds_grown(layer) -> bool:
        return any(id(inner) in grown_ids for inner in layer._flatten_layers(include_self=True, recursive=True))

    def visit(layer) -> None:
        if id(layer) in grown_ids:
            rows_frozen.append(grown_ids[id(layer)])
            return
        if not holds_grown(layer):
            kept.append(layer)
            return
        children = _sublayers(layer)
        covered = {id(v) for child in children for v in child.weights}
        if any(id(v) not in covered for v in layer.weights):
            kept.append(layer)  # weights of its own: cannot be opened
            return
        for child in children:
            visit(child)

    for layer in frozen:
        visit(layer)
    return kept, rows_frozen
