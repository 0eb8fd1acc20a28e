"""The connection pool every request of a run goes through: urllib3, set up as requests would.

requests sits on urllib3 and, per request, costs about as much CPU again (its session, hooks,
settings merges and response wrapping): about 0.25 ms a request here, a tenth of a run's CPU
for a few hundred pages. The tap needs none of it, so it talks to urllib3 itself and keeps
what it relied on requests for:

- the proxy that `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` name for the API's
  URL, read once with requests' own helpers (credentials in the proxy URL included);
- the CA bundle of `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE` (a file or a directory), else
  certifi's, with certificates always verified;
- gzip and deflate, keep-alive connections, no retry or redirect of its own (the client's
  retry policy decides; the API does not redirect).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import certifi
import urllib3
from requests.utils import get_auth_from_url, get_environ_proxies, select_proxy

# One pool per scheme and host: the API's, and the proxy's when there is one.
_POOLS = 4


def connection_pool(api_url: str, *, connections: int) -> urllib3.PoolManager:
    """A thread-safe pool for `api_url` keeping up to `connections` connections open.

    Raises:
        urllib3.exceptions.ProxySchemeUnknown: the environment names a proxy whose scheme is
            neither http nor https (socks proxies need a package the tap does not ship).
    """
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED"}
    if bundle and Path(bundle).is_dir():
        tls["ca_cert_dir"] = bundle
    else:
        tls["ca_certs"] = bundle or certifi.where()
    proxy = select_proxy(api_url, get_environ_proxies(api_url))
    if proxy:
        user, password = get_auth_from_url(proxy)
        headers = urllib3.make_headers(proxy_basic_auth=f"{user}:{password}") if user else None
        return urllib3.ProxyManager(
            proxy, num_pools=_POOLS, maxsize=connections, proxy_headers=headers, **tls
        )
    return urllib3.PoolManager(num_pools=_POOLS, maxsize=connections, **tls)
