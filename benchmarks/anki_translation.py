"""Translation quality on real data: English -> French sentence pairs from Tatoeba (the
Anki `fra.txt` file in ../shared/data/anki_eng_fra/), seq2seq vs bahdanau vs transformer
on the same subsample, split and budget.

    python benchmarks/anki_translation.py [--pairs 12000] [--epochs 6] [--archs seq2seq,bahdanau,transformer]

Each architecture is trained with `seqzoo train translation` defaults except the sizes
below (the run directories go to a temporary folder). The subsample keeps short pairs
(at most --max-words words on the source side) so that a run fits a few minutes on two
CPU cores; the splits are grouped by source sentence (no sentence is on both sides).
BLEU and chrF are sacrebleu's corpus scores on the lowercased, detokenised test split,
with beam search (beam 4). Prints one line per architecture and the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "anki_eng_fra" / "fra.txt"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--pairs", type=int, default=12000, help="pairs in the subsample")
    parser.add_argument("--max-words", type=int, default=6, help="longest source sentence kept, in words")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--archs", default="seq2seq,bahdanau,transformer")
    args = parser.parse_args()
    if not Path(args.data).exists():
        print(f"{args.data} is missing: put the Anki/Tatoeba fra.txt there (or pass --data); nothing measured.")
        return 1

    from seqzoo.data.parallel import read_parallel
    from seqzoo.tasks.translation.config import TranslationConfig
    from seqzoo.tasks.translation.jobs import train_run

    pairs = read_parallel(args.data)
    short = [i for i, s in enumerate(pairs.sources) if len(s.split()) <= args.max_words]
    chosen = sorted(random.Random(0).sample(short, min(args.pairs, len(short))))
    folder = Path(tempfile.mkdtemp(prefix="anki-"))
    subsample = folder / "pairs.tsv"
    subsample.write_text("".join(f"{pairs.sources[i]}\t{pairs.targets[i]}\n" for i in chosen), encoding="utf-8")
    print(f"data: {args.data}, {len(pairs)} pairs; {len(chosen)} drawn from the {len(short)} with "
          f"<= {args.max_words} source words")

    rows = []
    for arch in args.archs.split(","):
        config = TranslationConfig(arch=arch, data=str(subsample), epochs=args.epochs, patience=2,
                                   embedding_dim=128, units=128 if arch != "bahdanau" else 96,
                                   learning_rate=2e-3 if arch == "transformer" else 5e-3,
                                   dropout=0.1, max_length=20, min_frequency=2)
        started = time.perf_counter()
        _, metrics = train_run(config, folder / arch, verbose=2)
        rows.append((arch, metrics, time.perf_counter() - started))

    import tensorflow as tf

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs visible, TensorFlow {tf.__version__}, "
          f"devices {[d.device_type for d in tf.config.list_physical_devices()]}")
    print(f"{'arch':<12} {'BLEU':>6} {'chrF':>6} {'exact':>6} {'epochs':>6} {'params':>10} {'minutes':>8}")
    for arch, metrics, seconds in rows:
        print(f"{arch:<12} {metrics['bleu']:6.2f} {metrics['chrf']:6.2f} {metrics['exact_match']:6.3f} "
              f"{metrics['epochs']:6d} {metrics['parameters']:10,} {seconds / 60:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
