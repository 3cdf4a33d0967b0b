"""Training throughput of seqzoo's models with XLA off and on, against the same models
built the textbook way with stock Keras layers, on identical fixed-shape batches.

    python benchmarks/training_throughput.py [--tasks sentiment,language-model]
        [--sentiment-archs rnn,gru,lstm,bilstm,transformer] [--lm-archs gru,lstm,transformer]
        [--steps 10] [--repeats 5] [--dropout 0.0]
        [--fit-archs gru,transformer,lm-transformer --fit-epochs 2 --fit-repeats 2]

For each architecture, seqzoo's model is built through the task's jobs
(`jobs.build_task`) and compiled by `Task.compile` with `--jit-compile off` and `on`
(so the train step is the one `seqzoo train` runs: the task's loss, metrics, Adam and
gradient clipping); the reference is the textbook stock-Keras model of the same sizes,
compiled with the same optimizer and loss, timed with `jit_compile=False` and `True`.
All of them see the same batches through `train_on_batch`.

- sentiment (built-in `negation-reviews`, word level): `Embedding(mask_zero=True)` +
  `SimpleRNN` / `GRU` / `LSTM` (in `Bidirectional` for bilstm) + `Dense`; for the
  transformer, the keras.io text-classification Transformer (token + position
  `Embedding`, post-norm `MultiHeadAttention` blocks, masked `GlobalAveragePooling1D`).
  Rate in examples per second.
- language model (built-in `pydoc-topics`, character level, `--no-tbptt` windows, since
  XLA cannot compile the carried states of `--tbptt`): `Embedding` + `GRU` / `LSTM`
  (`return_sequences=True`) + `Dense`; for the transformer, token + position `Embedding`,
  pre-norm causal `MultiHeadAttention` blocks, a final `LayerNormalization` and `Dense`.
  Rate in target tokens per second. Recurrent rows also time seqzoo's default `--tbptt`
  model (XLA off, the only mode it allows); `train_on_batch` resets its carried state at
  every step, so that times the stateful step, not a stream.

XLA compiles one program per input shape: batches whose length varies (seqzoo buckets
by length and pads each batch to its longest text) make it compile again for every new
shape. So every batch here is padded to one fixed shape (sentiment: the longest
training text), and the first steps (tracing and compiling) are left out of the rates;
their time is printed as "first s". The script also counts the distinct batch shapes of
seqzoo's bucketed sentiment batches (first epoch, all default epochs, validation): how
many XLA compilations real training pays for. `--fit-archs` also times whole `task.fit`
runs on the task's own batches (sentiment: the bucketed ones), XLA off and on.

The models of one architecture take turns (`--steps` steps each, `--repeats` times, the
order rotating), so a change in the machine's load falls on all of them alike; each
rate is the median of its `--repeats` runs. Prints every figure, a table with the ratio
seqzoo-best / stock-best (above 1: seqzoo is faster) and the fastest seqzoo mode per
architecture, the machine and its load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

from seqzoo.tasks.common import recipe  # noqa: E402
from seqzoo.tasks.common.runtime import runtime_scope  # noqa: E402
from seqzoo.tasks.language_model.config import LanguageModelConfig  # noqa: E402
from seqzoo.tasks.registry import get_task  # noqa: E402
from seqzoo.tasks.sentiment.config import SentimentConfig  # noqa: E402


# ---------------------------------------------------------------------- stock Keras models
class TokenAndPositionEmbedding(keras.layers.Layer):
    """Token plus learned position vectors, as in the keras.io Transformer examples."""

    def __init__(self, max_length, vocabulary_size, dim, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.tokens = keras.layers.Embedding(vocabulary_size, dim)
        self.positions = keras.layers.Embedding(max_length, dim)
        self.mask_zero = mask_zero

    def call(self, ids):
        return self.tokens(ids) + self.positions(ops.arange(ops.shape(ids)[-1]))

    def compute_mask(self, ids, mask=None):
        return ops.not_equal(ids, 0) if self.mask_zero else None


def stock_sentiment(arch: str, vocabulary_size: int, config: SentimentConfig, classes: int) -> keras.Model:
    inputs = keras.Input((None,), dtype="int32")
    if arch == "transformer":
        x = TokenAndPositionEmbedding(config.max_length, vocabulary_size, config.embedding_dim, mask_zero=True)(inputs)
        for _ in range(max(2, config.num_layers)):
            heads = keras.layers.MultiHeadAttention(config.num_heads, config.embedding_dim // config.num_heads)
            attention = heads(x, x)
            x = keras.layers.LayerNormalization()(keras.layers.Add()([x, attention]))
            feedforward = keras.layers.Dense(2 * config.units, activation="relu")(x)
            feedforward = keras.layers.Dense(config.embedding_dim)(feedforward)
            x = keras.layers.LayerNormalization()(keras.layers.Add()([x, feedforward]))
        x = keras.layers.GlobalAveragePooling1D()(x)
    else:
        x = keras.layers.Embedding(vocabulary_size, config.embedding_dim, mask_zero=True)(inputs)
        layer = {"rnn": keras.layers.SimpleRNN, "gru": keras.layers.GRU, "lstm": keras.layers.LSTM,
                 "bilstm": keras.layers.LSTM, "bigru": keras.layers.GRU}[arch](config.units)
        if arch.startswith("bi"):
            layer = keras.layers.Bidirectional(layer)
        x = layer(x)
    return keras.Model(inputs, keras.layers.Dense(classes)(x))


def stock_language_model(arch: str, vocabulary_size: int, config: LanguageModelConfig) -> keras.Model:
    inputs = keras.Input((None,), dtype="int32")
    if arch == "transformer":
        x = TokenAndPositionEmbedding(config.context_length, vocabulary_size, config.embedding_dim)(inputs)
        for _ in range(max(2, config.num_layers)):
            h = keras.layers.LayerNormalization()(x)
            h = keras.layers.MultiHeadAttention(config.num_heads, config.embedding_dim // config.num_heads)(
                h, h, use_causal_mask=True)
            x = keras.layers.Add()([x, h])
            h = keras.layers.LayerNormalization()(x)
            h = keras.layers.Dense(4 * config.embedding_dim, activation="relu")(h)
            x = keras.layers.Add()([x, keras.layers.Dense(config.embedding_dim)(h)])
        x = keras.layers.LayerNormalization()(x)
    else:
        x = keras.layers.Embedding(vocabulary_size, config.embedding_dim)(inputs)
        x = {"rnn": keras.layers.SimpleRNN, "gru": keras.layers.GRU,
             "lstm": keras.layers.LSTM}[arch](config.units, return_sequences=True)(x)
    return keras.Model(inputs, keras.layers.Dense(vocabulary_size)(x))


# ---------------------------------------------------------------------- timing
def rates(models: dict, batches, per_batch: int, steps: int, repeats: int) -> dict:
    """{name: (median units per second, seconds of the first pass)} for each compiled
    model. The first pass over the distinct batches (tracing and any XLA compilation)
    and one more step are left out; then the models take turns, `steps` train steps
    each, `repeats` times (the order rotating), so that a change in the machine's load
    falls on all of them alike."""
    first = {}
    for name, model in models.items():
        started = time.perf_counter()
        for x, y in batches:
            model.train_on_batch(x, y)
        first[name] = time.perf_counter() - started
        model.train_on_batch(*batches[0])
    runs = {name: [] for name in models}
    names = list(models)
    k = 0
    for repeat in range(repeats):
        for name in names[repeat % len(names):] + names[:repeat % len(names)]:
            started = time.perf_counter()
            for _ in range(steps):
                models[name].train_on_batch(*batches[k % len(batches)])
                k += 1
            runs[name].append(steps * per_batch / (time.perf_counter() - started))
    return {name: (statistics.median(runs[name]), first[name]) for name in models}


def seqzoo_models(build_task) -> tuple[dict, object]:
    """seqzoo's model, built twice alike (same seed, so the same weights), compiled by
    `Task.compile` with --jit-compile off and on."""
    models = {}
    for mode in ("off", "on"):
        task = build_task(mode)
        task.compile()  # the task's own compile: its loss, metrics, optimizer, clipping and XLA choice
        assert bool(task.model.jit_compile) == (mode == "on"), task.model.jit_compile
        models[f"seqzoo {mode}"] = task.model
    return models, task


def stock_models(build, learning_rate, clipnorm, loss, metrics) -> dict:
    models = {}
    for jit in (False, True):
        keras.utils.set_random_seed(0)
        model = build()
        model.compile(optimizer=recipe.make_optimizer(learning_rate, clipnorm), loss=loss, metrics=metrics,
                      jit_compile=jit)
        models[f"stock {'on' if jit else 'off'}"] = model
    return models


def split(measured):
    ours = {mode: measured[f"seqzoo {mode}"] for mode in ("off", "on")}
    theirs = {mode: measured[f"stock {mode}"] for mode in ("off", "on")}
    return ours, theirs, measured.get("seqzoo tbptt")


# ---------------------------------------------------------------------- tasks
def sentiment_rows(args):
    jobs = get_task("sentiment").jobs()
    base = SentimentConfig(batch_size=args.batch_size, dropout=args.dropout)
    splits = jobs.load_splits(base)
    rows = []
    batches = None
    for arch in args.sentiment_archs.split(","):
        def build_task(mode, arch=arch):
            config = SentimentConfig(arch=arch, batch_size=args.batch_size, dropout=args.dropout,
                                     jit_compile=mode)
            with runtime_scope(config):
                return jobs.build_task(config, splits["train"])

        models, task = seqzoo_models(build_task)
        config = task.config
        if batches is None:
            ids = task.encode(splits["train"].texts)
            labels = task.label_ids(splits["train"])
            length = int(ids.row_lengths().numpy().max())
            order = np.random.default_rng(0).permutation(len(labels))
            padded = ids.to_tensor(shape=[len(labels), length]).numpy()
            batches = []
            for b in range(args.batches):
                pick = order[b * args.batch_size:(b + 1) * args.batch_size]
                batches.append((tf.constant(padded[pick], tf.int32), tf.constant(labels[pick], tf.int32)))
            epochs = task.epoch_data(splits["train"])
            first_epoch = {tuple(x.shape) for x, _ in epochs.epoch(0)}
            shapes = set(first_epoch)
            for epoch in range(1, SentimentConfig().epochs):
                shapes |= {tuple(x.shape) for x, _ in epochs.epoch(epoch)}
            valid_shapes = {tuple(x.shape) for x, _ in task.dataset(splits["valid"])}
            print(f"sentiment: {len(labels)} training texts, batches {args.batch_size} x {length} tokens "
                  f"(padded to the longest text), embedding {config.embedding_dim}, units {config.units}, "
                  f"dropout {args.dropout}", flush=True)
            print(f"  seqzoo's default bucketed batches have {len(first_epoch)} distinct shapes in the first epoch, "
                  f"{len(shapes)} over {SentimentConfig().epochs} epochs, and the validation batches "
                  f"{len(valid_shapes)}: so many XLA compilations of the train and test steps", flush=True)
        models.update(stock_models(
            lambda: stock_sentiment(arch, task.preprocessor.vocabulary_size, config, len(task.label_names)),
            config.learning_rate, task.clipnorm(),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]))
        rows.append((arch, *split(rates(models, batches, args.batch_size, args.steps, args.repeats))))
        report(rows[-1], "ex/s")
        del models
        keras.backend.clear_session()
    return rows


def language_model_rows(args):
    jobs = get_task("language-model").jobs()
    splits = jobs.load_splits(LanguageModelConfig(level="char", tbptt=False))
    rows = []
    batches = None
    for arch in args.lm_archs.split(","):
        def build_task(mode, arch=arch, tbptt=False):
            config = LanguageModelConfig(arch=arch, level="char", tbptt=tbptt, jit_compile=mode)
            with runtime_scope(config):
                return jobs.build_task(config, splits["train"])

        models, task = seqzoo_models(build_task)
        config = task.config
        if batches is None:
            ids = task.encode(splits["train"], "the training text")
            batches = [(tf.constant(x), tf.constant(y))
                       for x, y in task.epoch_data(ids).epoch(0).take(args.batches)]
            print(f"language model: {len(ids):,} training characters, vocabulary "
                  f"{task.preprocessor.vocabulary_size}, batches {config.batch_size} x {config.window} tokens, "
                  f"embedding {config.embedding_dim}, units {config.units}, transformer "
                  f"{max(2, config.num_layers)} x {config.embedding_dim}", flush=True)
        per_batch = int(np.prod(batches[0][0].shape))
        models.update(stock_models(
            lambda: stock_language_model(arch, task.preprocessor.vocabulary_size, config),
            task.optimizer_learning_rate(), task.clipnorm(),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True), None))
        if task.spec.architecture(arch).recurrent:
            stateful = build_task("off", tbptt=True)  # the default --tbptt: XLA off, the only mode it allows
            stateful.compile()
            models["seqzoo tbptt"] = stateful.model
        rows.append((f"lm-{arch}", *split(rates(models, batches, per_batch, args.steps, args.repeats))))
        report(rows[-1], "tok/s")
        del models
        keras.backend.clear_session()
    return rows


def bucketed_fit_rows(args):
    """Wall time of `task.fit` on the task's real batches (sentiment: bucketed, so XLA
    compiles every new shape; language model: fixed windows, `--no-tbptt`), XLA off and
    on, every other setting at `seqzoo train`'s default."""
    print(f"\ntask.fit on the task's own batches, {args.fit_epochs} epochs, seqzoo's defaults (sentiment: "
          "bucketed, dropout 0.2; lm-: character level, --no-tbptt), run_dir=None, the modes taking turns:",
          flush=True)
    jobs, splits = {}, {}
    for name in args.fit_archs.split(","):
        task_name = "language-model" if name.startswith("lm-") else "sentiment"
        arch = name[3:] if name.startswith("lm-") else name
        if task_name not in jobs:
            jobs[task_name] = get_task(task_name).jobs()
            base = LanguageModelConfig(tbptt=False) if name.startswith("lm-") else SentimentConfig()
            splits[task_name] = jobs[task_name].load_splits(base)
        times = {"off": [], "on": []}
        for repeat in range(args.fit_repeats):
            for mode in (("off", "on") if repeat % 2 == 0 else ("on", "off")):
                if task_name == "sentiment":
                    config = SentimentConfig(arch=arch, jit_compile=mode)
                else:
                    config = LanguageModelConfig(arch=arch, tbptt=False, jit_compile=mode)
                with runtime_scope(config):
                    task = jobs[task_name].build_task(config, splits[task_name]["train"])
                started = time.perf_counter()
                task.fit(splits[task_name]["train"], splits[task_name]["valid"], run_dir=None,
                         epochs=args.fit_epochs, verbose=0)
                times[mode].append(time.perf_counter() - started)
                keras.backend.clear_session()
        off, on = statistics.median(times["off"]), statistics.median(times["on"])
        print(f"  {name:<15} fit off {off:6.1f} s, XLA {on:6.1f} s, XLA / off {on / off:.2f} "
              f"(median of {args.fit_repeats})", flush=True)


