"""How many points of a local sweep run at once, and which devices each running point gets.

``mlxp.launcher.devices=0,1,2,3`` lists the devices (GPU indices or UUIDs, as
``CUDA_VISIBLE_DEVICES`` takes them); each running point gets ``devices_per_run`` of them, so
at most ``len(devices) // devices_per_run`` points run at once. ``jobs=auto`` means that
number, or the number of CPUs this process may use when no devices are listed.
"""

from __future__ import annotations

import os
import re
from typing import Any, List, Optional, Sequence

from mlxp.errors import SettingsError

AUTO = "auto"
_DEVICE = re.compile(r"[A-Za-z0-9_:.-]+")


def device_list(value: Any) -> List[str]:
    """The devices of ``mlxp.launcher.devices``: ``"0,1"``, ``[0, 1]`` or ``3``, as strings.

    Raises:
        SettingsError: an empty entry, a name ``CUDA_VISIBLE_DEVICES`` cannot hold, or a device
            listed twice.
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    devices: List[str] = []
    for item in items:
        for part in str(item).split(","):
            device = part.strip()
            if not _DEVICE.fullmatch(device):
                raise SettingsError(
                    f"mlxp.launcher.devices: {part!r} is not a device; list GPU indices or"
                    " UUIDs separated by commas, e.g. mlxp.launcher.devices=0,1,2,3",
                    key="launcher.devices")
            if device in devices:
                raise SettingsError(f"mlxp.launcher.devices lists device {device} twice",
                                    key="launcher.devices")
            devices.append(device)
    return devices


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def job_count(jobs: Any, devices: Sequence[str], devices_per_run: int) -> int:
    """How many points run at once for ``mlxp.launcher.jobs`` (a number or ``auto``).

    Raises:
        SettingsError: ``jobs`` is neither a positive number nor ``auto``, ``devices_per_run``
            is below 1, or the devices are too few for ``jobs`` runs at once.
    """
    if devices_per_run < 1:
        raise SettingsError(f"mlxp.launcher.devices_per_run must be 1 or more, not"
                            f" {devices_per_run}", key="launcher.devices_per_run")
    slots = len(devices) // devices_per_run
    if devices and not slots:
        raise SettingsError(
            f"mlxp.launcher.devices_per_run={devices_per_run} but mlxp.launcher.devices lists"
            f" {len(devices)}: list more devices or give each run fewer",
            key="launcher.devices_per_run")
    if isinstance(jobs, str) and jobs.strip().lower() == AUTO:
        return slots if devices else usable_cpus()
    number = int(jobs) if isinstance(jobs, str) and jobs.strip().isdigit() else jobs
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise SettingsError(f"mlxp.launcher.jobs must be a number of runs at once (1 or more)"
                            f" or auto, not {jobs!r}", key="launcher.jobs")
    if devices and number > slots:
        raise SettingsError(
            f"mlxp.launcher.jobs={number} runs {number} points at once, but"
            f" mlxp.launcher.devices has {len(devices)} device(s) for {devices_per_run} per run:"
            f" use jobs={slots} (or jobs=auto), or list more devices", key="launcher.jobs")
    return number


class DevicePool:
    """The device groups of the running points: ``take`` one when a point starts, ``give`` it
    back when it ends. Without devices every point gets None (``CUDA_VISIBLE_DEVICES`` left
    as it is)."""

    def __init__(self, devices: Sequence[str], devices_per_run: int) -> None:
        self._free: List[Optional[str]] = [
            ",".join(devices[i:i + devices_per_run])
            for i in range(0, len(devices) - devices_per_run + 1, devices_per_run)]
        self._used = bool(devices)

    def take(self) -> Optional[str]:
        """A free group (``"0,1"``), or None when no devices are listed."""
        return self._free.pop(0) if self._used else None

    def give(self, group: Optional[str]) -> None:
        """Put back a group a point no longer uses."""
        if self._used and group is not None:
            self._free.append(group)
