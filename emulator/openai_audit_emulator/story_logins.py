"""The attack story's logins: the six login detections, each at its threshold beside near misses.

Days 0 to 4 of the story, and on day 8 the grouping cases: a brute force sustained for three
hours, a second attack after quiet logins, and a failure the API lists late. Every pattern
has its own login key (or IP) and its own hours, so no two patterns, and no ordinary event,
share a key. What each event must raise, or must not, is in `data/attack_story.json`; the
comments say why the numbers are what they are.
"""

from __future__ import annotations

from openai_audit_emulator.story_actors import (
    ADI,
    ALONZO,
    AMSTERDAM,
    BERLIN,
    BJARNE,
    BOB,
    BOB_KEY,
    DENNIS,
    GUIDO,
    HASKELL,
    HEDY,
    JUDEA,
    KEN,
    LARRY,
    LINUS,
    MADRID,
    MARTIN,
    PARIS,
    SAN_FRANCISCO,
    SERGEY,
    SHAFI,
    VINT,
    WHITFIELD,
    Event,
    Log,
    Person,
    at,
    failed,
    session,
    user_key,
)

# Paris to Berlin is 877.46 km (haversine, radius 6,371 km): 3,158.9 s at exactly 1,000 km/h.
# One minute less is 1,019 km/h (fires), one minute more 981 km/h (does not).
_PARIS_BERLIN_FAST = 3100
_PARIS_BERLIN_SLOW = 3220


def write_logins(log: Log) -> None:
    """Write every login scenario into `log`."""
    _brute_force(log)
    _failures_burst(log)
    _credential_stuffing(log)
    _password_spray(log)
    _impossible_travel(log)
    _many_countries(log)
    _sustained(log)
    _second_attack(log)
    _key_failures(log)


def _brute_force(log: Log) -> None:
    # Planted: five failures in the 30 minutes before the success, the first exactly 30:00
    # before it; the e-mail's case varies (the login key is lower-cased).
    emails = ("Hedy@Example.com", None, "HEDY@example.com", None, None)
    for minute, email in zip((0, 7, 14, 21, 28), emails, strict=True):
        log.fail("bf", at(0, 1, minute), session(HEDY, email=email))
    log.login("bf", at(0, 1, 30), session(HEDY))
    # Near miss: the first failure 31 minutes before the success, so four in the window.
    for hour, minute in ((2, 59), (3, 5), (3, 12), (3, 19), (3, 26)):
        log.fail("bfa", at(0, hour, minute), session(KEN))
    log.login("bfa", at(0, 3, 30), session(KEN))
    # Near miss: four failures before, the fifth in the success's own second (not "before"),
    # its id sorting first so that an (effective_at, id) order puts it ahead.
    for minute in (1, 8, 15, 22, 30):
        log.fail("bfb", at(0, 5, minute), session(DENNIS))
    log.login("bfb", at(0, 5, 30), session(DENNIS))


def _failures_burst(log: Log) -> None:
    # Planted: ten failures, the first and the last exactly 60 minutes apart; the key is the
    # user id (the session names no e-mail).
    for k in range(10):
        log.fail("fb", at(0, 8) + 400 * k, session(BJARNE, with_email=False), "mfa_failed")
    # Near miss: the tenth failure one minute too late: at most nine in any 60 minutes.
    for k in range(9):
        log.fail("fba", at(0, 10) + 400 * k, session(GUIDO))
    log.fail("fba", at(0, 11, 1), session(GUIDO))


def _nameless(email: str | None, ip: str | None) -> Event:
    # A failed login naming an e-mail that has no user (or no one): the key is the e-mail.
    return session(None, email=email, ip=ip, details=SAN_FRANCISCO.details())


