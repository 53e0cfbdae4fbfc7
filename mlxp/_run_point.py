"""A sweep's composed points: what each run gets (config, settings, the user's classes), and
the sweep's points composed one at a time as they are used.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence as SequenceABC
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union, overload

from mlxp.config import ConfigDict, config_text
from mlxp.overrides import Override
from mlxp.sweep import Point, Sweep

__all__ = ["RunPoint", "SweepPoints"]


class RunPoint:
    """One fully composed run: its overrides, config (resolved, and as written) and settings.

    ``logger_class`` and ``version_manager_class`` are the user's classes named by
    ``mlxp.logger.name`` / ``mlxp.version_manager.name``, or None for mlxp's own.
    """

    def __init__(self, point: Tuple[Override, ...], config: ConfigDict, settings: ConfigDict,
                 source: Optional[str] = None, unresolved: Optional[ConfigDict] = None,
                 logger_class: Optional[type] = None,
                 version_manager_class: Optional[type] = None,
                 choices: Optional[Dict[str, Optional[str]]] = None) -> None:
        self.point = point
        self.config = config
        self.settings = settings
        self.source = source  # the config file it was composed from
        self.unresolved = config if unresolved is None else unresolved
        self.logger_class = logger_class
        self.version_manager_class = version_manager_class
        self.choices = choices or {}  # each config group's option: recorded as info.choices

    def config_text(self) -> str:
        """``metadata/config.yaml``: the resolved config, with the source file's comments."""
        return config_text(self.config, self.source)

    @property
    def overrides(self) -> List[str]:
        """The point's overrides as the user wrote them."""
        return [override.text for override in self.point]


class SweepPoints(SequenceABC[RunPoint]):
    """The sweep's points, each composed when it is used (its config, its settings, checked).

    Nothing holds every composed config: a dry run prints each point as soon as it is
    composed, and a run composes each point again when it starts.
    """

    def __init__(self, sweep: Sweep, compose: Callable[[Point], RunPoint]) -> None:
        self.sweep = sweep
        self.compose = compose
        self.first = compose(sweep[0])

    def __len__(self) -> int:
        return len(self.sweep)

    def __iter__(self) -> Iterator[RunPoint]:
        return map(self.compose, self.sweep)

    @overload
    def __getitem__(self, index: int) -> RunPoint: ...

    @overload
    def __getitem__(self, index: slice) -> List[RunPoint]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[RunPoint, List[RunPoint]]:
        if isinstance(index, slice):
            return [self.compose(point) for point in self.sweep[index]]
        return self.compose(self.sweep[index])

    def check_all(self) -> None:
        """Compose every point once, so that a bad one fails before anything runs (the first
        was composed, and checked, already: a single run composes it only once more, to run)."""
        for point in itertools.islice(self.sweep, 1, None):
            self.compose(point)
