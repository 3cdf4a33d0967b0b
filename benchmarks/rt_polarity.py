"""Sentence-level movie-review polarity (Pang & Lee 2005) with seqzoo, beside a
bag-of-words logistic regression measured in the same run.

    python benchmarks/rt_polarity.py [--archs bilstm] [--folds 1] [--shared ../shared]

The data lies in `../shared/data/rt_polarity/` (Windows-1252, not committed here). Each
fold writes `train.tsv`, `valid.tsv`, `test.tsv` (header `text<TAB>label`) into a
temporary folder and runs the same job as
`seqzoo train sentiment --data train.tsv --valid valid.tsv --test test.tsv --arch ARCH`,
so it exercises the user's path end to end. Published from-scratch reference: CNN-rand
76.1% (Kim 2014, 10-fold cross-validation).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def read_polarity(folder: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for label in ("pos", "neg"):
        raw = (folder / f"rt-polarity.{label}").read_bytes().decode("cp1252")
        for line in raw.split("\n"):  # 0x85 is an ellipsis inside lines, not a line break
            if line.strip():
                texts.append(line.strip())
                labels.append(label)
    return texts, labels


def write_tsv(path: Path, texts, labels) -> str:
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerow(["text", "label"])
        for text, label in zip(texts, labels):
            writer.writerow([text.replace("\t", " "), label])
    return str(path)


def bag_of_words_accuracy(train, test) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=1), LogisticRegression(C=4, max_iter=2000))
    model.fit(*train)
    return float(model.score(*test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="bilstm")
    parser.add_argument("--folds", type=int, default=1, help="folds of a 10-fold split to run")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--extra", default="", help="extra config fields, e.g. units=64,dropout=0.5")
    args = parser.parse_args()

    folder = Path(args.shared) / "data" / "rt_polarity"
    if not folder.is_dir():
        raise SystemExit(f"{folder} not found: this benchmark needs the shared rt_polarity data.")
    import numpy as np
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from seqzoo.tasks.sentiment.config import SentimentConfig
    from seqzoo.tasks.sentiment.jobs import train_run

    texts, labels = read_polarity(folder)
    texts, labels = np.asarray(texts, dtype=object), np.asarray(labels)
    folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=0).split(texts, labels)
    extra = dict(item.split("=") for item in args.extra.split(",") if item)
    results: dict[str, list[float]] = {"bag-of-words (tf-idf 1-2 grams + logistic regression)": []}
    for fold, (train_index, test_index) in zip(range(args.folds), folds):
        train_index, valid_index = train_test_split(
            train_index, test_size=0.1, stratify=labels[train_index], random_state=fold
        )
        workdir = Path(tempfile.mkdtemp(prefix="rt_polarity_"))
        paths = {
            name: write_tsv(workdir / f"{name}.tsv", texts[index], labels[index])
            for name, index in (("train", train_index), ("valid", valid_index), ("test", test_index))
        }
        results["bag-of-words (tf-idf 1-2 grams + logistic regression)"].append(
            bag_of_words_accuracy((texts[train_index], labels[train_index]), (texts[test_index], labels[test_index]))
        )
        for arch in args.archs.split(","):
            fields = dict(arch=arch, data=paths["train"], valid=paths["valid"], test=paths["test"],
                          epochs=args.epochs, seed=fold)
            for key, value in extra.items():
                kind = type(getattr(SentimentConfig(), key))
                fields[key] = kind(value) if kind is not type(None) else value
            started = time.perf_counter()
            _, metrics = train_run(SentimentConfig(**fields), workdir / f"run-{arch}", verbose=2)
            minutes = (time.perf_counter() - started) / 60
            print(f"fold {fold} {arch}: test accuracy {metrics['accuracy']:.4f} in {minutes:.1f} min")
            results.setdefault(arch, []).append(metrics["accuracy"])
    print(f"\nrt_polarity, {args.folds} fold(s) of 10, {os.cpu_count()} CPU cores")
    for name, values in results.items():
        print(f"  {name:<55} {100 * np.mean(values):.1f}%")
    print("  published CNN-rand (Kim 2014, 10-fold CV)               76.1%")


if __name__ == "__main__":
    main()
