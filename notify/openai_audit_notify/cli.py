"""`openai-audit-notify send`: settings from OPENAI_AUDIT_NOTIFY_<NAME> (docs/notify.md)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings

import psycopg

from openai_audit_notify import __version__
from openai_audit_notify.destinations import SEND_TIMEOUT_SECONDS, silence_libraries
from openai_audit_notify.errors import NotifyError
from openai_audit_notify.run import send
from openai_audit_notify.settings import read_settings

log = logging.getLogger("openai_audit_notify")

DESCRIPTION = """\
Send the open alerts of openai_audit__alerts to each destination, once (again once when an
alert's severity rises). Settings are variables: OPENAI_AUDIT_NOTIFY_DESTINATIONS (Apprise
URLs, a JSON list or separated by whitespace), _DATABASE_URL, _SCHEMA, _MIN_SEVERITY (medium),
_BACKLOG_HOURS (24), _MAX_PER_RUN (50), _DRY_RUN (false). Exit 0: all delivered, nothing to
do, or another run holds the lock; 1: a destination failed (one line each) or a setting is
wrong (one line naming it).
"""


def main(argv: list[str] | None = None, *, timeout: float = SEND_TIMEOUT_SECONDS) -> int:
    """The console script; returns the exit status. `timeout` (each send's) is for tests."""
    parser = argparse.ArgumentParser(prog="openai-audit-notify", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("send", help="send what is pending", description=DESCRIPTION)
    parser.parse_args(argv)
    _configure_logging()
    try:
        return send(read_settings(os.environ), os.environ, timeout=timeout)
    except NotifyError as error:
        log.error("%s", error)  # noqa: TRY400 - one line, never a traceback
        return 1
    except psycopg.Error as error:
        # The connection lost mid-run, say: what was recorded stays, the rest goes next run.
        text = str(error).strip()
        log.error("PostgreSQL: %s", text.splitlines()[0] if text else type(error).__name__)  # noqa: TRY400
        return 1


def _configure_logging() -> None:
    silence_libraries()
    # Apprise 2.2.0 imports imghdr (deprecated in 3.11-3.12) for one plugin: not ours to fix,
    # and not a line for the person reading the job's log.
    warnings.filterwarnings("ignore", message="'imghdr' is deprecated", category=DeprecationWarning)
    for old in list(log.handlers):  # a second main() in one process writes to today's stderr
        log.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("openai-audit-notify %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
