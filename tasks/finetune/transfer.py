"""Fine-tuning: a trained run, new data, a new run directory; the source is only read.

`finetune` loads a run directory (or a `.keras` file and its vocabulary folder), applies
the vocabulary policy (keep / extend / rebuild, see `vocabulary.py`), replaces the
classification head for a new label set, freezes what was asked, trains at a lower
learning rate and writes a run directory that `evaluate`, `predict`, `export` and
`finetune` read like any other. `finetune.json` there records where it came from.

What "the extended model predicts old inputs as before" means, before any training:
for a classifier, the logits of a text whose tokens were all in the old vocabulary are
the same (so are labels); for generators, the logits of the old tokens are the same, while
the new tokens add entries to the softmax (their bias starts at the smallest old one), so
probabilities shift slightly but the ranking of old tokens does not.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path

import keras
from seqzoo.tasks.common.atomic_files import atomic_write_text
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.model_files import load_keras_model
from seqzoo.tasks.common.output_dirs import check_inputs, input_paths, staged_output
from seqzoo.tasks.common.run_directory import atomic_write_json, read_json, read_run_info
from seqzoo.tasks.finetune.config import FinetuneConfig
from seqzoo.tasks.finetune.task_parts import (
    added_tokens_under_freezing,
    frozen_layers,
    grown_embeddings,
    open_grown_embeddings,
    task_of_model,
    task_parts,
)
from seqzoo.tasks.finetune.vocabulary import apply_policy
from seqzoo.tasks.finetune.weight_transfer import VocabularyResize, transfer
from seqzoo.tasks.registry import task_names

FINETUNE_FILE = "finetune.json"


def load_source(source: str | Path, vocabulary: str | Path | None = None):
    """(task name, task object) of a run directory, or of a `.keras` file whose
    vocabulary folder is `vocabulary` (with config.json there, or the task's defaults)."""
    path = Path(source)
    if path.suffix == ".keras":
        if not path.is_file():
            raise UsageError(f"{path}: no such model file.")
        if vocabulary is None:
            raise UsageError(
                f"{path} is a bare model: give its vocabulary with --vocabulary DIR (a folder with "
                "vocabulary.txt and preprocessor.json, as a run directory holds them)."
            )
        folder = Path(vocabulary)
        folder = folder.parent if folder.is_file() else folder
        model = load_keras_model(path, compile=False)
        name = task_of_model(model)
        if name is None:
            raise UsageError(f"{path} holds a {type(model).__name__}, which no seqzoo task fine-tunes.")
        parts = task_parts(name)
        config_class = parts.config_class()
        config_path = folder / "config.json"
        if config_path.is_file():
            config = config_class.from_dict(read_json(config_path))
        else:
            config = config_class()
            print(
                f"note: no config.json in {folder}: the {name} defaults stand in for the source's settings "
                "(architecture name, batch size, learning rate); the model itself comes from the file."
            )
        return name, parts.from_files(config, folder, model)
    name = read_run_info(path).get("task")
    if name not in task_names():
        raise UsageError(f"{path} holds a {name!r} run, which this seqzoo cannot fine-tune.")
    return name, task_parts(name).jobs.load_task(path)


def finetune_inputs(source: str | Path, config: FinetuneConfig) -> list:
    """The files and folders a fine-tuning reads, which its --out must never overlap."""
    return input_paths(config, extra=[("the source run", source)])


def _check_out(source: Path, out: Path) -> None:
    source, out = source.resolve(), out.resolve()
    if out == source or source.is_relative_to(out) or out.is_relative_to(source):
        raise UsageError(f"--out {out} would overlap the source run {source}, which fine-tuning never changes.")


def default_out(source: str | Path, root: str | Path = "runs") -> Path:
    """`runs/NAME-finetuned`, or the first free `runs/NAME-finetuned-N`."""
    source = Path(source).resolve()
    base = Path(root) / f"{source.stem if source.suffix == '.keras' else source.name}-finetuned"
    candidate, number = base, 2
    while candidate.exists() and any(candidate.iterdir()):
        candidate, number = Path(f"{base}-{number}"), number + 1
    return candidate


def _task_config(task, options: FinetuneConfig):
    """The source config with the new data, learning rate, epochs and seed."""
    config = dataclasses.replace(task.config)
    names = {f.name for f in dataclasses.fields(config)}
    # New data: the old held-out files, split lists and subsample sizes belong to the old data.
    for name in ("valid", "test", "split_files", "images", "max_examples", "max_images"):
        if name in names:
            setattr(config, name, None)
    for name in FinetuneConfig.DATA_FIELDS:
        value = getattr(options, name)
        if value is None:
            continue
        if name not in names:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} does not apply to a {config.task} run.")
        setattr(config, name, value)
    if options.seed is not None:
        config.seed = options.seed
    if options.epochs is not None:
        config.epochs = options.epochs
    # Where and how it trains is the fine-tuning's own choice, not the source's.
    from seqzoo.tasks.common.config import RuntimeConfig

    for field in dataclasses.fields(RuntimeConfig):
        # The weights keep the source run's precision (its layers' saved dtype policies).
        if field.name in names and field.name != "mixed_precision":
            setattr(config, field.name, getattr(options, field.name))
    return config


