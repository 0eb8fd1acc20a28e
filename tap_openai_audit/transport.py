"""The connection pool every request of a run goes through: urllib3, set up as requests would.

requests sits on urllib3 and, per request, costs about as much CPU again (its session, hooks,
settings merges and response wrapping): about 0.25 ms a request here, a tenth of a run's CPU
for a few hundred pages. The tap needs none of it, so it talks to urllib3 itself and keeps
what it relied on requests for:

- the proxy that `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` name for the API's
  URL, read once with requests' own helpers (credentials in the proxy URL included);
- the CA bundle of `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE` (a file or a directory), else
  certifi's, with certificates always verified. A named bundle that cannot be read is
  refused before any request: urllib3 would only fail on connecting, in a way that looks
  like a network fault and would be retried for half a minute;
- gzip and deflate, keep-alive connections, no retry or redirect of its own (the client's
  retry policy decides; the API does not redirect).
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from requests.utils import get_auth_from_url, get_environ_proxies, select_proxy

from tap_openai_audit.errors import UnreadableCaBundle

# One pool per scheme and host: the API's, and the proxy's when there is one.
_POOLS = 4


def connection_pool(api_url: str, *, connections: int) -> urllib3.PoolManager:
    """A thread-safe pool for `api_url` keeping up to `connections` connections open.

    Raises:
        urllib3.exceptions.ProxySchemeUnknown: the environment names a proxy whose scheme is
            neither http nor https (socks proxies need a package the tap does not ship).
        UnreadableCaBundle: the environment names a CA bundle that TLS would use and that
            cannot be read, or holds no certificate.
    """
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED"}
    if bundle and Path(bundle).is_dir():
        tls["ca_cert_dir"] = bundle
    else:
        tls["ca_certs"] = bundle or certifi.where()
    proxy = select_proxy(api_url, get_environ_proxies(api_url))
    if bundle and _uses_tls(api_url, proxy):
        check_ca_bundle(bundle)
    if proxy:
        user, password = get_auth_from_url(proxy)
        headers = urllib3.make_headers(proxy_basic_auth=f"{user}:{password}") if user else None
        return urllib3.ProxyManager(
            proxy, num_pools=_POOLS, maxsize=connections, proxy_headers=headers, **tls
        )
    return urllib3.PoolManager(num_pools=_POOLS, maxsize=connections, **tls)


def check_ca_bundle(bundle: str) -> None:
    """Load `bundle` (a PEM file, or a directory of hashed certificates) as TLS would.

    Raises:
        UnreadableCaBundle: naming the variable and the path: it is missing or unreadable,
            or (a file) holds no certificate.
    """
    variable = "REQUESTS_CA_BUNDLE" if os.environ.get("REQUESTS_CA_BUNDLE") else "CURL_CA_BUNDLE"
    path = Path(bundle)
    try:
        if path.is_dir():
            # OpenSSL reads a directory only when it looks a certificate up: list it now.
            list(path.iterdir())
        else:
            ssl.create_default_context().load_verify_locations(cafile=bundle)
    except ssl.SSLError as exc:
        reason = f"it holds no certificate OpenSSL can read: {exc.reason or exc.strerror}"
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    else:
        return
    msg = (
        f"{variable}: the CA bundle {bundle!r} cannot be used ({reason}). Point it at a PEM "
        "file of CA certificates, or a directory of them, or unset it to use the bundled ones."
    )
    raise UnreadableCaBundle(msg)


def _uses_tls(api_url: str, proxy: str | None) -> bool:
    """Whether a request to `api_url` (through `proxy`, if any) verifies a certificate."""
    return urlsplit(api_url).scheme == "https" or urlsplit(proxy or "").scheme == "https"
