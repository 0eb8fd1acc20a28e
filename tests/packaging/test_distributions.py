"""What a user installs: the wheel holds the tap and nothing else, and an index would accept it."""

from __future__ import annotations

import email.parser
import re
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata as installed
from typing import TYPE_CHECKING

from tap_openai_audit import __version__
from tests.services import PROJECT_ROOT

if TYPE_CHECKING:
    from tests.packaging.conftest import Dists

# Read as text: tomllib is 3.11+, and the suite runs on 3.10 too.
PYPROJECT = (PROJECT_ROOT / "pyproject.toml").read_text("utf-8")


def _wheel_names(dists: Dists) -> list[str]:
    with zipfile.ZipFile(dists.wheel) as wheel:
        return wheel.namelist()


def _metadata(dists: Dists) -> email.message.Message:
    with zipfile.ZipFile(dists.wheel) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(wheel.read(name).decode("utf-8"))


def test_twine_check_passes_for_wheel_and_sdist(dists: Dists) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dists.wheel), str(dists.sdist)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_wheel_holds_only_the_tap_and_its_licence(dists: Dists) -> None:
    names = _wheel_names(dists)
    outside = [n for n in names if not n.startswith(("tap_openai_audit/", "tap_openai_audit-"))]
    assert outside == []
    assert not [n for n in names if "emulator" in n.lower()]
    assert "tap_openai_audit/data/audit_log_event_types.json" in names
    assert f"tap_openai_audit-{__version__}.dist-info/licenses/LICENSE" in names


def test_the_only_console_script_is_the_tap(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
        entry_points = wheel.read(name).decode("utf-8")
    assert entry_points.split() == [
        "[console_scripts]",
        "tap-openai-audit",
        "=",
        "tap_openai_audit.cli:main",
    ]


def test_the_metadata_carries_version_licence_urls_and_authors(dists: Dists) -> None:
    metadata = _metadata(dists)
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Author"]
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL", []))
    assert {"Homepage", "Repository", "Issues"} <= urls.keys()
    assert all(url.startswith("https://") for url in urls.values())
    assert metadata["Requires-Python"] == ">=3.10"


def test_the_sdist_holds_the_tap_licence_and_readme_but_no_emulator(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as sdist:
        names = sdist.getnames()
    top = f"tap_openai_audit-{__version__}/"
    assert {f"{top}LICENSE", f"{top}README.md", f"{top}pyproject.toml"} <= set(names)
    assert not [n for n in names if "emulator" in n.lower()]


def test_the_licence_file_is_the_apache_2_licence_pyproject_names() -> None:
    text = (PROJECT_ROOT / "LICENSE").read_text("utf-8")
    assert 'license = "Apache-2.0"' in PYPROJECT
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text


def test_the_version_is_written_once() -> None:
    assert not re.search(r"^version\s*=", PYPROJECT, flags=re.MULTILINE)
    assert 'dynamic = ["version"]' in PYPROJECT
    assert '[tool.hatch.version]\npath = "tap_openai_audit/__init__.py"' in PYPROJECT
    assert installed.version("tap-openai-audit") == __version__


def test_the_offline_build_uses_the_backend_build_system_pins() -> None:
    # --no-isolation builds with the venv's hatchling: it must be the one [build-system] names.
    (backend,) = re.findall(r'^requires = \["([^"]+)"\]', PYPROJECT, flags=re.MULTILINE)
    assert f"{backend}; extra == 'test'" in (installed.requires("tap-openai-audit") or [])
