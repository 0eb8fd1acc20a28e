"""`override` for mypy without a runtime dependency (typing.override is 3.12+)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from typing_extensions import override
else:
    _F = TypeVar("_F")

    def override(func: _F) -> _F:
        """Return `func` unchanged; only type checkers read the decorator."""
        return func


__all__ = ["override"]
