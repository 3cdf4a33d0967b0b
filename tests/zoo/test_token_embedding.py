import keras
import numpy as np
import pytest

from seqzoo.zoo import TokenEmbedding
from tests.zoo.helpers import (
    ROWS,
    VOCABULARY_SIZE,
    assert_config_round_trip,
    assert_keras_file_round_trip,
    pad,
    wrap_in_model,
)


def test_learned_vectors_are_rows_of_the_table():
    embedding = TokenEmbedding(VOCABULARY_SIZE, 4)
    ids = pad(ROWS, 5)
    vectors = embedding(ids)
    assert tuple(vectors.shape) == (2, 5, 4)
    table = embedding.embeddings.numpy()
    np.testing.assert_array_equal(vectors, table[ids])


def test_mask_is_ids_not_zero():
    embedding = TokenEmbedding(VOCABULARY_SIZE, 4)
    ids = pad(ROWS, 6)
    np.testing.assert_array_equal(embedding.compute_mask(ids), ids != 0)


def test_mask_reaches_the_next_keras_layer():
    inputs = keras.Input((None,), dtype="int32")
    vectors = TokenEmbedding(VOCABULARY_SIZE, 4)(inputs)
    assert vectors._keras_mask is not None
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(vectors))
    # A masked average ignores the padding, so more padding changes nothing.
    np.testing.assert_allclose(model(pad(ROWS, 5)), model(pad(ROWS, 8)), atol=1e-6)


def test_one_hot_mode_gives_identity_rows_and_has_no_weights():
    embedding = TokenEmbedding(VOCABULARY_SIZE, mode="one-hot")
    ids = pad(ROWS, 5)
    vectors = embedding(ids)
    np.testing.assert_array_equal(vectors, np.eye(VOCABULARY_SIZE)[ids])
    assert embedding.weights == []
    assert embedding.output_dim == VOCABULARY_SIZE


def test_load_vectors_assigns_pretrained_rows():
    embedding = TokenEmbedding(VOCABULARY_SIZE, 3)
    matrix = np.arange(VOCABULARY_SIZE * 3, dtype="float32").reshape(VOCABULARY_SIZE, 3)
    embedding.load_vectors(matrix)
    np.testing.assert_array_equal(embedding(np.array([[2, 7]]))[0], matrix[[2, 7]])


def test_load_vectors_rejects_a_wrong_shape_naming_both_shapes():
    embedding = TokenEmbedding(VOCABULARY_SIZE, 3)
    with pytest.raises(ValueError, match=r"\(10, 3\).*\(10, 4\)"):
        embedding.load_vectors(np.zeros((VOCABULARY_SIZE, 4)))


def test_load_vectors_needs_learned_mode():
    with pytest.raises(ValueError, match="learned"):
        TokenEmbedding(VOCABULARY_SIZE, mode="one-hot").load_vectors(np.zeros((10, 10)))


def test_frozen_embeddings_are_not_trained():
    embedding = TokenEmbedding(VOCABULARY_SIZE, 3, trainable_embeddings=False)
    embedding.build((None, None))
    assert embedding.trainable_weights == []
    assert len(embedding.non_trainable_weights) == 1


def test_rejects_unknown_mode_and_missing_dim():
    with pytest.raises(ValueError, match="mode"):
        TokenEmbedding(VOCABULARY_SIZE, 4, mode="sparse")
    with pytest.raises(ValueError, match="embedding_dim"):
        TokenEmbedding(VOCABULARY_SIZE)


@pytest.mark.parametrize("mode", ["learned", "one-hot"])
def test_config_round_trip(mode):
    embedding = TokenEmbedding(VOCABULARY_SIZE, 4, mode=mode, trainable_embeddings=False)
    ids = pad(ROWS, 5)
    embedding(ids)
    assert_config_round_trip(embedding, ids)


def test_keras_file_round_trip(tmp_path):
    model = wrap_in_model(TokenEmbedding(VOCABULARY_SIZE, 4), (None,), dtype="int32")
    assert_keras_file_round_trip(model, pad(ROWS, 5), tmp_path)


def test_train_only_rows_stops_the_gradient_at_the_other_rows_in_the_lookup_and_a_tied_output():
    import tensorflow as tf

    embedding = TokenEmbedding(6, 3)
    embedding.build()
    ids = np.array([[1, 2, 5, 4]], "int32")
    embedding.train_only_rows(np.array([False, False, False, False, True, True]))
    with tf.GradientTape() as tape:
        vectors = embedding(ids)
        logits = tf.matmul(vectors, embedding.table(), transpose_b=True)  # as a tied output layer
        loss = tf.reduce_sum(vectors**2) + tf.reduce_sum(logits)
    gradient = tf.convert_to_tensor(tape.gradient(loss, embedding.embeddings)).numpy()
    assert np.all(gradient[:4] == 0.0) and np.all(np.abs(gradient[4:]).sum(axis=1) > 0)
    np.testing.assert_array_equal(np.asarray(embedding.table()), embedding.embeddings.numpy())
    embedding.train_only_rows(None)  # every row again
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(embedding(ids) ** 2)
    gradient = tf.convert_to_tensor(tape.gradient(loss, embedding.embeddings)).numpy()
    assert np.abs(gradient[[1, 2]]).sum() > 0
    with pytest.raises(ValueError, match="shape \\(6,\\)"):
        embedding.train_only_rows([True, False])
    assert "trainable_rows" not in str(embedding.get_config())  # not saved, like `trainable`
