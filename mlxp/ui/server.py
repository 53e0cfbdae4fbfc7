"""The ``mlxp ui`` web server: the standard library's threaded HTTP server, read-only, behind a token.

Anyone on a shared login node can reach 127.0.0.1, so every request must carry the server's
random token (``?token=`` or the ``mlxp_token`` cookie the page sets) unless it was started
with ``--no-token``. Only GET and HEAD are answered; request heads are bounded (8 KiB) and so
are answers. The routes themselves (``mlxp.ui.api``) never see the socket.
"""

from __future__ import annotations

import errno
import hmac
import os
import secrets
import socket
import sys
import threading
import urllib.parse
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Sequence, Tuple

from mlxp.errors import UsageError
from mlxp.ui._http import TEXT_TYPE, Answer, text_answer

DEFAULT_PORT = 8765
MAX_REQUEST_HEAD = 8192
"""Bytes of request line and headers accepted; the browser sends well under 2 KiB."""
MAX_ANSWER_BYTES = 256 << 20
"""No JSON answer is larger (the routes cap theirs far below)."""
COOKIE = "mlxp_token"
STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "chartmath.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "export.js": "text/javascript; charset=utf-8",
    "live.js": "text/javascript; charset=utf-8",
    "plots.js": "text/javascript; charset=utf-8",
    "runpage.js": "text/javascript; charset=utf-8",
    "runs.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline';"
    " script-src 'self'"
)
_ALWAYS = {  # on every answer: no sniffing into HTML, no token leaking in a Referer, no framing
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
_FORBIDDEN_TEXT = (
    "mlxp ui: this page needs the server's token.\n"
    "Open the URL that `mlxp ui` printed when it started (it ends with ?token=...).\n"
)


class Site:
    """What every request to one server shares: the log directory's routes and the token."""

    def __init__(self, logdir: str, token: str, static_dir: str = STATIC_DIR,
                 verbose: bool = False) -> None:
        from mlxp.ui.api import Api  # the data side loads the results layer: not at import

        self.api = Api(logdir)
        self.token = token
        self.static_dir = static_dir
        self.verbose = verbose

    def authorized(self, offered: List[str]) -> bool:
        """Whether one of the tokens a request offers is the server's (constant-time check)."""
        if not self.token:
            return True
        expected = self.token.encode("utf-8")
        return any(hmac.compare_digest(expected, value.encode("utf-8", "replace"))
                   for value in offered)

    def static(self, name: str) -> Answer:
        """One file of the web app; only the fixed list is served."""
        if name not in STATIC_FILES:
            return text_answer(404, f"no such file: {name}\n")
        try:
            with open(os.path.join(self.static_dir, name), "rb") as stream:
                body = stream.read()
        except OSError:
            return text_answer(404, f"mlxp ui: the web app's {name} is missing from this"
                                    " installation of mlxp; reinstall it\n")
        headers = {"Cache-Control": "no-cache"}
        if name.endswith(".html"):
            headers["Content-Security-Policy"] = PAGE_POLICY
        return Answer(200, STATIC_FILES[name], body, headers)


class _BoundedReader:
    """The request stream, ending (as if the client had stopped) after a byte budget."""

    def __init__(self, stream: BinaryIO, budget: int) -> None:
        self.stream = stream
        self.budget = budget
        self.exceeded = False

    def readline(self, limit: int = -1) -> bytes:
        if self.budget <= 0:
            self.exceeded = True
            return b""
        allowed = self.budget if limit < 0 else min(limit, self.budget)
        line = self.stream.readline(allowed)
        self.budget -= len(line)
        if self.budget <= 0 and not line.endswith(b"\n"):
            self.exceeded = True
        return line


class _Handler(BaseHTTPRequestHandler):
    """One connection: bounded heads, GET/HEAD only, token check, then a route."""

    server_version = "mlxp-ui"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle or stalled connection gives its thread back
    error_content_type = TEXT_TYPE
    error_message_format = "%(code)d %(message)s\n"
    server: "_Server"

    def handle_one_request(self) -> None:
        try:
            reader = _BoundedReader(self.rfile, MAX_REQUEST_HEAD)  # type: ignore[arg-type]
            self.raw_requestline = reader.readline(MAX_REQUEST_HEAD)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if reader.exceeded:
                self._refuse_head(414)
                return
            plain = self.rfile
            self.rfile = reader  # type: ignore[assignment]
            try:
                parsed = self.parse_request()
            finally:
                self.rfile = plain
            if not parsed:
                return
            if reader.exceeded:
                self._refuse_head(431)
                return
            if self.command not in ("GET", "HEAD"):
                self.close_connection = True  # a body we will not read may follow
                self._send(text_answer(405, "mlxp ui is read-only: GET and HEAD only\n"),
                           {"Allow": "GET, HEAD"})
                self._discard_input()
                return
            try:
                answer, set_cookies = self._answer()
            except Exception as error:  # noqa: BLE001 -- a bug must cost one answer, not the server
                self.server.report(error)
                answer, set_cookies = text_answer(500, "mlxp ui: internal error\n"), []
            self._send(answer, head=self.command == "HEAD", cookies=set_cookies)
            self.wfile.flush()
        except (ConnectionError, socket.timeout):
            self.close_connection = True

    def _refuse_head(self, status: int) -> None:
        self.requestline, self.request_version, self.command = "", "HTTP/1.1", "GET"
        self.close_connection = True
        self._send(text_answer(status, "request head too large\n"))
        self._discard_input()

    def _discard_input(self) -> None:
        """Read what the client still sends (bounded) before closing: closing a socket with
        unread input resets the connection, and the client would lose our answer."""
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_WR)
        self.connection.settimeout(1.0)
        left = 1 << 20
        while left > 0 and self.connection.recv(min(left, 65536)):
            left -= 65536

    def _offered_tokens(self, query: Dict[str, List[str]]) -> Tuple[List[str], bool]:
        """The tokens the request carries, and whether one came in the URL."""
        in_url = query.get("token", [])
        offered = list(in_url)
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except CookieError:
            pass  # a garbled cookie is no token
        for name in (COOKIE, f"{COOKIE}_{self.server.port}"):
            if name in jar:
                offered.append(jar[name].value)
        return offered, bool(in_url)

    def _host_allowed(self) -> bool:
        """Against DNS rebinding: a loopback server answers only to loopback host names."""
        if self.server.host not in ("127.0.0.1", "::1"):
            return True
        hosts = self.headers.get_all("Host") or [""]
        names = [host.rsplit(":", 1)[0] if not host.endswith("]") else host for host in hosts]
        return all(name.lower() in _LOOPBACK_NAMES for name in names)

    def _answer(self) -> Tuple[Answer, List[str]]:
        """The answer to a GET, and the cookies to set with it."""
        site = self.server.site
        url = urllib.parse.urlsplit(self.path)
        try:
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True,
                                          max_num_fields=64)
        except ValueError:
            return text_answer(400, "too many query parameters\n"), []
        if not self._host_allowed():
            return text_answer(403, "mlxp ui answers only to 127.0.0.1 or localhost\n"), []
        offered, in_url = self._offered_tokens(query)
        if not site.authorized(offered):
            return text_answer(403, _FORBIDDEN_TEXT), []
        try:
            path = urllib.parse.unquote(url.path or "/", errors="strict")
        except UnicodeDecodeError:
            return text_answer(404, "no such page\n"), []
        if path in ("/", "/index.html"):
            answer = site.static("index.html")
            if in_url and site.token and answer.status == 200:
                flags = "HttpOnly; SameSite=Strict; Path=/"
                # The port-named cookie keeps two servers on one machine from logging each
                # other out: browsers share cookies across ports.
                return answer, [f"{COOKIE}={site.token}; {flags}",
                                f"{COOKIE}_{self.server.port}={site.token}; {flags}"]
            return answer, []
        if path.startswith("/static/"):
            return site.static(path[len("/static/"):]), []
        if path.startswith("/api/"):
            return site.api.answer(path[len("/api/"):], query), []
        return text_answer(404, f"no such page: {path}\n"), []

    def _send(self, answer: Answer, extra: Optional[Dict[str, str]] = None,
              head: bool = False, cookies: Sequence[str] = ()) -> None:
        if answer.stream is None and len(answer.body) > MAX_ANSWER_BYTES:
            answer = text_answer(500, "the answer is too large; narrow the request\n")
        length = answer.length if answer.stream is not None else len(answer.body)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in {**_ALWAYS, **answer.headers, **(extra or {})}.items():
            self.send_header(name, value)
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        if answer.stream is None:
            if not head:
                self.wfile.write(answer.body)
            return
        with answer.stream:
            if not head:
                self._copy(answer.stream, length)

    def _copy(self, stream: BinaryIO, length: int) -> None:
        left = length
        while left > 0:
            chunk = stream.read(min(left, 1 << 16))
            if not chunk:  # the file shrank after we promised its length: end the connection
                self.close_connection = True
                return
            self.wfile.write(chunk)
            left -= len(chunk)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        if self.server.site.verbose:
            text = format % args
            token = self.server.site.token
            if token:
                text = text.replace(token, "***")
            sys.stderr.write(f"mlxp ui: {self.address_string()} {text}\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # Ctrl-C must not wait for idle keep-alive connections

    def __init__(self, address: Tuple[str, int], site: Site) -> None:
        self.site = site
        super().__init__(address, _Handler)
        #: where it listens (the port is the one the system gave when asked for a free one)
        self.host, self.port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, Exception) and not isinstance(error, (ConnectionError,
                                                                      socket.timeout)):
            self.report(error)  # a browser that went away is nothing to report

    def report(self, error: Exception) -> None:
        """One line on stderr for a failed request (the traceback too with ``--verbose``)."""
        print(f"mlxp ui: error answering a request: {error!r}", file=sys.stderr)
        if self.site.verbose:
            import traceback

            traceback.print_exception(type(error), error, error.__traceback__)


