"""Module paths of seqzoo before the one-folder-per-task layout, kept importable.

Like the registry, this module names the tasks' modules: it is the map from seqzoo 0.1's
flat `tasks/` to today's folders. `seqzoo.tasks` installs it on import.

`seqzoo.tasks.sentiment_job`, `seqzoo.tasks.samplers` and the other flat modules of
seqzoo 0.1 moved into `tasks/<task>/`, `tasks/common/` and the tools' folders. Code and
pickles that name an old path still import: the old name is an alias of the new module
(the same module object, so `isinstance` and monkeypatching agree). The old modules that
became packages (`seqzoo.tasks.sentiment`, `.compare`, `.finetune`, ...) forward their old
names from their package's `__init__`.

Examples:

>>> import importlib
>>> importlib.import_module("seqzoo.tasks.errors") is importlib.import_module("seqzoo.tasks.common.errors")
True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

# old module path -> the module that now holds its contents
MOVED_MODULES = {
    "seqzoo.tasks.errors": "seqzoo.tasks.common.errors",
    "seqzoo.tasks.versions": "seqzoo.tasks.common.versions",
    "seqzoo.tasks.detokenization": "seqzoo.tasks.common.detokenization",
    "seqzoo.tasks.sequence_loss": "seqzoo.tasks.common.sequence_loss",
    "seqzoo.tasks.plots": "seqzoo.tasks.common.plots",
    "seqzoo.tasks.model_files": "seqzoo.tasks.common.model_files",
    # the classifier's servable moved to the sentiment task
    "seqzoo.tasks.export": ("seqzoo.tasks.common.export", "seqzoo.tasks.sentiment.task"),
    "seqzoo.tasks.word_vector_init": "seqzoo.tasks.common.word_vector_init",
    # split in two: the shared config parts, and SentimentConfig
    "seqzoo.tasks.config": ("seqzoo.tasks.common.config", "seqzoo.tasks.sentiment.config"),
    "seqzoo.tasks.run_directory": "seqzoo.tasks.common.run_directory",
    "seqzoo.tasks.recipe": "seqzoo.tasks.common.recipe",
    "seqzoo.tasks.model_card": "seqzoo.tasks.common.model_card",
    "seqzoo.tasks.samplers": "seqzoo.tasks.common.samplers",
    "seqzoo.tasks.classification_metrics": "seqzoo.tasks.sentiment.metrics",
    "seqzoo.tasks.sentiment_cli": "seqzoo.tasks.sentiment.cli",
    "seqzoo.tasks.sentiment_job": "seqzoo.tasks.sentiment.jobs",
    "seqzoo.tasks.sentiment_estimator": "seqzoo.tasks.sentiment.estimator",
    "seqzoo.tasks.language_model_cli": "seqzoo.tasks.language_model.cli",
    "seqzoo.tasks.language_model_config": "seqzoo.tasks.language_model.config",
    "seqzoo.tasks.language_model_job": "seqzoo.tasks.language_model.jobs",
    "seqzoo.tasks.language_model_generator": "seqzoo.tasks.language_model.generator",
    "seqzoo.tasks.translation_cli": "seqzoo.tasks.translation.cli",
    "seqzoo.tasks.translation_config": "seqzoo.tasks.translation.config",
    "seqzoo.tasks.translation_job": "seqzoo.tasks.translation.jobs",
    "seqzoo.tasks.translation_metrics": "seqzoo.tasks.translation.metrics",
    "seqzoo.tasks.attention_plots": "seqzoo.tasks.translation.attention_plots",
    "seqzoo.tasks.captioning_cli": "seqzoo.tasks.captioning.cli",
    "seqzoo.tasks.captioning_config": "seqzoo.tasks.captioning.config",
    "seqzoo.tasks.captioning_job": "seqzoo.tasks.captioning.jobs",
    "seqzoo.tasks.captioning_metrics": "seqzoo.tasks.captioning.metrics",
    "seqzoo.tasks.caption_attention_plots": "seqzoo.tasks.captioning.attention_plots",
    "seqzoo.tasks.compare_cli": "seqzoo.tasks.compare.cli",
    "seqzoo.tasks.compare_worker": "seqzoo.tasks.compare.worker",
    "seqzoo.tasks.compare_report": "seqzoo.tasks.compare.report",
    "seqzoo.tasks.finetune_cli": "seqzoo.tasks.finetune.cli",
    "seqzoo.tasks.finetune_config": "seqzoo.tasks.finetune.config",
    "seqzoo.tasks.finetune_vocabulary": "seqzoo.tasks.finetune.vocabulary",
    "seqzoo.tasks.finetune_tasks": "seqzoo.tasks.finetune.task_parts",
    "seqzoo.tasks.weight_transfer": "seqzoo.tasks.finetune.weight_transfer",
    "seqzoo.tasks.diagnose_cli": "seqzoo.tasks.diagnose.cli",
    "seqzoo.tasks.diagnose_job": "seqzoo.tasks.diagnose.jobs",
    "seqzoo.tasks.gradient_diagnostics": "seqzoo.tasks.diagnose.gradients",
    "seqzoo.tasks.lstm_gates": "seqzoo.tasks.diagnose.lstm_gates",
    "seqzoo.tasks.embeddings_cli": "seqzoo.tasks.diagnose.embeddings_cli",
    "seqzoo.tasks.embedding_map": "seqzoo.tasks.diagnose.embedding_map",
    "seqzoo.tasks.run_parts": "seqzoo.tasks.diagnose.reading_stack",
    "seqzoo.tasks.inspect_cli": "seqzoo.tasks.inspection.cli",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old module path as the module that replaced it."""

    def find_spec(self, name, path=None, target=None):
        if name not in MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        target = MOVED_MODULES[module.__name__]
        if isinstance(target, str):
            # The import system reads sys.modules after exec_module: the alias replaces the
            # placeholder module, so both names are one module object.
            sys.modules[module.__name__] = importlib.import_module(target)
            return
        # A module that was split: the old name reads its names from the new modules.
        parts = [importlib.import_module(name) for name in target]

        def __getattr__(name: str):
            for part in parts:
                if hasattr(part, name):
                    return getattr(part, name)
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        module.__getattr__ = __getattr__


def install() -> None:
    """Let old module paths import (idempotent)."""
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())


def forward_names(package: str, names: dict[str, str | tuple[str, str]]):
    """A module `__getattr__` for a package that replaced a module of the same name:
    `names` maps each old public name to the submodule that now defines it (or to a
    `(submodule, new name)` pair). Only those names are forwarded, so importing a
    submodule never imports the others.

    Examples:

    >>> __getattr__ = forward_names("seqzoo.tasks.compare", {"parse_budget": "budget"})
    >>> __getattr__("parse_budget")("90s")
    90.0
    """

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        submodule, new_name = names[name] if isinstance(names[name], tuple) else (names[name], name)
        return getattr(importlib.import_module(f"{package}.{submodule}"), new_name)

    return __getattr__
