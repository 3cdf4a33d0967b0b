"""The sentiment template's architecture table: one line per architecture.

Each builder takes the run's `SentimentConfig` and the vocabulary size and returns the
sequence encoder; `SentimentTask` puts the pooling and the classification head on top.
The table imports no TensorFlow: the builders import `seqzoo.zoo` when they run.

Examples:

>>> list(SENTIMENT_ARCHITECTURES)[:4]
['rnn', 'irnn', 'lstm', 'gru']
>>> encoder = SENTIMENT_ARCHITECTURES["gru"].build(SentimentConfig(units=4, embedding_dim=4), 10)
>>> type(encoder).__name__
'RecurrentEncoder'
"""

from __future__ import annotations

from seqzoo.tasks.common.contract import Architecture, find_architecture
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.sentiment.config import SentimentConfig


def _recurrent(cell: str, bidirectional: bool = False, min_layers: int = 1):
    def build(config: SentimentConfig, vocabulary_size: int):
        from seqzoo.zoo import RecurrentEncoder

        return RecurrentEncoder(
            vocabulary_size,
            embedding_dim=config.embedding_dim,
            cell=cell,
            units=config.units,
            num_layers=max(min_layers, config.num_layers),
            bidirectional=bidirectional,
            dropout=config.dropout,  # on the inputs of every recurrent layer
            embedding=config.embedding,
        )

    return build


def _transformer(config: SentimentConfig, vocabulary_size: int):
    from seqzoo.zoo import TransformerEncoder

    if config.embedding != "learned":
        raise UsageError("the transformer architecture needs --embedding learned.")
    return TransformerEncoder(
        vocabulary_size,
        embedding_dim=config.embedding_dim,
        num_layers=max(2, config.num_layers),
        num_heads=config.num_heads,
        intermediate_dim=2 * config.units,
        max_length=config.max_length,
        dropout=config.dropout,
    )


# One line per architecture; `seqzoo archs sentiment` lists them in this order.
SENTIMENT_ARCHITECTURES: dict[str, Architecture] = {
    "rnn": Architecture("Elman RNN (tanh), the textbook recurrent network", _recurrent("rnn")),
    "irnn": Architecture("Elman RNN with ReLU and identity-initialised recurrence (Le et al. 2015)", _recurrent("irnn")),
    "lstm": Architecture("LSTM (Hochreiter & Schmidhuber 1997), cuDNN-eligible", _recurrent("lstm")),
    "gru": Architecture("GRU (Cho et al. 2014), cuDNN-eligible", _recurrent("gru")),
    "bilstm": Architecture("bidirectional LSTM, both final states concatenated", _recurrent("lstm", bidirectional=True)),
    "bigru": Architecture("bidirectional GRU, both final states concatenated", _recurrent("gru", bidirectional=True)),
    "stacked-lstm": Architecture("two or more stacked LSTM layers (--num-layers)", _recurrent("lstm", min_layers=2)),
    "transformer": Architecture("Transformer encoder (Vaswani et al. 2017), learned positions", _transformer, recurrent=False),
}


def get_architecture(name: str) -> Architecture:
    return find_architecture("sentiment", SENTIMENT_ARCHITECTURES, name)
