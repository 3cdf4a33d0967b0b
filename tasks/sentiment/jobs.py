"""The jobs behind `seqzoo train|evaluate sentiment`: data in, run directory out."""

from __future__ import annotations

from pathlib import Path

from seqzoo.data.builtin import BUILTIN_DATASETS, load_builtin
from seqzoo.data.errors import DataError
from seqzoo.data.readers import LabelledTexts, read_labelled_texts
from seqzoo.data.splits import check_labels, split_labelled
from seqzoo.tasks.common.jobs import Splits, TaskJobs
from seqzoo.tasks.common.length_buckets import length_buckets
from seqzoo.tasks.sentiment import SPEC
from seqzoo.tasks.sentiment.config import SentimentConfig
from seqzoo.tasks.sentiment.metrics import format_confusion_matrix
from seqzoo.tasks.sentiment.task import SentimentTask

DEFAULT_DATASET = SPEC.builtin_dataset


class SentimentJobs(TaskJobs):
    """Train, evaluate and measure sentiment runs.

    Examples:

    >>> import tempfile
    >>> config = SentimentConfig(arch="gru", units=8, embedding_dim=8, epochs=1)
    >>> task, metrics = JOBS.train_run(config, tempfile.mkdtemp() + "/run", verbose=0)
    ... # doctest: +SKIP
    """

    task_class = SentimentTask
    evaluate_overrides = ("text_column", "label_column", "encoding")

    def read_data(self, path: str, config: SentimentConfig, args=None) -> LabelledTexts:
        if path in BUILTIN_DATASETS and not Path(path).exists():
            return load_builtin(path, seed=config.seed)
        return read_labelled_texts(
            path, text_column=config.text_column, label_column=config.label_column, encoding=config.encoding
        )

    def load_splits(self, config: SentimentConfig) -> Splits:
        """Train / validation / test data as the config asks: separate files, or one file
        (or the built-in data set) split with stratification."""
        data = self.read_data(config.data or DEFAULT_DATASET, config)
        check_labels(data, config.label_column)
        splits = {"train": data}
        if config.valid is None or config.test is None:
            valid_fraction = 0.0 if config.valid else config.valid_fraction
            test_fraction = 0.0 if config.test else config.test_fraction
            splits = split_labelled(data, valid_fraction, test_fraction, seed=config.seed)
        if config.valid:
            splits["valid"] = self.read_data(config.valid, config)
        if config.test:
            splits["test"] = self.read_data(config.test, config)
        for name in ("valid", "test"):
            if not splits.get(name) or not splits[name].texts:
                raise DataError(f"{data.source}: too few examples to hold out a {name} split.")
        return Splits(splits, source=data.source)

    def describe(self, task, splits, run_dir) -> str:
        config = task.config
        return (
            f"sentiment/{config.arch}: {len(splits['train'].texts)} training, "
            f"{len(splits['valid'].texts)} validation, {len(splits['test'].texts)} test examples; "
            f"{len(task.label_names)} classes; vocabulary {task.preprocessor.vocabulary_size}; "
            f"{task.model.count_params():,} parameters; run directory {run_dir}"
        )

    def example_model(self, config, architecture):
        import numpy as np

        from seqzoo.zoo import SequenceClassifier

        model = SequenceClassifier(architecture.build(config, 20000), num_classes=2, pooling=config.pooling,
                                   dropout=config.dropout)
        model(np.ones((1, 4), np.int32))
        return model

    def print_metrics(self, metrics: dict) -> None:
        print(
            f"{metrics.get('split', 'evaluation')}: accuracy {metrics['accuracy']:.4f}, "
            f"macro-F1 {metrics['macro_f1']:.4f} on {metrics['examples']} examples"
        )
        print(format_confusion_matrix(metrics["confusion_matrix"], metrics["labels"]))

    def measure(self, task, config, splits):
        import numpy as np

        test = splits["test"]
        lengths = [int(n) for n in task.encode(test.texts).row_lengths().numpy()]
        predicted = np.argmax(task.predict_probabilities(test.texts), axis=-1)
        correct = [bool(p == t) for p, t in zip(predicted, task.label_ids(test))]
        rows = []
        for low, high in length_buckets(lengths):
            picked = [ok for n, ok in zip(lengths, correct) if low <= n <= high]
            if picked:
                rows.append({"lengths": [low, high], "examples": len(picked),
                             "accuracy": round(sum(picked) / len(picked), 4)})
        sizes = {name: len(split.texts) for name, split in splits.items()}
        return len(splits["train"].texts), "examples", sizes, {"by_length": rows, "by_length_metric": "accuracy"}

    def finetune_parts(self):
        from seqzoo.tasks.sentiment.finetune_parts import SentimentParts

        return SentimentParts(self)


JOBS = SentimentJobs(SPEC)

# The module-level names of seqzoo 0.1 (`seqzoo.tasks.train_sentiment` is `train_run`).
train_run = JOBS.train_run
evaluate_run = JOBS.evaluate_run
load_task = JOBS.load_task
load_splits = JOBS.load_splits
architecture_rows = JOBS.architecture_rows
print_metrics = JOBS.print_metrics
