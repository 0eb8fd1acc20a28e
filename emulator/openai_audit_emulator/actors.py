"""Synthetic people, keys and projects of the emulated organization.

Everything here is fake on purpose: e-mails are `@example.com`, IP addresses come from the
documentation ranges (RFC 5737 and RFC 3849), so no generated record can point at a real party.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

_FIRST_NAMES = (
    "ada", "alan", "barbara", "claude", "donald", "edsger", "frances", "grace",
    "john", "katherine", "leslie", "margaret", "niklaus", "radia", "tim", "yukihiro",
)  # fmt: skip

_USER_AGENTS = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15"
    ),
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
    ),
)

# (country, city, region, region_code, asn, latitude, longitude); strings, as in the API sample.
_LOCATIONS = (
    ("US", "San Francisco", "California", "CA", "13335", "37.77490", "-122.41940"),
    ("US", "New York", "New York", "NY", "7922", "40.71280", "-74.00600"),
    ("GB", "London", "England", "ENG", "5089", "51.50740", "-0.12780"),
    ("DE", "Berlin", "Land Berlin", "BE", "3320", "52.52000", "13.40500"),
    ("JP", "Tokyo", "Tokyo", "13", "2516", "35.67620", "139.65030"),
    ("BR", "Sao Paulo", "Sao Paulo", "SP", "28573", "-23.55050", "-46.63330"),
)

_PROJECT_NAMES = ("Default project", "Support bot", "Search", "Data platform", "Research")
_GROUP_NAMES = ("Security", "Engineering", "Finance", "Support", "Research")
DEFAULT_USERS = len(_FIRST_NAMES)
DEFAULT_PROJECTS = len(_PROJECT_NAMES)
DEFAULT_SERVICE_ACCOUNTS = 4
DEFAULT_GROUPS = 3


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


_IPV4_DOC_PREFIXES = ("192.0.2.", "198.51.100.", "203.0.113.")

# Shares of the actor kinds: session, user key, service account key; the rest has no actor.
_SESSION_SHARE = 0.55
_USER_KEY_SHARE = 0.25
_SERVICE_KEY_SHARE = 0.17


def _ip_address(rng: random.Random) -> str:
    choice = rng.randrange(len(_IPV4_DOC_PREFIXES) + 1)
    if choice < len(_IPV4_DOC_PREFIXES):
        return f"{_IPV4_DOC_PREFIXES[choice]}{rng.randrange(1, 255)}"
    return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"


@dataclass(frozen=True)
class Organization:
    """The pools events draw their actors and projects from."""

    users: tuple[dict[str, str], ...]
    service_accounts: tuple[str, ...]
    projects: tuple[dict[str, str], ...]
    sessions: tuple[dict[str, Any], ...]
    user_keys: tuple[dict[str, Any], ...]
    service_keys: tuple[dict[str, Any], ...]
    groups: tuple[dict[str, str], ...] = ()

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The tracking ids of every project API key: the actors' `api_key.id`."""
        return tuple(key["api_key"]["id"] for key in (*self.user_keys, *self.service_keys))

    @property
    def default_project(self) -> dict[str, str]:
        """The project the API attaches to admin actions done with API keys."""
        return self.projects[0]


def build_organization(
    rng: random.Random,
    *,
    users: int = DEFAULT_USERS,
    projects: int = DEFAULT_PROJECTS,
    service_accounts: int = DEFAULT_SERVICE_ACCOUNTS,
    groups: int = DEFAULT_GROUPS,
) -> Organization:
    """Draw an organization: by default 16 users, 4 service accounts, 5 projects, 3 groups.

    Args:
        rng: the generator's random source, so the organization follows the seed.
        users: how many people (larger organizations serve the inventory benchmark).
        projects: how many projects.
        service_accounts: how many service accounts, each with one key.
        groups: how many groups. They come from a random source of their own, derived from
            the ids above, so that adding them left every generated event as it was.

    Returns:
        The pools. Actor dicts are shared between events to keep a million events small.
    """
    people = tuple(
        {"id": f"user-{_hex(rng, 24)}", "email": f"{_person(index)}@example.com"}
        for index in range(users)
    )
    accounts = tuple(f"svc_acct_{_hex(rng, 24)}" for _ in range(service_accounts))
    places = tuple(
        {"id": f"proj_{_hex(rng, 24)}", "name": _numbered(_PROJECT_NAMES, index)}
        for index in range(projects)
    )
    return _with_keys(rng, people, accounts, places, groups)


def _person(index: int) -> str:
    name = _FIRST_NAMES[index % len(_FIRST_NAMES)]
    return name if index < len(_FIRST_NAMES) else f"{name}.{index // len(_FIRST_NAMES)}"


def _numbered(names: tuple[str, ...], index: int) -> str:
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def _with_keys(
    rng: random.Random,
    users: tuple[dict[str, str], ...],
    service_accounts: tuple[str, ...],
    projects: tuple[dict[str, str], ...],
    groups: int,
) -> Organization:
    drawn = [_session(rng, user) for user in users for _ in range(2)]
    # A person's two sessions (say, laptop and phone) are in the same city: an ordinary
    # organization does not travel between continents in an hour. The place is still drawn
    # for both, so every id drawn after it stays as it was.
    for first, second in zip(drawn[::2], drawn[1::2], strict=True):
        second["session"]["ip_address_details"] = first["session"]["ip_address_details"]
    sessions = tuple(drawn)
    user_keys = tuple(
        {
            "type": "api_key",
            "api_key": {"id": f"key_{_hex(rng, 16)}", "type": "user", "user": user},
        }
        for user in users[:8]
    )
    service_keys = tuple(
        {
            "type": "api_key",
            "api_key": {
                "id": f"key_{_hex(rng, 16)}",
                "type": "service_account",
                "service_account": {"id": account},
            },
        }
        for account in service_accounts
    )
    group_rng = random.Random(f"groups:{projects[0]['id'] if projects else ''}")
    teams = tuple(
        {"id": f"group_{_hex(group_rng, 26).upper()}", "name": _numbered(_GROUP_NAMES, index)}
        for index in range(groups)
    )
    return Organization(users, service_accounts, projects, sessions, user_keys, service_keys, teams)


def _session(rng: random.Random, user: dict[str, str]) -> dict[str, Any]:
    country, city, region, region_code, asn, latitude, longitude = rng.choice(_LOCATIONS)
    return {
        "type": "session",
        "session": {
            "user": user,
            "ip_address": _ip_address(rng),
            "user_agent": rng.choice(_USER_AGENTS),
            "ja3": _hex(rng, 32),
            "ja4": f"t13d{rng.randrange(1000, 9999)}h2_{_hex(rng, 12)}_{_hex(rng, 12)}",
            "ip_address_details": {
                "country": country,
                "city": city,
                "region": region,
                "region_code": region_code,
                "asn": asn,
                "latitude": latitude,
                "longitude": longitude,
            },
        },
    }


def pick_actor(rng: random.Random, org: Organization) -> dict[str, Any] | None:
    """Pick an actor: mostly sessions, then user keys, service keys, and a few none at all.

    Returns:
        An actor dict, or None for the few events the API reports without one.
    """
    roll = rng.random()
    if roll < _SESSION_SHARE:
        return rng.choice(org.sessions)
    roll -= _SESSION_SHARE
    if roll < _USER_KEY_SHARE:
        return rng.choice(org.user_keys)
    roll -= _USER_KEY_SHARE
    if roll < _SERVICE_KEY_SHARE:
        return rng.choice(org.service_keys)
    return None