def _check_options(options: FinetuneConfig) -> None:
    """The mistakes that need no source run, refused before it is loaded."""
    if not options.data:
        raise UsageError("give the new training data with --data.")
    if options.epochs is not None and options.epochs < 1:
        raise UsageError(f"--epochs is {options.epochs}; it must be at least 1.")
    if options.learning_rate is not None and options.learning_rate <= 0:
        raise UsageError(f"--learning-rate is {options.learning_rate}; it must be positive.")
    if options.unfreeze_after is not None and options.freeze == "none":
        raise UsageError("--unfreeze-after needs --freeze embeddings or --freeze encoder.")


def old_test_split(parts, old, spec: str):
    """The source's data for measuring forgetting: its own test split ("source"), or a
    whole file read with the source's columns."""
    config = dataclasses.replace(old.config)
    if spec != "source":
        names = {f.name for f in dataclasses.fields(config)}
        if not {"valid", "test"} <= names:
            raise UsageError(f"--forgetting FILE is not available for {parts.name} runs; use --forgetting source.")
        config.data = config.valid = config.test = spec  # the whole file, not a split of it
        for name in ("max_examples", "max_images"):
            if name in names:
                setattr(config, name, None)
    return parts.load_splits(config)["test"]


def _merge_histories(first: dict, second: dict) -> dict:
    return {k: list(first.get(k, [])) + list(second.get(k, [])) for k in dict.fromkeys([*first, *second])}


def _append_history_csv(earlier: Path, later: Path) -> None:
    """One `history.csv` for both phases, epochs numbered on."""
    rows = []
    for path in (earlier, later):
        if path.is_file():
            with open(path, newline="", encoding="utf-8") as file:
                rows += list(csv.DictReader(file))
    if not rows:
        return
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for epoch, row in enumerate(rows):
        row["epoch"] = str(epoch)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(later, text.getvalue())
    earlier.unlink(missing_ok=True)


@dataclass
class FinetunePlan:
    """Everything decided before training: the prepared task (new vocabulary, copied
    weights, new head) and what to freeze. `plan_finetuning` makes it, `run_plan` trains.

    Examples:

    >>> plan = plan_finetuning("runs/lstm", "runs/lstm-mine", data="mine.csv", vocab="extend")  # doctest: +SKIP
    >>> plan.reports[0].added[:3]  # doctest: +SKIP
    ['superb', 'dreadful', 'gripping']
    >>> task, metrics = run_plan(plan)  # doctest: +SKIP
    """

    name: str
    source: Path
    out: Path
    config: FinetuneConfig
    source_task: object
    task: object
    splits: dict
    reports: list
    frozen: list
    fresh_head: bool
    label_names: list | None
    source_learning_rate: float
    old_test: object = None  # the source's data, to measure forgetting (`--forgetting`)
    # Grown embeddings inside what --freeze freezes: (embedding, mask of its new rows);
    # only the new rows train while the rest is frozen.
    rows_frozen: list = dataclasses.field(default_factory=list)
    # Added tokens under freezing: (rows that train, rows that keep their initial values).
    added_under_freezing: tuple = (0, 0)


