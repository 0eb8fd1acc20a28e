"""The batching writer: the SDK writer's bytes, in the same order, RECORD lines gathered."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import (
    ActivateVersionMessage,
    RecordMessage,
    SchemaMessage,
    StateMessage,
)
from typing_extensions import override

from tap_openai_audit import output
from tap_openai_audit.output import BatchingWriter

if TYPE_CHECKING:
    import pytest
    from singer_sdk.singerlib.encoding.simple import Message

EXTRACTED = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=timezone.utc)


def _messages() -> list[Message]:
    schema = SchemaMessage("s", {"properties": {"id": {"type": ["string"]}}}, ["id"], None)
    records: list[Message] = [
        RecordMessage("s", {"id": f"r{n}", "x": {"\u2028": [1.5, None]}}, time_extracted=EXTRACTED)
        for n in range(5)
    ]
    return [
        schema,
        *records[:3],
        StateMessage({"bookmarks": {"s": {"n": 3}}}),
        *records[3:],
        RecordMessage("s", {"id": "v"}, version=7),
        ActivateVersionMessage("s", 7),
        StateMessage({"bookmarks": {"s": {"n": 6}}}),
    ]


def _capture(
    monkeypatch: pytest.MonkeyPatch, writer: MsgSpecWriter, messages: list[Message]
) -> bytes:
    out = io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    monkeypatch.setattr("sys.stdout", stdout)
    for message in messages:
        writer.write_message(message)
    return out.getvalue()


def test_the_bytes_are_the_sdk_writers(monkeypatch: pytest.MonkeyPatch) -> None:
    sdk = _capture(monkeypatch, MsgSpecWriter(), _messages())
    ours = _capture(monkeypatch, BatchingWriter(), _messages())
    assert ours == sdk
    assert ours.count(b"\n") == len(_messages())


def test_records_wait_for_the_next_other_message_which_goes_out_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(out, encoding="utf-8", write_through=True))
    writer = BatchingWriter()
    messages = _messages()
    writer.write_message(messages[0])  # SCHEMA
    assert out.getvalue().count(b"\n") == 1
    for record in messages[1:4]:
        writer.write_message(record)
    assert out.getvalue().count(b"\n") == 1  # gathered
    writer.write_message(messages[4])  # STATE: the records first, then the STATE
    lines = out.getvalue().splitlines()
    assert [line[:17] for line in lines[1:]] == [b'{"type":"RECORD",'] * 3 + [b'{"type":"STATE","']


def test_a_large_batch_is_written_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(out, encoding="utf-8", write_through=True))
    writer = BatchingWriter()
    record = RecordMessage("s", {"id": "x", "pad": "y" * 1000})
    while not out.getvalue():
        writer.write_message(record)
    assert len(out.getvalue()) >= output.BATCH_BYTES


def test_a_stdout_that_takes_part_of_a_write_gets_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Raw(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        @override
        def writable(self) -> bool:
            return True

        @override
        def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
            taken = bytes(b[:7])
            self.data += taken
            return len(taken)

    raw = Raw()

    class Stdout:
        buffer = raw

        def flush(self) -> None:
            pass

    monkeypatch.setattr("sys.stdout", Stdout())
    writer = BatchingWriter()
    for message in _messages():
        writer.write_message(message)
    expected = _capture(monkeypatch, MsgSpecWriter(), _messages())
    assert bytes(raw.data) == expected


def test_records_left_gathered_when_the_run_stops_go_out_at_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(out, encoding="utf-8", write_through=True))
    writer = BatchingWriter()
    writer.write_message(RecordMessage("s", {"id": "last"}))
    assert out.getvalue() == b""
    output._flush_at_exit()  # what atexit runs
    assert out.getvalue() == b'{"type":"RECORD","stream":"s","record":{"id":"last"}}\n'
