"""``Reader``: query the runs under a parent log directory.

    reader = Reader("./logs")
    results = reader.filter("config.optimizer.lr <= 1. & info.status == 'COMPLETE'")
    results[0]["train.loss"]      # read from metrics/train.json on first access

The index of the runs is kept in ``<dst_dir>/.mlxp_index.json`` and updated incrementally
(see ``mlxp.reader.index``). Damaged runs are read as far as they can be: the ones that cannot
be read at all are skipped, and every damaged run is named once per Reader, in a warning and in
``Reader.problems``.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

from mlxp.errors import ReaderError
from mlxp.reader.frame import DataDict, DataFrame
from mlxp.reader._fields import FieldTable
from mlxp.reader._run_dir import ARTIFACT_FILE, RunData
from mlxp.reader.index import update_index
from mlxp.reader.query import SEARCHABLE_PREFIXES, compile_query

RESULT_FORMATS = ("datadict", "pandas")


class Reader:
    """The runs under ``src_dir``, indexed once and then kept up to date incrementally.

    Args:
        src_dir: the parent log directory, holding ``<log_id>/`` run directories.
        dst_dir: where to keep the index file (default: ``src_dir``). If it cannot be written,
            the Reader still works and warns that the index was not saved.
        parser: None for mlxp's query language, or (MLXP 1.0.5's argument) an object whose
            ``parse(query_string)`` returns a predicate over a run's flat ``config.*``/``info.*``
            fields; the TinyDB queries of MLXP's parsers are such predicates.
        refresh: ignore the saved index and read every run again (MLXP's default was True;
            the index is kept up to date either way).
        trust_stored_code: let artifacts of user types that the run stored as code (see
            ``mlxp.register_artifact_type``) run that code when loaded. Off by default: stored
            code is a program, so only turn it on for runs you trust.

    Raises:
        ReaderError: ``src_dir`` is not a directory, or cannot be listed.
    """

    def __init__(
        self,
        src_dir: str,
        dst_dir: Optional[str] = None,
        parser: Any = None,
        refresh: bool = False,
        *,
        trust_stored_code: bool = False,
    ) -> None:
        if parser is not None and not callable(getattr(parser, "parse", None)):
            raise ReaderError(
                f"parser must have a parse(query_string) method, not {type(parser).__name__};"
                " pass None for mlxp's query language"
            )
        self.parser = parser
        self.trust_stored_code = trust_stored_code
        self.src_dir = os.path.abspath(src_dir)
        self.dst_dir = os.path.abspath(dst_dir) if dst_dir is not None else self.src_dir
        if not os.path.isdir(self.src_dir):
            raise ReaderError(
                f"no such directory: {self.src_dir}\n  a Reader reads the parent directory of"
                " the run directories, such as ./logs",
                path=self.src_dir,
            )
        update = update_index(self.src_dir, self.dst_dir, refresh=refresh)
        self._runs: List[Tuple[int, RunData]] = [
            (run.log_id, run.data) for run in update.runs if run.data is not None
        ]
        skipped: Dict[str, str] = dict(update.not_runs)
        read_in_part: Dict[str, str] = {}
        for run in update.runs:
            if run.error is not None:
                damaged = skipped if run.data is None else read_in_part
                damaged[os.path.join(self.src_dir, str(run.log_id))] = run.error
        self.skipped: Dict[str, str] = dict(sorted(skipped.items(), key=_by_log_id))
        """Run directories (or entries named like one) that could not be read -> why."""
        self.problems: Dict[str, str] = {**self.skipped, **read_in_part}
        """Everything this Reader could not read -> why: the skipped run directories, the runs
        read in part (a key file is damaged) and, once their columns are asked for, the metrics
        files that cannot be read."""
        self._fields: Optional[FieldTable] = None
        self._field_names: Optional[FrozenSet[str]] = None
        if self.problems:
            warnings.warn(_describe_damage(self.skipped, read_in_part), stacklevel=2)
        if update.save_error:
            warnings.warn(
                f"{update.save_error}; the next Reader will read every run again", stacklevel=2
            )

    def __len__(self) -> int:
        """The number of readable runs."""
        return len(self._runs)

    def __repr__(self) -> str:
        return f"Reader({self.src_dir!r}: {len(self)} runs)"

    @property
    def fields(self) -> FieldTable:
        """Every column of every run -> its type name(s) (``'float'``, ``'metric'`` ...), sorted.

        A dict that is also MLXP's table: ``.empty``, ``.index``, ``toPandas()``, printing.
        """
        if self._fields is None:
            types: Dict[str, Set[str]] = {}
            lazy_sets: Dict[int, Dict[str, Any]] = {}
            for _, data in self._runs:
                for name, value in data.fields.items():
                    types.setdefault(name, set()).add(
                        "None" if value is None else type(value).__name__
                    )
                lazy_sets.setdefault(id(data.lazy), data.lazy)
            for lazy in lazy_sets.values():
                for name, spec in lazy.items():
                    if spec[0] != ARTIFACT_FILE:  # a lookup, not a column
                        types.setdefault(name, set()).add(spec[0])
            self._fields = FieldTable(
                (name, " | ".join(sorted(types[name]))) for name in sorted(types)
            )
        return FieldTable(self._fields)

    def _known_fields(self) -> Optional[FrozenSet[str]]:
        """The ``config.*``/``info.*`` names of every run; None without runs (nothing to check
        a query against)."""
        if self._field_names is None:
            names: Set[str] = set()
            for _, data in self._runs:
                names.update(data.fields)
            self._field_names = frozenset(names)
        return self._field_names or None

    @property
    def searchable(self) -> FieldTable:
        """The fields a query can use (``config.*`` and ``info.*``) -> their type name(s)."""
        return FieldTable(
            (k, v) for k, v in self.fields.items() if k.startswith(SEARCHABLE_PREFIXES)
        )

    def filter(
        self,
        query_string: str = "",
        result_format: str = "datadict",
        *,
        query: Optional[str] = None,
    ) -> Any:
        """The runs matching a query, ordered by log id.

        Args:
            query_string: e.g. ``"config.optimizer.lr <= 1. & info.status == 'COMPLETE'"``;
                empty for every run. ``query=`` is accepted as another name for it.
            result_format: ``"datadict"`` for a ``DataFrame`` whose metric columns load
                lazily, ``"pandas"`` for a pandas DataFrame with every column loaded.

        Raises:
            QueryError: the query is malformed (``.column`` says where).
            ReaderError: an unknown ``result_format``.
            MissingDependencyError: ``"pandas"`` without pandas installed.
        """
        if result_format not in RESULT_FORMATS:
            raise ReaderError(
                f"result_format must be 'datadict' or 'pandas', not {result_format!r}"
            )
        text = query if query is not None else query_string
        predicate = self._predicate(text)
        rows = []
        for log_id, data in self._runs:
            if predicate(data.fields):
                log_dir = os.path.join(self.src_dir, str(log_id))
                rows.append(DataDict(data.fields, data.lazy, log_dir, self.problems,
                                     self.trust_stored_code))
        frame = DataFrame(rows)
        return frame.toPandas(lazy=False) if result_format == "pandas" else frame


    def _predicate(self, text: str) -> Any:
        if self.parser is None or not text.strip():
            return compile_query(text, self._known_fields() if text.strip() else None)
        return self.parser.parse(text)


def _by_log_id(item: Tuple[str, str]) -> Tuple[int, str]:
    return int(os.path.basename(item[0])), item[0]


def _describe_damage(skipped: Dict[str, str], read_in_part: Dict[str, str]) -> str:
    """One warning for every damaged run directory of a Reader."""
    parts = []
    for runs, what in ((skipped, "skipped {} that could not be read"),
                       (read_in_part, "read {} in part")):
        if runs:
            noun = "run directory" if len(runs) == 1 else "run directories"
            listing = "".join(f"\n  {path}: {reason}" for path, reason in runs.items())
            parts.append(what.format(f"{len(runs)} {noun}") + ":" + listing)
    return "\n".join(parts)
