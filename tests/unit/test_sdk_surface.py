"""Canaries for the tap's use of singer-sdk internals: an SDK upgrade that changes one fails here.

The tap uses a few private SDK names: it overrides some methods (for speed, or to fail loudly
where the SDK stays quiet), calls others, and sets one attribute. A private name can change
in any release without notice, and the tap would then silently diverge from what the SDK
does. Every such name is listed in `GUARDED` with a digest of the SDK code that defines or
uses it, and a scan of the tap's source makes sure the list is complete.

The digest is of the code (the syntax tree, signatures included), not of its text: docstrings,
comments and formatting do not count, so a cosmetic SDK release keeps it. When a digest stops
matching, read the SDK's new code of that name, re-check the tap's code named in the message,
then put the new digest here.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import io
import json
import pkgutil
import sys
import textwrap
from contextlib import redirect_stdout
from functools import cache
from importlib import metadata as installed
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk import Tap
from singer_sdk.streams.core import Stream as SdkStream

import tap_openai_audit
from openai_audit_emulator import generate_events
from tap_openai_audit.audit_log.records import to_record
from tap_openai_audit.output import BatchingWriter
from tap_openai_audit.tap import SDK_SYNC_ERROR, TapOpenAIAudit

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# Private SDK name -> (digest of the SDK code that defines or uses it; what in the tap relies on
# it). Names are looked up in the SDK classes the tap's classes derive from.
GUARDED: dict[str, tuple[str, str]] = {
    "_handle_termination": (
        "21d8b2b7ecdfd1b0",
        (
            "TapOpenAIAudit._handle_termination: writes the state like the SDK, then exits "
            "128+signal instead of 0"
        ),
    ),
    "_increment_stream_state": (
        "d2134da5155bed22",
        "AuditLogsStream._increment_stream_state: a no-op, the bookmark moves per window",
    ),
    "_stream_version": (
        "921a99d848aad79d",
        (
            "SnapshotStream.get_records sets it (every RECORD's version); "
            "AuditLogsStream._generate_record_messages reads it like the SDK's path"
        ),
    ),
    "_write_activate_version_message": (
        "9bae2e509a6a2853",
        "SnapshotStream.get_records: ACTIVATE_VERSION after a whole snapshot",
    ),
    "_write_record_message": (
        "f4b021d336e61124",
        (
            "AuditLogsStream._write_record_message: the SDK's path minus the selection walk and "
            "the RecordMessage per record (see scripts/bench.py); AuditLogReadsStream.write_row "
            "(ledger.py) writes each ledger row through the SDK's"
        ),
    ),
    # Not touched by the tap, but `AuditLogsStream._write_record_message` writes what it would
    # generate: a change in it must be re-checked there.
    "_generate_record_messages": (
        "c23295148c5ec505",
        "AuditLogsStream._write_record_message writes the lines the SDK's would generate",
    ),
    "_write_schema_message": (
        "7616277f5fe8fe86",
        "AuditLogReadsStream.write_row (ledger.py) writes the ledger's SCHEMA once through it",
    ),
    # Public, but the tap's override does the SDK's work in its own words: re-check it.
    "cb_test": (
        "4f89ac5ad068a38b",
        (
            "TapOpenAIAudit.cb_test: the SDK's --test callback, with refused settings raised as "
            "InvalidSettings, the context closed, and a verdict after the connection test"
        ),
    ),
}
# Python 3.10's `ast.unparse` spells two of those functions differently (the same code: 3.11 to
# 3.13 agree on every digest); make test-matrix runs the canary on 3.10 too.
PY310_DIGESTS = {
    "_increment_stream_state": "a3355d37693e1fd4",
    "_write_record_message": "dc6ffd58c9049b27",
}

# Guarded though the tap's code does not name them (or, being public, is not scanned for them):
# an override of the tap does their work.
REPLICATED = {"_generate_record_messages", "cb_test"}

_DOCSTRING_HOLDERS = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def code_digest(source: str) -> str:
    """sha256 (first 16 hex digits) of `source`'s syntax tree without its docstrings."""
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        if isinstance(node, _DOCSTRING_HOLDERS) and node.body:
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    # unparse, not dump: the tree's dump differs between Python versions (3.12 added fields), the
    # code it spells does not, so the canary says the same on every Python of test-matrix.
    return hashlib.sha256(ast.unparse(tree).encode("utf-8")).hexdigest()[:16]


