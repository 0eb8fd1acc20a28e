import json

import orjson
import pytest

from tap_openai_audit.jsonbody import NotJSON, read_json


def test_a_lone_surrogate_escape_is_read_although_orjson_refuses_it() -> None:
    body = b'{"data": [{"name": "a\\ud800b"}], "has_more": false}'
    # The reason for the fallback: if orjson ever reads this, the fallback is dead code.
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    assert read_json(body) == {"data": [{"name": "a\ud800b"}], "has_more": False}


def test_the_usual_body_reads_the_same_as_the_standard_parser() -> None:
    body = '{"a": [1, 2.5, null, true], "b": "\\u0000 é \\ud83d\\ude00", "c": {}}'.encode()
    assert read_json(body) == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>502</html>",
        b'{"data": [',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'"a\x00b"',  # a raw control character inside a string
        b'"\xed\xa0\x80"',  # a surrogate as raw bytes: not UTF-8
        b'"\xff"',
    ],
)
def test_text_no_conforming_parser_reads_is_refused(body: bytes) -> None:
    with pytest.raises(NotJSON):
        read_json(body)


def test_nesting_too_deep_for_both_parsers_is_refused_not_a_crash() -> None:
    depth = 100_000
    with pytest.raises(NotJSON, match="nested too deeply"):
        read_json(b"[" * depth + b"]" * depth)
