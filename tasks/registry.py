"""The one list of task templates, and how users add tasks and architectures.

The four built-in tasks are named here, once. Other packages add their own without
editing seqzoo, in either of two ways:

- call `register_task(spec)` or `register_architecture(task, name, architecture)` from
  Python (before running the task);
- declare an entry point, which `seqzoo` loads the first time it lists the tasks:

  ```toml
  [project.entry-points."seqzoo.tasks"]
  toy = "my_package.toy:SPEC"                  # a TaskSpec

  [project.entry-points."seqzoo.architectures"]
  "sentiment.cnn" = "my_package.cnn:CNN"       # TASK.NAME = an Architecture
  ```

Nothing here imports TensorFlow (an entry point's module should not either: build
functions import `seqzoo.zoo` and Keras inside their bodies).

Examples:

>>> task_names()[:4]
['sentiment', 'language-model', 'translation', 'captioning']
>>> get_task("translation").architecture("bahdanau").description
'bidirectional encoder, additive attention (Bahdanau et al. 2015)'
>>> get_task("tagging")
Traceback (most recent call last):
...
seqzoo.tasks.common.errors.UsageError: unknown task 'tagging'; known: sentiment, language-model, translation, captioning.
"""

from __future__ import annotations

import sys
from importlib import metadata

from seqzoo.tasks import captioning, language_model, sentiment, translation
from seqzoo.tasks.common.contract import Architecture, TaskSpec
from seqzoo.tasks.common.errors import UsageError

TASK_ENTRY_POINTS = "seqzoo.tasks"
ARCHITECTURE_ENTRY_POINTS = "seqzoo.architectures"

# name -> spec, in the order `seqzoo --help` lists them.
_TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (
    sentiment.SPEC,
    language_model.SPEC,
    translation.SPEC,
    captioning.SPEC,
)}
BUILTIN_TASKS = tuple(_TASKS)
_entry_points_loaded = False


def register_task(spec: TaskSpec, replace: bool = False) -> TaskSpec:
    """Add a task template (a `TaskSpec`); its name must be new unless `replace`."""
    if not isinstance(spec, TaskSpec):
        raise TypeError(f"register_task takes a seqzoo.tasks.common.contract.TaskSpec, got {type(spec).__name__}.")
    if spec.name in _TASKS and not replace and _TASKS[spec.name] is not spec:
        raise ValueError(f"a task named {spec.name!r} is already registered.")
    _TASKS[spec.name] = spec
    return spec


def register_architecture(task: str, name: str, architecture: Architecture, replace: bool = False) -> None:
    """Add a line to a task's architecture table: `seqzoo train TASK --arch NAME` then
    builds it, and `seqzoo archs` and `seqzoo compare` list it."""
    if not isinstance(architecture, Architecture):
        raise TypeError(f"register_architecture takes a seqzoo.tasks.common.contract.Architecture, "
                        f"got {type(architecture).__name__}.")
    spec = get_task(task)
    if not isinstance(architecture, spec.architecture_type):
        raise TypeError(f"{task} architectures are {spec.architecture_type.__module__}."
                        f"{spec.architecture_type.__name__} objects, got {type(architecture).__name__}.")
    table = spec.architectures
    if name in table and not replace and table[name] is not architecture:
        raise ValueError(f"{task} already has an architecture named {name!r}.")
    table[name] = architecture


def unregister_task(name: str) -> None:
    """Take a task registered from Python out again (tests, notebooks)."""
    _all_tasks().pop(name, None)


def unregister_architecture(task: str, name: str) -> None:
    """Take an architecture registered from Python out of a task's table again."""
    get_task(task).architectures.pop(name, None)


def builtin_task_names() -> tuple[str, ...]:
    """The tasks seqzoo itself ships (the others come from plug-ins)."""
    return BUILTIN_TASKS


def get_task(name: str) -> TaskSpec:
    """The spec of a task by its command-line name."""
    tasks = _all_tasks()
    if name not in tasks:
        raise UsageError(f"unknown task {name!r}; known: {', '.join(tasks)}.")
    return tasks[name]


def task_of_run(run_dir) -> TaskSpec:
    """The spec of the task a run directory holds (checking that this seqzoo can read it)."""
    from seqzoo.tasks.common.run_directory import read_run_info

    name = read_run_info(run_dir).get("task")
    if name not in _all_tasks():
        raise UsageError(f"{run_dir} holds a {name!r} run, which this seqzoo cannot use.")
    return _all_tasks()[name]


def task_names() -> list[str]:
    return list(_all_tasks())


def all_tasks() -> list[TaskSpec]:
    return list(_all_tasks().values())


def _all_tasks() -> dict[str, TaskSpec]:
    _load_entry_points()
    return _TASKS


def _load_entry_points() -> None:
    """Tasks first, then architectures (which may extend those tasks). A broken entry
    point is reported on stderr and skipped, so one bad plug-in cannot stop seqzoo."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for entry in metadata.entry_points(group=TASK_ENTRY_POINTS):
        spec = _load(entry)
        if spec is not None:
            _guarded(entry, lambda: register_task(spec, replace=True))
    for entry in metadata.entry_points(group=ARCHITECTURE_ENTRY_POINTS):
        architecture = _load(entry)
        task, _, name = entry.name.rpartition(".")
        if architecture is not None:
            if not task:
                print(f"seqzoo: skipped architecture entry point {entry.name!r}: name it TASK.NAME.", file=sys.stderr)
                continue
            _guarded(entry, lambda: register_architecture(task, name, architecture, replace=True))


def _load(entry):
    try:
        value = entry.load()
        return value() if callable(value) and not isinstance(value, (TaskSpec, Architecture)) else value
    except Exception as error:  # a plug-in's fault: say which, carry on
        print(f"seqzoo: could not load entry point {entry.name} = {entry.value}: {error}", file=sys.stderr)
        return None


def _guarded(entry, register) -> None:
    try:
        register()
    except (TypeError, ValueError, UsageError) as error:
        print(f"seqzoo: skipped entry point {entry.name} = {entry.value}: {error}", file=sys.stderr)
