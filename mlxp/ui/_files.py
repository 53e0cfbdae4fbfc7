"""The files of a run as ``mlxp ui`` may serve them: inside the log directory, regular, bounded.

A request names files with text from the network, so every path is checked after symbolic
links are resolved: ``..``, absolute paths and links that lead out of the allowed directory
are refused. Files are opened without blocking and checked on the open descriptor, so a FIFO
left in place of a file cannot hang a request, and nothing is read past a size limit.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO, List, NamedTuple, Optional, Tuple

from mlxp.reader._files import NotRegularFileError
from mlxp.ui._http import RouteError

MAX_ARTIFACTS_LISTED = 2000
"""A run page lists at most this many artifact files (a run that saved one per step ...)."""

_IMAGE_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".bmp": "image/bmp", ".svg": "image/svg+xml",
}
_TEXT_SUFFIXES = {
    ".txt", ".log", ".csv", ".tsv", ".md", ".rst", ".py", ".sh", ".cfg", ".ini", ".toml",
    ".html", ".htm", ".xml", ".out", ".err", ".tex",
}
_YAML_SUFFIXES = {".yaml", ".yml"}


class Artifact(NamedTuple):
    """One file under a run's ``artifacts/``, as the run page lists it."""

    name: str
    kind: str
    size: int


def artifact_kind(name: str) -> str:
    """``image``, ``text``, ``json``, ``yaml`` or ``other``, from the file name's suffix."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix in _IMAGE_TYPES:
        return "image"
    if suffix == ".json":
        return "json"
    if suffix in _YAML_SUFFIXES:
        return "yaml"
    return "text" if suffix in _TEXT_SUFFIXES else "other"


def artifact_content_type(name: str) -> str:
    """The content type to serve an artifact with: never one a browser runs (HTML is text)."""
    kind = artifact_kind(name)
    if kind == "image":
        return _IMAGE_TYPES[os.path.splitext(name)[1].lower()]
    if kind == "json":
        return "application/json"
    if kind in ("text", "yaml"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def resolve_inside(root: str, relative: str) -> str:
    """The real path of ``root/relative``, which must stay strictly inside ``root``.

    Raises:
        RouteError: 404 for an absolute path, an empty, ``.``, ``..`` or hidden component, a
            backslash or NUL, or a path that leaves ``root`` once symbolic links are resolved.
    """
    parts = relative.split("/")
    if (
        not relative or relative.startswith("/") or "\\" in relative or "\0" in relative
        or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
    ):
        raise RouteError(404, f"no such file: {relative!r}")
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, *parts))
    if os.path.dirname(target) != real_root and not target.startswith(real_root + os.sep):
        raise RouteError(404, f"no such file: {relative!r}")
    return target


class LeavesDirectoryError(OSError):
    """A symbolic link leads out of the directory a file must be in."""


def open_regular(path: str, within: Optional[str] = None) -> Tuple[BinaryIO, os.stat_result]:
    """``path`` opened for reading, and its status; only a regular file is opened, and with
    ``within``, only one that stays inside that directory once links are resolved.

    Raises:
        FileNotFoundError: there is no such file.
        LeavesDirectoryError: a link leads out of ``within``.
        NotRegularFileError: a FIFO, a directory, a device or a socket.
        OSError: it cannot be opened.
    """
    if within is not None:
        root = os.path.realpath(within)
        if not os.path.realpath(path).startswith(root + os.sep):
            raise LeavesDirectoryError(errno.EACCES, "a link leading out of the run directory",
                                       path)
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFileError(errno.EINVAL, "not a regular file", path)
        return os.fdopen(descriptor, "rb"), status
    except BaseException:
        os.close(descriptor)
        raise


def read_text(path: str, max_bytes: int, from_end: bool = True,
              within: Optional[str] = None) -> Tuple[str, Optional[str]]:
    """At most ``max_bytes`` of a text file (its end, or its start), decoded with replacement,
    and what went wrong. A missing file is empty text and no problem (a run without streams).
    ``within``: as for ``open_regular``.
    """
    try:
        stream, status = open_regular(path, within)
    except FileNotFoundError:
        return "", None
    except OSError as error:
        return "", f"{os.path.basename(path)}: {error.strerror or error}"
    with stream:
        start = max(0, status.st_size - max_bytes) if from_end else 0
        stream.seek(start)
        data = stream.read(max_bytes)
    if start and b"\n" in data:  # drop the first, cut line (and any cut UTF-8 sequence)
        data = data[data.find(b"\n") + 1:]
    return data.decode("utf-8", errors="replace"), None


def list_artifacts(artifacts_dir: str) -> Tuple[List[Artifact], bool]:
    """The files under ``artifacts_dir`` (not the hidden ``.keys``), sorted; and whether the
    list was cut at ``MAX_ARTIFACTS_LISTED``. Links leading out of the directory are left out."""
    found: List[Artifact] = []
    real_root = os.path.realpath(artifacts_dir)
    for directory, subdirs, files in os.walk(artifacts_dir):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        relative_dir = os.path.relpath(directory, artifacts_dir)
        for file_name in sorted(files):
            if file_name.startswith("."):
                continue
            name = file_name if relative_dir == "." else f"{relative_dir}/{file_name}".replace(
                os.sep, "/")
            try:
                resolve_inside(real_root, name)
                size = os.stat(os.path.join(directory, file_name)).st_size
            except (RouteError, OSError):
                continue
            found.append(Artifact(name, artifact_kind(name), size))
            if len(found) >= MAX_ARTIFACTS_LISTED:
                return found, True
    return found, False
