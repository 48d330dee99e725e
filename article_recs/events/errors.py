"""Errors a user can fix by changing the command line or the input.

The CLI prints them as one line on stderr and exits with status 2 (no traceback)."""

from __future__ import annotations


class InputError(ValueError):
    """Bad arguments or bad input data (a missing column, an unknown site, a rate out of range)."""


class InputFileNotFoundError(InputError, FileNotFoundError):
    """An input file or directory that does not exist."""


class UnavailableError(RuntimeError):
    """A warehouse or server that cannot be used (down, refusing the login, locked): exit status 3
    (:mod:`article_recs.exit_codes`)."""
