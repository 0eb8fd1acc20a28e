"""A destination that fails is retried at the next run; the others are still served."""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

import pytest

from tests.notify.support import Message, closed_port_url
from tests.services import PROJECT_ROOT

if TYPE_CHECKING:
    from tests.notify.conftest import Runs
    from tests.notify.support import Warehouse

pytestmark = pytest.mark.postgres

DOCS = (PROJECT_ROOT / "docs" / "notify.md").read_text("utf-8")


def test_a_receiver_answering_500_is_retried_next_run_and_the_others_are_served(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    alerts = [warehouse.add("high"), warehouse.add("medium")]
    broken, working = runs.receiver(status=500), runs.receiver()

    failed = runs.send(monkeypatch, broken.url, working.url)

    assert failed.status == 1
    assert working.alert_ids == alerts
    (line,) = [line for line in failed.lines if " ERROR " in line]
    assert "json://…#" in line
    assert "HTTP 500" in line
    assert "2 alert(s) wait for the next run" in line
    rows = {(r["alert_id"], r["state"]) for r in warehouse.deliveries()}
    key_rows = [r for r in warehouse.deliveries() if r["state"] == "failed"]
    assert rows == {(alerts[0], "failed"), (alerts[0], "sent"), (alerts[1], "sent")}
    (row,) = key_rows
    assert (row["attempts"], row["last_error"], row["sent_at"]) == (1, "HTTP 500", None)
    assert line.split("json://…#")[1][:8] == row["destination"][:8]
    # docs/notify.md's query for what failed finds it too.
    (query,) = re.findall(r"```sql\n(.*?)```", DOCS, flags=re.DOTALL)
    query = query.replace("openai_audit_models.", f"{warehouse.schema}.")
    assert warehouse.connection.execute(query).fetchall() == [
        (row["destination"], 1, "HTTP 500", 1)
    ]

    broken.status = 200
    retried = runs.send(monkeypatch, broken.url, working.url)

    assert retried.status == 0
    # What failed before goes after what never did: one message a service keeps refusing
    # cannot hold back every alert behind it.
    assert broken.alert_ids == [alerts[1], alerts[0]]
    assert working.alert_ids == alerts  # nothing twice to the one that worked
    (row,) = [r for r in warehouse.deliveries() if r["attempts"] == 2]
    assert (row["state"], row["last_error"], row["alert_id"]) == ("sent", None, alerts[0])


@pytest.mark.parametrize("trouble", ["hangs", "is down"])
def test_a_receiver_that_hangs_or_is_down_fails_alone_with_one_line(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, trouble: str
) -> None:
    alert = warehouse.add("critical")
    release = threading.Event()
    if trouble == "hangs":
        url = runs.receiver(hook=lambda _: release.wait(30)).url
    else:
        url = closed_port_url()
        runs.secrets.append(url.split("/hooks/")[1])
    working = runs.receiver()

    try:
        done = runs.send(monkeypatch, url, working.url)
    finally:
        release.set()

    assert done.status == 1
    assert working.alert_ids == [alert]
    errors = [line for line in done.lines if " ERROR " in line]
    assert len(errors) == 1
    reason = "timed out" if trouble == "hangs" else "connection refused"
    assert reason in errors[0]
    failed = [r for r in warehouse.deliveries() if r["state"] == "failed"]
    assert [r["last_error"].split(" after")[0] for r in failed] == [reason]


def test_every_failing_destination_gets_its_own_line(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.add("high")
    first, second = runs.receiver(status=500), runs.receiver(status=503)

    done = runs.send(monkeypatch, first.url, second.url)

    errors = [line for line in done.lines if " ERROR " in line]
    assert done.status == 1
    assert len(errors) == 2
    assert {e.split("(")[1].split(";")[0] for e in errors} == {"HTTP 500", "HTTP 503"}


def _die_when(process: list[object], number: int) -> object:
    """A receiver hook: at message `number`, kill the sender before answering it."""
    seen: list[Message] = []

    def hook(message: Message) -> None:
        seen.append(message)
        if len(seen) == number:
            (sender,) = process
            sender.kill()  # type: ignore[attr-defined]
            sender.wait()  # type: ignore[attr-defined]

    return hook


def test_a_crash_between_a_send_and_its_record_repeats_that_one_message_only(
    runs: Runs, warehouse: Warehouse
) -> None:
    alerts = [warehouse.add("high") for _ in range(4)]
    process: list[object] = []
    webhook = runs.receiver(hook=_die_when(process, 3))

    crashed = runs.start(webhook.url)
    process.append(crashed)
    done = runs.finish(crashed)
    assert done.status < 0  # killed, while the third message was on the wire
    assert [r["alert_id"] for r in warehouse.deliveries()] == alerts[:2]

    webhook.hook = None
    again = runs.finish(runs.start(webhook.url))

    assert again.status == 0
    # The third was received before the crash and again after it: at least once, no loss.
    assert webhook.alert_ids == [*alerts[:3], *alerts[2:]]
    assert sorted(r["alert_id"] for r in warehouse.deliveries()) == sorted(alerts)


def test_two_runs_at_once_deliver_each_alert_once(runs: Runs, warehouse: Warehouse) -> None:
    alerts = [warehouse.add("high") for _ in range(3)]
    holding, done_second = threading.Event(), threading.Event()

    def hold_first(_: Message) -> None:
        holding.set()
        done_second.wait(60)

    webhook = runs.receiver(hook=hold_first)
    first = runs.start(webhook.url)
    assert holding.wait(60)  # the first run is mid-send, holding the lock
    try:
        second = runs.finish(runs.start(webhook.url))
    finally:
        webhook.hook = None
        done_second.set()
    first_done = runs.finish(first)

    assert (first_done.status, second.status) == (0, 0)
    (line,) = second.lines
    assert "another openai-audit-notify run holds the lock" in line
    assert sorted(webhook.alert_ids) == sorted(alerts)
    assert len(webhook.alert_ids) == 3


def test_a_connection_lost_after_a_send_is_one_line_and_that_message_goes_again(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    alerts = [warehouse.add("high"), warehouse.add("medium")]

    def drop_the_notifiers_connection(_: Message) -> None:
        # This test's run only: its last query named this test's schema.
        warehouse.connection.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where application_name = 'openai-audit-notify' and strpos(query, %s) > 0",
            (warehouse.schema,),
        )

    webhook = runs.receiver(hook=drop_the_notifiers_connection)
    lost = runs.send(monkeypatch, webhook.url)
    webhook.hook = None
    again = runs.send(monkeypatch, webhook.url)

    assert lost.status == 1
    (line,) = lost.lines
    assert "ERROR PostgreSQL: " in line
    assert again.status == 0
    assert webhook.alert_ids == [alerts[0], *alerts]  # at least once: the first went twice
    assert sorted(r["alert_id"] for r in warehouse.deliveries()) == sorted(alerts)
