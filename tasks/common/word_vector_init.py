"""Pretrained word vectors (word2vec or GloVe text files) into any template's embedding.

`initialise_embedding` reads the vectors of a vocabulary
(`seqzoo.data.word_vectors.load_word_vectors`), checks that their width is the
embedding's, copies them into a `seqzoo.zoo.TokenEmbedding`, optionally freezes it, and
returns the coverage. The language model, translation and captioning call it; sentiment
reads the file with `load_word_vectors` itself, because there the file sets the
embedding width before the encoder is built. `coverage_message` is the line every
training job prints about the coverage, `coverage_metrics` what goes into `metrics.json`.

Which embedding each template initialises:

| template | flag(s) | embedding |
|---|---|---|
| sentiment | `--word-vectors` | the encoder's input embedding (the file sets `--embedding-dim`) |
| language-model | `--word-vectors` | the decoder's input embedding (also the output layer with `--tie-weights`) |
| translation | `--source-word-vectors`, `--target-word-vectors` | the encoder's and the decoder's |
| captioning | `--word-vectors` | the caption decoder's word embedding |

`--freeze-embeddings` keeps the initialised embedding(s) fixed during training.
"""

from __future__ import annotations

from pathlib import Path

from seqzoo.tasks.common.errors import UsageError


def initialise_embedding(
    embedding,
    path: str | Path | None,
    vocabulary,
    encoding: str = "utf-8",
    seed: int = 0,
    freeze: bool = False,
    flag: str = "--word-vectors",
):
    """Copy pretrained vectors into `embedding` (a built or unbuilt `TokenEmbedding`);
    with no `path`, only freeze it if asked (so a template calls this one function either way).

    Args:
        embedding: a `seqzoo.zoo.TokenEmbedding` in `"learned"` mode.
        path: the vector file (word2vec text or GloVe, optionally `.gz`), or None.
        vocabulary: the `Vocabulary` whose ids index the embedding.
        encoding: the file's text encoding.
        seed: seed of the random rows given to tokens without a vector.
        freeze: make the embedding untrainable.
        flag: the command-line flag named in errors.

    Returns:
        the `seqzoo.data.word_vectors.WordVectorCoverage`, or None without a `path`.

    Raises:
        UsageError: a one-hot embedding, or vectors whose width differs from the
            embedding's (naming the file, both widths and the flag to change).
        DataError: the file cannot be read (naming the file and line).

    Examples:

    >>> import pathlib, tempfile
    >>> from seqzoo.data.vocabulary import Vocabulary
    >>> from seqzoo.zoo import TokenEmbedding
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "vectors.txt"
    >>> _ = path.write_text("film 1 2\\nthe 3 4\\n")
    >>> vocabulary = Vocabulary(["[PAD]", "[UNK]", "[START]", "[END]", "the", "film", "zzz"])
    >>> embedding = TokenEmbedding(7, 2)
    >>> coverage = initialise_embedding(embedding, path, vocabulary, freeze=True)
    >>> print(coverage_message(path.name, coverage))
    word vectors vectors.txt: 2 of 3 vocabulary tokens have a pretrained vector (66.7%); missing e.g. 'zzz'
    >>> embedding.embeddings.numpy()[5].tolist(), embedding.trainable
    ([1.0, 2.0], False)
    >>> initialise_embedding(TokenEmbedding(7, 3), path, vocabulary)
    Traceback (most recent call last):
    ...
    seqzoo.tasks.common.errors.UsageError: ...vectors.txt holds 2-dimensional vectors but the embedding is 3 wide; pass --embedding-dim 2 with --word-vectors.
    """
    from seqzoo.data.word_vectors import load_word_vectors

    if path is None:
        if freeze:
            embedding.trainable = False
        return None
    if embedding.mode != "learned":
        raise UsageError(f"{flag} needs a learned embedding, not {embedding.mode!r}.")
    matrix, coverage = load_word_vectors(path, vocabulary, encoding=encoding, seed=seed)
    if matrix.shape[1] != embedding.embedding_dim:
        raise UsageError(
            f"{path} holds {matrix.shape[1]}-dimensional vectors but the embedding is "
            f"{embedding.embedding_dim} wide; pass --embedding-dim {matrix.shape[1]} with {flag}."
        )
    embedding.load_vectors(matrix)
    if freeze:
        embedding.trainable = False
    return coverage


def coverage_message(path: str | Path, coverage) -> str:
    """`word vectors PATH: 812 of 1000 vocabulary tokens have a pretrained vector (81.2%); missing e.g. ...`"""
    return f"word vectors {path}: {coverage}"


def coverage_metrics(coverage) -> dict[str, float]:
    """The coverage as numbers for `metrics.json` (and so the export's model card):
    `{"word_vector_coverage": 0.812}`, or one per side for translation's
    `{"source": coverage, "target": coverage}`; empty without word vectors."""
    if not coverage:
        return {}
    if isinstance(coverage, dict):
        return {f"{side}_word_vector_coverage": round(c.fraction, 4) for side, c in coverage.items()}
    return {"word_vector_coverage": round(coverage.fraction, 4)}