def _credential_stuffing(log: Log) -> None:
    # Planted: one e-mail from five addresses, the first and the fifth exactly 30:00 apart.
    emails = ["CFO@Example.com", "cfo@example.com", "cfo@example.com", "Cfo@example.com"]
    emails.append("cfo@example.com")
    for host, (minute, email) in enumerate(zip((0, 8, 15, 22, 30), emails, strict=True), 1):
        log.fail("cs", at(1, 1, minute), _nameless(email, f"2001:db8:5e:c5::{host}"))
    # Near miss: five addresses, the fifth one minute too late.
    for host, (hour, minute) in enumerate(((3, 0), (3, 8), (3, 15), (3, 22), (3, 31)), 1):
        actor = _nameless("treasurer@example.com", f"2001:db8:5e:c6::{host}")
        log.fail("csa", at(1, hour, minute), actor)
    # Near miss: six failures in 20 minutes from four addresses and one without any.
    hosts: tuple[int | None, ...] = (1, 2, 3, 4, 1, None)
    for minute, number in zip((0, 4, 8, 12, 16, 20), hosts, strict=True):
        address = None if number is None else f"2001:db8:5e:c7::{number}"
        log.fail("csb", at(1, 5, minute), _nameless("payroll@example.com", address))


def _password_spray(log: Log) -> None:
    # Planted: five login keys from one address, first and last exactly 30:00 apart. One key
    # is a user id (no e-mail); one failure names no one at all and is ignored by the rules.
    spray = "2001:db8:5e:5a::66"
    for minute, email in ((0, "sales@example.com"), (7, "hr@example.com"), (10, None)):
        log.fail("ps", at(1, 8, minute), _nameless(email, spray))
    for minute, email in ((15, "it@example.com"), (22, "legal@example.com")):
        log.fail("ps", at(1, 8, minute), _nameless(email, spray))
    log.fail("ps", at(1, 8, 30), session(ADI, with_email=False, ip=spray))
    # Near miss: five e-mails, two of them the same but for case: four keys.
    emails = ["ops@example.com", "OPS@Example.com", "finance@example.com", "support@example.com"]
    emails.append("marketing@example.com")
    for k, email in enumerate(emails):
        log.fail("psa", at(1, 10, 4 * k), _nameless(email, "2001:db8:5e:5b::1"))
    # Near miss: five keys, the fifth one minute too late.
    minutes = (0, 8, 15, 22, 31)
    emails = ["design@example.com", "data@example.com", "qa@example.com", "sec@example.com"]
    emails.append("pm@example.com")
    for minute, email in zip(minutes, emails, strict=True):
        log.fail("psb", at(1, 12, minute), _nameless(email, "2001:db8:5e:5c::1"))
    # Near miss: five keys in 20 minutes from no address at all (rules on IPs ignore them).
    for k in range(5):
        log.fail("psc", at(1, 14, 5 * k), _nameless(f"intern{k + 1}@example.com", None))


def _impossible_travel(log: Log) -> None:
    # Planted: Paris then Berlin 51:40 later (1,019 km/h). Between them a login located at
    # (0, 0), which counts as unknown: the two located ones are still consecutive.
    log.login("it", at(2, 1), session(LINUS))
    unknown = PARIS.details() | {"latitude": "0", "longitude": "0"}
    log.login("it", at(2, 1, 20), session(LINUS, details=unknown))
    log.login(
        "it", at(2, 1) + _PARIS_BERLIN_FAST, session(LINUS, details=BERLIN.details(numbers=True))
    )
    # Near miss: the same trip one minute slower (981 km/h); numbers first, strings after.
    log.login("ita", at(2, 3), session(LARRY, details=PARIS.details(numbers=True)))
    log.login("ita", at(2, 3) + _PARIS_BERLIN_SLOW, session(LARRY, details=BERLIN.details()))
    # Planted: London and Madrid (1,263 km) in the same second: infinitely fast.
    log.login("itb", at(2, 6), session(SERGEY))
    log.login("itb", at(2, 6), session(SERGEY, details=MADRID.details()))
    # Near miss: far too fast, but Paris to Amsterdam is 430 km, under 500.
    log.login("itc", at(2, 8), session(WHITFIELD))
    log.login("itc", at(2, 8, 0, 1), session(WHITFIELD, details=AMSTERDAM.details(numbers=True)))
    # Near miss: San Francisco twice, with unknown places between: not numeric, out of
    # range, (0, 0) as numbers. None of them is a location.
    log.login("itd", at(2, 10), session(MARTIN))
    odd: tuple[tuple[int, object, object], ...] = ((5, "N/A", "N/A"), (10, "-95.00000", "200.0"))
    for minute, latitude, longitude in (*odd, (15, 0, 0)):
        details = SAN_FRANCISCO.details() | {"latitude": latitude, "longitude": longitude}
        log.login("itd", at(2, 10, minute), session(MARTIN, details=details))
    log.login("itd", at(2, 10, 30), session(MARTIN, details=SAN_FRANCISCO.details(numbers=True)))


