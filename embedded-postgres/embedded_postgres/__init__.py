"""An embedded PostgreSQL for the demo, the tests and the benches (development only).

See docs/embedded-postgres.md, and `server.py` for how a server's folder is laid out.
"""

from __future__ import annotations

from embedded_postgres.errors import EmbeddedPostgresError
from embedded_postgres.server import (
    HOST,
    SUPERUSER,
    Server,
    binaries,
    claim,
    reclaim,
    start,
    status,
    stop,
    throwaway,
    wipe,
)

__all__ = [
    "HOST",
    "SUPERUSER",
    "EmbeddedPostgresError",
    "Server",
    "binaries",
    "claim",
    "reclaim",
    "start",
    "status",
    "stop",
    "throwaway",
    "wipe",
]
