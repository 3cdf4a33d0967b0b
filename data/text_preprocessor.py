"""In-graph text tokenisation and token ids, exportable in a SavedModel.

Every step is a TensorFlow or tensorflow-text op (no Python string code at
call time), and the vocabulary lives in `tf.lookup` tables tracked by the
module. A SavedModel holding a `TextPreprocessor` therefore runs in a
process that imports only `tensorflow` and `tensorflow_text`, which is
what TensorFlow Serving offers.
"""

import json
import os
from collections import Counter
from pathlib import Path

import tensorflow as tf
import tensorflow_text as tft

from seqzoo.data.errors import DataError
from seqzoo.data.progress import PhaseProgress
from seqzoo.data.readers import read_file_bytes
from seqzoo.data.vocabulary import (
    END_ID,
    PAD_ID,
    RESERVED_TOKENS,
    START_ID,
    UNK,
    UNK_ID,
    Vocabulary,
)

LEVELS = ("word", "char", "subword")
NORMALIZATIONS = (None, "NFC", "NFKC", "NFD", "NFKD")

VOCABULARY_FILE = "vocabulary.txt"
CONFIG_FILE = "preprocessor.json"

# RE2 patterns. A "word character" is a letter, digit or combining mark in any
# script; every other visible character is a token of its own. Han
# characters are words of their own too, as Chinese has no spaces.
_WORD_CHAR = r"\p{L}\p{N}\p{M}"
_PUNCTUATION = rf"[^{_WORD_CHAR}\s']|\p{{Han}}"
_PUNCTUATION_WITH_APOSTROPHE = rf"[^{_WORD_CHAR}\s]|\p{{Han}}"
_TYPOGRAPHIC_APOSTROPHES = "[\u2019\u02bc]"
_JOINER = "##"
_CHUNK = 4096  # texts per call when adapting, to bound memory


