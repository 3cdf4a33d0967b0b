"""Loading `.keras` model files: always in Keras safe mode, with errors that say what to do.

A `.keras` file can hold Python code (a `Lambda` layer's function, serialised as
bytecode) that runs when it is loaded. seqzoo's models never need any, so every
`.keras` file seqzoo reads goes through `load_keras_model`, which passes
`safe_mode=True` explicitly and holds Keras' safe-mode scope while loading: such a file
is refused even where a user has turned unsafe deserialisation on globally
(`keras.config.enable_unsafe_deserialization()`, which would otherwise win).

Keras finds a saved layer's class only in its registry of custom objects: a class is
there once the module that defines it has been imported. seqzoo imports its own
(`seqzoo.zoo`, and the training loss in `seqzoo.tasks.common.sequence_loss`) before
loading; for any other class the error names the module the file says it came from,
and whether that module is missing, not imported, or lacks the class (a newer version
wrote the file).
"""

from __future__ import annotations

from pathlib import Path

from seqzoo.tasks.common.errors import UsageError


def load_keras_model(path: str | Path, compile: bool = True):
    """`keras.saving.load_model(path, safe_mode=True)`, with one-sentence errors.

    Raises:
        UsageError: the file is missing or not a `.keras` archive; it holds Python
            code (refused by safe mode); or it uses a class Keras cannot find, named with
            the import that would register it (`missing_class_message`).
    """
    import keras

    # Register seqzoo's classes with Keras: its layers and models, and the loss that a
    # trained translation or captioning model was compiled with.
    import seqzoo.tasks.common.sequence_loss  # noqa: F401
    import seqzoo.zoo  # noqa: F401

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such model file; is {path.parent} a complete run directory?")
    try:
        with _safe_mode_scope():
            return keras.saving.load_model(path, safe_mode=True, compile=compile)
    except ValueError as error:
        message = str(error)
        if "safe_mode" in message or "arbitrary code" in message:
            raise UsageError(
                f"{path} holds Python code (e.g. a Lambda layer), which seqzoo refuses to load: "
                "Keras safe mode blocks it because loading would run that code. seqzoo's own "
                "models never contain any; rebuild the model from a seqzoo architecture, or load "
                "the file yourself with keras.saving.load_model(..., safe_mode=False) only if you "
                "trust where it came from."
            ) from None
        if "File not found" in message or "zip" in message:
            raise UsageError(f"{path} is not a readable .keras file (a zip archive written by Keras 3).") from None
        raise
    except TypeError as error:
        message = missing_class_message(path, str(error))
        if message is None:
            raise
        raise UsageError(message) from None


def _safe_mode_scope():
    """A scope that forces safe mode on. Keras lets a global
    `keras.config.enable_unsafe_deserialization()` override the `safe_mode=True` given to
    `load_model`; its own scope (not public API) sets the global state back on exit."""
    import contextlib

    try:
        from keras.src.saving.serialization_lib import SafeModeScope
    except ImportError:  # another Keras layout: rely on safe_mode=True alone
        return contextlib.nullcontext()
    return SafeModeScope(True)


def missing_class_message(path, keras_error: str) -> str | None:
    """One sentence for Keras' "Could not locate class" error (None for another error):
    the class, its registered name and module as the file records them, and what to do,
    by where that module stands in this Python:

    - its package is not installed: install it;
    - it is installed but not imported: `import` it first (seqzoo's own loading always
      imports `seqzoo.zoo`; a plug-in architecture lists its module in `modules`);
    - it is imported (or it is a seqzoo module this seqzoo lacks) but does not
      register the class: the file was written by a newer seqzoo or a newer version of
      that package.

    Examples:

    >>> error = ("Could not locate class 'Gate'. Make sure custom classes ... Full object config: "
    ...          "{'module': 'shiny_layers.gates', 'class_name': 'Gate', 'config': {}, "
    ...          "'registered_name': 'shiny>Gate'}")
    >>> print(missing_class_message("run/model.keras", error))  # doctest: +NORMALIZE_WHITESPACE
    run/model.keras uses the class 'Gate' (registered as 'shiny>Gate') from the module shiny_layers.gates,
    whose package shiny_layers is not installed: install the package that provides it, then load the
    model again.
    """
    import importlib.util
    import sys

    import re

    found = re.search(r"Could not locate (class|function) '([^']+)'", keras_error)
    if found is None:
        return None
    kind, name = found.groups()
    module = _recorded(keras_error, "module")
    registered = _recorded(keras_error, "registered_name")
    what = f"{path} uses the {kind} {name!r}" + (f" (registered as {registered!r})" if registered else "")
    if module is None or module.split(".")[0] == "keras":
        return None if module else _newer_message(what)
    what += f" from the module {module}"
    package = module.split(".")[0]
    if package != "seqzoo" and module not in sys.modules:
        if importlib.util.find_spec(package) is None:  # looks for the package without importing it
            return (f"{what}, whose package {package} is not installed: install the package that provides "
                    "it, then load the model again.")
        return (f"{what}, which is not imported: run `import {module}` before loading it (a plug-in "
                "architecture lists its module in its Architecture's `modules`, which `Task.load` imports).")
    if package == "seqzoo" and module not in sys.modules:
        try:
            importlib.import_module(module)  # seqzoo's own module: safe to import, it may register the class
        except ImportError:
            return _newer_message(what + ", which this seqzoo does not have")
        if _registered(registered):
            return (f"{what}, which was not imported: run `import {module}` (or `import seqzoo.zoo` for "
                    "seqzoo's layers and models) before loading it.")
    return _newer_message(what + ", which does not register it")


def _newer_message(what: str) -> str:
    from seqzoo.tasks.common.versions import seqzoo_version

    return (f"{what}: the file was saved by a newer seqzoo than this one ({seqzoo_version()}) or by a newer "
            "version of the package that defines the class; upgrade it.")


def _recorded(keras_error: str, key: str) -> str | None:
    """A string field of the object config that Keras prints after "Full object config:"
    (the first occurrence is the missing object's own)."""
    import re

    config = keras_error.split("Full object config:", 1)[-1]
    found = re.search(rf"'{key}': '([^']+)'", config)
    return found.group(1) if found else None


def _registered(registered_name: str | None) -> bool:
    import keras

    return bool(registered_name) and keras.saving.get_registered_object(registered_name) is not None
