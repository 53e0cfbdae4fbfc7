"""Live metrics: the complete lines a metrics file gained since a byte offset, and nothing else.

The page polls with the offset, inode and ``tag`` of its last answer, so nothing already sent
is read again. A file that is now shorter than the offset, has another inode (set aside and
started over), or whose bytes before the offset changed (a resume cuts it back in place with
``os.truncate`` and then writes past the old offset again) is sent again from byte 0 with
``reset: true``. A partial last line (being written) is never sent: the offset stops before it.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, BinaryIO, Dict, List, Optional

from mlxp.ui._files import open_regular

MAX_RECORDS = 10_000
"""Records per answer; the page asks again from the new offset for the rest."""
MAX_READ = 8 << 20
"""Bytes read per answer."""
TAG_SPAN = 64
"""How many bytes before the offset the tag covers: the end of the last line sent."""
_SCAN_CHUNK = 1 << 20


def _tag(stream: BinaryIO, offset: int) -> str:
    """A short fingerprint of the bytes just before ``offset``."""
    start = max(0, offset - TAG_SPAN)
    data = os.pread(stream.fileno(), offset - start, start)
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _moved(stream: BinaryIO, status: os.stat_result, offset: int, ino: Optional[int],
           tag: Optional[str]) -> bool:
    """Whether what the page holds no longer is the start of this file."""
    if ino is not None and ino != status.st_ino:
        return True
    if offset > status.st_size:
        return True
    if offset == 0:
        return False
    if tag is not None:
        return _tag(stream, offset) != tag
    # Without a tag, the offset must at least end a line, as every offset we answer does.
    return os.pread(stream.fileno(), 1, offset - 1) != b"\n"


def _skip_long_line(stream: BinaryIO, start: int, size: int) -> Optional[int]:
    """The offset after the line starting at ``start`` (longer than ``MAX_READ``), or None
    while it is still being written."""
    position = start
    while position < size:
        chunk = os.pread(stream.fileno(), min(_SCAN_CHUNK, size - position), position)
        newline = chunk.find(b"\n")
        if newline != -1:
            return position + newline + 1
        position += len(chunk)
    return None


def read_tail(path: str, offset: int = 0, ino: Optional[int] = None,
              tag: Optional[str] = None, within: Optional[str] = None) -> Dict[str, Any]:
    """The records of ``path`` after byte ``offset``, as ``/api/tail`` answers them.

    Returns ``offset`` (where to ask next), ``ino``, ``tag`` (to send back), ``reset`` (the
    records start from byte 0 again), ``records`` and ``skipped`` (lines that are not a JSON
    object: damage, counted and left out). ``within``: as for ``_files.open_regular``.

    Raises:
        FileNotFoundError, NotRegularFileError, OSError: the file cannot be read.
    """
    stream, status = open_regular(path, within)
    with stream:
        reset = _moved(stream, status, offset, ino, tag)
        start = 0 if reset else offset
        size = status.st_size
        data = os.pread(stream.fileno(), min(MAX_READ, size - start), start)
        records: List[Any] = []
        skipped = 0
        position = start
        last_newline = data.rfind(b"\n")
        if last_newline == -1 and len(data) == MAX_READ:
            after = _skip_long_line(stream, start, size)
            if after is not None:
                position, skipped = after, 1
        for line in data[:last_newline].split(b"\n") if last_newline != -1 else ():
            if len(records) >= MAX_RECORDS:
                break
            position += len(line) + 1
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                records.append(record)
            else:
                skipped += 1
        return {"offset": position, "ino": status.st_ino, "tag": _tag(stream, position),
                "reset": reset, "records": records, "skipped": skipped}
