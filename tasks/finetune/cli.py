"""`seqzoo finetune`: a run plus new data makes a new run (no TensorFlow at import)."""

from __future__ import annotations

from seqzoo.tasks.finetune.config import FinetuneConfig


def add_commands(commands) -> None:
    # cli imports this module, so its helper is imported when the parser is built.
    from seqzoo.tasks.common.cli_support import add_config_file_flag, add_config_flags, add_output_flags

    parser = commands.add_parser(
        "finetune", help="fine-tune a run on new data into a new run directory (the source is never changed)"
    )
    parser.add_argument("run", help="a run directory, or a .keras file with --vocabulary")
    add_config_file_flag(parser, "a fine-tuned run's finetune.json (its options)")
    add_config_flags(parser, FinetuneConfig)
    parser.add_argument("--out", help="new run directory (default: runs/NAME-finetuned, never overwritten)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out (never the source)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the unfinished fine-tuning at --out from its last saved training state")
    add_output_flags(parser)
    parser.set_defaults(handler=command_finetune)


def command_finetune(args) -> int:
    from seqzoo.tasks.common.cli_support import config_from_args, output_settings
    from seqzoo.tasks.common.flag_checks import check_out_path
    from seqzoo.tasks.finetune.transfer import finetune

    check_out_path(args.out, "--out")
    config = config_from_args(FinetuneConfig, args, nested_in="options")  # finetune.json holds it as "options"
    if args.resume and not args.out:
        from seqzoo.tasks.common.errors import UsageError

        raise UsageError("--resume needs --out, the fine-tuned run directory to continue.")
    with output_settings(args) as verbose:
        finetune(args.run, args.out, config, overwrite=args.overwrite, verbose=verbose, resume=args.resume)
    return 0
