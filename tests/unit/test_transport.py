"""The connection pool: the proxy and CA bundle the environment names, as requests read them."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

import certifi
import pytest
import urllib3

from tap_openai_audit.client import Advice, ApiClient
from tap_openai_audit.settings import Settings
from tap_openai_audit.transport import connection_pool
from tests.tap_runs import base_config

if TYPE_CHECKING:
    from pathlib import Path

    from openai_audit_emulator import Emulator

API = "https://api.openai.com/v1"
ADVICE = Advice(forbidden="Check the thing.", rerun="Rerun.")


@pytest.fixture(autouse=True)
def _no_proxy_or_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE"):
        for spelling in (name, name.lower()):
            monkeypatch.delenv(spelling, raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def test_without_a_proxy_it_connects_directly_and_verifies_with_certifi() -> None:
    pool = connection_pool(API, connections=5)
    assert not isinstance(pool, urllib3.ProxyManager)
    assert pool.connection_pool_kw["ca_certs"] == certifi.where()
    assert pool.connection_pool_kw["cert_reqs"] == "CERT_REQUIRED"
    assert pool.connection_pool_kw["maxsize"] == 5


def test_the_proxy_of_the_environment_is_used_with_its_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://alice:s3cret@proxy.internal:3128")
    pool = connection_pool(API, connections=5)
    assert isinstance(pool, urllib3.ProxyManager)
    assert pool.proxy is not None
    assert (pool.proxy.host, pool.proxy.port) == ("proxy.internal", 3128)
    assert pool.proxy_headers == urllib3.make_headers(proxy_basic_auth="alice:s3cret")


def test_no_proxy_bypasses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "api.openai.com")
    assert not isinstance(connection_pool(API, connections=5), urllib3.ProxyManager)


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_file_or_directory_replaces_certifis(
    variable: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "corporate.pem"
    bundle.write_text("")
    monkeypatch.setenv(variable, str(bundle))
    assert connection_pool(API, connections=1).connection_pool_kw["ca_certs"] == str(bundle)
    monkeypatch.setenv(variable, str(tmp_path))
    kw = connection_pool(API, connections=1).connection_pool_kw
    assert kw["ca_cert_dir"] == str(tmp_path)
    assert "ca_certs" not in kw


def test_requests_really_go_through_the_proxy(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator answers absolute-URI requests too, so it can stand as the proxy of a host
    # that does not exist: only a request sent through the proxy can be answered.
    monkeypatch.setenv("HTTP_PROXY", emulator.url.removesuffix("/v1"))
    settings = dataclasses.replace(
        Settings.from_config(base_config(emulator.url)), api_url="http://api.example.invalid/v1"
    )
    client = ApiClient(settings, logger=logging.getLogger("test-transport"))
    answer = client.get_json("/organization/audit_logs", [("limit", "1")], advice=ADVICE)
    assert answer.body["object"] == "list"
    assert emulator.data_request_count == 1
