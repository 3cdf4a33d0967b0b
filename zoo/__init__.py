"""seqzoo.zoo: sequence architectures as Keras layers and models.

Layers take tensors and return tensors; token id 0 is padding everywhere.
Nothing here reads files or knows tokenizers (see `seqzoo.data`).
"""

from seqzoo.zoo.attention_decoder import AttentionDecoder
from seqzoo.zoo.attention_pooling import AttentionPooling
from seqzoo.zoo.bahdanau_attention import BahdanauAttention
from seqzoo.zoo.elman_cell import ElmanCell
from seqzoo.zoo.encoder_decoder_model import EncoderDecoderModel
from seqzoo.zoo.irnn_cell import IRNNCell
from seqzoo.zoo.image_captioner import ImageCaptioner
from seqzoo.zoo.language_model import LanguageModel
from seqzoo.zoo.luong_attention import LuongAttention
from seqzoo.zoo.masked_mean_pooling import MaskedMeanPooling
from seqzoo.zoo.position_embedding import PositionEmbedding
from seqzoo.zoo.pretrained_image_encoder import PretrainedImageEncoder
from seqzoo.zoo.recurrent_decoder import RecurrentDecoder
from seqzoo.zoo.recurrent_encoder import RecurrentEncoder
from seqzoo.zoo.sequence_classifier import SequenceClassifier
from seqzoo.zoo.small_cnn_encoder import SmallCNNEncoder
from seqzoo.zoo.token_embedding import TokenEmbedding
from seqzoo.zoo.transformer_decoder import TransformerDecoder
from seqzoo.zoo.transformer_decoder_block import TransformerDecoderBlock
from seqzoo.zoo.transformer_encoder import TransformerEncoder
from seqzoo.zoo.transformer_encoder_block import TransformerEncoderBlock

__all__ = [
    "AttentionDecoder",
    "AttentionPooling",
    "BahdanauAttention",
    "ElmanCell",
    "EncoderDecoderModel",
    "IRNNCell",
    "ImageCaptioner",
    "LanguageModel",
    "LuongAttention",
    "MaskedMeanPooling",
    "PositionEmbedding",
    "PretrainedImageEncoder",
    "RecurrentDecoder",
    "RecurrentEncoder",
    "SequenceClassifier",
    "SmallCNNEncoder",
    "TokenEmbedding",
    "TransformerDecoder",
    "TransformerDecoderBlock",
    "TransformerEncoder",
    "TransformerEncoderBlock",
]
