"""The one exception type for problems in a user's data."""


class DataError(ValueError):
    """A problem in a user's data file, explained in one sentence.

    The message names the file (and the line, where there is one) and says
    what is wrong, so the command line can print it without a traceback.
    It subclasses `ValueError` so that callers catching bad values also
    catch it.

    Args:
        message: one sentence that starts with the file name, for example
            `"reviews.csv, line 7: the text is empty"`.

    Examples:

    >>> try:
    ...     raise DataError("reviews.csv, line 7: the text is empty")
    ... except ValueError as error:
    ...     print(error)
    reviews.csv, line 7: the text is empty
    """
