"""Fine-tuning on shifted data: a classifier trained on the built-in generated reviews
("negation-reviews"), fine-tuned on real movie-review snippets (Pang & Lee 2005), most of
whose words the first data set never had.

    python benchmarks/finetune_shift.py [--arch gru] [--epochs 3] [--shared ../shared]

For each vocabulary policy it reports accuracy on the real test split before and after
fine-tuning, and on the generated test split after (forgetting), beside a model trained
from scratch on the real data with the same epochs. Every run goes through the user's
path (`train_run`, `finetune`). The real data lies in `../shared/data/rt_polarity/` and is
not committed.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="gru")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--source-epochs", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--policies", default="keep,extend,extend+freeze-embeddings,rebuild")
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    args = parser.parse_args()
    folder = Path(args.shared) / "data" / "rt_polarity"
    if not folder.is_dir():
        raise SystemExit(f"{folder} is missing: this benchmark needs the shared real data (see its README).")

    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from rt_polarity import read_polarity, write_tsv

    from seqzoo.data.builtin import load_builtin
    from seqzoo.tasks.config import SentimentConfig
    from seqzoo.tasks.finetune import finetune
    from seqzoo.tasks.sentiment_job import load_splits, train_run

    work = Path(tempfile.mkdtemp(prefix="finetune-shift-"))
    texts, labels = read_polarity(folder)
    labels = ["positive" if label == "pos" else "negative" for label in labels]  # the built-in set's names
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    cut = [int(0.8 * len(order)), int(0.9 * len(order))]
    parts = {"train": order[: cut[0]], "valid": order[cut[0] : cut[1]], "test": order[cut[1] :]}
    files = {name: write_tsv(work / f"rt-{name}.tsv", [texts[i] for i in idx], [labels[i] for i in idx])
             for name, idx in parts.items()}

    base = dict(arch=args.arch, units=args.units, embedding_dim=args.units, batch_size=64, seed=0)
    source_config = SentimentConfig(data="negation-reviews", epochs=args.source_epochs, **base)
    started = time.perf_counter()
    source, source_metrics = train_run(source_config, work / "source", verbose=2)
    source_seconds = time.perf_counter() - started
    generated_test = load_splits(source_config)["test"]
    real = {name: load_splits(SentimentConfig(data=files["train"], valid=files["valid"], test=files["test"]))[name]
            for name in ("test",)}

    def scores(task):
        return task.evaluate(real["test"])["accuracy"], task.evaluate(generated_test)["accuracy"]

    rows = [("source (generated reviews only)", *scores(source), source_seconds)]
    for policy in args.policies.split(","):
        vocab, _, freeze = policy.partition("+freeze-")
        started = time.perf_counter()
        task, _ = finetune(work / "source", work / f"ft-{policy}", data=files["train"], valid=files["valid"],
                           test=files["test"], vocab=vocab, freeze=freeze or "none", epochs=args.epochs,
                           evaluate_before=False, verbose=2)
        rows.append((f"fine-tuned, --vocab {vocab}" + (f" --freeze {freeze}" if freeze else ""), *scores(task),
                     time.perf_counter() - started))
    started = time.perf_counter()
    scratch_config = SentimentConfig(data=files["train"], valid=files["valid"], test=files["test"],
                                     epochs=args.epochs, **base)
    scratch, _ = train_run(scratch_config, work / "scratch", verbose=2)
    rows.append((f"from scratch on the real data ({args.epochs} epochs)", *scores(scratch),
                 time.perf_counter() - started))

    print(f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; arch {args.arch}, "
          f"{args.units} units; source {args.source_epochs} epochs on negation-reviews, fine-tuning {args.epochs} "
          f"epochs on rt-polarity ({len(parts['train'])} train, {len(parts['test'])} test)")
    print(f"{'model':<50} {'rt test acc':>11} {'generated test acc':>19} {'seconds':>8}")
    for name, real_accuracy, generated_accuracy, seconds in rows:
        print(f"{name:<50} {real_accuracy:>11.4f} {generated_accuracy:>19.4f} {seconds:>8.1f}")


if __name__ == "__main__":
    main()
