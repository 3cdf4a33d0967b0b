"""`--distribute mirrored` on two logical CPU devices against one device: the same
sentiment training, loss curve by loss curve, and the time per epoch of each.

    python benchmarks/distributed_cpu.py [--arch gru] [--epochs 3] [--repeats 2] [--dropout 0.0]

The CPU is split into two logical devices (`configure_cpu_devices("CPU:0,CPU:1")`,
before TensorFlow starts), then a sentiment model (default GRU, default sizes, batch
64, bucketing) trains on the built-in `negation-reviews` through `task.fit` with
`distribute="none"` and with `distribute="mirrored", devices="CPU:0,CPU:1"`, each with a
temporary run directory (so the training state is saved as in `seqzoo train`, and the
epochs' training seconds are read from its `history.csv`): the same
global batch (each of the two replicas computes half of it, and their gradients are
summed), the same seed, so the same batches and initial weights. Dropout is off by
default, so that no per-replica random stream enters the comparison. Prints both loss
curves (training and validation) side by side, their largest absolute difference, the
training seconds per epoch of each (the first epoch, which traces the step, apart) and
their ratio, and the machine. Both logical devices share the same physical cores, so
no speed-up is to be expected: this checks that the distributed path trains as one
device does, and what its bookkeeping costs. With `--repeats 2` the two ways run
twice, in turns (none, mirrored, mirrored, none), and the times are medians.

After a mirrored fit, freeing its objects waits, idle, for tens of seconds in the
destructors of its tf.data iterators (TensorFlow 2.21; at interpreter exit it can take
minutes). The script collects garbage after each fit, outside the timed part, prints
how long that took, and ends with `os._exit` once it has printed everything.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from seqzoo.tasks.common.runtime import configure_cpu_devices  # noqa: E402

configure_cpu_devices("CPU:0,CPU:1")  # before any TensorFlow op

import argparse  # noqa: E402
import csv  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqzoo.tasks.common.runtime import runtime_scope  # noqa: E402
from seqzoo.tasks.registry import get_task  # noqa: E402
from seqzoo.tasks.sentiment.config import SentimentConfig  # noqa: E402

DEVICES = "CPU:0,CPU:1"


def train(jobs, splits, args, distribute: str) -> tuple[dict, float, int]:
    config = SentimentConfig(arch=args.arch, epochs=args.epochs, seed=0, dropout=args.dropout,
                             batch_size=args.batch_size, distribute=distribute,
                             devices=DEVICES if distribute != "none" else None)
    run_dir = Path(tempfile.mkdtemp(prefix="seqzoo-distributed-bench-"))
    try:
        with runtime_scope(config) as strategy:
            task = jobs.build_task(config, splits["train"])
            started, cpu = time.perf_counter(), time.process_time()
            history = task.fit(splits["train"], splits["valid"], run_dir=run_dir, epochs=args.epochs, verbose=0)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if "train_seconds" not in history:
            # The run directory's history.csv has each epoch's training seconds (TrainingClock).
            with open(run_dir / "history.csv", newline="") as handle:
                history["train_seconds"] = [float(row["train_seconds"]) for row in csv.DictReader(handle)]
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    history["cpu_seconds"] = cpu
    return history, seconds, replicas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="gru")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64, help="the global batch")
    parser.add_argument("--dropout", type=float, default=0.0)
    args = parser.parse_args()
    tf.get_logger().setLevel("ERROR")

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"GPU: {bool(tf.config.list_physical_devices('GPU'))}, logical devices "
          f"{', '.join(d.name.split('device:')[-1] for d in tf.config.list_logical_devices('CPU'))}, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    jobs = get_task("sentiment").jobs()
    splits = jobs.load_splits(SentimentConfig(arch=args.arch))
    print(f"sentiment {args.arch}, {len(splits['train'].texts)} training texts, global batch {args.batch_size}, "
          f"dropout {args.dropout}, {args.epochs} epochs, seed 0", flush=True)

    order = ["none", "mirrored", "mirrored", "none"] if args.repeats >= 2 else ["none", "mirrored"]
    order = (order * ((args.repeats + 1) // 2))[: 2 * args.repeats]
    histories, walls, replicas = {}, {"none": [], "mirrored": []}, {}
    cleanup = {"none": [], "mirrored": []}
    failure = None
    for distribute in order:
        try:
            history, seconds, count = train(jobs, splits, args, distribute)
        except Exception:  # report it as it is, for the lead
            failure = traceback.format_exc()
            print(f"distribute={distribute} failed:\n{failure}", flush=True)
            break
        histories.setdefault(distribute, []).append(history)
        walls[distribute].append(seconds)
        replicas[distribute] = count
        # Collect the finished run's objects here, outside the timed fits: after a
        # mirrored fit this waits, idle, in the destructors of its tf.data iterators.
        started, cpu = time.perf_counter(), time.process_time()
        gc.collect()
        cleanup[distribute].append(time.perf_counter() - started)
        print(f"  distribute={distribute:<9} {count} replica(s), task.fit {seconds:.1f} s "
              f"(CPU {history['cpu_seconds']:.1f} s), training seconds per epoch "
              f"{', '.join(f'{s:.1f}' for s in history['train_seconds'])}; then gc.collect() "
              f"{cleanup[distribute][-1]:.1f} s (CPU {time.process_time() - cpu:.1f} s)", flush=True)
    if "none" not in histories or "mirrored" not in histories:
        print("no comparison: a run failed (above)")
        return

    one, two = histories["none"][0], histories["mirrored"][0]
    print()
    print(f"{'epoch':>5}  {'loss none':>10} {'loss mirr.':>10} {'|diff|':>9}  {'val none':>10} {'val mirr.':>10} "
          f"{'|diff|':>9}  {'acc none':>8} {'acc mirr.':>9}")
    worst = {"loss": 0.0, "val_loss": 0.0}
    for epoch in range(len(one["loss"])):
        row = f"{epoch + 1:>5}"
        for key in ("loss", "val_loss"):
            a, b = one[key][epoch], two[key][epoch]
            worst[key] = max(worst[key], abs(a - b))
            row += f"  {a:>10.6f} {b:>10.6f} {abs(a - b):>9.2e}"
        row += f"  {one['val_accuracy'][epoch]:>8.4f} {two['val_accuracy'][epoch]:>9.4f}"
        print(row)
    print(f"max |difference|: training loss {worst['loss']:.2e}, validation loss {worst['val_loss']:.2e}")
    if args.repeats >= 2:
        same = {d: all(h["loss"] == runs[0]["loss"] and h["val_loss"] == runs[0]["val_loss"] for h in runs[1:])
                for d, runs in histories.items()}
        print("a repeated run gave the same curves to the last bit: "
              + ", ".join(f"{d} {'yes' if ok else 'no'}" for d, ok in same.items()))

    def per_epoch(distribute):
        later = [s for h in histories[distribute] for s in h["train_seconds"][1:]]
        first = [h["train_seconds"][0] for h in histories[distribute]]
        return statistics.median(first), statistics.median(later) if later else float("nan")

    (first_none, none), (first_mirrored, mirrored) = per_epoch("none"), per_epoch("mirrored")
    print(f"training seconds per epoch (median of epochs 2-{args.epochs} over {len(histories['none'])} run(s)): "
          f"none {none:.2f} s, mirrored ({replicas['mirrored']} replicas) {mirrored:.2f} s, "
          f"ratio mirrored / none {mirrored / none:.2f}; first epoch (tracing included) "
          f"{first_none:.2f} s / {first_mirrored:.2f} s")
    cpu = {d: statistics.median(h["cpu_seconds"] for h in histories[d]) for d in histories}
    print(f"task.fit wall time (median): none {statistics.median(walls['none']):.1f} s, "
          f"mirrored {statistics.median(walls['mirrored']):.1f} s; CPU time none {cpu['none']:.1f} s, "
          f"mirrored {cpu['mirrored']:.1f} s (a wall time far above the CPU time is waiting, not work)")
    print(f"gc.collect() after each fit (median): none {statistics.median(cleanup['none']):.1f} s, "
          f"mirrored {statistics.median(cleanup['mirrored']):.1f} s")
    print("both logical devices run on the same physical cores: no speed-up is expected.")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
    # After mirrored fits the interpreter's exit can wait for minutes, idle, in the
    # destructor of a tf.data iterator (TensorFlow 2.21, logical CPU devices): leave at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
