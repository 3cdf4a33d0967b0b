import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqzoo.zoo import (
    AttentionPooling,
    MaskedMeanPooling,
    RecurrentEncoder,
    SequenceClassifier,
    TransformerEncoder,
)
from tests.zoo.helpers import (
    ROWS,
    VOCABULARY_SIZE,
    as_numpy,
    assert_config_round_trip,
    assert_keras_file_round_trip,
    pad,
    run_fresh_python,
)

NUM_CLASSES = 3

ENCODERS = {
    "rnn": lambda: RecurrentEncoder(VOCABULARY_SIZE, embedding_dim=4, cell="rnn", units=4),
    "lstm": lambda: RecurrentEncoder(VOCABULARY_SIZE, embedding_dim=8, cell="lstm", units=8),
    "bidirectional_lstm": lambda: RecurrentEncoder(
        VOCABULARY_SIZE, embedding_dim=4, cell="lstm", units=4, bidirectional=True
    ),
    "transformer": lambda: TransformerEncoder(
        VOCABULARY_SIZE, embedding_dim=8, num_layers=1, num_heads=2, intermediate_dim=8,
        max_length=16,
    ),
}


def make_classifier(encoder_name, pooling="last", **kwargs):
    return SequenceClassifier(
        ENCODERS[encoder_name](), num_classes=kwargs.pop("num_classes", NUM_CLASSES),
        pooling=pooling, **kwargs,
    )


def test_input_is_token_ids_and_output_float32_logits():
    model = make_classifier("rnn")
    assert len(model.inputs) == 1
    assert model.inputs[0].name == "token_ids"
    assert model.inputs[0].dtype == "int32"
    assert tuple(model.inputs[0].shape) == (None, None)
    logits = model(pad(ROWS, 5))
    assert tuple(logits.shape) == (2, NUM_CLASSES)
    assert logits.dtype == tf.float32


@pytest.mark.parametrize("encoder_name", ["rnn", "bidirectional_lstm", "transformer"])
@pytest.mark.parametrize("pooling", ["last", "attention", "mean"])
def test_more_padding_gives_identical_logits(encoder_name, pooling):
    model = make_classifier(encoder_name, pooling)
    np.testing.assert_allclose(model(pad(ROWS, 5)), model(pad(ROWS, 9)), atol=1e-5)


def test_last_pooling_reads_the_first_final_state():
    model = make_classifier("bidirectional_lstm", "last")
    ids = pad(ROWS, 6)
    h = model.encoder(ids)[1][0]
    np.testing.assert_allclose(model(ids), model.output_dense(h), atol=1e-6)


@pytest.mark.parametrize(
    "pooling, layer_type", [("attention", AttentionPooling), ("mean", MaskedMeanPooling)]
)
def test_attention_and_mean_pool_the_outputs_over_real_tokens(pooling, layer_type):
    model = make_classifier("rnn", pooling)
    assert isinstance(model.pooling_layer, layer_type)
    ids = pad(ROWS, 6)
    outputs = model.encoder(ids)[0]
    pooled = model.pooling_layer(outputs, mask=ids != 0)
    np.testing.assert_allclose(model(ids), model.output_dense(pooled), atol=1e-6)


def test_dropout_acts_in_training_only():
    model = make_classifier("lstm", "mean", dropout=0.5)
    ids = pad(ROWS, 5)
    inference = as_numpy(model(ids))
    np.testing.assert_array_equal(as_numpy(model(ids, training=False)), inference)
    assert not np.allclose(as_numpy(model(ids, training=True)), inference)


@pytest.fixture
def mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("encoder_name", ["bidirectional_lstm", "transformer"])
def test_mixed_precision_keeps_float32_logits_and_padding_invariance(
    encoder_name, mixed_precision
):
    model = make_classifier(encoder_name, "attention")
    assert model.encoder.compute_dtype == "float16"
    logits = model(pad(ROWS + [[]], 5))
    assert logits.dtype == tf.float32 and np.isfinite(as_numpy(logits)).all()
    np.testing.assert_allclose(logits, model(pad(ROWS + [[]], 9)), atol=1e-3)


