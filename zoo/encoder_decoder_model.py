"""An encoder-decoder model: a source sequence in, next-token logits of the target out."""

import keras
import numpy as np
from keras import ops

from seqzoo.zoo.attention_decoder import AttentionDecoder
from seqzoo.zoo.recurrent_decoder import RecurrentDecoder
from seqzoo.zoo.transformer_decoder import TransformerDecoder


@keras.saving.register_keras_serializable(package="seqzoo")
class EncoderDecoderModel(keras.Model):
    """Joins a sequence encoder and a decoder into a translation model.

    Three pairings, chosen by the decoder's class:

    - `RecurrentDecoder` (Sutskever et al. 2014; Cho et al. 2014): the encoder's final
      state initialises the decoder and is the *only* link between them (the encoding
      bottleneck); the encoder is a `RecurrentEncoder` of the same cell and width.
    - `AttentionDecoder`: the encoder's final state initialises the decoder, and every
      step attends to all encoder outputs (Bahdanau / Luong attention).
    - `TransformerDecoder` with `cross_attention=True` over a `TransformerEncoder`'s
      outputs (Vaswani et al. 2017).

    Faces:

    - `call({"source_ids": [batch, source_time], "target_ids": [batch, time]})` ->
      logits `[batch, time, target_vocabulary]`, the target being read with teacher
      forcing (it starts with the start token). Padding (id 0) on either side changes
      nothing at real positions.
    - `encode(source_ids, max_new_tokens)` -> the decoder's initial state, a nested
      structure of batch-first tensors (encoder outputs and their attention keys are
      computed here, once, and carried along by the samplers);
    - `step(token_ids [batch], state, return_attention=False)` -> `(logits, state)`
      (and the attention weights `[batch, source_time]`): the step function of
      `seqzoo.tasks.samplers`.

    Args:
        encoder: a `RecurrentEncoder` or `TransformerEncoder` (or any layer with the same
            `token_ids -> (outputs, states)` contract).
        decoder: a `RecurrentDecoder`, `AttentionDecoder` or `TransformerDecoder`.
        **kwargs: other keyword arguments of `keras.Model`.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo import RecurrentEncoder, AttentionDecoder
    >>> model = EncoderDecoderModel(RecurrentEncoder(12, 4, cell="gru", units=6),
    ...                      AttentionDecoder(9, 4, cell="gru", units=6))
    >>> source = np.array([[5, 6, 7, 0], [8, 9, 0, 0]], "int32")
    >>> target = np.array([[2, 4, 5], [2, 6, 0]], "int32")
    >>> tuple(model({"source_ids": source, "target_ids": target}).shape)
    (2, 3, 9)
    >>> state = model.encode(source)
    >>> logits, state, weights = model.step(np.array([2, 2], "int32"), state,
    ...                                     return_attention=True)
    >>> tuple(logits.shape), tuple(weights.shape)
    ((2, 9), (2, 4))

    References:
        - [Sutskever et al., 2014. Sequence to Sequence Learning with Neural
          Networks](https://arxiv.org/abs/1409.3215)
        - [Bahdanau et al., 2015. Neural Machine Translation by Jointly Learning
          to Align and Translate](https://arxiv.org/abs/1409.0473)
        - [Vaswani et al., 2017. Attention Is All You Need](
          https://arxiv.org/abs/1706.03762)
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(decoder, (RecurrentDecoder, AttentionDecoder, TransformerDecoder)):
            raise ValueError(f"Unsupported decoder {type(decoder).__name__}.")
        if isinstance(decoder, TransformerDecoder) and not decoder.cross_attention:
            raise ValueError("A TransformerDecoder in a EncoderDecoderModel needs cross_attention=True.")
        self.encoder = encoder
        self.decoder = decoder

    @property
    def has_attention(self):
        """Whether `step` can return attention weights over the source."""
        return not isinstance(self.decoder, RecurrentDecoder)

    def _encode(self, source_ids, training=None):
        source_ids = ops.cast(source_ids, "int32")
        outputs, states = self.encoder(source_ids, training=training)
        mask = ops.not_equal(source_ids, 0)
        # Zero the padded steps (a Transformer encoder leaves values there); this also
        # drops the Keras mask, which travels explicitly as `encoder_mask` instead.
        outputs = ops.where(ops.expand_dims(mask, -1), outputs, ops.zeros_like(outputs))
        return outputs, mask, states

    def call(self, inputs, training=None):
        if isinstance(inputs, dict):
            source_ids, target_ids = inputs["source_ids"], inputs["target_ids"]
        else:
            source_ids, target_ids = inputs
        outputs, mask, states = self._encode(source_ids, training)
        if isinstance(self.decoder, RecurrentDecoder):
            logits, _ = self.decoder(target_ids, initial_state=states, training=training)
            return logits
        if isinstance(self.decoder, AttentionDecoder):
            return self.decoder(
                target_ids, outputs, encoder_mask=mask, initial_state=states, training=training
            )
        return self.decoder(target_ids, encoder_outputs=outputs, encoder_mask=mask, training=training)

    def encode(self, source_ids, max_new_tokens=None):
        """The decoder state after reading `source_ids` (no token generated yet).

        Args:
            source_ids: int `[batch, source_time]`, right-padded with 0.
            max_new_tokens: the most tokens that will be generated (sizes the
                Transformer's key/value cache; default: its `max_length`).
        """
        outputs, mask, states = self._encode(source_ids, False)
        if isinstance(self.decoder, RecurrentDecoder):
            return list(states)
        if isinstance(self.decoder, AttentionDecoder):
            return self.decoder.get_initial_state(outputs, mask, initial_state=states)
        length = None if max_new_tokens is None else max_new_tokens + 1
        return self.decoder.get_initial_cache(
            ops.shape(source_ids)[0], max_length=length, encoder_outputs=outputs, encoder_mask=mask
        )

    @property
    def attention_heads(self):
        """Number of attention maps `step` can return per token (1 for the recurrent
        attention decoders, `num_heads` of the Transformer's last block, 0 without)."""
        if isinstance(self.decoder, TransformerDecoder):
            return self.decoder.num_heads
        return int(self.has_attention)

    def step(self, token_ids, state, return_attention=False, per_head=False):
        """One target token per row (see the class docstring).

        With `return_attention`, also the attention weights `[batch, source_time]`
        (for the Transformer its last block's cross-attention averaged over heads) or,
        with `per_head`, `[batch, attention_heads, source_time]`.
        """
        if isinstance(self.decoder, RecurrentDecoder):
            if return_attention:
                raise ValueError("This model has no attention (a plain encoder-decoder).")
            return self.decoder.step(token_ids, state)
        if isinstance(self.decoder, AttentionDecoder):
            result = self.decoder.step(token_ids, state, return_attention=return_attention)
            if return_attention and per_head:
                logits, state, weights = result
                return logits, state, ops.expand_dims(weights, 1)
            return result
        return self.decoder.step(
            token_ids, state, return_cross_attention=return_attention, average_heads=not per_head
        )

    def get_build_config(self):
        return {"built": True}

    def build_from_config(self, config):
        # Build every weight with one tiny call before the saved weights are loaded.
        ids = np.ones((1, 2), "int32")
        self({"source_ids": ids, "target_ids": ids})

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)
