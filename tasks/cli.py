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
import os
import sys

from seqzoo.tasks.language_model import cli as language_model_cli

from seqzoo.tasks.sentiment import cli as sentiment_cli
from seqzoo.tasks.translation import cli as translation_cli
from seqzoo.tasks.captioning import cli as captioning_cli
from seqzoo.tasks.diagnose import cli as diagnose_cli
from seqzoo.tasks.diagnose import embeddings_cli
from seqzoo.tasks.inspection import cli as inspect_cli
from seqzoo.tasks.compare import cli as compare_cli
from seqzoo.tasks.finetune import cli as finetune_cli
from seqzoo.tasks.common.config import config_fields, field_groups

# Commands that span tasks (compare, diagnose, finetune, inspect, ...). Each is a
# TensorFlow-free module with add_commands(commands), which adds its subparsers and sets
# `handler` on each. One line per module.
TOOL_COMMANDS = [
    diagnose_cli,
    embeddings_cli,
    inspect_cli,
    compare_cli,
    finetune_cli,
]

# One line per task template. Each entry is a TensorFlow-free module that names the task's
# config class (CONFIG), the module with its jobs (JOBS) and adds the task's own commands.
# A jobs module offers: train_run(config, run_dir, overwrite, verbose),
# evaluate_run(run_dir, args) -> metrics, print_metrics(metrics), load_task(run_dir)
# (an object with .export(out, overwrite)), architecture_rows() -> [(name, params, text)].
TASKS = {
    "sentiment": sentiment_cli,
    "language-model": language_model_cli,
    "translation": translation_cli,
    "captioning": captioning_cli,
}

_TYPES = {"str": str, "int": int, "float": float}


def _flag_type(annotation: str):
    base = annotation.replace(" | None", "").strip()
    return _TYPES[base]


def add_config_flags(parser: argparse.ArgumentParser, config_class: type, only: set[str] | None = None) -> None:
    """One flag per dataclass field; defaults come from the dataclass."""
    defaults = config_class()
    group_of = {name: title for title, names in field_groups(config_class).items() for name in names}
    groups = {}
    for field in config_fields(config_class):
        if only is not None and field.name not in only:
            continue
        title = group_of.get(field.name, "options")
        if title not in groups:
            groups[title] = parser.add_argument_group(f"{title} options")
        group = groups[title]
        flag = "--" + field.name.replace("_", "-")
        help_text = field.metadata.get("help", "")
        default = getattr(defaults, field.name)
        if field.type == "bool":
            group.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                help=f"{help_text} (default: {default})",
            )
            continue
        group.add_argument(
            flag,
            type=_flag_type(field.type),
            choices=field.metadata.get("choices"),
            default=argparse.SUPPRESS,
            metavar=field.name.upper(),
            help=help_text if default is None else f"{help_text} (default: {default})",
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
    for task, entry in TASKS.items():
        task_parser = train_tasks.add_parser(task, help=entry.CONFIG.__doc__.splitlines()[0])
        add_config_flags(task_parser, entry.CONFIG)
        task_parser.add_argument("--out", help="run directory (default: runs/TASK-ARCH, never overwritten)")
        task_parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
        task_parser.add_argument("--quiet", action="store_true", help="no per-batch progress bar")

    evaluate = commands.add_parser("evaluate", help="evaluate a run directory on labelled data")
    evaluate.add_argument("run_dir", help="a run directory made by `seqzoo train`")
    evaluate.add_argument("--data", help="held-out data (default: the run's own test split)")
    evaluate.add_argument("--encoding", help="encoding of --data (default: the run's)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    for entry in TASKS.values():
        entry.add_evaluate_flags(evaluate)

    export = commands.add_parser("export", help="export a run as a SavedModel for serving")
    export.add_argument("run_dir", help="a run directory made by `seqzoo train`")
    export.add_argument("--out", required=True, help="folder for the SavedModel")
    export.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    archs = commands.add_parser("archs", help="list a task's architectures with their sizes")
    archs.add_argument("task", choices=sorted(TASKS), help="task template")

    commands.add_parser("datasets", help="list the built-in data sets")
    for entry in TASKS.values():
        entry.add_commands(commands)
    for tool in TOOL_COMMANDS:
        tool.add_commands(commands)
    return parser


# ----------------------------------------------------------------------------- commands
def jobs(task: str):
    return importlib.import_module(TASKS[task].JOBS)


def run_task(run_dir: str) -> str:
    """The task of a run directory (checking that it is one this seqzoo can read)."""
    from seqzoo.tasks.common.errors import UsageError
    from seqzoo.tasks.common.run_directory import read_run_info

    task = read_run_info(run_dir).get("task")
    if task not in TASKS:
        raise UsageError(f"{run_dir} holds a {task!r} run, which this seqzoo cannot use.")
    return task


def command_train(args) -> int:
    from seqzoo.tasks.common.run_directory import default_run_directory

    config = config_from_args(TASKS[args.task].CONFIG, args)
    out = args.out or default_run_directory(args.task, config.arch)
    jobs(args.task).train_run(config, out, overwrite=args.overwrite, verbose=2 if args.quiet else "auto")
    print(f"run directory: {out}")
    return 0


def command_evaluate(args) -> int:
    task_jobs = jobs(run_task(args.run_dir))
    metrics = task_jobs.evaluate_run(args.run_dir, args)
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        task_jobs.print_metrics(metrics)
    return 0


def command_export(args) -> int:
    task = jobs(run_task(args.run_dir)).load_task(args.run_dir)
    path = task.export(args.out, overwrite=args.overwrite)
    print(f"exported SavedModel to {path}")
    print(f"model card in {os.path.join(path, 'MODEL_CARD.md')}; `seqzoo inspect {path}` shows it with the signatures")
    return 0


def command_archs(args) -> int:
    rows = jobs(args.task).architecture_rows()
    print(f"{args.task} architectures (parameters at the default size)")
    for name, parameters, description in rows:
        print(f"  {name:<18} {parameters:>12,}  {description}")
    return 0


def command_datasets(args) -> int:
    from seqzoo.data.builtin import list_builtin_datasets

    for dataset in list_builtin_datasets():
        print(f"{dataset.name:<20} {dataset.task:<15} {dataset.description}")
    return 0


COMMANDS = {
    "train": command_train,
    "evaluate": command_evaluate,
    "export": command_export,
    "archs": command_archs,
    "datasets": command_datasets,
}


def _user_errors() -> tuple[type, ...]:
    from seqzoo.data.errors import DataError
    from seqzoo.tasks.common.errors import UsageError

    return (DataError, UsageError)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up chatter (oneDNN, CUDA probing) hidden.

    Much of it is printed before TensorFlow reads TF_CPP_MIN_LOG_LEVEL, so file
    descriptor 2 goes to a temporary file meanwhile; the chatter is shown only if the
    import fails. A user who sets TF_CPP_MIN_LOG_LEVEL gets TensorFlow's own behaviour.
    """
    if "tensorflow" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as chatter:
        os.dup2(chatter.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe logs here
        except BaseException:
            os.dup2(saved, 2)
            chatter.seek(0)
            sys.stderr.buffer.write(chatter.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # A command whose handler runs TensorFlow in other processes sets needs_tensorflow=False.
    if args.command != "datasets" and getattr(args, "needs_tensorflow", True):
        import_tensorflow_quietly()
    try:
        return args.handler(args) if hasattr(args, "handler") else COMMANDS[args.command](args)
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
