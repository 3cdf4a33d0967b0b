"""The sentiment template: text classification (many-to-one), any number of classes.

A `SentimentTask` owns a preprocessor (tokenizer + vocabulary), a classifier from the
zoo, and its label names; `train_sentiment` is the whole job behind
`seqzoo train sentiment`.
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from seqzoo.data.batching import encode_texts, make_dataset, make_epoch_data
from seqzoo.data.readers import LabelledTexts
from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.task import Task
from seqzoo.tasks.sentiment import SPEC
from seqzoo.tasks.sentiment.architectures import get_architecture
from seqzoo.tasks.sentiment.config import SentimentConfig
from seqzoo.tasks.sentiment.metrics import classification_metrics
from seqzoo.zoo import SequenceClassifier


def sorted_label_names(labels: Sequence[str]) -> list[str]:
    """Distinct labels, numerically when they are all integers ("2" before "10")."""
    distinct = set(labels)
    if all(label.lstrip("-").isdigit() for label in distinct):
        return sorted(distinct, key=int)
    return sorted(distinct)


class SentimentTask(Task):
    """A text classifier: preprocessor, zoo model and label names, with fit / evaluate /
    predict / save / load / export.

    Args:
        config: the run's `SentimentConfig`.
        preprocessor: a `seqzoo.data.TextPreprocessor` (tokenizer and vocabulary).
        model: a `seqzoo.zoo.SequenceClassifier` returning logits.
        label_names: the class names, in the order of the model's outputs.

    Examples:

    >>> from seqzoo.data.readers import LabelledTexts
    >>> data = LabelledTexts(["good film", "bad film", "a good one", "so bad"] * 4,
    ...                      ["pos", "neg", "pos", "neg"] * 4, source="example")
    >>> task = SentimentTask.build(SentimentConfig(arch="gru", units=8, embedding_dim=8), data)
    >>> _ = task.fit(data, data, epochs=1, verbose=0)
    >>> [prediction["label"] in ("neg", "pos") for prediction in task.predict(["good"])]
    [True]
    """

    spec = SPEC

    def __init__(self, config, preprocessor, model, label_names):
        super().__init__(config, model, preprocessor=preprocessor)
        self.label_names = list(label_names)

    # ----------------------------------------------------------------- building
    @classmethod
    def build(cls, config: SentimentConfig, train: LabelledTexts) -> "SentimentTask":
        """Learn the vocabulary and label set from `train` and build the model."""
        architecture = get_architecture(config.arch)
        keras.utils.set_random_seed(config.seed)
        preprocessor = TextPreprocessor.adapt(
            train.texts,
            level=config.level,
            max_vocabulary=config.max_vocabulary,
            min_frequency=config.min_frequency,
            lowercase=config.lowercase,
        )
        label_names = sorted_label_names(train.labels)
        vectors = coverage = None
        if config.word_vectors:
            if config.embedding != "learned":
                raise UsageError("--word-vectors needs --embedding learned.")
            from seqzoo.data.word_vectors import load_word_vectors

            vectors, coverage = load_word_vectors(
                config.word_vectors, preprocessor.vocabulary, encoding=config.encoding, seed=config.seed
            )
            config.embedding_dim = int(vectors.shape[1])  # the file decides the width
        encoder = architecture.build(config, preprocessor.vocabulary_size)
        model = SequenceClassifier(
            encoder, num_classes=len(label_names), pooling=config.pooling, dropout=config.dropout
        )
        if vectors is not None:
            encoder.embedding.load_vectors(vectors)
        if config.freeze_embeddings:
            encoder.embedding.trainable = False
        task = cls(config, preprocessor, model, label_names)
        task.word_vector_coverage = coverage
        return task

    # ----------------------------------------------------------------- data
    def encode(self, texts: Sequence[str]) -> tf.RaggedTensor:
        ids, _ = encode_texts(self.preprocessor, list(texts), max_length=self.config.max_length)
        return ids

    def label_ids(self, data: LabelledTexts) -> np.ndarray:
        index = {name: i for i, name in enumerate(self.label_names)}
        unknown = sorted(set(data.labels) - set(index))
        if unknown:
            from seqzoo.data.errors import DataError

            raise DataError(
                f"{data.source}: labels {', '.join(map(repr, unknown[:5]))} were not in the "
                f"training data (known: {', '.join(self.label_names)})."
            )
        return np.asarray([index[label] for label in data.labels], dtype=np.int32)

    def epoch_data(self, data: LabelledTexts):
        return make_epoch_data(self.encode(data.texts), self.label_ids(data), batch_size=self.config.batch_size,
                               seed=self.config.seed, bucketing=self.config.bucketing)

    def dataset(self, data: LabelledTexts, shuffle: bool = False) -> tf.data.Dataset:
        return self.epoch_data(data).dataset(shuffle)

    # ----------------------------------------------------------------- training
    def compile_options(self) -> dict:
        return {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "metrics": ["accuracy"]}

    # ----------------------------------------------------------------- inference
    def predict_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities [len(texts), num_classes], in the order of `label_names`."""
        if not texts:
            return np.zeros((0, len(self.label_names)), np.float32)
        dataset = make_dataset(
            self.encode(texts), None, batch_size=self.config.batch_size, bucketing=False
        )
        logits = self.model.predict(dataset, verbose=0)
        return tf.nn.softmax(logits).numpy()

    def predict(self, texts: Sequence[str]) -> list[dict]:
        """One `{"text", "label", "probabilities": {label: p}}` per text."""
        probabilities = self.predict_probabilities(texts)
        return [
            {
                "text": text,
                "label": self.label_names[int(np.argmax(row))],
                "probabilities": {name: float(p) for name, p in zip(self.label_names, row)},
            }
            for text, row in zip(texts, probabilities)
        ]

    def evaluate(self, data: LabelledTexts) -> dict:
        """Accuracy, macro-F1, per-class F1 and the confusion matrix on `data`."""
        true_ids = self.label_ids(data)
        predicted = np.argmax(self.predict_probabilities(data.texts), axis=-1)
        return classification_metrics(true_ids, predicted, self.label_names)

    # ----------------------------------------------------------------- persistence
    def extra_files(self) -> dict[str, str]:
        return {"labels.txt": "".join(f"{name}\n" for name in self.label_names)}

    @classmethod
    def from_files(cls, config, run_dir, model, preprocessors) -> "SentimentTask":
        path = run_dir / "labels.txt"
        if not path.is_file():
            raise UsageError(f"{path}: no such file; the run directory is incomplete (train it again).")
        label_names = path.read_text(encoding="utf-8").splitlines()
        if len(label_names) != model.num_classes:
            raise UsageError(f"{path} names {len(label_names)} labels but the model has {model.num_classes} "
                             "outputs; the run directory was changed after training (train it again).")
        return cls(config, preprocessors["preprocessor"], model, label_names)

    def card_labels(self) -> list[str]:
        return self.label_names

    def portable_graphs(self):
        """`classifier`: `token_ids` int32 [batch, max_length] (0-padded) -> `probabilities`."""
        from seqzoo.tasks.common.portable_graphs import TOKEN_IDS, PortableGraph

        def classify(token_ids):
            return {"probabilities": tf.nn.softmax(self.model(token_ids, training=False), axis=-1)}

        ids = tf.TensorSpec([None, self.config.max_length], tf.int32, name=TOKEN_IDS)
        return [PortableGraph("classifier", classify, (ids,))]

    def portable_manifest(self) -> dict:
        return {"kind": "classifier", "max_length": int(self.config.max_length), "labels": self.label_names}

    def servable(self):
        """`text` (string [batch]) in, `label` and `probabilities` out."""
        server = ClassifierServer(self.preprocessor, self.model, self.label_names, self.config.max_length)
        return server, {"serving_default": server.serve}


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
