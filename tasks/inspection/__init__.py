"""`seqzoo inspect`: describe an export or a run directory without running its graph.

`cli.py` (the command, no TensorFlow) and `report.py` (what it reads and prints).
"""

from seqzoo.tasks.legacy_paths import forward_names

# seqzoo 0.1's module `seqzoo.tasks.inspection` held these names.
__getattr__ = forward_names(__name__, {
    name: "report" for name in ("inspect_path", "inspect_export", "inspect_run", "format_inspection")
})
