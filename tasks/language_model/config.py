"""The configuration of a language-model run (`seqzoo train language-model`).

Every field is a command-line flag (`context_length` -> `--context-length`),
grouped in the help as data / model / train options. No TensorFlow here.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqzoo.tasks.common.config import RATE, FRACTION, SEED, MIN_VOCABULARY, JSONConfig, RuntimeConfig, config_field


@dataclass
class DataConfig:
    """Where the text comes from and how it becomes tokens (language model)."""

    data: str | None = config_field(
        None, "training text: a plain text file, a folder of .txt files, or the name of a "
        "built-in corpus (default: pydoc-topics, Python's documentation topics)"
    )
    valid: str | None = config_field(None, "separate validation text (otherwise blocks of --data are held out)")
    test: str | None = config_field(None, "separate test text (otherwise blocks of --data are held out)")
    encoding: str = config_field("utf-8", "text encoding of the files, e.g. cp1252")
    valid_fraction: float = config_field(0.05, "share of --data held out for validation, in contiguous blocks", **FRACTION)
    test_fraction: float = config_field(0.05, "share of --data held out for testing, in contiguous blocks", **FRACTION)
    level: str = config_field("char", "tokenisation level", choices=("char", "word", "subword"))
    lowercase: bool = config_field(False, "fold case before tokenising")
    max_vocabulary: int = config_field(20000, "largest vocabulary, reserved tokens included", minimum=MIN_VOCABULARY)
    min_frequency: int = config_field(1, "drop tokens seen fewer times than this (word and subword levels)", minimum=1)


@dataclass
class ModelConfig:
    """Size of the architecture (language model); each uses the fields that apply."""

    arch: str = config_field("lstm", "architecture name (see `seqzoo archs language-model`)")
    embedding_dim: int = config_field(128, "embedding width, also the Transformer width", minimum=1)
    units: int = config_field(256, "recurrent units per layer (Transformer: feed-forward width is 4 x embedding)", minimum=1)
    num_layers: int = config_field(1, "recurrent layers (stacked-lstm: at least 2) or Transformer blocks (at least 2)", minimum=1)
    num_heads: int = config_field(4, "attention heads (Transformer)", minimum=1)
    context_length: int = config_field(
        256, "Transformer: positions it can attend to (training windows, prompt plus generated tokens)", minimum=1
    )
    dropout: float = config_field(0.0, "dropout on the recurrent layers' inputs and output (Transformer: inside blocks)", **RATE)
    tie_weights: bool = config_field(False, "share the input embedding matrix with the output layer")
    word_vectors: str | None = config_field(
        None, "word2vec/GloVe text file to initialise the input embedding from (its width must be "
        "--embedding-dim; useful at word level)"
    )
    freeze_embeddings: bool = config_field(False, "keep the initialised embedding fixed during training")


@dataclass
class TrainConfig:
    """The training recipe (language model)."""

    window: int = config_field(100, "tokens per training window (the truncation length of BPTT)", minimum=1)
    tbptt: bool = config_field(
        True, "recurrent models: carry the state from each window to the next (truncated "
        "backpropagation through time over stateful batches); --no-tbptt trains on shuffled "
        "independent windows. The transformer and irnn always use independent windows"
    )
    epochs: int = config_field(5, "maximum number of passes over the training text", minimum=1)
    batch_size: int = config_field(32, "windows per batch (rows of the stream with --tbptt)", minimum=1)
    learning_rate: float | None = config_field(None, "Adam learning rate (default: 3e-3; 3e-4 for irnn)", above=0)
    clipnorm: float = config_field(1.0, "clip gradients to this global norm (0 turns clipping off)", minimum=0)
    patience: int = config_field(3, "stop after this many epochs without a better validation loss", minimum=0)
    seed: int = config_field(0, "seed for the held-out blocks, shuffling and initialisation", **SEED)
    time_budget: float | None = config_field(
        None, "stop training when this many seconds of wall-clock time are up (checked after every batch, "
        "keeping back time for the next batch and the validation pass)", above=0
    )


@dataclass
class LanguageModelConfig(JSONConfig, RuntimeConfig, TrainConfig, ModelConfig, DataConfig):
    """Train a next-token language model on a text (char, word or subword level).

    Saved as `config.json` in the run directory.

    Examples:

    >>> config = LanguageModelConfig(arch="gru", level="word")
    >>> LanguageModelConfig.from_dict(config.to_dict()) == config
    True
    """

    task: str = "language-model"
