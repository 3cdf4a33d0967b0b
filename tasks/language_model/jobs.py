"""The jobs behind `seqzoo train|evaluate|generate language-model`: text in, run directory out."""

from __future__ import annotations

from pathlib import Path

from seqzoo.data.builtin import BUILTIN_DATASETS
from seqzoo.data.builtin_corpus import load_corpus_builtin
from seqzoo.data.corpus_split import split_corpus
from seqzoo.data.readers import read_corpus
from seqzoo.tasks.common.jobs import Splits, TaskJobs
from seqzoo.tasks.common.run_directory import atomic_write_text
from seqzoo.tasks.language_model import SPEC
from seqzoo.tasks.language_model.config import LanguageModelConfig
from seqzoo.tasks.language_model.task import LanguageModelTask

DEFAULT_CORPUS = SPEC.builtin_dataset
SAMPLE_TOKENS = {"char": 400, "word": 80, "subword": 100}


def read_text(path: str, encoding: str = "utf-8") -> tuple[str, str]:
    """`(text, source)` of a file, a folder of .txt files, or a built-in corpus name."""
    dataset = BUILTIN_DATASETS.get(path)
    if dataset is not None and dataset.task == SPEC.name and not Path(path).exists():
        return load_corpus_builtin(path), f"{path} (built-in)"
    return read_corpus(path, encoding=encoding), str(path)


class LanguageModelJobs(TaskJobs):
    """Train, evaluate and measure language-model runs. A split is one text (a `str`).

    Besides the usual files, a trained run directory gets `sample.txt`: text generated
    from an empty prompt (temperature 0.8, seed 0) by the trained model.

    Examples:

    >>> splits = JOBS.load_splits(LanguageModelConfig(level="char"))
    >>> sorted(splits), splits.source
    (['test', 'train', 'valid'], 'pydoc-topics (built-in)')
    """

    task_class = LanguageModelTask

    def read_data(self, path: str, config: LanguageModelConfig, args=None) -> str:
        return read_text(path, getattr(args, "encoding", None) or config.encoding)[0]

    def load_splits(self, config: LanguageModelConfig) -> Splits:
        """Train / validation / test texts as the config asks: separate files, or
        contiguous blocks held out of one text (never shuffled lines)."""
        text, source = read_text(config.data or DEFAULT_CORPUS, config.encoding)
        valid_fraction = 0.0 if config.valid else config.valid_fraction
        test_fraction = 0.0 if config.test else config.test_fraction
        splits = split_corpus(text, valid_fraction, test_fraction, seed=config.seed, source=source)
        if config.valid:
            splits["valid"] = read_text(config.valid, config.encoding)[0]
        if config.test:
            splits["test"] = read_text(config.test, config.encoding)[0]
        return Splits(splits, source=source)

    def evaluation_data(self, config, path=None, args=None) -> tuple[str, str]:
        if path:
            return read_text(path, getattr(args, "encoding", None) or config.encoding)
        splits = self.load_splits(config)
        return splits["test"], f"the test blocks of {splits.source}"

    def evaluate_run(self, run_dir, args=None) -> dict:
        """Perplexity (and bits per character) of a saved run on `args.data` (a text file,
        folder or built-in corpus), or on its own test text when none is given."""
        task = self.load_task(run_dir)
        text, source = self.evaluation_data(task.config, getattr(args, "data", None), args)
        metrics = task.evaluate(text, source)
        metrics["data"] = source
        return metrics

    def evaluate(self, task, data, args=None) -> dict:
        return task.evaluate(data, "the test text")

    def describe(self, task, splits, run_dir) -> str:
        config = task.config
        train_ids = task.encode(splits["train"], "the training text")
        mode = "truncated BPTT over stateful batches" if task.carries_state(config) else "independent windows"
        return (
            f"language-model/{config.arch} on {splits.source}: {len(train_ids):,} training tokens "
            f"({config.level} level), {len(splits['valid']):,} validation and {len(splits['test']):,} "
            f"test characters; vocabulary {task.preprocessor.vocabulary_size}; "
            f"{task.model.count_params():,} parameters; windows of {config.window}, {mode}; "
            f"run directory {run_dir}"
        )

    def after_training(self, task, splits, metrics, run_dir) -> None:
        sample = task.generate([""], max_tokens=SAMPLE_TOKENS[task.config.level], temperature=0.8, seed=0)[0]
        atomic_write_text(run_dir / "sample.txt", sample + "\n")
        print(f"sample (empty prompt, temperature 0.8, seed 0):\n{sample}")

    def print_metrics(self, metrics: dict) -> None:
        line = (
            f"{metrics.get('split', 'evaluation')}: perplexity {metrics['perplexity']:.3f} "
            f"({metrics['loss']:.4f} nats per token"
        )
        if "bits_per_char" in metrics:
            line += f", {metrics['bits_per_char']:.4f} bits per character"
        print(line + f") on {metrics['tokens']:,} tokens")

    def example_model(self, config, architecture):
        """The decoder alone, for a 100-character vocabulary."""
        import numpy as np

        decoder = architecture.build(config, 100)
        decoder(np.ones((1, 4), np.int32))
        return decoder

    def training_batches(self, task, train, shuffle: bool = True):
        # The batches come in the template's own order (stateful rows under TBPTT).
        return task.dataset(task.encode(train, "the training text"), shuffle=shuffle)

    def measure(self, task, config, splits):
        tokens = {name: int(len(task.encode(text, f"the {name} text"))) for name, text in splits.items()}
        return tokens["train"], "tokens", tokens, {}

    def finetune_parts(self):
        from seqzoo.tasks.language_model.finetune_parts import LanguageModelParts

        return LanguageModelParts(self)


JOBS = LanguageModelJobs(SPEC)

# The module-level names of seqzoo 0.1.
train_run = JOBS.train_run
evaluate_run = JOBS.evaluate_run
load_task = JOBS.load_task


def load_splits(config: LanguageModelConfig) -> tuple[dict[str, str], str]:
    """seqzoo 0.1's form: `(splits, the data's name)` (`JOBS.load_splits` gives a `Splits`)."""
    splits = JOBS.load_splits(config)
    return dict(splits), splits.source


architecture_rows = JOBS.architecture_rows
print_metrics = JOBS.print_metrics
