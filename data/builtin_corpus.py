"""Built-in running text for language models: "pydoc-topics", which ships with Python.

Python's standard library holds the text of its own documentation's topic
pages, the pages `help("if")` or `help("FORMATTING")` prints: the module
`pydoc_data.topics` is a dict, topic name -> text, with about 80 topics
(assignment, the `with` statement, formatted string literals, ...) and some
465,000 characters of English technical prose with code samples (Python
3.11). The text is the Python documentation (PSF licence), generated from
the reStructuredText sources of docs.python.org when Python is built; nothing
is downloaded.

`load_pydoc_topics()` joins the topics in sorted order, each headed by its
name and separated by a blank line, with the trailing white space of every
line removed. The text differs slightly between Python versions.
"""

from __future__ import annotations

__all__ = ["PYDOC_TOPICS", "load_corpus_builtin", "load_pydoc_topics"]

PYDOC_TOPICS = "pydoc-topics"


def load_pydoc_topics() -> str:
    """The text of Python's documentation topics (`pydoc_data.topics`), as one string.

    Returns:
        the corpus, about 465,000 characters on Python 3.11.

    Examples:

    >>> text = load_pydoc_topics()
    >>> len(text) > 100_000, "The \\"if\\" statement" in text
    (True, True)
    """
    from pydoc_data.topics import topics

    parts = []
    for name in sorted(topics):
        body = "\n".join(line.rstrip() for line in topics[name].strip("\n").split("\n"))
        parts.append(f"{name}\n\n{body}\n")
    return "\n".join(parts)


def load_corpus_builtin(name: str) -> str:
    """A built-in language-model corpus by name.

    Args:
        name: "pydoc-topics".

    Returns:
        the corpus text.

    Examples:

    >>> load_corpus_builtin("pydoc-topics")[:6]
    'assert'
    """
    loaders = {PYDOC_TOPICS: load_pydoc_topics}
    if name not in loaders:
        raise ValueError(
            f"Unknown built-in corpus {name!r}; the built-in corpora are: {', '.join(sorted(loaders))}."
        )
    return loaders[name]()
