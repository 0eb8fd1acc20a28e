r"""Make every string of a JSON value storable by every target.

Two kinds of character stop a load for good: U+0000, which PostgreSQL cannot hold in `text` or
`jsonb`, and lone UTF-16 surrogates (U+D800 to U+DFFF without their pair), which are not
Unicode at all and cannot be written as UTF-8. Each one becomes U+FFFD, the Unicode
replacement character; the rest of the string is kept. Object keys are treated like values.

The usual page holds neither, and walking every value of every page would cost the tap a
good share of its speed. JSON text can only carry these characters as escapes (``\u0000``,
``\ud800``...``\udfff``): a raw NUL byte is not allowed inside a JSON string, and raw
surrogate bytes are not UTF-8, which `jsonbody.read_json` refuses. So one scan of the raw
body, at memory speed, says whether a page needs the walk at all.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
# In a Python str every surrogate code point is a lone one: parsers join valid pairs.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# What the escapes look like in the body: `\u0000`, or `\uD800` to `\uDFFF` in either case.
# A false positive (`\\u0000` after an escaped backslash, a valid surrogate pair) only costs a
# walk.
_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# Most pages hold a handful of backslashes; past this many, one regex scan is cheaper.
_BACKSLASHES_BY_HAND = 32
_SURROGATE_SECOND_DIGIT = frozenset(b"89abcdefABCDEF")
WARNING_IDS = 50


def may_hold_unstorable(body: bytes) -> bool:
    """Whether the JSON text `body` can hold U+0000 or a lone surrogate once parsed.

    False is a guarantee for UTF-8 JSON text; True only means the values must be looked at.
    It jumps from backslash to backslash (a `memchr`, a few microseconds for a 100-event
    page): a substring search for the escapes took as long as parsing the page.
    """
    position = body.find(b"\\")
    for _ in range(_BACKSLASHES_BY_HAND):
        if position < 0:
            return False
        if body[position + 1 : position + 2] == b"u" and (
            body[position + 2 : position + 6] == b"0000"
            or (
                body[position + 2 : position + 3] in {b"d", b"D"}
                and body[position + 3 : position + 4] != b""
                and body[position + 3] in _SURROGATE_SECOND_DIGIT
            )
        ):
            return True
        # Skip the escaped character too: in `\\u0000` the second backslash is escaped.
        position = body.find(b"\\", position + 2)
    return position >= 0 and _ESCAPE.search(body, position) is not None


def replace_unstorable(value: Any) -> tuple[Any, int]:  # noqa: ANN401 - any JSON value
    """Replace U+0000 and lone surrogates by U+FFFD in every string and key of `value`.

    Objects and arrays are changed in place (a freshly parsed body is nobody else's); a
    string on its own is returned replaced. The count is the number of strings changed,
    keys included. Two keys that become equal both survive: the later one gets further
    U+FFFD appended until it is unique, so no value is dropped.

    Returns:
        The value (the same object unless it is a string) and the count.
    """
    if isinstance(value, str):
        fixed = _fix(value)
        return fixed, int(fixed is not value)
    changed = 0
    # An explicit stack rather than recursion: the parser accepts nesting deeper than
    # Python's recursion limit allows for a walk started inside the tap's own frames.
    stack: list[Any] = [value] if isinstance(value, (dict, list)) else []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            changed += _fix_keys(node)
        # Replacing a dict's value while iterating its items is safe: its size never changes.
        for slot, item in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(item, str):
                fixed = _fix(item)
                if fixed is not item:
                    node[slot] = fixed
                    changed += 1
            elif isinstance(item, (dict, list)):
                stack.append(item)
    return value, changed


def _fix(text: str) -> str:
    """`text` with every unstorable character replaced; the same object when there is none."""
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(REPLACEMENT, text)


def _fix_keys(node: dict[str, Any]) -> int:
    """Replace unstorable characters in `node`'s keys, keeping their order; return how many."""
    if not any(_UNSTORABLE.search(key) for key in node):
        return 0
    items = list(node.items())
    originals = set(node)
    node.clear()
    changed = 0
    for key, item in items:
        fixed = _fix(key)
        if fixed is not key:
            changed += 1
            while fixed in node or fixed in originals:
                fixed += REPLACEMENT
        node[fixed] = item
    return changed


class ReplacementTally:
    """Counts replacements over a run, for its one warning."""

    def __init__(self) -> None:
        """Start with nothing replaced."""
        self.values = 0
        self.records = 0
        self._ids: list[str] = []

    def add(self, record_id: str, values: int) -> None:
        """Note that `values` strings of record `record_id` were changed (0 is ignored)."""
        if values <= 0:
            return
        self.values += values
        self.records += 1
        if len(self._ids) < WARNING_IDS:
            self._ids.append(record_id)

    def take_warning(self) -> str | None:
        """The warning, in the contract's words, for what was counted since the last one.

        None when nothing was replaced since. It names the first `WARNING_IDS` ids, never
        the values. Taking it starts a new count, so a run that warns at its end and also on
        its way out of a failure warns once.
        """
        if not self.values:
            return None
        warning = (
            f"{self.values} values in {self.records} events had U+0000 or lone surrogates "
            f"replaced by U+FFFD: {', '.join(self._ids)}"
        )
        self.values = self.records = 0
        self._ids = []
        return warning
