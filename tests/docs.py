"""The project's documentation as the tests read it: the README and the pages under docs/."""

from __future__ import annotations

import re
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
