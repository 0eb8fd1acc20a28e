"""Every shell and SQL example of the README and docs/ is run by a test, or says why it is not.

The comment line directly above a fenced block is its marker (docs/development.md, "Examples in
the docs"). This module fails on an example without one, so a new example cannot go unchecked,
and runs the shell examples marked `tested: runs` in a copy of the project;
tests/transform/test_docs_queries.py runs the SQL ones against the emulator's organization
loaded and built through Meltano.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from typing import TYPE_CHECKING

import pytest

from tests import docs
from tests.e2e.support import meltano_environment
from tests.services import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

# The languages of examples a reader runs: each needs a marker.
RUNNABLE = {"sh", "bash", "shell", "console", "sql"}
# What `tested:` may say, per language; `by tests/...` names the test that runs it elsewhere.
SQL_CHECKS = {"returns rows", "returns no rows", "runs"}
SHELL_CHECKS = {"runs"}  # `console` blocks mix commands and output: by a test, or illustrations
HOW = "see docs/development.md, 'Examples in the docs'"
# In a block marked `tested: runs`, a line `#> text` is output the commands must print.
EXPECTED_OUTPUT = re.compile(r"^[ \t]*#> (.+)$", flags=re.MULTILINE)

# What a shell example reads from stdin: one line, for a secret it asks for at a prompt
# (`read -rsp 'Password: ' pw`), so that the command after the prompt runs too.
PROMPTED = "docs-example-secret\n"

EXAMPLES = docs.examples()


def _is_test_file(relative: str) -> bool:
    path = (PROJECT_ROOT / relative).resolve()
    return path.is_file() and path.is_relative_to(PROJECT_ROOT / "tests")


def _problem(example: docs.Example) -> str | None:
    """What is wrong with `example`'s marker, or None."""
    if example.kind is None:
        return "no marker: `<!-- tested: ... -->` or `<!-- illustration: why it is not run -->`"
    if example.kind == "illustration":
        return None if example.detail else "an illustration must say why it is not run"
    if example.detail.startswith("by "):
        tests = example.detail.removeprefix("by ").split()
        unknown = [test for test in tests if not _is_test_file(test)]
        return f"`{example.detail}`: no file {unknown} under tests/" if unknown else None
    checks = {"sql": SQL_CHECKS, "console": set()}.get(example.language, SHELL_CHECKS)
    if example.detail not in checks:
        return f"`tested: {example.detail}`: a {example.language} example says one of {checks}"
    return None


def test_every_fenced_block_names_its_language() -> None:
    # A bare fence would let a command slip past the markers: output is `text`.
    bare = [e.where for e in EXAMPLES if not e.language]
    assert not bare, f"fences without a language (`sh`, `sql`, `text`, ...): {bare}"


def test_every_shell_and_sql_example_is_tested_or_an_illustration() -> None:
    problems = [
        f"{example.where}: {problem}"
        for example in EXAMPLES
        if example.language in RUNNABLE and (problem := _problem(example))
    ]
    assert not problems, f"{HOW}\n" + "\n".join(problems)


def test_the_marker_check_catches_an_unmarked_or_unexplained_example() -> None:
    def example(kind: str | None, detail: str, language: str = "sh") -> docs.Example:
        return docs.Example("x.md", 1, language, "make demo\n", kind, detail)

    assert _problem(example(None, ""))
    assert _problem(example("illustration", ""))
    assert _problem(example("tested", "returns rows"))  # rows are for SQL
    assert _problem(example("tested", "by tests/no_such_test.py"))
    assert _problem(example("tested", "by README.md"))
    assert _problem(example("tested", "by tests/../README.md"))
    assert _problem(example("tested", "by tests/test_docs_examples.py tests/nothing.py"))
    assert not _problem(example("tested", "by tests/test_docs_examples.py"))
    assert not _problem(example("tested", "by tests/test_docs_examples.py tests/docs.py"))
    assert not _problem(example("tested", "returns no rows", "sql"))
    assert not _problem(example("illustration", "needs your own Admin key"))


def test_an_sql_example_splits_on_a_semicolon_at_the_end_of_a_line() -> None:
    text = "-- one\nselect 1;\n\n-- two; not the end\nselect ';'\n  from t;\n-- the end\n"
    assert docs.statements(text) == [
        "-- one\nselect 1",
        "-- two; not the end\nselect ';'\n  from t",
    ]


def _shell(example: docs.Example) -> object:
    marks = [pytest.mark.meltano, pytest.mark.slow] if "meltano" in example.text else []
    return pytest.param(example, id=example.where, marks=marks)


SHELL = [
    _shell(e)
    for e in EXAMPLES
    if e.language in RUNNABLE - {"sql", "console"} and e.kind == "tested" and e.detail == "runs"
]


def _run(example: docs.Example, tmp_path: Path, meltano_bin: Path | None) -> str | None:
    """Run a shell example in a copy of this project; what went wrong, or None.

    The copy holds `meltano.yml` and the Makefile, its own Meltano state and no key, and sees
    this checkout's virtualenvs, so an example may change the project (`meltano schedule add`)
    without touching the checkout.
    """
    project = tmp_path / "project"
    project.mkdir()
    for name in ("meltano.yml", "Makefile"):
        (project / name).write_bytes((PROJECT_ROOT / name).read_bytes())
    for name in (".venv", ".venv-meltano"):
        (project / name).symlink_to(PROJECT_ROOT / name)
    env = meltano_environment(tmp_path / "sys", tmp_path, f"docs_{uuid.uuid4().hex[:12]}")
    path = [str(PROJECT_ROOT / ".venv" / "bin"), env.get("PATH", os.defpath)]
    if meltano_bin is not None:
        path.insert(0, str(meltano_bin.parent))
    env["PATH"] = os.pathsep.join(path)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", example.text],
        cwd=project,
        env=env,
        input=PROMPTED,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        return f"{example.where} exited {done.returncode}:\n{output[-4000:]}"
    missing = [line for line in EXPECTED_OUTPUT.findall(example.text) if line not in output]
    if missing:
        return f"{example.where} did not print {missing}:\n{output[-4000:]}"
    return None


@pytest.mark.parametrize("example", SHELL)
def test_the_shell_example_runs(
    example: docs.Example, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    meltano_bin = request.getfixturevalue("meltano_bin") if "meltano" in example.text else None
    problem = _run(example, tmp_path, meltano_bin)
    assert problem is None, problem


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        (
            "read -rsp 'Secret: ' secret && echo \"got $secret\"\n#> got docs-example-secret\n",
            False,
        ),
        ("false\necho after\n", True),  # a failing command fails the example
        ("false | cat\n", True),
        ("echo hello\n   #> goodbye\n", True),  # documented output it does not print
    ],
)
def test_a_shell_example_fails_on_an_error_or_on_output_it_does_not_print(
    text: str, *, wrong: bool, tmp_path: Path
) -> None:
    example = docs.Example("x.md", 1, "sh", text, "tested", "runs")
    assert (_run(example, tmp_path, None) is not None) == wrong
