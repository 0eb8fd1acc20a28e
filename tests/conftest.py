"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from openai_audit_emulator import Emulator
from tests.services import meltano_bin, postgres

__all__ = ["meltano_bin", "postgres"]  # fixtures shared with every test folder

# CI explores the same examples on every run, so that a submission lands or not on its own
# merits; developers' runs keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key or tap setting from the developer's shell may leak into a test."""
    for name in ("OPENAI_ADMIN_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("TAP_OPENAI_AUDIT_"):
            monkeypatch.delenv(name)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """The default organization, served newest first on an ephemeral port."""
    with Emulator() as emu:
        yield emu
