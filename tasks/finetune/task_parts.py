"""What fine-tuning does with any task's parts: which layers `--freeze` freezes, and the
embeddings a grown vocabulary opens row by row.

`--freeze embeddings` freezes every learned token embedding (both languages in translation).
`--freeze encoder` freezes what the task's `TaskParts.encoder_layers` names. An embedding
that grew (`--vocab extend` or `rebuild`) is frozen row by row instead: its old tokens'
rows stay fixed and the added tokens' rows train (`open_grown_embeddings`).
"""

from __future__ import annotations

import numpy as np

from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.finetune_parts import TaskParts, VocabularySlot, sublayers
from seqzoo.tasks.registry import all_tasks, get_task
from seqzoo.zoo import TokenEmbedding

__all__ = ["TaskParts", "VocabularySlot", "task_parts", "task_of_model", "frozen_layers", "grown_embeddings",
           "added_tokens_under_freezing", "open_grown_embeddings"]


def task_parts(name: str) -> TaskParts:
    """The fine-tuning parts of a task, by name."""
    return get_task(name).jobs().finetune_parts()


def task_of_model(model) -> str | None:
    """The task whose models are of `model`'s class (for a bare `.keras` file)."""
    return next((spec.name for spec in all_tasks() if spec.model_class == type(model).__name__), None)


def frozen_layers(parts: TaskParts, model, which: str) -> list:
    """The layers `--freeze which` makes non-trainable."""
    if which == "none":
        return []
    if which == "embeddings":
        layers = [
            layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, TokenEmbedding) and layer.mode == "learned"
        ]
        if not layers:
            raise UsageError("--freeze embeddings: this model has no learned token embedding (one-hot input).")
        return layers
    if which == "encoder":
        return parts.encoder_layers(model)
    raise UsageError(f"--freeze {which!r}: use none, embeddings or encoder.")


def _embeddings_fed_by(model, resize) -> list[TokenEmbedding]:
    """The token embeddings (learned or one-hot) that read the vocabulary `resize` changes."""
    found = []
    for attribute in resize.attributes:
        holder = getattr(model, attribute, None)
        if holder is None:
            continue
        for layer in holder._flatten_layers(include_self=True, recursive=True):
            if (isinstance(layer, TokenEmbedding) and layer.vocabulary_size == resize.size
                    and all(layer is not known for known in found)):
                found.append(layer)
    return found


def _can_train(embedding: TokenEmbedding) -> bool:
    # A learned table the source did not freeze (a one-hot input has no table: its rows
    # are the first recurrent kernel's, trained or frozen with the encoder).
    table = getattr(embedding, "embeddings", None)  # None until built
    trainable_table = table.trainable if table is not None else embedding.trainable_embeddings
    return embedding.mode == "learned" and embedding.trainable and trainable_table


def grown_embeddings(model, resizes) -> list[tuple[TokenEmbedding, np.ndarray]]:
    """Each trainable learned token embedding that a vocabulary change gave new tokens,
    with the mask of its new rows (the ids that had no old token; one mask object per
    vocabulary, shared by the embeddings it feeds).

    Examples:

    >>> import keras, numpy as np
    >>> from seqzoo.tasks.finetune.weight_transfer import VocabularyResize
    >>> from seqzoo.zoo import RecurrentEncoder
    >>> model = keras.Sequential([RecurrentEncoder(6, embedding_dim=2, units=2)])
    >>> model.encoder = model.layers[0]
    >>> [(type(e).__name__, rows.tolist()) for e, rows in
    ...  grown_embeddings(model, [VocabularyResize(("encoder",), np.array([0, 1, 2, 3, 4, -1]))])]
    [('TokenEmbedding', [False, False, False, False, False, True])]
    """
    found = []
    for resize in resizes:
        new_rows = np.asarray(resize.mapping) < 0
        if new_rows.any():
            found += [(embedding, new_rows) for embedding in _embeddings_fed_by(model, resize)
                      if _can_train(embedding)]
    return found


def added_tokens_under_freezing(frozen: list, rows_frozen: list, model, resizes) -> tuple[int, int]:
    """(added tokens whose rows train row by row, added tokens whose rows keep their
    initial values) among the vocabularies read inside the `frozen` layers (or by an
    embedding the source froze); each vocabulary counted once."""
    inside = {id(layer) for outer in frozen for layer in outer._flatten_layers(include_self=True, recursive=True)}
    opened = {id(embedding) for embedding, _ in rows_frozen}
    training = stuck = 0
    for resize in resizes:
        added = int((np.asarray(resize.mapping) < 0).sum())
        # A one-hot input's rows are frozen only inside a frozen layer; a learned table
        # the source froze is frozen wherever it is.
        fixed = [e for e in _embeddings_fed_by(model, resize) if id(e) in opened or id(e) in inside
                 or (e.mode == "learned" and not _can_train(e))]
        if not added or not fixed:
            continue
        if all(id(e) in opened for e in fixed):
            training += added
        else:
            stuck += added
    return training, stuck


def open_grown_embeddings(frozen: list, grown: list) -> tuple[list, list]:
    """`frozen` with every grown embedding taken out of it, and the (embedding, new rows)
    pairs to freeze row by row instead.

    A frozen layer that holds a grown embedding is replaced by its sublayers (recursively)
    so that everything else in it stays frozen. A layer with weights of its own besides
    its sublayers' cannot be opened that way and stays frozen whole (its grown embedding's
    new rows then keep their initial values, as before).
    """
    grown_ids = {id(embedding): (embedding, rows) for embedding, rows in grown}
    kept, rows_frozen = [], []

    def holds_grown(layer) -> bool:
        return any(id(inner) in grown_ids for inner in layer._flatten_layers(include_self=True, recursive=True))

    def visit(layer) -> None:
        if id(layer) in grown_ids:
            rows_frozen.append(grown_ids[id(layer)])
            return
        if not holds_grown(layer):
            kept.append(layer)
            return
        children = sublayers(layer)
        covered = {id(v) for child in children for v in child.weights}
        if any(id(v) not in covered for v in layer.weights):
            kept.append(layer)  # weights of its own: cannot be opened
            return
        for child in children:
            visit(child)

    for layer in frozen:
        visit(layer)
    return kept, rows_frozen
