"""The `tap-openai-audit` Singer tap."""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities, TapCapabilities
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_openai_audit.audit_log.ledger import AuditLogReadsStream
from tap_openai_audit.audit_log.state import upgrade_state
from tap_openai_audit.audit_log.stream import AuditLogsStream
from tap_openai_audit.client import ApiClient
from tap_openai_audit.connection_test import stopped_at_record_limit, verdict
from tap_openai_audit.errors import InvalidSettings, TapOpenAIAuditError
from tap_openai_audit.inventory.endpoints import ENDPOINTS
from tap_openai_audit.inventory.snapshot import Snapshot
from tap_openai_audit.inventory.stream import SnapshotStream
from tap_openai_audit.output import BatchingWriter
from tap_openai_audit.settings import (
    CONFIG_SCHEMA,
    LEGACY_TENANT_ONLY,
    Settings,
    request_settings,
)
from tap_openai_audit.storable_text import ReplacementTally

if TYPE_CHECKING:
    from types import FrameType

    import click
    from singer_sdk import Stream

    from tap_openai_audit.audit_log.scopes import Scope


STREAM_ORDER = ("audit_logs", "audit_log_reads", *(endpoint.stream for endpoint in ENDPOINTS))

# What the SDK's `Stream.sync` logs at ERROR before re-raising any exception of a stream.
SDK_SYNC_ERROR = "An unhandled error occurred while syncing '%s'"


class _OwnErrorsOnce(logging.Filter):
    """Drops the SDK's line about a failed stream where it says nothing true or useful.

    - The failure is one of the tap's own: the command line reports it as one line of its
      own (`cli.py`), which says what failed and what to do.
    - `--test` stopped the stream at its first record, as it is meant to: that is no error.

    Any other exception keeps the SDK's line (and its traceback, from the SDK's CLI).
    """

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != SDK_SYNC_ERROR:
            return True
        error = sys.exc_info()[1]
        return not (isinstance(error, TapOpenAIAuditError) or stopped_at_record_limit(error))


_OWN_ERRORS_ONCE = _OwnErrorsOnce()


