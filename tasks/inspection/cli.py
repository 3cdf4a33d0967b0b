"""`seqzoo inspect DIR`: describe an export or a run directory (no TensorFlow at import)."""

from __future__ import annotations

import json


def add_commands(commands) -> None:
    inspect = commands.add_parser(
        "inspect",
        help="describe an export (model card, signatures with input/output names, dtypes and shapes) "
        "or a run directory (config, vocabulary, metrics)",
        description="Describe what a folder holds without running its model. An export "
        "(`seqzoo export`): its model card (task, architecture, data, test metrics, vocabulary "
        "size, labels, versions, training config) and its signatures as saved_model.pb declares "
        "them (input and output names, dtypes, shapes), which also works for SavedModels made "
        "elsewhere. A run directory (`seqzoo train`): its config, vocabulary size, labels, "
        "metrics and files.",
    )
    inspect.add_argument("path", help="a folder written by `seqzoo export` or `seqzoo train`")
    inspect.add_argument("--json", action="store_true", help="print the description as JSON")
    inspect.set_defaults(handler=command_inspect)


def command_inspect(args) -> int:
    from seqzoo.tasks.inspection.report import format_inspection, inspect_path

    report = inspect_path(args.path)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print(format_inspection(report), end="")
    return 0
