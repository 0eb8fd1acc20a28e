"""Deterministic synthetic audit events: `generate_events`."""

from __future__ import annotations

import functools
import itertools
import random
import time
from typing import TYPE_CHECKING, Any

from openai_audit_emulator.actors import Organization, build_organization
from openai_audit_emulator.catalog import event_types, is_tenant_scoped
from openai_audit_emulator.ordinary import (
    PLANNED,
    SCENE_SECONDS,
    SCENES,
    VPN_MINUTES,
    WATCHED,
    Context,
    adjust,
    context_for,
    owner_sessions,
    pick_actor_for,
    type_weights,
    vpn_sessions,
)
from openai_audit_emulator.payloads import build_payload

if TYPE_CHECKING:
    from collections.abc import Iterator

# Types whose events always name the project they changed.
_PROJECT_SCOPED_PREFIXES = (
    "api_key.",
    "project.",
    "rate_limit.",
    "service_account.",
    "checkpoint.permission.",
    "role.assignment.",
)
# A bulk SCIM-like sync: the realistic source of many events in one second.
_BURST_TYPES = ("user.added", "user.updated", "group.updated")
_BURST_MIN_COUNT = 2000  # below this, no run of more than one page in a second is promised
_BURST_BASE = 101  # one more than the largest page, so a page boundary falls inside the run
_COVERAGE_COPIES = 1  # each type appears once before the weighted remainder (`ordinary`)
_SECONDS_PER_DAY = 86400
_DRAW: dict[str, Any] = {}  # the actor of an event no scene chose: draw one by its type


def generate_events(
    *, seed: int, count: int, start: int, end: int, organization: Organization | None = None
) -> list[dict[str, Any]]:
    """Generate `count` API-shaped audit events with `effective_at` in ``[start, end)``.

    The same arguments always give the same events. With ``count >= 149`` every event type
    appears at least once; the rest follow the weights of an ordinary organization
    (`ordinary.type_weights`): the types a detection watches appear once each, as the acts of
    an owner (`ordinary.SCENES`, `ordinary.PLANNED`). Several events share a second, and with
    ``count >= 2000`` more than 100 of them (all returned without `tenant_only`) share one
    second. Actor and project
    dicts are shared between events (memory), so treat the events as read-only.

    Args:
        seed: seed of the pseudo-random source.
        count: number of events.
        start: inclusive lower bound, Unix seconds.
        end: exclusive upper bound, Unix seconds; must be greater than `start`.
        organization: whose people, projects and keys act (None: the one the seed draws, see
            `organization_for`); events added to a running emulator keep its organization.

    Returns:
        The events, sorted by (effective_at, id).
    """
    return list(
        iter_events(seed=seed, count=count, start=start, end=end, organization=organization)
    )


def organization_for(*, seed: int, count: int, start: int, end: int) -> Organization:
    """The organization whose actors `generate_events` with the same arguments draws."""
    return build_organization(_random(seed, count, start, end))


def _random(seed: int, count: int, start: int, end: int) -> random.Random:
    # A string seed mixes every argument in, so two calls that differ in any of them do not
    # produce the same ids (a str seed is hashed deterministically, unlike hash()).
    return random.Random(f"audit-emulator:{seed}:{count}:{start}:{end}")


def iter_events(
    *, seed: int, count: int, start: int, end: int, organization: Organization | None = None
) -> Iterator[dict[str, Any]]:
    """Yield the events `generate_events` returns, one at a time, in the same order.

    For a million events this avoids holding every event dict at once (the emulator keeps
    only their serialized bytes).

    Raises:
        ValueError: if `count` is negative or the range is empty (raised at once, not lazily).
    """
    if count < 0:
        msg = f"count must be >= 0, got {count}"
        raise ValueError(msg)
    if end <= start:
        msg = f"end ({end}) must be greater than start ({start})"
        raise ValueError(msg)
    rng = _random(seed, count, start, end)
    drawn = build_organization(rng)  # drawn even when unused: the same events follow
    org = drawn if organization is None else organization
    types = _pick_types(rng, count)
    times = [start + rng.randrange(end - start) for _ in range(count)]
    _add_ties(rng, times)
    if count >= _BURST_MIN_COUNT:
        _add_burst(rng, times, types, start, end)
    actors = _stage_scenes(rng, org, times, types, start, end)
    plans = {_covering(t): plan for t, plan in PLANNED.items() if _covering(t) < count}
    context = context_for(org)
    ids = _make_ids(rng, times)
    # Decide the order first and build each event only when it is asked for.
    order = sorted(range(count), key=lambda index: (times[index], ids[index]))
    created: set[str] = set()
    return (
        _event(
            rng,
            org,
            ids[index],
            types[index],
            times[index],
            created,
            actor=actors.get(index, _DRAW),
            plan=plans.get(index),
            context=context,
        )
        for index in order
    )


@functools.cache
def _coverage_order() -> tuple[str, ...]:
    # An owner's monthly acts (the watched and planned types) come last: a small set (a few
    # events added to a running emulator) holds ordinary events only, nothing that alerts.
    types = event_types()
    last = WATCHED | set(PLANNED)
    return (*(t for t in types if t not in last), *(t for t in types if t in last))


def _covering(event_type: str) -> int:
    """The index of the one-of-every-type event of this type."""
    return _coverage_order().index(event_type) * _COVERAGE_COPIES


