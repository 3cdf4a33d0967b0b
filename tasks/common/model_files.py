"""Loading `.keras` model files: always in Keras safe mode, with errors that say what to do.

A `.keras` file can hold Python code (a `Lambda` layer's function, serialised as
bytecode) that runs when it is loaded. seqzoo's models never need any, so every
`.keras` file seqzoo reads goes through `load_keras_model`, which passes
`safe_mode=True` explicitly and holds Keras' safe-mode scope while loading: such a file
is refused even where a user has turned unsafe deserialisation on globally
(`keras.config.enable_unsafe_deserialization()`, which would otherwise win).
"""

from __future__ import annotations

from pathlib import Path

from seqzoo.tasks.common.errors import UsageError


def load_keras_model(path: str | Path, compile: bool = True):
    """`keras.saving.load_model(path, safe_mode=True)`, with one-sentence errors.

    Raises:
        UsageError: the file is missing or not a `.keras` archive; it holds Python
            code (refused by safe mode); or it uses a layer this seqzoo does not know
            (saved by a newer seqzoo, or by other code).
    """
    import keras

    import seqzoo.zoo  # noqa: F401  registers seqzoo's layers and models with Keras

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
        missing = _unknown_class(str(error))
        if missing is None:
            raise
        from seqzoo.tasks.common.versions import seqzoo_version

        raise UsageError(
            f"{path} uses a layer or model class {missing!r} that seqzoo {seqzoo_version()} does not "
            "know: it was saved by a newer seqzoo (upgrade seqzoo), or the class comes from another "
            "package that is not installed or not imported (a plug-in architecture names the module "
            "of its layers in its Architecture's `modules`)."
        ) from None


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


def _unknown_class(message: str) -> str | None:
    marker = "Could not locate class '"
    if marker not in message:
        return None
    return message.split(marker, 1)[1].split("'", 1)[0]
