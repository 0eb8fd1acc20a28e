"""The `tap-openai-audit` command: the SDK's CLI, with the tap's failures as one clear line."""

from __future__ import annotations

import logging
import sys

from tap_openai_audit.errors import TapOpenAIAuditError
from tap_openai_audit.tap import TapOpenAIAudit


def main() -> None:
    """Run the tap's command line; a known failure exits 1 with its message, no traceback."""
    try:
        TapOpenAIAudit.cli()
    except TapOpenAIAuditError as exc:
        logging.getLogger(TapOpenAIAudit.name).error("%s", exc)  # noqa: TRY400 - no traceback wall
        sys.exit(1)
