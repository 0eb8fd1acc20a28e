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

from msgspec.json import Encoder, decode
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
        # Records of one page share one `time_extracted`: its text is made once.
        self._extracted: datetime | None = None
        self._extracted_text: str = ""
        _WRITERS.add(self)

    @override
    def write_message(self, message: Message) -> None:
        if type(message) is not RecordMessage:
            self._pending += self.format_message(message)
            self.flush()
            return
        line: dict[str, Any] = {
            "type": "RECORD",
            "stream": message.stream,
            "record": message.record,
        }
        if message.version is not None:
            line["version"] = message.version
        extracted = message.time_extracted
        if extracted is not None:
            if extracted is not self._extracted:
                self._extracted = extracted
                # msgspec's own text of a datetime ("...Z"), as the SDK's writer writes it.
                self._extracted_text = decode(_ENCODER.encode(extracted))
            line["time_extracted"] = self._extracted_text
        # Made apart and appended in one step: a SIGTERM handler that writes the STATE
        # between two steps must never find half a line gathered.
        _ENCODER.encode_into(line, self._line)
        self._line += b"\n"
        self._pending += self._line
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
