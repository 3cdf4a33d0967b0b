"""The jobs behind `seqzoo train|evaluate translation`: pairs in, run directory out."""

from __future__ import annotations

import random
import time
from pathlib import Path

from seqzoo.data.builtin import BUILTIN_DATASETS
from seqzoo.data.builtin_parallel import load_cldr_dates
from seqzoo.data.errors import DataError
from seqzoo.data.parallel import ParallelTexts, read_parallel, split_parallel
from seqzoo.tasks.common.plots import plot_learning_curves
from seqzoo.tasks.common.run_directory import atomic_write_json, create_run_directory
from seqzoo.tasks.translation.config import TranslationConfig
from seqzoo.tasks.common.word_vector_init import coverage_message, coverage_metrics

DEFAULT_DATASET = "cldr-dates"
# Built-in parallel corpora: name -> loader(seed).
BUILTIN_PARALLEL = {"cldr-dates": load_cldr_dates}


def read_pairs(path: str, config: TranslationConfig) -> ParallelTexts:
    """A built-in corpus by name, a file, or SOURCE_FILE:TARGET_FILE."""
    if path in BUILTIN_PARALLEL and not Path(path).exists():
        assert BUILTIN_DATASETS[path].task == "translation"
        return BUILTIN_PARALLEL[path](seed=config.seed)
    return read_parallel(path, config.source_column, config.target_column, config.encoding)


def _subsample(data: ParallelTexts, count: int | None, seed: int) -> ParallelTexts:
    if not count or count >= len(data):
        return data
    return data.subset(sorted(random.Random(seed).sample(range(len(data)), count)))


def load_splits(config: TranslationConfig) -> dict[str, ParallelTexts]:
    """Train / validation / test pairs: separate files, or one corpus split so that all
    translations of a source sentence fall on one side."""
    data = _subsample(read_pairs(config.data or DEFAULT_DATASET, config), config.max_examples, config.seed)
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
    return splits


def train_run(config: TranslationConfig, run_dir, overwrite: bool = False, verbose="auto"):
    """Read the pairs, train, evaluate on the test split and fill the run directory."""
    from seqzoo.tasks.translation.task import TranslationTask, get_architecture
    from seqzoo.tasks.translation.metrics import plot_bleu_by_length

    get_architecture(config.arch)  # fail before reading data when the name is wrong
    splits = load_splits(config)
    run_dir = create_run_directory(run_dir, overwrite=overwrite)
    task = TranslationTask.build(config, splits["train"])
    for side, coverage in task.word_vector_coverage.items():
        print(coverage_message(getattr(config, f"{side}_word_vectors"), coverage) + f" ({side})")
    print(
        f"translation/{config.arch}: {len(splits['train'])} training, {len(splits['valid'])} validation, "
        f"{len(splits['test'])} test pairs; vocabulary {task.source_preprocessor.vocabulary_size} source, "
        f"{task.target_preprocessor.vocabulary_size} target; {task.model.count_params():,} parameters; "
        f"run directory {run_dir}"
    )
    task.save(run_dir)
    started = time.perf_counter()
    history = task.fit(splits["train"], splits["valid"], run_dir=run_dir, verbose=verbose)
    seconds = time.perf_counter() - started
    task.save(run_dir)
    plot_learning_curves(history, run_dir / "learning_curves.png", title=f"translation / {config.arch}")
    metrics = task.evaluate(splits["test"])
    metrics.update(split="test", training_seconds=round(seconds, 2), epochs=len(history.get("loss", [])),
                   parameters=int(task.model.count_params()))
    metrics.update(coverage_metrics(task.word_vector_coverage))
    atomic_write_json(run_dir / "metrics.json", metrics)
    plot_bleu_by_length(metrics, run_dir / "bleu_by_length.png",
                        title=f"{config.arch}: BLEU by source length (test)")
    if task.model.has_attention:
        from seqzoo.tasks.translation.attention_plots import plot_attention

        example = task.translate(splits["test"].sources[:1], return_attention=True)[0]
        plot_attention(example["attention"], example["source_tokens"], example["output_tokens"],
                       run_dir / "attention_example.png", title=example["source"])
    print_metrics(metrics)
    return task, metrics


def evaluate_run(run_dir, args=None) -> dict:
    """Evaluate a saved run on `args.data` (file or SOURCE:TARGET), or its own test split.

    `args` may override `source_column`, `target_column`, `encoding`, and set
    `beam_size` and `length_penalty`.
    """
    task = load_task(run_dir)
    config = task.config
    for name in ("source_column", "target_column", "encoding"):
        if getattr(args, name, None):
            setattr(config, name, getattr(args, name))
    data_path = getattr(args, "data", None)
    data = read_pairs(data_path, config) if data_path else load_splits(config)["test"]
    metrics = task.evaluate(data, beam_size=getattr(args, "beam_size", None),
                            length_penalty=getattr(args, "length_penalty", None))
    metrics["data"] = data.source
    return metrics


def load_task(run_dir):
    from seqzoo.tasks.translation.task import TranslationTask

    return TranslationTask.load(run_dir)


def architecture_rows(vocabulary_size: int = 8000) -> list[tuple[str, int, str]]:
    """(name, parameters at the default size, description) for `seqzoo archs translation`."""
    import numpy as np

    from seqzoo.tasks.translation.task import TRANSLATION_ARCHITECTURES

    config = TranslationConfig()
    rows = []
    for name, architecture in TRANSLATION_ARCHITECTURES.items():
        model = architecture.build(config, vocabulary_size, vocabulary_size)
        ids = np.ones((1, 4), np.int32)
        model({"source_ids": ids, "target_ids": ids})
        rows.append((name, int(model.count_params()), architecture.description))
    return rows


def print_metrics(metrics: dict) -> None:
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
