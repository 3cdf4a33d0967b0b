"""The captioning template's architecture table: one line per caption decoder.

Each builder takes the run's `CaptioningConfig` and the vocabulary size and returns the
decoder that `seqzoo.zoo.ImageCaptioner` puts after the image encoder (chosen apart, by
`--encoder`). No TensorFlow at import: the builders import `seqzoo.zoo` when they run.

Examples:

>>> list(CAPTIONING_ARCHITECTURES)
['show-and-tell', 'show-attend-tell', 'transformer']
"""

from __future__ import annotations

from seqzoo.tasks.common.contract import Architecture, find_architecture


def _show_and_tell(config, vocabulary_size):
    from seqzoo.zoo import RecurrentDecoder

    return RecurrentDecoder(vocabulary_size, config.embedding_dim, cell=config.cell, units=config.units,
                            dropout=config.dropout)


def _show_attend_tell(config, vocabulary_size):
    from seqzoo.zoo import AttentionDecoder

    return AttentionDecoder(vocabulary_size, config.embedding_dim, cell=config.cell, units=config.units,
                            attention="bahdanau", dropout=config.dropout)


def _transformer(config, vocabulary_size):
    from seqzoo.zoo import TransformerDecoder

    # Positions for the start token and max_length + 1 generated tokens.
    return TransformerDecoder(vocabulary_size, config.embedding_dim, num_layers=config.num_layers,
                              num_heads=config.num_heads, intermediate_dim=2 * config.units,
                              max_length=config.max_length + 2, dropout=config.dropout, cross_attention=True)


# One line per architecture; `seqzoo archs captioning` lists them in this order.
CAPTIONING_ARCHITECTURES: dict[str, Architecture] = {
    "show-and-tell": Architecture("the image sets the initial LSTM/GRU state (Vinyals et al. 2015)", _show_and_tell),
    "show-attend-tell": Architecture("LSTM/GRU with additive attention over image regions (Xu et al. 2015)",
                                     _show_attend_tell),
    "transformer": Architecture("Transformer decoder, cross-attention over image regions (Vaswani et al. 2017)",
                                _transformer, recurrent=False),
}


def get_architecture(name: str) -> Architecture:
    return find_architecture("captioning", CAPTIONING_ARCHITECTURES, name)
