"""Errors that the command line reports as one sentence, without a traceback."""


class UsageError(ValueError):
    """A request that cannot be carried out as asked: an unknown architecture, a run
    directory that already exists, a run directory that is not one. The message is
    one sentence that says what to do instead."""
