"""The jobs behind every task's commands, written once: train a run directory, evaluate
it, load it, list the architectures.

A task's `jobs.py` subclasses `TaskJobs` and fills in what differs: how its data is read
and split, the line it prints before training, what it writes after training (plots,
samples), how it prints metrics, and the small facts `seqzoo compare` and `seqzoo
finetune` ask of it. `spec.jobs()` (see `seqzoo.tasks.common.contract`) returns the
task's one instance.

Examples:

>>> from seqzoo.tasks.registry import get_task
>>> jobs = get_task("sentiment").jobs()
>>> isinstance(jobs, TaskJobs), jobs.name
(True, 'sentiment')
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.output_dirs import check_out, input_paths, staged_output
from seqzoo.tasks.common.plots import plot_learning_curves
from seqzoo.tasks.common.run_directory import atomic_write_json
from seqzoo.tasks.common.runtime import describe_strategy, runtime_scope, strategy_for, worker_output
from seqzoo.tasks.common.word_vector_init import coverage_message, coverage_metrics


def _has_state(folder: Path) -> bool:
    """Whether an interrupted run in `folder` saved a training state to resume from."""
    from seqzoo.tasks.common.training_state import state_path

    return state_path(folder).is_file()


class Splits(dict):
    """Train, validation and test data of a run (`splits["train"]`, ...), with the name
    of the data they came from (`splits.source`). What a split holds is the task's type
    (labelled texts, a text, sentence pairs, captioned images).

    Examples:

    >>> splits = Splits({"train": "ab", "valid": "c", "test": "d"}, source="toy.txt")
    >>> splits["train"], splits.source
    ('ab', 'toy.txt')
    """

    def __init__(self, splits: dict, source: str | None = None):
        super().__init__(splits)
        self.source = source


def subsample(data, count: int | None, seed: int):
    """`count` examples of `data` (anything with `len` and `subset(indices)`), drawn with
    `seed` and kept in their order; all of it when `count` is None or not smaller.

    Examples:

    >>> from seqzoo.data.parallel import ParallelTexts
    >>> pairs = ParallelTexts(["a", "b", "c"], ["x", "y", "z"], source="toy")
    >>> subsample(pairs, 2, seed=0).sources == subsample(pairs, 2, seed=0).sources
    True
    """
    if not count or count >= len(data):
        return data
    return data.subset(sorted(random.Random(seed).sample(range(len(data)), count)))


class TaskJobs:
    """The work behind `seqzoo train|evaluate|archs` and the tools, for one task.

    Subclasses set `task_class` (the task's class, best a
    `seqzoo.tasks.common.task.Task`) and `evaluate_overrides` (config fields that `seqzoo
    evaluate` flags may change), and implement `load_splits`, `read_data`, `describe`,
    `print_metrics` and `example_model`; the other hooks have defaults (`measure` and
    `finetune_parts` say in one sentence that compare and finetune do not apply).

    What the jobs ask of a task object: `build(config, train)` (a classmethod),
    `load(run_dir)`, `save(run_dir)`, `fit(train, valid, run_dir=, verbose=)` returning
    the history as a dict holding "loss", `evaluate(data)` returning a dict of metrics,
    `export(dir, overwrite=)`, and the attributes `config`, `model` (a Keras model, compiled
    by `fit`, so `seqzoo compare` can read its step count) and `word_vector_coverage` (None
    without word vectors). `Task` provides all but `build`, `evaluate` and the data.

    Args:
        spec: the task's `TaskSpec` (name, title, architecture table).

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> jobs = get_task("translation").jobs()
    >>> jobs.task_class.__name__, jobs.evaluate_overrides[:2]
    ('TranslationTask', ('source_column', 'target_column'))
    """

    evaluate_overrides: tuple[str, ...] = ("encoding",)

    def __init__(self, spec):
        self.spec = spec
        self.name = spec.name

    @property
    def task_class(self) -> type:
        raise NotImplementedError

    # ------------------------------------------------------------------ what differs
    def load_splits(self, config) -> Splits:
        """Train / validation / test data as the config asks."""
        raise NotImplementedError

    def read_data(self, path: str, config, args=None):
        """One data set from a file (or a built-in name), as `seqzoo evaluate --data` reads it."""
        raise NotImplementedError

    def describe(self, task, splits: Splits, run_dir: Path) -> str:
        """The line printed before training."""
        raise NotImplementedError

    def print_metrics(self, metrics: dict) -> None:
        raise NotImplementedError

    def example_model(self, config, architecture):
        """A built model of `architecture` at the default size, for `seqzoo archs`."""
        raise NotImplementedError

    def check(self, config) -> None:
        """Refuse a config that cannot work before any data is read (names first)."""
        self.spec.architecture(config.arch)
        cell = getattr(config, "cell", None)
        if cell is not None:
            from seqzoo.zoo.cell_registry import CELL_NAMES

            if cell not in CELL_NAMES:
                raise UsageError(f"--cell {cell!r}: use one of {', '.join(CELL_NAMES)}.")

    def coverage_lines(self, task) -> list[str]:
        """What `--word-vectors` covered, one line per embedding."""
        if task.word_vector_coverage is None:
            return []
        return [coverage_message(task.config.word_vectors, task.word_vector_coverage)]

    def evaluate(self, task, data, args=None) -> dict:
        return task.evaluate(data)

    def after_training(self, task, splits: Splits, metrics: dict, run_dir: Path) -> None:
        """Extra files a finished run gets (plots, samples), after its metrics are printed."""

    def training_batches(self, task, train, shuffle: bool = True):
        """One epoch of training batches (in the order training sees them with `shuffle`)."""
        return task.dataset(train, shuffle=shuffle)

    def measure(self, task, config, splits: Splits) -> tuple[int, str, dict, dict]:
        """For `seqzoo compare`: (items in one training epoch, their unit, the size of
        each split, extra results such as scores by input length)."""
        raise UsageError(f"seqzoo compare does not apply to {self.name}: its jobs define no measure().")

    def finetune_parts(self):
        """What `seqzoo finetune` needs (a `seqzoo.tasks.common.finetune_parts.TaskParts`)."""
        raise UsageError(f"seqzoo finetune does not apply to {self.name}: its jobs define no finetune_parts().")

    # ------------------------------------------------------------------ written once
    def build_task(self, config, train):
        return self.task_class.build(config, train)

    def load_task(self, run_dir: str | Path):
        return self.task_class.load(run_dir)

    def train_run(self, config, run_dir: str | Path, overwrite: bool = False, verbose="auto",
                  resume: bool = False) -> tuple[Any, dict]:
        """Read the data, train, evaluate on the test split and fill the run directory.

        The model is built before the run directory is made, so a config that cannot be
        built (or weights that cannot be fetched) leaves nothing behind. The run is marked
        unfinished until it is complete; an old run at `run_dir` (`overwrite`) is replaced
        only then (`seqzoo.tasks.common.output_dirs`). A run stopped once its training
        state was saved (Ctrl-C, an error, a kill) is kept for `resume`, which continues
        it from that state and ends as the uninterrupted run would.

        `verbose` is Keras' ("auto": the progress bar in a terminal, one line per epoch
        when stdout is a file or a pipe).
        """
        from seqzoo.tasks.common.cli_support import auto_verbosity

        verbose = auto_verbosity() if verbose == "auto" else verbose
        self.check(config)
        strategy = strategy_for(config)  # before TensorFlow starts: logical CPUs, a multi-worker cluster
        if strategy is not None:
            print(describe_strategy(strategy, config.batch_size))
        with worker_output(run_dir, config, resume) as (run_dir, chief):
            if not chief:  # another worker of a cluster: the chief writes the run
                overwrite = True
            return self._train_run(config, run_dir, overwrite, verbose, resume)

    def _train_run(self, config, run_dir, overwrite, verbose, resume):
        inputs = input_paths(config)
        if resume:
            resumed = self._resume(config, run_dir, inputs, verbose)
            if resumed is not None:
                return resumed
        check_out(run_dir, "run", inputs=inputs, overwrite=overwrite)  # before any data is read
        splits = self.load_splits(config)
        with runtime_scope(config):
            task = self.build_task(config, splits["train"])
        for line in self.coverage_lines(task):
            print(line)
        with staged_output(run_dir, "run", inputs=inputs, overwrite=overwrite, keep_on_failure=_has_state) as output:
            return self._fill_run(config, task, splits, output, verbose, inputs)

    def _resume(self, config, run_dir, inputs, verbose):
        """Continue the unfinished run at `run_dir` (None: there is none, train anew)."""
        from seqzoo.tasks.common.output_dirs import FINISHED, output_kind, resumable_output, resumed_output, run_status
        from seqzoo.tasks.common.resume_checks import check_resumable, check_same_vocabulary, config_changes
        from seqzoo.tasks.common.run_directory import read_config
        from seqzoo.tasks.common.training_state import read_record, state_path

        final = Path(run_dir)
        # An unfinished run at `run_dir`, or the staging folder of an interrupted
        # --overwrite of it (the finished run it would replace is still there).
        path = resumable_output(run_dir, _has_state)
        if path is None and final.is_dir() and output_kind(final) == "run" and run_status(final) == FINISHED:
            print(f"{run_dir} is a finished run: there is nothing to resume.")
            metrics_file = final / "metrics.json"
            metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
            return self.load_task(final), metrics
        if path is None:
            print(f"--resume: no unfinished run at {run_dir}; training from the start.")
            return None
        check_resumable(path, inputs)
        if (path / "config.json").is_file():
            changes = config_changes(read_config(path, self.spec.config_class), config)
            if changes:
                raise UsageError(f"--resume: {run_dir} was trained with other settings ({'; '.join(changes)}); "
                                 "resume with the run's settings, or train a new run.")
        splits = self.load_splits(config)
        with runtime_scope(config):
            task = self.build_task(config, splits["train"])
        check_same_vocabulary(task, path)
        record = read_record(state_path(path))
        where = f"epoch {record['epoch'] + 1}, step {record['step']}" if record else "the start (no state was saved)"
        print(f"resuming {run_dir} from {where}")
        with resumed_output(run_dir, path, inputs=inputs, keep_on_failure=_has_state) as output:
            return self._fill_run(config, task, splits, output, verbose, inputs, resume=True)

    def _fill_run(self, config, task, splits: Splits, output, verbose, inputs=(), resume=False) -> tuple[Any, dict]:
        """Train `task` and write the run into `output.path`: the run directory, or the
        staging folder that replaces it."""
        from seqzoo.tasks.common.resume_checks import record_training_start

        run_dir = output.path
        print(self.describe(task, splits, output.final))
        # Config and vocabulary first, so an interrupted run is still readable; the model
        # file only once it is the trained model.
        task.save(run_dir, include_model=False)
        record_training_start(run_dir, inputs)
        with runtime_scope(config):
            history = task.fit(splits["train"], splits["valid"], run_dir=run_dir, verbose=verbose, resume=resume)
        seconds = getattr(task.model, "training_seconds", 0.0)
        task.save(run_dir)
        plot_learning_curves(history, run_dir / "learning_curves.png", title=f"{self.spec.title} / {config.arch}")
        metrics = self.evaluate(task, splits["test"])
        metrics.update(
            split="test",
            training_seconds=round(seconds, 2),
            epochs=len(history.get("loss", [])),
            parameters=int(task.model.count_params()),
        )
        metrics.update(coverage_metrics(task.word_vector_coverage))
        atomic_write_json(run_dir / "metrics.json", metrics)
        self.print_metrics(metrics)
        self.after_training(task, splits, metrics, run_dir)
        return task, metrics

    def evaluation_data(self, config, path: str | None = None, args=None) -> tuple[Any, str]:
        """`(data, its name)`: the file at `path`, or the run's own test split."""
        data = self.read_data(path, config, args) if path else self.load_splits(config)["test"]
        return data, data.source

    def evaluate_run(self, run_dir: str | Path, args=None) -> dict:
        """Evaluate a saved run on `args.data`, or on its own test split when none is given.

        `args` (an argparse namespace or any object) may override the config fields in
        `evaluate_overrides` (columns, encoding) for the evaluation file.
        """
        task = self.load_task(run_dir)
        config = task.config
        for name in self.evaluate_overrides:
            if getattr(args, name, None):
                setattr(config, name, getattr(args, name))
        data, source = self.evaluation_data(config, getattr(args, "data", None), args)
        metrics = self.evaluate(task, data, args)
        metrics["data"] = source
        return metrics

    def architecture_rows(self) -> list[tuple[str, int, str]]:
        """(name, parameters at the default size, description) for `seqzoo archs`."""
        config = self.spec.config_class()
        rows = []
        for name, architecture in self.spec.architectures.items():
            model = self.example_model(config, architecture)
            rows.append((name, int(model.count_params()), architecture.description))
        return rows
