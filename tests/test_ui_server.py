"""``mlxp ui``'s server: token and cookie, GET only, bounded heads, nothing served outside LOGDIR."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import urllib.parse
from typing import Iterator

import pytest

from mlxp.errors import UsageError
from mlxp.ui.server import MAX_REQUEST_HEAD, make_server
from tests.reader.runs import make_run
from tests.ui_helpers import PAGE, Served, request, serve


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    logdir = tmp_path / "logs"
    make_run(str(logdir), 1, config={"lr": 0.1},
             metrics={"train": [{"loss": 1.0}]},
             artifacts={"json": {"a.json": {"x": 1}}})
    (logdir / "1" / "artifacts" / "notes.txt").write_text("inside\n")
    (tmp_path / "secret.txt").write_text("SECRET-CONTENT\n")
    yield from serve(str(logdir), str(tmp_path / "static"))


@pytest.fixture
def open_served(tmp_path) -> Iterator[Served]:
    logdir = tmp_path / "logs"
    make_run(str(logdir), 1, config={"lr": 0.1})
    yield from serve(str(logdir), str(tmp_path / "static"), token="")


# -- the token ---------------------------------------------------------------------------------

def test_the_printed_url_carries_a_random_token(tmp_path) -> None:
    first, _ = make_server(str(tmp_path))
    second, _ = make_server(str(tmp_path))
    with first, second:
        tokens = [s.site.token for s in (first, second)]
    assert all(len(t) >= 20 for t in tokens) and tokens[0] != tokens[1]


@pytest.mark.parametrize("path", ["/", "/api/run/1", "/static/app.js",
                                  "/api/artifact/1/json/a.json", "/api/tail/1/train"])
@pytest.mark.parametrize("token", [None, "wrong", ""], ids=["missing", "wrong", "empty"])
def test_requests_without_the_token_are_refused(served: Served, path: str, token) -> None:
    reply = served.get(path, token=token)
    assert reply.status == 403
    assert b"URL that `mlxp ui` printed" in reply.body
    assert b"inside" not in reply.body and b"lr" not in reply.body


def test_the_page_sets_the_token_cookie_which_then_suffices(served: Served) -> None:
    reply = served.get("/")
    assert reply.status == 200 and reply.body == PAGE.encode()
    cookies = reply.headers.get_all("Set-Cookie")
    assert f"mlxp_token={served.token}; HttpOnly; SameSite=Strict; Path=/" in cookies
    by_cookie = served.get("/api/run/1", token=None,
                           headers={"Cookie": f"mlxp_token={served.token}"})
    assert by_cookie.status == 200 and by_cookie.json()["id"] == "1"


def test_a_cookie_named_after_the_port_also_works(served: Served) -> None:
    # Browsers share cookies across ports: a second server's page would replace mlxp_token.
    reply = served.get("/api/run/1", token=None,
                       headers={"Cookie": f"mlxp_token=other; mlxp_token_{served.port}="
                                          f"{served.token}"})
    assert reply.status == 200


@pytest.mark.parametrize("cookie", ["mlxp_token=wrong", "mlxp_token_1=x", 'mlxp_token="\\',
                                    "garbage;;;=="])
def test_a_wrong_or_garbled_cookie_is_refused(served: Served, cookie: str) -> None:
    assert served.get("/api/run/1", token=None, headers={"Cookie": cookie}).status == 403


def test_no_token_serves_everyone(open_served: Served) -> None:
    assert open_served.url.endswith(f":{open_served.port}/")
    assert open_served.get("/api/run/1", token=None).status == 200
    assert "Set-Cookie" not in open_served.get("/", token=None).headers


def test_a_foreign_host_name_is_refused(open_served: Served) -> None:
    # DNS rebinding: a web page whose name resolves to 127.0.0.1 must not read the runs.
    reply = open_served.get("/api/run/1", token=None, headers={"Host": "evil.example:80"})
    assert reply.status == 403
    assert open_served.get("/api/run/1", token=None,
                           headers={"Host": f"localhost:{open_served.port}"}).status == 200


# -- methods and sizes --------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_only_get_and_head_are_answered(served: Served, method: str) -> None:
    reply = served.get("/api/run/1", method=method)
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, HEAD"


def test_head_answers_the_headers_of_get_without_a_body(served: Served) -> None:
    got = served.get("/api/run/1")
    head = served.get("/api/run/1", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(got.body))


def _raw(served: Served, data: bytes) -> bytes:
    with socket.create_connection((served.host, served.port), timeout=30) as connection:
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def test_a_too_long_request_line_is_refused(served: Served) -> None:
    path = "/api/run/1?token=" + served.token + "&x=" + "a" * MAX_REQUEST_HEAD
    answer = _raw(served, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 414 ")


def test_too_many_header_bytes_are_refused(served: Served) -> None:
    path = "/api/run/1?token=" + served.token
    headers = "".join(f"X-Filler-{i}: {'b' * 100}\r\n" for i in range(100))
    answer = _raw(served, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b'"lr"' not in answer


def test_answers_carry_the_protective_headers(served: Served) -> None:
    page = served.get("/")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for reply in (page, served.get("/api/run/1"), served.get("/api/run/9")):
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"  # the token stays here


# -- nothing outside LOGDIR ---------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    pytest.param("/api/artifact/1/../metadata/info.yaml", id="dot-dot"),
    pytest.param("/api/artifact/1/%2e%2e/%2e%2e/secret.txt", id="encoded-dot-dot"),
    pytest.param("/api/artifact/1/json/..%2F..%2F..%2Fsecret.txt", id="encoded-slash"),
    pytest.param("/api/artifact/1//etc/passwd", id="absolute"),
    pytest.param("/api/artifact/1/%2Fetc%2Fpasswd", id="encoded-absolute"),
    pytest.param("/api/artifact/1/.keys/artifacts.yaml", id="hidden"),
    pytest.param("/api/artifact/1/json\\..\\..\\secret.txt", id="backslash"),
    pytest.param("/api/artifact/1/link-out", id="symlink-file-out"),
    pytest.param("/api/artifact/1/dir-out/secret.txt", id="symlink-dir-out"),
    pytest.param("/api/artifact/1/link-meta", id="symlink-to-metadata"),
    pytest.param("/api/artifact/../1/artifacts/notes.txt", id="run-dot-dot"),
    pytest.param("/api/run/..", id="run-page-dot-dot"),
    pytest.param("/api/run/%2e%2e%2f..", id="run-page-encoded"),
    pytest.param("/api/tail/1/..%2F..%2F1%2Fmetadata%2Finfo", id="tail-escape"),
    pytest.param("/api/tail/1/.keys", id="tail-hidden"),
    pytest.param("/static/../api/run/1", id="static-dot-dot"),
    pytest.param("/static/server.py", id="static-not-listed"),
])
def test_nothing_outside_the_log_directory_is_served(served: Served, path: str) -> None:
    artifacts = os.path.join(served.logdir, "1", "artifacts")
    outside = os.path.join(os.path.dirname(served.logdir), "secret.txt")
    for name, target in (("link-out", outside), ("dir-out", os.path.dirname(outside)),
                         ("link-meta", os.path.join(served.logdir, "1", "metadata",
                                                    "info.yaml"))):
        if not os.path.lexists(os.path.join(artifacts, name)):
            os.symlink(target, os.path.join(artifacts, name))
    reply = served.get(path)
    assert reply.status == 404, reply.body
    assert b"SECRET-CONTENT" not in reply.body and b"status: COMPLETE" not in reply.body


def test_a_symlink_staying_inside_the_artifacts_is_served(served: Served) -> None:
    artifacts = os.path.join(served.logdir, "1", "artifacts")
    os.symlink(os.path.join(artifacts, "notes.txt"), os.path.join(artifacts, "same.txt"))
    reply = served.get("/api/artifact/1/same.txt")
    assert reply.status == 200 and reply.body == b"inside\n"


# -- starting ----------------------------------------------------------------------------------

def test_a_taken_port_is_replaced_by_a_free_one(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server, url = make_server(str(tmp_path), port=port)
        with server:
            assert server.port != port and url.startswith(f"http://127.0.0.1:{server.port}/")


def test_a_missing_log_directory_is_a_usage_error(tmp_path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        make_server(str(tmp_path / "nope"))


def test_an_address_that_cannot_be_listened_on_is_a_usage_error(tmp_path) -> None:
    with pytest.raises(UsageError, match="cannot listen on 192.0.2.1"):
        make_server(str(tmp_path), host="192.0.2.1")  # TEST-NET: never this machine's


# -- mlxp ui, as a user runs it --------------------------------------------------------------------

def _start_cli(logdir: str, *options: str) -> "subprocess.Popen[str]":
    return subprocess.Popen([sys.executable, "-m", "mlxp", "ui", logdir, *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _first_line(process: "subprocess.Popen[str]") -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 120)
    assert ready, "mlxp ui printed nothing"
    return process.stdout.readline()


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_mlxp_ui_prints_its_url_serves_and_stops_cleanly(tmp_path, signum, status) -> None:
    logdir = str(tmp_path / "logs")
    make_run(logdir, 1, config={"lr": 0.1})
    make_run(logdir, 2, config={"lr": 0.2})
    with socket.socket() as taken:  # the port asked for is busy: another one is used
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _start_cli(logdir, "--port", str(port))
        try:
            line = _first_line(process)
            assert line.startswith(f"mlxp ui: serving {logdir} at http://127.0.0.1:")
            url = line.split(" at ", 1)[1].strip()
            split = urllib.parse.urlsplit(url)
            token = urllib.parse.parse_qs(split.query)["token"][0]
            assert split.port != port and len(token) >= 20
            runs = request("127.0.0.1", split.port or 0, "GET", f"/api/runs?token={token}")
            assert [run["id"] for run in runs.json()["runs"]] == ["1", "2"]
            assert request("127.0.0.1", split.port or 0, "GET", "/api/runs").status == 403
            process.send_signal(signum)
            out, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == status
    assert out == "mlxp ui: stopped\n"
    assert err == f"mlxp ui: port {port} is taken; using {split.port}\n"  # no request logged


@pytest.mark.parametrize("options, message", [
    pytest.param(["missing"], "no such directory: missing", id="no-logdir"),
    pytest.param([".", "--port", "70000"], "--port must be between 0 and 65535", id="port"),
    pytest.param([".", "--port", "x"], "invalid int value", id="port-text"),
])
def test_mlxp_ui_usage_errors_are_one_line(tmp_path, options, message) -> None:
    done = subprocess.run([sys.executable, "-m", "mlxp", "ui", *options], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("mlxp: error: ") and message in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_failing_route_costs_one_answer_not_the_server(served: Served, monkeypatch,
                                                         capfd) -> None:
    from mlxp.ui.api import Api

    def broken(self, route, query):
        raise RuntimeError("a bug")

    with monkeypatch.context() as patch:
        patch.setattr(Api, "answer", broken)
        reply = served.get("/api/runs")
    assert reply.status == 500 and b"a bug" not in reply.body
    assert served.get("/api/run/1").status == 200
    assert capfd.readouterr().err == (
        "mlxp ui: error answering a request: RuntimeError('a bug')\n")


def test_a_path_that_is_not_utf8_is_404(served: Served) -> None:
    assert served.get("/api/run/%ff%fe").status == 404


def test_open_starts_the_browser_on_the_url(tmp_path) -> None:
    # $BROWSER is the browser webbrowser starts: here a script that hands the URL to a FIFO.
    opened = str(tmp_path / "opened")
    os.mkfifo(opened)
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" > {opened}\n')
    browser.chmod(0o755)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(opened).read()), daemon=True)
    reader.start()
    logdir = str(tmp_path / "logs")
    os.makedirs(logdir)
    process = subprocess.Popen([sys.executable, "-m", "mlxp", "ui", logdir, "--open"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "BROWSER": str(browser)})
    try:
        url = _first_line(process).split(" at ", 1)[1].strip()
        reader.join(timeout=120)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert received == [url + "\n"]


def test_run_files_linked_out_of_the_run_are_not_read(served: Served) -> None:
    run = os.path.join(served.logdir, "1")
    outside = os.path.join(os.path.dirname(served.logdir), "secret.txt")
    with open(outside, "w") as stream:
        stream.write('{"loss": 42}\nSECRET-CONTENT\n')
    os.symlink(outside, os.path.join(run, "log.stdout"))
    os.remove(os.path.join(run, "metrics", "train.json"))
    os.symlink(outside, os.path.join(run, "metrics", "train.json"))
    page = served.get("/api/run/1")
    assert page.status == 200 and b"SECRET-CONTENT" not in page.body
    assert "log.stdout: a link leading out of the run directory" in page.json()["problem"]
    tail = served.get("/api/tail/1/train")
    assert b"42" not in tail.body and "a link leading out" in tail.json()["problem"]
    series = served.get("/api/series?runs=1&log=train&y=loss").json()["series"][0]
    assert series["points"] == 0
