"""The Emulator: an HTTP server in daemon threads serving the emulated endpoint."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from openai_audit_emulator._typing import override
from openai_audit_emulator.attack_story import plant_attack_story
from openai_audit_emulator.clock import DEFAULT_END, shift_events
from openai_audit_emulator.control import Control
from openai_audit_emulator.data_api import DataApi
from openai_audit_emulator.generator import generate_events, organization_for
from openai_audit_emulator.headers import Headers
from openai_audit_emulator.inventory import Inventory, build_inventory
from openai_audit_emulator.query import Filters
from openai_audit_emulator.responses import Response, request_id
from openai_audit_emulator.store import EventStore

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import TracebackType

    from typing_extensions import Self

    from openai_audit_emulator.actors import Organization
    from openai_audit_emulator.faults import Fault

DEFAULT_ADMIN_KEY = "sk-admin-emulator-fake-key-not-a-secret-abcd"
DEFAULT_DAYS = 30
DEFAULT_COUNT = 3000
DEFAULT_SEED = 1
_CONTROL_PREFIX = "/_emulator/"
AUDIT_LOG_PATH = "/v1/organization/audit_logs"
_POLL_INTERVAL = 0.05  # how soon stop() is noticed (the default 0.5 s slows every test)
_IDLE_TIMEOUT = 120.0  # seconds an idle keep-alive connection may hold a thread


def default_events() -> list[dict[str, Any]]:
    """Return the default organization's events (3000 events over the 30 days to DEFAULT_END)."""
    start = DEFAULT_END - DEFAULT_DAYS * 86400
    return generate_events(seed=DEFAULT_SEED, count=DEFAULT_COUNT, start=start, end=DEFAULT_END)


def default_organization() -> Organization:
    """Return the organization whose people, projects and keys act in `default_events()`."""
    start = DEFAULT_END - DEFAULT_DAYS * 86400
    return organization_for(seed=DEFAULT_SEED, count=DEFAULT_COUNT, start=start, end=DEFAULT_END)


