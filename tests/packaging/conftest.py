"""The built distributions, shared by the packaging tests and the fresh-project test."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.services import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class Dists:
    """The wheel and sdist that `python -m build` made from the checkout, and the notifier's."""

    wheel: Path
    sdist: Path
    notify_wheel: Path  # openai-audit-notify, built from notify/


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """Build both once per session, offline: `--no-isolation` uses the venv's pinned hatchling."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(PROJECT_ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    notify = tmp_path_factory.mktemp("dist-notify")
    build = [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir"]
    subprocess.run(
        [*build, str(notify), str(PROJECT_ROOT / "notify")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (notify_wheel,) = notify.glob("*.whl")
    return Dists(wheel=wheel, sdist=sdist, notify_wheel=notify_wheel)
