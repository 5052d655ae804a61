"""A scripted HTTP server on 127.0.0.1 for the fetch tests (never the internet)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hockey_vae.fetch import HttpClient

__all__ = ["ScriptedServer", "Respond", "scripted_servers", "test_client"]

# A scripted response: (status, body, headers), or a function that writes the raw reply.
Respond = tuple[int, Any, dict] | Callable[[BaseHTTPRequestHandler], None]


class ScriptedServer:
    """Serves `routes` (path -> list of responses; the last one repeats) and logs paths."""

    def __init__(self, routes: dict[str, list[Respond]]):
        self.routes, self.log = routes, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server API)
                server.log.append(self.path)
                responses = server.routes.get(self.path, [(404, {"error": "nope"}, {})])
                reply = responses.pop(0) if len(responses) > 1 else responses[0]
                if callable(reply):
                    reply(self)
                    return
                status, body, headers = reply
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def scripted_servers(monkeypatch: pytest.MonkeyPatch, default_routes: Callable[[], dict] | None = None
                     ) -> Iterator[Callable[..., ScriptedServer]]:
    """Body of a `server` fixture: a factory of local servers, all closed at teardown."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    made: list[ScriptedServer] = []

    def start(routes: dict | None = None) -> ScriptedServer:
        if routes is None and default_routes is not None:
            routes = default_routes()
        made.append(ScriptedServer(routes if routes is not None else {}))
        return made[-1]

    yield start
    for srv in made:
        srv.close()


def test_client(url: str, sleeps: list[float] | None = None, **kwargs: Any) -> HttpClient:
    """A client for a local server: no rate limit, tiny backoff, sleeps recorded in `sleeps`."""
    sleeps = sleeps if sleeps is not None else []
    return HttpClient(base_url=url, min_interval=0.0, backoff=0.01, sleep=sleeps.append,
                      **kwargs)


test_client.__test__ = False  # a helper, not a test
