"""The report of a `seqzoo compare`: `report.md`, a self-contained `report.html` and plots.

Everything here is read from `results.json` (as `seqzoo.tasks.compare.runner` writes it) and the
runs' own `metrics.json`, so a report can be rewritten at any time, for instance after an
interrupted comparison. No TensorFlow; matplotlib draws the plots.
"""

from __future__ import annotations

import base64
import html
import math
import re
import statistics
from pathlib import Path

from seqzoo.tasks.compare.budget import UNLIMITED_EPOCHS
from seqzoo.tasks.common.plots import NOT_PLOTTED, pyplot, save_figure
from seqzoo.tasks.common.run_directory import atomic_write_text, read_json
from seqzoo.tasks.registry import get_task

SCORED = ("ok", "diverged")  # statuses whose runs have test metrics


def format_number(value, decimals: int) -> str:
    """A table cell: `decimals` places, thousands separated; '-' for a missing value.

    Examples:

    >>> format_number(0.81254, 4), format_number(1234567, 0), format_number(None, 2)
    ('0.8125', '1,234,567', '-')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{decimals}f}"


def format_spread(values: list[float], decimals: int) -> str:
    """Mean ± sample standard deviation of repeated runs, with their number.

    Examples:

    >>> format_spread([0.5, 0.7], 2)
    '0.60 ± 0.14 (n=2)'
    >>> format_spread([0.5], 2)
    '0.50'
    """
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return "-"
    if len(values) == 1:
        return format_number(values[0], decimals)
    spread = statistics.stdev(values)
    return f"{format_number(statistics.mean(values), decimals)} ± {format_number(spread, decimals)} (n={len(values)})"


def run_metrics(out: Path, run: dict) -> dict:
    """The run's `metrics.json` as written into its run directory (the table's source)."""
    path = out / run["run_dir"] / "metrics.json"
    return read_json(path) if path.exists() else run.get("metrics", {})


def metric_columns(task: str) -> list[tuple[str, str, int]]:
    """(key in metrics.json, column title, decimals) of each test metric a task reports.

    Examples:

    >>> metric_columns("sentiment")[0]
    ('accuracy', 'accuracy', 4)
    """
    return [(m.key, m.title, m.decimals) for m in get_task(task).metrics]


def _columns(results: dict) -> list[tuple[str, str, int]]:
    columns = metric_columns(results["task"])
    runs = [run for run in results["runs"] if run["status"] in SCORED]
    # Bits per character exist only at character level.
    return [c for c in columns if any(c[0] in run.get("metrics", {}) for run in runs) or not runs]


def _unit(results: dict) -> str:
    for run in results["runs"]:
        if run.get("throughput"):
            return run["throughput"]["unit"]
    return "items/s"


def run_rows(out: Path, results: dict) -> tuple[list[str], list[list[str]]]:
    """The per-run table: header and one row of cells per run, figures from metrics.json."""
    columns = _columns(results)
    header = ["run", "status", "parameters", "epochs", "training s", f"throughput ({_unit(results)})",
              "peak memory (MiB)"] + [title for _, title, _ in columns] + ["stopped by / reason"]
    rows = []
    for run in results["runs"]:
        if run["status"] in SCORED:
            metrics = run_metrics(out, run)
            memory = run.get("memory", {}).get("bytes")
            cells = [
                format_number(metrics.get("parameters"), 0),
                format_number(run.get("epochs_trained"), 2 if (run.get("epochs_trained") or 0) % 1 else 0),
                format_number(metrics.get("training_seconds"), 2),
                format_number((run.get("throughput") or {}).get("value"), 1),
                format_number(memory / 2**20 if memory else None, 0),
            ] + [format_number(metrics.get(key), decimals) for key, _, decimals in columns]
            note = run.get("stopped_by", "")
            if run.get("reason"):
                note = f"{note}: {run['reason']}"
        else:
            cells = ["-"] * (5 + len(columns))
            note = run.get("reason") or ""
        rows.append([run["name"], run["status"]] + cells + [note])
    return header, rows


def summary_rows(out: Path, results: dict) -> tuple[list[str], list[list[str]]]:
    """Per architecture over repeated seeds: mean ± standard deviation of each figure."""
    columns = _columns(results)
    header = ["architecture", "runs scored", "parameters", "training s", f"throughput ({_unit(results)})",
              "peak memory (MiB)"] + [title for _, title, _ in columns]
    rows = []
    for arch in results["archs"]:
        runs = [run for run in results["runs"] if run["arch"] == arch]
        scored = [run for run in runs if run["status"] in SCORED]
        metrics = [run_metrics(out, run) for run in scored]
        rows.append([
            arch, f"{len(scored)} of {len(runs)}",
            format_number(metrics[0].get("parameters") if metrics else None, 0),
            format_spread([m.get("training_seconds") for m in metrics], 2),
            format_spread([(run.get("throughput") or {}).get("value") for run in scored], 1),
            format_spread([run.get("memory", {}).get("bytes", 0) / 2**20 for run in scored], 0),
        ] + [format_spread([m.get(key) for m in metrics], decimals) for key, _, decimals in columns])
    return header, rows


def mismatches(results: dict) -> list[str]:
    """Runs of one seed that did not see the same splits or vocabulary (they should)."""
    problems = []
    for seed in results["seeds"]:
        runs = [run for run in results["runs"] if run["seed"] == seed and run["status"] in SCORED]
        for key, what in (("splits", "split sizes"), ("fingerprints", "vocabulary or label files")):
            seen = {}
            for run in runs:
                seen.setdefault(repr(sorted(run.get(key, {}).items())), []).append(run["name"])
            if len(seen) > 1:
                groups = "; ".join(", ".join(names) for names in seen.values())
                problems.append(f"seed {seed}: the {what} differ between runs ({groups}).")
    return problems


# ----------------------------------------------------------------------------- plots
def _colours(results: dict) -> dict[str, str]:
    cycle = [f"C{i}" for i in range(10)]
    return {arch: cycle[i % len(cycle)] for i, arch in enumerate(results["archs"])}


def plot_learning_curves(results: dict, path: Path) -> bool:
    """Every architecture's curves on shared axes, one panel per quantity (training
    dashed, validation solid); repeated seeds share their architecture's colour."""
    runs = [run for run in results["runs"] if run.get("history")]
    names = []
    for run in runs:
        for name in run["history"]:
            if not name.startswith("val_") and name not in NOT_PLOTTED and name not in names:
                names.append(name)
    if not names:
        return False
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    colours = _colours(results)
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.8), squeeze=False)
    for axis, name in zip(axes[0], names):
        labelled = set()
        for run in runs:
            colour = colours[run["arch"]]
            label = run["arch"] if run["arch"] not in labelled else None
            labelled.add(run["arch"])
            for key, style in ((name, "--"), (f"val_{name}", "-")):
                values = run["history"].get(key)
                if values:
                    axis.plot(range(1, len(values) + 1), values, style, marker=".", color=colour,
                              label=label if style == "-" or f"val_{name}" not in run["history"] else None)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel(name)
        axis.set_title(f"{name} (dashed: training, solid: validation)", fontsize=9)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(f"{results['task']}: learning curves")
    save_figure(figure, path)
    return True


