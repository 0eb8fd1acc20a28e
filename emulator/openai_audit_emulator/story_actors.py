"""The attack story's cast: its people, places, IP addresses, and how their events are written.

The story's people act nowhere else: the generator draws its actors from the organization's
own pools, so no ordinary event can join (or complete) a planted pattern. Their IP addresses
sit in 2001:db8:5e::/48, a part of the IPv6 documentation range the generator never uses
(it writes `2001:db8::<n>`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]

DAY = 86_400
# 2026-10-20T00:00:00Z: inside the default organization's 30 days (to 2026-11-01), before the
# hostile organization's day (2026-10-30). Every planted event falls in the nine days after it.
STORY_START = calendar.timegm((2026, 10, 20, 0, 0, 0))
STORY_DAYS = 9
_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> int:
    """Unix seconds of a moment of the story, counted from `STORY_START`."""
    return STORY_START + day * DAY + hour * 3600 + minute * 60 + second


@dataclass(frozen=True)
class Place:
    """Where an IP address is said to be, as the API's `ip_address_details` shows it."""

    country: str
    city: str
    region: str
    region_code: str
    asn: str
    latitude: float
    longitude: float

    def details(self, *, numbers: bool = False) -> dict[str, Any]:
        """The `ip_address_details` object: coordinates as strings (the API's sample) or numbers."""
        found: dict[str, Any] = {
            "country": self.country,
            "city": self.city,
            "region": self.region,
            "region_code": self.region_code,
        }
        if numbers:
            found |= {"asn": int(self.asn), "latitude": self.latitude, "longitude": self.longitude}
        else:
            found |= {
                "asn": self.asn,
                "latitude": f"{self.latitude:.5f}",
                "longitude": f"{self.longitude:.5f}",
            }
        return found


BERLIN = Place("DE", "Berlin", "Land Berlin", "BE", "3320", 52.52, 13.405)
PARIS = Place("FR", "Paris", "Ile-de-France", "IDF", "3215", 48.8566, 2.3522)
AMSTERDAM = Place("NL", "Amsterdam", "North Holland", "NH", "1136", 52.3676, 4.9041)
LONDON = Place("GB", "London", "England", "ENG", "5089", 51.5074, -0.1278)
MADRID = Place("ES", "Madrid", "Madrid", "MD", "3352", 40.4168, -3.7038)
SAN_FRANCISCO = Place("US", "San Francisco", "California", "CA", "13335", 37.7749, -122.4194)


@dataclass(frozen=True)
class Person:
    """Someone of the story: `user-story-<name>`, `<name>@example.com`, one home address."""

    name: str
    number: int  # their own /64 in 2001:db8:5e::/48
    home: Place = SAN_FRANCISCO

    @property
    def id(self) -> str:
        """The user id the inventory lists and the log names."""
        return f"user-story-{self.name}"

    @property
    def email(self) -> str:
        """The e-mail address, lower case."""
        return f"{self.name}@example.com"

    @property
    def ip(self) -> str:
        """The address their sessions come from."""
        return f"2001:db8:5e:{self.number:x}::1"


# Listed in the inventory (the organization's users, live at the snapshot).
ANITA = Person("anita", 0x10)  # the administrator who acts in the admin scenarios
MARY, LYNN, IDA = Person("mary", 0x11), Person("lynn", 0x12), Person("ida", 0x13)
BOB, SOPHIE, MARTIN = Person("bob", 0x14), Person("sophie", 0x15), Person("martin", 0x16)
HEDY, KEN, DENNIS = Person("hedy", 0x20, BERLIN), Person("ken", 0x21), Person("dennis", 0x22)
BJARNE, GUIDO = Person("bjarne", 0x23), Person("guido", 0x24)
LINUS, LARRY = Person("linus", 0x30, PARIS), Person("larry", 0x31, PARIS)
SERGEY, WHITFIELD = Person("sergey", 0x32, LONDON), Person("whitfield", 0x33, PARIS)
VINT, JUDEA, SHAFI = Person("vint", 0x40), Person("judea", 0x41), Person("shafi", 0x42)
ADI, SILVIO = Person("adi", 0x50), Person("silvio", 0x51)
# Day 8: the defense-impairment sequence and its near misses, and the grouping cases.
TONY, ROBIN, KURT = Person("tony", 0x17), Person("robin", 0x18), Person("kurt", 0x19)
ALONZO, HASKELL = Person("alonzo", 0x25), Person("haskell", 0x26)
# Deleted from the organization in the story: no longer listed.
RON, ANNIE, JEAN = Person("ron", 0x60), Person("annie", 0x61), Person("jean", 0x62)