def _tap_classes() -> list[type[Any]]:
    """The tap, its message writer and its streams' classes: whatever derives from the SDK."""
    tap = TapOpenAIAudit(config={}, parse_env_config=False, validate_config=False)
    found = [TapOpenAIAudit, TapOpenAIAudit.message_writer_class]
    found += [type(stream) for stream in tap.streams.values()]
    return list(dict.fromkeys(found))


@cache
def _sdk_bases() -> tuple[type[Any], ...]:
    bases = (base for cls in _tap_classes() for base in cls.__mro__)
    return tuple(dict.fromkeys(b for b in bases if b.__module__.startswith("singer_sdk")))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _names_in(node: ast.AST) -> set[str]:
    """Every name `node` defines or uses: functions, attributes, variables."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(sub.name)
        elif isinstance(sub, ast.Attribute):
            names.add(sub.attr)
        elif isinstance(sub, ast.Name):
            names.add(sub.id)
    return names


def _functions_of(base: type[Any]) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(qualified name, source, names it defines or uses) of each function of an SDK class."""
    for name, member in vars(base).items():
        function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
        if isinstance(function, property):
            function = function.fget
        if inspect.isfunction(function):
            source = textwrap.dedent(inspect.getsource(function))
            qualified = f"{base.__module__}.{base.__qualname__}.{name}"
            yield qualified, source, frozenset(_names_in(ast.parse(source)))


@cache
def _sdk_functions() -> tuple[tuple[str, str, frozenset[str]], ...]:
    return tuple(function for base in _sdk_bases() for function in _functions_of(base))


def sdk_private_names(cls: type[Any]) -> set[str]:
    """The private names that `cls`'s SDK base classes define or use on themselves."""
    bases = [base for base in cls.__mro__ if base in _sdk_bases()]
    used = {name for base in bases for _, _, names in _functions_of(base) for name in names}
    defined = {name for base in bases for name in vars(base)}
    return {name for name in used | defined if _is_private(name)}


def sdk_digest(name: str) -> str:
    """The digest of every SDK function that defines or uses `name`, in a stable order."""
    sources = sorted(
        (qualified, code_digest(source))
        for qualified, source, names in _sdk_functions()
        if name in names
    )
    assert sources, f"no singer-sdk code defines or uses {name} any more"
    text = "\n".join(f"{qualified} {digest}" for qualified, digest in sources)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _tap_modules() -> Iterator[Any]:
    for module in pkgutil.walk_packages(tap_openai_audit.__path__, "tap_openai_audit."):
        if not module.name.endswith("__main__"):  # importing it runs the command
            yield importlib.import_module(module.name)


def private_sdk_names_the_tap_touches() -> dict[str, set[str]]:
    """{private SDK name: tap classes whose code defines, reads or sets it}."""
    touched: dict[str, set[str]] = {}
    for module in _tap_modules():
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if not isinstance(node, ast.ClassDef):
                continue
            cls = getattr(module, node.name, None)
            if not isinstance(cls, type) or not any(b in _sdk_bases() for b in cls.__mro__):
                continue
            for name in _names_in(node) & sdk_private_names(cls):
                touched.setdefault(name, set()).add(f"{module.__name__}.{node.name}")
    return touched


def test_every_private_sdk_name_the_tap_touches_is_guarded_and_nothing_else() -> None:
    touched = private_sdk_names_the_tap_touches()
    unguarded = {name: sorted(where) for name, where in touched.items() if name not in GUARDED}
    assert unguarded == {}, (
        "These private singer-sdk names are defined, read or set by the tap without a canary "
        "(or the tap's own attribute has a name the SDK uses: rename it). Add each to GUARDED "
        f"in tests/unit/test_sdk_surface.py: {unguarded}"
    )
    stale = sorted(set(GUARDED) - set(touched) - REPLICATED)
    assert stale == [], f"The tap no longer touches these: remove them from GUARDED: {stale}"


