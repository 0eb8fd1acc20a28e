"""`python -m openai_audit_notify`."""

from __future__ import annotations

import sys

from openai_audit_notify.cli import main

if __name__ == "__main__":
    sys.exit(main())
