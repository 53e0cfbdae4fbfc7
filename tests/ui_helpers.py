"""A running ``mlxp ui`` server over a temporary log directory, and raw HTTP requests to it."""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
from typing import Any, Dict, Iterator, NamedTuple, Optional

from mlxp.ui.server import start_in_thread

PAGE = "<!doctype html><title>mlxp</title><script src='/static/app.js'></script>\n"


class Reply(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        assert self.headers["Content-Type"] == "application/json", self.body
        return json.loads(self.body)


class Served(NamedTuple):
    """A server of ``logdir``: its URL (with the token), host, port and token."""

    url: str
    host: str
    port: int
    token: str
    logdir: str

    def get(self, path: str, token: Optional[str] = "url", method: str = "GET",
            headers: Optional[Dict[str, str]] = None) -> Reply:
        """``path`` (sent as is), with the token in the URL unless ``token`` says otherwise:
        None for no token, any other text for that token."""
        sent = self.token if token == "url" else token
        if sent is not None:
            path += ("&" if "?" in path else "?") + "token=" + urllib.parse.quote(sent)
        return request(self.host, self.port, method, path, headers)

    def api(self, path: str) -> Any:
        reply = self.get("/api/" + path)
        assert reply.status == 200, reply.body
        return reply.json()


def request(host: str, port: int, method: str, path: str,
            headers: Optional[Dict[str, str]] = None) -> Reply:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host="Host" in (headers or {}),
                              skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def serve(logdir: str, static_dir: str, token: Optional[str] = None) -> Iterator[Served]:
    """Serve ``logdir`` from a thread for the duration of a fixture."""
    os.makedirs(static_dir, exist_ok=True)
    with open(os.path.join(static_dir, "index.html"), "w") as stream:
        stream.write(PAGE)
    url, stop = start_in_thread(logdir, token=token, static_dir=static_dir)
    split = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(split.query)
    try:
        yield Served(url, split.hostname or "", split.port or 0,
                     query.get("token", [""])[0], logdir)
    finally:
        stop()
