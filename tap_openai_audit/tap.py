"""The `tap-openai-audit` Singer tap."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities, TapCapabilities
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_openai_audit.audit_log.ledger import AuditLogReadsStream
from tap_openai_audit.audit_log.pages import AuditLogClient
from tap_openai_audit.audit_log.state import upgrade_state
from tap_openai_audit.audit_log.stream import AuditLogsStream
from tap_openai_audit.client import ApiClient
from tap_openai_audit.inventory.endpoints import ENDPOINTS
from tap_openai_audit.inventory.snapshot import Snapshot
from tap_openai_audit.inventory.stream import SnapshotStream
from tap_openai_audit.settings import (
    CONFIG_SCHEMA,
    LEGACY_TENANT_ONLY,
    Settings,
    request_settings,
)
from tap_openai_audit.storable_text import ReplacementTally
from tap_openai_audit.timeutil import to_rfc3339

if TYPE_CHECKING:
    from types import FrameType

    import click
    from singer_sdk import Stream

    from tap_openai_audit.audit_log.scopes import Scope


STREAM_ORDER = ("audit_logs", "audit_log_reads", *(endpoint.stream for endpoint in ENDPOINTS))


class TapOpenAIAudit(Tap):
    """Extracts an OpenAI organization's audit logs."""

    name = "tap-openai-audit"
    package_name = "tap-openai-audit"
    config_jsonschema = CONFIG_SCHEMA
    # msgspec writes the same records as the default simplejson writer, about twice as fast.
    message_writer_class = MsgSpecWriter

    # No BATCH: a batch file is announced after its records were read, so a STATE written per
    # window could get ahead of records not yet delivered.
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """On SIGTERM or SIGINT, write the state of completed windows, then exit 128 + signal.

        The SDK exits 0 here, so a scheduler would record a cancelled run as a success. The
        state written is the last completed window's: the next run resumes from it.
        """
        try:
            self.state_writer.write_state(self.state)
        finally:
            self.logger.warning(
                "Stopped by signal %d before the end; the state of every completed window has "
                "been written, and the next run resumes from it.",
                signum,
            )
            sys.exit(128 + signum)

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - the SDK's signature
        """Build the tap; no request is sent until a stream is read."""
        self._api_lock = threading.Lock()
        self._api: ApiClient | None = None
        # Every stream counts here the strings it made storable: one warning per run.
        self.replacements = ReplacementTally()
        self._snapshot: Snapshot | None = None
        super().__init__(*args, **kwargs)

    def api_client(self) -> ApiClient:
        """The run's one HTTP client: every stream shares its retry policy and 429 gate.

        Built on first use, so that discovery and `--about` need no key.
        """
        with self._api_lock:
            if self._api is None:
                self._api = ApiClient(request_settings(self.config), logger=self.logger)
            return self._api

    def inventory_snapshot(self) -> Snapshot:
        """The run's inventory reader: parent ids are read once for every child stream."""
        api = self.api_client()
        with self._api_lock:
            if self._snapshot is None:
                self._snapshot = Snapshot(
                    api,
                    concurrency=api.settings.max_concurrency,
                    logger=self.logger,
                    replacements=self.replacements,
                )
            return self._snapshot

    def report_replacements(self, finished: Stream | None = None) -> None:
        """Log the run's one warning about strings made storable, if any were.

        Called by a stream that stops on a failure (the warning goes out before the error),
        and by every stream that ends: only the run's last selected stream reports then, so
        a run warns once for all its streams.
        """
        if finished is not None:
            selected = [stream for stream in self.streams.values() if stream.selected]
            if selected and finished is not selected[-1]:
                return
        warning = self.replacements.take_warning()
        if warning is not None:
            self.logger.warning("%s", warning)

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        """The streams in the order of `discover_streams`, not the SDK's order by name.

        `sync_all` reads them in this order: parents come before their children, so a child
        reads the parent ids its parent's stream just noted instead of listing them again.
        """
        streams = super().streams
        rank = {name: index for index, name in enumerate(STREAM_ORDER)}
        ordered = sorted(streams, key=lambda name: rank.get(name, len(rank)))
        if list(streams) != ordered:
            reordered = {name: streams[name] for name in ordered}
            streams.clear()  # the SDK's own cache, reordered in place
            streams.update(reordered)
        return streams

    @override
    def discover_streams(self) -> list[Stream]:
        # audit_logs first: it writes the ledger's rows as its windows complete.
        return [
            AuditLogsStream(
                self,
                api=self.api_client,
                replacements=self.replacements,
                report_replacements=self.report_replacements,
            ),
            AuditLogReadsStream(self, report_replacements=self.report_replacements),
            *(
                SnapshotStream(self, endpoint, self.inventory_snapshot, self.report_replacements)
                for endpoint in ENDPOINTS
            ),
        ]

    @override
    def load_state(self, state: dict[str, Any]) -> None:
        """Refuse a state this tap cannot read, and carry a 0.1.0 bookmark over.

        Runs before any request: an unreadable bookmark is one clear line, never a traceback
        from the SDK's own comparison with `start_date` later on.
        """
        legacy_scope: Scope = (
            "tenant" if self.config.get(LEGACY_TENANT_ONLY) is True else "organization"
        )
        super().load_state(upgrade_state(state, legacy_scope=legacy_scope))

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        errors = super()._validate_config(raise_errors=False)
        if self.config.get(LEGACY_TENANT_ONLY) is not None:
            self.logger.warning(
                "The setting tenant_only is no longer read: every run reads the scopes in "
                '`scopes` (default both). tenant_only: true is read as scopes: ["tenant"]; '
                "remove tenant_only from the config."
            )
        unknown = sorted(
            name
            for name in self.config
            if name not in self.config_jsonschema["properties"] and name != LEGACY_TENANT_ONLY
        )
        if unknown:
            self.logger.warning(
                "Settings this version does not know are ignored: %s. Check their spelling.",
                ", ".join(unknown),
            )
        if not errors:
            try:
                Settings.from_config(self.config, require_key=False)
            except ValueError as exc:
                errors = str(exc).splitlines()
        if errors and raise_errors:
            summary = "Config validation failed"
            raise ConfigValidationError(summary, errors=errors, schema=self.config_jsonschema)
        return errors

    @override
    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: one cheap request that says whether the key and the URL work.

        Not the SDK's `run_connection_test`, which syncs every stream up to its first record:
        on a first sync that means finding where the history begins (about 31 requests) and
        reading a window. `meltano config test` already does that (it runs a sync and stops
        at the first record); `--test` is the quick check before it.
        """
        if value != CliTestOptionValue.All.value:  # "schema" and "disabled" keep the SDK's
            super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")
        tap = cls(
            config=None if config is None else config.config,
            parse_env_config=False if config is None else config.parse_env,
            validate_config=True,
        )
        settings = request_settings(tap.config)
        page = AuditLogClient(tap.api_client()).fetch([("limit", "1")])
        latest = (
            f"an event of {to_rfc3339(page.events[0]['effective_at'])}"
            if page.events
            else "no events yet"
        )
        tap.logger.info(
            "Connection test passed: %s accepted the Admin API key and answered with %s.",
            settings.api_url,
            latest,
        )
        ctx.exit()