def plan_finetuning(source: str | Path, out: str | Path | None = None, config: FinetuneConfig | None = None,
                    **options) -> FinetunePlan:
    """Read the source and the new data, apply the vocabulary and label policies and copy
    the weights; nothing is written. Arguments as for `finetune`."""
    config = dataclasses.replace(config or FinetuneConfig(), **options)
    source = Path(source)
    _check_options(config)
    name, old = load_source(source, config.vocabulary)
    parts = task_parts(name)
    task_config = _task_config(old, config)
    source_rate = parts.learning_rate(old)
    task_config.learning_rate = config.learning_rate or source_rate / 10
    if config.unfreeze_after is not None:
        if not 0 < config.unfreeze_after < task_config.epochs:
            raise UsageError(
                f"--unfreeze-after {config.unfreeze_after} must lie between 0 and --epochs ({task_config.epochs})."
            )
    out = Path(out) if out is not None else default_out(source)
    _check_out(source, out)
    check_inputs(out, finetune_inputs(source, config))

    splits = parts.load_splits(task_config)
    keras.utils.set_random_seed(task_config.seed)
    preprocessors, resizes, reports = {}, [], []
    for slot in parts.slots(old):
        preprocessor = getattr(old, slot.preprocessor_attribute)
        new, mapping, report = apply_policy(
            slot.name, preprocessor, slot.texts(splits["train"]), config.vocab, config.min_frequency,
            max_vocabulary=getattr(task_config, "max_vocabulary", None),
            rebuild_min_frequency=getattr(task_config, "min_frequency", 1),
        )
        preprocessors[slot.name] = new
        reports.append(report)
        if new is not preprocessor:
            resizes.append(VocabularyResize(slot.model_attributes, mapping))
    label_names, num_classes, fresh = parts.labels(old, splits, config.new_labels)
    model = transfer(old.model, resizes, num_classes=num_classes, fresh=fresh)
    task = parts.make(old, task_config, preprocessors, model, label_names)
    frozen = frozen_layers(parts, model, config.freeze)
    # Added tokens train even under --freeze: their embedding rows are not the source's.
    opened, rows_frozen = open_grown_embeddings(frozen, grown_embeddings(model, resizes))
    added_training, added_stuck = added_tokens_under_freezing(frozen, rows_frozen, model, resizes)
    frozen = opened
    old_test = None
    if config.forgetting:
        if fresh:
            raise UsageError("--forgetting compares predictions of one label set; it cannot follow --new-labels.")
        old_test = old_test_split(parts, old, config.forgetting)
    return FinetunePlan(name, source, out, config, old, task, splits, reports, frozen, bool(fresh), label_names,
                        source_rate, old_test, rows_frozen, (added_training, added_stuck))