LISTED = (
    ANITA, MARY, LYNN, IDA, BOB, SOPHIE, MARTIN, HEDY, KEN, DENNIS, BJARNE, GUIDO, LINUS,
    LARRY, SERGEY, WHITFIELD, VINT, JUDEA, SHAFI, ADI, SILVIO, TONY, ROBIN, KURT, ALONZO,
    HASKELL,
)  # fmt: skip
DELETED = (RON, ANNIE, JEAN)

SERVICE_ACCOUNT = "svc_acct_story_ci"  # a CI pipeline's service account
SERVICE_KEY = "key_story_svc_ci"  # its project key
ADMIN_KEY = "key_story_admin_ops"  # ANITA's admin key
BOB_KEY = "key_story_bob"  # BOB's project key
RON_KEY = "key_story_ron"  # RON's project key, still live after he was deleted


def session(  # noqa: PLR0913 - every part of a session the story varies
    person: Person | None,
    *,
    email: str | None = None,
    with_id: bool = True,
    with_email: bool = True,
    ip: str | None = "",
    details: dict[str, Any] | None = None,
) -> Event:
    """A session actor.

    Args:
        person: whose session (None: a failed login naming `email` only, or no one).
        email: the e-mail as typed (any case); default the person's.
        with_id: whether `session.user` carries the user id.
        with_email: whether `session.user` carries the e-mail.
        ip: the address; "" for the person's own, None for none at all.
        details: `ip_address_details`; default the person's home, coordinates as strings.
    """
    user: dict[str, str] = {}
    if person is not None and with_id:
        user["id"] = person.id
    shown = email if email is not None else person.email if person is not None else None
    if with_email and shown is not None:
        user["email"] = shown
    found: dict[str, Any] = {}
    if user:
        found["user"] = user
    address = (person.ip if person is not None else None) if ip == "" else ip
    if address is not None:
        found["ip_address"] = address
    found["user_agent"] = _USER_AGENT
    if details is None and person is not None:
        details = person.home.details()
    if details is not None:
        found["ip_address_details"] = details
    return {"type": "session", "session": found}


def user_key(key_id: str, person: Person) -> Event:
    """An API-key actor whose key belongs to a person."""
    user = {"id": person.id, "email": person.email}
    return {"type": "api_key", "api_key": {"id": key_id, "type": "user", "user": user}}


def service_key(key_id: str, account_id: str) -> Event:
    """An API-key actor whose key belongs to a service account."""
    return {
        "type": "api_key",
        "api_key": {"id": key_id, "type": "service_account", "service_account": {"id": account_id}},
    }


class Log:
    """The story's events as they are written, with readable ids: `audit_log-story-<tag>-NN`."""

    def __init__(self) -> None:
        """Start an empty log."""
        self.events: list[Event] = []
        self._numbers: dict[str, int] = {}

    def add(  # noqa: PLR0913 - the parts of an audit event
        self,
        tag: str,
        event_type: str,
        moment: int,
        *,
        actor: Event | None = None,
        project: dict[str, str] | None = None,
        payload: Any = None,  # noqa: ANN401 - any JSON, as the API sends it
    ) -> str:
        """Write one event; its number is the next of its tag. Return its id."""
        number = self._numbers.get(tag, 0) + 1
        self._numbers[tag] = number
        event_id = f"audit_log-story-{tag}-{number:02d}"
        event: Event = {"id": event_id, "type": event_type, "effective_at": moment}
        if actor is not None:
            event["actor"] = actor
        if project is not None:
            event["project"] = project
        event[event_type] = {} if payload is None else payload
        self.events.append(event)
        return event_id

    def fail(self, tag: str, moment: int, actor: Event, code: str = "invalid_password") -> str:
        """Write a `login.failed`. Return its id."""
        return self.add(tag, "login.failed", moment, actor=actor, payload=failed(code))

    def login(self, tag: str, moment: int, actor: Event) -> str:
        """Write a `login.succeeded`. Return its id."""
        return self.add(tag, "login.succeeded", moment, actor=actor)


def failed(code: str = "invalid_password") -> dict[str, str]:
    """The payload of a failed login."""
    return {"error_code": code, "error_message": "The credentials supplied were not accepted"}
