"""The one exception of this package."""

from __future__ import annotations


class EmbeddedPostgresError(Exception):
    """The server could not be set up, started or stopped; the message says why."""
