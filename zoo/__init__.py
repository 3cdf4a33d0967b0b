"""seqzoo.zoo: sequence architectures as Keras layers and models.

Layers take tensors and return tensors; token id 0 is padding everywhere.
Nothing here reads files or knows tokenizers (see `seqzoo.data`).
"""

from seqzoo.zoo.elman_cell import ElmanCell
from seqzoo.zoo.irnn_cell import IRNNCell

__all__ = [
    "ElmanCell",
    "IRNNCell",
]
