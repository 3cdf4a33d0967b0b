"""The token-id graphs a task hands to the portable export (LiteRT, ONNX).

A `PortableGraph` is one function of flat, named tensors (fixed lengths, any batch)
returning a dict of named tensors: what a converter can take. The generating tasks
share `decoder_graphs`: an `encoder` graph (source ids or image -> state) and a
`decoder_step` graph (previous token, state -> logits, new state), built over the zoo's
own `encode` / `step` faces, with the state's nested structure flattened to
`state_0`, `state_1`, ...: a step returns `new_state_<i>` for each part it changes, which
a client passes back in as `state_<i>` (the others go in again as they were).

Examples:

>>> import tensorflow as tf
>>> state = {"h": tf.zeros([1, 4]), "index": tf.zeros([1], tf.int32)}
>>> [(spec.name, spec.shape.as_list(), spec.dtype.name) for spec in state_specs(state)]
[('state_0', [None, 4], 'float32'), ('state_1', [None], 'int32')]
>>> describe_state(state)
[{'name': 'state_0', 'dtype': 'float32', 'shape': [None, 4]}, {'name': 'state_1', 'dtype': 'int32', 'shape': [None]}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import tensorflow as tf

TOKEN_IDS = "token_ids"
LOGITS = "logits"


@dataclass(frozen=True)
class PortableGraph:
    """One graph of a portable export.

    Args:
        name: the file's stem (`classifier`, `encoder`, `decoder_step`).
        function: takes the tensors of `inputs`, in order, and returns a dict of named
            tensors (batch first).
        inputs: named `tf.TensorSpec`s, batch dimension None, other dimensions fixed.

    Examples:

    >>> import tensorflow as tf
    >>> graph = PortableGraph("double", lambda x: {"y": 2 * x}, (tf.TensorSpec([None, 3], name="x"),))
    >>> graph.concrete_function().structured_outputs["y"].shape.as_list()
    [None, 3]
    """

    name: str
    function: Callable
    inputs: tuple

    def tf_function(self):
        return tf.function(self.function, input_signature=list(self.inputs), autograph=False)

    def concrete_function(self):
        return self.tf_function().get_concrete_function()


def state_specs(state) -> list[tf.TensorSpec]:
    """`state_0, state_1, ...` specs of a (nested) state's tensors, batch dimension None."""
    return [tf.TensorSpec([None] + list(tensor.shape[1:]), tensor.dtype, name=f"state_{index}")
            for index, tensor in enumerate(tf.nest.flatten(state))]


def describe_state(state) -> list[dict]:
    """The manifest's description of a state: name, dtype, shape (None: any size)."""
    return [{"name": spec.name, "dtype": spec.dtype.name, "shape": spec.shape.as_list()}
            for spec in state_specs(state)]


def _named_state(state) -> dict:
    return {f"state_{index}": tensor for index, tensor in enumerate(tf.nest.flatten(state))}


def decoder_graphs(encoder_input: tf.TensorSpec | None, encode: Callable | None, step: Callable,
                   template) -> list[PortableGraph]:
    """The `encoder` graph (unless `encode` is None: the state then starts as zeros) and
    the `decoder_step` graph of a generating model.

    Args:
        encoder_input: the encoder's one input (source ids, images).
        encode: `inputs -> state` (e.g. `EncoderDecoderModel.encode`).
        step: `(token_ids [batch], state) -> (logits [batch, vocabulary], new state)`.
        template: a state of batch 1, for its structure, dtypes and shapes.
    """
    specs = state_specs(template)

    def decoder_step(token_ids, *flat_state):
        state = tf.nest.pack_sequence_as(template, list(flat_state))
        logits, new_state = step(token_ids, state)
        # Only the parts that change (not the encoder outputs an attention step reads):
        # a client passes the others in again as they were.
        # Named `new_state_*`: an ONNX graph cannot have an input and an output of one name.
        changed = {f"new_{name}": tensor for (name, tensor), before
                   in zip(_named_state(new_state).items(), flat_state) if tensor is not before}
        return {LOGITS: logits, **changed}

    graphs = []
    if encode is not None:
        graphs.append(PortableGraph("encoder", lambda inputs: _named_state(encode(inputs)), (encoder_input,)))
    graphs.append(PortableGraph("decoder_step", decoder_step,
                                (tf.TensorSpec([None], tf.int32, name=TOKEN_IDS), *specs)))
    return graphs
