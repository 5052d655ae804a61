"""HTTP GET for the fetchers: retries, backoff, an overall deadline per attempt, polite pacing.

Standard library only. Every attempt has an overall deadline (connect, headers and the
whole body: a server that trickles bytes is cut off when it passes) and is retried with
exponential backoff on 429, 5xx, connection errors and bad bodies (shorter than their
Content-Length, invalid gzip, or not JSON where JSON is expected), honouring `Retry-After`
in seconds or as an HTTP date. A minimum interval separates the starts of two requests.
A client library would not make this shorter: requests and httpx time out per socket
operation, not per request, so they would need the same watchdog, and urllib3's `Retry`
does not look at the body (a 200 that is not JSON), so this loop would stay as well.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import http.client
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any

__all__ = ["FetchError", "HttpClient"]

log = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_USER_AGENT = "hockey_vae-fetch/0.1 (+research; polite)"
_DEFAULT_BASE = "https://api-web.nhle.com/v1"


class FetchError(RuntimeError):
    """A download failed for good; the message names the URL (and HTTP status if any)."""

    def __init__(self, url: str, message: str, status: int | None = None):
        self.url, self.status = url, status
        super().__init__(f"{url}: {message}")


class _BadResponse(Exception):
    """A response that arrived incomplete or unusable; retried like a connection error."""


class _Deadline:
    """Shut down the sockets of one attempt when its overall deadline passes.

    A per-read socket timeout never fires while a server sends a byte now and then, so a
    timer closes the connection instead; the blocked read then ends and the attempt fails.
    """

    def __init__(self, seconds: float):
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def opener(self) -> urllib.request.OpenerDirector:
        """An opener (proxies and redirects as usual) whose connections this deadline tracks."""
        deadline = self

        def tracked(cls: type[http.client.HTTPConnection]) -> type:
            class Tracked(cls):  # type: ignore[valid-type, misc]
                def connect(self) -> None:
                    super().connect()
                    deadline._track(self.sock)
            return Tracked

        class Http(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(tracked(http.client.HTTPConnection), req)

        class Https(urllib.request.HTTPSHandler):
            def https_open(self, req):
                return self.do_open(tracked(http.client.HTTPSConnection), req,
                                    context=self._context)

        return urllib.request.build_opener(Http(), Https())

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    """End both directions of `sock`; a blocked read returns end-of-file."""
    # the plain socket's method, also for TLS: SSLSocket.shutdown would drop its SSL object
    # under a reader in another thread
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


def _decoded_body(body: bytes, headers: Any) -> bytes:
    """`body` checked against Content-Length and un-gzipped; _BadResponse when it cannot be."""
    length = (headers.get("Content-Length") or "").strip()
    if length.isdigit() and int(length) != len(body):
        raise _BadResponse(f"truncated body: {len(body)} of {length} bytes")
    if (headers.get("Content-Encoding") or "").strip().lower() == "gzip":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as err:
            raise _BadResponse(f"invalid gzip body ({err})") from None
    return body


@dataclass
class HttpClient:
    """GET JSON from one base URL with retries, backoff, deadlines and a request interval.

    `sleep`, `clock` and `wall` (the epoch time, for Retry-After dates) are injectable so
    tests run without real waiting.
    """

    base_url: str = _DEFAULT_BASE
    min_interval: float = 0.5  # seconds between the starts of two requests
    retries: int = 5  # extra attempts after the first, for retryable failures
    backoff: float = 1.0  # first retry delay in seconds, doubled per attempt
    max_delay: float = 60.0  # cap on one retry delay (also on Retry-After)
    timeout: float = 30.0  # overall seconds per attempt: connect, headers and whole body
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    requests: int = 0  # HTTP attempts made so far
    _last: float | None = field(default=None, init=False, repr=False)

    def url(self, path: str) -> str:
        """The full URL of `path` under the base URL."""
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def get_bytes(self, path: str) -> bytes:
        """The body of GET `path`; FetchError after the last retry or on a non-retryable status."""
        return self._get(path, as_json=False)[1]

    def get_json(self, path: str) -> tuple[Any, bytes]:
        """(parsed JSON, raw body) of GET `path`; a body that is not JSON is retried."""
        return self._get(path, as_json=True)

    def _get(self, path: str, as_json: bool) -> tuple[Any, bytes]:
        url = self.url(path)
        last_error = "no attempt"
        for attempt in range(self.retries + 1):
            self._wait()
            retry_after = None
            try:
                body = self._get_once(url)
                return (_parse_json(body) if as_json else None), body
            except urllib.error.HTTPError as err:
                if err.code not in _RETRY_STATUS:
                    raise FetchError(url, f"HTTP {err.code} {err.reason}", err.code) from None
                last_error = f"HTTP {err.code} {err.reason}"
                retry_after = err.headers.get("Retry-After") if err.headers else None
            except _BadResponse as err:
                last_error = str(err)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
                last_error = f"{type(err).__name__}: {getattr(err, 'reason', err)}"
            if attempt < self.retries:
                delay = self._delay(attempt, retry_after)
                log.info("retrying %s in %.1fs after %s", url, delay, last_error)
                self.sleep(delay)
        raise FetchError(url, f"giving up after {self.retries + 1} attempts ({last_error})")

    def _get_once(self, url: str) -> bytes:
        self.requests += 1
        request = urllib.request.Request(url, headers={
            "User-Agent": _USER_AGENT, "Accept": "application/json", "Accept-Encoding": "gzip"})
        with _Deadline(self.timeout) as deadline:
            try:
                with deadline.opener().open(request, timeout=self.timeout) as response:
                    body, headers = response.read(), response.headers
            except urllib.error.HTTPError:
                raise
            except (OSError, http.client.HTTPException) as err:
                if deadline.expired:
                    raise _BadResponse(f"no complete response within the {self.timeout:g} s "
                                       "deadline") from None
                if isinstance(err, http.client.IncompleteRead):
                    raise _BadResponse(f"truncated body: {len(err.partial)} bytes, "
                                       f"{err.expected} more expected") from None
                raise
        return _decoded_body(body, headers)

    def _wait(self) -> None:
        now = self.clock()
        if self._last is not None:
            wait = self.min_interval - (now - self._last)
            if wait > 0:
                self.sleep(wait)
                now = self.clock()
        self._last = now

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self.backoff * 2.0**attempt
        asked = _retry_after(retry_after, self.wall())
        if asked is not None:
            delay = max(delay, asked)
        return min(delay, self.max_delay)


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _BadResponse(f"response is not JSON ({err})") from None
