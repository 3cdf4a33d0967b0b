"""The translation template's architecture table: one line per architecture.

Each builder takes the run's `TranslationConfig` and the source and target vocabulary
sizes and returns a `seqzoo.zoo.EncoderDecoderModel`. No TensorFlow at import: the
builders import `seqzoo.zoo` when they run.

Examples:

>>> list(TRANSLATION_ARCHITECTURES)
['seq2seq', 'bahdanau', 'luong', 'transformer']
"""

from __future__ import annotations

from seqzoo.tasks.common.contract import Architecture, find_architecture


def _seq2seq(config, source_size, target_size):
    from seqzoo.zoo import EncoderDecoderModel, RecurrentDecoder, RecurrentEncoder

    encoder = RecurrentEncoder(source_size, config.embedding_dim, cell=config.cell, units=config.units,
                               num_layers=config.num_layers, dropout=config.dropout)
    decoder = RecurrentDecoder(target_size, config.embedding_dim, cell=config.cell, units=config.units,
                               dropout=config.dropout)
    return EncoderDecoderModel(encoder, decoder)


def _attention(kind, bidirectional):
    def build(config, source_size, target_size):
        from seqzoo.zoo import AttentionDecoder, EncoderDecoderModel, RecurrentEncoder

        encoder = RecurrentEncoder(source_size, config.embedding_dim, cell=config.cell, units=config.units,
                                   num_layers=config.num_layers, bidirectional=bidirectional,
                                   dropout=config.dropout)
        # The decoder starts from the encoder's final state, so it is as wide.
        decoder = AttentionDecoder(target_size, config.embedding_dim, cell=config.cell,
                                   units=encoder.output_dim, attention=kind, dropout=config.dropout)
        return EncoderDecoderModel(encoder, decoder)

    return build


def _transformer(config, source_size, target_size):
    from seqzoo.zoo import EncoderDecoderModel, TransformerDecoder, TransformerEncoder

    encoder = TransformerEncoder(source_size, config.embedding_dim, num_layers=max(2, config.num_layers),
                                 num_heads=config.num_heads, intermediate_dim=2 * config.units,
                                 max_length=config.max_length, dropout=config.dropout)
    # Positions for the start token and max_length + 1 generated tokens.
    decoder = TransformerDecoder(target_size, config.embedding_dim, num_layers=max(2, config.num_layers),
                                 num_heads=config.num_heads, intermediate_dim=2 * config.units,
                                 max_length=config.max_length + 2, dropout=config.dropout,
                                 cross_attention=True)
    return EncoderDecoderModel(encoder, decoder)


# One line per architecture; `seqzoo archs translation` lists them in this order.
TRANSLATION_ARCHITECTURES: dict[str, Architecture] = {
    "seq2seq": Architecture("RNN encoder-decoder, the final state is the only link (Sutskever et al. 2014)", _seq2seq),
    "bahdanau": Architecture("bidirectional encoder, additive attention (Bahdanau et al. 2015)", _attention("bahdanau", True)),
    "luong": Architecture("encoder-decoder with multiplicative attention (Luong et al. 2015)", _attention("luong", False)),
    "transformer": Architecture("Transformer encoder-decoder (Vaswani et al. 2017)", _transformer, recurrent=False),
}


def get_architecture(name: str) -> Architecture:
    return find_architecture("translation", TRANSLATION_ARCHITECTURES, name)
