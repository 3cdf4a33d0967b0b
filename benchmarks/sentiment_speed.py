"""Training and inference speed of seqzoo's sentiment classifiers against the same
model built the textbook way with stock Keras layers, on the same batches.

    python benchmarks/sentiment_speed.py [--archs rnn,lstm,bilstm,gru] [--steps 30]

For each architecture both models see identical padded batches from the built-in
`negation-reviews` data set. The reference is `Embedding(mask_zero=True)` followed by
`SimpleRNN` / `LSTM` / `GRU` (in `Bidirectional` for bi-) and `Dense`. Prints examples per
second for both, the ratio seqzoo / reference (above 1 means seqzoo is faster), and the
machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqzoo.data.batching import encode_texts, make_dataset  # noqa: E402
from seqzoo.data.builtin import load_builtin  # noqa: E402
from seqzoo.data.text_preprocessor import TextPreprocessor  # noqa: E402
from seqzoo.tasks.sentiment.config import SentimentConfig  # noqa: E402
from seqzoo.tasks.sentiment.architectures import SENTIMENT_ARCHITECTURES  # noqa: E402
from seqzoo.zoo import SequenceClassifier  # noqa: E402

REFERENCE_LAYERS = {
    "rnn": lambda units: keras.layers.SimpleRNN(units),
    "lstm": lambda units: keras.layers.LSTM(units),
    "gru": lambda units: keras.layers.GRU(units),
    "bilstm": lambda units: keras.layers.Bidirectional(keras.layers.LSTM(units)),
    "bigru": lambda units: keras.layers.Bidirectional(keras.layers.GRU(units)),
}


def reference_model(arch: str, vocabulary_size: int, config: SentimentConfig) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(vocabulary_size, config.embedding_dim, mask_zero=True),
            REFERENCE_LAYERS[arch](config.units),
            keras.layers.Dense(2),
        ]
    )


def examples_per_second(model: keras.Model, dataset, steps: int, train: bool) -> float:
    model.compile(
        optimizer=keras.optimizers.Adam(global_clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    batch = next(iter(dataset))
    run = (lambda: model.train_on_batch(*batch)) if train else (lambda: model.predict_on_batch(batch[0]))
    for _ in range(3):  # trace and warm up
        run()
    started = time.perf_counter()
    for _ in range(steps):
        run()
    return steps * int(batch[0].shape[0]) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="rnn,lstm,gru,bilstm")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    config = SentimentConfig()
    data = load_builtin("negation-reviews", seed=0)
    preprocessor = TextPreprocessor.adapt(data.texts, level="word", max_vocabulary=config.max_vocabulary)
    ids, _ = encode_texts(preprocessor, data.texts, max_length=config.max_length)
    labels = np.asarray([int(label == "positive") for label in data.labels], np.int32)
    dataset = make_dataset(ids, labels, batch_size=args.batch_size, bucketing=False)
    length = int(next(iter(dataset))[0].shape[1])

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"GPU: {bool(tf.config.list_physical_devices('GPU'))}")
    print(f"batch {args.batch_size} x {length} tokens, embedding {config.embedding_dim}, "
          f"units {config.units}, {args.steps} timed steps")
    print(f"{'arch':<8} {'phase':<9} {'seqzoo ex/s':>12} {'keras ex/s':>12} {'ratio':>7}")
    for arch in args.archs.split(","):
        keras.utils.set_random_seed(0)
        ours = SequenceClassifier(
            SENTIMENT_ARCHITECTURES[arch].build(config, preprocessor.vocabulary_size),
            num_classes=2, pooling="last", dropout=0.0,
        )
        theirs = reference_model(arch, preprocessor.vocabulary_size, config)
        for phase, train in (("train", True), ("inference", False)):
            a = examples_per_second(ours, dataset, args.steps, train)
            b = examples_per_second(theirs, dataset, args.steps, train)
            print(f"{arch:<8} {phase:<9} {a:>12.0f} {b:>12.0f} {a / b:>7.2f}")


if __name__ == "__main__":
    main()
