"""Command-line parts of the captioning template (no TensorFlow at import)."""

from __future__ import annotations

import json

from seqzoo.tasks.common.cli_support import add_flag_once
from seqzoo.tasks.common.flag_checks import at_least, check_out_path

BEAM_SIZE = at_least("--beam-size", 1)
LENGTH_PENALTY = at_least("--length-penalty", 0.0, float)


def add_evaluate_flags(parser) -> None:
    group = parser.add_argument_group("captioning")
    add_flag_once(group, parser, "--images", help="folder holding the images of --data (default: the caption file's folder)")
    add_flag_once(group, parser, "--image-column", help="column holding the image file name (default: the run's)")
    add_flag_once(group, parser, "--caption-column", help="column holding the caption (default: the run's)")
    add_flag_once(group, parser, "--beam-size", type=BEAM_SIZE, help="beam size (default: the run's; 1 is greedy)")
    add_flag_once(group, parser, "--length-penalty", type=LENGTH_PENALTY, help="GNMT length penalty alpha (default: the run's)")


def add_commands(commands) -> None:
    caption = commands.add_parser("caption", help="caption images with a captioning run directory")
    caption.add_argument("run_dir", help="a run directory made by `seqzoo train captioning`")
    caption.add_argument("images", nargs="+", help="JPEG or PNG files")
    caption.add_argument("--beam-size", type=BEAM_SIZE, help="beam size (default: the run's; 1 is greedy)")
    caption.add_argument("--length-penalty", type=LENGTH_PENALTY, help="GNMT length penalty alpha (default: the run's)")
    caption.add_argument("--greedy", action="store_true", help="greedy decoding instead of beam search")
    caption.add_argument("--attention-plot", metavar="PNG",
                         help="write each word's attention over the image (several images: PNG-1.png, ...)")
    caption.add_argument("--json", action="store_true", help="print one JSON object per image")
    caption.set_defaults(handler=command_caption)


def command_caption(args) -> int:
    from pathlib import Path

    from seqzoo.data.caption_readers import CaptionedImages
    from seqzoo.data.errors import DataError
    from seqzoo.data.image_files import usable_images
    from seqzoo.tasks.captioning.task import CaptioningTask

    check_out_path(args.attention_plot, "--attention-plot")
    paths = [str(p) for p in args.images]
    for path, problem in zip(paths, usable_images(paths)):
        if problem:
            raise DataError(f"{path}: {problem}; give a JPEG or PNG file.")
    task = CaptioningTask.load(args.run_dir)
    data = CaptionedImages(paths, [[""] for _ in paths], "command line", folder="")
    results = task.caption(data, beam_size=args.beam_size, length_penalty=args.length_penalty,
                           greedy=args.greedy, return_attention=bool(args.attention_plot))
    for index, result in enumerate(results, start=1):
        if args.attention_plot:
            from seqzoo.tasks.captioning.attention_plots import plot_caption_attention

            path = Path(args.attention_plot)
            if len(results) > 1:
                path = path.with_name(f"{path.stem}-{index}{path.suffix or '.png'}")
            from seqzoo.tasks.common.output_dirs import check_out_file, input_paths

            check_out_file(path, input_paths(extra=[("the run directory", args.run_dir), ("an image", paths)]),
                           flag="--attention-plot")
            plot_caption_attention(result.pop("pixels"), result.pop("attention"), result["words"], path,
                                   title=result["caption"])
            result["attention_plot"] = str(path)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(result["caption"] if len(results) == 1 else f"{result['image']}\t{result['caption']}")
    return 0
