"""The errors every layer raises and the API and pages answer in one way.

Why here: the API's error handler lives in ``duban.core`` and must know what "not found",
"not allowed" and "input to correct" are without importing the apps that raise them.
"""

from __future__ import annotations


class NotFound(Exception):
    """The object does not exist *for this user*; shown as 404 everywhere."""


class NotAllowed(Exception):
    """The user may see the object but not do this with it; shown as 403."""


class InputError(ValueError):
    """Input a clerk must correct; the message says what and where (400)."""


class StorageFull(OSError):
    """The server's disk (or the account's quota) is full: nothing was saved (507).

    Raised instead of the bare ``ENOSPC`` so that pages and the API can tell the clerk what
    happened, in a sentence, instead of answering with a server error.
    """


class PreconditionFailed(Exception):
    """``If-Match`` named a version the object no longer has: nothing was changed (412)."""

    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current
