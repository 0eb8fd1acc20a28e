"""Paging one inventory list in each of the API's three styles, against canned pages."""

from __future__ import annotations

from typing import Any

import pytest

from tap_openai_audit.client import Advice, Answer, Params
from tap_openai_audit.errors import MalformedResponse, PaginationError
from tap_openai_audit.inventory.endpoints import BY_STREAM
from tap_openai_audit.inventory.pages import read_list


class Canned:
    """Answers GETs from a list of bodies, and records what was asked."""

    def __init__(self, *bodies: Any) -> None:
        self.bodies = list(bodies)
        self.asked: list[tuple[str, dict[str, str]]] = []

    def get_json(self, path: str, params: Params, *, advice: Advice) -> Answer:
        assert advice.rerun  # every reader says what a failure leaves behind
        self.asked.append((path, dict(params)))
        return Answer(body=self.bodies.pop(0), request_id="req_test", may_hold_unstorable=True)


def _ids(api: Canned, stream: str, *parents: str) -> list[Any]:
    pages = read_list(api, BY_STREAM[stream], parents)  # type: ignore[arg-type]
    return [[record.get("id", record.get("group_id")) for record in page.records] for page in pages]


def test_style_a_follows_last_id_with_the_largest_limit_and_the_filter() -> None:
    api = Canned(
        {"object": "list", "data": [{"id": "k1"}, {"id": "k2"}], "last_id": "k2", "has_more": True},
        {"object": "list", "data": [{"id": "k3"}], "last_id": "k3", "has_more": False},
    )
    assert _ids(api, "project_api_keys", "proj 1/x") == [["k1", "k2"], ["k3"]]
    # The parent id is one path segment, whatever it holds.
    assert [path for path, _ in api.asked] == ["/organization/projects/proj%201%2Fx/api_keys"] * 2
    first, second = (params for _, params in api.asked)
    assert first == {"owner_project_access": "any", "limit": "100"}
    assert second == {**first, "after": "k2"}


def test_style_b_sends_the_last_items_id() -> None:
    api = Canned(
        {"object": "list", "data": [{"id": "a"}, {"id": "b"}], "has_more": True},
        {"object": "list", "data": [{"id": "c"}], "has_more": False},
    )
    assert _ids(api, "admin_api_keys") == [["a", "b"], ["c"]]
    assert api.asked[1][1]["after"] == "b"


def test_style_c_sends_next_back_unchanged_and_adds_parent_ids() -> None:
    api = Canned(
        {"object": "list", "data": [{"id": "r1"}], "has_more": True, "next": "opaque=="},
        {"object": "list", "data": [{"id": "r2"}], "has_more": False, "next": None},
    )
    pages = list(read_list(api, BY_STREAM["project_user_roles"], ("p1", "u1")))  # type: ignore[arg-type]
    assert api.asked[0][0] == "/projects/p1/users/u1/roles"
    assert api.asked[0][1]["limit"] == "1000"
    assert api.asked[1][1]["after"] == "opaque=="
    assert [r for page in pages for r in page.records] == [
        {"id": "r1", "project_id": "p1", "user_id": "u1"},
        {"id": "r2", "project_id": "p1", "user_id": "u1"},
    ]


def test_the_urls_parent_id_wins_over_the_objects_own() -> None:
    api = Canned(
        {"data": [{"project_id": "other", "group_id": "g1"}], "has_more": False, "next": None}
    )
    [page] = list(read_list(api, BY_STREAM["project_groups"], ("p1",)))  # type: ignore[arg-type]
    assert page.records == [{"project_id": "p1", "group_id": "g1"}]


def test_unstorable_characters_are_replaced_and_counted_per_record() -> None:
    api = Canned({"data": [{"id": "u1", "name": "a\x00b\ud800"}], "has_more": False})
    [page] = list(read_list(api, BY_STREAM["users"], ()))  # type: ignore[arg-type]
    assert page.records[0]["name"] == "a\ufffdb\ufffd"
    assert page.replaced == {"u1": 1}


@pytest.mark.parametrize(
    ("stream", "bodies", "error", "says"),
    [
        (
            "users",
            [{"data": [], "last_id": None, "has_more": True}],
            PaginationError,
            "has_more=true with an empty page",
        ),
        (
            "groups",
            [{"data": [{"id": "g"}], "has_more": True, "next": None}],
            PaginationError,
            "without a cursor",
        ),
        (
            "roles",
            [
                {"data": [{"id": "a"}], "has_more": True, "next": "same"},
                {"data": [{"id": "b"}], "has_more": True, "next": "same"},
            ],
            PaginationError,
            "returned cursor 'same' twice",
        ),
        (
            "users",
            [{"data": [{"id": "a"}, {"id": "b"}], "last_id": "a", "has_more": True}],
            PaginationError,
            "not the id of the page's last object",
        ),
        ("users", [{"object": "list", "has_more": False}], MalformedResponse, "`data` array"),
        ("users", [["not", "an", "envelope"]], MalformedResponse, "keys: none"),
        ("users", [{"data": [{"id": 7}], "has_more": False}], MalformedResponse, "string id"),
        (
            "project_groups",
            [{"data": [{"project_id": "p"}], "has_more": False, "next": None}],
            MalformedResponse,
            "string group_id",
        ),
    ],
)
def test_an_envelope_that_could_lose_or_repeat_objects_is_a_clear_error(
    stream: str, bodies: list[Any], error: type[Exception], says: str
) -> None:
    api = Canned(*bodies)
    parents = ("p",) * len(BY_STREAM[stream].parent.fields)
    with pytest.raises(error, match="request id req_test") as raised:
        _ids(api, stream, *parents)
    assert says in str(raised.value)
