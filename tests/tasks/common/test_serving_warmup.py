"""TensorFlow Serving's warm-up requests in every export: the file parses as Serving reads
it (a TFRecord file of `tensorflow.serving.PredictionLog`, parsed with
tensorflow-serving-api's own classes) and every request runs through the signature it
names in the loaded SavedModel."""

from __future__ import annotations

import pytest

serving = pytest.importorskip(
    "tensorflow_serving.apis.prediction_log_pb2",
    reason="tensorflow-serving-api (the test extra: pip install -e '.[test]') parses the warm-up file as "
           "TensorFlow Serving does")

import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import tensor_pb2  # noqa: E402

from seqzoo.tasks.common.errors import UsageError  # noqa: E402
from seqzoo.tasks.common.model_card import example_request, signature_contract  # noqa: E402
from seqzoo.tasks.common.serving_warmup import (  # noqa: E402
    MAX_RECORDS, WARMUP_BATCH_SIZES, WARMUP_FILE, prediction_log, warmup_records, write_warmup_requests)
from seqzoo.tasks.registry import get_task  # noqa: E402
from tests.tasks.helpers import tiny_untrained_tasks  # noqa: E402


def read_warmup_file(export_dir) -> list:
    """The PredictionLogs of an export, read the way TensorFlow Serving reads them."""
    logs = []
    for record in tf.data.TFRecordDataset(str(export_dir / WARMUP_FILE)):
        log = serving.PredictionLog()
        log.ParseFromString(record.numpy())
        logs.append(log)
    return logs


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("warmup")
    built = tiny_untrained_tasks()
    return {name: built[name].export(root / name)
            for name in ("sentiment", "language-model", "translation", "captioning")}


def test_every_export_has_warmup_requests_that_run_through_their_signatures(exports):
    for task, export_dir in exports.items():
        logs = read_warmup_file(export_dir)
        contract = signature_contract(export_dir)
        assert all(log.WhichOneof("log_type") == "predict_log" for log in logs), task
        requests = [log.predict_log.request for log in logs]
        # One request per signature and batch size, every signature covered.
        assert sorted((r.model_spec.signature_name, len(tf.make_ndarray(next(iter(r.inputs.values())))))
                      for r in requests) == sorted((s, b) for s in contract for b in WARMUP_BATCH_SIZES), task
        model = tf.saved_model.load(str(export_dir))
        for request in requests:
            signature = request.model_spec.signature_name
            assert sorted(request.inputs) == sorted(contract[signature]["inputs"]), (task, signature)
            inputs = {name: tf.constant(tf.make_ndarray(proto)) for name, proto in request.inputs.items()}
            for name, tensor in inputs.items():
                assert tensor.dtype.name == contract[signature]["inputs"][name]["dtype"], (task, name)
            batch = int(next(iter(inputs.values())).shape[0])
            outputs = model.signatures[signature](**inputs)
            assert sorted(outputs) == sorted(contract[signature]["outputs"]), (task, signature)
            assert all(int(value.shape[0]) == batch for value in outputs.values()), (task, signature)


def test_the_requests_are_the_tasks_example_requests(exports):
    logs = read_warmup_file(exports["translation"])
    texts = [i["text"] for i in get_task("translation").example_requests["serving_default"]]
    batches = [tf.make_ndarray(log.predict_log.request.inputs["text"]).tolist() for log in logs]
    assert batches == [[t.encode() for t in texts[:1]], [t.encode() for t in (texts * 4)[:8]]]
    settings = get_task("language-model").example_requests["generate"][0]
    generate = next(log.predict_log.request for log in read_warmup_file(exports["language-model"])
                    if log.predict_log.request.model_spec.signature_name == "generate")
    assert tf.make_ndarray(generate.inputs["top_p"])[0] == pytest.approx(settings["top_p"])
    assert tf.make_ndarray(generate.inputs["prompt"])[0] == settings["prompt"].encode()
    # Captioning's documented instance is a placeholder, not base64: a PNG is sent instead.
    image = read_warmup_file(exports["captioning"])[0].predict_log.request.inputs["image"]
    assert tf.make_ndarray(image)[0].startswith(b"\x89PNG\r\n\x1a\n")


def test_the_wire_format_is_the_one_of_tensorflow_servings_own_classes():
    inputs = {"text": tf.make_tensor_proto([b"a", b"b c"]), "seed": tf.make_tensor_proto([1, 2], tf.int32)}
    log = serving.PredictionLog()
    log.predict_log.request.model_spec.signature_name = "generate"
    for name, proto in inputs.items():
        log.predict_log.request.inputs[name].CopyFrom(proto)
    ours = prediction_log("generate", inputs)
    assert ours == log.SerializeToString(deterministic=True)
    parsed = serving.PredictionLog.FromString(ours)
    assert parsed == log and isinstance(parsed.predict_log.request.inputs["seed"], tensor_pb2.TensorProto)


CONTRACT = {"serving_default": {"inputs": {"text": {"dtype": "string", "shape": [None]}}},
            "other": {"inputs": {"text": {"dtype": "string", "shape": [None]},
                                 "k": {"dtype": "int32", "shape": [None]}}}}


def test_signatures_without_example_requests_get_none_and_an_incomplete_one_is_refused(tmp_path):
    body = example_request(get_task("sentiment"))
    assert len(warmup_records({"serving_default": body, "absent": body}, CONTRACT)) == len(WARMUP_BATCH_SIZES)
    assert write_warmup_requests(tmp_path, {}, CONTRACT) is None and not (tmp_path / WARMUP_FILE).exists()
    with pytest.raises(UsageError, match="'other' has no 'k' in instance 0"):
        warmup_records({"other": {"instances": [{"text": "x"}]}}, CONTRACT)
    many = {f"s{k}": body for k in range(600)}
    assert len(warmup_records(many, {name: CONTRACT["serving_default"] for name in many})) == MAX_RECORDS
