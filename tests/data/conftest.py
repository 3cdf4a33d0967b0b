"""Tiny shared data for the data/ tests."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESERVED = ["[PAD]", "[UNK]", "[START]", "[END]"]

# A few sentences with what real reviews hold: punctuation glued to words,
# apostrophes inside and around words, a typographic apostrophe, capitals,
# a newline, and a ligature that NFKC normalisation unfolds.
TEXTS = [
    "The film, it's 'great'! Don\u2019t go...",
    "Walking and talking: the actors walked; the \ufb01lm talked.",
    "A dull film.\nNot great, not walking anywhere.",
    "It's the singing that's great, isn't it?",
]


@pytest.fixture(scope="session")
def texts():
    return list(TEXTS)
