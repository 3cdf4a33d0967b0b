"""`seqzoo diagnose gradients|gates` (no TensorFlow at import; the work is in `jobs.py`)."""

from __future__ import annotations

import os

from seqzoo.tasks.common.flag_checks import at_least, check_out_path, seed
from seqzoo.tasks.registry import all_tasks

# Training steps before --archs models are measured. The textbook contrast (the Elman
# RNN's gradient vanishes, the LSTM's does not) is a property of trained weights: at
# Keras' initialisation it is reversed (docs/tools/diagnose.md).
DEFAULT_TRAIN_STEPS = 300


def _probed_tasks() -> dict[str, str]:
    """Task name -> how `diagnose gradients` reads its models (its spec's gradient probe)."""
    return {spec.name: spec.gradient_probe for spec in all_tasks() if spec.gradient_probe}


def _default_task(probe: str) -> str | None:
    return next((name for name, kind in _probed_tasks().items() if kind == probe), None)


def add_commands(commands) -> None:
    probed = list(_probed_tasks())
    gradients_default, gates_default = _default_task("next-token"), _default_task("classifier")
    diagnose = commands.add_parser(
        "diagnose", help="look inside recurrent models: gradients through time, LSTM gates",
        description="Look inside recurrent models: `seqzoo diagnose gradients` plots how far back "
        "the loss gradient reaches through time, `seqzoo diagnose gates` draws an LSTM's gates "
        "over a text. `seqzoo diagnose DIAGNOSIS --help` lists each one's options.",
    )
    kinds = diagnose.add_subparsers(dest="diagnosis", required=True, metavar="DIAGNOSIS")

    gradients = kinds.add_parser(
        "gradients",
        help="plot ||dL/dh_t|| against the distance from the loss, per architecture (log scale)",
        description="Backpropagation through time made visible: the loss at the last step of "
        "windows of --length tokens is differentiated with respect to the hidden state of the "
        "first recurrent layer at every step (an LSTM's h_t and c_t together), by unrolling "
        "the model's own cell. Writes "
        "gradients.png, gradients.json and gradients.csv into --out and prints the norms at "
        "t=T, T-10, T-50 and 1, with the global parameter gradient norm before and after the "
        "template's clipping.",
    )
    gradients.add_argument("--task", choices=probed, default=gradients_default,
                           help=f"template whose fresh models --archs builds (default: {gradients_default})")
    gradients.add_argument("--archs", help="comma-separated architectures to build freshly (seeded), "
                           "e.g. rnn,irnn,lstm,gru; a transformer is skipped (no recurrent state)")
    gradients.add_argument("--run", action="append", metavar="RUN_DIR",
                           help=f"a trained run directory of {' or '.join(probed)} (repeatable)")
    gradients.add_argument("--data", help="data to cut the input windows from (default: the task's built-in "
                           "data for --archs, each run's test split for --run); also the vocabulary of fresh models")
    gradients.add_argument("--length", type=at_least("--length", 2), default=200, help="tokens per window, T (default: 200)")
    gradients.add_argument("--batch", type=at_least("--batch", 1), default=16, help="windows averaged over (default: 16)")
    gradients.add_argument("--units", type=at_least("--units", 1), help="recurrent units of fresh models (default: the template's)")
    gradients.add_argument("--embedding-dim", type=at_least("--embedding-dim", 1), help="embedding width of fresh models (default: the template's)")
    gradients.add_argument("--train-steps", type=at_least("--train-steps", 0), default=DEFAULT_TRAIN_STEPS,
                           help="train each --archs model this many steps with its template's recipe "
                           f"before measuring (default: {DEFAULT_TRAIN_STEPS}, about a minute per "
                           "architecture on 2 CPU cores; 0 measures them as initialised, where Keras' "
                           "orthogonal Elman RNN still keeps its gradient and the gated cells lose "
                           "theirs at their gates' rates)")
    gradients.add_argument("--recurrent-scale", type=at_least("--recurrent-scale", 0.0, float), default=1.0,
                           help="multiply the first layer's recurrent weights by this before measuring "
                           "(e.g. 3 makes the Elman RNN's and IRNN's gradients explode; default: 1)")
    gradients.add_argument("--seed", type=seed, default=0, help="seed of the fresh weights and the windows")
    gradients.add_argument("--out", default="reports/gradients", help="folder for the report (default: reports/gradients)")
    gradients.set_defaults(handler=command_gradients)

    gates = kinds.add_parser(
        "gates",
        help="heat maps of an LSTM's input, forget and output gates over a text",
        description="Recompute the gates of the first LSTM layer step by step from its weights "
        "(Keras order i, f, c, o) over --text and draw them as heat maps, units by tokens.",
    )
    gates.add_argument("run_dir", nargs="?", help="a run directory whose model reads tokens with an LSTM (the "
                       "encoder's, for an encoder-decoder; default: a fresh one of --task)")
    gates.add_argument("--text", required=True, help="the text to read")
    gates.add_argument("--out", default="gates.png", help="the PNG to write (default: gates.png)")
    gates.add_argument("--task", choices=probed, default=gates_default,
                       help=f"without a run directory: the template of the fresh LSTM (default: {gates_default})")
    gates.add_argument("--max-units", type=at_least("--max-units", 1), default=32, help="units drawn (default: 32)")
    gates.add_argument("--data", help="without a run directory: the data whose vocabulary the fresh LSTM gets")
    gates.add_argument("--seed", type=seed, default=0, help="seed of a fresh LSTM")
    gates.set_defaults(handler=command_gates)


def command_gradients(args) -> int:
    from seqzoo.tasks.diagnose.jobs import command_gradients as run

    _check_paths(args, "--data")
    for run_dir in args.run or ():
        _check_exists(run_dir, "--run")
    check_out_path(args.out, "--out")
    return run(args)


def command_gates(args) -> int:
    from seqzoo.tasks.common.flag_checks import check_texts
    from seqzoo.tasks.diagnose.jobs import command_gates as run

    check_texts([args.text], "a text with --text")
    _check_paths(args, "--data")
    if args.run_dir is not None:
        _check_exists(args.run_dir, "the run directory")
    check_out_path(args.out, "--out")
    return run(args)


def _check_exists(path, flag: str) -> None:
    from seqzoo.tasks.common.errors import UsageError

    if not os.path.exists(path):
        raise UsageError(f"{flag} {path}: no such file or folder.")


def _check_paths(args, flag: str) -> None:
    """--data names a file or folder, or a built-in data set (any name without a path
    separator or suffix that is not on disk is left to the data loader, which lists them)."""
    value = args.data
    if value and (os.sep in value or os.path.splitext(value)[1]) and not os.path.exists(value):
        _check_exists(value, flag)
