"""Job-scheduler backends: the script each one needs, and submitting or cancelling jobs.

The registry lives here: an explicit tuple of the built-in backends (slurm, oar, torque, sge,
mwm, lsf, local), plus those users add with :func:`register_scheduler`. A new backend
subclasses :class:`Scheduler`. docs/schedulers.md has a table per backend. Users import these
names from ``mlxp.schedulers``; the steps of :mod:`mlxp.cluster` and ``mlxp._run`` (requeue)
use them from here.
"""

from __future__ import annotations

import difflib
from typing import Dict, Iterable, List, Optional, Tuple, Type, Union

from mlxp.errors import JobScriptError, SchedulerError
from mlxp.cluster.schedulers._commands import (
    JobStates,
    cancel,
    current_job_id,
    query_states,
    request_requeue,
    submit,
)
from mlxp.cluster.schedulers._render import render_array_script, render_script
from mlxp.cluster.schedulers.base import JobSpec, Scheduler
from mlxp.cluster.schedulers.local import LocalScheduler
from mlxp.cluster.schedulers.lsf import LsfScheduler
from mlxp.cluster.schedulers.mwm import MwmScheduler
from mlxp.cluster.schedulers.oar import OarScheduler
from mlxp.cluster.schedulers.sge import SgeScheduler
from mlxp.cluster.schedulers.slurm import SlurmScheduler
from mlxp.cluster.schedulers.torque import TorqueScheduler

__all__ = [
    "BUILTINS",
    "JobSpec",
    "JobStates",
    "LocalScheduler",
    "LsfScheduler",
    "MwmScheduler",
    "OarScheduler",
    "Scheduler",
    "SgeScheduler",
    "SlurmScheduler",
    "TorqueScheduler",
    "available",
    "cancel",
    "current_job_id",
    "detect_scheduler",
    "get_scheduler",
    "query_states",
    "register_scheduler",
    "render_array_script",
    "render_script",
    "request_requeue",
    "submit",
]

BUILTINS: Tuple[Type[Scheduler], ...] = (
    SlurmScheduler,
    OarScheduler,
    TorqueScheduler,
    SgeScheduler,
    MwmScheduler,
    LsfScheduler,
    LocalScheduler,
)

_registry: Dict[str, Type[Scheduler]] = {cls.name: cls for cls in BUILTINS}


def register_scheduler(cls: Type[Scheduler]) -> Type[Scheduler]:
    """Make the backend ``cls`` available under ``cls.name``; usable as a class decorator.

    Raises:
        SchedulerError: ``cls`` is not a :class:`Scheduler` with a name, or its name or
            directive prefix is taken (detection must know which backend a line is for).
    """
    if not (isinstance(cls, type) and issubclass(cls, Scheduler)) or not cls.name:
        raise SchedulerError(
            f"register_scheduler() needs a Scheduler subclass with a name, got {cls!r}"
        )
    if cls.name in _registry:
        raise SchedulerError(
            f"a scheduler named {cls.name!r} is already registered"
            f" ({_registry[cls.name].__name__})",
            name=cls.name,
        )
    for other in _registry.values():
        if cls.directive is not None and cls.directive == other.directive:
            raise SchedulerError(
                f"scheduler {cls.name!r} uses the directive {cls.directive!r},"
                f" which {other.name!r} already uses",
                name=cls.name,
            )
    _registry[cls.name] = cls
    return cls


def available() -> List[str]:
    """The names of the registered schedulers, sorted."""
    return sorted(_registry)


def get_scheduler(name: str) -> Scheduler:
    """The scheduler registered as ``name``.

    Raises:
        SchedulerError: no scheduler has that name; the message lists those that exist.
    """
    try:
        return _registry[name]()
    except KeyError:
        close = difflib.get_close_matches(name, _registry, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SchedulerError(
            f"unknown scheduler {name!r}{hint}\n    available: {', '.join(available())}",
            name=name,
            choices=tuple(available()),
        ) from None


def detect_scheduler(
    script: Union[str, Iterable[str]], path: str = "<script>"
) -> Optional[Scheduler]:
    """The scheduler whose directives ``script`` uses, or None if it has none.

    Args:
        script: a job script's text, or its lines.
        path: the script's name, for messages.

    Raises:
        JobScriptError: directives of two schedulers are mixed; names both lines.
    """
    lines = script.splitlines() if isinstance(script, str) else script
    # Longest prefix first, so that a prefix that starts another can never shadow it.
    backends = sorted(
        (cls() for cls in _registry.values() if cls.directive),
        key=lambda backend: -len(backend.directive or ""),
    )
    found: Optional[Tuple[Scheduler, int, str]] = None
    for number, line in enumerate(lines, start=1):
        backend = next((b for b in backends if b.is_directive(line)), None)
        if backend is None:
            continue
        if found is None:
            found = (backend, number, line)
        elif found[0] != backend:
            first, first_number, first_line = found
            raise JobScriptError(
                f"{path}:{number}: {backend.directive} directive in a script for"
                f" {first.name} ({first.directive} at line {first_number}); use one scheduler"
                f"\n    line {first_number}: {first_line.strip()}"
                f"\n    line {number}: {line.strip()}",
                path=path,
                line=number,
                other_line=first_number,
            )
    return found[0] if found else None
