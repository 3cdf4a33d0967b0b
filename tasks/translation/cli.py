"""Command-line parts of the translation template (no TensorFlow at import)."""

from __future__ import annotations

import json

from seqzoo.tasks.common.cli_support import add_flag_once
from seqzoo.tasks.common.flag_checks import at_least, check_out_path, texts_to_read

BEAM_SIZE = at_least("--beam-size", 1)
LENGTH_PENALTY = at_least("--length-penalty", 0.0, float)


def add_evaluate_flags(parser) -> None:
    group = parser.add_argument_group("translation")
    add_flag_once(group, parser, "--beam-size", type=BEAM_SIZE, help="beam size (default: the run's; 1 is greedy)")
    add_flag_once(group, parser, "--length-penalty", type=LENGTH_PENALTY, help="GNMT length penalty alpha (default: the run's)")
    add_flag_once(group, parser, "--source-column", help="column holding the source sentence (default: the run's)")
    add_flag_once(group, parser, "--target-column", help="column holding the translation (default: the run's)")


def add_commands(commands) -> None:
    translate = commands.add_parser("translate", help="translate texts with a translation run directory")
    translate.add_argument("run_dir", help="a run directory made by `seqzoo train translation`")
    translate.add_argument("texts", nargs="*", help="sentences to translate")
    translate.add_argument("--file", help="a plain text file, one sentence per line")
    translate.add_argument("--encoding", default="utf-8", help="encoding of --file (default: utf-8)")
    translate.add_argument("--beam-size", type=BEAM_SIZE, help="beam size (default: the run's; 1 is greedy)")
    translate.add_argument("--length-penalty", type=LENGTH_PENALTY, help="GNMT length penalty alpha (default: the run's)")
    translate.add_argument("--n-best", type=at_least("--n-best", 1), default=1, help="print the N best translations (default: 1)")
    translate.add_argument("--greedy", action="store_true", help="greedy decoding instead of beam search")
    translate.add_argument("--attention-plot", metavar="PNG",
                           help="write the attention heat map (several texts: PNG-1.png, PNG-2.png, ...)")
    translate.add_argument("--attention-heads", action="store_true",
                           help="with --attention-plot: one map per head (Transformer) instead of their mean")
    translate.add_argument("--json", action="store_true", help="print one JSON object per text")
    translate.set_defaults(handler=command_translate)


def command_translate(args) -> int:
    from pathlib import Path

    from seqzoo.tasks.common.errors import UsageError
    from seqzoo.tasks.translation.task import TranslationTask

    texts = texts_to_read(args, "give sentences to translate as arguments or with --file.",
                          "a sentence to translate")
    if args.beam_size is not None and not args.greedy and args.n_best > args.beam_size:
        raise UsageError(f"--n-best is {args.n_best}; it must be at most --beam-size ({args.beam_size}).")
    if args.greedy and args.n_best > 1:
        raise UsageError(f"--n-best is {args.n_best}; greedy decoding (--greedy) gives only 1.")
    check_out_path(args.attention_plot, "--attention-plot")
    task = TranslationTask.load(args.run_dir)
    results = task.translate(texts, beam_size=args.beam_size, length_penalty=args.length_penalty,
                             n_best=args.n_best, greedy=args.greedy, return_attention=bool(args.attention_plot),
                             per_head=args.attention_heads)
    for index, result in enumerate(results, start=1):
        if args.attention_plot:
            from seqzoo.tasks.translation.attention_plots import plot_attention, plot_attention_heads

            path = Path(args.attention_plot)
            if len(results) > 1:
                path = path.with_name(f"{path.stem}-{index}{path.suffix or '.png'}")
            from seqzoo.tasks.common.output_dirs import check_out_file, input_paths

            check_out_file(path, input_paths(extra=[("the run directory", args.run_dir), ("--file", args.file)]),
                           flag="--attention-plot")
            plot = plot_attention_heads if args.attention_heads else plot_attention
            plot(result.pop("attention"), result["source_tokens"], result["output_tokens"],
                 path, title=result["source"])
            result["attention_plot"] = str(path)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        elif args.n_best > 1:
            print(result["source"])
            for text, score in result["translations"]:
                print(f"  {score:8.4f}  {text}")
        else:
            print(result["translation"])
    return 0
