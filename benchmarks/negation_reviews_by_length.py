"""Does the choice of architecture matter on the built-in `negation-reviews` data?
Test accuracy by input length for each architecture, trained on the same splits.

    python benchmarks/negation_reviews_by_length.py [--archs rnn,irnn,lstm,bilstm] [--epochs 10]

Prints a table (accuracy per length bucket) and writes `accuracy_by_length.png` into
`--out` (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BUCKETS = [(0, 20), (20, 40), (40, 60), (60, 1000)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="rnn,irnn,lstm,bilstm")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default=tempfile.mkdtemp(prefix="negation_by_length_"))
    args = parser.parse_args()

    import numpy as np

    from seqzoo.data.builtin import load_builtin
    from seqzoo.data.splits import split_labelled
    from seqzoo.tasks.sentiment.config import SentimentConfig
    from seqzoo.tasks.common.plots import save_figure, pyplot
    from seqzoo.tasks.sentiment.task import SentimentTask

    splits = split_labelled(load_builtin("negation-reviews", seed=0), seed=0)
    test = splits["test"]
    lengths = np.asarray([len(text.split()) for text in test.texts])
    table = {}
    for arch in args.archs.split(","):
        task = SentimentTask.build(SentimentConfig(arch=arch, epochs=args.epochs), splits["train"])
        task.fit(splits["train"], splits["valid"], verbose=2)
        correct = np.argmax(task.predict_probabilities(test.texts), -1) == task.label_ids(test)
        table[arch] = [float(correct[(lengths >= lo) & (lengths < hi)].mean()) for lo, hi in BUCKETS]
        table[arch].append(float(correct.mean()))

    labels = [f"{lo}-{hi - 1}" if hi < 1000 else f"{lo}+" for lo, hi in BUCKETS]
    print(f"\ntest accuracy by length in tokens ({len(test.texts)} examples, {args.epochs} epochs max)")
    print(f"{'arch':<10}" + "".join(f"{label:>9}" for label in labels) + f"{'all':>9}")
    for arch, values in table.items():
        print(f"{arch:<10}" + "".join(f"{v:>9.3f}" for v in values))

    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    for arch, values in table.items():
        axis.plot(labels, values[:-1], marker="o", label=arch)
    axis.set_xlabel("review length (tokens)")
    axis.set_ylabel("test accuracy")
    axis.set_ylim(0.4, 1.02)
    axis.grid(alpha=0.3)
    axis.legend()
    axis.set_title("negation-reviews: accuracy by length")
    path = Path(args.out) / "accuracy_by_length.png"
    save_figure(figure, path)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