@dataclass(frozen=True)
class RecordedRequest:
    """A data request as served; `headers` never holds Authorization."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int  # 0 when the connection was dropped without a response
    headers: Mapping[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A slow fault may sleep for long; stop() must not wait for it.
    block_on_close = False

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    @override
    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        # A client that hangs up mid-response (a killed tap, a timeout) is routine here,
        # not worth a traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        # Keep-alive sockets would otherwise outlive stop() in their handler threads.
        with self.connections_lock:
            sockets = list(self.connections)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "openai-audit-emulator"
    timeout = _IDLE_TIMEOUT
    # Headers and body go out in separate writes; with Nagle on, a keep-alive client's
    # delayed ACK stalls every response by ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    @override
    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    @override
    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        response = self.server.emulator.dispatch(method, self.path, self.headers.items(), body)
        if response.body is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("x-request-id", request_id())
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    @override
    def send_response(self, code: int, message: str | None = None) -> None:
        if self.server.emulator.send_date:
            super().send_response(code, message)
            return
        # The standard library always adds `Date`; an API (or a proxy) may not.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())

    @override
    def date_time_string(self, timestamp: float | None = None) -> str:
        # Every answer's `Date` comes from the emulated API's clock, which may be skewed.
        return super().date_time_string(
            self.server.emulator.now() if timestamp is None else timestamp
        )

    @override
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        # Per-request logging stays off unless asked for: benchmarks make millions of requests.
        if self.server.emulator.verbose:
            super().log_message(format, *args)


class Emulator:
    """A local emulator of `GET /v1/organization/audit_logs`.

    Use as a context manager, or call start() and stop(). Give `url` to the client as its base
    URL and `DEFAULT_ADMIN_KEY` (or `admin_key`) as its Admin API key.
    """

    def __init__(  # noqa: PLR0913 (the public signature has one keyword per setting)
        self,
        events: Iterable[Mapping[str, Any]] | None = None,
        *,
        admin_key: str = DEFAULT_ADMIN_KEY,
        order: str = "newest_first",
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
        clock_skew: float = 0.0,
        organization: Organization | None = None,
        hostile_inventory: bool = False,
        send_date: bool = True,
        attack_story: bool = False,
        end: int = DEFAULT_END,
    ) -> None:
        """Load the events (None: the default organization); the server starts on start().

        Args:
            events: API-shaped events to serve; None for `default_events()`.
            admin_key: the only key accepted as a bearer token.
            order: "newest_first", "oldest_first" or "shuffled".
            latency: seconds added before every data response.
            host: interface to listen on.
            port: TCP port; 0 picks a free one.
            verbose: log each request to stderr.
            clock_skew: seconds the emulated API's clock runs ahead of this machine's
                (negative: behind). It sets every answer's `Date` header and "now" for the
                events the control endpoint adds.
            organization: whose inventory the list endpoints serve (None: the default
                organization, the one acting in the default events).
            hostile_inventory: add shapes and characters the API may plausibly send to the
                inventory (see `build_inventory`).
            send_date: False leaves the `Date` header out of every answer.
            attack_story: also serve the attack story (see `attack_story.py`): events and
                inventory objects planted for every detection and access-review check.
            end: where the organization's history ends (Unix seconds, exclusive). The default
                events (`events` None) and the attack story are those written for
                `DEFAULT_END`, moved by `end - DEFAULT_END` (`clock.shift_events`): the same
                events at the same distances from the end. Events given in `events` are
                served as they are.
        """
        self._store = EventStore(order)
        self.end = end
        shift = end - DEFAULT_END
        self._store.add(shift_events(default_events(), shift) if events is None else events)
        self.organization = organization or default_organization()
        # Inventory timestamps trail the present, as a live organization's do ("unused for
        # 90 days" must mean the same whenever the tests run); its ids follow the organization.
        self.inventory: Inventory = build_inventory(
            self.organization, now=int(time.time()), hostile=hostile_inventory
        )
        self._api = DataApi(self._store, admin_key, self.inventory)
        self._api.latency = latency
        self._control = Control(self)
        self._host, self._port = host, port
        self.verbose = verbose
        self.clock_skew = clock_skew
        self.send_date = send_date
        if attack_story:
            # Its inventory ages count back from the API's clock, as the snapshot will see it.
            story = plant_attack_story(self.inventory, now=int(self.now()))
            self._store.add(shift_events(story, shift))
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        """Start serving."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self.stop()

    def start(self) -> None:
        """Bind and serve in a daemon thread (no-op if already started)."""
        if self._server is not None:
            return
        self._server = _Server((self._host, self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name="openai-audit-emulator",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close every open connection (no-op if not started)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join()

    @property
    def url(self) -> str:
        """Return the base URL to give a client, e.g. ``http://127.0.0.1:54321/v1``.

        Raises:
            RuntimeError: before start().
        """
        if self._server is None:
            msg = "the emulator is not started"
            raise RuntimeError(msg)
        raw_host, port = self._server.server_address[:2]
        host = raw_host.decode() if isinstance(raw_host, bytes) else raw_host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/v1"

    def now(self) -> float:
        """The emulated API's clock: this machine's, shifted by `clock_skew`."""
        return time.time() + self.clock_skew

    @property
    def latency(self) -> float:
        """Seconds added before every data response."""
        return self._api.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._api.latency = seconds

    def add_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Add events (an id already held is replaced); visible to the next request."""
        self._store.add(events)

    def delete_object(self, stream: str, object_id: str, *parents: str) -> None:
        """Remove an inventory object (a key, a user...) as if it were deleted in the API.

        Raises:
            KeyError: when no such object is listed.
        """
        if not self.inventory.delete(stream, object_id, parents):
            msg = f"no {stream} object {object_id!r} under {parents!r}"
            raise KeyError(msg)

    def inject(self, *faults: Fault) -> None:
        """Queue faults (FIFO); each is consumed by exactly one data request."""
        self._api.inject(faults)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Return a copy of every data request served, in arrival order."""
        with self._requests_lock:
            return list(self._requests)

    @property
    def audit_log_requests(self) -> list[RecordedRequest]:
        """Return a copy of every audit-log request served (not the inventory's)."""
        with self._requests_lock:
            return [r for r in self._requests if r.path == AUDIT_LOG_PATH]

    @property
    def data_request_count(self) -> int:
        """Return how many data requests were served."""
        with self._requests_lock:
            return len(self._requests)

    def stats(self) -> dict[str, int]:
        """Return the counters the stats endpoint shows."""
        return {
            "events": len(self._store),
            "data_requests": self.data_request_count,
            "pending_faults": self._api.pending_faults(),
        }

    def ground_truth(  # noqa: PLR0913 (one keyword per API filter)
        self,
        *,
        gte: int | None = None,
        lt: int | None = None,
        event_types: Iterable[str] | None = None,
        project_ids: Iterable[str] | None = None,
        actor_ids: Iterable[str] | None = None,
        actor_emails: Iterable[str] | None = None,
        resource_ids: Iterable[str] | None = None,
        tenant_only: bool = False,
    ) -> list[dict[str, Any]]:
        """Return the events the API would list for these filters, in no promised order."""
        filters = Filters(
            gte=gte,
            lt=lt,
            event_types=_frozen(event_types),
            project_ids=_frozen(project_ids),
            actor_ids=_frozen(actor_ids),
            actor_emails=_frozen(actor_emails),
            resource_ids=_frozen(resource_ids),
            tenant_only=tenant_only,
        )
        return self._store.ground_truth(filters)

    def dispatch(
        self, method: str, target: str, header_items: Iterable[tuple[str, str]], body: bytes
    ) -> Response:
        """Answer one HTTP request (the transport-free core, also handy in tests)."""
        headers = Headers(header_items)
        split = urlsplit(target)
        if split.path.startswith(_CONTROL_PREFIX):
            return self._control.handle(method, split.path, body)
        pairs = tuple(parse_qsl(split.query, keep_blank_values=True))
        response = self._api.handle(method, split.path, pairs, headers)
        kept = headers.without("Authorization")
        record = RecordedRequest(method, split.path, pairs, response.status, kept)
        with self._requests_lock:
            self._requests.append(record)
        return response


def _frozen(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)
