"""`seqzoo embeddings` (no TensorFlow at import; the work is in embedding_map)."""

from __future__ import annotations

from seqzoo.tasks.common.flag_checks import at_least, check_out_path, seed


def add_commands(commands) -> None:
    embeddings = commands.add_parser(
        "embeddings",
        help="nearest neighbours and a 2-D map of a run's learned token embeddings",
        description="List the nearest neighbours (cosine similarity) of --words in a run's "
        "learned embedding, and with --plot draw a 2-D map (PCA or t-SNE) of those words and "
        "the most frequent tokens.",
    )
    embeddings.add_argument("run_dir", help="a run directory with a learned token embedding (any task)")
    embeddings.add_argument("--words", default="", help="comma-separated tokens to look up, e.g. good,bad,film")
    embeddings.add_argument("--top-k", type=at_least("--top-k", 1), default=8, help="neighbours per word (default: 8)")
    embeddings.add_argument("--plot", help="write a 2-D map of the words and the frequent tokens to this PNG")
    embeddings.add_argument("--method", choices=("pca", "tsne"), default="pca",
                            help="2-D projection for --plot (default: pca)")
    embeddings.add_argument("--frequent", type=at_least("--frequent", 0), default=100,
                            help="most frequent tokens drawn besides --words (reserved ids skipped, and at subword "
                            "level the single characters WordPiece lists first; default: 100)")
    embeddings.add_argument("--side", choices=("source", "target"),
                            help="translation runs: the source (default) or target embedding; a captioning "
                            "run has only its target (caption) side")
    embeddings.add_argument("--seed", type=seed, default=0, help="seed of t-SNE")
    embeddings.add_argument("--json", action="store_true", help="print the neighbours as JSON")
    embeddings.set_defaults(handler=command_embeddings)


def command_embeddings(args) -> int:
    from seqzoo.tasks.diagnose.embedding_map import command_embeddings as run

    check_out_path(args.plot, "--plot")
    return run(args)
