"""The tap's settings: their JSON schema (the one source of truth) and their typed, checked form."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from singer_sdk import typing as th

from tap_openai_audit import __version__
from tap_openai_audit.audit_log.scopes import SCOPES, Scope, event_types_of
from tap_openai_audit.errors import MissingKeyError
from tap_openai_audit.timeutil import parse_rfc3339, to_unix_ceiling

if TYPE_CHECKING:
    from collections.abc import Mapping

LEGACY_TENANT_ONLY = "tenant_only"
DEFAULT_API_URL = "https://api.openai.com/v1"
SECONDS_PER_DAY = 86_400
MAX_CONCURRENCY = 16
FILTER_SETTINGS: tuple[tuple[str, str, str], ...] = (
    # (setting, title, what it matches): the setting's name is also the API's parameter name.
    ("event_types", "Event types", "event types (new types are passed on with a warning)"),
    ("project_ids", "Project IDs", "project IDs"),
    ("actor_ids", "Actor IDs", "actor IDs: user, service account or API key tracking IDs"),
    ("actor_emails", "Actor e-mails", "actor e-mail addresses"),
    ("resource_ids", "Resource IDs", "target resource IDs, e.g. the ID of an updated project"),
)


# A number, or a string holding one: Meltano 4.4.1 cannot pass `kind: decimal` settings (it
# fails with "Decimal is not JSON serializable"), so meltano.yml declares these two as strings.
POSITIVE_DECIMAL = th.CustomType(
    {
        "type": ["number", "string"],
        "exclusiveMinimum": 0,  # applies to numbers
        "pattern": r"^\s*(\d+\.?\d*|\.\d+)\s*$",  # applies to strings
    }
)


def _filter_property(name: str, title: str, matches: str) -> th.Property[Any]:
    return th.Property(
        name,
        th.ArrayType(th.StringType(min_length=1)),
        title=title,
        description=f"Server-side filter: only events for these {matches}. "
        f"Sent as repeated `{name}[]=value`.",
    )


CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "admin_api_key",
        th.StringType(min_length=1),
        secret=True,
        title="Admin API key",
        description="OpenAI Admin API key (created by an Organization Owner under Admin keys). "
        "Read only from the config: under Meltano, `TAP_OPENAI_AUDIT_ADMIN_API_KEY` or `.env`; "
        "on the command line, `--config ENV` reads it from that variable.",
    ),
    th.Property(
        "api_url",
        th.URIType,
        default=DEFAULT_API_URL,
        title="API base URL",
        description="Base URL of the API. Plain `http://` is accepted only for loopback hosts "
        "(a local emulator).",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start date",
        description="Inclusive lower bound of the first sync (RFC 3339; a value without an "
        "offset is UTC). Unset: everything the API holds; the tap first finds where the "
        "history begins.",
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description="Exclusive upper bound, fixed for the whole run, and never later than the "
        "moment the run starts (its default).",
    ),
    th.Property(
        "lookback_window",
        th.IntegerType(minimum=0),
        default=3600,
        title="Lookback window (seconds)",
        description="Each incremental run re-reads this many seconds before its bookmark, "
        "for events that arrive late.",
    ),
    th.Property(
        "window_size_days",
        POSITIVE_DECIMAL,
        default=1,
        title="Window size (days)",
        description="Width of the time windows the range is read in; fractions allowed "
        "(0.25 = 6 hours). The bookmark advances window by window.",
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=100),
        default=100,
        title="Page size",
        description="`limit` sent to the API: events per page, 1 to 100.",
    ),
    *(_filter_property(*setting) for setting in FILTER_SETTINGS),
    th.Property(
        "scopes",
        th.ArrayType(th.StringType(allowed_values=list(SCOPES))),
        default=list(SCOPES),
        title="Scopes",
        description="Which audit-log scopes a run reads, each with its own bookmark: "
        "`organization` (every type but the tenant-scoped ones) and `tenant` (`tenant.*`, "
        "`role.bound_to_resource`, `role.unbound_from_resource`, which the API returns only "
        "to requests with `tenant_only=true`). Replaces 0.1.0's `tenant_only`.",
    ),
    th.Property(
        "request_timeout",
        POSITIVE_DECIMAL,
        default=60,
        title="Request timeout (seconds)",
        description="Timeout of each HTTP request; a request that times out is retried.",
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType(minimum=1, maximum=MAX_CONCURRENCY),
        default=4,
        title="Concurrent windows",
        description="How many windows are fetched at once (1 to 16), and how many "
        "per-project, per-user and per-group inventory lists. Records are still emitted "
        "window by window, oldest first, and the bookmark still advances only over "
        "completed windows; a 429 slows every worker.",
    ),
    th.Property(
        "user_agent",
        th.StringType(min_length=1),
        default=f"tap-openai-audit/{__version__}",
        title="User-Agent",
        description="User-Agent header sent with every request.",
    ),
    # Unknown names are accepted (Meltano and shared configs carry extras); the tap warns.
    additional_properties=True,
).to_dict()
CONFIG_SCHEMA["properties"]["scopes"].update(minItems=1, uniqueItems=True)
# 0.1.0's `tenant_only` is no longer a setting, but a config that still carries it must not be
# refused: it is read as `scopes: ["tenant"]` with a warning (see `Settings.from_config`).
CONFIG_SCHEMA["patternProperties"] = {f"^{LEGACY_TENANT_ONLY}$": {"type": ["boolean", "null"]}}


def request_settings(config: Mapping[str, Any]) -> Settings:
    """The settings for a run that sends requests: the key is required from here on.

    Raises:
        MissingKeyError: when the config has no key; every other setting was already checked
            when the tap was built.
    """
    try:
        return Settings.from_config(config)
    except ValueError as exc:
        raise MissingKeyError(str(exc)) from None


def known_event_types() -> frozenset[str]:
    """The event types of the official `openai` package the tap was built against."""
    text = resources.files("tap_openai_audit").joinpath("data/audit_log_event_types.json")
    return frozenset(json.loads(text.read_text(encoding="utf-8"))["event_types"])


@dataclass(frozen=True)
class Settings:
    """The settings in the form the tap uses them; build with `Settings.from_config`."""

    admin_api_key: str = field(repr=False)  # never in a repr, so never in a log
    api_url: str
    start: int | None
    end: int | None
    lookback_seconds: int
    window_seconds: int
    page_size: int
    filters: tuple[tuple[str, tuple[str, ...]], ...]
    scopes: tuple[Scope, ...]
    legacy_tenant_only: bool
    request_timeout: float
    max_concurrency: int
    user_agent: str

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        *,
        require_key: bool = True,
    ) -> Settings:
        """Check `config` (already valid against `CONFIG_SCHEMA`) and type it.

        Discovery and `--about` need no key (so `meltano select --list` works before one is
        set): they pass `require_key=False`. Anything that sends a request requires it.

        Raises:
            ValueError: with one line per problem, each naming its setting.
        """
        errors: list[str] = []
        # No fallback to other variables (such as OPENAI_ADMIN_KEY): a key picked up from the
        # shell could read one organization's log into another's tables.
        admin_api_key = config.get("admin_api_key") or ""
        if not admin_api_key and require_key:
            errors.append(
                "admin_api_key: not set. Under Meltano set TAP_OPENAI_AUDIT_ADMIN_API_KEY (or "
                "`meltano config set`, which keeps it in .env); on the command line put it in "
                "the config file, or export TAP_OPENAI_AUDIT_ADMIN_API_KEY and pass --config ENV."
            )
        api_url = str(config.get("api_url") or DEFAULT_API_URL).rstrip("/")
        errors.extend(_api_url_errors(api_url))
        start = _timestamp(config, "start_date", errors)
        end = _timestamp(config, "end_date", errors)
        if start is not None and end is not None and end <= start:
            errors.append("end_date: must be later than start_date.")
        errors.extend(_range_errors(config))
        filters = tuple(
            (name, tuple(config[name])) for name, _, _ in FILTER_SETTINGS if config.get(name)
        )
        if errors:
            raise ValueError("\n".join(errors))
        return cls(
            admin_api_key=admin_api_key,
            api_url=api_url,
            start=start,
            end=end,
            lookback_seconds=int(_value(config, "lookback_window")),
            window_seconds=max(
                1, round(float(_value(config, "window_size_days")) * SECONDS_PER_DAY)
            ),
            page_size=int(_value(config, "page_size")),
            filters=filters,
            scopes=_scopes(config),
            legacy_tenant_only=config.get(LEGACY_TENANT_ONLY) is True,
            request_timeout=float(_value(config, "request_timeout")),
            max_concurrency=int(_value(config, "max_concurrency")),
            user_agent=str(_value(config, "user_agent")),
        )

    def scope_filters(self, scope: Scope) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
        """The filters a request of `scope` sends; None when the scope has nothing to ask for.

        `event_types` is split by scope: the API refuses a type of the other scope, and a
        partition whose types were all of the other scope would otherwise read everything.
        """
        filters = dict(self.filters)
        if "event_types" not in filters:
            return self.filters
        own = event_types_of(scope, filters["event_types"])
        if not own:
            return None
        return tuple(
            (name, own if name == "event_types" else values) for name, values in self.filters
        )

    def active_scopes(self) -> tuple[Scope, ...]:
        """The scopes this run reads, in the order it reads them."""
        return tuple(scope for scope in self.scopes if self.scope_filters(scope) is not None)

    def unknown_event_types(self) -> list[int]:
        """Positions in `event_types` of the types the tap's list does not know.

        Positions, not names: filter values never reach a log (new types appear often, and
        the user finds the entry by its position in the config).
        """
        requested = dict(self.filters).get("event_types", ())
        known = known_event_types()
        return [index for index, name in enumerate(requested) if name not in known]


def _value(config: Mapping[str, Any], name: str) -> Any:  # noqa: ANN401 - any JSON value
    """The setting's value, or the schema's default when it is unset or null."""
    value = config.get(name)
    return CONFIG_SCHEMA["properties"][name].get("default") if value is None else value


def _scopes(config: Mapping[str, Any]) -> tuple[Scope, ...]:
    """The configured scopes in canonical order; a leftover `tenant_only: true` means tenant."""
    if config.get(LEGACY_TENANT_ONLY) is True:
        return ("tenant",)
    chosen = set(_value(config, "scopes"))
    return tuple(scope for scope in SCOPES if scope in chosen)


def _timestamp(config: Mapping[str, Any], name: str, errors: list[str]) -> int | None:
    value = config.get(name)
    if value is None:
        return None
    try:
        return to_unix_ceiling(parse_rfc3339(str(value)))
    except (ValueError, OverflowError):
        errors.append(f"{name}: {value!r} is not an RFC 3339 date-time (2026-01-31T00:00:00Z).")
        return None


def _api_url_errors(api_url: str) -> list[str]:
    parts = urlsplit(api_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return [f"api_url: {api_url!r} is not an http(s) URL."]
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return [
            (
                "api_url: plain http:// is refused for a host other than loopback, because the "
                "Admin API key would cross the network in clear text. Use https://."
            )
        ]
    return []


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _range_errors(config: Mapping[str, Any]) -> list[str]:
    """Bounds the JSON schema cannot state: a numeric string's value, a one-second floor."""
    errors: list[str] = []
    if float(_value(config, "window_size_days")) * SECONDS_PER_DAY < 1:
        errors.append("window_size_days: must be at least one second (about 0.0000116 days).")
    if float(_value(config, "request_timeout")) <= 0:
        errors.append("request_timeout: must be more than 0 seconds.")
    return errors