class TextPreprocessor(tf.Module):
    """Turns a batch of strings into token ids, and ids back into strings.

    Normalisation: Unicode case folding (`tensorflow_text.case_fold_utf8`)
    when `lowercase`, then `tensorflow_text.normalize_utf8`. Levels:

    - "word": split at whitespace, with each punctuation mark or symbol a
      token of its own ("film," -> "film", ","); an apostrophe inside a
      word stays ("don't"), one at a word's edge is a token ("'quoted'").
      Typographic apostrophes (U+2019) count as "'".
    - "char": every Unicode character is a token, spaces and newlines too.
    - "subword": words split as for "word" but apostrophes always apart
      (BERT's split, which the vocabulary learner assumes), then each word
      into WordPiece pieces, later pieces marked "##" ("walking" ->
      "walk", "##ing").

    No [START] or [END] ids are added: a task adds them where it needs them.

    Args:
        vocabulary: a `Vocabulary`, or its list of tokens.
        level: "word", "char" or "subword".
        lowercase: fold case before looking tokens up.
        normalization: Unicode normal form applied to the text, one of
            "NFC", "NFKC", "NFD", "NFKD", or None.
        name: the module's name.

    Examples:

    >>> preprocessor = TextPreprocessor.adapt(["The film, the actors!"])
    >>> preprocessor.tokenize(["A film, really."]).to_list()
    [[b'a', b'film', b',', b'really', b'.']]
    >>> ids = preprocessor(["A film, really."])
    >>> ids.to_list()
    [[1, 8, 6, 1, 1]]
    >>> preprocessor.detokenize(ids).numpy().tolist()
    [b'[UNK] film , [UNK] [UNK]']
    """

    def __init__(
        self,
        vocabulary,
        level: str = "word",
        lowercase: bool = True,
        normalization: str | None = "NFKC",
        name: str | None = None,
    ):
        super().__init__(name=name)
        if level not in LEVELS:
            raise ValueError(f"level={level!r}; expected one of {LEVELS}")
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization={normalization!r}; expected one of {NORMALIZATIONS}")
        if not isinstance(vocabulary, Vocabulary):
            vocabulary = Vocabulary(vocabulary)
        self.vocabulary = vocabulary
        self.level = level
        self.lowercase = bool(lowercase)
        self.normalization = normalization

        tokens = tf.constant(vocabulary.tokens, dtype=tf.string)
        ids = tf.range(len(vocabulary), dtype=tf.int64)
        # int64 values: the WordPiece op reads this table and requires them.
        self._token_to_id = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tokens, ids), default_value=UNK_ID
        )
        self._id_to_token = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(ids, tokens), default_value=UNK
        )
        if level == "subword":
            self._wordpiece = tft.WordpieceTokenizer(
                self._token_to_id,
                suffix_indicator=_JOINER,
                token_out_type=tf.string,
                unknown_token=UNK,
            )

    @property
    def vocabulary_size(self) -> int:
        """The number of tokens, reserved ones included."""
        return len(self.vocabulary)

    def get_config(self) -> dict:
        """The settings besides the vocabulary, which is saved as its own file."""
        return {
            "level": self.level,
            "lowercase": self.lowercase,
            "normalization": self.normalization,
        }

    def __repr__(self) -> str:
        return (
            f"TextPreprocessor(level={self.level!r}, vocabulary_size={self.vocabulary_size}, "
            f"lowercase={self.lowercase}, normalization={self.normalization!r})"
        )

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def tokenize(self, texts):
        """Splits each text into tokens.

        Args:
            texts: string tensor [batch].

        Returns:
            `tf.RaggedTensor` of strings [batch, (tokens)].
        """
        return self._tokenize(texts)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, texts):
        """Token ids of each text.

        Args:
            texts: string tensor [batch].

        Returns:
            `tf.RaggedTensor` of int32 [batch, (tokens)]; tokens outside the
            vocabulary get `UNK_ID`.
        """
        tokens = self._tokenize(texts)
        ids = self._token_to_id.lookup(tokens.flat_values)
        return tokens.with_flat_values(tf.cast(ids, tf.int32))

    def detokenize(self, ids):
        """Strings back from token ids.

        Each row stops at its first [END]; [PAD], [START] and [END] are
        dropped. Words are joined with spaces, characters with nothing,
        and "##" pieces are glued to the piece before. Ids outside the
        vocabulary read as "[UNK]".

        Args:
            ids: integer ids [batch, time], a dense or ragged tensor.

        Returns:
            string tensor [batch].
        """
        if isinstance(ids, tf.RaggedTensor):
            ids = ids.to_tensor(default_value=PAD_ID)
        ids = tf.cast(tf.convert_to_tensor(ids), tf.int64)
        before_end = tf.cumsum(tf.cast(tf.equal(ids, END_ID), tf.int32), axis=1) == 0
        keep = before_end & tf.not_equal(ids, PAD_ID) & tf.not_equal(ids, START_ID)
        kept = tf.ragged.boolean_mask(ids, keep)
        tokens = kept.with_flat_values(self._id_to_token.lookup(kept.flat_values))
        separator = "" if self.level == "char" else " "
        texts = tf.strings.reduce_join(tokens, axis=1, separator=separator)
        if self.level == "subword":
            texts = tf.strings.regex_replace(texts, " " + _JOINER, "")
        return texts

    def _normalize(self, texts):
        if self.lowercase:
            texts = tft.case_fold_utf8(texts)
        if self.normalization:
            texts = tft.normalize_utf8(texts, self.normalization)
        return texts

    def _words(self, texts):
        """Normalised texts split into words and punctuation marks."""
        texts = tf.strings.regex_replace(texts, _TYPOGRAPHIC_APOSTROPHES, "'")
        if self.level == "subword":
            punctuation = _PUNCTUATION_WITH_APOSTROPHE
        else:
            # Set apart apostrophes at a word's edge, so the split keeps only
            # those inside words (RE2 has no look-around to say it directly).
            texts = tf.strings.regex_replace(texts, rf"(^|[^{_WORD_CHAR}])'", r"\1 ' ")
            texts = tf.strings.regex_replace(texts, rf"'([^{_WORD_CHAR}]|$)", r" ' \1")
            punctuation = _PUNCTUATION
        return tft.regex_split(texts, r"\s+|" + punctuation, punctuation)

    def _tokenize(self, texts):
        texts = self._normalize(texts)
        if self.level == "char":
            return tf.strings.unicode_split(texts, "UTF-8")
        words = self._words(texts)
        if self.level == "word":
            return words
        return self._wordpiece.tokenize(words).merge_dims(-2, -1)

    @classmethod
    def adapt(
        cls,
        texts,
        level: str = "word",
        max_vocabulary: int = 20000,
        min_frequency: int = 1,
        lowercase: bool = True,
        normalization: str | None = "NFKC",
    ) -> "TextPreprocessor":
        """Builds a preprocessor whose vocabulary is learned from `texts`.

        Word and char levels keep the most frequent tokens
        (`Vocabulary.build`). The subword level learns a WordPiece
        vocabulary with
        `tensorflow_text.tools.wordpiece_vocab.bert_vocab_from_dataset`,
        reserved tokens first, over the same words the preprocessor splits.
        That learner is pure Python: about a minute for 10,000 sentences
        on two cores.

        Args:
            texts: the training texts (a list of strings).
            level: "word", "char" or "subword".
            max_vocabulary: the most tokens, the four reserved included (for
                subwords, every character seen is kept even beyond it).
            min_frequency: the fewest occurrences for a token (for subwords,
                the lowest count threshold the learner may use).
            lowercase: as in the constructor.
            normalization: as in the constructor.

        Returns:
            the preprocessor.
        """
        texts = list(texts)
        if not texts:
            raise ValueError("adapt needs at least one text")
        probe = cls(Vocabulary(RESERVED_TOKENS), level, lowercase, normalization)
        if level == "subword":
            words = tf.data.Dataset.from_tensor_slices(tf.constant(texts, tf.string))
            words = words.batch(_CHUNK).map(lambda batch: probe._words(probe._normalize(batch)).flat_values)
            tokens = _learn_wordpiece(words, max_vocabulary, min_frequency)
            return cls(tokens, level, lowercase, normalization)
        counts = Counter()
        with PhaseProgress("building the vocabulary", "texts", total=len(texts)) as progress:
            for start in range(0, len(texts), _CHUNK):
                tokens = probe.tokenize(tf.constant(texts[start : start + _CHUNK], tf.string))
                counts.update(tokens.flat_values.numpy().tolist())
                progress.advance(min(_CHUNK, len(texts) - start))
        counts = {token.decode("utf-8"): count for token, count in counts.items()}
        vocabulary = Vocabulary.from_counts(counts, max_vocabulary, min_frequency)
        return cls(vocabulary, level, lowercase, normalization)

    def save(self, directory) -> None:
        """Writes `vocabulary.txt` and `preprocessor.json` into `directory`.

        Both files are written beside their final names and moved into
        place, so a crash never leaves half a file.

        Args:
            directory: the folder, created if needed.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.vocabulary.save(directory / VOCABULARY_FILE)
        path = directory / CONFIG_FILE
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(self.get_config(), indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)

    @classmethod
    def load(cls, directory) -> "TextPreprocessor":
        """Reads a preprocessor written by `save`.

        Args:
            directory: the folder holding `vocabulary.txt` and
                `preprocessor.json`.

        Returns:
            the preprocessor.

        Raises:
            DataError: naming the file for a missing, malformed or invalid
                file (and the line, for the vocabulary).
        """
        directory = Path(directory)
        path = directory / CONFIG_FILE
        raw = read_file_bytes(path)
        try:
            config = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DataError(f"{path}: not a valid preprocessor file ({error})") from None
        expected = {"level", "lowercase", "normalization"}
        if not isinstance(config, dict) or set(config) != expected:
            found = sorted(config) if isinstance(config, dict) else type(config).__name__
            raise DataError(f"{path}: expected the settings {sorted(expected)}, found {found}")
        vocabulary = Vocabulary.load(directory / VOCABULARY_FILE)
        try:
            return cls(vocabulary, **config)
        except ValueError as error:
            raise DataError(f"{path}: {error}") from None


def _learn_wordpiece(words: tf.data.Dataset, max_vocabulary: int, min_frequency: int) -> list[str]:
    from tensorflow_text.tools.wordpiece_vocab.bert_vocab_from_dataset import (
        bert_vocab_from_dataset,
    )

    # The words come already normalised, case-folded and split at every
    # punctuation mark, so BERT's own split inside the learner changes nothing
    # and the pieces it learns fit the words WordPiece will see.
    tokens = bert_vocab_from_dataset(
        words,
        vocab_size=max_vocabulary,
        reserved_tokens=list(RESERVED_TOKENS),
        bert_tokenizer_params={"lower_case": False},
        learn_params={"lower_thresh": max(1, min_frequency)},
    )
    if len(tokens) <= max_vocabulary:
        return tokens
    # The learner's size search can overshoot its target. Cut the rarest
    # longer pieces, never a single character: without one, every word
    # holding it would become [UNK].
    def is_character(token):
        return len(token) == 1 or (token.startswith(_JOINER) and len(token) == len(_JOINER) + 1)

    essential = {t for t in tokens if t in RESERVED_TOKENS or is_character(t)}
    room = max(0, max_vocabulary - len(essential))
    longer = [t for t in tokens if t not in essential][:room]
    kept = essential.union(longer)
    return [t for t in tokens if t in kept]
