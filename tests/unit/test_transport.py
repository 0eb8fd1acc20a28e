"""The connection pool: the proxy and CA bundle the environment names, as requests read them.

And what TLS failures mean: a CA bundle that cannot be read is a setting to fix, and a
certificate that does not verify is refused at once; neither is a network fault to retry.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import certifi
import pytest
import urllib3

from tap_openai_audit.client import Advice, ApiClient
from tap_openai_audit.errors import CertificateRejected, UnreadableCaBundle
from tap_openai_audit.retry import RetryPolicy
from tap_openai_audit.settings import Settings
from tap_openai_audit.transport import connection_pool
from tests.tap_runs import base_config
from tests.unit.tls_server import SELF_SIGNED_CERT, serving_tls

if TYPE_CHECKING:
    from collections.abc import Iterator

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
    bundle.write_text(Path(certifi.where()).read_text())
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


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
@pytest.mark.parametrize(
    "content", [None, "", "not a certificate\n"], ids=["missing", "empty", "junk"]
)
def test_a_ca_bundle_that_cannot_be_used_is_refused_naming_it(
    variable: str, content: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "corporate.pem"
    if content is not None:
        bundle.write_text(content)
    monkeypatch.setenv(variable, str(bundle))
    with pytest.raises(UnreadableCaBundle) as refused:
        connection_pool(API, connections=1)
    message = str(refused.value)
    assert message.startswith(f"{variable}: the CA bundle {str(bundle)!r} cannot be used")
    assert "\n" not in message


def test_a_ca_bundle_is_not_checked_where_no_tls_would_use_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A plain-http emulator on loopback: a broken bundle exported for other tools is no concern.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    connection_pool("http://127.0.0.1:8787/v1", connections=1)


@pytest.fixture
def tls_server() -> Iterator[str]:
    with serving_tls() as url:
        yield url


def _client(url: str, logger: logging.Logger) -> ApiClient:
    settings = dataclasses.replace(Settings.from_config(base_config(url)), api_url=url)
    return ApiClient(settings, logger=logger, retry=RetryPolicy(base_delay=0.0))


def test_a_certificate_that_does_not_verify_is_refused_without_a_retry(
    tls_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(tls_server, logging.getLogger("test-tls"))
    with pytest.raises(CertificateRejected) as refused:
        client.get_json("/organization/users", [("limit", "1")], advice=ADVICE)
    assert "TLS certificate was not accepted (self-signed certificate)" in str(refused.value)
    assert "REQUESTS_CA_BUNDLE" in str(refused.value)
    assert [r for r in caplog.records if "retry" in r.getMessage()] == []


def test_the_same_server_is_read_once_the_bundle_names_its_certificate(
    tls_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control of the test above: the refusal came from the certificate, nothing else.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(SELF_SIGNED_CERT))
    client = _client(tls_server, logging.getLogger("test-tls"))
    answer = client.get_json("/organization/users", [("limit", "1")], advice=ADVICE)
    assert answer.body["object"] == "list"
