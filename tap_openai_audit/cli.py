"""The `tap-openai-audit` command: the SDK's CLI, with the tap's failures as one clear line."""

from __future__ import annotations

import gc
import logging
import sys

from tap_openai_audit.errors import InvalidSettings, TapOpenAIAuditError


def main() -> None:
    """Run the tap's command line; a known failure exits 1 with its message, no traceback."""
    # Start-up is most of a short run's CPU (singer-sdk imports a lot). The cyclic collector
    # has nothing to find among freshly imported modules, so it waits until they are all in,
    # and then leaves them out of every later collection, including the one at exit.
    gc.disable()
    try:
        from tap_openai_audit.tap import TapOpenAIAudit  # noqa: PLC0415 - see above
    finally:
        gc.enable()
    gc.freeze()
    try:
        TapOpenAIAudit.cli()
    except TapOpenAIAuditError as exc:
        # One record per line: a runner that reads levels line by line (Meltano) sees each
        # problem of the settings as an error.
        problems = exc.problems if isinstance(exc, InvalidSettings) else [str(exc)]
        for problem in problems:
            logging.getLogger(TapOpenAIAudit.name).error("%s", problem)  # noqa: TRY400 - no traceback wall
        sys.exit(1)
