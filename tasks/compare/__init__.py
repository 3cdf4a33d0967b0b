"""`seqzoo compare`: several architectures of one task on the same data, seed and budget.

`cli.py` (the command, no TensorFlow), `budget.py` (`--budget`), `runner.py` (the parent: one worker process per
run, results.json), `worker.py` (one run in a child process), `report.py` (report.md,
report.html and plots). It reaches tasks only through `seqzoo.tasks.registry`.
"""

from seqzoo.tasks.legacy_paths import forward_names

# seqzoo 0.1's module `seqzoo.tasks.compare` held these names.
__getattr__ = forward_names(__name__, {
    "UNLIMITED_EPOCHS": "budget", "parse_budget": "budget",
    "architecture_names": "runner", "parse_archs": "runner", "Comparison": "runner",
})
