"""Where and how a task trains: tf.distribute strategies, mixed precision, XLA.

Written once for every task: `runtime_scope(config)` is the context a task's model is
built, compiled and trained in, and `jit_compile_for(config, architecture)` the XLA
choice `Task.compile` passes to Keras.

- `--distribute mirrored`: `tf.distribute.MirroredStrategy` over every local GPU (or
  the `--devices` named, e.g. two logical CPUs `CPU:0,CPU:1`). `--batch-size` is the
  global batch: each of N replicas computes batch / N examples, and the gradients are
  summed across replicas, so one step does the work of one single-device step.
- `--distribute multi-worker`: `tf.distribute.MultiWorkerMirroredStrategy`, its cluster
  read from `TF_CONFIG` (as Kubeflow's TFJob and Vertex AI set it). Only the chief
  writes the run directory; the other workers write into a temporary folder that is
  removed when they end (`worker_output`).
- `--mixed-precision float16|bfloat16`: Keras' `mixed_float16` / `mixed_bfloat16`
  policy while the model is built; the zoo keeps logits, softmaxes and losses in
  float32, and `compile` wraps the optimizer in a `LossScaleOptimizer` for float16.
- `--jit-compile auto|on|off`: `auto` is no XLA on CPU, where it was measured slower for
  every architecture once its compilations are counted (`benchmarks/training_throughput.py`,
  `docs/performance.md`), and, on GPU, XLA only for
  models without a recurrent layer (XLA would replace cuDNN's kernels with loops). A
  language model that carries its state (`--tbptt`) never uses XLA.

Examples:

>>> from seqzoo.tasks.sentiment.config import SentimentConfig
>>> with runtime_scope(SentimentConfig(mixed_precision="bfloat16")):
...     import keras
...     keras.config.dtype_policy().name
'mixed_bfloat16'
>>> import keras; keras.config.dtype_policy().name
'float32'
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from seqzoo.tasks.common.errors import UsageError

POLICIES = {"off": None, "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}
_strategies: dict = {}


def _tf():
    import tensorflow as tf

    return tf


def configure_cpu_devices(devices: str | None) -> None:
    """Split the CPU into as many logical devices as `devices` names ("CPU:0,CPU:1"),
    before TensorFlow starts; a GPU list needs nothing."""
    names = [name.strip() for name in (devices or "").split(",") if name.strip()]
    cpus = [name for name in names if name.upper().split(":")[0].lstrip("/").endswith("CPU")]
    if len(cpus) < 2:
        return
    tf = _tf()
    physical = tf.config.list_physical_devices("CPU")  # (listing logical devices would start TensorFlow)
    try:
        tf.config.set_logical_device_configuration(
            physical[0], [tf.config.LogicalDeviceConfiguration() for _ in cpus])
    except RuntimeError:
        if len(tf.config.list_logical_devices("CPU")) >= len(cpus):
            return  # made earlier in this process
        raise UsageError(f"--devices {devices}: the logical CPU devices must be made before TensorFlow starts; "
                         "run seqzoo in a new process (or call configure_cpu_devices first).") from None


def strategy_for(config):
    """The `tf.distribute.Strategy` of `config.distribute` (None for "none"), made once
    per process."""
    distribute = getattr(config, "distribute", "none") or "none"
    if distribute == "none":
        return None
    devices = getattr(config, "devices", None)
    key = (distribute, devices)
    if key in _strategies:
        return _strategies[key]
    tf = _tf()
    if distribute == "mirrored":
        configure_cpu_devices(devices)
        names = [name.strip() for name in devices.split(",") if name.strip()] if devices else None
        if names:
            known = {d.name.split("device:")[-1].upper() for d in tf.config.list_logical_devices()}
            for name in names:
                if name.upper().lstrip("/").split("DEVICE:")[-1] not in known:
                    raise UsageError(f"--devices {devices}: there is no device {name} here "
                                     f"(there are {', '.join(sorted(known))}).")
        strategy = tf.distribute.MirroredStrategy(devices=names)
    elif distribute == "multi-worker":
        if not os.environ.get("TF_CONFIG"):
            raise UsageError("--distribute multi-worker needs TF_CONFIG, the cluster and this worker's place in it "
                             "(see docs/training-at-scale.md).")
        try:
            json.loads(os.environ["TF_CONFIG"])
        except ValueError as error:
            raise UsageError(f"TF_CONFIG is not JSON ({error}).") from None
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        raise UsageError(f"--distribute {distribute!r}: use none, mirrored or multi-worker.")
    _strategies[key] = strategy
    return strategy


def describe_strategy(strategy, batch_size: int) -> str:
    """The line printed before training under a strategy: replicas, devices, batches."""
    replicas = strategy.num_replicas_in_sync
    devices = ", ".join(getattr(strategy.extended, "worker_devices", ()) or ())
    per_replica = batch_size / replicas
    shown = f"{per_replica:g}" if per_replica == int(per_replica) else f"about {per_replica:.1f}"
    return (f"training on {replicas} replicas ({type(strategy).__name__}: {devices}); --batch-size {batch_size} "
            f"is the global batch, {shown} examples per replica")


@contextlib.contextmanager
def runtime_scope(config):
    """The context to build, compile and train `config`'s model in: its distribution
    strategy's scope and its mixed-precision policy (the previous policy comes back)."""
    import keras

    policy = POLICIES.get(getattr(config, "mixed_precision", "off") or "off")
    strategy = strategy_for(config)
    previous = keras.config.dtype_policy()
    if policy is not None:
        keras.config.set_dtype_policy(policy)
    try:
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            yield strategy
    finally:
        keras.config.set_dtype_policy(previous)


