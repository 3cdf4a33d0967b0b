"""The shape of seqzoo.tasks: one folder per task and tool, one registry, TensorFlow-free
specs, and seqzoo 0.1's module paths and names still importable."""

import ast
import importlib
import pathlib
import subprocess
import sys
import tomllib

import pytest

REPOSITORY = next(folder for folder in pathlib.Path(__file__).resolve().parents if (folder / "pyproject.toml").exists())
TASKS = REPOSITORY / "tasks"
TASK_FOLDERS = ("sentiment", "language_model", "translation", "captioning")
TASK_NAMES = ("sentiment", "language-model", "translation", "captioning")


def test_every_subpackage_is_installed_by_pyproject():
    # A wheel holds only the packages pyproject lists: a missing subpackage would be
    # missing from `pip install seqzoo` while editable installs hide it.
    listed = set(tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {"seqzoo.tasks." + ".".join(path.parent.relative_to(TASKS).parts)
               for path in TASKS.rglob("__init__.py") if path.parent != TASKS}
    assert on_disk <= listed, sorted(on_disk - listed)


def test_registry_and_specs_import_without_tensorflow():
    code = (
        "import sys\n"
        "from seqzoo.tasks import registry\n"
        "specs = registry.all_tasks()\n"
        "print([s.name for s in specs], [len(s.architectures) for s in specs], 'tensorflow' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{list(TASK_NAMES)} [8, 6, 4, 3] False"


def test_task_names_appear_only_in_their_own_folder_and_the_registry():
    # Shared modules and tools reach tasks through the registry, never by name.
    offenders = []
    for path in TASKS.rglob("*.py"):
        relative = path.relative_to(TASKS)
        # The registry lists the tasks; legacy_paths maps seqzoo 0.1's module paths to theirs.
        if relative.parts[0] in TASK_FOLDERS or relative.name in ("registry.py", "legacy_paths.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if node.value in TASK_NAMES:
                    offenders.append(f"{relative}:{node.lineno} {node.value!r}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [getattr(node, "module", None) or ""] + [alias.name for alias in node.names]
                for folder in TASK_FOLDERS:
                    if any(name.startswith(f"seqzoo.tasks.{folder}") for name in names):
                        offenders.append(f"{relative}:{node.lineno} imports seqzoo.tasks.{folder}")
    assert not offenders, offenders


def test_task_folders_do_not_import_each_other():
    offenders = []
    for folder in TASK_FOLDERS:
        for path in (TASKS / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    for other in TASK_FOLDERS:
                        if other != folder and node.module.startswith(f"seqzoo.tasks.{other}"):
                            offenders.append(f"{path.relative_to(TASKS)} imports {node.module}")
    assert not offenders, offenders


def _module_graph() -> dict[str, set[str]]:
    """seqzoo module -> the seqzoo modules it imports, imports inside functions included."""
    roots = {"zoo": "seqzoo.zoo", "tasks": "seqzoo.tasks", "data": "seqzoo.data"}
    files = {}
    for root, package in roots.items():
        for path in (REPOSITORY / root).rglob("*.py"):
            parts = path.relative_to(REPOSITORY / root).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            files[".".join((package, *parts))] = path
    graph = {}
    for name, path in files.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files else node.module
                          for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        # A submodule importing its own package is how Python runs it anyway.
        graph[name] = {m for m in found if m in files and m != name and not name.startswith(m + ".")}
    return graph


def test_no_import_cycles_even_through_imports_inside_functions():
    graph, state, stack, cycles = _module_graph(), {}, [], []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                cycles.append(" -> ".join(stack[stack.index(other):] + [other]))
            elif other not in state:
                visit(other)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, cycles


def test_zoo_and_data_never_import_each_other_or_tasks():
    graph = _module_graph()
    crossing = [f"{m} -> {o}" for m, imports in graph.items() for o in imports
                if (m.startswith("seqzoo.zoo") and not o.startswith("seqzoo.zoo"))
                or (m.startswith("seqzoo.data") and not o.startswith("seqzoo.data"))]
    assert not crossing, crossing


def test_no_module_imports_a_private_name_of_another():
    offenders = []
    for root in ("tasks", "zoo", "data"):
        for path in (REPOSITORY / root).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("seqzoo."):
                    offenders += [f"{path.relative_to(REPOSITORY)}: {node.module}.{alias.name}"
                                  for alias in node.names if alias.name.startswith("_") and alias.name != "__future__"]
    assert not offenders, offenders


@pytest.mark.parametrize("old, new", [
    ("seqzoo.tasks.sentiment_job", "seqzoo.tasks.sentiment.jobs"),
    ("seqzoo.tasks.samplers", "seqzoo.tasks.common.samplers"),
    ("seqzoo.tasks.compare_worker", "seqzoo.tasks.compare.worker"),
    ("seqzoo.tasks.language_model_generator", "seqzoo.tasks.language_model.generator"),
])
def test_old_module_paths_are_the_new_modules(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)


def test_a_module_that_was_split_reads_from_both_halves():
    from seqzoo.tasks.config import SentimentConfig, TrainConfig, config_fields

    from seqzoo.tasks.common.config import TrainConfig as shared
    from seqzoo.tasks.sentiment.config import SentimentConfig as sentiment

    assert SentimentConfig is sentiment and TrainConfig is shared and callable(config_fields)


@pytest.mark.parametrize("module, name", [
    ("seqzoo.tasks", "SentimentTask"),
    ("seqzoo.tasks", "SentimentConfig"),
    ("seqzoo.tasks", "train_sentiment"),
    ("seqzoo.tasks", "SentimentClassifier"),
    ("seqzoo.tasks", "SENTIMENT_ARCHITECTURES"),
    ("seqzoo.tasks", "evaluate_sentiment"),
    ("seqzoo.tasks", "UsageError"),
    ("seqzoo.tasks", "inspect_path"),
    ("seqzoo.tasks", "load_keras_model"),
    ("seqzoo.tasks.sentiment", "SENTIMENT_ARCHITECTURES"),
    ("seqzoo.tasks.sentiment", "get_architecture"),
    ("seqzoo.tasks.language_model", "LanguageModelTask"),
    ("seqzoo.tasks.language_model_job", "load_splits"),
    ("seqzoo.tasks.translation", "TranslationTask"),
    ("seqzoo.tasks.captioning", "CaptioningTask"),
    ("seqzoo.tasks.compare", "parse_budget"),
    ("seqzoo.tasks.finetune", "finetune"),
    ("seqzoo.tasks.inspection", "inspect_path"),
])
def test_names_users_imported_from_seqzoo_0_1_still_import(module, name):
    assert callable(getattr(importlib.import_module(module), name)) or getattr(importlib.import_module(module), name)


def test_one_jobs_object_per_task_written_on_the_shared_base():
    from seqzoo.tasks.common.jobs import TaskJobs
    from seqzoo.tasks.registry import all_tasks

    for spec in all_tasks():
        jobs = spec.jobs()
        assert isinstance(jobs, TaskJobs) and jobs.spec is spec
        # The generic jobs are the base's, not rewritten per task.
        assert type(jobs).architecture_rows is TaskJobs.architecture_rows
        assert type(jobs).load_task is TaskJobs.load_task
        assert type(jobs).train_run is TaskJobs.train_run


def test_every_task_class_saves_loads_fits_and_exports_through_the_shared_base():
    from seqzoo.tasks.common.task import Task
    from seqzoo.tasks.registry import all_tasks

    for spec in all_tasks():
        task_class = spec.jobs().task_class
        assert issubclass(task_class, Task) and task_class.spec is spec
        for name in ("save", "load", "compile", "fit", "export"):
            assert getattr(task_class, name).__qualname__.startswith("Task."), (spec.name, name)


@pytest.mark.parametrize("module", [
    "seqzoo.tasks.registry", "seqzoo.tasks.common.contract", "seqzoo.tasks.common.jobs", "seqzoo.tasks.common.task",
    "seqzoo.tasks.common.cli_support", "seqzoo.tasks.legacy_paths", "seqzoo.tasks.common.length_buckets",
    "seqzoo.tasks.common.atomic_files",
    "seqzoo.tasks.sentiment.architectures", "seqzoo.tasks.translation.architectures",
    "seqzoo.tasks.translation.jobs",
])
def test_docstring_examples_of_the_contract_run(module):
    import doctest

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
