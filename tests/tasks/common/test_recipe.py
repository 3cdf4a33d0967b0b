import numpy as np
import keras

from seqzoo.tasks.common.recipe import DivergenceGuard, make_optimizer


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


def test_the_time_budget_keeps_back_the_next_batch_and_the_last_validation_pass():
    """On a fake clock: a 10 s budget, batches of 1 s, validation passes of 3 s. Without
    the reserves, a second epoch would train until 10 s and its validation end at 13 s."""
    from seqzoo.tasks.common.recipe import TimeBudget

    def fit(batches_per_epoch: int) -> tuple[list[int], float]:
        """Epochs of up to `batches_per_epoch` 1 s batches, each followed by a 3 s
        validation pass, as Keras calls the callback; (batches per epoch, time at the end)."""
        now = [0.0]
        budget = TimeBudget(10.0, report=lambda message: None, clock=lambda: now[0])
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.stop_training = False
        budget.set_model(model)
        budget.on_train_begin()
        ran = []
        while not model.stop_training:
            budget.on_epoch_begin(len(ran))
            ran.append(0)
            while ran[-1] < batches_per_epoch and not model.stop_training:
                now[0] += 1.0
                ran[-1] += 1
                budget.on_train_batch_end(ran[-1])
            budget.on_test_begin()
            now[0] += 3.0
            budget.on_test_end()
            budget.on_epoch_end(len(ran))
        return ran, now[0]

    # Epoch 1 ends at 7 s; another batch and validation would end at 11 s: no epoch 2.
    assert fit(4) == ([4], 7.0)
    # Short epochs: the second stops after one batch (a second one and the validation
    # would end at 10 s, the budget itself).
    assert fit(2) == ([2, 1], 9.0)
    # One long epoch: its validation pass is not known yet, so it alone overruns.
    assert fit(20) == ([9], 12.0)


def test_the_time_budget_does_not_claim_a_stop_that_the_last_epoch_made():
    from seqzoo.tasks.common.recipe import TimeBudget

    now = [0.0]
    budget = TimeBudget(10.0, report=lambda message: None, clock=lambda: now[0])
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.stop_training = False
    budget.set_model(model)
    budget.set_params({"epochs": 1})
    budget.on_train_begin()
    budget.on_epoch_begin(0)
    now[0] += 1.0
    budget.on_train_batch_end(0)
    now[0] += 8.5  # a long validation pass: no time left, but training ends here anyway
    budget.on_epoch_end(0)
    budget.on_train_end()
    assert not budget.stopped and model.time_budget_reached is False
