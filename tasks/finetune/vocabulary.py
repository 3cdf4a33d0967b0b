"""Vocabulary policies of fine-tuning: keep, extend, rebuild.

- keep: the vocabulary stays; tokens of the new data that it lacks read as [UNK], and
  how many is counted and reported.
- extend: tokens of the new training data that the vocabulary lacks, seen at least
  `min_frequency` times, are appended (most frequent first), so every old id keeps its
  token. Word and char levels only: a WordPiece vocabulary already spells an unseen word
  from its pieces, and appending whole words as pieces would change how old words split.
- rebuild: a new vocabulary is learned from the new data as in training; tokens found in
  both keep their trained rows (at their new ids).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import tensorflow as tf

from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.data.vocabulary import UNK, Vocabulary
from seqzoo.tasks.common.errors import UsageError

_BATCH = 4096


def count_tokens(preprocessor: TextPreprocessor, texts: Sequence[str]) -> Counter:
    """How often each token (as the preprocessor splits) occurs in `texts`."""
    counts = Counter()
    texts = list(texts)
    for start in range(0, len(texts), _BATCH):
        tokens = preprocessor.tokenize(tf.constant(texts[start : start + _BATCH], tf.string))
        counts.update(tokens.flat_values.numpy().tolist())
    return Counter({token.decode("utf-8"): count for token, count in counts.items()})


@dataclass
class VocabularyReport:
    """What a policy did to one vocabulary, for the console and `finetune.json`.

    Examples:

    >>> report = VocabularyReport("text", "keep", tokens=200, out_of_vocabulary=18, examples=["superb"],
    ...                           old_size=50, new_size=50)
    >>> report.line()
    'text vocabulary (keep): 50 -> 50 tokens; 18 of 200 tokens (9.0%) of the new training data are out of vocabulary, e.g. superb'
    """

    name: str
    policy: str
    tokens: int = 0  # tokens in the new training data
    out_of_vocabulary: int = 0  # of those, not in the (resulting) vocabulary
    examples: list[str] = field(default_factory=list)  # most frequent out-of-vocabulary tokens
    old_size: int = 0
    new_size: int = 0
    added: list[str] = field(default_factory=list)

    def line(self) -> str:
        share = 100.0 * self.out_of_vocabulary / max(1, self.tokens)
        text = f"{self.name} vocabulary ({self.policy}): {self.old_size} -> {self.new_size} tokens"
        if self.policy == "extend":
            text += f", {len(self.added)} added" + (f" (e.g. {', '.join(self.added[:8])})" if self.added else "")
        text += (
            f"; {self.out_of_vocabulary} of {self.tokens} tokens ({share:.1f}%) of the new training data "
            "are out of vocabulary"
        )
        if self.examples:
            text += f", e.g. {', '.join(self.examples[:8])}"
        return text

    def to_dict(self) -> dict:
        return {
            "policy": self.policy, "tokens": self.tokens, "out_of_vocabulary": self.out_of_vocabulary,
            "out_of_vocabulary_examples": self.examples[:20], "old_size": self.old_size,
            "new_size": self.new_size, "added": len(self.added), "added_examples": self.added[:20],
        }


def _out_of_vocabulary(counts: Counter, preprocessor: TextPreprocessor) -> tuple[int, list[str]]:
    if preprocessor.level == "subword":
        # WordPiece already turned each unknown word into one [UNK].
        return counts.get(UNK, 0), []
    missing = Counter({t: c for t, c in counts.items() if t not in preprocessor.vocabulary})
    return sum(missing.values()), [t for t, _ in sorted(missing.items(), key=lambda x: (-x[1], x[0]))]


def apply_policy(
    name: str,
    preprocessor: TextPreprocessor,
    texts: Sequence[str],
    policy: str,
    min_frequency: int = 2,
    max_vocabulary: int | None = None,
    rebuild_min_frequency: int = 1,
) -> tuple[TextPreprocessor, np.ndarray, VocabularyReport]:
    """The preprocessor to fine-tune with, the old id of each of its ids (-1: new token),
    and a report.

    Examples:

    >>> old = TextPreprocessor.adapt(["a good film"])
    >>> new, mapping, report = apply_policy("text", old, ["a superb film", "superb"], "extend")
    >>> new.vocabulary.tokens[len(old.vocabulary):], int(mapping[-1]), report.out_of_vocabulary
    (['superb'], -1, 0)
    """
    counts = count_tokens(preprocessor, texts)
    report = VocabularyReport(name, policy, tokens=sum(counts.values()), old_size=preprocessor.vocabulary_size)
    old_tokens = preprocessor.vocabulary.tokens
    if policy == "keep":
        new = preprocessor
    elif policy == "extend":
        if preprocessor.level == "subword":
            raise UsageError(
                f"--vocab extend works on word and char vocabularies; the {name} vocabulary is WordPiece "
                "(subword), which spells unseen words from its pieces: use --vocab keep, or --vocab rebuild."
            )
        if min_frequency < 1:
            raise UsageError(f"--min-frequency is {min_frequency}; it must be at least 1.")
        candidates = [(t, c) for t, c in counts.items() if t not in preprocessor.vocabulary and c >= min_frequency]
        report.added = [t for t, _ in sorted(candidates, key=lambda x: (-x[1], x[0]))]
        new = TextPreprocessor(
            Vocabulary(old_tokens + report.added), preprocessor.level, preprocessor.lowercase,
            preprocessor.normalization,
        )
    elif policy == "rebuild":
        new = TextPreprocessor.adapt(
            list(texts), level=preprocessor.level, max_vocabulary=max_vocabulary or 20000,
            min_frequency=rebuild_min_frequency, lowercase=preprocessor.lowercase,
            normalization=preprocessor.normalization,
        )
    else:
        raise UsageError(f"unknown vocabulary policy {policy!r}; use keep, extend or rebuild.")
    old_ids = {token: i for i, token in enumerate(old_tokens)}
    mapping = np.asarray([old_ids.get(token, -1) for token in new.vocabulary.tokens], np.int64)
    report.new_size = new.vocabulary_size
    if new is not preprocessor:
        counts = count_tokens(new, texts) if new.level == "subword" else counts
    report.out_of_vocabulary, report.examples = _out_of_vocabulary(counts, new)
    return new, mapping, report
