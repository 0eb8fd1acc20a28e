import logging

import pytest

from tap_openai_audit.log_privacy import FilterValueMask, hide_filter_values, mask_filter_values


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (
            '"GET /v1/audit_logs?actor_emails%5B%5D=a%40example.com&limit=100 HTTP/1.1"',
            '"GET /v1/audit_logs?actor_emails%5B%5D=[filter]&limit=100 HTTP/1.1"',
        ),
        (
            "/v1/x?project_ids[]=proj_1&project_ids[]=proj_2&effective_at[gte]=5",
            "/v1/x?project_ids[]=[filter]&project_ids[]=[filter]&effective_at[gte]=5",
        ),
        ("/v1/x?ACTOR_IDS%5b%5d=user-1", "/v1/x?ACTOR_IDS%5b%5d=[filter]"),
        ("/v1/x?resource_ids=r1#frag", "/v1/x?resource_ids=[filter]#frag"),
        ("/v1/x?event_types%5B%5D=login.failed", "/v1/x?event_types%5B%5D=[filter]"),
        ("/v1/x?after=audit_log-1&limit=1", "/v1/x?after=audit_log-1&limit=1"),
    ],
)
def test_filter_values_are_masked_and_nothing_else(line: str, masked: str) -> None:
    assert mask_filter_values(line) == masked


def test_the_mask_rewrites_urllib3_records_and_keeps_them() -> None:
    hide_filter_values()
    hide_filter_values()  # once per logger, however often a client is built
    logger = logging.getLogger("urllib3.connectionpool")
    assert sum(isinstance(f, FilterValueMask) for f in logger.filters) == 1
    record = logger.makeRecord(
        logger.name, logging.DEBUG, __file__, 1, '"GET %s"', ("/x?actor_emails[]=a@b.co",), None
    )
    assert FilterValueMask().filter(record)
    assert record.getMessage() == '"GET /x?actor_emails[]=[filter]"'
