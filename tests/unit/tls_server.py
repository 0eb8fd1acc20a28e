"""An https server on 127.0.0.1 whose certificate no CA signed, for the tests of TLS failures."""

from __future__ import annotations

import http.server
import ssl
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Iterator

# A certificate for localhost and 127.0.0.1, valid until 2126, signed by no CA but itself
# (made with `openssl req -x509`); `self-signed.pem` holds it and its key, for the server.
TLS = Path(__file__).parent / "tls"
SELF_SIGNED_CERT = TLS / "self-signed-cert.pem"


class _EmptyLists(http.server.BaseHTTPRequestHandler):
    """Every GET answers an empty list page."""

    def do_GET(self) -> None:
        body = (
            b'{"object": "list", "data": [], "first_id": null, "last_id": null, "has_more": false}'
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    @override
    def log_message(self, *_: object) -> None:
        """Quiet."""


@contextmanager
def serving_tls() -> Iterator[str]:
    """Serve with the self-signed certificate; yields the server's /v1 URL."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "self-signed.pem")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EmptyLists)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
