"""What saving the training state (for `seqzoo train --resume`) costs: the wall time of
`Task.fit` with a run directory at three checkpoint intervals, against no run directory.

    python benchmarks/checkpoint_overhead.py [--arch gru] [--epochs 3] [--repeats 3] [--every 10]

A sentiment model (default GRU, every other setting at its default: batch 64,
bucketing, dropout 0.2) trains on the built-in `negation-reviews` for `--epochs` epochs,
through `task.fit(train, valid, run_dir=..., epochs=...)`, in four ways:

- `run_dir=None`: nothing written (no training state, no best checkpoint, no
  `history.csv`, no TensorBoard logs): the reference;
- `checkpoint_every=0`: the training state at epoch ends only;
- `checkpoint_every=None` (the default): also every 300 s of training within an epoch;
  a run shorter than that saves at epoch ends only, so the script also times each save
  and prints what the default interval costs a long run (one save per 300 s);
- `checkpoint_every=--every` steps: an aggressive interval.

The runs with a run directory also write what any run directory gets (the best
weights when the validation loss improves, `history.csv`, TensorBoard logs), so their
overhead against `run_dir=None` is all of that; the time spent inside the training
state saves alone (`TrainingLoop.save`, timed by wrapping it here) is printed beside it.
Each way runs `--repeats` times, the ways taking turns (the order rotating) so a change
in the machine's load falls on all of them alike; every run builds the model afresh
with the same seed, and its time includes compiling. Prints the median and the best
(shortest) wall time and the median CPU time (of all the process's threads: less sensitive to other jobs on a shared
machine) of each way, their overhead in % of the reference, the number of state saves
and the time spent in them (in % of the run: the overhead that does not drown in the
run-to-run noise of a loaded machine), and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqzoo.tasks.common import training_loop  # noqa: E402
from seqzoo.tasks.common.runtime import runtime_scope  # noqa: E402
from seqzoo.tasks.common.training_state import state_path  # noqa: E402
from seqzoo.tasks.registry import get_task  # noqa: E402
from seqzoo.tasks.sentiment.config import SentimentConfig  # noqa: E402

SAVES: list[float] = []  # seconds of each training-state save of the current run
_save = training_loop.TrainingLoop.save


def _timed_save(self, *args, **kwargs):
    started = time.perf_counter()
    try:
        return _save(self, *args, **kwargs)
    finally:
        SAVES.append(time.perf_counter() - started)


training_loop.TrainingLoop.save = _timed_save


def one_run(jobs, splits, args, every, with_run_dir: bool) -> tuple[float, float, list[float], int]:
    """(wall seconds of task.fit, its CPU seconds (all threads), seconds of each state
    save, state file bytes)."""
    config = SentimentConfig(arch=args.arch, epochs=args.epochs, checkpoint_every=every, seed=0)
    with runtime_scope(config):
        task = jobs.build_task(config, splits["train"])
    run_dir = tempfile.mkdtemp(prefix="seqzoo-checkpoint-bench-") if with_run_dir else None
    SAVES.clear()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        task.fit(splits["train"], splits["valid"], run_dir=run_dir, epochs=args.epochs, verbose=0)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = state_path(run_dir).stat().st_size if run_dir else 0
    finally:
        if run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)
    keras.backend.clear_session()
    return seconds, cpu, list(SAVES), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="gru")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--every", type=int, default=10, help="the aggressive interval, in steps")
    args = parser.parse_args()
    tf.get_logger().setLevel("ERROR")

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"GPU: {bool(tf.config.list_physical_devices('GPU'))}, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    jobs = get_task("sentiment").jobs()
    splits = jobs.load_splits(SentimentConfig(arch=args.arch))
    steps = -(-len(splits["train"].texts) // SentimentConfig().batch_size)
    print(f"sentiment {args.arch}, {len(splits['train'].texts)} training texts (about {steps} steps per epoch, "
          f"bucketed), {args.epochs} epochs, {args.repeats} runs of each way, taking turns", flush=True)

    ways = [
        ("run_dir=None (nothing saved)", None, False),
        ("checkpoint_every=0 (epoch ends)", 0, True),
        ("checkpoint_every=None (default, 300 s)", None, True),
        (f"checkpoint_every={args.every} (steps)", args.every, True),
    ]
    runs = {name: [] for name, _, _ in ways}
    cpus = {name: [] for name, _, _ in ways}
    saves = {name: [] for name, _, _ in ways}
    sizes = {}
    started = time.perf_counter()
    for repeat in range(args.repeats):
        order = ways[repeat % len(ways):] + ways[:repeat % len(ways)]
        for name, every, with_run_dir in order:
            seconds, cpu, save_times, size = one_run(jobs, splits, args, every, with_run_dir)
            runs[name].append(seconds)
            cpus[name].append(cpu)
            saves[name].append(save_times)
            sizes[name] = size
            print(f"  run {repeat + 1}: {name:<40} {seconds:6.2f} s (CPU {cpu:6.2f} s), {len(save_times)} state saves "
                  f"({sum(save_times) * 1000:.0f} ms)", flush=True)

    reference = statistics.median(runs[ways[0][0]])
    cpu_reference = statistics.median(cpus[ways[0][0]])
    all_saves = [t for name in runs for run in saves[name] for t in run]
    per_save = statistics.median(all_saves) if all_saves else 0.0
    print()
    best_reference = min(runs[ways[0][0]])
    print(f"{'way':<40} {'median s':>9} {'overhead':>9} {'best s':>7} {'overhead':>9} {'CPU s':>7} {'overhead':>9} "
          f"{'saves':>6} {'in saves':>9} {'of the run':>10}")
    for name, _, _ in ways:
        median = statistics.median(runs[name])
        best = min(runs[name])
        cpu = statistics.median(cpus[name])
        count = statistics.median(len(run) for run in saves[name])
        in_saves = statistics.median(sum(run) for run in saves[name])
        print(f"{name:<40} {median:>9.2f} {100 * (median / reference - 1):>8.1f}% {best:>7.2f} "
              f"{100 * (best / best_reference - 1):>8.1f}% {cpu:>7.2f} "
              f"{100 * (cpu / cpu_reference - 1):>8.1f}% {count:>6.0f} "
              f"{in_saves * 1000:>7.0f}ms {100 * in_saves / median:>9.2f}%")
        if name != ways[0][0]:
            print("BENCHMARK-RESULT " + json.dumps({"benchmark": "checkpoint_overhead", "case": f"{args.arch} fit, {name}",
                                                    "seqzoo": round(median, 3), "reference": round(reference, 3),
                                                    "ratio": round(reference / median, 3), "unit": "s"}))
    size = max(sizes.values())
    print(f"one training-state save: median {per_save * 1000:.0f} ms ({size / 1e6:.2f} MB file); at the default "
          f"interval a long run saves once per {training_loop.DEFAULT_CHECKPOINT_SECONDS:.0f} s of training: "
          f"{100 * per_save / training_loop.DEFAULT_CHECKPOINT_SECONDS:.3f}% of its time, plus one save per epoch")
    print(f"total {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
