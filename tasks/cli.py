"""The `seqzoo` command line.

`seqzoo train TASK` has one flag per field of the task's config dataclass; the tasks
come from `seqzoo.tasks.registry`, and each tool (compare, diagnose, embeddings,
inspect, finetune) adds its own commands. Nothing here imports TensorFlow until a
command runs, so every `--help` answers at once. Errors in the user's input are printed
as one sentence, exit code 2.

A command runs like this: `main` parses the flags, and the handler asks the registry
for the task's spec; `spec.jobs()` (e.g. `seqzoo.tasks.sentiment.jobs.JOBS`) does the
work with `train_run`, `evaluate_run`, `load_task` or `architecture_rows`, written once
in `seqzoo.tasks.common.jobs.TaskJobs`.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import sys

from seqzoo.tasks import registry
from seqzoo.tasks.common.cli_support import (
    add_config_file_flag,
    add_config_flags,
    add_output_flags,
    config_from_args,
    import_tensorflow_quietly,
    output_settings,
    user_errors,
)
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.export_formats import DEFAULT_LICENSE, EXPORT_FORMATS
from seqzoo.tasks.common.flag_checks import check_out_path
from seqzoo.tasks.compare import cli as compare_cli
from seqzoo.tasks.diagnose import cli as diagnose_cli
from seqzoo.tasks.diagnose import embeddings_cli
from seqzoo.tasks.finetune import cli as finetune_cli
from seqzoo.tasks.inspection import cli as inspect_cli

# Commands that span tasks. Each is a TensorFlow-free module with add_commands(commands),
# which adds its subparsers and sets `handler` on each. One line per module.
TOOL_COMMANDS = [
    diagnose_cli,
    embeddings_cli,
    inspect_cli,
    compare_cli,
    finetune_cli,
]

__all__ = ["main", "build_parser", "add_config_flags", "config_from_args", "import_tensorflow_quietly"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seqzoo",
        description="Train, evaluate, compare and export sequence models (RNN, LSTM, GRU, "
        "attention, Transformer) on text.",
        epilog="--debug (anywhere on the line) shows the traceback of an unexpected error.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    specs = registry.all_tasks()

    train = commands.add_parser("train", help="train a task template and fill a run directory")
    train_tasks = train.add_subparsers(dest="task", required=True, metavar="TASK")
    for spec in specs:
        with _plugin_guard(spec, "train"):
            task_parser = train_tasks.add_parser(spec.name, help=spec.summary())
            add_config_file_flag(task_parser, f"a {spec.name} run's config.json, to run it again")
            add_config_flags(task_parser, spec.config_class, listed={"arch": list(spec.architectures)})
            task_parser.add_argument("--out", help="run directory (default: runs/TASK-ARCH, never overwritten)")
            task_parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
            task_parser.add_argument("--resume", action="store_true",
                                     help="continue the unfinished run at --out from its last saved training state "
                                          "(a finished run is left as it is; nothing there: train from the start)")
            add_output_flags(task_parser)

    evaluate = commands.add_parser("evaluate", help="evaluate a run directory on labelled data")
    evaluate.add_argument("run_dir", help="a run directory made by `seqzoo train`")
    evaluate.add_argument("--data", help="held-out data (default: the run's own test split)")
    evaluate.add_argument("--encoding", help="encoding of --data (default: the run's)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    for spec in specs:
        if spec.cli is not None:
            with _plugin_guard(spec, "evaluate flags"):
                spec.cli.add_evaluate_flags(evaluate)

    export = commands.add_parser(
        "export", help="export a run for serving: a SavedModel in TF Serving's layout, or LiteRT / ONNX",
        description="Export a run directory. The default SavedModel (text or image bytes in, labels or "
        "text out) goes into a numbered version folder under --out, as TensorFlow Serving expects: "
        "--out/1 first, then the next free number. --format litert or onnx writes the model core on "
        "token ids, with its vocabulary, settings and a pure-Python client, into --out itself.")
    export.add_argument("run_dir", help="a run directory made by `seqzoo train`")
    export.add_argument("--out", required=True,
                        help="the model's base folder (SavedModel: the version folder goes inside it)")
    export.add_argument("--format", default="savedmodel", choices=EXPORT_FORMATS,
                        help="savedmodel (default; TF Serving, TFSMLayer), litert (TensorFlow Lite) or onnx "
                             "(the last two need `pip install \"seqzoo[litert,onnx]\"`)")
    export.add_argument("--version", type=int, metavar="N",
                        help="SavedModel version folder to write (default: 1, or one more than the highest "
                             "there); an existing one needs --overwrite")
    export.add_argument("--license", default=DEFAULT_LICENSE, metavar="ID",
                        help=f"license named in the model card's front matter (default: {DEFAULT_LICENSE})")
    export.add_argument("--overwrite", action="store_true",
                        help="replace an existing version folder (SavedModel) or --out (litert, onnx)")

    archs = commands.add_parser("archs", help="list a task's architectures with their sizes")
    archs.add_argument("task", choices=[spec.name for spec in specs], help="task template")

    commands.add_parser("datasets", help="list the built-in data sets")
    for spec in specs:
        if spec.cli is not None:
            with _plugin_guard(spec, "commands"):
                spec.cli.add_commands(commands)
    for tool in TOOL_COMMANDS:
        tool.add_commands(commands)
    return parser


@contextlib.contextmanager
def _plugin_guard(spec, part: str):
    """A plug-in task whose command-line parts fail is skipped with one line on stderr, so
    it cannot break every other command; a built-in task's failure is a bug and raises."""
    if spec.name in registry.builtin_task_names():
        yield
        return
    try:
        yield
    except Exception as error:  # the plug-in's fault: say which, carry on
        print(f"seqzoo: skipped the {part} of task {spec.name!r} (a plug-in): {error}", file=sys.stderr)