class _Server6(_Server):
    address_family = socket.AF_INET6


def _bind(host: str, port: int, site: Site) -> _Server:
    server_class = _Server6 if ":" in host else _Server
    wanted = port or DEFAULT_PORT
    try:
        try:
            return server_class((host, wanted), site)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            return server_class((host, 0), site)
    except OSError as error:
        raise UsageError(f"cannot listen on {host} port {wanted}: {error.strerror or error}"
                         " (see --host and --port)") from error


def _url(server: _Server, token: str) -> str:
    shown = f"[{server.host}]" if ":" in server.host else server.host
    return f"http://{shown}:{server.port}/" + (f"?token={token}" if token else "")


def make_server(logdir: str, port: int = 0, host: str = "127.0.0.1",
                token: Optional[str] = None, *, verbose: bool = False,
                static_dir: str = STATIC_DIR) -> Tuple[_Server, str]:
    """A listening server for ``logdir`` and its URL (with the token); it serves nothing yet.

    Args:
        port: the port to listen on; 0 for 8765. A port taken by another program is replaced
            by a free one (compare the URL's port).
        token: the token requests must carry; None for a random one, "" for none at all.

    Raises:
        UsageError: ``logdir`` is not a directory, or the address cannot be listened on.
    """
    if not os.path.isdir(logdir):
        raise UsageError(f"no such directory: {logdir} (mlxp ui serves a parent log directory,"
                         " such as ./logs)")
    chosen = secrets.token_urlsafe(18) if token is None else token
    server = _bind(host, port, Site(logdir, chosen, static_dir, verbose))
    server.site.api.table.warm()  # the page asks for the runs table first
    return server, _url(server, chosen)


