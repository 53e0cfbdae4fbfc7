"""Write run directories as plain files, the way the launcher and logger lay them out.

Tests of the Reader use these instead of the launcher, so that they pin down the file format
and not the writer. ``legacy=True`` writes MLXP 1.0.5's variant (one key file per log name,
no ``metadata/mlxp.yaml``).
"""

from __future__ import annotations

import json
import os
import pickle
import time
from typing import Any, Dict, List, Optional

from mlxp._yaml import dump_yaml

SETTLED_AGE = 60.0
"""Seconds to backdate written files by, so the index trusts their signatures at once."""


def default_info(parent: str, log_id: int, status: str = "COMPLETE") -> Dict[str, Any]:
    """An ``info.yaml`` like the launcher's, for run ``log_id`` under ``parent``."""
    log_dir = os.path.join(os.path.abspath(parent), str(log_id))
    return {
        "status": status,
        "current_file_path": "/home/user/project/main.py",
        "executable": "/usr/bin/python3",
        "hostname": "host",
        "process_id": 1000 + log_id,
        "start_date": "01/02/2024",
        "start_time": "10:00:00",
        "end_date": "01/02/2024",
        "end_time": "10:05:00",
        "work_dir": "/home/user/project",
        "logger": {
            "log_id": log_id,
            "log_dir": log_dir,
            "metrics_dir": os.path.join(log_dir, "metrics"),
            "metadata_dir": os.path.join(log_dir, "metadata"),
            "artifacts_dir": os.path.join(log_dir, "artifacts"),
        },
        "scheduler": None,
        "version_manager": None,
    }


def write_file(path: str, content: str, settled: bool = True) -> None:
    """Write ``content``; ``settled`` backdates the file as if written a minute ago."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(content)
    if settled:
        backdate(path)


def backdate(path: str, age: float = SETTLED_AGE) -> None:
    """Set ``path``'s mtime ``age`` seconds in the past."""
    past = time.time() - age
    os.utime(path, (past, past))


def metrics_lines(rows: List[Dict[str, Any]]) -> str:
    """JSON Lines text for ``rows``, as ``log_metrics`` writes it."""
    return "".join(json.dumps(row) + "\n" for row in rows)


def make_run(
    parent: str,
    log_id: int,
    config: Optional[Dict[str, Any]] = None,
    info: Optional[Dict[str, Any]] = None,
    metrics: Optional[Dict[str, List[Dict[str, Any]]]] = None,
    artifacts: Optional[Dict[str, Dict[str, Any]]] = None,
    legacy: bool = False,
) -> str:
    """Create ``<parent>/<log_id>/`` and return its path.

    Args:
        config: ``metadata/config.yaml``; None writes no config file.
        info: fields merged over ``default_info``.
        metrics: ``{log_name: [row, ...]}`` -> ``metrics/<log_name>.json`` and the key files.
        artifacts: ``{artifact_type: {name: object}}``, written with pickle (``json`` type:
            with json) under ``artifacts/<type>/<name>``.
        legacy: write MLXP 1.0.5's key files instead of ours.
    """
    run_dir = os.path.join(parent, str(log_id))
    metadata = os.path.join(run_dir, "metadata")
    os.makedirs(metadata, exist_ok=True)
    if config is not None:
        write_file(os.path.join(metadata, "config.yaml"), dump_yaml(config))
    full_info = {**default_info(parent, log_id), **(info or {})}
    write_file(os.path.join(metadata, "info.yaml"), dump_yaml(full_info))
    keys: Dict[str, List[str]] = {}
    for log_name, rows in (metrics or {}).items():
        write_file(os.path.join(run_dir, "metrics", f"{log_name}.json"), metrics_lines(rows))
        keys[log_name] = sorted({key for row in rows for key in row})
    keys_dir = os.path.join(run_dir, "metrics", ".keys")
    if keys and legacy:
        for log_name, names in keys.items():
            write_file(os.path.join(keys_dir, f"{log_name}.yaml"), dump_yaml({k: "" for k in names}))
    elif keys:
        write_file(os.path.join(keys_dir, "metrics.yaml"), dump_yaml(keys))
    recorded: Dict[str, Any] = {}
    for artifact_type, objects in (artifacts or {}).items():
        for name, obj in objects.items():
            path = os.path.join(run_dir, "artifacts", artifact_type, *name.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if artifact_type == "json":
                write_file(path, json.dumps(obj))
            else:
                with open(path, "wb") as stream:
                    pickle.dump(obj, stream)
        if legacy:
            by_dir: Dict[str, Dict[str, str]] = {}
            for name in objects:
                directory, _, base = name.rpartition("/")
                key = "." + directory.replace("/", ".") if directory else ""
                by_dir.setdefault(key, {})[base] = ""
            recorded[artifact_type] = by_dir
        else:
            recorded[artifact_type] = sorted(objects)
    if recorded:
        write_file(os.path.join(run_dir, "artifacts", ".keys", "artifacts.yaml"), dump_yaml(recorded))
    return run_dir


def records_line_by_line(text: str) -> List[Dict[str, Any]]:
    """The records of a metrics file's text, read the plainest way (one ``json.loads`` per line,
    what is not a JSON object skipped): the reference the fast readers are checked against."""
    records = []
    for line in text.split("\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if type(record) is dict:
            records.append(record)
    return records