def finetune(
    source: str | Path,
    out: str | Path | None = None,
    config: FinetuneConfig | None = None,
    overwrite: bool = False,
    verbose="auto",
    resume: bool = False,
    **options,
):
    """Fine-tune the run at `source` on new data into the run directory `out`.

    Args:
        source: a run directory, or a `.keras` file (then `config.vocabulary` names its
            vocabulary folder).
        out: the new run directory (default: `runs/NAME-finetuned`, never overwritten).
        config: a `FinetuneConfig`; keyword `options` set its fields instead.
        overwrite: replace a non-empty `out` (never the source).
        verbose: Keras' progress setting.
        resume: continue the unfinished fine-tuning at `out` from its saved training state
            (as `seqzoo train --resume`; a finished one is left as it is).

    Returns:
        (the fine-tuned task object, metrics on the new test split with the metrics before
        fine-tuning under "before_finetuning").

    Examples:

    >>> task, metrics = finetune("runs/lstm", "runs/lstm-mine", data="mine.csv",
    ...                          vocab="extend", freeze="encoder", epochs=3)  # doctest: +SKIP
    """
    from seqzoo.tasks.common.runtime import runtime_scope, strategy_for

    config = dataclasses.replace(config or FinetuneConfig(), **options)
    if config.mixed_precision != "off":
        raise UsageError(f"--mixed-precision {config.mixed_precision}: a fine-tuned run keeps its source run's "
                         "precision; train the source run with --mixed-precision instead.")
    if config.distribute == "multi-worker":
        raise UsageError("--distribute multi-worker: seqzoo finetune runs on one machine (use --distribute mirrored "
                         "for its devices); train on a cluster with seqzoo train.")
    strategy_for(config)  # before TensorFlow starts (logical CPUs)
    # The source is loaded, and the new model built, in the strategy's scope.
    with runtime_scope(dataclasses.replace(config, mixed_precision="off")):
        return run_plan(plan_finetuning(source, out, config), overwrite=overwrite, verbose=verbose, resume=resume)


def run_plan(plan: FinetunePlan, overwrite: bool = False, verbose="auto", resume: bool = False):
    """Train a planned fine-tuning and fill its run directory; returns (task, metrics).

    With `resume`, an unfinished fine-tuning at `plan.out` continues from its training
    state (the plan, made again from the same source and data, is the same)."""
    config, task, name, source = plan.config, plan.task, plan.name, plan.source
    task_config = task.config
    rate_note = "given" if config.learning_rate else f"the source's {plan.source_learning_rate:g} / 10"
    freeze_note = config.freeze + (f", all trained after {config.unfreeze_after} epochs" if config.unfreeze_after else "")
    print(
        f"fine-tuning {name}/{task_config.arch} from {source}: vocabulary {config.vocab}, freeze {freeze_note}, "
        f"learning rate {task_config.learning_rate:g} ({rate_note}), up to {task_config.epochs} epochs, "
        f"seed {task_config.seed}" + (", new classification head" if plan.fresh_head else "")
    )
    for report in plan.reports:
        print(report.line())
    training, stuck = plan.added_under_freezing
    if training:
        print(f"with --freeze {config.freeze}, the {training} added tokens' embedding rows train; "
              "the old tokens' rows stay as they were")
    if stuck:
        print(f"note: {stuck} added tokens keep their initial rows: they are read by a frozen layer that "
              "cannot be trained row by row (a one-hot input's recurrent kernel, or an embedding the source "
              "run froze)" + ("" if config.unfreeze_after or config.freeze == "none"
                              else "; --unfreeze-after N trains what --freeze froze after N epochs") + ".")

    inputs = finetune_inputs(source, config)
    if resume:
        resumed = _resume_plan(plan, inputs, verbose)
        if resumed is not None:
            return resumed
    # Refused before any work; an old --out (--overwrite) is replaced only once the new run is
    # complete; one interrupted after its first training state is kept for --resume.
    with staged_output(plan.out, "run", inputs=inputs, overwrite=overwrite, keep_on_failure=has_training_state) \
            as output:
        task, metrics = _train_plan(plan, output.path, verbose, inputs)
    print(f"run directory: {plan.out}")
    return task, metrics