def length_rows(run: dict, task: str) -> list[dict]:
    """(lengths, examples, score) rows of a run's scores by input length."""
    by_length = get_task(task).by_length
    if by_length is None:
        return []
    rows = run.get(by_length.rows_key) or run.get("metrics", {}).get(by_length.rows_key, [])
    return [{**row, "score": row[by_length.score_key]} for row in rows]


def plot_by_length(results: dict, path: Path) -> bool:
    """One line per architecture over the length buckets of the test set (runs of the
    first seed, whose test set all architectures share)."""
    task = results["task"]
    by_length = get_task(task).by_length
    if by_length is None:
        return False
    seed = results["seeds"][0]
    runs = [run for run in results["runs"] if run["seed"] == seed and length_rows(run, task)]
    if not runs:
        return False
    title, xlabel, ylabel = by_length.title, by_length.x_label, by_length.y_label
    plt = pyplot()
    colours = _colours(results)
    figure, axis = plt.subplots(figsize=(7, 4))
    labels = []
    for run in runs:
        rows = length_rows(run, task)
        names = [f"{r['lengths'][0]}" if r["lengths"][0] == r["lengths"][1] else f"{r['lengths'][0]}-{r['lengths'][1]}"
                 for r in rows]
        if len(names) > len(labels):
            labels = [f"{name}\n(n={r['examples']})" for name, r in zip(names, rows)]
        axis.plot(range(len(rows)), [r["score"] for r in rows], marker="o", color=colours[run["arch"]], label=run["arch"])
    axis.set_xticks(range(len(labels)), labels, fontsize=8)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title(f"{task}: {title}" + (f", seed {seed}" if len(results["seeds"]) > 1 else ""))
    save_figure(figure, path)
    return True


