"""What a route of ``mlxp ui`` hands back to the server: a status, headers and a bounded body.

Routes build ``Answer``s and never touch the socket, so that they are tested as functions and
the server alone decides how bytes are sent (HEAD, lengths, the security headers).
"""

from __future__ import annotations

from typing import Any, BinaryIO, Dict, NamedTuple, Optional

from mlxp.results.strictjson import strict_json

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"


class Answer(NamedTuple):
    """One HTTP answer. ``stream`` (with ``length`` bytes to send) replaces ``body`` for files."""

    status: int
    content_type: str
    body: bytes = b""
    headers: Dict[str, str] = {}
    stream: Optional[BinaryIO] = None
    length: int = 0


class RouteError(Exception):
    """A request a route refuses: answered as ``{"error": {"message", "column"}}``."""

    def __init__(self, status: int, message: str, column: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.column = column


def json_answer(payload: Any, status: int = 200) -> Answer:
    """``payload`` as strict JSON (non-finite floats become null, unknown types their text)."""
    return Answer(status, JSON_TYPE, strict_json(payload).encode("utf-8"),
                  {"Cache-Control": "no-store"})


def error_answer(error: RouteError) -> Answer:
    """The JSON error of the contract: a message, and a column for a query's parse error."""
    return json_answer({"error": {"message": error.message, "column": error.column}},
                       error.status)


def text_answer(status: int, text: str) -> Answer:
    """A short plain-text page (the 403 and 405 pages)."""
    return Answer(status, TEXT_TYPE, text.encode("utf-8"), {"Cache-Control": "no-store"})
