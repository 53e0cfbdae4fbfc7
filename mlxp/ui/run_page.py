"""One run as the run page shows it (``/api/run/<id>``) and its artifact files (``/api/artifact``).

Everything is read as data: YAML with the safe loader, streams and diffs as text cut to a size,
artifacts as bytes with a content type a browser never runs (stored code is never executed,
HTML is served as text). A damaged run still answers, with ``status: DAMAGED`` and the problem.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Tuple

from mlxp import _layout
from mlxp._yaml import load_yaml
from mlxp.errors import ConfigFileError
from mlxp.reader._files import read_regular_file
from mlxp.ui._files import (
    artifact_content_type,
    artifact_kind,
    list_artifacts,
    open_regular,
    read_text,
    resolve_inside,
)
from mlxp.ui._http import Answer, RouteError

DAMAGED = "DAMAGED"
MAX_STREAM_TAIL = 64 << 10
"""The run page shows the last 64 KiB of ``log.stdout`` and ``log.stderr``."""
MAX_DIFF = 1 << 20
MAX_ARTIFACT_BYTES = 256 << 20
"""Larger artifacts (checkpoints) are not served: the page names their path instead."""
ARTIFACT_POLICY = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""An artifact opened on its own (an SVG, say) runs no script and reaches nothing."""
_DIFF_FILE = "git_diff.patch"  # written by the version manager next to info.yaml

Masker = Callable[[Dict[str, Any], Dict[str, Any]], Dict[str, Any]]
"""(nested config, nested info) -> the config with its secrets masked."""


def _load_mapping(path: str, what: str, problems: List[str]) -> Optional[Dict[str, Any]]:
    """A YAML mapping file; None (with the problem noted) when it is missing or damaged."""
    try:
        loaded = load_yaml(read_regular_file(path).decode("utf-8"), path)
    except FileNotFoundError:
        problems.append(f"no {what}")
        return None
    except UnicodeDecodeError:
        problems.append(f"{what}: not UTF-8 text")
        return None
    except (OSError, ConfigFileError) as error:
        message = error.strerror if isinstance(error, OSError) else error.message
        problems.append(f"{what}: {message or error}")
        return None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        problems.append(f"{what} holds a {type(loaded).__name__}, not a mapping")
        return None
    return loaded


def _metric_logs(run_dir: str, problems: List[str]) -> Dict[str, List[str]]:
    """Metric log name -> keys, from the key files; a metrics file without keys has none."""
    from mlxp._metrics import recorded_metric_keys

    metrics_dir = os.path.join(run_dir, _layout.METRICS_DIR)
    try:
        logs = {name: sorted(keys) for name, keys in recorded_metric_keys(metrics_dir).items()}
    except (OSError, ConfigFileError, UnicodeDecodeError) as error:
        problems.append(f"metrics/.keys: {error}")
        logs = {}
    try:
        names = os.listdir(metrics_dir)
    except OSError:
        names = []
    for name in names:
        if name.endswith(_layout.METRIC_SUFFIX) and not name.startswith("."):
            logs.setdefault(name[: -len(_layout.METRIC_SUFFIX)], [])
    return dict(sorted(logs.items()))


def run_page(run_dir: str, log_id: str, status: str, mask: Masker) -> Dict[str, Any]:
    """The run page's data (see the contract in docs/looking-at-results.md).

    Args:
        status: the run's status as the runs table shows it (LOST is derived, not stored).
        mask: hides the config's secrets, knowing from ``info`` which values came from the
            environment.
    """
    problems: List[str] = []
    metadata = os.path.join(run_dir, _layout.METADATA_DIR)
    config_path = os.path.join(metadata, _layout.CONFIG_FILE)
    config = _load_mapping(config_path, "metadata/config.yaml", problems)
    if config is None and not os.path.lexists(config_path):
        problems.pop()  # a plain Logger's run has no config: not damage
        config = {}
    loaded_info = _load_mapping(os.path.join(metadata, _layout.INFO_FILE),
                                "metadata/info.yaml", problems)
    damaged = config is None or loaded_info is None  # the run's own record is unreadable
    info = loaded_info or {}
    version = info.get("version_manager")
    diff, diff_problem = read_text(os.path.join(metadata, _DIFF_FILE), MAX_DIFF, from_end=False,
                                   within=run_dir)
    streams = {}
    for field, file_name in (("stdout_tail", _layout.STDOUT_FILE),
                             ("stderr_tail", _layout.STDERR_FILE)):
        streams[field], stream_problem = read_text(os.path.join(run_dir, file_name),
                                                   MAX_STREAM_TAIL, within=run_dir)
        problems.extend(filter(None, [stream_problem]))
    problems.extend(filter(None, [diff_problem]))
    artifacts, cut = list_artifacts(os.path.join(run_dir, _layout.ARTIFACTS_DIR))
    quoted_id = urllib.parse.quote(log_id)
    overrides = info.get("overrides")
    page: Dict[str, Any] = {
        "id": log_id,
        "status": DAMAGED if damaged else status,
        "dir": _layout.display_path(run_dir),
        "config": mask(config or {}, info),
        "info": info,
        "command": info.get("cmd") if isinstance(info.get("cmd"), str) else None,
        "overrides": [str(o) for o in overrides] if isinstance(overrides, list) else [],
        "git": {
            "commit": version.get("commit_hash") if isinstance(version, dict) else None,
            "diff": diff or None,
        },
        "error": None if info.get("error") is None else str(info.get("error")),
        **streams,
        "artifacts": [
            {"name": a.name, "kind": a.kind, "size": a.size,
             "url": f"/api/artifact/{quoted_id}/{urllib.parse.quote(a.name)}"}
            for a in artifacts
        ],
        "artifacts_cut": cut,
        "logs": _metric_logs(run_dir, problems),
    }
    if problems:  # a damaged run says why; a lesser problem (a FIFO as log.stdout) too
        page["problem"] = "; ".join(problems)
    return page


def artifact_answer(run_dir: str, name: str) -> Answer:
    """The bytes of ``<run_dir>/artifacts/<name>``, streamed, typed so a browser runs nothing.

    Raises:
        RouteError: 404 outside the artifacts directory or not a regular file; 413 too large.
    """
    path = resolve_inside(os.path.join(run_dir, _layout.ARTIFACTS_DIR), name)
    try:
        stream, status = open_regular(path)
    except OSError as error:
        raise RouteError(404, f"cannot read artifact {name!r}: {error.strerror or error}"
                         ) from error
    if status.st_size > MAX_ARTIFACT_BYTES:
        stream.close()
        raise RouteError(413, f"artifact {name!r} is {status.st_size >> 20} MiB, more than"
                              f" mlxp ui serves ({MAX_ARTIFACT_BYTES >> 20} MiB); open"
                              f" {_layout.display_path(path)} directly")
    headers = {"Content-Security-Policy": ARTIFACT_POLICY, "Cache-Control": "no-cache"}
    if artifact_kind(name) == "other":
        file_name = urllib.parse.quote(os.path.basename(name))
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{file_name}"
    return Answer(200, artifact_content_type(name), headers=headers, stream=stream,
                  length=status.st_size)


def split_artifact_route(rest: str) -> Tuple[str, str]:
    """``"3/images/a.png"`` -> ``("3", "images/a.png")``."""
    log_id, _, name = rest.partition("/")
    if not name:
        raise RouteError(404, "an artifact URL is /api/artifact/<run id>/<name>")
    return log_id, name