def _stage_scenes(  # noqa: PLR0913, PLR0917 - the draw and the events' times and types
    rng: random.Random,
    org: Organization,
    times: list[int],
    types: list[str],
    start: int,
    end: int,
) -> dict[int, dict[str, Any]]:
    """Move each scene's events to minutes apart, done by one owner; return their actors."""
    actors: dict[int, dict[str, Any]] = {}
    for _name, steps in SCENES:
        anchor = start + rng.randrange(max(end - start - SCENE_SECONDS, 1))
        actor = rng.choice(owner_sessions(org))
        indices = [_covering(event_type) for event_type, _ in steps]
        if end - start <= SCENE_SECONDS or max(indices) >= len(types):
            continue  # too short a range, or too few events: the scene stays scattered
        for index, (_type, minutes) in zip(indices, steps, strict=True):
            times[index] = anchor + minutes * 60
            actors[index] = actor
    _stage_vpn(rng, org, times, types, (start, end), actors)
    return actors


def _stage_vpn(  # noqa: PLR0913, PLR0917 - as `_stage_scenes`, and the actors chosen so far
    rng: random.Random,
    org: Organization,
    times: list[int],
    types: list[str],
    span: tuple[int, int],
    actors: dict[int, dict[str, Any]],
) -> None:
    """Make three drawn sign-ins one person's VPN trip (see `ordinary.VPN_MINUTES`)."""
    start, end = span
    anchor = start + rng.randrange(max(end - start - SCENE_SECONDS, 1))
    sessions = vpn_sessions(org)
    covered = len(event_types()) * _COVERAGE_COPIES
    logins = [i for i in range(covered, len(types)) if types[i] == "login.succeeded"]
    logins = logins[: len(VPN_MINUTES)]
    if sessions is None or end - start <= SCENE_SECONDS or len(logins) < len(VPN_MINUTES):
        return
    home, away = sessions
    for index, minutes, actor in zip(logins, VPN_MINUTES, (home, away, home), strict=True):
        times[index] = anchor + minutes * 60
        actors[index] = actor


def _pick_types(rng: random.Random, count: int) -> list[str]:
    all_types = event_types()
    coverage = [t for t in _coverage_order() for _ in range(_COVERAGE_COPIES)][:count]
    weights = type_weights()
    drawn = [t for t in all_types if weights[t] > 0]
    cumulative = list(itertools.accumulate(weights[t] for t in drawn))
    rest = rng.choices(drawn, cum_weights=cumulative, k=max(count - len(coverage), 0))
    return coverage + rest


def _add_ties(rng: random.Random, times: list[int]) -> None:
    # About one event in 25 copies another's second: small ties everywhere in the range.
    for _ in range(len(times) // 25):
        times[rng.randrange(len(times))] = times[rng.randrange(len(times))]


def _add_burst(
    rng: random.Random, times: list[int], types: list[str], start: int, end: int
) -> None:
    size = min(_BURST_BASE + rng.randrange(50), len(times) // 4)
    moment = start + rng.randrange(end - start)
    covered = min(len(event_types()) * _COVERAGE_COPIES, len(times))
    # Only indices past the coverage block, so every type keeps its guaranteed events.
    for index in rng.sample(range(covered, len(times)), size):
        times[index] = moment
        types[index] = rng.choice(_BURST_TYPES)


def _make_ids(rng: random.Random, times: list[int]) -> list[str]:
    days: dict[int, str] = {}
    seen: set[str] = set()
    ids = []
    for moment in times:
        day = moment // _SECONDS_PER_DAY
        stamp = days.get(day)
        if stamp is None:
            stamp = days[day] = time.strftime("%Y%m%d", time.gmtime(day * _SECONDS_PER_DAY))
        event_id = f"audit_log-{rng.getrandbits(64):016x}_{stamp}"
        while event_id in seen:
            event_id = f"audit_log-{rng.getrandbits(64):016x}_{stamp}"
        seen.add(event_id)
        ids.append(event_id)
    return ids


def _event(  # noqa: PLR0913, PLR0917 - the event's parts, and what earlier events created
    rng: random.Random,
    org: Organization,
    event_id: str,
    event_type: str,
    moment: int,
    created: set[str],
    *,
    actor: dict[str, Any] | None,
    plan: str | None,
    context: Context,
) -> dict[str, Any]:
    if actor is _DRAW:
        actor = pick_actor_for(rng, org, event_type, plan)
    project: dict[str, str] | None = None
    if event_type == "project.archived" and context.archived_projects:
        project = rng.choice(context.archived_projects)  # the inventory lists it archived
    elif event_type == "project.deleted":
        # A project no longer listed: deleting a listed one would leave the inventory wrong.
        project = {"id": f"proj_{rng.getrandbits(96):024x}", "name": "Old project"}
    elif event_type.startswith(_PROJECT_SCOPED_PREFIXES):
        project = rng.choice(org.projects)
    elif actor is not None and actor["type"] == "api_key" and not is_tenant_scoped(event_type):
        # "Admin actions taken via Admin API keys are associated with the default project."
        project = org.default_project
    event: dict[str, Any] = {"id": event_id, "type": event_type, "effective_at": moment}
    if actor is not None:
        event["actor"] = actor
    if project is not None:
        event["project"] = project
    project_id = project["id"] if project is not None else org.default_project["id"]
    payload = build_payload(event_type, rng, org, project_id)
    payload = adjust(event_type, payload, rng, org, project, plan, context)
    if event_type == "api_key.created":
        # A key is created once: a second creation names a key made and deleted since,
        # with an id derived from the event's (no random draw, so later events stay as they were).
        if payload["id"] in created:
            payload["id"] = "key_" + event_id.removeprefix("audit_log-")[:16]
        created.add(payload["id"])
    event[event_type] = payload
    return event