# ----------------------------------------------------------------------------- writing
def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (as `report.md` and the end of `seqzoo compare` show it).

    Examples:

    >>> print(markdown_table(["run", "accuracy"], [["lstm", "0.9000"]]))
    | run | accuracy |
    | --- | --- |
    | lstm | 0.9000 |
    """
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header))] + [line(row) for row in rows])


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _facts(results: dict) -> list[str]:
    config = results.get("config", {})
    budget = results.get("budget_seconds")
    machine = results.get("machine", {})
    epochs = config.get("epochs")
    # compare lifts the epoch limit when only a time budget is given.
    limit = "" if epochs is None or epochs >= UNLIMITED_EPOCHS else f" (at most {epochs} epochs)"
    command = [f"command: {results['command']}"] if results.get("command") else []
    return command + [
        f"task: {results['task']}; data: {config.get('data') or 'the built-in data set'}",
        f"architectures: {', '.join(results['archs'])}; seeds: {', '.join(map(str, results['seeds']))}",
        "budget: " + (f"{budget:g} s of training per run{limit}, or less if early stopping ends it" if budget
                      else f"at most {config.get('epochs')} epochs per run (early stopping on the validation loss)"),
        f"status: {results['status']}; started {results.get('started', '?')}, updated {results.get('updated', '?')}",
        f"machine: {machine.get('platform', '?')}, {machine.get('cpus', '?')} CPUs, Python {machine.get('python', '?')}, "
        f"TensorFlow {machine.get('tensorflow', '?')}",
    ]


def _notes() -> list[str]:
    return [
        "Figures are the test split's, read from each run's `metrics.json` (run directories under `runs/`).",
        "Throughput counts training items (examples, tokens or captions) per second of training, "
        "validation passes included; peak memory is the worker process's high-water mark "
        "(or the GPU's peak allocation on a GPU).",
    ]


def _code(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def write_report(out: str | Path, results: dict) -> list[Path]:
    """Write the plots, `report.md` and `report.html` into `out`; returns their paths.

    Examples:

    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> results = {"task": "sentiment", "archs": ["lstm"], "seeds": [0], "status": "finished", "runs": [
    ...     {"name": "lstm", "arch": "lstm", "seed": 0, "run_dir": "runs/lstm", "status": "ok",
    ...      "metrics": {"accuracy": 0.9, "macro_f1": 0.85, "parameters": 1000, "training_seconds": 3.0},
    ...      "history": {"loss": [0.7, 0.4], "val_loss": [0.6, 0.5]}}]}
    >>> [path.name for path in write_report(out, results)]
    ['report.md', 'report.html', 'learning_curves.png']
    >>> "| lstm | ok | 1,000 |" in (out / "report.md").read_text()
    True
    """
    out = Path(out)
    plots = []
    if plot_learning_curves(results, out / "learning_curves.png"):
        plots.append(("learning curves", out / "learning_curves.png"))
    if plot_by_length(results, out / "by_length.png"):
        plots.append((get_task(results["task"]).by_length.title, out / "by_length.png"))
    header, rows = run_rows(out, results)
    sections = [("Runs", header, rows)]
    if len(results["seeds"]) > 1:
        sections.insert(0, ("Summary over seeds (mean ± standard deviation)", *summary_rows(out, results)))
    problems = mismatches(results)
    failed = [run for run in results["runs"] if run["status"] not in SCORED]
    title = f"seqzoo compare {results['task']}"

    markdown = [f"# {title}", ""] + [f"- {fact}" for fact in _facts(results)] + [""]
    for problem in problems:
        markdown += [f"**Warning:** {problem}", ""]
    for name, head, body in sections:
        markdown += [f"## {name}", "", markdown_table(head, body), ""]
    if failed:
        markdown += ["## Runs that did not finish", ""]
        markdown += [f"- `{run['name']}` ({run['status']}): {run.get('reason') or 'no reason given'}" for run in failed]
        markdown += [""]
    for caption, path in plots:
        markdown += [f"## {caption[0].upper() + caption[1:]}", "", f"![{caption}]({path.name})", ""]
    markdown += ["## Notes", ""] + [f"- {note}" for note in _notes()] + [""]
    atomic_write_text(out / "report.md", "\n".join(markdown))

    page = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:right}td:first-child,th:first-child,td:last-child{text-align:left}"
        ".warning{color:#a00}img{max-width:100%}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in _facts(results)) + "</ul>",
    ]
    page += [f'<p class="warning"><b>Warning:</b> {html.escape(p)}</p>' for p in problems]
    for name, head, body in sections:
        page += [f"<h2>{html.escape(name)}</h2>", _html_table(head, body)]
    if failed:
        page.append("<h2>Runs that did not finish</h2><ul>" + "".join(
            f"<li><code>{html.escape(run['name'])}</code> ({html.escape(run['status'])}): "
            f"{html.escape(run.get('reason') or 'no reason given')}</li>" for run in failed) + "</ul>")
    for caption, path in plots:
        # Inline, so the one file opens anywhere with its plots.
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        page.append(f"<h2>{html.escape(caption[0].upper() + caption[1:])}</h2>"
                    f'<img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">')
    page.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_code(html.escape(n))}</li>" for n in _notes()) + "</ul>")
    page.append("</body></html>\n")
    atomic_write_text(out / "report.html", "\n".join(page))
    return [out / "report.md", out / "report.html"] + [path for _, path in plots]