def _resume_plan(plan: FinetunePlan, inputs, verbose):
    """Continue the unfinished fine-tuning at `plan.out` (None: there is none)."""
    from seqzoo.tasks.common.output_dirs import FINISHED, output_kind, resumable_output, resumed_output, run_status
    from seqzoo.tasks.common.resume_checks import RESUMABLE_FIELDS, check_resumable

    final = Path(plan.out)
    if final.is_dir() and output_kind(final) == "run" and run_status(final) == FINISHED:
        print(f"{final} is a finished run: there is nothing to resume.")
        metrics_file = final / "metrics.json"
        metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
        return task_parts(plan.name).jobs.load_task(final), metrics
    path = resumable_output(final, has_training_state)
    if path is None:
        print(f"--resume: no unfinished run at {final}; fine-tuning from the start.")
        return None
    check_resumable(path, inputs)
    earlier = read_finetune_record(path)
    if earlier is not None:
        old, new = earlier.get("options", {}), plan.config.to_dict()
        changes = [f"--{name.replace('_', '-')} {old.get(name)} -> {new.get(name)}" for name in new
                   if name not in RESUMABLE_FIELDS and old.get(name) != new.get(name)]
        if changes or earlier.get("source") != str(plan.source.resolve()):
            what = "; ".join(changes) or f"the source {earlier.get('source')}"
            raise UsageError(f"--resume: {final} was fine-tuned with other settings ({what}); resume with the run's "
                             "settings, or fine-tune into a new --out.")
    print(f"resuming the fine-tuning in {final}")
    with resumed_output(final, path, inputs=inputs, keep_on_failure=has_training_state) as output:
        task, metrics = _train_plan(plan, output.path, verbose, inputs, resume=True)
    print(f"run directory: {plan.out}")
    return task, metrics


def _train_plan(plan: FinetunePlan, run_dir: Path, verbose, inputs=(), resume: bool = False):
    """`run_plan`'s training, written into `run_dir`: the new run directory, or the
    staging folder that replaces an old one."""
    config, task, name, source = plan.config, plan.task, plan.name, plan.source
    task_config, splits, parts = task.config, plan.splits, task_parts(plan.name)
    # A new head is untrained: its "before" would measure nothing but its initialisation.
    before = parts.evaluate(task, splits["test"]) if config.evaluate_before and not plan.fresh_head else None
    old_before = parts.evaluate(plan.source_task, plan.old_test) if plan.old_test is not None else None
    record = {
        "source": str(source.resolve()),
        "source_task": name,
        "vocabularies": {report.name: report.to_dict() for report in plan.reports},
        "new_labels": plan.fresh_head,
        "label_names": plan.label_names,
        "source_learning_rate": plan.source_learning_rate,
        "options": config.to_dict(),
    }
    atomic_write_json(run_dir / FINETUNE_FILE, record)
    # Config and vocabulary first, so an interrupted run is still readable; the model file
    # only once it is the fine-tuned model.
    task.save(run_dir, include_model=False)
    from seqzoo.tasks.common.resume_checks import record_training_start

    record_training_start(run_dir, inputs)

    frozen = plan.frozen
    # Setting `trainable` sets it on every sublayer too, so each one's own flag (a
    # source-frozen embedding inside a frozen encoder) is restored, outer layers first.
    trainable = [(layer, layer.trainable) for outer in frozen for layer in outer._flatten_layers()]
    for layer in frozen:
        layer.trainable = False
    for embedding, new_rows in plan.rows_frozen:
        embedding.train_only_rows(new_rows)
    first_epochs = config.unfreeze_after or task_config.epochs
    phases = _Phases(run_dir)
    if resume and config.unfreeze_after and phases.first_done():
        task.model.load_weights(phases.weights)  # where the frozen epochs ended
        history = phases.first_history()
        seconds = phases.first_seconds()
    else:
        history = task.fit(splits["train"], splits["valid"], run_dir=run_dir, epochs=first_epochs, verbose=verbose,
                           resume=resume)
        seconds = getattr(task.model, "training_seconds", 0.0)
    for layer, was in trainable:
        layer.trainable = was  # saved as trainable as in the source
    for embedding, _ in plan.rows_frozen:
        embedding.train_only_rows(None)
    if frozen or plan.rows_frozen:
        # A fresh optimizer for the unfrozen weights (and one whose saved state matches
        # the saved model's trainable weights, so loading the run does not warn).
        task.compile()
        task.model.optimizer.build(task.model.trainable_variables)
    if config.unfreeze_after:
        print(f"unfreezing the {config.freeze} after {config.unfreeze_after} epochs")
        phases.end_first(task.model)
        later = task.fit(splits["train"], splits["valid"], run_dir=run_dir,
                         epochs=task_config.epochs - config.unfreeze_after, verbose=verbose,
                         resume=resume and phases.second_started())
        seconds += getattr(task.model, "training_seconds", 0.0)
        _append_history_csv(run_dir / "history-frozen.csv", run_dir / "history.csv")
        history = _merge_histories(history, later)
    task.save(run_dir)

    from seqzoo.tasks.common.plots import plot_learning_curves

    plot_learning_curves(history, run_dir / "learning_curves.png", title=f"{name} / {task_config.arch} fine-tuned")
    metrics = dict(parts.evaluate(task, splits["test"]))
    metrics.update(
        split="test", training_seconds=round(seconds, 2), epochs=len(history.get("loss", [])),
        parameters=int(task.model.count_params()), finetuned_from=str(source.resolve()),
    )
    if before is not None:
        metrics["before_finetuning"] = before
    if plan.old_test is not None:
        metrics["forgetting"] = {"data": config.forgetting, "source_model": old_before,
                                 "fine_tuned": parts.evaluate(task, plan.old_test)}
    atomic_write_json(run_dir / "metrics.json", metrics)
    jobs = parts.jobs
    if before is not None:
        jobs.print_metrics(dict(before, split="before fine-tuning"))
    jobs.print_metrics(metrics)
    if plan.old_test is not None:
        where = "the source's test split" if config.forgetting == "source" else config.forgetting
        print(f"forgetting, on {where}:")
        jobs.print_metrics(dict(metrics["forgetting"]["source_model"], split="source model"))
        jobs.print_metrics(dict(metrics["forgetting"]["fine_tuned"], split="fine-tuned model"))
    return task, metrics