def test_rejects_unknown_pooling():
    with pytest.raises(ValueError, match="pooling"):
        make_classifier("rnn", "max")


@pytest.mark.parametrize(
    "encoder_name, pooling", [("rnn", "attention"), ("transformer", "mean"), ("lstm", "last")]
)
def test_config_round_trip_serializes_the_encoder(encoder_name, pooling):
    model = make_classifier(encoder_name, pooling, dropout=0.1, name="classifier")
    config = model.get_config()
    assert config["encoder"]["registered_name"].startswith("seqzoo>")
    json.dumps(config)  # a .keras file stores it as JSON
    assert_config_round_trip(model, pad(ROWS, 5))


@pytest.mark.parametrize("encoder_name", ["rnn", "bidirectional_lstm", "transformer"])
def test_keras_file_round_trip(encoder_name, tmp_path):
    model = make_classifier(encoder_name, "attention")
    loaded = assert_keras_file_round_trip(model, pad(ROWS, 5), tmp_path)
    assert isinstance(loaded, SequenceClassifier)
    assert loaded.encoder.get_config() == model.encoder.get_config()
    assert (loaded.num_classes, loaded.pooling, loaded.dropout) == (NUM_CLASSES, "attention", 0.0)


class ClassifierServer(tf.Module):
    """What an exported classifier looks like to TensorFlow Serving."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="token_ids")])
    def serve(self, token_ids):
        logits = self.model(token_ids, training=False)
        return {"probabilities": tf.nn.softmax(logits, axis=-1)}


@pytest.mark.parametrize("encoder_name", ["rnn", "bidirectional_lstm", "transformer"])
def test_saved_model_gives_the_same_probabilities_in_a_fresh_tensorflow_process(
    encoder_name, tmp_path
):
    model = make_classifier(encoder_name, "attention")
    server = ClassifierServer(model)
    export_dir = tmp_path / "exported"
    tf.saved_model.save(server, str(export_dir), signatures={"serving_default": server.serve})
    batches = [pad([[4, 7, 2]], 3).tolist(), pad(ROWS + [[6, 6, 1, 2]], 7).tolist()]
    stdout = run_fresh_python(
        f"""
        import json
        import tensorflow as tf
        serve = tf.saved_model.load({str(export_dir)!r}).signatures["serving_default"]
        results = []
        for ids in {batches!r}:
            outputs = serve(token_ids=tf.constant(ids, tf.int32))
            results.append(outputs["probabilities"].numpy().tolist())
        print(json.dumps(results))
        """,
        cwd=tmp_path,
    )
    served = json.loads(stdout.strip().splitlines()[-1])
    for ids, probabilities in zip(batches, served):
        expected = keras.ops.softmax(model(np.array(ids, dtype="int32")), axis=-1)
        np.testing.assert_allclose(probabilities, expected, atol=1e-5)
        np.testing.assert_allclose(np.sum(probabilities, axis=-1), 1.0, atol=1e-5)


def token_5_data(count, seed):
    """Sequences of 2-8 tokens; the label says whether token 5 appears."""
    rng = np.random.default_rng(seed)
    others = [1, 2, 3, 4, 6, 7, 8, 9]
    rows, labels = [], []
    for _ in range(count):
        row = list(rng.choice(others, size=rng.integers(2, 9)))
        label = int(rng.random() < 0.5)
        if label:
            row[rng.integers(len(row))] = 5
        rows.append(row)
        labels.append(label)
    return pad(rows, 8), np.array(labels)


@pytest.mark.parametrize("encoder_name", ["lstm", "rnn"])
def test_learns_whether_token_5_appears(encoder_name):
    ids, labels = token_5_data(512, seed=0)
    test_ids, test_labels = token_5_data(256, seed=1)
    model = make_classifier(encoder_name, "last", num_classes=2)
    before = np.mean(np.argmax(model.predict(test_ids, verbose=0), -1) == test_labels)
    model.compile(
        keras.optimizers.Adam(0.02),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(ids, labels, batch_size=32, epochs=4, verbose=0)
    accuracy = np.mean(np.argmax(model.predict(test_ids, verbose=0), -1) == test_labels)
    assert before < 0.8
    assert accuracy > 0.95
