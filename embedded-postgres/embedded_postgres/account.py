"""Which account the server runs as: the caller's own, or `nobody` when the caller is root.

PostgreSQL refuses to run as root (`initdb`, `pg_ctl` and `postgres` all check), and CI here
runs as root. pgserver's own answer is to `useradd` a `pgserver` account and open every parent
folder of the data directory and of the binaries to everyone (`chmod g+rx,o+rx` up to `/`).
This module does less: it runs the server's commands as the account `nobody`, which Linux and
macOS both have, gives `nobody` the data directory, and where a parent folder cannot be entered
by others (a clone under `/root`, mode 0700), adds only the right to pass through it (`o+x`,
not to list it), with a warning. As a normal user nothing changes hands.
"""

from __future__ import annotations

import logging
import os
import pwd
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

from embedded_postgres.errors import EmbeddedPostgresError

SERVICE_ACCOUNT = "nobody"

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Account:
    """An account other than the caller's to run the server's commands as."""

    name: str
    uid: int
    gid: int

    def subprocess_options(self) -> dict[str, Any]:
        """Keyword arguments for `subprocess` that run a command as this account only."""
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def give(self, path: Path) -> None:
        """Make this account the owner of `path` (a folder the server writes in)."""
        os.chown(path, self.uid, self.gid)

    def make_reachable(self, path: Path) -> None:
        """Let this account pass through every parent folder of `path`.

        Only folders that others cannot enter change, and only by `o+x`: what they hold stays
        unlisted. Each change is logged as a warning, because it outlives the server.
        """
        for folder in reversed(path.resolve().parents):
            mode = folder.stat().st_mode
            if mode & stat.S_IXOTH:
                continue
            folder.chmod(mode | stat.S_IXOTH)
            _logger.warning(
                "added o+x to %s so that PostgreSQL, run as %s because it refuses root, "
                "can reach %s",
                folder,
                self.name,
                path,
            )


def server_account() -> Account | None:
    """The account to run the server as: None for the caller's own, `nobody` for root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError:
        msg = (
            f"running as root, and there is no account {SERVICE_ACCOUNT!r} to run PostgreSQL "
            "as (it refuses root): run as a normal user"
        )
        raise EmbeddedPostgresError(msg) from None
    return Account(SERVICE_ACCOUNT, entry.pw_uid, entry.pw_gid)
