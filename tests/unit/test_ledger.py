"""The ledger's hash and counts, computed here independently of the tap's code."""

from __future__ import annotations

import hashlib

from tap_openai_audit.audit_log.ledger import WindowTally, ids_sha256
from tap_openai_audit.audit_log.windows import Window


def test_an_empty_window_hashes_the_empty_string() -> None:
    assert ids_sha256([]) == hashlib.sha256(b"").hexdigest()


def test_the_hash_covers_distinct_ids_sorted_by_code_point_each_followed_by_a_newline() -> None:
    ids = ["b", "a", "\u00e9", "Z", "a", "\U0001f600", "\uff5e"]
    # Code point order: 'Z' (U+5A) < 'a' < 'b' < U+E9 < U+FF5E < U+1F600. UTF-16 order would
    # put U+1F600 (a surrogate pair, D83D...) before U+FF5E: the two orders differ here.
    expected = "Z\na\nb\n\u00e9\n\uff5e\n\U0001f600\n".encode()
    assert ids_sha256(ids) == hashlib.sha256(expected).hexdigest()


def test_a_tally_counts_distinct_ids_and_pages() -> None:
    tally = WindowTally()
    tally.add_page([{"id": "x"}, {"id": "y"}])
    tally.add_page([{"id": "y"}])  # listed twice: counted once
    tally.add_page([])
    row = tally.row(run_id="r", scope="tenant", window=Window(0, 86_400), filtered=True)
    assert row["events"] == 2
    assert row["pages"] == 3
    assert row["ids_sha256"] == hashlib.sha256(b"x\ny\n").hexdigest()
    assert (row["window_start"], row["window_end"]) == (
        "1970-01-01T00:00:00+00:00",
        "1970-01-02T00:00:00+00:00",
    )
    assert row["filtered"] is True
    assert row["scope"] == "tenant"
