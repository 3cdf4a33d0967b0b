"""Fine-tuning on shifted real data: movie-review snippets (Pang & Lee 2005) split into two
domains by words, so that the second is full of words the first never had.

    python benchmarks/finetune_shift.py [--arch gru] [--epochs 3] [--shared ../shared]

A seeded tenth of the mid-frequency words (seen in 3 to 60 snippets) is held out; domain A
is every snippet without any of them, domain B every snippet with at least one. A model
trained on A has never seen a held-out word. It is fine-tuned on B with each vocabulary
policy, and the table gives accuracy on B's test split before and after, and on A's test
split after (forgetting), beside a model trained from scratch on B with the same epochs.
Every run goes through the user's path (`train_run`, `finetune`). The data lies in
`../shared/data/rt_polarity/` and is not committed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# (row name, finetune options); the learning rate None is fine-tuning's default (source / 10).
VARIANTS = {
    "keep": dict(vocab="keep"),
    "extend": dict(vocab="extend"),
    "extend-lr": dict(vocab="extend", learning_rate="source"),
    "extend-freeze-lr": dict(vocab="extend", freeze="encoder", learning_rate="source"),
    "extend-freeze-unfreeze-lr": dict(vocab="extend", freeze="encoder", unfreeze_after=1, learning_rate="source"),
    "rebuild-lr": dict(vocab="rebuild", learning_rate="source"),
}


def split_domains(texts, labels, share=0.1):
    counts = Counter(word for text in texts for word in set(text.lower().split()))
    held_out = {w for w, c in counts.items() if 3 <= c <= 60 and zlib.crc32(w.encode()) % 1000 < share * 1000}
    in_b = [bool(set(text.lower().split()) & held_out) for text in texts]
    domains = {}
    for name, wanted in (("A", False), ("B", True)):
        idx = [i for i, b in enumerate(in_b) if b == wanted]
        domains[name] = ([texts[i] for i in idx], [labels[i] for i in idx])
    return domains, held_out


def write_splits(work: Path, name: str, texts, labels, write_tsv) -> dict[str, str]:
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    cut = [int(0.8 * len(order)), int(0.9 * len(order))]
    parts = {"train": order[: cut[0]], "valid": order[cut[0] : cut[1]], "test": order[cut[1] :]}
    return {part: write_tsv(work / f"{name}-{part}.tsv", [texts[i] for i in idx], [labels[i] for i in idx])
            for part, idx in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="gru")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--source-epochs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    args = parser.parse_args()
    folder = Path(args.shared) / "data" / "rt_polarity"
    if not folder.is_dir():
        raise SystemExit(f"{folder} is missing: this benchmark needs the shared real data (see its README).")

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _domain_shift import machine_line, print_table
    from rt_polarity import read_polarity, write_tsv

    from seqzoo.data.readers import read_labelled_texts
    from seqzoo.tasks.sentiment.config import SentimentConfig
    from seqzoo.tasks.finetune.transfer import finetune
    from seqzoo.tasks.sentiment.jobs import train_run

    work = Path(tempfile.mkdtemp(prefix="finetune-shift-"))
    domains, held_out = split_domains(*read_polarity(folder))
    files = {name: write_splits(work, name, *data, write_tsv) for name, data in domains.items()}
    tests = {name: read_labelled_texts(files[name]["test"]) for name in files}

    base = dict(arch=args.arch, units=args.units, embedding_dim=args.units, batch_size=64, seed=0)
    source_config = SentimentConfig(data=files["A"]["train"], valid=files["A"]["valid"], test=files["A"]["test"],
                                    epochs=args.source_epochs, **base)
    started = time.perf_counter()
    source, _ = train_run(source_config, work / "source", verbose=2)
    source_seconds = time.perf_counter() - started
    unseen = sum(word not in source.preprocessor.vocabulary for word in held_out)

    def scores(task):
        return task.evaluate(tests["B"])["accuracy"], task.evaluate(tests["A"])["accuracy"]

    rows = [("source (trained on A only)", *scores(source), source_seconds)]
    for name in args.variants.split(","):
        options = dict(VARIANTS[name])
        if options.get("learning_rate") == "source":
            options["learning_rate"] = source.config.learning_rate
        started = time.perf_counter()
        task, _ = finetune(work / "source", work / f"ft-{name}", data=files["B"]["train"], valid=files["B"]["valid"],
                           test=files["B"]["test"], epochs=args.epochs, evaluate_before=False, verbose=2, **options)
        label = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in options.items())
        rows.append((f"fine-tuned on B: {label}", *scores(task), time.perf_counter() - started))
    started = time.perf_counter()
    scratch_config = SentimentConfig(data=files["B"]["train"], valid=files["B"]["valid"], test=files["B"]["test"],
                                     epochs=args.epochs, **base)
    scratch, _ = train_run(scratch_config, work / "scratch", verbose=2)
    rows.append((f"from scratch on B ({args.epochs} epochs)", *scores(scratch), time.perf_counter() - started))

    print("\n" + machine_line(f"{args.arch}, {args.units} units, source {args.source_epochs} epochs on A, "
                              f"fine-tuning {args.epochs} epochs on B"))
    print(f"A: {len(domains['A'][0])} snippets, B: {len(domains['B'][0])}; {len(held_out)} held-out words, "
          f"{unseen} of them not in the source vocabulary")
    print_table(rows, "acc", 4, 72)


if __name__ == "__main__":
    main()
