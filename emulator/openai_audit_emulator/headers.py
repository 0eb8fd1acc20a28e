"""A read-only, case-insensitive header mapping (HTTP header names ignore case)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from openai_audit_emulator._typing import override


class Headers(Mapping[str, str]):
    """Headers as received: iterate the original names, look up in any case."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        """Keep the pairs; a later duplicate name wins."""
        self._items = {name.lower(): (name, value) for name, value in items}

    @override
    def __getitem__(self, name: str) -> str:
        """Return the value of `name`, in any case."""
        return self._items[name.lower()][1]

    @override
    def __iter__(self) -> Iterator[str]:
        """Iterate the names as the client sent them."""
        return (name for name, _ in self._items.values())

    @override
    def __len__(self) -> int:
        """Return the number of distinct names."""
        return len(self._items)

    @override
    def __repr__(self) -> str:
        """Show the headers like a dict."""
        return f"Headers({dict(self.items())!r})"

    def without(self, name: str) -> Headers:
        """Return a copy without `name` (used to drop Authorization from records)."""
        return Headers(pair for pair in self._items.values() if pair[0].lower() != name.lower())
