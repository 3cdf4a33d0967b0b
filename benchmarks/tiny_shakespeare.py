"""Character-level language models on Tiny Shakespeare, each trained for the same time budget.

    python benchmarks/tiny_shakespeare.py [--archs rnn,irnn,lstm,gru,stacked-lstm,transformer]
                                          [--budget 120] [--data ../shared/data/tiny_shakespeare/input.txt]

Reads Karpathy's `input.txt` (1,115,394 characters of Shakespeare; see
../shared/data/README.md), holds out its last 10% as validation text (the split of
nanoGPT's Shakespeare-char example), and trains every architecture at the template's
defaults (character level, 256 units or a 2-block 128-wide Transformer, windows of 100,
TBPTT for recurrent models) for `--budget` seconds of wall-clock time each, then reports
the validation loss in nats per character and bits per character, next to the published
reference figures: about 1.9 nats/char for small CPU-sized models, and 1.47 nats/char for
nanoGPT's 6-layer, 384-wide Transformer after a few GPU minutes (Karpathy, nanoGPT README).
A run with a short budget says how far a few CPU minutes get, not where a model ends up.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqzoo.tasks.language_model.architectures import LANGUAGE_MODEL_ARCHITECTURES  # noqa: E402

from seqzoo.tasks.language_model.task import LanguageModelTask  # noqa: E402
from seqzoo.tasks.language_model.config import LanguageModelConfig  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tiny_shakespeare" / "input.txt"
REFERENCES = (("small CPU-sized models", 1.9), ("nanoGPT 6-layer Transformer, GPU", 1.47))


class TimeBudget(keras.callbacks.Callback):
    """Stops training once `seconds` of training have passed (checked after every batch)."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.steps = 0

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.perf_counter() - self.started > self.seconds:
            self.model.stop_training = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", default=",".join(LANGUAGE_MODEL_ARCHITECTURES))
    parser.add_argument("--budget", type=float, default=120.0, help="training seconds per architecture")
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    args = parser.parse_args()

    path = Path(args.data)
    if not path.exists():
        print(f"{path} is missing: this benchmark needs Tiny Shakespeare's input.txt "
              "(karpathy/char-rnn, data/tinyshakespeare/input.txt); pass --data PATH.")
        return
    text = path.read_text(encoding="utf-8")
    cut = text.rfind("\n", 0, int(len(text) * 0.9)) + 1
    train, valid = text[:cut], text[cut:]
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs visible, TensorFlow {tf.__version__}, "
          f"devices {[d.device_type for d in tf.config.list_logical_devices()]}")
    print(f"Tiny Shakespeare: {len(train):,} training and {len(valid):,} validation characters; "
          f"{args.budget:.0f} s of training per architecture")
    print(f"{'arch':<14} {'params':>9} {'steps':>6} {'train s':>8} {'nats/char':>10} {'bits/char':>10}")
    for arch in args.archs.split(","):
        config = LanguageModelConfig(arch=arch, level="char", dropout=0.0)
        task = LanguageModelTask.build(config, train)
        task.compile()
        budget = TimeBudget(args.budget)
        started = time.perf_counter()
        task.model.fit(task.dataset(task.encode(train), shuffle=True), epochs=1000,
                       callbacks=[budget], verbose=0, shuffle=False)
        seconds = time.perf_counter() - started
        metrics = task.evaluate(valid)
        print(f"{arch:<14} {task.model.count_params():>9,} {budget.steps:>6} {seconds:>8.0f} "
              f"{metrics['loss']:>10.3f} {metrics['bits_per_char']:>10.3f}", flush=True)
    for name, nats in REFERENCES:
        print(f"reference: {name}: {nats:.2f} nats/char = {nats / math.log(2):.2f} bits/char")


if __name__ == "__main__":
    main()
