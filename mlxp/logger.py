"""Logger: one run directory, its metadata, metrics, artifacts and checkpoints.

Usable on its own in any script (``with mlxp.Logger() as logger: ...``) and created by the
launcher for each run. A metric line is written whole or not at all; metadata and artifact
files are replaced atomically, so a crash never leaves a torn file. See docs/logging.md.
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

from mlxp import _layout
from mlxp._process import Heartbeat, local_now, seconds_since
from mlxp._metrics import MetricsLog, recorded_metric_keys
from mlxp._run_files import (
    append_traceback,
    claim_run_dir,
    date_and_time,
    describe_exit,
    holds_run_data,
    initial_info,
    read_metadata,
    read_run_config,
    read_run_info,
    remove_unused,
    run_paths,
)
from mlxp._runlock import RunLock
from mlxp._signals import RunInterrupted, RunPreempted, deferred_signals, terminate_on_signals
from mlxp._streams import StreamTee
from mlxp._yaml import dump_yaml
from mlxp.artifacts import RunArtifacts, load_pickle_in, register_artifact_type
from mlxp.errors import LoggerError, RunDirectoryError, SettingsError

__all__ = [
    "DefaultLogger",
    "Logger",
    "RunInterrupted",
    "describe_exit",
    "read_metadata",
    "read_run_config",
    "read_run_info",
    "run_paths",
    "terminate_on_signals",
]

# Fields of a previous session that a resumed run keeps, whatever the new session says.
_KEPT_ON_RESUME = ("start_date", "start_time", "started_at", "overrides", "scheduler")
_CHECKPOINT_METRICS = "mlxp_metrics_bytes"  # in a checkpoint's trailer: {log_name: file size}


class Logger:
    """A run directory ``<parent_log_dir>/<log_id>/`` with metadata, metrics and artifacts.

    Args:
        parent_log_dir: where run directories go; created if missing.
        forced_log_id: ``>= 0`` uses that run directory; ``-1`` allocates the next free id.
        log_streams_to_file: also copy stdout/stderr to ``log.stdout``/``log.stderr``.
        info: extra fields for ``info.yaml`` (the launcher's provenance).
        resume: continue run ``forced_log_id``: status goes back to RUNNING, ``info.yaml``
            counts ``resumes``. Metrics are appended when the run has a checkpoint (see
            ``load_checkpoint``); without one they start over, the earlier attempt's lines
            moved to ``metrics/.attempt-<n>/``. Starts the run if it never ran.
        requeued: with ``resume``, the scheduler restarted the same job (pre-emption, time
            limit, ``scontrol requeue``): ``info.yaml`` counts ``requeues`` instead.
        heartbeat: touch ``metadata/heartbeat`` every this many seconds from a background
            thread, so that ``mlxp status`` on another machine can tell a run that died
            silently (``LOST``); 0 turns it off.

    Raises:
        RunDirectoryError: ``forced_log_id`` names a run holding metrics or artifacts and
            ``resume`` is false; or ``resume`` without ``forced_log_id``.
        RunLockedError: another live process has the run open (its host and pid are named).
        LoggerError: ``info.yaml`` cannot be written (a full disk); what the Logger had
            created is removed again.
        SettingsError: ``heartbeat`` is negative.
    """

    def __init__(
        self,
        parent_log_dir: str = "./logs",
        forced_log_id: int = -1,
        log_streams_to_file: bool = False,
        *,
        info: Optional[Dict[str, Any]] = None,
        resume: bool = False,
        requeued: bool = False,
        heartbeat: float = 60.0,
    ) -> None:
        if not heartbeat >= 0:
            raise SettingsError(
                f"the heartbeat interval must be 0 (none) or more seconds, not {heartbeat!r}:"
                " set mlxp.logger.heartbeat (Logger(..., heartbeat=60))",
                key="logger.heartbeat",
            )
        self._parent_log_dir = os.path.abspath(os.path.expanduser(parent_log_dir))
        recorded: Optional[Dict[str, Any]] = None
        made: List[str] = []  # the directories this Logger creates, removed if it cannot start
        if forced_log_id >= 0:
            self._log_id = forced_log_id
            self._log_dir = os.path.join(self._parent_log_dir, str(forced_log_id))
            made += [] if os.path.isdir(self._log_dir) else [self._log_dir]
            recorded = claim_run_dir(self._log_dir, forced_log_id, resume)
        elif resume:
            raise RunDirectoryError(
                "resume needs the id of the run to continue: set mlxp.logger.forced_log_id"
                " (Logger(..., forced_log_id=N, resume=True))",
                path=self._parent_log_dir,
            )
        else:
            self._log_id, self._log_dir = _layout.allocate_run_dir(self._parent_log_dir)
            made.append(self._log_dir)
        self._metadata_dir = os.path.join(self._log_dir, _layout.METADATA_DIR)
        self._metrics_dir = os.path.join(self._log_dir, _layout.METRICS_DIR)
        self._artifacts_dir = os.path.join(self._log_dir, _layout.ARTIFACTS_DIR)
        self.log_streams_to_file = log_streams_to_file
        self._run_lock = RunLock(self._log_dir)
        self._heartbeat: Optional[Heartbeat] = None
        self._tee: Optional[StreamTee] = None
        self._info_written = False  # from then on, the run is RUNNING on disk
        try:
            self._start(made, recorded, info, forced_log_id >= 0, resume, requeued, heartbeat)
        except RunInterrupted as interruption:  # a signal while the run was being set up
            if self._info_written:
                self.finish(interruption)  # FAILED, not left RUNNING
            else:
                self._run_lock.release()
                remove_unused(made)
            raise

    def _start(self, made: List[str], recorded: Optional[Dict[str, Any]],
               info: Optional[Dict[str, Any]], forced: bool, resume: bool, requeued: bool,
               heartbeat: float) -> None:
        """Make the run's directories, take its lock, write ``info.yaml``, start the
        heartbeat and the stream copies."""
        try:
            for directory in (self._metadata_dir, self._metrics_dir, self._artifacts_dir):
                made += [] if os.path.isdir(directory) else [directory]
                os.makedirs(directory, exist_ok=True)
            self._run_lock.acquire()
            known_keys = recorded_metric_keys(self._metrics_dir) if forced else None
            self._metrics = MetricsLog(self._metrics_dir, known_keys, self._run_lock.acquire)
            self._artifacts = RunArtifacts(self._artifacts_dir)
            self._info = initial_info(self._log_id, self._log_dir, heartbeat)
            kept = self._continue_info(recorded, resume, requeued) if recorded else ()
            self._info.update((k, v) for k, v in (info or {}).items() if k not in kept)
            if resume:
                self._metrics.end_partial_lines()
                self._artifacts.remove_stale_temp_files()
                if not self._artifacts.has_checkpoint():
                    self._start_metrics_over()
            self._write_info()
            self._info_written = True
        except RunDirectoryError:  # another process holds the run: nothing of ours to undo
            raise
        except OSError as exc:
            self._run_lock.release()
            remove_unused(made)
            path = os.path.join(self._metadata_dir, _layout.INFO_FILE)
            raise LoggerError(f"cannot start the run: writing {path} failed: {exc}",
                              path=path) from exc
        self._heartbeat = Heartbeat(self._log_dir, heartbeat) if heartbeat else None
        if self._heartbeat is not None:
            self._heartbeat.start()
        if self.log_streams_to_file:
            self._tee = StreamTee(
                os.path.join(self._log_dir, _layout.STDOUT_FILE),
                os.path.join(self._log_dir, _layout.STDERR_FILE),
            )

    # --- paths ---------------------------------------------------------------------------
    @property
    def log_id(self) -> int:
        """The run's id, the name of its directory."""
        return self._log_id

    @property
    def parent_log_dir(self) -> str:
        """The absolute directory that holds every run directory."""
        return self._parent_log_dir

    @property
    def log_dir(self) -> str:
        """The absolute path of the run directory."""
        return self._log_dir

    @property
    def metadata_dir(self) -> str:
        """``<log_dir>/metadata``: config.yaml, info.yaml, mlxp.yaml."""
        return self._metadata_dir

    @property
    def metrics_dir(self) -> str:
        """``<log_dir>/metrics``: one JSON Lines file per log name."""
        return self._metrics_dir

    @property
    def artifacts_dir(self) -> str:
        """``<log_dir>/artifacts``: one directory per artifact type."""
        return self._artifacts_dir

    # --- metadata ------------------------------------------------------------------------
    def _continue_info(self, recorded: Dict[str, Any], resume: bool, requeued: bool
                       ) -> Tuple[str, ...]:
        """Carry a previous session's fields over; returns those the caller must not replace.

        A resumed run keeps everything but this process's own fields, and counts ``resumes``
        (``requeues`` when the scheduler restarted the same job).
        A directory made by a submission (STARTING) or left empty keeps its ``scheduler``.
        """
        fresh = self._info
        ran_before = recorded.get("status") != _layout.STARTING or holds_run_data(self._log_dir)
        if resume and ran_before:
            kept = tuple(key for key in _KEPT_ON_RESUME if recorded.get(key))
            self._info = {**recorded, **{k: v for k, v in fresh.items() if k not in kept}}
            counter = "requeues" if requeued else "resumes"
            self._info[counter] = int(recorded.get(counter) or 0) + 1
            return kept
        if recorded.get("scheduler"):
            fresh["scheduler"] = recorded["scheduler"]
            return ("scheduler",)
        return ()

    def get_info(self) -> Dict[str, Any]:
        """A copy of what ``metadata/info.yaml`` holds."""
        return copy.deepcopy(self._info)

    def update_info(self, **fields: Any) -> None:
        """Merge ``fields`` into ``info.yaml`` and rewrite it atomically."""
        self._info.update(fields)
        self._write_info()

    def set_status(self, status: str, error: Optional[str] = None) -> None:
        """Record ``status`` (and, when finished, the end date and time) in ``info.yaml``."""
        fields: Dict[str, Any] = {"status": status, "error": error}
        if status == _layout.FAILED and os.path.exists(
                os.path.join(self._metadata_dir, _layout.CANCEL_MARKER)):
            fields["error"] = _layout.CANCELLED  # mlxp cancel sent the SIGTERM: keep its verdict
        if status in (_layout.COMPLETE, _layout.FAILED):
            now = local_now()
            fields["end_date"], fields["end_time"] = date_and_time(now)
            fields["ended_at"] = now.isoformat(timespec="milliseconds")
            fields["duration_seconds"] = seconds_since(self._info.get("started_at"), now)
        self.update_info(**fields)

    def _write_info(self) -> None:
        with _layout.info_lock(self._log_dir):
            if self._info.get("scheduler"):
                self._adopt_recorded_job()
            self.write_metadata(_layout.INFO_FILE, dump_yaml(self._info))

    def _adopt_recorded_job(self) -> None:
        """A job that started before its submitter recorded the job id takes it from disk."""
        recorded = read_run_info(self._log_dir) or {}
        on_disk = recorded.get("scheduler") or {}
        if on_disk.get("job_id") and not self._info["scheduler"].get("job_id"):
            self._info["scheduler"] = on_disk

    def write_metadata(self, file_name: str, text: str) -> None:
        """Atomically replace ``metadata/<file_name>`` with ``text``."""
        _layout.atomic_write_text(os.path.join(self._metadata_dir, file_name), text)

    # --- metrics -------------------------------------------------------------------------
    def log_metrics(self, metrics: Dict[str, Any], log_name: str = "train") -> None:
        """Append ``metrics`` as one JSON line to ``metrics/<log_name>.json``.

        The line is built and checked before anything is written, then written with a single
        ``write`` to a file opened for appending, so a bad value or a killed process never
        leaves half a line. numpy/torch scalars become numbers; NaN and inf are written as
        Python's json reads them back (``NaN``, ``Infinity``).

        Raises:
            InvalidNameError: ``log_name`` is protected or not a plain file name.
            MetricValueError: ``metrics`` is not a mapping, or a value cannot be written as
                JSON (the error names its key). Nothing is written.
        """
        self._metrics.log(metrics, log_name)

    def flush(self) -> None:
        """fsync every open metrics file, so the lines survive a machine crash too."""
        self._metrics.flush()

    def close(self) -> None:
        """Stop the heartbeat, fsync and close the metrics files, stop copying stdout/stderr,
        free the run; idempotent.

        Another process may open the run once this returns (see ``RunLockedError``).
        """
        try:
            self._close_files()
        finally:
            self._run_lock.release()

    def _close_files(self) -> None:
        """Everything ``close`` does but freeing the run: ``finish`` still writes the status."""
        if self._heartbeat is not None:
            self._heartbeat.stop()
        try:
            self._metrics.close()
        finally:
            if self._tee is not None:
                self._tee.close()
                self._tee = None

    def _start_metrics_over(self) -> None:
        """Set the metrics logged so far aside, in ``metrics/.attempt-<n>/``, and say so.

        Without a checkpoint, a resumed run redoes its work from the start: appending would
        log it twice. Nothing is deleted; ``info.yaml``'s ``metrics_set_aside`` lists them.
        """
        if self._metrics.holds_lines():
            attempt = self._metrics.set_aside()
            set_aside = list(self._info.get("metrics_set_aside") or [])
            self._info["metrics_set_aside"] = [*set_aside, f"{_layout.METRICS_DIR}/{attempt}"]

    # --- artifacts and checkpoints -----------------------------------------------------------
    def log_artifacts(self, artifact: Any, artifact_name: str, artifact_type: str) -> str:
        """Save ``artifact`` atomically to ``artifacts/<artifact_type>/<artifact_name><suffix>``.

        Returns:
            The path of the file written.

        Raises:
            InvalidNameError: the name is absolute or contains ``..`` (nothing is written).
            ArtifactError: the type is unknown or cannot save this object.
            MissingDependencyError: the type's package (numpy, torch, pillow) is missing.
        """
        return self._artifacts.log(artifact, artifact_name, artifact_type)

    def load_artifacts(
        self,
        artifact_name: str,
        artifact_type: Optional[str] = None,
        root: Optional[str] = None,
        trust_stored_code: bool = False,
    ) -> Any:
        """Load an artifact of this run, or of the run directory ``root`` (MLXP's argument).

        Its type is looked up in the run's ``artifacts/.keys`` when not given. A user type not
        registered in this process whose code the run stored runs only with
        ``trust_stored_code`` (see ``mlxp.register_artifact_type``).

        Raises:
            ArtifactError: there is no such artifact, or its type is ambiguous or unknown.
        """
        if root is None and not trust_stored_code:
            return self._artifacts.load(artifact_name, artifact_type)
        artifacts_dir = os.path.join(root or self._log_dir, _layout.ARTIFACTS_DIR)
        return RunArtifacts(artifacts_dir, trust_stored_code).load(artifact_name, artifact_type)

    def log_checkpoint(self, checkpoint: Any, log_name: str = "last_ckpt") -> str:
        """Pickle ``checkpoint`` atomically to ``artifacts/pickle/<log_name>.pkl``.

        A process killed while this runs leaves the previous checkpoint intact. The file also
        records how far each metrics file had got (after the object, invisible to
        ``pickle.load``), for ``load_checkpoint(rewind_metrics=True)``.
        """
        trailer = {_CHECKPOINT_METRICS: self._metrics.sizes()}
        return self._artifacts.log_checkpoint(checkpoint, log_name, trailer)

    def load_checkpoint(
        self, log_name: str = "last_ckpt", root: Optional[str] = None, rewind_metrics: bool = False
    ) -> Any:
        """The checkpoint saved as ``log_name``, or None when there is none yet (a fresh run).

        Args:
            log_name: the checkpoint's name. ``load_checkpoint("checkpoint")`` reads the one
                MLXP 1.0.5 wrote by default.
            root: read ``<root>/<log_name>`` (with or without ``.pkl``) instead, as MLXP does:
                a directory holding the checkpoint file, such as another run's
                ``artifacts/pickle``.
            rewind_metrics: also cut the metrics back to what they were when the checkpoint
                was saved. A resumed run redoes the epochs after its checkpoint; without this,
                a run killed between logging an epoch and checkpointing it logs it twice.
                With no checkpoint, the run starts over: the metrics logged so far are moved
                to ``metrics/.attempt-<n>/`` (``info.yaml``'s ``metrics_set_aside``).
        """
        if root is not None:
            return load_pickle_in(root, log_name)
        found = self._artifacts.load_checkpoint(log_name)
        if found is None:
            if rewind_metrics and self._metrics.holds_lines():
                self._start_metrics_over()
                self._write_info()
            return None
        checkpoint, trailer = found
        if rewind_metrics and isinstance(trailer, dict) and _CHECKPOINT_METRICS in trailer:
            self._metrics.rewind(trailer[_CHECKPOINT_METRICS])
        return checkpoint

    @staticmethod
    def register_artifact_type(
        name: str, save: Callable[[Any, str], None], load: Callable[[str], Any], suffix: str = ""
    ) -> None:
        """MLXP's method spelling of ``mlxp.artifacts.register_artifact_type``."""
        register_artifact_type(name, save, load, suffix)

    # --- end of the run ----------------------------------------------------------------------
    def finish(self, error: Optional[BaseException] = None) -> bool:
        """Close, then record COMPLETE, or FAILED with ``error`` described in ``info.yaml``;
        whether the end could be recorded.

        ``sys.exit(0)`` counts as COMPLETE. SIGTERM/SIGINT/SIGHUP are held back meanwhile, so
        a second signal cannot leave the run RUNNING. If ``info.yaml`` cannot be written (a
        full disk), one line on stderr says so and nothing is raised here: the task's own
        error, if any, goes on; ``mlxp status`` shows the run as LOST once its process ends
        (and ``@mlxp.launch`` exits 1 rather than report a success it could not record).
        """
        with deferred_signals():
            description = describe_exit(error)
            try:
                self._close_files()
                if self.log_streams_to_file and error is not None and description:
                    append_traceback(os.path.join(self._log_dir, _layout.STDERR_FILE), error)
            finally:
                try:
                    recorded = self._record_end(error, description)
                finally:  # only now may a resumed process take the run over
                    self._run_lock.release()
        return recorded

    def _record_end(self, error: Optional[BaseException], description: Optional[str]) -> bool:
        preempted = isinstance(error, RunPreempted)  # back in the queue: it will resume
        status = _layout.STARTING if preempted else (
            _layout.COMPLETE if description is None else _layout.FAILED)
        try:
            if preempted:
                self.update_info(status=status, error=None)
            else:
                self.set_status(status, error=description)
        except OSError as exc:
            print(f"mlxp: cannot record status {status} of run {self._log_dir}: {exc};"
                  " mlxp status will show it as LOST", file=sys.stderr)
            return False
        return True

    def __enter__(self) -> "Logger":
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        self.finish(exc)


DefaultLogger = Logger
