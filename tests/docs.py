"""The project's documentation as the tests read it: the README and the pages under docs/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def read(name: str) -> str:
    """`README.md`, or a page of docs/ by its file name (`sql.md`)."""
    path = README if name == "README.md" else DOCS / name
    return path.read_text("utf-8")


def section(name: str, title: str) -> str:
    """The body of the `## title` section of a page, up to the next `## ` heading."""
    text = read(name)
    heading = f"\n## {title}\n"
    assert heading in text, f"{name} has no section {title!r}"
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


def sql_blocks(text: str) -> list[str]:
    """Every ```sql block of `text`, in order."""
    return re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL)


def all_pages() -> str:
    """The README and every page of docs/, one after the other."""
    return "\n".join(
        [read("README.md"), *(p.read_text("utf-8") for p in sorted(DOCS.glob("*.md")))]
    )


# The examples' markers (docs/development.md, "Examples in the docs"): the comment line directly
# above a fenced block says whether a test runs it, and how, or why it is only an illustration.
MARKER = re.compile(r"<!-- (?P<kind>tested|illustration): (?P<detail>.*?) -->")
FENCE = re.compile(r"^\s*```(?P<language>\S*)")  # a list item's block is indented


@dataclass(frozen=True)
class Example:
    """One fenced block of a page: where it is, its language, its text and its marker."""

    page: str  # `README.md`, or a page of docs/ by its file name
    line: int  # the opening fence's line, counted from 1
    language: str  # the fence's info string: `sh`, `sql`, or "" when it names none
    text: str
    kind: str | None  # `tested` or `illustration`; None without a marker
    detail: str  # what the marker says after the colon

    @property
    def where(self) -> str:
        """`README.md:11`, `docs/sql.md:32`: where a reader finds it."""
        return f"{'' if self.page == 'README.md' else 'docs/'}{self.page}:{self.line}"


def examples() -> list[Example]:
    """Every fenced block of the README and of the pages of docs/, in order."""
    found = []
    for name in ["README.md", *(p.name for p in sorted(DOCS.glob("*.md")))]:
        lines = read(name).splitlines()
        opened: int | None = None
        for number, line in enumerate(lines):
            if not FENCE.match(line):
                continue
            if opened is not None:
                found.append(_example(name, lines, opened, number))
                opened = None
            else:
                opened = number
    return found


def _example(name: str, lines: list[str], opened: int, closed: int) -> Example:
    fence = FENCE.match(lines[opened])
    marker = MARKER.fullmatch(lines[opened - 1].strip()) if opened else None
    return Example(
        page=name,
        line=opened + 1,
        language=fence["language"] if fence else "",
        text="\n".join(lines[opened + 1 : closed]) + "\n",
        kind=marker["kind"] if marker else None,
        detail=marker["detail"].strip() if marker else "",
    )


# A statement of an SQL example ends with `;` at the end of a line (no example holds one inside
# a string).
STATEMENT_END = re.compile(r";[ \t]*$", flags=re.MULTILINE)


def statements(text: str) -> list[str]:
    """The statements of an SQL example, without the comment lines between them."""
    parts = (part.strip() for part in STATEMENT_END.split(text))
    return [p for p in parts if p and not all(line.startswith("--") for line in p.splitlines())]
