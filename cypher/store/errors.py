"""What a store raises: one family of errors whose messages name the query and say what to do."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A query failed; the message names the query and the database's own reason."""


class StoreUnavailable(StoreError):
    """The database cannot be reached."""


class StoreDiskFull(StoreUnavailable):
    """The database cannot write its files (a full disk): it refuses every write."""


class ReadOnlyViolation(StoreError):
    """A query that writes was run through a read-only run."""


class QueryLimitExceeded(StoreError):
    """A query ran past its time limit or its memory limit and was stopped."""


class StoreBusy(StoreError):
    """Too many queries are waiting for the database; try again in a moment."""


def query_label(name: str | None) -> str:
    """How a message names the query: by its file name when it has one."""
    return f"query {name!r}" if name else "query"
