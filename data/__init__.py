"""seqzoo.data: users' files and built-in data sets to batches of token ids, and back.

- `readers`: CSV, TSV, JSON Lines, class folders, plain text, corpora -> Python lists.
- `splits`: stratified, seeded train / valid / test splits.
- `vocabulary`: the token list, its reserved ids (0 [PAD], 1 [UNK], 2 [START],
  3 [END]) and its plain-text file.
- `text_preprocessor`: in-graph tokenisation (tensorflow-text) to ids and back.
- `batching`: tf.data transforms: shuffle, bucket by length, pad with 0.
- `word_vectors`: pretrained word2vec / GloVe vectors for a vocabulary.
- `builtin`: data sets that need no network.
- `errors`: `DataError`, a problem in a user's data, explained in one sentence.

The readers, splits, vocabulary and errors are pure Python and load with the
package. Names from modules that import TensorFlow or NumPy load on first
use, so `import seqzoo.data` stays fast for the command line.
"""

import importlib

from seqzoo.data.errors import DataError
from seqzoo.data.readers import LabelledTexts, read_corpus, read_labelled_texts, read_texts
from seqzoo.data.splits import SplitWarning, check_labels, split_labelled
from seqzoo.data.vocabulary import (
    END,
    END_ID,
    PAD,
    PAD_ID,
    RESERVED_TOKENS,
    START,
    START_ID,
    UNK,
    UNK_ID,
    Vocabulary,
)

_LAZY = {
    "TextPreprocessor": "seqzoo.data.text_preprocessor",
    "TruncationWarning": "seqzoo.data.batching",
    "encode_texts": "seqzoo.data.batching",
    "shuffle_examples": "seqzoo.data.batching",
    "bucket_by_length": "seqzoo.data.batching",
    "pad_batches": "seqzoo.data.batching",
    "make_dataset": "seqzoo.data.batching",
    "WordVectorCoverage": "seqzoo.data.word_vectors",
    "load_word_vectors": "seqzoo.data.word_vectors",
    "BuiltinDataset": "seqzoo.data.builtin",
    "list_builtin_datasets": "seqzoo.data.builtin",
    "load_builtin": "seqzoo.data.builtin",
    "ParallelTexts": "seqzoo.data.parallel",
    "read_parallel": "seqzoo.data.parallel",
    "split_parallel": "seqzoo.data.parallel",
    "load_cldr_dates": "seqzoo.data.builtin_parallel",
    "split_corpus": "seqzoo.data.corpus_split",
    "encode_corpus": "seqzoo.data.language_model_windows",
    "stream_rows": "seqzoo.data.language_model_windows",
    "stateful_windows": "seqzoo.data.language_model_windows",
    "independent_windows": "seqzoo.data.language_model_windows",
    "load_corpus_builtin": "seqzoo.data.builtin_corpus",
    "CaptionedImages": "seqzoo.data.caption_readers",
    "read_captions": "seqzoo.data.caption_readers",
    "read_image_list": "seqzoo.data.caption_readers",
    "decode_image": "seqzoo.data.image_files",
    "drop_unusable_images": "seqzoo.data.image_files",
    "SkippedImagesWarning": "seqzoo.data.image_files",
    "load_digit_strings": "seqzoo.data.builtin_digit_captions",
}

__all__ = [
    "DataError",
    "LabelledTexts",
    "read_labelled_texts",
    "read_texts",
    "read_corpus",
    "SplitWarning",
    "check_labels",
    "split_labelled",
    "PAD",
    "UNK",
    "START",
    "END",
    "PAD_ID",
    "UNK_ID",
    "START_ID",
    "END_ID",
    "RESERVED_TOKENS",
    "Vocabulary",
    *_LAZY,
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seqzoo.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
