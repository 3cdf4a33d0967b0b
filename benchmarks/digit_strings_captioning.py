"""Captioning quality on the built-in digit-strings set: each decoder at the defaults of
`seqzoo train captioning` (same data, split and budget), against the most frequent
training caption written for every test image.

    python benchmarks/digit_strings_captioning.py [--archs show-and-tell,show-attend-tell,transformer] [--epochs 8]

BLEU-1..4 are sacrebleu's cumulative corpus scores against both references of each test
image (300 images), with the run's beam search (beam 3). Prints one line per
architecture with its training time, and the machine.
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

    from seqzoo.tasks.captioning_config import CaptioningConfig
    from seqzoo.tasks.captioning_job import load_splits, train_run
    from seqzoo.tasks.captioning_metrics import caption_metrics

    splits = load_splits(CaptioningConfig())
    common = collections.Counter(c for cs in splits["train"].captions for c in cs).most_common(1)[0][0]
    baseline = caption_metrics([common] * len(splits["test"]), splits["test"].captions)
    rows = [("most frequent caption", baseline, 0.0, f"always {common!r}")]
    with tempfile.TemporaryDirectory() as folder:
        for arch in args.archs.split(","):
            config = CaptioningConfig(arch=arch)
            if args.epochs:
                config.epochs = args.epochs
            started = time.perf_counter()
            _, metrics = train_run(config, os.path.join(folder, arch), verbose=0)
            rows.append((arch, metrics, time.perf_counter() - started, f"{metrics['epochs']} epochs"))
    print(f"\ndigit-strings test split ({len(splits['test'])} images, 2 references each)")
    print(f"{'':24} {'BLEU-1':>7} {'BLEU-2':>7} {'BLEU-3':>7} {'BLEU-4':>7} {'seconds':>8}")
    for name, metrics, seconds, note in rows:
        scores = " ".join(f"{metrics[f'bleu{n}']:7.2f}" for n in (1, 2, 3, 4))
        print(f"{name:24} {scores} {seconds:8.1f}  {note}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")


if __name__ == "__main__":
    main()
