"""The configuration of a translation run (TensorFlow-free), saved as `config.json`."""

from __future__ import annotations

from dataclasses import dataclass

from seqzoo.tasks.common.config import RATE, FRACTION, MIN_VOCABULARY, DecoderModelConfig, JSONConfig, RuntimeConfig, TrainConfig, config_field


@dataclass
class DataConfig:
    """Where the sentence pairs come from and how text becomes token ids."""

    data: str | None = config_field(
        None, "training pairs: a .tsv/.txt (headerless Anki/Tatoeba files are read by position: "
        "source, target), .csv or .jsonl file with two columns, SOURCE_FILE:TARGET_FILE "
        "(line-aligned), or a built-in data set (default: cldr-dates)"
    )
    valid: str | None = config_field(None, "separate validation pairs (otherwise split off --data)")
    test: str | None = config_field(None, "separate test pairs (otherwise split off --data)")
    source_column: str = config_field("source", "column (or JSON key) holding the source sentence")
    target_column: str = config_field("target", "column (or JSON key) holding the translation")
    encoding: str = config_field("utf-8", "text encoding of the data files, e.g. cp1252")
    valid_fraction: float = config_field(0.1, "fraction of source sentences held out for validation", **FRACTION)
    test_fraction: float = config_field(0.1, "fraction of source sentences held out for testing", **FRACTION)
    max_examples: int | None = config_field(None, "use at most this many pairs (a seeded random subsample)", minimum=1)
    level: str = config_field("word", "tokenisation level", choices=("word", "char", "subword"))
    shared_vocabulary: bool = config_field(
        False, "one vocabulary for both languages (use with --level subword) instead of two"
    )
    lowercase: bool = config_field(True, "fold case before tokenising")
    max_vocabulary: int = config_field(20000, "largest vocabulary per language, reserved tokens included", minimum=MIN_VOCABULARY)
    min_frequency: int = config_field(1, "drop tokens seen fewer times than this", minimum=1)
    max_length: int = config_field(50, "longest sentence in tokens; longer ones are truncated (counted)", minimum=1)


@dataclass
class ModelConfig(DecoderModelConfig):
    """Size of the architecture; each architecture uses the fields that apply to it."""

    arch: str = config_field("bahdanau", "architecture name (see `seqzoo archs translation`)")
    units: int = config_field(64, "recurrent units (per direction for bahdanau; Transformer: half the feed-forward width)", minimum=1)
    num_layers: int = config_field(1, "stacked encoder layers or Transformer blocks", minimum=1)
    dropout: float = config_field(0.1, "dropout on embeddings and outputs (and inside Transformers)", **RATE)
    source_word_vectors: str | None = config_field(
        None, "word2vec/GloVe text file in the source language to initialise the encoder's "
        "embedding from (its width must be --embedding-dim)"
    )
    target_word_vectors: str | None = config_field(
        None, "word2vec/GloVe text file in the target language to initialise the decoder's embedding from"
    )


@dataclass
class TranslationConfig(JSONConfig, RuntimeConfig, TrainConfig, ModelConfig, DataConfig):
    """Everything a translation run needs, saved as `config.json`.

    Examples:

    >>> config = TranslationConfig(arch="luong", epochs=2)
    >>> TranslationConfig.from_dict(config.to_dict()) == config
    True
    """

    epochs: int = config_field(12, "maximum number of passes over the training data", minimum=1)
    learning_rate: float | None = config_field(
        None, "Adam learning rate (default: 0.005 for recurrent models, 0.002 for the Transformer)", above=0
    )
    label_smoothing: float = config_field(0.1, "label smoothing of the per-token cross-entropy", **RATE)
    beam_size: int = config_field(4, "beam size of evaluation, `seqzoo translate` and the export (1: greedy)", minimum=1)
    length_penalty: float = config_field(0.6, "GNMT length penalty alpha of beam search", minimum=0)
    task: str = "translation"