def build_for_distributed_fit(model, train) -> None:
    """Build `model`'s compiled loss, metrics and optimizer from one local batch of
    `train` (an `EpochData` or a dataset) before a distributed `fit`, and skip Keras' own
    symbolic build there. Under `MultiWorkerMirroredStrategy` that build averages a
    distributed batch across workers to learn its shapes, which fails for integer ids
    and for batches whose lengths differ between workers (keras-team/keras#20585)."""
    import tensorflow as tf

    if not tf.distribute.has_strategy() or getattr(model, "_symbolic_build", None) is None:
        return
    batches = train.batches() if hasattr(train, "batches") else train
    first = next(iter(batches.take(1)))
    model._symbolic_build(data_batch=first)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        # Keras averages a step's logs across workers along axis 0, which a scalar lacks
        # (keras-team/keras#20585): give each log an axis of one.
        for name in ("train_step", "test_step"):
            setattr(model, name, _logs_with_an_axis(getattr(model, name)))


def _logs_with_an_axis(step):
    import tensorflow as tf

    def wrapped(data):
        logs = step(data)
        if isinstance(logs, dict):
            return {key: tf.reshape(value, [1]) if getattr(value, "shape", None) is not None
                    and value.shape.rank == 0 else value for key, value in logs.items()}
        return logs

    return wrapped


def on_gpu() -> bool:
    return bool(_tf().config.list_physical_devices("GPU"))


def jit_compile_for(config, recurrent: bool, stateful: bool = False) -> bool:
    """`--jit-compile` resolved: on, off, or for `auto` the mode measured fastest for a
    model (`recurrent`: it has Keras recurrent layers; `stateful`: it carries states
    in variables of changing batch size, which XLA cannot compile)."""
    choice = getattr(config, "jit_compile", "auto") or "auto"
    if stateful:
        if choice == "on":
            raise UsageError("--jit-compile on: a language model that carries its state (--tbptt) cannot be "
                             "compiled with XLA; use --jit-compile off or --no-tbptt.")
        return False
    if choice != "auto":
        return choice == "on"
    if on_gpu():
        return not recurrent  # XLA would replace cuDNN's recurrent kernels with slower loops
    return False  # measured slower on CPU, compilations counted (benchmarks/training_throughput.py)


def is_chief() -> bool:
    """Whether this process writes the run directory: always, except a non-chief worker
    of a multi-worker cluster (the chief, or worker 0 when there is no chief)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    try:
        spec = json.loads(raw)
    except ValueError:
        return True
    task = spec.get("task") or {}
    kind, index = task.get("type"), int(task.get("index", 0))
    if kind == "chief":
        return True
    has_chief = bool((spec.get("cluster") or {}).get("chief"))
    return kind == "worker" and index == 0 and not has_chief


@contextlib.contextmanager
def worker_output(run_dir, config, resume: bool = False):
    """`(folder, chief)`: where this process writes its run. The chief (or a process
    without a cluster) writes `run_dir`; another worker of a multi-worker run writes a
    temporary folder, removed at the end, which for `resume` starts with the chief's
    saved training state (read from `run_dir`, on storage every worker sees), so every
    worker continues from the same step."""
    if getattr(config, "distribute", "none") != "multi-worker" or is_chief():
        yield Path(run_dir), True
        return
    from seqzoo.tasks.common.training_state import STATE_FILE

    scratch = Path(tempfile.mkdtemp(prefix="seqzoo-worker-"))
    try:
        folder = scratch / Path(run_dir).name
        shared = Path(run_dir)
        if resume and (shared / STATE_FILE).is_file():
            (folder / STATE_FILE).parent.mkdir(parents=True)
            for name in ("run.json", "config.json", STATE_FILE):
                if (shared / name).is_file():
                    shutil.copyfile(shared / name, folder / name)
            from seqzoo.tasks.common.output_dirs import write_marker

            write_marker(folder, "run")
        yield folder, False
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