# ---------------------------------------------------------------------- output
def best(by_mode):
    mode = max(by_mode, key=lambda m: by_mode[m][0])
    return by_mode[mode][0], mode


def report(row, unit):
    arch, ours, theirs, tbptt = row
    line = (f"  {arch:<15} seqzoo off {ours['off'][0]:>8.0f} {unit} (first {ours['off'][1]:.1f} s), "
            f"XLA {ours['on'][0]:>8.0f} (first {ours['on'][1]:.1f} s); stock off {theirs['off'][0]:>8.0f} "
            f"(first {theirs['off'][1]:.1f} s), XLA {theirs['on'][0]:>8.0f} (first {theirs['on'][1]:.1f} s)")
    if tbptt is not None:
        line += f"; seqzoo --tbptt (off) {tbptt[0]:.0f}"
    print(line, flush=True)


def table(rows):
    print()
    print(f"{'arch':<15} {'seqzoo off':>11} {'seqzoo XLA':>11} {'stock best':>11} {'(mode)':>7} "
          f"{'ratio':>6} {'XLA/off':>8}  fastest seqzoo mode")
    for arch, ours, theirs, _ in rows:
        stock, mode = best(theirs)
        mine, my_mode = best(ours)
        print(f"{arch:<15} {ours['off'][0]:>11.0f} {ours['on'][0]:>11.0f} {stock:>11.0f} "
              f"{'XLA' if mode == 'on' else 'off':>7} {mine / stock:>6.2f} {ours['on'][0] / ours['off'][0]:>8.2f}  "
              f"{my_mode}")
        print("BENCHMARK-RESULT " + json.dumps({"benchmark": "training_throughput", "case": f"{arch} training",
                                                "seqzoo": round(mine, 1), "reference": round(stock, 1),
                                                "ratio": round(mine / stock, 3),
                                                "unit": "tokens/s" if arch.startswith("lm-") else "examples/s"}))
    print("(sentiment rows: examples/s; lm- rows: target tokens/s; ratio = seqzoo best / stock best)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="sentiment,language-model",
                        help="comma-separated: sentiment, language-model (default: both); none with --fit-archs")
    parser.add_argument("--sentiment-archs", default="rnn,gru,lstm,bilstm,transformer")
    parser.add_argument("--lm-archs", default="gru,lstm,transformer")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per model and repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, default=4, help="distinct batches, cycled")
    parser.add_argument("--batch-size", type=int, default=64, help="sentiment batch size")
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="seqzoo sentiment dropout (0: the same model as the stock one, which has none)")
    parser.add_argument("--fit-archs", default="",
                        help="also time task.fit on the task's own batches, XLA off and on, for these archs "
                             "(sentiment, or lm-NAME for the language model; e.g. gru,transformer,lm-transformer)")
    parser.add_argument("--fit-epochs", type=int, default=2)
    parser.add_argument("--fit-repeats", type=int, default=2)
    args = parser.parse_args()
    tf.get_logger().setLevel("ERROR")  # the vocabulary's tokenizer retraces once per task built

    started = time.perf_counter()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"GPU: {bool(tf.config.list_physical_devices('GPU'))}, load average {os.getloadavg()[0]:.1f} at the start")
    print(f"{args.steps} timed steps x {args.repeats} repeats (median), after one pass over "
          f"{args.batches} distinct batches and one more step", flush=True)
    rows = []
    tasks = args.tasks.split(",")
    if "sentiment" in tasks:
        rows += sentiment_rows(args)
    if "language-model" in tasks:
        rows += language_model_rows(args)
    if rows:
        table(rows)
    if args.fit_archs:
        bucketed_fit_rows(args)
    print(f"total {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
