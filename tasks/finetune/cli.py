"""`seqzoo finetune`: a run plus new data makes a new run (no TensorFlow at import)."""

from __future__ import annotations

from seqzoo.tasks.finetune.config import FinetuneConfig


def add_commands(commands) -> None:
    # cli imports this module, so its helper is imported when the parser is built.
    from seqzoo.tasks.common.cli_support import add_config_flags

    parser = commands.add_parser(
        "finetune", help="fine-tune a run on new data into a new run directory (the source is never changed)"
    )
    parser.add_argument("run", help="a run directory, or a .keras file with --vocabulary")
    add_config_flags(parser, FinetuneConfig)
    parser.add_argument("--out", help="new run directory (default: runs/NAME-finetuned, never overwritten)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out (never the source)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the unfinished fine-tuning at --out from its last saved training state")
    parser.add_argument("--quiet", action="store_true", help="no per-batch progress bar")
    parser.set_defaults(handler=command_finetune)


def command_finetune(args) -> int:
    from seqzoo.tasks.common.cli_support import config_from_args
    from seqzoo.tasks.common.flag_checks import check_out_path
    from seqzoo.tasks.finetune.transfer import finetune

    check_out_path(args.out, "--out")
    config = config_from_args(FinetuneConfig, args)
    if args.resume and not args.out:
        from seqzoo.tasks.common.errors import UsageError

        raise UsageError("--resume needs --out, the fine-tuned run directory to continue.")
    finetune(args.run, args.out, config, overwrite=args.overwrite, verbose=2 if args.quiet else "auto",
             resume=args.resume)
    return 0
