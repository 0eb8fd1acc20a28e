"""The attack story: every documented detection planted in the organization, beside near misses.

`Emulator(attack_story=True)` (CLI `--attack-story`) adds, to the default organization's
ordinary activity, the audit events of `story_events` and the inventory objects of
`story_inventory`, which hold the pattern of each of the 17 detections exactly at its
threshold, a near miss just outside it, a case of each of the 5 access-review checks, and the
grouping cases (a sustained brute force, a second attack, a bulk grant). `late_story_events()`
is the event the API lists late: a test adds it between two builds (`Emulator.add_events`).
Which events must raise which alert, and which objects each check must find, are data:
`attack_story_labels()` reads them from `data/attack_story.json`, never from this code.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from typing import TYPE_CHECKING, Any

from openai_audit_emulator.clock import DEFAULT_END, shift_events
from openai_audit_emulator.story_actors import STORY_DAYS, STORY_START, Event, Log
from openai_audit_emulator.story_admin import Projects, write_admin
from openai_audit_emulator.story_inventory import plant_inventory, story_projects
from openai_audit_emulator.story_logins import late_failure, write_logins

if TYPE_CHECKING:
    from openai_audit_emulator.inventory import Inventory

__all__ = [
    "STORY_DAYS",
    "STORY_START",
    "attack_story_labels",
    "late_story_events",
    "plant_attack_story",
    "story_events",
]


def story_events(projects: Projects) -> list[Event]:
    """The story's audit events, sorted by (effective_at, id); the same on every call."""
    log = Log()
    write_logins(log)
    write_admin(log, projects)
    return sorted(log.events, key=lambda event: (event["effective_at"], event["id"]))


def plant_attack_story(inventory: Inventory, *, now: int) -> list[Event]:
    """Add the story's objects to `inventory` and return its audit events.

    Args:
        inventory: the organization's inventory, changed in place.
        now: the emulated API's clock (Unix seconds): the inventory's ages count back from it.

    Returns:
        The events to serve beside the organization's own.
    """
    chosen = story_projects(inventory)
    plant_inventory(inventory, chosen, now=now)
    names = {p["id"]: p["name"] for p in inventory.lists["projects"][()]}
    roles = {r["name"]: r["id"] for r in inventory.lists["roles"][()]}
    project_roles = {r["name"]: r["id"] for r in inventory.lists["project_roles"][(chosen.active,)]}
    return story_events(
        Projects(
            default={"id": chosen.default, "name": names[chosen.default]},
            active={"id": chosen.active, "name": names[chosen.active]},
            archived=chosen.archived,
            owner_role=roles["owner"],
            reader_role=roles["reader"],
            project_owner_role=project_roles["owner"],
        )
    )


def late_story_events(end: int = DEFAULT_END) -> list[Event]:
    """The story's event the API lists late (not served until a test adds it).

    `end` is the history's end the story was served with (`Emulator(end=...)`): the event
    moves with it.
    """
    return [dict(event) for event in shift_events(late_failure(), end - DEFAULT_END)]


@functools.cache
def _labels_text() -> str:
    resource = importlib.resources.files("openai_audit_emulator") / "data" / "attack_story.json"
    return resource.read_text(encoding="utf-8")


def attack_story_labels() -> dict[str, Any]:
    """What the story must raise and find, and what it must not: `data/attack_story.json`.

    A fresh copy on every call, so a caller may change it freely.
    """
    labels: dict[str, Any] = json.loads(_labels_text())
    return labels
