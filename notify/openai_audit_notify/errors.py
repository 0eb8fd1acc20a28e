"""The notifier's errors. Each message is one line for a person, and never holds a secret.

- `BadInput`: a setting or the schema is wrong; the run stops before it records anything.
- `ConnectionFailed`: PostgreSQL cannot be reached with the settings given.
"""

from __future__ import annotations


class NotifyError(Exception):
    """Anything that stops a run before it sends: one line, exit 1."""


class BadInput(NotifyError):
    """A setting, a destination URL or the schema is unusable; nothing was recorded."""


class ConnectionFailed(NotifyError):
    """The database named by the settings cannot be reached."""
