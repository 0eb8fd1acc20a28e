"""`python -m tap_openai_audit` runs the tap's command line."""

from __future__ import annotations

from tap_openai_audit.cli import main

main()
