"""Shared fixture: one default-organization emulator per module."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from openai_audit_emulator import Emulator

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def default_emulator() -> Iterator[Emulator]:
    """The default organization, read-only: tests that change state build their own."""
    with Emulator() as emu:
        yield emu
