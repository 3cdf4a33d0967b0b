"""The jobs behind `seqzoo train|evaluate translation`: pairs in, run directory out."""

from __future__ import annotations

from pathlib import Path

from seqzoo.data.builtin import BUILTIN_DATASETS
from seqzoo.data.builtin_parallel import load_cldr_dates
from seqzoo.data.errors import DataError
from seqzoo.data.parallel import ParallelTexts, read_parallel, split_parallel
from seqzoo.tasks.common.jobs import Splits, TaskJobs, subsample
from seqzoo.tasks.common.word_vector_init import coverage_message
from seqzoo.tasks.translation import SPEC
from seqzoo.tasks.translation.config import TranslationConfig
from seqzoo.tasks.translation.task import TranslationTask

DEFAULT_DATASET = SPEC.builtin_dataset
# Built-in parallel corpora: name -> loader(seed).
BUILTIN_PARALLEL = {"cldr-dates": load_cldr_dates}


def read_pairs(path: str, config: TranslationConfig) -> ParallelTexts:
    """A built-in corpus by name, a file, or SOURCE_FILE:TARGET_FILE."""
    if path in BUILTIN_PARALLEL and not Path(path).exists():
        assert BUILTIN_DATASETS[path].task == SPEC.name
        return BUILTIN_PARALLEL[path](seed=config.seed)
    return read_parallel(path, config.source_column, config.target_column, config.encoding)


class TranslationJobs(TaskJobs):
    """Train, evaluate and measure translation runs. A split is a `ParallelTexts`.

    Examples:

    >>> splits = JOBS.load_splits(TranslationConfig())
    >>> len(splits["train"]) > len(splits["test"]) > 0
    True
    """

    evaluate_overrides = ("source_column", "target_column", "encoding")

    task_class = TranslationTask

    def read_data(self, path: str, config: TranslationConfig, args=None) -> ParallelTexts:
        return read_pairs(path, config)

    def load_splits(self, config: TranslationConfig) -> Splits:
        """Train / validation / test pairs: separate files, or one corpus split so that all
        translations of a source sentence fall on one side."""
        data = subsample(read_pairs(config.data or DEFAULT_DATASET, config), config.max_examples, config.seed)
        splits = {"train": data}
        if config.valid is None or config.test is None:
            valid_fraction = 0.0 if config.valid else config.valid_fraction
            test_fraction = 0.0 if config.test else config.test_fraction
            splits = split_parallel(data, valid_fraction, test_fraction, seed=config.seed)
        if config.valid:
            splits["valid"] = read_pairs(config.valid, config)
        if config.test:
            splits["test"] = read_pairs(config.test, config)
        for name in ("valid", "test"):
            if not splits.get(name) or not len(splits[name]):
                raise DataError(f"{data.source}: too few pairs to hold out a {name} split.")
        return Splits(splits, source=data.source)

    def coverage_lines(self, task) -> list[str]:
        return [coverage_message(getattr(task.config, f"{side}_word_vectors"), coverage) + f" ({side})"
                for side, coverage in task.word_vector_coverage.items()]

    def describe(self, task, splits, run_dir) -> str:
        return (
            f"translation/{task.config.arch}: {len(splits['train'])} training, {len(splits['valid'])} validation, "
            f"{len(splits['test'])} test pairs; vocabulary {task.source_preprocessor.vocabulary_size} source, "
            f"{task.target_preprocessor.vocabulary_size} target; {task.model.count_params():,} parameters; "
            f"run directory {run_dir}"
        )

    def evaluate(self, task, data, args=None) -> dict:
        return task.evaluate(data, beam_size=getattr(args, "beam_size", None),
                             length_penalty=getattr(args, "length_penalty", None))

    def after_training(self, task, splits, metrics, run_dir) -> None:
        from seqzoo.tasks.translation.metrics import plot_bleu_by_length

        plot_bleu_by_length(metrics, run_dir / "bleu_by_length.png",
                            title=f"{task.config.arch}: BLEU by source length (test)")
        if task.model.has_attention:
            from seqzoo.tasks.translation.attention_plots import plot_attention

            example = task.translate(splits["test"].sources[:1], return_attention=True)[0]
            plot_attention(example["attention"], example["source_tokens"], example["output_tokens"],
                           run_dir / "attention_example.png", title=example["source"])

    def example_model(self, config, architecture):
        """The encoder-decoder for 8,000-token vocabularies on both sides."""
        import numpy as np

        model = architecture.build(config, 8000, 8000)
        ids = np.ones((1, 4), np.int32)
        model({"source_ids": ids, "target_ids": ids})
        return model

    def print_metrics(self, metrics: dict) -> None:
        print(
            f"{metrics.get('split', 'evaluation')}: BLEU {metrics['bleu']:.2f}, chrF {metrics['chrf']:.2f}, "
            f"exact match {metrics['exact_match']:.4f} on {metrics['examples']} pairs "
            f"(beam size {metrics.get('beam_size')})"
        )
        for row in metrics.get("bleu_by_length", []):
            low, high = row["lengths"]
            span = f"{low}" if low == high else f"{low}-{high}"
            print(f"  source length {span:>7}: BLEU {row['bleu']:6.2f} ({row['examples']} pairs)")
        for sample in metrics.get("samples", [])[:3]:
            print(f"  {sample['source']}  ->  {sample['translation']}   (reference: {sample['reference']})")

    def measure(self, task, config, splits):
        from seqzoo.data.batching import encode_texts

        targets, _ = encode_texts(task.target_preprocessor, list(splits["train"].targets), max_length=config.max_length)
        # Every target sentence is also trained on its end token.
        tokens = int(targets.row_lengths().numpy().sum()) + len(splits["train"])
        sizes = {name: len(split) for name, split in splits.items()}
        return tokens, "target tokens", sizes, {}

    def finetune_parts(self):
        from seqzoo.tasks.translation.finetune_parts import TranslationParts

        return TranslationParts(self)


JOBS = TranslationJobs(SPEC)

# The module-level names of seqzoo 0.1.
train_run = JOBS.train_run
evaluate_run = JOBS.evaluate_run
load_task = JOBS.load_task
load_splits = JOBS.load_splits
architecture_rows = JOBS.architecture_rows
print_metrics = JOBS.print_metrics
