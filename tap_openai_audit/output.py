"""Singer messages to stdout: RECORD lines in batches, every other message at once.

The SDK's writers write and flush each message on its own: one system call per record, the
largest single cost of a record once the record is built. This writer gathers RECORD lines
and writes them when about 64 KiB have gathered, and before any other message. Order on
stdout is unchanged, and a STATE still reaches the target only after every record it
covers: a run killed with records still gathered has written no STATE for them either, so
the next run reads them again.
"""

from __future__ import annotations

import atexit
import sys
import weakref
from typing import TYPE_CHECKING, Any

from msgspec.json import Encoder
from singer_sdk.contrib.msgspec import MsgSpecWriter, enc_hook
from singer_sdk.singerlib import RecordMessage
from typing_extensions import override

if TYPE_CHECKING:
    from datetime import datetime

    from singer_sdk.singerlib.encoding.simple import Message

BATCH_BYTES = 64 * 1024

# The SDK's msgspec settings (see singer_sdk.contrib.msgspec), appending to a buffer.
_ENCODER = Encoder(enc_hook=enc_hook, decimal_format="number")
_WRITERS: weakref.WeakSet[BatchingWriter] = weakref.WeakSet()


class BatchingWriter(MsgSpecWriter):
    """The SDK's msgspec writer, with RECORD lines gathered before they are written."""

    def __init__(self) -> None:
        """Start with nothing gathered."""
        super().__init__()
        self._pending = bytearray()
        self._line = bytearray()
        # A RECORD line is its stream's head, the record, and a tail that records of one
        # page share (their version and `time_extracted`): only the record is encoded each time.
        self._heads: dict[str, bytes] = {}
        self._tail = b"}\n"
        self._tail_of: tuple[int | None, datetime | None] = (None, None)
        _WRITERS.add(self)

    @override
    def write_message(self, message: Message) -> None:
        if type(message) is not RecordMessage:
            self._pending += self.format_message(message)
            self.flush()
            return
        self.write_record(message.stream, message.record, message.version, message.time_extracted)

    def write_record(
        self,
        stream: str,
        record: dict[str, Any],
        version: int | None = None,
        extracted: datetime | None = None,
    ) -> None:
        """Write a RECORD line: the bytes `write_message` writes for that `RecordMessage`."""
        head = self._heads.get(stream)
        if head is None:
            head = b'{"type":"RECORD","stream":' + _ENCODER.encode(stream) + b',"record":'
            self._heads[stream] = head
        if version != self._tail_of[0] or extracted is not self._tail_of[1]:
            self._tail_of = (version, extracted)
            version_part = b"" if version is None else b',"version":' + _ENCODER.encode(version)
            extracted_part = (
                b"" if extracted is None else b',"time_extracted":' + _ENCODER.encode(extracted)
            )
            self._tail = version_part + extracted_part + b"}\n"
        # Made apart and appended in one step: a SIGTERM handler that writes the STATE
        # between two steps must never find half a line gathered.
        line = self._line
        line[:] = head
        _ENCODER.encode_into(record, line, -1)
        line += self._tail
        self._pending += line
        if len(self._pending) >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write everything gathered, then flush stdout."""
        out = sys.stdout.buffer
        pending = self._pending
        while pending:
            # A raw (unbuffered, PYTHONUNBUFFERED) stdout may take only part of it.
            written = out.write(pending)
            del pending[: written or 0]
        sys.stdout.flush()


@atexit.register
def _flush_at_exit() -> None:
    """Records gathered when the run stops on an error go out like the SDK's would have."""
    for writer in list(_WRITERS):
        writer.flush()
