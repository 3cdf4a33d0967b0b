"""Serving latency of each task's SavedModel export against the task's own decode.

    python benchmarks/serving_latency.py [--quick] [--units 64] [--calls 100]
                                         [--run sentiment=runs/my-sentiment ...]

For each task the script exports a model (by default built at its default architecture
with `--units` units on a small sample of its built-in data and left untrained: the cost
of a call does not depend on the weights, only an untrained decoder never stops early, so
the generating tasks run to their length limit; `--run TASK=DIR` exports a trained run
instead, with `seqzoo export`). A fresh Python process that imports only tensorflow and
tensorflow_text (as TensorFlow Serving runs an export: the graph alone, no seqzoo) loads
it and times `serving_default` at batch 1 and 32 after a warm-up: p50 and p99 of `--calls`
calls, and the throughput at batch 32 (rows per second over those calls). Beside it, in
the same run on the same inputs, the task's own path in Python: `predict` (sentiment),
`generate` (language model), `translate`, `caption`.

ratio = task / export for latencies, export / task for throughput: above 1, the export is
faster. Prints the table, the machine, and one `BENCHMARK-RESULT {json}` line per figure
for `python -m benchmarks`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

BATCHES = (1, 32)
MAX_TOKENS = 20  # language model: tokens generated per prompt, in both paths

# The server side: tensorflow and tensorflow_text only. Reads [[task, export_dir, inputs
# per batch]], prints one JSON line of {task: {batch: [seconds per call]}}.
SERVER = textwrap.dedent(
    """
    import base64, json, sys, time
    import tensorflow as tf, tensorflow_text  # noqa: F401 (its ops, as TF Serving has them built in)

    cases, calls, warmup = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
    results = {}
    for task, export_dir, batches in cases:
        signature = tf.saved_model.load(export_dir).signatures["serving_default"]
        specs = signature.structured_input_signature[1]
        results[task] = {}
        for batch, columns in batches.items():
            inputs = {name: tf.constant([base64.b64decode(v) for v in values] if b64 else values,
                                        specs[name].dtype)
                      for name, (values, b64) in columns.items()}
            def call():
                return {name: value.numpy() for name, value in signature(**inputs).items()}
            for _ in range(warmup):
                call()
            times = []
            for _ in range(calls):
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
            results[task][batch] = times
    assert not any(name.startswith("seqzoo") for name in sys.modules), "the server imported seqzoo"
    print(json.dumps(results))
    """
)


def build_tasks(units: int) -> dict:
    """Untrained tasks at their default architectures, built on small built-in samples."""
    from seqzoo.data.builtin import load_builtin
    from seqzoo.data.builtin_corpus import load_pydoc_topics
    from seqzoo.data.builtin_digit_captions import load_digit_strings
    from seqzoo.data.builtin_parallel import load_cldr_dates
    from seqzoo.tasks.captioning.config import CaptioningConfig
    from seqzoo.tasks.captioning.task import CaptioningTask
    from seqzoo.tasks.language_model.config import LanguageModelConfig
    from seqzoo.tasks.language_model.task import LanguageModelTask
    from seqzoo.tasks.sentiment.config import SentimentConfig
    from seqzoo.tasks.sentiment.task import SentimentTask
    from seqzoo.tasks.translation.config import TranslationConfig
    from seqzoo.tasks.translation.task import TranslationTask

    sizes = dict(units=units, embedding_dim=units)
    return {
        "sentiment": SentimentTask.build(SentimentConfig(**sizes), load_builtin("negation-reviews", size=300)),
        "language-model": LanguageModelTask.build(LanguageModelConfig(**sizes), load_pydoc_topics()[:20000]),
        "translation": TranslationTask.build(TranslationConfig(**sizes), load_cldr_dates(size=300)),
        "captioning": CaptioningTask.build(CaptioningConfig(**sizes), load_digit_strings(size=32)),
    }


def load_run(run_dir: str):
    from seqzoo.tasks.registry import task_of_run

    return task_of_run(run_dir).jobs().load_task(run_dir)


def cases(name: str, task, batch: int):
    """(the export's inputs {name: (values, base64?)}, the task's own call) on `batch` rows."""
    from seqzoo.data.builtin import load_builtin
    from seqzoo.data.builtin_corpus import load_pydoc_topics
    from seqzoo.data.builtin_digit_captions import load_digit_strings
    from seqzoo.data.builtin_parallel import load_cldr_dates
    from seqzoo.data.caption_readers import CaptionedImages

    if name == "sentiment":
        texts = load_builtin("negation-reviews", seed=1, size=batch).texts[:batch]
        return {"text": (texts, False)}, lambda: task.predict(texts)
    if name == "translation":
        texts = load_cldr_dates(seed=1, size=batch).sources[:batch]
        return {"text": (texts, False)}, lambda: task.translate(texts)
    if name == "language-model":
        corpus = load_pydoc_topics()
        prompts = [corpus[1000 * k: 1000 * k + 12] for k in range(batch)]
        inputs = {"prompt": (prompts, False), "max_tokens": ([MAX_TOKENS] * batch, False),
                  "temperature": ([0.8] * batch, False), "seed": ([1] * batch, False)}
        return inputs, lambda: task.generate(prompts, max_tokens=MAX_TOKENS, temperature=0.8, seed=1)
    images = load_digit_strings(size=32).subset(list(range(batch)))
    data = CaptionedImages(images.images, images.captions, "benchmark", folder="", contents=images.contents)
    encoded = [base64.b64encode(c).decode("ascii") for c in images.contents]
    return {"image": (encoded, True)}, lambda: task.caption(data)


def percentiles(times) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, mean seconds) of call times in seconds."""
    times = np.asarray(times)
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3), float(times.mean())


