"""Whatever JSON the API puts in an event, every record validates, is UTF-8 and holds no U+0000.

Each example is a run of the tap, in process, over events served by the emulator (in process
too, `served_in_process`: the bytes it would send, without a server):
arbitrary JSON under `actor`, `project`, the payload and unknown top-level keys, with the same
keys typed differently across the events of one run, and strings that hold U+0000 and lone
surrogates (in keys too). The records are checked against the schema the tap declares, with
the validator singer-sdk targets use, formats included.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from singer_sdk.sinks.core import JSONSchemaValidator

from openai_audit_emulator import Emulator
from tap_openai_audit.audit_log.records import KNOWN_KEYS
from tests.faults.support import END, END_ISO, IN_PROCESS_URL, served_in_process
from tests.tap_runs import base_config, catalog_selecting, run_in_process

REPLACEMENT = "\ufffd"
START = END - 3600
CONFIG = base_config(IN_PROCESS_URL, start_date="2026-10-31T23:00:00Z", end_date=END_ISO)
# The audit log alone: the inventory's records are checked in tests/integration.
CATALOG = catalog_selecting(CONFIG, {"audit_logs"})

# Every character, surrogates included, with the two that stop loads made frequent.
characters = st.one_of(
    st.characters(exclude_categories=()),
    st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff", "😀", "é"]),
)
texts = st.text(characters, max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        # Few key names, so that events of one run share keys with values of other types.
        st.dictionaries(
            st.one_of(st.sampled_from(["data", "provider", "x\x00"]), texts), children, max_size=4
        ),
    ),
    max_leaves=12,
)
event_types = st.sampled_from(["api_key.created", "external_key.registered", "widget.new"])
unknown_keys = st.dictionaries(
    texts.filter(lambda key: key not in KNOWN_KEYS and not key.endswith(".created")),
    json_values,
    max_size=2,
)


@st.composite
def events(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 6))
    drawn = []
    for number in range(count):
        event_type = draw(event_types)
        event: dict[str, Any] = {**draw(unknown_keys)}
        event.update(
            id=f"audit_log-{number}",
            type=event_type,
            effective_at=START + number,
        )
        for key in ("actor", "project", event_type):
            if draw(st.booleans()):
                event[key] = draw(json_values)
        drawn.append(event)
    return drawn


def _replaced(value: Any) -> tuple[Any, bool]:
    """The value as the README promises it, and whether two keys became one (not compared)."""
    if isinstance(value, str):
        return "".join(
            REPLACEMENT if char == "\x00" or 0xD800 <= ord(char) <= 0xDFFF else char
            for char in value
        ), False
    if isinstance(value, list):
        items = [_replaced(item) for item in value]
        return [item for item, _ in items], any(merged for _, merged in items)
    if isinstance(value, dict):
        pairs = [(_replaced(key)[0], _replaced(item)) for key, item in value.items()]
        merged = len({key for key, _ in pairs}) < len(pairs) or any(m for _, (_, m) in pairs)
        return {key: item for key, (item, _) in pairs}, merged
    return value, False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_every_record_validates_is_utf8_and_holds_no_nul(drawn: list[dict[str, Any]]) -> None:
    with served_in_process(Emulator(events=drawn)):
        run = run_in_process(CONFIG, catalog=CATALOG)
    schemas = [
        m["schema"] for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == "audit_logs"
    ]
    assert schemas, "no SCHEMA message"
    validator = JSONSchemaValidator(schemas[0], validate_formats=True)
    records = {record["id"]: record for record in run.records}
    assert sorted(records) == sorted(event["id"] for event in drawn)  # every event, once
    assert "\\u0000" not in run.stdout
    assert "\x00" not in run.stdout
    run.stdout.encode("utf-8")  # strict: a lone surrogate would raise here
    for event in drawn:
        record = records[event["id"]]
        validator.validate(record)
        # As a conforming parser reads it: a high surrogate followed by a low one, written as
        # two escapes, is one character on the wire.
        sent = json.loads(
            json.dumps(
                {
                    "actor": event.get("actor"),
                    "project": event.get("project"),
                    "payload": event.get(event["type"]),
                    "extra": {
                        key: value
                        for key, value in event.items()
                        if key not in KNOWN_KEYS and key != event["type"]
                    }
                    or None,
                }
            )
        )
        expected, merged = _replaced(sent)
        if not merged:  # everything but the replaced characters is kept
            assert {key: record[key] for key in expected} == json.loads(json.dumps(expected))
