"""TensorFlow Serving's warm-up requests, written into every export.

TensorFlow Serving runs the requests in `assets.extra/tf_serving_warmup_requests` when it
loads a model version, before the version takes traffic, so the first real request is not
the one that pays for the graph's first run (kernel choice, memory, tf.data and lookup
tables set up). The file is a TFRecord file of `tensorflow.serving.PredictionLog` protos,
each holding a `PredictRequest` (`model_spec.signature_name` and the `inputs` as
`TensorProto`s); Serving reads at most 1000 of them.

seqzoo writes one request per signature and batch size (1 and 8) from the task's example
requests (`TaskSpec.example_requests`, the instances the model card shows), with the
dtypes and shapes the saved signature declares. A `{"b64": ...}` value is sent as its
bytes; one that is not base64 (the documented placeholder of captioning's image) is
replaced by a small grey PNG, so the request decodes as an image would. A signature
without an example request gets no warm-up request, and an export without any gets no file.

The three Serving messages are written here in protobuf's wire format (their field
numbers are in `tensorflow_serving/apis/prediction_log.proto`, `predict.proto` and
`model.proto`), so exporting needs only TensorFlow, not `tensorflow-serving-api`.

Examples:

>>> from tensorflow.core.framework import tensor_pb2
>>> record = prediction_log("serving_default", {"text": tensor_pb2.TensorProto(dtype=7)})
>>> record[:1], record[2:3]   # field 6 (predict_log) and, inside it, field 1 (request)
(b'2', b'\\n')
"""

from __future__ import annotations

import base64
import binascii
import itertools
from pathlib import Path
from typing import Any, Mapping

from seqzoo.tasks.common.errors import UsageError

WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"
MAX_RECORDS = 1000  # TensorFlow Serving reads no more than this many
WARMUP_BATCH_SIZES = (1, 8)

# Field numbers of the Serving messages (tensorflow_serving/apis/*.proto).
_PREDICTION_LOG_PREDICT_LOG = 6
_PREDICT_LOG_REQUEST = 1
_PREDICT_REQUEST_MODEL_SPEC = 1
_PREDICT_REQUEST_INPUTS = 2
_MODEL_SPEC_SIGNATURE_NAME = 3
_MAP_KEY, _MAP_VALUE = 1, 2
_LENGTH_DELIMITED = 2


# ----------------------------------------------------------------------------- wire format
def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited field (a string, bytes or an embedded message)."""
    return _varint(number << 3 | _LENGTH_DELIMITED) + _varint(len(payload)) + payload


def prediction_log(signature: str, inputs: Mapping[str, Any]) -> bytes:
    """The serialized `PredictionLog` of one `PredictRequest` to `signature`, its inputs
    `TensorProto`s by name (written in sorted order, so the file is reproducible)."""
    model_spec = _field(_MODEL_SPEC_SIGNATURE_NAME, signature.encode("utf-8"))
    request = _field(_PREDICT_REQUEST_MODEL_SPEC, model_spec)
    for name in sorted(inputs):
        entry = _field(_MAP_KEY, name.encode("utf-8")) + _field(_MAP_VALUE, inputs[name].SerializeToString())
        request += _field(_PREDICT_REQUEST_INPUTS, entry)
    return _field(_PREDICTION_LOG_PREDICT_LOG, _field(_PREDICT_LOG_REQUEST, request))


# ----------------------------------------------------------------------------- requests
def _placeholder_image() -> bytes:
    import tensorflow as tf

    return tf.io.encode_png(tf.fill([32, 32, 3], tf.constant(128, tf.uint8))).numpy()


def _value(value):
    """A REST instance's value as the tensor takes it: `{"b64": ...}` -> bytes."""
    if isinstance(value, dict) and list(value) == ["b64"]:
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            return _placeholder_image()
    return value


def warmup_inputs(signature: str, instances: list[dict], inputs: Mapping[str, dict], batch_size: int) -> dict:
    """`{input name: TensorProto}` of a batch of `batch_size` rows, the `instances` repeated
    in turn, for a signature whose inputs are `{name: {"dtype", "shape"}}` (as
    `seqzoo.tasks.common.model_card.signature_contract` reads them)."""
    import numpy as np
    import tensorflow as tf

    rows = list(itertools.islice(itertools.cycle(instances), batch_size))
    tensors = {}
    for name, spec in inputs.items():
        missing = [k for k, row in enumerate(instances) if name not in row]
        if missing:
            raise UsageError(f"the example request of signature {signature!r} has no {name!r} in instance "
                             f"{missing[0]}; TensorFlow Serving would refuse its warm-up: complete the task's "
                             "example_requests.")
        dtype = tf.dtypes.as_dtype(spec["dtype"])
        values = [_value(row[name]) for row in rows]
        array = np.array(values, dtype=object if dtype == tf.string else dtype.as_numpy_dtype)
        shape = spec.get("shape")
        if shape is not None and array.ndim != len(shape):
            raise UsageError(f"the example request of signature {signature!r} gives {name!r} {array.ndim - 1} "
                             f"dimension(s) per instance, but the signature takes {len(shape) - 1}.")
        tensors[name] = tf.make_tensor_proto(array, dtype=dtype)
    return tensors


def warmup_records(example_requests: Mapping[str, dict], contract: Mapping[str, dict],
                   batch_sizes=WARMUP_BATCH_SIZES) -> list[bytes]:
    """The serialized `PredictionLog`s: for each signature of `contract` that
    `example_requests` (`{signature: REST body with "instances"}`, as in the model card)
    covers, one request per batch size."""
    records = []
    for signature, body in example_requests.items():
        instances = (body or {}).get("instances") if isinstance(body, dict) else body
        if signature not in contract or not instances:
            continue
        for batch_size in batch_sizes:
            inputs = warmup_inputs(signature, instances, contract[signature]["inputs"], batch_size)
            records.append(prediction_log(signature, inputs))
    return records[:MAX_RECORDS]


def write_warmup_requests(export_dir: str | Path, example_requests: Mapping[str, dict],
                          contract: Mapping[str, dict]) -> Path | None:
    """Write `export_dir/assets.extra/tf_serving_warmup_requests` (see `warmup_records`);
    returns its path, or None when no signature has an example request."""
    import tensorflow as tf

    records = warmup_records(example_requests, contract)
    if not records:
        return None
    path = Path(export_dir) / WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for record in records:
            writer.write(record)
    return path
