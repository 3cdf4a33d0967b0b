"""`seqzoo compare TASK`: the command line of `seqzoo.tasks.compare.runner` (no TensorFlow at import).

Every flag of `seqzoo train TASK` is accepted and applies to every architecture, except
`--arch` (replaced by `--archs`) and `--time-budget` (replaced by `--budget`). `--config`
takes a run's config.json (one run of an earlier comparison, say); its arch and
time_budget are set per run by --archs and --budget instead.
"""

from __future__ import annotations

import argparse

from seqzoo.tasks.common.flag_checks import at_least, check_out_path

# Config fields that compare sets itself, per run.
_OWN_FIELDS = {"arch", "time_budget"}


def _budget(text: str) -> float:
    from seqzoo.tasks.compare.budget import parse_budget
    from seqzoo.tasks.common.errors import UsageError

    try:
        return parse_budget(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_commands(commands) -> None:
    from seqzoo.tasks.common.cli_support import add_config_file_flag, add_config_flags, add_output_flags
    from seqzoo.tasks.common.config import config_fields
    from seqzoo.tasks.registry import all_tasks

    compare = commands.add_parser(
        "compare", help="train several architectures of one task on the same data and budget, and write a report",
    )
    tasks = compare.add_subparsers(dest="task", required=True, metavar="TASK")
    for spec in all_tasks():
        task = spec.name
        parser = tasks.add_parser(
            task, help=f"compare {task} architectures",
            description=f"Train the named {task} architectures one after another on the same splits, "
            "vocabulary, seed and budget, each in a process of its own, and write results.json, "
            "report.md and report.html (plots inline) into --out. Runs that fail are reported with "
            "their reason; Ctrl-C keeps the finished runs and writes their report.",
        )
        group = parser.add_argument_group("compare options")
        group.add_argument("--archs", help=f"comma-separated architectures among {', '.join(spec.architectures)} "
                           "(default: all of them)")
        group.add_argument("--budget", type=_budget, metavar="DURATION",
                           help="training time per run, e.g. 90s, 10m, 1h (then --epochs, if given, "
                           "is a maximum; default: no time limit)")
        group.add_argument("--repeats", type=at_least("--repeats", 1), default=1,
                           help="runs per architecture, with seeds --seed, --seed+1, ...; the table "
                           "shows mean ± standard deviation (default: 1)")
        group.add_argument("--out", help=f"report directory (default: reports/{task}; never overwritten)")
        group.add_argument("--overwrite", action="store_true", help="replace an existing --out")
        group.add_argument("--resume", action="store_true",
                           help="continue the comparison in --out (stopped by Ctrl-C, or with failed runs): "
                           "its finished runs are kept, the others trained; the same flags (without --overwrite) "
                           "are required")
        add_output_flags(group)
        add_config_file_flag(group, f"a {task} run's config.json (its arch and time_budget are not used)")
        names = {field.name for field in config_fields(spec.config_class)} - _OWN_FIELDS
        add_config_flags(parser, spec.config_class, only=names)
        # The workers import TensorFlow; this process only waits for them and writes the report.
        parser.set_defaults(handler=command_compare, needs_tensorflow=False)


def command_compare(args) -> int:
    from seqzoo.tasks.common.cli_support import config_from_args, output_settings
    from seqzoo.tasks.compare.budget import UNLIMITED_EPOCHS
    from seqzoo.tasks.compare.runner import Comparison, architecture_names, parse_archs
    from seqzoo.tasks.registry import get_task

    check_out_path(args.out, "--out")
    config = config_from_args(get_task(args.task).config_class, args, task=args.task)
    if args.budget and "epochs" not in vars(args):
        config.epochs = UNLIMITED_EPOCHS  # the budget (or early stopping) decides
    archs = parse_archs(args.archs, architecture_names(args.task), args.task)
    with output_settings(args) as verbose:  # the workers inherit --quiet's setting
        comparison = Comparison(args.task, archs, config, args.out or f"reports/{args.task}", repeats=args.repeats,
                                budget=args.budget, overwrite=args.overwrite, verbose=verbose, resume=args.resume)
        results = comparison.run()
    failed = [run["name"] for run in results["runs"] if run["status"] == "failed"]
    return 1 if failed and len(failed) == len(results["runs"]) else 0
