"""One architecture of a `seqzoo compare`, trained in a child process of its own.

`python -m seqzoo.tasks.compare.worker SPEC.json` reads the spec written by
`seqzoo.tasks.compare.runner` (task, config, run directory, where to put the result), runs the
task's ordinary `train_run` job into the run directory, and writes a result JSON with
what the report needs beyond `metrics.json`: throughput, peak memory, the history, the
task's scores by input length and fingerprints of the vocabulary and splits.

A process per architecture means that an architecture that runs out of memory (killed
by the kernel) or crashes TensorFlow takes only itself down, and that its peak memory is
its own (the process's high-water mark, or the GPU's peak).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from seqzoo.tasks.common.run_directory import atomic_write_json
from seqzoo.tasks.registry import get_task

# Exit code of a worker stopped by Ctrl-C, as a shell reports SIGINT.
INTERRUPTED = 130


def peak_memory() -> dict:
    """The process's peak memory so far: the GPU's peak allocation when TensorFlow runs
    on a GPU, else the peak resident set size (VmHWM) of this process.

    Examples:

    >>> peak_memory()["bytes"] > 0
    True
    """
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        info = tf.config.experimental.get_memory_info(gpus[0].name)
        return {"bytes": int(info["peak"]), "kind": f"peak GPU memory ({gpus[0].name})"}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return {"bytes": int(line.split()[1]) * 1024, "kind": "peak resident memory (VmHWM)"}
    except OSError:
        pass
    import resource  # not Linux: ru_maxrss is in kilobytes (bytes on macOS)

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"bytes": int(maxrss if sys.platform == "darwin" else maxrss * 1024), "kind": "peak resident memory"}


def read_history(run_dir: Path) -> dict[str, list[float]]:
    """`history.csv` as columns of floats (NaN kept), without the epoch column."""
    path = run_dir / "history.csv"
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    names = [name for name in (rows[0] if rows else {}) if name != "epoch"]
    return {name: [float(row[name]) if row[name] not in ("", None) else math.nan for row in rows] for name in names}


def fingerprints(run_dir: Path) -> dict[str, str]:
    """SHA-256 (first 16 hex digits) of each vocabulary and label file of the run: runs
    that share them tokenised the same data the same way."""
    names = sorted(p.name for p in run_dir.glob("*.txt") if "vocabulary" in p.name or p.name == "labels.txt")
    return {name: hashlib.sha256((run_dir / name).read_bytes()).hexdigest()[:16] for name in names}


def run(spec: dict) -> dict:
    """Train one architecture as `spec` says and return the result that `main` writes
    to `spec["result"]`."""
    import keras
    import tensorflow as tf

    task_spec = get_task(spec["task"])
    jobs = task_spec.jobs()
    config = task_spec.config_class.from_dict(spec["config"])
    # The same seed must give the same numbers: seeded initialisation and shuffling,
    # and kernels that do not reorder floating-point sums from run to run.
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    run_dir = Path(spec["run_dir"])
    started = time.perf_counter()
    # The comparison trains again what it did not keep: a run stopped midway continues
    # from its training state, a finished one it did not keep is trained anew.
    from seqzoo.tasks.common.output_dirs import UNFINISHED, run_status

    resume = bool(spec.get("resume")) and run_dir.is_dir() and run_status(run_dir) == UNFINISHED
    task, metrics = jobs.train_run(config, run_dir, overwrite=bool(spec.get("overwrite")),
                                   verbose=spec.get("verbose", "auto"), resume=resume)
    # Read once here for the measurements (train_run read them for itself).
    splits = jobs.load_splits(config)
    items, unit, sizes, extra = jobs.measure(task, config, splits)
    history = read_history(run_dir)
    epochs = float(metrics.get("epochs", 0))
    steps = int(task.model.optimizer.iterations.numpy())
    stopped_by = _stopped_by(history, config, getattr(task.model, "time_budget_reached", False))
    if stopped_by in ("time budget", "divergence"):
        # The last epoch was cut short: count epochs by training steps instead.
        per_epoch = _batches_per_epoch(jobs, task, splits)
        epochs = steps / per_epoch if per_epoch else epochs
    # Training batches only (TrainingClock); validation passes are not training work.
    clocked = [v for v in history.get("train_seconds", []) if math.isfinite(v)]
    seconds = sum(clocked) if clocked else float(metrics.get("training_seconds") or 0.0)
    result = {
        "status": "diverged" if stopped_by == "divergence" else "ok",
        "reason": _divergence_reason(history) if stopped_by == "divergence" else None,
        "metrics": metrics,
        "history": history,
        "stopped_by": stopped_by,
        "epochs_trained": round(epochs, 3),
        "training_steps": steps,
        "throughput": {"value": round(items * epochs / seconds, 2) if seconds else None, "unit": f"{unit}/s",
                       "items_per_epoch": items, "training_batch_seconds": round(seconds, 2)},
        "memory": peak_memory(),
        "fingerprints": fingerprints(run_dir),
        "splits": sizes,
        "worker_seconds": round(time.perf_counter() - started, 2),
        **extra,
    }
    return result


def _batches_per_epoch(jobs, task, splits) -> int:
    """Batches in one pass over the training data, counted by reading it once."""
    dataset = jobs.training_batches(task, splits["train"], shuffle=False)
    return int(dataset.reduce(0, lambda count, _: count + 1).numpy())


def _stopped_by(history: dict, config, budget_reached: bool = False) -> str:
    losses = history.get("loss", [])
    if any(not math.isfinite(v) for v in losses):
        return "divergence"
    if budget_reached:
        return "time budget"
    if len(losses) < config.epochs:
        return "early stopping"
    return "epochs"


def _divergence_reason(history: dict) -> str:
    losses = history.get("loss", [])
    bad = next(i for i, v in enumerate(losses) if not math.isfinite(v))
    restored = f"the weights after epoch {bad}" if bad else "the initial weights"
    return f"training loss became NaN or infinite in epoch {bad + 1}; evaluated with {restored}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    from seqzoo.tasks.common.cli_support import import_tensorflow_quietly, user_errors

    # The parent's own quiet import set TF_CPP_MIN_LOG_LEVEL, which would make the
    # worker show TensorFlow's start-up chatter once per run: hide it here too.
    level = os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
    import_tensorflow_quietly()
    if level is not None:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = level
    try:
        result = run(spec)
    except KeyboardInterrupt:
        # The parent passes Ctrl-C on as well: a second one must not cut this note short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        atomic_write_json(spec["result"], {"status": "interrupted", "reason": "stopped by Ctrl-C"})
        return INTERRUPTED
    except Exception as error:
        user_error = isinstance(error, user_errors())
        reason = str(error) if user_error else f"{type(error).__name__}: {error}"
        if "OOM" in type(error).__name__ or "out of memory" in str(error).lower():
            reason = f"out of memory: {reason}"
        if not user_error:
            traceback.print_exc()
        atomic_write_json(spec["result"], {"status": "failed", "reason": reason.strip().splitlines()[0][:500]})
        return 1
    atomic_write_json(spec["result"], result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