def time_calls(call, calls: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def export(name: str, task, run_dir: str | None, base: Path) -> Path:
    """The SavedModel folder of `task` (or of `run_dir`, through `seqzoo export`)."""
    if run_dir is None:
        return task.export(base / name / "1")
    subprocess.run([sys.executable, "-m", "seqzoo.tasks.cli", "export", run_dir, "--out", str(base / name)],
                   check=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    return base / name / "1"


def result_line(case: str, seqzoo: float, reference: float, ratio: float, unit: str) -> None:
    print("BENCHMARK-RESULT " + json.dumps({"benchmark": "serving_latency", "case": case, "seqzoo": round(seqzoo, 3),
                                            "reference": round(reference, 3), "ratio": round(ratio, 3),
                                            "unit": unit}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 calls, 32 units: a smoke run of a few minutes")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--calls", type=int, default=100, help="timed calls per task and batch size")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls before timing")
    parser.add_argument("--tasks", nargs="+", default=["sentiment", "language-model", "translation", "captioning"])
    parser.add_argument("--run", action="append", default=[], metavar="TASK=DIR",
                        help="export this trained run for TASK instead of an untrained model")
    args = parser.parse_args()
    calls, units = (20, 32) if args.quick else (args.calls, args.units)
    runs = dict(item.split("=", 1) for item in args.run)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    started = time.perf_counter()
    built = build_tasks(units) if set(args.tasks) - set(runs) else {}
    root = Path(tempfile.mkdtemp(prefix="serving-latency-"))
    tasks, server_cases, references = {}, [], {}
    for name in args.tasks:
        task = load_run(runs[name]) if name in runs else built[name]
        export_dir = export(name, task, runs.get(name), root / "exports")
        batches, references[name] = {}, {}
        for batch in BATCHES:
            inputs, own_call = cases(name, task, batch)
            batches[str(batch)] = {key: list(value) for key, value in inputs.items()}
            references[name][batch] = time_calls(own_call, calls, args.warmup)
        tasks[name] = task
        server_cases.append([name, str(export_dir), batches])
    requests = root / "requests.json"
    requests.write_text(json.dumps(server_cases))
    server = subprocess.run([sys.executable, "-c", SERVER, str(requests), str(calls), str(args.warmup)],
                            capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if server.returncode != 0:
        sys.exit(f"the serving process failed:\n{server.stderr[-3000:]}")
    served = json.loads(server.stdout.strip().splitlines()[-1])

    devices = [d.device_type for d in tf.config.list_physical_devices()]
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs "
          f"visible, load average {os.getloadavg()[0]:.1f}; TensorFlow {tf.__version__}, devices {devices}")
    print(f"{calls} timed calls per row after {args.warmup} warm-up calls; export = serving_default in a fresh "
          f"process with only tensorflow + tensorflow_text; task = the task's own Python call; language model "
          f"{MAX_TOKENS} new tokens per prompt; ratio = task / export (above 1: the export is faster)")
    print(f"{'task':<15} {'model':<32} {'batch':>5} {'export p50':>11} {'p99':>8} {'task p50':>9} {'p99':>8} "
          f"{'ratio':>6}")
    throughput_rows = []
    for name, task in tasks.items():
        model = f"{runs[name]}" if name in runs else f"{task.config.arch}, {units} units, untrained"
        for batch in BATCHES:
            ours50, ours99, ours_mean = percentiles(served[name][str(batch)])
            theirs50, theirs99, theirs_mean = percentiles(references[name][batch])
            print(f"{name:<15} {model[:32]:<32} {batch:>5} {ours50:>8.2f} ms {ours99:>8.2f} {theirs50:>6.2f} ms "
                  f"{theirs99:>8.2f} {theirs50 / ours50:>6.2f}")
            for quantile, ours, theirs in (("p50", ours50, theirs50), ("p99", ours99, theirs99)):
                result_line(f"{name} batch {batch} {quantile} (export vs task)", ours, theirs, theirs / ours, "ms")
            if batch == 32:
                throughput_rows.append((name, batch / ours_mean, batch / theirs_mean))
    print(f"\n{'task':<15} {'export rows/s':>14} {'task rows/s':>12} {'ratio':>6}   (batch 32)")
    for name, ours, theirs in throughput_rows:
        print(f"{name:<15} {ours:>14.1f} {theirs:>12.1f} {ours / theirs:>6.2f}")
        result_line(f"{name} batch 32 throughput (export vs task)", ours, theirs, ours / theirs, "rows/s")
    print(f"total {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
