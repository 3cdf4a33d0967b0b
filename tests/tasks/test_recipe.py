import numpy as np
import keras

from seqzoo.tasks.recipe import DivergenceGuard, make_optimizer


def test_divergence_restores_the_last_good_weights_and_says_so():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    messages = []
    guard = DivergenceGuard(report=messages.append)

    class Explode(keras.callbacks.Callback):
        # Two good epochs, then the weights become NaN mid-training.
        def on_epoch_end(self, epoch, logs=None):
            self.saved = [w.copy() for w in self.model.get_weights()] if epoch == 1 else getattr(self, "saved", None)

        def on_train_batch_begin(self, batch, logs=None):
            if self.params and getattr(self, "epoch", 0) >= 2:
                self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    explode = Explode()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=5, verbose=0, callbacks=[explode, guard])
    assert guard.diverged
    assert messages and "NaN" in messages[0] and "epoch 2" in messages[0]
    for restored, good in zip(model.get_weights(), explode.saved):
        np.testing.assert_array_equal(restored, good)


def test_clipping_is_a_global_norm():
    assert make_optimizer(1e-3, 1.0).global_clipnorm == 1.0
    assert make_optimizer(1e-3, None).global_clipnorm is None
