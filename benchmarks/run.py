"""Every speed benchmark in one run, and one Markdown table of their figures.

    python -m benchmarks [--quick] [--out benchmarks/results.md] [--only serving_latency ...]
    python benchmarks/run.py --quick --out -          # the table on stdout

Each benchmark of `BENCHMARKS` runs as a script in a process of its own, its output shown
as it comes; each prints its figures as `BENCHMARK-RESULT {json}` lines (benchmark, case,
seqzoo, reference, ratio, unit), which become the rows of the table, under the machine
line. A ratio above 1 means seqzoo (the first figure) is faster or does more per second
than the reference it runs beside. A benchmark whose script is missing is listed as
skipped, one that fails as failed, and the others still run.

`--quick` runs each with small settings (minutes in all on a laptop): figures to see that
everything runs and roughly where the ratios lie, not to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
REPOSITORY = FOLDER.parent
RESULT_PREFIX = "BENCHMARK-RESULT "


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str  # in benchmarks/
    quick: tuple[str, ...] = ()
    full: tuple[str, ...] = ()


# One line per speed benchmark: the script, its arguments with --quick and without.
BENCHMARKS = (
    Benchmark("training_throughput", "training_throughput.py",
              ("--sentiment-archs", "gru,transformer", "--lm-archs", "gru", "--steps", "3", "--repeats", "1")),
    Benchmark("translation_decoding", "translation_decoding.py", ("--batch", "16", "--repeats", "1")),
    Benchmark("language_model_generation", "language_model_generation.py",
              ("--archs", "lstm", "--tokens", "40", "--repeats", "1")),
    Benchmark("sampling_speed", "sampling_speed.py", ("--quick", "--no-jit-reference")),
    Benchmark("batched_sampling", "batched_sampling.py",
              ("--archs", "gru", "--tokens", "20", "--batch-sizes", "1,32", "--repeats", "1")),
    Benchmark("kv_cache", "kv_cache.py", ("--quick",)),
    Benchmark("portable_latency", "portable_latency.py", ("--units", "32", "--repeats", "10")),
    Benchmark("serving_latency", "serving_latency.py", ("--quick",)),
    Benchmark("checkpoint_overhead", "checkpoint_overhead.py", ("--epochs", "1", "--repeats", "1")),
)


def machine_line() -> str:
    import multiprocessing

    cpu = platform.processor() or platform.machine()
    try:
        import tensorflow as tf

        gpus = len(tf.config.list_physical_devices("GPU"))
        versions = f"TensorFlow {tf.__version__}, {gpus} GPU(s)"
    except ImportError:
        versions = "TensorFlow not installed"
    return (f"{platform.platform()}, {cpu}, {multiprocessing.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{versions}, load average {os.getloadavg()[0]:.1f} at the start")


def run_one(benchmark: Benchmark, quick: bool, timeout: float) -> tuple[str, list[dict], float]:
    """(status, results, seconds) of one benchmark, its output streamed through."""
    script = FOLDER / benchmark.script
    if not script.is_file():
        print(f"== {benchmark.name}: skipped, benchmarks/{benchmark.script} does not exist", flush=True)
        return "skipped (no script)", [], 0.0
    argv = [sys.executable, str(script), *(benchmark.quick if quick else benchmark.full)]
    print(f"== {benchmark.name}: {' '.join(['python', 'benchmarks/' + benchmark.script, *argv[2:]])}", flush=True)
    started = time.perf_counter()
    results = []
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
                       PYTHONUNBUFFERED="1")
    process = subprocess.Popen(argv, cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=environment)
    timer = threading.Timer(timeout, process.kill)  # also when the benchmark prints nothing
    timer.start()
    try:
        for line in process.stdout:
            if line.startswith(RESULT_PREFIX):
                try:
                    results.append(json.loads(line[len(RESULT_PREFIX):]))
                except json.JSONDecodeError:
                    print(f"   (unreadable result line: {line.strip()})")
                continue
            print("   " + line, end="", flush=True)
        code = process.wait()
    finally:
        timed_out = not timer.is_alive()
        timer.cancel()
    seconds = time.perf_counter() - started
    if timed_out and code != 0:
        return f"timed out after {timeout:.0f} s", results, seconds
    return ("ok" if code == 0 else f"failed (exit {code})"), results, seconds


def number(value) -> str:
    if not isinstance(value, (int, float)):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def markdown(machine: str, quick: bool, outcomes: list) -> str:
    command = "python -m benchmarks" + (" --quick" if quick else "")
    lines = [f"Machine: {machine}", "", f"Command: `{command}`; ratio above 1: seqzoo is faster (times) or does more "
             "per second (rates) than the reference beside it.", "",
             "| benchmark | case | seqzoo | reference | ratio | unit |", "|---|---|---:|---:|---:|---|"]
    for benchmark, status, results, _ in outcomes:
        for row in results:
            lines.append(f"| {row.get('benchmark', benchmark.name)} | {row.get('case', '')} | "
                         f"{number(row.get('seqzoo'))} | {number(row.get('reference'))} | "
                         f"{number(row.get('ratio'))} | {row.get('unit', '')} |")
        if status != "ok" or not results:
            lines.append(f"| {benchmark.name} | {status if status != 'ok' else 'no figures printed'} | | | | |")
    lines += ["", "Run times: " + ", ".join(f"{b.name} {s:.0f} s" for b, status, _, s in outcomes if s)]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small settings for every benchmark")
    parser.add_argument("--out", default=str(FOLDER / "results.md"), help="the Markdown table's file, - for stdout")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=[b.name for b in BENCHMARKS],
                        help="run only these benchmarks")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per benchmark (default 1200 with --quick, 7200 without)")
    args = parser.parse_args(argv)
    timeout = args.timeout or (1200.0 if args.quick else 7200.0)
    machine = machine_line()
    print(f"machine: {machine}", flush=True)
    outcomes = []
    for benchmark in BENCHMARKS:
        if args.only and benchmark.name not in args.only:
            continue
        status, results, seconds = run_one(benchmark, args.quick, timeout)
        print(f"== {benchmark.name}: {status}, {len(results)} figures, {seconds:.0f} s", flush=True)
        outcomes.append((benchmark, status, results, seconds))
    table = markdown(machine, args.quick, outcomes)
    if args.out == "-":
        print(table)
    else:
        Path(args.out).write_text(table, encoding="utf-8")
        print(f"\n{table}\nwritten to {args.out}")
    return 0 if all(status == "ok" or status.startswith("skipped") for _, status, _, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
