"""The jobs behind `seqzoo train|evaluate|generate language-model`: text in, run directory out."""

from __future__ import annotations

import time
from pathlib import Path

from seqzoo.data.builtin import BUILTIN_DATASETS
from seqzoo.data.builtin_corpus import load_corpus_builtin
from seqzoo.data.corpus_split import split_corpus
from seqzoo.data.readers import read_corpus
from seqzoo.tasks.language_model.task import TASK, LanguageModelTask, get_architecture
from seqzoo.tasks.language_model.config import LanguageModelConfig
from seqzoo.tasks.common.plots import plot_learning_curves
from seqzoo.tasks.common.run_directory import atomic_write_json, atomic_write_text, create_run_directory
from seqzoo.tasks.common.word_vector_init import coverage_message, coverage_metrics

DEFAULT_CORPUS = "pydoc-topics"
SAMPLE_TOKENS = {"char": 400, "word": 80, "subword": 100}


def read_text(path: str, encoding: str = "utf-8") -> tuple[str, str]:
    """`(text, source)` of a file, a folder of .txt files, or a built-in corpus name."""
    dataset = BUILTIN_DATASETS.get(path)
    if dataset is not None and dataset.task == TASK and not Path(path).exists():
        return load_corpus_builtin(path), f"{path} (built-in)"
    return read_corpus(path, encoding=encoding), str(path)


def load_splits(config: LanguageModelConfig) -> tuple[dict[str, str], str]:
    """Train / validation / test texts as the config asks, and the data's name: separate
    files, or contiguous blocks held out of one text (never shuffled lines)."""
    text, source = read_text(config.data or DEFAULT_CORPUS, config.encoding)
    valid_fraction = 0.0 if config.valid else config.valid_fraction
    test_fraction = 0.0 if config.test else config.test_fraction
    splits = split_corpus(text, valid_fraction, test_fraction, seed=config.seed, source=source)
    if config.valid:
        splits["valid"] = read_text(config.valid, config.encoding)[0]
    if config.test:
        splits["test"] = read_text(config.test, config.encoding)[0]
    return splits, source


def train_run(
    config: LanguageModelConfig, run_dir: str | Path, overwrite: bool = False, verbose="auto"
) -> tuple[LanguageModelTask, dict]:
    """Read the text, train, evaluate on the test text and fill the run directory.

    Besides the usual files, the run directory gets `sample.txt`: text generated
    from an empty prompt (temperature 0.8, seed 0) by the trained model.
    """
    get_architecture(config.arch)  # fail before reading data when the name is wrong
    splits, source = load_splits(config)
    run_dir = create_run_directory(run_dir, overwrite=overwrite)
    task = LanguageModelTask.build(config, splits["train"])
    if task.word_vector_coverage is not None:
        print(coverage_message(config.word_vectors, task.word_vector_coverage))
    train_ids = task.encode(splits["train"], "the training text")
    mode = "truncated BPTT over stateful batches" if task.carries_state(config) else "independent windows"
    print(
        f"language-model/{config.arch} on {source}: {len(train_ids):,} training tokens "
        f"({config.level} level), {len(splits['valid']):,} validation and {len(splits['test']):,} "
        f"test characters; vocabulary {task.preprocessor.vocabulary_size}; "
        f"{task.model.count_params():,} parameters; windows of {config.window}, {mode}; "
        f"run directory {run_dir}"
    )
    task.save(run_dir)  # config and vocabulary first, so an interrupted run is still readable
    started = time.perf_counter()
    history = task.fit(splits["train"], splits["valid"], run_dir=run_dir, verbose=verbose)
    seconds = time.perf_counter() - started
    task.save(run_dir)
    plot_learning_curves(history, run_dir / "learning_curves.png", title=f"language model / {config.arch}")
    metrics = task.evaluate(splits["test"], "the test text")
    metrics.update(
        split="test",
        training_seconds=round(seconds, 2),
        epochs=len(history.get("loss", [])),
        parameters=int(task.model.count_params()),
    )
    metrics.update(coverage_metrics(task.word_vector_coverage))
    atomic_write_json(run_dir / "metrics.json", metrics)
    print_metrics(metrics)
    sample = task.generate([""], max_tokens=SAMPLE_TOKENS[config.level], temperature=0.8, seed=0)[0]
    atomic_write_text(run_dir / "sample.txt", sample + "\n")
    print(f"sample (empty prompt, temperature 0.8, seed 0):\n{sample}")
    return task, metrics


def evaluate_run(run_dir: str | Path, args=None) -> dict:
    """Perplexity (and bits per character) of a saved run on `args.data` (a text file,
    folder or built-in corpus), or on its own test text when none is given."""
    task = load_task(run_dir)
    config = task.config
    encoding = getattr(args, "encoding", None) or config.encoding
    data_path = getattr(args, "data", None)
    if data_path:
        text, source = read_text(data_path, encoding)
    else:
        splits, source = load_splits(config)
        text, source = splits["test"], f"the test blocks of {source}"
    metrics = task.evaluate(text, source)
    metrics["data"] = source
    return metrics


def load_task(run_dir: str | Path) -> LanguageModelTask:
    return LanguageModelTask.load(run_dir)


def architecture_rows(vocabulary_size: int = 100) -> list[tuple[str, int, str]]:
    """(name, parameters at the default size for a 100-character vocabulary, description)."""
    import numpy as np

    from seqzoo.tasks.language_model.task import LANGUAGE_MODEL_ARCHITECTURES

    config = LanguageModelConfig()
    rows = []
    for name, architecture in LANGUAGE_MODEL_ARCHITECTURES.items():
        decoder = architecture.build_decoder(config, vocabulary_size)
        decoder(np.ones((1, 4), np.int32))
        rows.append((name, int(decoder.count_params()), architecture.description))
    return rows


def print_metrics(metrics: dict) -> None:
    line = (
        f"{metrics.get('split', 'evaluation')}: perplexity {metrics['perplexity']:.3f} "
        f"({metrics['loss']:.4f} nats per token"
    )
    if "bits_per_char" in metrics:
        line += f", {metrics['bits_per_char']:.4f} bits per character"
    print(line + f") on {metrics['tokens']:,} tokens")