class TapOpenAIAudit(Tap):
    """Extracts an OpenAI organization's audit logs."""

    name = "tap-openai-audit"
    package_name = "tap-openai-audit"
    config_jsonschema = CONFIG_SCHEMA
    # The SDK's msgspec writer (the same records as its default simplejson writer, about twice
    # as fast), writing RECORD lines in batches (see output.py).
    message_writer_class = BatchingWriter

    # No BATCH: a batch file is announced after its records were read, so a STATE written per
    # window could get ahead of records not yet delivered.
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        # The SDK's JSON log lines when the runner asks for them (SINGER_SDK_LOG_CONFIG):
        # Meltano asks only of a plugin that declares this, and then reads each line's level.
        # Without it Meltano logs every line of the tap at info, its errors included.
        PluginCapabilities.STRUCTURED_LOGGING,
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

    @classmethod
    @override
    def invoke(cls, **kwargs: Any) -> None:
        """A run: the SDK's, with refused settings raised as `InvalidSettings`.

        The SDK's command would log them itself, followed by a summary line that names no
        setting; `cli.py` logs them as `--test` does, one line per problem.
        """
        try:
            super().invoke(**kwargs)
        except ConfigValidationError as exc:
            raise InvalidSettings(_problems(exc)) from None

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: the SDK's callback, ending with a verdict, its settings refused like a run's.

        The SDK's callback builds the tap outside the code that reports refused settings, so
        they ended in a traceback; and its connection test ends without a word.
        """
        if value == CliTestOptionValue.Disabled.value:
            return
        # A callback runs while click parses, and click does not close the context after an
        # exception there: files it opened (`--catalog`, which Meltano passes) would be left
        # to the garbage collector (a ResourceWarning at exit). Close them on every path.
        try:
            config = ctx.params["config"]  # the SDK's `cb_config` parsed it (an eager option)
            try:
                tap = cls(
                    config=config.config, parse_env_config=config.parse_env, validate_config=True
                )
            except ConfigValidationError as exc:
                raise InvalidSettings(_problems(exc)) from None
            if value == CliTestOptionValue.Schema.value:
                tap.write_schemas()
            else:
                # A missing key or an unusable CA bundle: said before any stream starts.
                tap.api_client()
                tap.run_connection_test()
                tap.logger.info("%s", verdict(len(tap.streams), tap.skipped_streams()))
        finally:
            ctx.close()
        ctx.exit()

    def __init__(self, *, validate_config: bool = True, **kwargs: Any) -> None:  # noqa: ANN401 - the SDK's signature
        """Build the tap; no request is sent until a stream is read.

        Raises:
            ConfigValidationError: a setting with a wrong type or value, or settings that
                contradict each other (`end_date` before `start_date`), each named in one line,
                when `validate_config` (the SDK checks the types first, then the tap the rest).
        """
        self._api_lock = threading.Lock()
        self._api: ApiClient | None = None
        # Every stream counts here the strings it made storable: one warning per run.
        self.replacements = ReplacementTally()
        self._snapshot: Snapshot | None = None
        super().__init__(validate_config=validate_config, **kwargs)
        self._warn_about_setting_names()
        if validate_config:
            self._check_settings()

    def _warn_about_setting_names(self) -> None:
        """One warning for `tenant_only`, one naming every setting this version does not know."""
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

    def _check_settings(self) -> None:
        """What the config schema cannot say: each problem one line naming its setting."""
        try:
            Settings.from_config(self.config, require_key=False)
        except ValueError as exc:
            summary = "Config validation failed"
            raise ConfigValidationError(
                summary, errors=str(exc).splitlines(), schema=self.config_jsonschema
            ) from None

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

    def skipped_streams(self) -> list[str]:
        """The inventory streams skipped so far in this run (their list was refused)."""
        return [] if self._snapshot is None else self._snapshot.skipped_streams()

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
        """The SDK's streams (`load_streams`, catalog applied), in the order of `STREAM_ORDER`.

        `sync_all` reads them in this order. `load_streams`, which the SDK marks final, sorts
        them by name, which would read `audit_log_reads` before the stream that writes its
        rows, and children before their parents: `project_users` would list every project
        again instead of using the ids the `projects` stream just read.
        """
        streams = super().streams
        return {name: streams[name] for name in sorted(streams, key=_rank)}

    @override
    def discover_streams(self) -> list[Stream]:
        ledger = AuditLogReadsStream(self, report_replacements=self.report_replacements)
        streams: list[Stream] = [
            # It writes the ledger's rows as its windows complete.
            AuditLogsStream(
                self,
                api=self.api_client,
                ledger=ledger,
                replacements=self.replacements,
                report_replacements=self.report_replacements,
            ),
            ledger,
            *(
                SnapshotStream(self, endpoint, self.inventory_snapshot, self.report_replacements)
                for endpoint in ENDPOINTS
            ),
        ]
        for stream in streams:
            stream.logger.addFilter(_OWN_ERRORS_ONCE)  # once per logger: the filter is one
        return streams

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


# How the SDK's schema check places a problem: "<message> in config['page_size']".
_SCHEMA_PROBLEM = re.compile(r"^(?P<message>.*) in config\[(?P<path>.+)\]$", re.DOTALL)


def _problems(error: ConfigValidationError) -> list[str]:
    """One line per problem, each starting with its setting's name, as the tap's own do."""
    problems = []
    for problem in error.errors:
        found = _SCHEMA_PROBLEM.match(problem)
        if found is None:
            problems.append(problem)
            continue
        # "'scopes'][0" -> "scopes[0]"
        name, *indexes = (part.strip("'\"") for part in found["path"].split("]["))
        where = name + "".join(f"[{index}]" for index in indexes)
        problems.append(f"{where}: {found['message']}.")
    return problems


_RANK = {name: index for index, name in enumerate(STREAM_ORDER)}


def _rank(name: str) -> int:
    return _RANK.get(name, len(_RANK))
