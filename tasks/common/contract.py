"""The task contract: what a task template declares, and the architecture table type.

A task template is a folder `tasks/<task>/` whose `__init__.py` holds a `TaskSpec`: its
name, config class, architecture table, command-line parts and the few facts the tools
need (metrics to show, model-card examples, which layers read tokens). Everything in a
`TaskSpec` is importable without TensorFlow, so `seqzoo --help`, `seqzoo archs` names
and the parent process of `seqzoo compare` stay light. The work itself is in the task's
jobs object (`spec.jobs()`, a `seqzoo.tasks.common.jobs.TaskJobs`), imported on first use.

Tools (compare, finetune, diagnose, inspect) reach a task only through its `TaskSpec` and
its jobs, never through the task's modules by name; `seqzoo.tasks.registry` lists the
specs.

Examples:

>>> from seqzoo.tasks.common.config import DataConfig, JSONConfig, ModelConfig, TrainConfig
>>> from dataclasses import dataclass
>>> @dataclass
... class ToyConfig(JSONConfig, TrainConfig, ModelConfig, DataConfig):
...     '''A toy task.'''
...     task: str = "toy"
>>> spec = TaskSpec(
...     name="toy", config_class=ToyConfig,
...     architectures={"gru": Architecture("a GRU", build=lambda config, size: None)},
...     jobs=lambda: None,
... )
>>> spec.architecture("gru").description
'a GRU'
>>> spec.architecture("cnn")
Traceback (most recent call last):
...
seqzoo.tasks.common.errors.UsageError: unknown architecture 'cnn' for toy; known: gru.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Mapping

from seqzoo.tasks.common.errors import UsageError


@dataclass(frozen=True)
class Architecture:
    """One line of a task's architecture table: how to build the model (or the part of
    it that differs between architectures) from the run's config and vocabulary sizes.

    `build` is called only when a model is built, so it imports `seqzoo.zoo` (and with it
    TensorFlow) inside its body; the table itself stays importable without TensorFlow.
    What `build` takes and returns is the task's to say (see each task's
    `architectures.py`): for example `build(config, vocabulary_size) -> encoder layer` for
    sentiment.

    Args:
        description: one line for `seqzoo archs`, `--help` and model cards.
        build: the builder, a plain function.
        recurrent: whether the model carries a recurrent state (gradient clipping by
            default, `seqzoo diagnose gradients`).
        modules: modules to import before a saved model of this architecture is loaded:
            those that define (and register with Keras) the layers `build` uses when they
            are not seqzoo's, e.g. a plug-in's `("my_package.layers",)`.

    Examples:

    >>> Architecture("a GRU", build=print).recurrent
    True
    """

    description: str
    build: Callable[..., Any]
    recurrent: bool = True
    modules: tuple[str, ...] = ()


def find_architecture(task: str, table: Mapping[str, Architecture], name: str) -> Architecture:
    """`table[name]`, or a `UsageError` naming the task and its known architectures.

    Examples:

    >>> find_architecture("toy", {"gru": Architecture("a GRU", print)}, "gru").description
    'a GRU'
    """
    try:
        return table[name]
    except KeyError:
        raise UsageError(f"unknown architecture {name!r} for {task}; known: {', '.join(table)}.") from None


@dataclass(frozen=True)
class MetricColumn:
    """A test metric a task reports: its key in `metrics.json`, the title of its column
    in reports and model cards, and the decimals shown.

    Examples:

    >>> MetricColumn("accuracy", "accuracy", 4).title
    'accuracy'
    """

    key: str
    title: str
    decimals: int


@dataclass(frozen=True)
class ByLength:
    """A test score by input length, as `seqzoo compare` plots it: the plot's labels, and
    where the rows are (`rows_key`, in the run's compare result or else its metrics,
    each row `{"lengths": [low, high], "examples": n, score_key: score}`).

    Examples:

    >>> ByLength("BLEU by source length (test)", "source length (tokens)", "BLEU", "bleu_by_length", "bleu").y_label
    'BLEU'
    """

    title: str
    x_label: str
    y_label: str
    rows_key: str
    score_key: str


@dataclass(frozen=True)
class TokenSide:
    """Which part of a task's model reads token ids, and with which preprocessor: the
    layer at `model_attribute` of `task.model` (it has an `embedding`, a
    `TokenEmbedding`), fed by the preprocessor at `preprocessor_attribute` of the task.

    Examples:

    >>> TokenSide("encoder", "preprocessor").model_attribute
    'encoder'
    """

    model_attribute: str
    preprocessor_attribute: str


@dataclass
class TaskSpec:
    """What a task template declares: the one place the rest of seqzoo learns about it.

    Args:
        name: the task's command-line name (`seqzoo train NAME`), e.g. "sentiment".
        title: a few words for plot titles and messages (default: the name with spaces,
            "language model").
        config_class: its config dataclass (`JSONConfig` and the shared config parts);
            each field is a `seqzoo train NAME` flag.
        architectures: its architecture table, name -> `Architecture`, in the order
            `seqzoo archs NAME` lists them. Users add lines with
            `seqzoo.tasks.registry.register_architecture`.
        jobs: a function returning the task's `TaskJobs` (imported on first use, since
            it imports TensorFlow).
        cli: a TensorFlow-free module with `add_evaluate_flags(parser)` and
            `add_commands(commands)` for the task's own commands (`predict`, ...), or None.
        metrics: the test metrics its reports show, most important first.
        by_length: labels of its score-by-length plot, if its jobs measure one.
        builtin_dataset: the built-in data set it trains on without `--data`.
        example_requests: signature name -> TensorFlow Serving REST instances, for
            model cards.
        model_class: the zoo model class its `model.keras` holds (to recognise a bare
            `.keras` file).
        token_sides: side ("source", "target") -> the `TokenSide` that reads tokens
            there, or a sentence saying why that side has none. The first side is the
            default one.
        gradient_probe: how `seqzoo diagnose gradients` reads its models: "classifier"
            (labelled texts, the label predicted at the end) or "next-token" (a token
            stream), or None when the tool does not apply.
        architecture_type: the class every line of the table is an instance of (a task
            whose recipe reads more than `Architecture` holds declares its subclass).
        pipeline_tag: the Hugging Face Hub task of its models (hf.co/tasks), for model
            cards, or None.

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> spec = get_task("language-model")
    >>> spec.title, spec.architecture("gru").recurrent, [m.key for m in spec.metrics][:2]
    ('language model', True, ['perplexity', 'bits_per_char'])
    """

    name: str
    config_class: type
    architectures: dict[str, Architecture]
    jobs: Callable[[], Any]
    title: str = ""
    cli: ModuleType | None = None
    metrics: tuple[MetricColumn, ...] = ()
    by_length: ByLength | None = None
    builtin_dataset: str | None = None
    example_requests: Mapping[str, list] = field(default_factory=dict)
    model_class: str | None = None
    token_sides: Mapping[str, TokenSide | str] = field(default_factory=dict)
    gradient_probe: str | None = None
    architecture_type: type = Architecture
    pipeline_tag: str | None = None

    def __post_init__(self):
        self.title = self.title or self.name.replace("-", " ")

    def architecture(self, name: str) -> Architecture:
        """The table's line for `name`; an unknown name is one sentence listing the known."""
        return find_architecture(self.name, self.architectures, name)

    def summary(self) -> str:
        """The first line of the config's docstring, for `seqzoo train --help`."""
        return (self.config_class.__doc__ or self.title).strip().splitlines()[0]
