import json
import re
from typing import Any

import orjson
import pytest

from tap_openai_audit.jsonbody import read_json
from tap_openai_audit.storable_text import (
    REPLACEMENT,
    WARNING_IDS,
    ReplacementTally,
    may_hold_unstorable,
    replace_unstorable,
)

R = REPLACEMENT


def test_values_and_keys_at_any_depth_are_replaced_and_the_rest_kept() -> None:
    value: Any = {
        "na\x00me": "x\x00y\ud800z",
        "list": ["ok", "\udfff", {"deep": ["\x00"]}],
        "clean": "é😀",
        "n": 1,
        "none": None,
    }
    fixed, changed = replace_unstorable(value)
    assert fixed == {
        f"na{R}me": f"x{R}y{R}z",
        "list": ["ok", R, {"deep": [R]}],
        "clean": "é😀",
        "n": 1,
        "none": None,
    }
    assert list(fixed) == [f"na{R}me", "list", "clean", "n", "none"]  # key order kept
    assert changed == 4  # three values and one key
    assert fixed is value
    orjson.dumps(fixed)  # writable as UTF-8 now


def test_a_string_on_its_own_is_returned_replaced() -> None:
    assert replace_unstorable("a\ud800") == (f"a{R}", 1)
    assert replace_unstorable("a") == ("a", 0)
    assert replace_unstorable(None) == (None, 0)


def test_keys_that_become_equal_both_survive() -> None:
    value = {"a\x00": 1, "a\ud800": 2, f"a{R}": 3}
    fixed, changed = replace_unstorable(value)
    assert sorted(fixed.values()) == [1, 2, 3]
    assert fixed[f"a{R}"] == 3  # the key that was already clean keeps its name
    assert changed == 2


def test_nesting_deeper_than_the_recursion_limit_is_walked() -> None:
    depth = 5000
    value: Any = "\x00"
    for _ in range(depth):
        value = [value]
    fixed, changed = replace_unstorable(value)
    assert changed == 1
    for _ in range(depth):
        fixed = fixed[0]
    assert fixed == R


@pytest.mark.parametrize(
    "text",
    ["\x00", "a\ud800", "\udc00b", "\ud83d", "\x00\ud800\udfff"],
)
def test_the_body_scan_flags_every_page_that_holds_such_a_character(text: str) -> None:
    # The way any JSON encoder can send them: as escapes, in either case of hex digit.
    lower = json.dumps({"k": text})
    upper = re.sub(r"\\u([0-9a-f]{4})", lambda match: "\\u" + match[1].upper(), lower)
    assert upper != lower or text == "\x00"
    for body in (lower.encode(), upper.encode()):
        assert may_hold_unstorable(body)
        assert replace_unstorable(read_json(body))[1] >= 1


def test_a_clean_body_is_not_walked() -> None:
    body = json.dumps({"k": "é😀 \\u0041", "n": [1, None]}, ensure_ascii=False).encode()
    assert not may_hold_unstorable(body)


def test_the_warning_names_counts_and_the_first_ids_never_the_values() -> None:
    tally = ReplacementTally()
    assert tally.take_warning() is None
    tally.add("audit_log-clean", 0)
    for number in range(WARNING_IDS + 10):
        tally.add(f"audit_log-{number}", 2)
    warning = tally.take_warning()
    assert warning is not None
    first = ", ".join(f"audit_log-{number}" for number in range(WARNING_IDS))
    assert warning == (
        f"{2 * (WARNING_IDS + 10)} values in {WARNING_IDS + 10} events had U+0000 or lone "
        f"surrogates replaced by U+FFFD: {first}"
    )
    assert tally.take_warning() is None  # taken once: a failing run does not warn twice


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        (r"a\\u0000", False),  # an escaped backslash, then the letters u0000
        (r"\ud55c\uad6d\uc5b4", False),  # Hangul written as escapes: no surrogate
        (r"\u00e9\t\n\"\\", False),
        (r"\\\u0000", True),  # an escaped backslash, then a real \u0000 escape
        (r"\ud83d\ude00", True),  # a valid pair: a false positive, only a walk
        (r"\uDBFF", True),
        (r"\\" * 40 + r"\u0000", True),  # past the backslashes checked one by one
        (r"\\" * 40, False),
        (r"ends with a backslash \\", False),
    ],
)
def test_the_scan_reads_escapes_as_a_json_parser_does(text: str, *, flagged: bool) -> None:
    body = ('{"k": "' + text + '"}').encode()
    json.loads(body)  # valid JSON text, as the API would send
    assert may_hold_unstorable(body) is flagged
