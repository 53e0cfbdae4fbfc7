"""Temporary files an interrupted atomic write left behind (``_layout.replacing``).

A process killed while writing a checkpoint leaves ``.<name>.<pid>.<hex>.tmp`` next to it,
as large as the checkpoint. Only files of exactly that shape whose writer is no longer alive
on this host are removed: a live writer's file, or anything else, is never touched.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional

# _layout.replacing names its temporary file f".{name}.{pid}.{4 random bytes in hex}.tmp"
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp")


def remove_stale_temp_files(directory: str, name: Optional[str] = None) -> List[str]:
    """Remove the leftovers of dead writers under ``directory`` (of ``name`` only if given).

    Returns the paths removed.
    """
    removed = []
    for root, _dirs, files in os.walk(directory):
        for file_name in files:
            match = _TEMP_NAME.fullmatch(file_name)
            if match is None or (name is not None and match["name"] != name):
                continue
            if _alive(int(match["pid"])):
                continue
            path = os.path.join(root, file_name)
            try:
                os.unlink(path)
            except FileNotFoundError:  # another cleaner was first
                continue
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid <= 1 or pid == os.getpid():  # 0 would ask about a whole process group: keep
        return True
    try:
        os.kill(pid, 0)  # signal 0 sends nothing: it only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except OverflowError:  # not a pid this system can have
        return False
    return True
