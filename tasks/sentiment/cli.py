"""Command-line parts of the sentiment template (no TensorFlow at import)."""

from __future__ import annotations

import json


def add_evaluate_flags(parser) -> None:
    group = parser.add_argument_group("sentiment")
    group.add_argument("--text-column", help="column holding the text (default: the run's)")
    group.add_argument("--label-column", help="column holding the label (default: the run's)")


def add_commands(commands) -> None:
    predict = commands.add_parser("predict", help="classify texts with a sentiment run directory")
    predict.add_argument("run_dir", help="a run directory made by `seqzoo train sentiment`")
    predict.add_argument("texts", nargs="*", help="texts to classify")
    predict.add_argument("--file", help="a plain text file, one text per line")
    predict.add_argument("--encoding", default="utf-8", help="encoding of --file (default: utf-8)")
    predict.add_argument("--json", action="store_true", help="print one JSON object per text")
    predict.set_defaults(handler=command_predict)


def command_predict(args) -> int:
    from seqzoo.tasks.common.flag_checks import texts_to_read
    from seqzoo.tasks.sentiment.task import SentimentTask

    texts = texts_to_read(args, "give texts to classify as arguments or with --file.", "a text to classify")
    for prediction in SentimentTask.load(args.run_dir).predict(texts):
        if args.json:
            print(json.dumps(prediction, ensure_ascii=False))
        else:
            probabilities = "  ".join(f"{k}={v:.3f}" for k, v in prediction["probabilities"].items())
            print(f"{prediction['label']}\t{probabilities}\t{prediction['text']}")
    return 0
