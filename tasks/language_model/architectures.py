"""The language-model template's architecture table: one line per architecture.

Each builder takes the run's `LanguageModelConfig` and the vocabulary size and returns
the decoder that `seqzoo.zoo.LanguageModel` wraps. No TensorFlow at import: the builders
import `seqzoo.zoo` when they run.

Examples:

>>> list(LANGUAGE_MODEL_ARCHITECTURES)
['rnn', 'irnn', 'lstm', 'gru', 'stacked-lstm', 'transformer']
>>> LANGUAGE_MODEL_ARCHITECTURES["irnn"].stateful
False
"""

from __future__ import annotations

from dataclasses import dataclass

from seqzoo.tasks.common.contract import Architecture, find_architecture
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.language_model.config import LanguageModelConfig


@dataclass(frozen=True)
class LanguageModelArchitecture(Architecture):
    """A line of the table: `build(config, vocabulary_size) -> decoder`, with the recipe
    settings that differ between architectures."""

    # Whether --tbptt may carry the state across windows.
    stateful: bool = True
    # Adam's learning rate unless --learning-rate is given.
    learning_rate: float = 3e-3


def _recurrent(cell: str, min_layers: int = 1):
    def build(config: LanguageModelConfig, vocabulary_size: int):
        from seqzoo.zoo import RecurrentDecoder

        return RecurrentDecoder(
            vocabulary_size,
            embedding_dim=config.embedding_dim,
            cell=cell,
            units=config.units,
            num_layers=max(min_layers, config.num_layers),
            dropout=config.dropout,
            tie_weights=config.tie_weights,
        )

    return build


def _transformer(config: LanguageModelConfig, vocabulary_size: int):
    if config.window > config.context_length:
        raise UsageError(
            f"--window {config.window} is longer than the Transformer's --context-length "
            f"{config.context_length}; shorten the window or lengthen the context."
        )
    from seqzoo.zoo import TransformerDecoder

    return TransformerDecoder(
        vocabulary_size,
        embedding_dim=config.embedding_dim,
        num_layers=max(2, config.num_layers),
        num_heads=config.num_heads,
        intermediate_dim=4 * config.embedding_dim,
        max_length=config.context_length,
        dropout=config.dropout,
        tie_weights=config.tie_weights,
        norm_first=True,  # pre-norm trains stably without a warm-up (Xiong et al. 2020)
    )


# One line per architecture; `seqzoo archs language-model` lists them in this order.
LANGUAGE_MODEL_ARCHITECTURES: dict[str, LanguageModelArchitecture] = {
    "rnn": LanguageModelArchitecture("Elman RNN (tanh), the textbook recurrent network", _recurrent("rnn")),
    # ReLU states with identity recurrence grow without bound over a long stream, and
    # explode at 3e-3: the IRNN restarts every window and learns more slowly.
    "irnn": LanguageModelArchitecture("Elman RNN with ReLU and identity-initialised recurrence (Le et al. 2015); "
                         "state reset every window", _recurrent("irnn"), stateful=False, learning_rate=3e-4),
    "lstm": LanguageModelArchitecture("LSTM (Hochreiter & Schmidhuber 1997), cuDNN-eligible", _recurrent("lstm")),
    "gru": LanguageModelArchitecture("GRU (Cho et al. 2014), cuDNN-eligible", _recurrent("gru")),
    "stacked-lstm": LanguageModelArchitecture("two or more stacked LSTM layers (--num-layers)", _recurrent("lstm", min_layers=2)),
    "transformer": LanguageModelArchitecture("causal Transformer decoder (GPT-style, pre-norm), learned positions", _transformer, recurrent=False),
}


def get_architecture(name: str) -> LanguageModelArchitecture:
    return find_architecture("language-model", LANGUAGE_MODEL_ARCHITECTURES, name)
