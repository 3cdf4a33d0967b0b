"""The jobs behind `seqzoo train|evaluate sentiment`: data in, run directory out."""

from __future__ import annotations

import time
from pathlib import Path

from seqzoo.data.builtin import BUILTIN_DATASETS, load_builtin
from seqzoo.data.errors import DataError
from seqzoo.data.readers import LabelledTexts, read_labelled_texts
from seqzoo.data.splits import check_labels, split_labelled
from seqzoo.tasks.sentiment.metrics import format_confusion_matrix
from seqzoo.tasks.sentiment.config import SentimentConfig
from seqzoo.tasks.common.plots import plot_learning_curves
from seqzoo.tasks.common.run_directory import atomic_write_json, create_run_directory
from seqzoo.tasks.sentiment.task import SentimentTask, get_architecture
from seqzoo.tasks.common.word_vector_init import coverage_message, coverage_metrics

DEFAULT_DATASET = "negation-reviews"


def _read(path: str, config: SentimentConfig) -> LabelledTexts:
    if path in BUILTIN_DATASETS and not Path(path).exists():
        return load_builtin(path, seed=config.seed)
    return read_labelled_texts(
        path, text_column=config.text_column, label_column=config.label_column, encoding=config.encoding
    )


def load_splits(config: SentimentConfig) -> dict[str, LabelledTexts]:
    """Train / validation / test data as the config asks: separate files, or one file
    (or the built-in data set) split with stratification."""
    data = _read(config.data or DEFAULT_DATASET, config)
    check_labels(data, config.label_column)
    splits = {"train": data}
    if config.valid is None or config.test is None:
        valid_fraction = 0.0 if config.valid else config.valid_fraction
        test_fraction = 0.0 if config.test else config.test_fraction
        splits = split_labelled(data, valid_fraction, test_fraction, seed=config.seed)
    if config.valid:
        splits["valid"] = _read(config.valid, config)
    if config.test:
        splits["test"] = _read(config.test, config)
    for name in ("valid", "test"):
        if not splits.get(name) or not splits[name].texts:
            raise DataError(f"{data.source}: too few examples to hold out a {name} split.")
    return splits


def train_run(
    config: SentimentConfig, run_dir: str | Path, overwrite: bool = False, verbose="auto"
) -> tuple[SentimentTask, dict]:
    """Read the data, train, evaluate on the test split and fill the run directory.

    Examples:

    >>> import tempfile
    >>> config = SentimentConfig(arch="gru", units=8, embedding_dim=8, epochs=1)
    >>> task, metrics = train_run(config, tempfile.mkdtemp() + "/run", verbose=0)
    ... # doctest: +SKIP
    """
    get_architecture(config.arch)  # fail before reading data when the name is wrong
    splits = load_splits(config)
    run_dir = create_run_directory(run_dir, overwrite=overwrite)
    task = SentimentTask.build(config, splits["train"])
    if task.word_vector_coverage is not None:
        print(coverage_message(config.word_vectors, task.word_vector_coverage))
    print(
        f"sentiment/{config.arch}: {len(splits['train'].texts)} training, "
        f"{len(splits['valid'].texts)} validation, {len(splits['test'].texts)} test examples; "
        f"{len(task.label_names)} classes; vocabulary {task.preprocessor.vocabulary_size}; "
        f"{task.model.count_params():,} parameters; run directory {run_dir}"
    )
    task.save(run_dir)  # config and vocabulary first, so an interrupted run is still readable
    started = time.perf_counter()
    history = task.fit(splits["train"], splits["valid"], run_dir=run_dir, verbose=verbose)
    seconds = time.perf_counter() - started
    task.save(run_dir)
    plot_learning_curves(history, run_dir / "learning_curves.png", title=f"sentiment / {config.arch}")
    metrics = task.evaluate(splits["test"])
    metrics.update(
        split="test",
        training_seconds=round(seconds, 2),
        epochs=len(history.get("loss", [])),
        parameters=int(task.model.count_params()),
    )
    metrics.update(coverage_metrics(task.word_vector_coverage))
    atomic_write_json(run_dir / "metrics.json", metrics)
    print_metrics(metrics)
    return task, metrics


def evaluate_run(run_dir: str | Path, args=None) -> dict:
    """Evaluate a saved run on `args.data`, or on its own test split when none is given.

    `args` (an argparse namespace or any object) may override `text_column`,
    `label_column` and `encoding` for the evaluation file.
    """
    task = load_task(run_dir)
    config = task.config
    for name in ("text_column", "label_column", "encoding"):
        if getattr(args, name, None):
            setattr(config, name, getattr(args, name))
    data_path = getattr(args, "data", None)
    data = _read(data_path, config) if data_path else load_splits(config)["test"]
    metrics = task.evaluate(data)
    metrics["data"] = data.source
    return metrics


def load_task(run_dir: str | Path) -> SentimentTask:
    return SentimentTask.load(run_dir)


def architecture_rows(vocabulary_size: int = 20000) -> list[tuple[str, int, str]]:
    """(name, parameters at the default size, description) for `seqzoo archs sentiment`."""
    import numpy as np

    from seqzoo.tasks.sentiment.task import SENTIMENT_ARCHITECTURES
    from seqzoo.zoo import SequenceClassifier

    config = SentimentConfig()
    rows = []
    for name, architecture in SENTIMENT_ARCHITECTURES.items():
        model = SequenceClassifier(
            architecture.build_encoder(config, vocabulary_size), num_classes=2,
            pooling=config.pooling, dropout=config.dropout,
        )
        model(np.ones((1, 4), np.int32))
        rows.append((name, int(model.count_params()), architecture.description))
    return rows


def print_metrics(metrics: dict) -> None:
    print(
        f"{metrics.get('split', 'evaluation')}: accuracy {metrics['accuracy']:.4f}, "
        f"macro-F1 {metrics['macro_f1']:.4f} on {metrics['examples']} examples"
    )
    print(format_confusion_matrix(metrics["confusion_matrix"], metrics["labels"]))
