"""A minimal HTTP client with its own cookies, for tests against a real server."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the test looks at the redirect itself


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    text: str


class HttpClient:
    def __init__(self, base: str, cookies: CookieJar | None = None) -> None:
        self.base = base
        self.cookies = cookies if cookies is not None else CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def _send(self, request: urllib.request.Request) -> Reply:
        try:
            with self._opener.open(request, timeout=60) as response:
                return Reply(response.status, dict(response.headers),
                             response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, dict(error.headers), error.read().decode("utf-8"))

    def get(self, path: str) -> Reply:
        return self._send(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str]) -> Reply:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._send(urllib.request.Request(self.base + path, data=body, method="POST"))