def test_the_tap_imports_no_private_sdk_module() -> None:
    private = sorted(
        f"{module.__name__}: {node.module}"
        for module in _tap_modules()
        for node in ast.walk(ast.parse(inspect.getsource(module)))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("singer_sdk")
        and any(_is_private(part) for part in (node.module or "").split("."))
    )
    assert private == []


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_the_sdk_code_behind_each_private_name_is_the_one_checked(name: str) -> None:
    expected, depends = GUARDED[name]
    if sys.version_info[:2] == (3, 10):
        expected = PY310_DIGESTS.get(name, expected)
    actual = sdk_digest(name)
    assert actual == expected, (
        f"singer-sdk {installed.version('singer-sdk')} changed the code that defines or uses "
        f"{name}. Re-check {depends}; then set its digest here to {actual!r}."
    )


def test_the_digest_ignores_docstrings_comments_and_layout_but_not_code() -> None:
    plain = "def f(a: int) -> int:\n    return a + 1\n"
    cosmetic = (
        "def f(a: int) -> int:\n"
        '    """Now documented, at length."""\n'
        "    # and commented\n"
        "    return (a\n            + 1)\n"
    )
    assert code_digest(plain) == code_digest(cosmetic)
    assert code_digest(plain) != code_digest(plain.replace("+ 1", "+ 2"))
    assert code_digest(plain) != code_digest(plain.replace("a: int", "a: float"))


def test_the_public_sdk_names_the_tap_relies_on_are_still_public() -> None:
    assert isinstance(inspect.getattr_static(Tap, "state_writer"), property)
    assert isinstance(inspect.getattr_static(SdkStream, "tap_state"), property)
    # The one line the tap drops in favour of its own (tap.py, `_OwnErrorsOnce`).
    assert SDK_SYNC_ERROR in _names_and_strings(SdkStream.sync)


def _names_and_strings(function: Any) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def _lines_both_ways(
    config: dict[str, Any], catalog: dict[str, Any] | None = None
) -> tuple[list[Any], list[Any]]:
    """What audit_logs writes for the same records, through the tap's path and the SDK's."""
    tap = TapOpenAIAudit(config=config, catalog=catalog, parse_env_config=False)
    stream = tap.streams["audit_logs"]
    writer = tap.message_writer
    assert isinstance(writer, BatchingWriter)
    events = generate_events(seed=11, count=300, start=1_760_000_000, end=1_760_086_400)
    odd = {"id": "audit_log-odd", "type": "widget.made", "effective_at": 1_760_000_001}
    events.append({**odd, "widget.made": {"a": [1, {"b": None}]}, "zzz": {"": {}}})

    def written(write: Callable[[dict[str, Any]], None]) -> list[Any]:
        out = io.BytesIO()
        stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
        with redirect_stdout(stdout):
            for event in events:
                write(to_record(event))
            writer.flush()
        stdout.detach()  # keep `out` open
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        for line in lines:
            line.pop("time_extracted")  # when each path ran (the tap's: when the page came)
        return lines

    fast = written(stream._write_record_message)
    sdk = written(lambda record: SdkStream._write_record_message(stream, record))
    return fast, sdk


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"stream_maps": {"audit_logs": {"actor": "None", "kind": "type.upper()"}}},
        {"stream_maps": {"audit_logs": {"__filter__": "type.startswith('login')"}}},
        {
            "stream_maps": {
                "audit_logs": {"__alias__": "events"},
                "events_copy": {"__source__": "audit_logs"},
            }
        },
        {"flattening_enabled": True, "flattening_max_depth": 2},
    ],
)
def test_the_fast_record_path_emits_what_the_sdks_own_path_emits(settings: dict[str, Any]) -> None:
    fast, sdk = _lines_both_ways({"admin_api_key": "k", **settings})
    assert sdk  # the comparison holds records
    assert fast == sdk


def test_a_deselected_field_takes_the_sdks_own_path() -> None:
    config = {"admin_api_key": "k"}
    catalog = TapOpenAIAudit(config=config, parse_env_config=False).catalog_dict
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == "audit_logs"]
    for item in entry["metadata"]:
        if item["breadcrumb"] == ["properties", "actor"]:
            item["metadata"]["selected"] = False
    fast, sdk = _lines_both_ways(config, catalog)
    assert sdk
    assert all("actor" not in line["record"] for line in sdk)
    assert fast == sdk
