"""What a run's learned embedding learned: nearest neighbours and a 2-D map.

Neighbours are ranked by cosine similarity between rows of the embedding matrix (the
length of a vector mostly tracks how often its token was trained, the direction what it
means). The map projects the chosen words and the most frequent tokens to two dimensions
with scikit-learn's PCA, or t-SNE, which keeps neighbourhoods rather than distances.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

import numpy as np

from seqzoo.data.vocabulary import RESERVED_TOKENS
from seqzoo.tasks.common.errors import UsageError

RESERVED_IDS = len(RESERVED_TOKENS)  # [PAD] [UNK] [START] [END]: never learned as words, never shown


@dataclass
class Neighbour:
    """A token and its cosine similarity with the word looked up.

    Examples:

    >>> Neighbour("great", 0.93)
    Neighbour(token='great', similarity=0.93)
    """

    token: str
    similarity: float


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero)."""
    matrix = np.asarray(matrix, np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def nearest_neighbours(matrix, tokens: list[str], word: str, k: int = 8) -> list[Neighbour]:
    """The `k` tokens whose vectors have the highest cosine similarity with `word`'s,
    itself and the reserved tokens left out.

    Examples:

    >>> tokens = ["[PAD]", "[UNK]", "[START]", "[END]", "good", "great", "bad"]
    >>> matrix = [[0, 0], [0, 0], [0, 0], [0, 0], [1, 0.1], [2, 0.3], [-1, 0]]
    >>> [(n.token, round(n.similarity, 3)) for n in nearest_neighbours(matrix, tokens, "good", k=2)]
    [('great', 0.999), ('bad', -0.995)]
    """
    index = {token: i for i, token in enumerate(tokens)}
    if word not in index or index[word] < RESERVED_IDS:
        raise KeyError(word)
    unit = unit_rows(matrix)
    similarity = unit @ unit[index[word]]
    similarity[: RESERVED_IDS] = -np.inf
    similarity[index[word]] = -np.inf
    order = np.argsort(-similarity, kind="stable")[: max(0, k)]
    return [Neighbour(tokens[i], float(similarity[i])) for i in order if np.isfinite(similarity[i])]


def check_words(words: list[str], tokens: list[str]) -> None:
    """A UsageError naming every word the vocabulary lacks, with close matches."""
    known = set(tokens[RESERVED_IDS:])
    missing = [word for word in words if word not in known]
    if not missing:
        return
    hints = []
    for word in missing:
        close = difflib.get_close_matches(word, tokens[RESERVED_IDS:], n=3)
        hints.append(f"{word!r}" + (f" (close: {', '.join(close)})" if close else ""))
    raise UsageError(
        f"not in the run's vocabulary of {len(tokens)} tokens: {'; '.join(hints)}. "
        "Words are looked up as the run tokenised them (e.g. lower case, or single characters "
        "at character level)."
    )


def project_2d(vectors: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """`[n, 2]` coordinates of `vectors [n, dim]` by PCA or t-SNE (scikit-learn).

    Examples:

    >>> points = project_2d(np.eye(5)[:, :4] + 0.0, "pca")
    >>> points.shape
    (5, 2)
    """
    vectors = np.asarray(vectors, np.float64)
    if len(vectors) < 3:
        raise UsageError(f"a map needs at least 3 tokens, got {len(vectors)}.")
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(vectors)
    if method == "tsne":
        from sklearn.manifold import TSNE

        # perplexity must stay below the number of points
        perplexity = float(min(30.0, max(2.0, (len(vectors) - 1) / 3)))
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                    metric="cosine").fit_transform(vectors)
    raise UsageError(f"--method must be pca or tsne, got {method!r}.")


def plot_embedding_map(points: np.ndarray, labels: list[str], chosen: set[str], path, title: str = "") -> None:
    """A labelled scatter plot; the chosen words stand out in colour and bold."""
    from seqzoo.tasks.common.plots import pyplot, save_figure

    plt = pyplot()
    figure, axis = plt.subplots(figsize=(9, 7.5))
    picked = np.array([label in chosen for label in labels])
    axis.scatter(points[~picked, 0], points[~picked, 1], s=10, color="0.6", label="frequent tokens")
    axis.scatter(points[picked, 0], points[picked, 1], s=28, color="tab:red", label="--words")
    for (x, y), label, is_chosen in zip(points, labels, picked):
        axis.annotate(repr(label)[1:-1], (x, y), fontsize=9 if is_chosen else 7,
                      fontweight="bold" if is_chosen else "normal",
                      color="tab:red" if is_chosen else "0.25", xytext=(2, 2), textcoords="offset points")
    axis.legend(fontsize=8)
    axis.set_xticks([])
    axis.set_yticks([])
    if title:
        axis.set_title(title)
    save_figure(figure, path)


def frequent_ids(tokens: list[str], count: int, level: str = "word") -> list[int]:
    """Ids of the `count` most frequent tokens. A vocabulary lists its tokens by frequency
    after the reserved ones, except at subword level, where WordPiece's learner first
    lists every single character and `##` character alphabetically: those are skipped.

    Examples:

    >>> tokens = ["[PAD]", "[UNK]", "[START]", "[END]", "a", "b", "##a", "##b", "the", "##ing"]
    >>> frequent_ids(tokens, 2), frequent_ids(tokens, 2, "subword")
    ([4, 5], [8, 9])
    """
    candidates = range(RESERVED_IDS, len(tokens))
    if level == "subword":
        candidates = [i for i in candidates if len(tokens[i].removeprefix("##")) > 1]
    return list(candidates)[: max(0, count)]


def learned_embedding(run_dir: str, side: str | None = None) -> tuple[np.ndarray, list[str], str, str]:
    """`(matrix [vocabulary, dim], tokens, description, level)` of a run's learned
    embedding; `level` is the tokenisation ("word", "char" or "subword").

    `side` picks the "source" or "target" embedding of a task that reads tokens on both
    sides; None picks the task's first side (its spec's `token_sides`).
    """
    from seqzoo.tasks.diagnose.reading_stack import default_side, load_task, reading_stack

    task_name, task = load_task(run_dir)
    if side is None:
        side = default_side(task_name)
    stack = reading_stack(task_name, task, side)
    embedding = getattr(stack.layer, "embedding", None)
    if embedding is None:
        raise UsageError(f"{run_dir}: the {task_name} model has no token embedding.")
    if embedding.mode != "learned" or embedding.embeddings is None:
        raise UsageError(
            f"{run_dir} was trained with --embedding {embedding.mode}: a one-hot input has no learned "
            "vectors to compare (the first layer's input weights play that role). Train with "
            "--embedding learned."
        )
    tokens = stack.preprocessor.vocabulary.tokens
    description = f"{task_name} / {task.config.arch}" + (f" ({side})" if _reads_tokens_on_both_sides(task_name) else "")
    return np.asarray(embedding.embeddings.numpy()), tokens, description, stack.preprocessor.level


def _reads_tokens_on_both_sides(task_name: str) -> bool:
    from seqzoo.tasks.registry import get_task

    return sum(not isinstance(side, str) for side in get_task(task_name).token_sides.values()) > 1


def command_embeddings(args) -> int:
    words = [w.strip() for w in args.words.split(",") if w.strip()]
    if not words and not args.plot:
        raise UsageError("give --words to look up, --plot to draw a map, or both.")
    if args.top_k < 1:
        raise UsageError(f"--top-k must be at least 1, got {args.top_k}.")
    if args.plot:
        from seqzoo.tasks.common.output_dirs import check_out_file, input_paths

        check_out_file(args.plot, input_paths(extra=[("the run directory", args.run_dir)]), flag="--plot")
    matrix, tokens, description, level = learned_embedding(args.run_dir, args.side)
    check_words(words, tokens)
    results = {word: nearest_neighbours(matrix, tokens, word, args.top_k) for word in words}
    if args.json:
        print(json.dumps({word: [{"token": n.token, "similarity": round(n.similarity, 4)} for n in found]
                          for word, found in results.items()}, ensure_ascii=False, indent=2))
    else:
        for word, found in results.items():
            listing = ", ".join(f"{n.token} {n.similarity:.3f}" for n in found)
            print(f"{word}: {listing}")
    if args.plot:
        frequent = frequent_ids(tokens, args.frequent, level)
        chosen_ids = [tokens.index(word) for word in words]
        ids = chosen_ids + [i for i in frequent if i not in set(chosen_ids)]
        # Unit vectors: the map then shows directions, as the cosine neighbours do,
        # not how often a token was trained (which mostly sets a vector's length).
        points = project_2d(unit_rows(matrix[ids]), args.method, args.seed)
        plot_embedding_map(points, [tokens[i] for i in ids], set(words), args.plot,
                           title=f"{description}: {args.method.upper()} of {len(ids)} token embeddings")
        if not args.json:
            print(f"wrote {args.plot} ({len(ids)} tokens, {args.method})")
    return 0