# ----------------------------------------------------------------------------- commands
def run_jobs(run_dir: str):
    """The jobs of the task a run directory holds."""
    return registry.task_of_run(run_dir).jobs()


def command_train(args) -> int:
    from seqzoo.tasks.common.run_directory import default_run_directory

    spec = registry.get_task(args.task)
    config = config_from_args(spec.config_class, args, task=spec.name)  # flags over --config over defaults
    if args.resume and not args.out:
        raise UsageError("--resume needs --out, the run directory to continue.")
    out = args.out or default_run_directory(args.task, config.arch)
    with output_settings(args) as verbose:
        spec.jobs().train_run(config, out, overwrite=args.overwrite, verbose=verbose, resume=args.resume)
    print(f"run directory: {out}")
    return 0


def _check_data_path(data: str | None) -> None:
    """Refuse a --data that names no file, folder (or SOURCE:TARGET pair) and no built-in
    data set, before the run's model loads."""
    from pathlib import Path

    from seqzoo.data.builtin import BUILTIN_DATASETS
    from seqzoo.tasks.common.errors import UsageError

    if not data or Path(data).exists() or data in BUILTIN_DATASETS:
        return
    missing = [part for part in (data.split(":") if ":" in data else [data]) if not Path(part).exists()]
    if missing:
        raise UsageError(f"--data {data}: no such file or folder ({missing[0]}), and no built-in data set of that name.")


def command_evaluate(args) -> int:
    jobs = run_jobs(args.run_dir)  # reads run.json only: the model loads in evaluate_run
    _check_data_path(args.data)
    metrics = jobs.evaluate_run(args.run_dir, args)
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        jobs.print_metrics(metrics)
    return 0


def command_export(args) -> int:
    from seqzoo.tasks.common.export import check_export_base, check_export_dir
    from seqzoo.tasks.common.serving_layout import version_folder

    check_out_path(args.out, "--out")
    if args.format == "savedmodel":
        check_export_base(args.out, run_dir=args.run_dir)
        target = version_folder(args.out, args.version, overwrite=args.overwrite)
    elif args.version is not None:
        raise UsageError(f"--version applies to --format savedmodel only (TF Serving's version folders); "
                         f"--format {args.format} writes --out itself.")
    else:
        target = args.out
    check_export_dir(target, overwrite=args.overwrite, run_dir=args.run_dir)  # before the model loads
    task = run_jobs(args.run_dir).load_task(args.run_dir)
    if args.format == "savedmodel":
        # A plug-in task may still override `export` with the older signature, without `license`.
        options = {"license": args.license} if "license" in inspect.signature(task.export).parameters else {}
        path = task.export(target, overwrite=args.overwrite, **options)
        print(f"exported SavedModel to {path} (version {path.name} of {args.out}, as TensorFlow Serving reads it)")
    else:
        from seqzoo.tasks.common.portable_export import export_portable

        path = export_portable(task, target, args.format, overwrite=args.overwrite, license=args.license)
        print(f"exported {args.format} model to {path}")
    print(f"model card in {os.path.join(path, 'MODEL_CARD.md')}; `seqzoo inspect {path}` shows it")
    return 0


def command_archs(args) -> int:
    rows = registry.get_task(args.task).jobs().architecture_rows()
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


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # --debug may stand anywhere: it shows the traceback of an unexpected error.
    debug = "--debug" in argv or os.environ.get("SEQZOO_DEBUG") == "1"
    argv = [word for word in argv if word != "--debug"]
    args = build_parser().parse_args(argv)
    # A command whose handler runs TensorFlow in other processes sets needs_tensorflow=False.
    if args.command != "datasets" and getattr(args, "needs_tensorflow", True):
        import_tensorflow_quietly()
    try:
        return args.handler(args) if hasattr(args, "handler") else COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("seqzoo: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if debug:
            raise
        if isinstance(error, user_errors()) or isinstance(error, OSError):
            # The user's mistake, or the machine's (disk full, no permission): one sentence.
            print(f"seqzoo: error: {error}", file=sys.stderr)
            return 2
        first_line = (str(error).strip().splitlines() or [""])[0][:300]
        print(f"seqzoo: error: {type(error).__name__}: {first_line}", file=sys.stderr)
        print("seqzoo: this looks like a bug in seqzoo or its libraries; run the command again with --debug "
              "for the traceback, and report it with that output.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
