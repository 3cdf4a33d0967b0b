"""The `seqzoo` command line.

Flags of `seqzoo train TASK` are generated from the task's config dataclass, one flag
per field. Nothing here imports TensorFlow until a command runs, so every `--help`
answers at once. Errors in the user's input are printed as one sentence, exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import sys
from typing import Any

from seqzoo.tasks.config import SentimentConfig, config_fields

# task name -> (config class, module with the task's jobs). One line per task.
TASKS: dict[str, tuple[type, str]] = {
    "sentiment": (SentimentConfig, "seqzoo.tasks.sentiment_job"),
}

_TYPES = {"str": str, "int": int, "float": float}


def _flag_type(annotation: str):
    base = annotation.replace(" | None", "").strip()
    return _TYPES[base]


def add_config_flags(parser: argparse.ArgumentParser, config_class: type, only: set[str] | None = None) -> None:
    """One flag per dataclass field; defaults come from the dataclass."""
    defaults = config_class()
    for field in config_fields(config_class):
        if only is not None and field.name not in only:
            continue
        flag = "--" + field.name.replace("_", "-")
        help_text = field.metadata.get("help", "")
        default = getattr(defaults, field.name)
        if field.type == "bool":
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                help=f"{help_text} (default: {default})",
            )
            continue
        parser.add_argument(
            flag,
            type=_flag_type(field.type),
            choices=field.metadata.get("choices"),
            default=argparse.SUPPRESS,
            metavar=field.name.upper(),
            help=f"{help_text} (default: {default})",
        )


def config_from_args(config_class: type, args: argparse.Namespace):
    names = {field.name for field in config_fields(config_class)}
    return config_class(**{name: value for name, value in vars(args).items() if name in names})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seqzoo",
        description="Train, evaluate, compare and export sequence models (RNN, LSTM, GRU, "
        "attention, Transformer) on text.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a task template and fill a run directory")
    train_tasks = train.add_subparsers(dest="task", required=True, metavar="TASK")
    for task, (config_class, _) in TASKS.items():
        task_parser = train_tasks.add_parser(task, help=config_class.__doc__.splitlines()[0])
        add_config_flags(task_parser, config_class)
        task_parser.add_argument("--out", help="run directory (default: runs/TASK-ARCH, never overwritten)")
        task_parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
        task_parser.add_argument("--quiet", action="store_true", help="no per-batch progress bar")

    evaluate = commands.add_parser("evaluate", help="evaluate a run directory on labelled data")
    evaluate.add_argument("run_dir", help="a run directory made by `seqzoo train`")
    evaluate.add_argument("--data", help="labelled data (default: the run's own test split)")
    add_config_flags(evaluate, SentimentConfig, only={"text_column", "label_column", "encoding"})
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")

    predict = commands.add_parser("predict", help="classify texts with a run directory")
    predict.add_argument("run_dir", help="a run directory made by `seqzoo train`")
    predict.add_argument("texts", nargs="*", help="texts to classify")
    predict.add_argument("--file", help="a plain text file, one text per line")
    predict.add_argument("--encoding", default="utf-8", help="encoding of --file (default: utf-8)")
    predict.add_argument("--json", action="store_true", help="print one JSON object per text")

    export = commands.add_parser("export", help="export a run as a SavedModel for serving")
    export.add_argument("run_dir", help="a run directory made by `seqzoo train`")
    export.add_argument("--out", required=True, help="folder for the SavedModel")
    export.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    archs = commands.add_parser("archs", help="list a task's architectures with their sizes")
    archs.add_argument("task", choices=sorted(TASKS), help="task template")

    commands.add_parser("datasets", help="list the built-in data sets")
    return parser


# ----------------------------------------------------------------------------- commands
def _task_module(task: str):
    return importlib.import_module(TASKS[task][1])


def _run_task(run_dir: str) -> str:
    from seqzoo.tasks.run_directory import read_run_info

    task = read_run_info(run_dir).get("task")
    if task not in TASKS:
        from seqzoo.tasks.errors import UsageError

        raise UsageError(f"{run_dir} holds a {task!r} run, which this seqzoo cannot use.")
    return task


def command_train(args) -> int:
    from seqzoo.tasks.run_directory import default_run_directory

    config_class, _ = TASKS[args.task]
    config = config_from_args(config_class, args)
    out = args.out or default_run_directory(args.task, config.arch)
    module = _task_module(args.task)
    module.train_run(config, out, overwrite=args.overwrite, verbose=2 if args.quiet else "auto")
    print(f"run directory: {out}")
    return 0


def command_evaluate(args) -> int:
    module = _task_module(_run_task(args.run_dir))
    overrides = {k: getattr(args, k) for k in ("text_column", "label_column", "encoding") if hasattr(args, k)}
    metrics = module.evaluate_run(args.run_dir, args.data, overrides)
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        module.print_metrics(metrics)
    return 0


def command_predict(args) -> int:
    from seqzoo.tasks.errors import UsageError
    from seqzoo.tasks.sentiment import SentimentTask

    texts = list(args.texts)
    if args.file:
        from seqzoo.data.readers import read_texts

        texts += read_texts(args.file, encoding=args.encoding)
    if not texts:
        raise UsageError("give texts to classify as arguments or with --file.")
    _run_task(args.run_dir)
    for prediction in SentimentTask.load(args.run_dir).predict(texts):
        if args.json:
            print(json.dumps(prediction, ensure_ascii=False))
        else:
            probabilities = "  ".join(f"{k}={v:.3f}" for k, v in prediction["probabilities"].items())
            print(f"{prediction['label']}\t{probabilities}\t{prediction['text']}")
    return 0


def command_export(args) -> int:
    from seqzoo.tasks.sentiment import SentimentTask

    _run_task(args.run_dir)
    path = SentimentTask.load(args.run_dir).export(args.out, overwrite=args.overwrite)
    print(f"exported SavedModel to {path} (signature serving_default: text -> label, probabilities)")
    return 0


def command_archs(args) -> int:
    import numpy as np

    from seqzoo.tasks.sentiment import SENTIMENT_ARCHITECTURES
    from seqzoo.zoo import SequenceClassifier

    config = SentimentConfig()
    vocabulary_size = config.max_vocabulary
    print(f"sentiment architectures (parameters at default size: vocabulary {vocabulary_size}, "
          f"embedding {config.embedding_dim}, units {config.units}, 2 classes)")
    for name, architecture in SENTIMENT_ARCHITECTURES.items():
        model = SequenceClassifier(architecture.build_encoder(config, vocabulary_size), num_classes=2,
                                   pooling=config.pooling, dropout=config.dropout)
        model(np.ones((1, 4), np.int32))
        print(f"  {name:<13} {model.count_params():>10,}  {architecture.description}")
    return 0


def command_datasets(args) -> int:
    from seqzoo.data.builtin import list_builtin_datasets

    for dataset in list_builtin_datasets():
        print(f"{dataset.name:<20} {dataset.task:<15} {dataset.description}")
    return 0


COMMANDS = {
    "train": command_train,
    "evaluate": command_evaluate,
    "predict": command_predict,
    "export": command_export,
    "archs": command_archs,
    "datasets": command_datasets,
}


def _user_errors() -> tuple[type, ...]:
    from seqzoo.data.errors import DataError
    from seqzoo.tasks.errors import UsageError

    return (DataError, UsageError)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("seqzoo: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # only the user's mistakes are shortened to one line
        if isinstance(error, _user_errors()):
            print(f"seqzoo: error: {error}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
