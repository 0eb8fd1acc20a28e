"""The package's import graph: the two stream families never import each other.

`tap_openai_audit/audit_log/` and `tap_openai_audit/inventory/` share only the top-level
modules (HTTP, errors, privacy, JSON types); `tap.py` is the one place that knows both.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tap_openai_audit"
FAMILIES = ("audit_log", "inventory")


def imported_modules(path: Path) -> set[str]:
    """Every `tap_openai_audit...` module `path` imports, at run time or for typing."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("tap_openai_audit")}


@pytest.mark.parametrize("family", FAMILIES)
def test_a_stream_family_never_imports_the_other(family: str) -> None:
    (other,) = [f for f in FAMILIES if f != family]
    arrows = {
        f"{path.relative_to(PACKAGE)} -> {module}"
        for path in sorted((PACKAGE / family).rglob("*.py"))
        for module in imported_modules(path)
        if module.startswith(f"tap_openai_audit.{other}")
    }
    assert not arrows


def test_shared_modules_import_no_stream_family_but_the_tap() -> None:
    # settings.py reads the audit log's scopes (a setting names them); tap.py assembles both.
    allowed = {"tap.py", "settings.py"}
    arrows = {
        f"{path.name} -> {module}"
        for path in sorted(PACKAGE.glob("*.py"))
        if path.name not in allowed
        for module in imported_modules(path)
        if module.startswith(tuple(f"tap_openai_audit.{f}" for f in FAMILIES))
    }
    assert not arrows


def test_the_checker_sees_an_arrow_when_there_is_one(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from tap_openai_audit.inventory.snapshot import Snapshot\n", "utf-8")
    assert "tap_openai_audit.inventory.snapshot" in imported_modules(module)