_CITIES = {"US": "New York", "GB": "London", "DE": "Berlin"}


def _country(person: Person, country: str | None) -> Event:
    # Country and city only: no coordinates, so none of these logins is "located".
    found = session(person)
    if country is None:
        del found["session"]["ip_address_details"]
    else:
        city = _CITIES.get(country.strip().upper())
        found["session"]["ip_address_details"] = {"country": country, "city": city}
    return found


def _many_countries(log: Log) -> None:
    # Planted: three countries, first and last exactly 24 hours apart; trimmed, upper-cased.
    log.login("mc", at(3, 0), _country(VINT, "us"))
    log.login("mc", at(3, 12), _country(VINT, " GB "))
    log.login("mc", at(4, 0), _country(VINT, "DE"))
    # Near miss: US and GB written four ways, an empty country and none: two countries.
    for hour, country in ((2, "US"), (3, " us"), (4, "GB"), (5, "gb "), (6, ""), (7, None)):
        log.login("mca", at(3, hour), _country(JUDEA, country))
    # Near miss: three countries, the third one minute too late.
    log.login("mcb", at(3, 4), _country(SHAFI, "US"))
    log.login("mcb", at(3, 16), _country(SHAFI, "GB"))
    log.login("mcb", at(4, 4, 1), _country(SHAFI, "DE"))


SUSTAINED_FAILURES = 91  # one every two minutes, 03:00 to 06:00 of day 8


def _sustained(log: Log) -> None:
    # Planted (grouping): ALONZO's password is tried every two minutes for three hours. Every
    # failure from the tenth on matches login_failures_burst; a 60-minute dedup period groups
    # them in three alerts (opened at 03:18, 04:20 and 05:22), not one, not eighty-two.
    for k in range(SUSTAINED_FAILURES):
        log.fail("sb", at(8, 3) + 120 * k, session(ALONZO))


def late_failure() -> list[Event]:
    """The failure the API lists late: ALONZO's, at 04:45 of day 8, inside the second alert.

    Not served at first. A test adds it between two builds (`Emulator.add_events`), as the
    API lists an event after a run already read its time; it must join the alert that holds
    its moment, and no alert may change its id.
    """
    log = Log()
    log.fail("sbl", at(8, 4, 45), session(ALONZO))
    return log.events


def _second_attack(log: Log) -> None:
    # Planted (grouping): HASKELL's password is guessed (five failures, then a success),
    # then three quiet logins over three hours, then a second guessing: two alerts, the
    # second holding only its own five failures.
    for minute in (0, 7, 14, 21, 28):
        log.fail("sa", at(8, 7, minute), session(HASKELL))
    log.login("sa", at(8, 7, 30), session(HASKELL))
    for hour, minute in ((8, 30), (9, 30), (10, 0)):
        log.login("sa", at(8, hour, minute), session(HASKELL))
    for minute in (30, 37, 44, 51, 58):
        log.fail("sa", at(8, 10, minute), session(HASKELL))
    log.login("sa", at(8, 11), session(HASKELL))


def _key_failures(log: Log) -> None:
    # Near miss: five failed logins whose actor is BOB's API key, then BOB's session logs in.
    # A key's login is no person's: the failures count for no login rule.
    for minute in (0, 7, 14, 21, 28):
        actor = user_key(BOB_KEY, BOB)
        log.add("bfc", "login.failed", at(8, 13, minute), actor=actor, payload=failed())
    log.login("bfc", at(8, 13, 30), session(BOB))