def serve(logdir: str, port: int = 0, host: str = "127.0.0.1", token: Optional[str] = None,
          open_browser: bool = False, ready: Optional[Callable[[str], None]] = None, *,
          verbose: bool = False) -> None:
    """Serve ``logdir`` until interrupted (Ctrl-C raises ``KeyboardInterrupt`` out of here).

    Args:
        ready: called once with the URL (carrying the token) when the server listens.
        open_browser: also open that URL in a web browser.
        verbose: log every request on stderr (tokens blanked out).

    Raises:
        UsageError: as ``make_server``.
    """
    server, url = make_server(logdir, port, host, token, verbose=verbose)
    with server:
        if ready is not None:
            ready(url)
        if open_browser:
            threading.Thread(target=_open_browser, args=(url,), daemon=True).start()
        server.serve_forever()


def _open_browser(url: str) -> None:
    import webbrowser

    if not webbrowser.open(url):
        print("mlxp ui: could not start a web browser; open the URL above yourself",
              file=sys.stderr)


def start_in_thread(logdir: str, port: int = 0, host: str = "127.0.0.1",
                    token: Optional[str] = None, **options: Any) -> Tuple[str, Callable[[], None]]:
    """Serve ``logdir`` from a background thread: ``(url, stop)``; ``stop()`` ends it.

    For tests and notebooks; ``options`` are ``make_server``'s keyword arguments.
    """
    server, url = make_server(logdir, port, host, token, **options)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="mlxp-ui",
                              daemon=True)  # a short poll: stop() returns within 50 ms
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return url, stop
