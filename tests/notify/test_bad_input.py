"""Bad input: one line naming it, exit 1, nothing recorded. No destination: one line, exit 0."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.notify.conftest import Runs
    from tests.notify.support import Warehouse

pytestmark = pytest.mark.postgres

SLACK_TOKENS = "T0AAAAAA/slackSECRETslackSECRET00"  # a second token Apprise refuses


@pytest.mark.parametrize(
    "case",
    [
        ("notaurl", {}, "destinations: URL 2 of 2 (?://…)"),
        ("slack://only-one-token-SECRET", {}, "destinations: URL 2 of 2 (slack://…)"),
        ("json://", {}, "destinations: URL 2 of 2 (json://…)"),
        (None, {"min_severity": "urgent"}, "min_severity: 'urgent'"),
        (None, {"schema": "no_such_schema_here"}, "schema 'no_such_schema_here' has no"),
        (None, {"max_per_run": "0"}, "max_per_run: '0'"),
        (None, {"backlog_hours": "-1"}, "backlog_hours: '-1'"),
        (None, {"dry_run": "perhaps"}, "dry_run: 'perhaps'"),
        (None, {"database_url": "not a url at all"}, "database_url"),
    ],
)
def test_bad_input_is_one_line_naming_it_and_nothing_is_recorded(
    runs: Runs,
    warehouse: Warehouse,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str | None, dict[str, Any], str],
) -> None:
    destination, settings, named = case
    warehouse.add("critical")
    webhook = runs.receiver()
    if destination is not None and destination.split("://")[-1]:
        runs.secrets.append(destination.split("://")[-1])

    done = runs.send(monkeypatch, webhook.url, *[d for d in [destination] if d], **settings)

    assert done.status == 1
    (line,) = done.lines
    assert named in line
    assert webhook.messages == []
    assert not warehouse.has_deliveries_table()


def test_a_json_list_of_destinations_keeps_commas_inside_urls(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    alert = warehouse.add("high")
    webhook = runs.receiver()
    as_list = f'["{webhook.url}&-x=a,b"]'

    done = runs.send(monkeypatch, as_list)

    assert done.status == 0
    assert webhook.alert_ids == [alert]
    (path,) = {m.path for m in webhook.messages}
    assert "x=a%2Cb" in path or "x=a,b" in path


def test_no_destination_is_one_line_and_exit_0(
    runs: Runs, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.add("critical")

    done = runs.send(monkeypatch)

    assert done.status == 0
    (line,) = done.lines
    assert "no destinations set" in line
    assert not warehouse.has_deliveries_table()


def test_apprise_never_prints_a_bad_urls_secret_in_a_real_process(
    runs: Runs, warehouse: Warehouse
) -> None:
    # Apprise logs a refused Slack URL with its token at warning level, and every URL it
    # loads at debug level: none of it may reach the process's output.
    runs.secrets.extend([SLACK_TOKENS, "slackSECRETslackSECRET00"])
    warehouse.add("critical")

    done = runs.finish(runs.start(f"slack://{SLACK_TOKENS}"))

    assert done.status == 1
    (line,) = done.lines
    assert "destinations: URL 1 of 1 (slack://…)" in line
