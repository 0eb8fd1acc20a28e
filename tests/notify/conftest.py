"""The notifier's fixtures: a throwaway schema, receivers, and runs whose every line is scanned.

Every run goes through `Runs`, which keeps all it printed; at each test's end, that text, every
log record and the deliveries table are searched for each receiver's secret parts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from openai_audit_notify import cli
from tests.notify.support import Receiver, Warehouse
from tests.services import active_database

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.services import Connection

FAST_TIMEOUT = 3.0  # seconds per send in these tests (30 s in real runs); ample on 127.0.0.1
PREFIXES = ("OPENAI_AUDIT_NOTIFY_", "DBT_POSTGRES_", "TARGET_POSTGRES_")
SILENCED = ("apprise", "urllib3")


@dataclass
class Done:
    """One run: its exit status and the lines it printed."""

    status: int
    output: str

    @property
    def lines(self) -> list[str]:
        """The non-empty lines it printed."""
        return [line for line in self.output.splitlines() if line.strip()]


@dataclass
class Runs:
    """Runs `openai-audit-notify send` against the test's schema; keeps every output."""

    warehouse: Warehouse
    capsys: pytest.CaptureFixture[str]
    secrets: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    receivers: list[Receiver] = field(default_factory=list)

    def receiver(self, **options: object) -> Receiver:
        """A receiver whose secrets every scan looks for."""
        receiver = Receiver(**options)  # type: ignore[arg-type]
        self.receivers.append(receiver)
        self.secrets.extend(receiver.secrets)
        return receiver

    def env(self, *destinations: str, **settings: str) -> dict[str, str]:
        """The variables of one run: the test database, the schema, `settings`."""
        database = active_database()
        assert database is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
        env |= {
            "OPENAI_AUDIT_NOTIFY_DESTINATIONS": "\n".join(destinations),
            "OPENAI_AUDIT_NOTIFY_DATABASE_URL": database.url(),
            "OPENAI_AUDIT_NOTIFY_SCHEMA": self.warehouse.schema,
        }
        env |= {f"OPENAI_AUDIT_NOTIFY_{k.upper()}": v for k, v in settings.items()}
        return env

    def send(
        self,
        monkeypatch: pytest.MonkeyPatch,
        *destinations: str,
        timeout: float = FAST_TIMEOUT,
        **settings: str,
    ) -> Done:
        """One run in this process, with the sends' timeout shortened."""
        self.capsys.readouterr()
        with monkeypatch.context() as patch:
            for name in list(os.environ):
                if name.startswith(PREFIXES):
                    patch.delenv(name)
            for name, value in self.env(*destinations, **settings).items():
                patch.setenv(name, value)
            status = cli.main(["send"], timeout=timeout)
        captured = self.capsys.readouterr()
        output = captured.out + captured.err
        self.outputs.append(output)
        return Done(status, output)

    def start(self, *destinations: str, **settings: str) -> subprocess.Popen[str]:
        """`openai-audit-notify send` as its own process (30 s timeouts)."""
        return subprocess.Popen(
            [sys.executable, "-m", "openai_audit_notify", "send"],
            env=self.env(*destinations, **settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def finish(self, process: subprocess.Popen[str]) -> Done:
        """Wait for a process from `start`; keep what it printed."""
        output, _ = process.communicate(timeout=120)
        self.outputs.append(output)
        return Done(process.returncode, output)


@pytest.fixture(autouse=True)
def _no_connection_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """No notifier, dbt or loader variable from the developer's shell reaches a test."""
    for name in list(os.environ):
        if name.startswith(PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def warehouse(postgres: Connection) -> Iterator[Warehouse]:
    """A throwaway schema with empty alerts and findings tables."""
    made = Warehouse(postgres)
    try:
        yield made
    finally:
        made.drop()


@pytest.fixture
def runs(
    warehouse: Warehouse, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> Iterator[Runs]:
    """Runs of the notifier; at the end, no secret in anything they printed or stored."""
    caplog.set_level("DEBUG")
    made = Runs(warehouse, capsys)
    try:
        yield made
        rest = capsys.readouterr()
        texts = [
            *made.outputs,
            rest.out,
            rest.err,
            # pytest also hooks the loggers the notifier cuts off (Apprise's and urllib3's, which
            # log URLs) and whose records therefore reach no output of a real run: the
            # subprocess tests prove that on the process's whole output.
            *(r.getMessage() for r in caplog.records if not r.name.startswith(SILENCED)),
            repr(warehouse.deliveries()),
        ]
        for text in texts:
            for secret in made.secrets:
                assert secret not in text, "a destination's secret part was printed or stored"
    finally:
        for receiver in made.receivers:
            receiver.close()
