"""`--mixed-precision` for every task: the model computes in bfloat16 (or float16 with
loss scaling), keeps its variables, logits and loss in float32, learns a toy problem,
and saves, loads and exports as any run (the export serves float32)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from seqzoo.data.builtin_digit_captions import load_digit_strings
from seqzoo.data.readers import LabelledTexts
from seqzoo.tasks.common.runtime import runtime_scope
from seqzoo.tasks.registry import get_task

from tests.tasks.helpers import reversal_pairs, toy_reviews

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _reviews(count):
    rows = toy_reviews(count)
    return LabelledTexts([text for text, _ in rows], [label for _, label in rows], source="toy")


CASES = {
    # task: (config overrides, training data, validation data, what "learnt" means)
    "sentiment": ({"arch": "gru", "units": 16, "embedding_dim": 16, "epochs": 6, "learning_rate": 1e-2},
                  lambda: _reviews(256), lambda: _reviews(64)),
    "language-model": ({"arch": "gru", "units": 32, "embedding_dim": 16, "epochs": 4, "window": 20,
                        "batch_size": 8}, lambda: "abcdefgh " * 300, lambda: "abcdefgh " * 40),
    "translation": ({"arch": "bahdanau", "units": 32, "embedding_dim": 16, "epochs": 6, "learning_rate": 1e-2,
                     "batch_size": 32}, lambda: reversal_pairs(400), lambda: reversal_pairs(64, seed=1)),
    "captioning": ({"units": 16, "embedding_dim": 8, "epochs": 5, "batch_size": 16, "learning_rate": 1e-2},
                   lambda: load_digit_strings(size=96), lambda: load_digit_strings(size=32, seed=1)),
}


def _config(task, **overrides):
    return get_task(task).config_class(**overrides)


@pytest.fixture(scope="module", params=list(CASES))
def trained(request, tmp_path_factory):
    """(task name, task trained under mixed_bfloat16, its history, its run directory)."""
    name = request.param
    overrides, train, valid = CASES[name]
    config = _config(name, mixed_precision="bfloat16", **overrides)
    jobs = get_task(name).jobs()
    with runtime_scope(config):
        task = jobs.build_task(config, train())
        history = task.fit(train(), valid(), verbose=0)
    run_dir = tmp_path_factory.mktemp(name) / "run"
    task.save(run_dir)
    return name, task, history, run_dir


def test_the_policy_is_only_set_while_building():
    with runtime_scope(_config("sentiment", mixed_precision="float16")):
        assert keras.config.dtype_policy().name == "mixed_float16"
    assert keras.config.dtype_policy().name == "float32"


def test_bfloat16_computes_low_keeps_float32_variables_and_learns(trained):
    name, task, history, _ = trained
    policies = {layer.dtype_policy.name for layer in task.model._flatten_layers() if layer.weights}
    assert "mixed_bfloat16" in policies
    assert {v.dtype for v in task.model.trainable_variables} == {"float32"}
    losses = history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0] * 0.9, losses


def test_a_bfloat16_run_loads_and_exports_float32_serving(trained, tmp_path):
    name, task, _, run_dir = trained
    again = type(task).load(run_dir)
    assert {v.dtype for v in again.model.trainable_variables} == {"float32"}
    export = task.export(tmp_path / "export")
    script = textwrap.dedent(f"""
        import sys, tensorflow as tf, tensorflow_text  # noqa: F401
        module = tf.saved_model.load({str(export)!r})
        signature = module.signatures["serving_default"]
        floats = [spec.dtype.name for spec in tf.nest.flatten(signature.structured_outputs)
                  if spec.dtype.is_floating]
        inputs = [spec.dtype.name for spec in tf.nest.flatten(signature.structured_input_signature)
                  if spec.dtype.is_floating]
        assert set(floats) <= {{"float32"}} and set(inputs) <= {{"float32"}}, (floats, inputs)
        assert "seqzoo" not in sys.modules
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]


def test_float16_scales_the_loss_and_trains_finite():
    config = _config("sentiment", arch="gru", units=8, embedding_dim=8, epochs=2, mixed_precision="float16")
    jobs = get_task("sentiment").jobs()
    with runtime_scope(config):
        task = jobs.build_task(config, _reviews(128))
        history = task.fit(_reviews(128), _reviews(32), verbose=0)
    assert isinstance(task.model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert all(np.isfinite(history["loss"]))
    logits = task.model(tf.constant([[4, 5, 6]]))
    assert logits.dtype == tf.float32
