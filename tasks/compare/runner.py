"""`seqzoo compare`: several architectures of one task, same data, seed and budget.

Each architecture (and each seed, with repeats) trains in a child process of its own
(`seqzoo.tasks.compare.worker`), into `OUT/runs/NAME`, an ordinary run directory that
can be evaluated or exported afterwards. The parent writes `OUT/results.json` and the
report after every run, atomically, so a crash, an out-of-memory kill or Ctrl-C loses
only the run in progress. Runs that fail are reported with their reason and the
comparison goes on. No TensorFlow is imported here.

Same splits and vocabulary: every run of one seed builds them from the same data with
the same seed, deterministically; the report checks the vocabulary hashes and split
sizes and warns when they differ. With `repeats`, seed k is `seed + k` for the splits,
the initialisation and the shuffling alike, so the spread includes the split's.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.output_dirs import FINISHED, input_paths, run_status, staged_output, write_marker
from seqzoo.tasks.common.run_directory import atomic_write_json
from seqzoo.tasks.registry import get_task


def architecture_names(task: str) -> list[str]:
    """The architectures of a task, in the order `seqzoo archs TASK` lists them (read
    from its TensorFlow-free spec, so the parent of the workers never imports TensorFlow).

    Examples:

    >>> architecture_names("translation")
    ['seq2seq', 'bahdanau', 'luong', 'transformer']
    """
    return list(get_task(task).architectures)


def parse_archs(text: str | None, known: list[str], task: str) -> list[str]:
    """Comma-separated names, checked and without repeats; all of the task's when empty.

    Examples:

    >>> parse_archs("lstm, gru,lstm", ["rnn", "lstm", "gru"], "sentiment")
    ['lstm', 'gru']
    """
    if not text:
        return list(known)
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"unknown architecture(s) {', '.join(unknown)} for {task}; known: {', '.join(known)}.")
    if not names:
        raise UsageError("--archs names no architecture.")
    return names


def _machine() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    try:
        tensorflow = version("tensorflow")
    except PackageNotFoundError:
        tensorflow = "?"
    return {"platform": platform.platform(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "tensorflow": tensorflow}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


def _headline(task: str, result: dict) -> str:
    from seqzoo.tasks.compare.report import format_number, metric_columns

    metrics = result.get("metrics", {})
    return ", ".join(f"{title} {format_number(metrics[key], decimals)}"
                     for key, title, decimals in metric_columns(task) if key in metrics)


class Comparison:
    """Trains the named architectures of one task, one child process each, and keeps
    `results.json` and the report in `out` up to date after every run.

    Args:
        task: a task template name (`sentiment`, `language-model`, `translation`, `captioning`).
        archs: architecture names of that task.
        config: the task's config (its `arch` is replaced per run); its `seed` is the first seed.
        out: the report directory; an existing non-empty one is refused unless `overwrite`
            or `resume`.
        repeats: seeds per architecture (`seed`, `seed + 1`, ...).
        budget: seconds of training per run, or None for the config's epochs.
        verbose: Keras' progress output in the workers ("auto", 2 = one line per epoch, 0).
        resume: continue the comparison whose `results.json` is in `out` (one stopped by
            Ctrl-C, or with runs that failed): its finished runs are kept and the others
            trained; it must have been made with the same task, settings and budget.

    Examples:

    >>> import tempfile
    >>> from seqzoo.tasks.sentiment.config import SentimentConfig
    >>> config = SentimentConfig(epochs=1, units=8, embedding_dim=8)
    >>> comparison = Comparison("sentiment", ["rnn", "gru"], config, tempfile.mkdtemp() + "/report")
    >>> results = comparison.run()  # doctest: +SKIP
    >>> [run["status"] for run in results["runs"]]  # doctest: +SKIP
    ['ok', 'ok']
    """

    def __init__(self, task, archs, config, out, repeats=1, budget=None, overwrite=False, verbose="auto",
                 resume=False):
        if repeats < 1:
            raise UsageError("--repeats must be at least 1.")
        if resume and overwrite:
            raise UsageError("--resume keeps the finished runs in --out, --overwrite deletes them: give one.")
        self.task = task
        self.archs = list(archs)
        self.config = config
        self.out = Path(out)
        self._report_dir = self.out  # `out` itself; `self.out` is its staging folder while one is built
        self.repeats = repeats
        self.budget = budget
        self.overwrite = overwrite
        self.verbose = verbose
        self.resume = resume
        self.seeds = [config.seed + k for k in range(repeats)]
        self.results = None
        self._order = {}

    def plan(self) -> list[tuple[str, str, int]]:
        """(name, arch, seed) of every run; all architectures of a seed before the next
        seed, so that an interrupted comparison still compares every architecture."""
        return [(arch if self.repeats == 1 else f"{arch}-seed{seed}", arch, seed)
                for seed in self.seeds for arch in self.archs]

    def run(self) -> dict:
        """Train every run in turn; returns the results (as in `results.json`). Ctrl-C
        stops the run in progress, writes the report of the finished ones and raises
        KeyboardInterrupt again.

        A new `out` fills as the comparison goes (so that `--resume` can continue it); an
        old one (`overwrite`) is replaced only by a complete comparison, built beside it,
        and is left as it was when this one fails or is interrupted."""
        if self.resume:
            results = self._run()
            write_marker(self.out, "comparison", complete=True)
            return results
        with staged_output(self._report_dir, "comparison", inputs=input_paths(self.config),
                           overwrite=self.overwrite, keep_on_failure=True) as output:
            self.out = output.path if output.staged else self._report_dir
            try:
                return self._run()
            finally:
                self.out = self._report_dir

    def _run(self) -> dict:
        from seqzoo.tasks.compare.report import write_report

        config = dataclasses.replace(self.config, time_budget=self.budget)
        shared = {k: v for k, v in config.to_dict().items() if k not in ("arch", "task")}
        plan = self.plan()
        earlier, kept = self._finished_runs(shared, plan) if self.resume else ({}, {})
        self._order = {name: index for index, (name, _, _) in enumerate(plan)}
        self.results = {
            "task": self.task, "archs": self.archs, "seeds": self.seeds, "repeats": self.repeats,
            "budget_seconds": self.budget, "config": shared, "machine": earlier.get("machine") or _machine(),
            "command": " ".join(["seqzoo"] + sys.argv[1:]) if Path(sys.argv[0]).name == "seqzoo" else None,
            "started": earlier.get("started") or _now(), "updated": _now(), "status": "running",
            # Kept runs are written at once: a resumed comparison killed before its first
            # new run ends must not lose them from results.json.
            "runs": list(kept.values()),
        }
        if self.resume:
            self.results.update(resumed=_now(), resumed_runs=sorted(kept))
        self._save()
        started = time.perf_counter()
        trained = 0
        try:
            for index, (name, arch, seed) in enumerate(plan, 1):
                if name in kept:
                    print(f"[{index}/{len(plan)}] {self.task}/{name}: kept from the earlier comparison "
                          f"({kept[name]['status']})", flush=True)
                    continue
                elapsed = time.perf_counter() - started
                eta = ""
                if trained:
                    left = sum(1 for n, _, _ in plan[index - 1:] if n not in kept)
                    eta = f"; elapsed {_clock(elapsed)}, about {_clock(elapsed / trained * left)} to go"
                print(f"[{index}/{len(plan)}] {self.task}/{name}: training{eta}", flush=True)
                run = self._run_one(name, dataclasses.replace(config, arch=arch, seed=seed))
                trained += 1
                self.results["runs"].append(run)
                summary = _headline(self.task, run) if run["status"] in ("ok", "diverged") else run.get("reason")
                print(f"[{index}/{len(plan)}] {self.task}/{name}: {run['status']} in {run['wall_seconds']:.0f} s"
                      + (f" ({summary})" if summary else ""), flush=True)
                if run["status"] == "interrupted":
                    raise KeyboardInterrupt
                self._save()
                write_report(self.out, self.results)
        except KeyboardInterrupt:
            # A second Ctrl-C must not leave the report of the finished runs half written.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                self.results["status"] = "interrupted"
                self._save()
                write_report(self.out, self.results)
            finally:
                signal.signal(signal.SIGINT, previous)
            finished = sum(run["status"] in ("ok", "diverged") for run in self.results["runs"])
            if self.out != self._report_dir:  # an --overwrite's staging folder, removed on the way out
                print(f"interrupted: {self._report_dir} is left as it was, since --overwrite replaces it only "
                      f"with a complete comparison; the {finished} finished run(s) of this one are discarded",
                      file=sys.stderr, flush=True)
                raise
            print(f"interrupted: report of the {finished} finished run(s) in {self.out / 'report.html'}; "
                  "the same command with --resume (and without --overwrite) trains the others",
                  file=sys.stderr, flush=True)
            raise
        self.results["status"] = "finished"
        self._save()
        write_report(self.out, self.results)
        from seqzoo.tasks.compare.report import markdown_table, run_rows

        print(markdown_table(*run_rows(self.out, self.results)))
        print(f"[{len(plan)}/{len(plan)}] done in {_clock(time.perf_counter() - started)}; report: "
              f"{self._report_dir / 'report.html'} (and report.md, results.json)", flush=True)
        return self.results

    def _finished_runs(self, shared: dict, plan) -> tuple[dict, dict[str, dict]]:
        """The earlier results in `out` and the runs of them that `--resume` keeps
        (finished, ok or diverged, with their run directory's metrics.json), by name;
        refuses a comparison made with other settings, architectures or repeats."""
        path = self.out / "results.json"
        if not path.is_file():
            raise UsageError(f"--resume: {path} does not exist; start the comparison without --resume.")
        try:
            earlier = json.loads(path.read_text(encoding="utf-8"))
            runs, earlier_config = earlier["runs"], earlier["config"]
        except (ValueError, KeyError, TypeError) as error:
            raise UsageError(f"--resume: {path} is not a comparison's results.json ({error}).") from None
        if earlier.get("task") != self.task:
            raise UsageError(f"--resume: {path} compares {earlier.get('task')} architectures, not {self.task}.")
        differing = sorted(k for k in set(earlier_config) | set(shared) if earlier_config.get(k) != shared.get(k))
        changes = [f"{k}: {earlier_config.get(k)!r} -> {shared.get(k)!r}" for k in differing]
        # Other archs or repeats would drop or rename finished runs.
        for key, now in (("budget_seconds", self.budget), ("archs", self.archs), ("repeats", self.repeats)):
            if earlier.get(key) != now:
                changes.append(f"{key.replace('_seconds', '')}: {earlier.get(key)!r} -> {now!r}")
        if changes:
            raise UsageError(f"--resume: {path} was made with other settings ({', '.join(changes)}); resume with "
                             "the same flags, or compare into a new --out.")
        names = {name for name, _, _ in plan}
        kept = {run["name"]: run for run in runs
                if run.get("name") in names and run.get("status") in ("ok", "diverged")
                and (self.out / run.get("run_dir", "") / "metrics.json").is_file()
                and run_status(self.out / run.get("run_dir", "")) == FINISHED}
        return earlier, kept

    def _save(self) -> None:
        # In the plan's order, kept and new runs alike.
        self.results["runs"].sort(key=lambda run: self._order.get(run.get("name"), len(self._order)))
        self.results["updated"] = _now()
        atomic_write_json(self.out / "results.json", self.results)

    def _run_one(self, name: str, config) -> dict:
        work = self.out / "workers"
        work.mkdir(exist_ok=True)
        spec_path, result_path = work / f"{name}.spec.json", work / f"{name}.result.json"
        run_dir = Path("runs") / name
        atomic_write_json(spec_path, {
            "task": self.task, "config": config.to_dict(), "verbose": self.verbose,
            "run_dir": str(self.out / run_dir), "result": str(result_path),
            # Resuming continues a run that did not finish from its training state (or
            # retrains it, over what it left behind, when it saved none).
            "overwrite": self.resume, "resume": self.resume,
        })
        result_path.unlink(missing_ok=True)  # a result left by an earlier, unfinished try
        run = {"name": name, "arch": config.arch, "seed": config.seed, "run_dir": str(run_dir)}
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "seqzoo.tasks.compare.worker", str(spec_path)])
        try:
            code = child.wait()
        except KeyboardInterrupt:
            # Ctrl-C in a terminal reaches the child too; a SIGINT sent to this process
            # alone is passed on. Either way the child writes nothing more than its note.
            _stop(child)
            run.update(status="interrupted", reason="stopped by Ctrl-C", wall_seconds=time.perf_counter() - started)
            self.results["runs"].append(run)
            raise
        run["wall_seconds"] = round(time.perf_counter() - started, 2)
        if result_path.exists():
            run.update(json.loads(result_path.read_text(encoding="utf-8")))
        elif code < 0:
            signame = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            hint = " (the kernel's out-of-memory killer sends it)" if -code == signal.SIGKILL else ""
            run.update(status="failed", reason=f"the worker was killed by {signame}{hint}")
        else:
            run.update(status="failed", reason=f"the worker exited with code {code} and no result")
        return run


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
