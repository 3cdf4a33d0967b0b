"""Command-line parts of the language-model template (no TensorFlow at import)."""

from __future__ import annotations

import json
import random

from seqzoo.tasks.common.flag_checks import at_least, between, seed as seed_type


def add_evaluate_flags(parser) -> None:
    """`seqzoo evaluate` needs nothing more for a language model: --data names a text file,
    a folder of .txt files or a built-in corpus."""


def add_commands(commands) -> None:
    generate = commands.add_parser(
        "generate",
        help="generate text with a language-model run directory",
        description="Continue prompts with a trained language model. Each prompt is preceded "
        "by a paragraph boundary (a newline at character level, [START] otherwise), so an "
        "empty prompt starts a new paragraph. The same --seed gives the same text.",
    )
    generate.add_argument("run_dir", help="a run directory made by `seqzoo train language-model`")
    generate.add_argument("--prompt", action="append", default=None,
                          help="text to continue (repeat for several; default: one empty prompt)")
    generate.add_argument("--max-tokens", type=at_least("--max-tokens", 1), default=200, help="tokens to generate (default: 200)")
    generate.add_argument("--temperature", type=at_least("--temperature", 0.0, float), default=1.0,
                          help="softmax temperature; 0 is greedy decoding (default: 1.0)")
    generate.add_argument("--top-k", type=at_least("--top-k", 0), default=0,
                          help="sample among the k most likely tokens; 0 keeps all (default: 0)")
    generate.add_argument("--top-p", type=between("--top-p", 0.0, 1.0, low_open=True), default=1.0,
                          help="sample among the most likely tokens holding this much probability "
                          "(nucleus sampling; default: 1.0, all)")
    generate.add_argument("--seed", type=seed_type, default=None,
                          help="random seed, the same for every prompt (default: a random one, printed "
                          "with --json)")
    generate.add_argument("--json", action="store_true",
                          help="print one JSON object per prompt: prompt, text (the continuation), seed")
    generate.set_defaults(handler=command_generate)


def command_generate(args) -> int:
    from seqzoo.tasks.language_model.task import LanguageModelTask

    prompts = args.prompt if args.prompt is not None else [""]
    seed = args.seed if args.seed is not None else random.randrange(2**31 - 1)
    task = LanguageModelTask.load(args.run_dir)
    texts = task.generate(
        prompts, max_tokens=args.max_tokens, temperature=args.temperature,
        top_k=args.top_k, top_p=args.top_p, seed=seed,
    )
    separator = "" if task.config.level == "char" else " "
    for prompt, text in zip(prompts, texts):
        if args.json:
            print(json.dumps({"prompt": prompt, "text": text, "seed": seed}, ensure_ascii=False))
        else:
            print(prompt + (separator if prompt and text else "") + text)
    return 0