def has_training_state(folder: Path) -> bool:
    """Whether an interrupted fine-tuning in `folder` saved a state to resume from."""
    from seqzoo.tasks.common.training_state import state_path

    return state_path(folder).is_file() or (Path(folder) / _Phases.WEIGHTS).is_file()


class _Phases:
    """The two trainings of `--unfreeze-after` in one run directory. When the frozen
    epochs end, their final weights, history and training state are put aside (in this
    order, each step atomic), and the unfrozen epochs get a training state of their own;
    a resumed run finds out from these files which training to continue."""

    WEIGHTS = "checkpoints/after-frozen.weights.h5"
    STATE = "checkpoints/training-state-frozen.npz"

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.weights = self.run_dir / self.WEIGHTS

    def first_done(self) -> bool:
        if not self.weights.is_file():
            return False
        self._put_aside()  # a stop between the steps of `end_first`
        return True

    def end_first(self, model) -> None:
        from seqzoo.tasks.common.atomic_files import atomic_path

        if not self.weights.is_file():
            with atomic_path(self.weights, suffix=".tmp.weights.h5") as temporary:
                model.save_weights(temporary)
        self._put_aside()

    def _put_aside(self) -> None:
        from seqzoo.tasks.common.training_state import read_record, state_path

        if not (self.run_dir / "history-frozen.csv").is_file() and (self.run_dir / "history.csv").is_file():
            (self.run_dir / "history.csv").replace(self.run_dir / "history-frozen.csv")
        state = state_path(self.run_dir)
        if not (self.run_dir / self.STATE).is_file() and state.is_file():
            state.replace(self.run_dir / self.STATE)
        self._record = read_record(self.run_dir / self.STATE) or {}

    def second_started(self) -> bool:
        from seqzoo.tasks.common.training_state import state_path

        return state_path(self.run_dir).is_file()

    def first_history(self) -> dict:
        return {name: list(values) for name, values in self._record.get("history", {}).items()}

    def first_seconds(self) -> float:
        return float(self._record.get("seconds", 0.0))


def read_finetune_record(run_dir: str | Path) -> dict | None:
    """The `finetune.json` of a fine-tuned run, or None for a run trained from scratch."""
    path = Path(run_dir) / FINETUNE_FILE
    return read_json(path) if path.is_file() else None
