"""Send the alerts of tap-openai-audit's transform package to people, once each."""

from __future__ import annotations

__all__ = ["__version__"]

# Released with the tap: the same version as tap_openai_audit (a test keeps them equal).
__version__ = "0.2.0"
