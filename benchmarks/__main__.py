"""`python -m benchmarks`: the benchmark suite of `benchmarks/run.py` (see there)."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).with_name("run.py")), run_name="__main__")
