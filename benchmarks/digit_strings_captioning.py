"""Captioning quality on the built-in digit-strings set: each decoder at the defaults of
`seqzoo train captioning` (same data, split and budget), against the most frequent
training caption written for every test image.

    python benchmarks/digit_strings_captioning.py [--archs show-and-tell,show-attend-tell,transformer] [--epochs 8]

BLEU-1..4 are sacrebleu's cumulative corpus scores against both references of each test
image (300 images), with the run's beam search (beam 3). BLEU rewards the caption's
template words and length even when every digit is wrong, so the digit accuracy (the
share of digits named right, position by position; chance 0.1) is printed beside it.
Prints one line per architecture with its training time, and the machine.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="show-and-tell,show-attend-tell,transformer")
    parser.add_argument("--epochs", type=int, default=None, help="default: the config's")
    args = parser.parse_args()

    from seqzoo.tasks.captioning.config import CaptioningConfig
    from seqzoo.tasks.captioning.jobs import load_splits, train_run
    from seqzoo.data.builtin_digit_captions import digit_accuracy
    from seqzoo.tasks.captioning.metrics import caption_metrics

    splits = load_splits(CaptioningConfig())
    common = collections.Counter(c for cs in splits["train"].captions for c in cs).most_common(1)[0][0]
    baseline = caption_metrics([common] * len(splits["test"]), splits["test"].captions)
    baseline["digits"] = digit_accuracy([common] * len(splits["test"]), splits["test"].captions)
    rows = [("most frequent caption", baseline, 0.0, f"always {common!r}")]
    with tempfile.TemporaryDirectory() as folder:
        for arch in args.archs.split(","):
            config = CaptioningConfig(arch=arch)
            if args.epochs:
                config.epochs = args.epochs
            started = time.perf_counter()
            task, metrics = train_run(config, os.path.join(folder, arch), verbose=0)
            seconds = time.perf_counter() - started
            captions = [result["caption"] for result in task.caption(splits["test"])]
            metrics["digits"] = digit_accuracy(captions, splits["test"].captions)
            rows.append((arch, metrics, seconds, f"{metrics['epochs']} epochs"))
    print(f"\ndigit-strings test split ({len(splits['test'])} images, 2 references each)")
    print(f"{'':24} {'BLEU-1':>7} {'BLEU-2':>7} {'BLEU-3':>7} {'BLEU-4':>7} {'digits':>7} {'seconds':>8}")
    for name, metrics, seconds, note in rows:
        scores = " ".join(f"{metrics[f'bleu{n}']:7.2f}" for n in (1, 2, 3, 4))
        print(f"{name:24} {scores} {metrics['digits']:7.3f} {seconds:8.1f}  {note}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")


if __name__ == "__main__":
    main()
