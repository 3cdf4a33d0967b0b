"""The installed seqzoo version, read from the package metadata."""

from importlib import metadata


def seqzoo_version() -> str:
    try:
        return metadata.version("seqzoo")
    except metadata.PackageNotFoundError:
        return "unknown"
