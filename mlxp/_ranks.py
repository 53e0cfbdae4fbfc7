"""Multi-process jobs (``srun -n 4``, ``torchrun``, MPI): only rank 0 writes the run.

Every process of such a job runs the same task with the same config. If each one logged,
they would race on one run directory (or allocate one each). The launcher gives the
processes of rank >= 1 a ``RankLogger``: the same interface, writing nothing.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from mlxp import _layout
from mlxp.artifacts import RunArtifacts, load_pickle_in
from mlxp.logger import Logger

# Global ranks, most specific launcher first: torchrun/accelerate set RANK per worker even
# inside a SLURM step, whose SLURM_PROCID is then the same for every worker. LOCAL_RANK
# is only the rank on one node: not enough on its own.
RANK_VARIABLES = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK")


def process_rank() -> int:
    """This process's global rank in a multi-process job; 0 outside of one."""
    for variable in RANK_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value.isdigit():
            return int(value)
    return 0


class RankLogger(Logger):
    """The logger of a process of rank >= 1: it writes nothing and reads the run if known.

    ``log_metrics``, ``log_artifacts``, ``log_checkpoint``, ``update_info`` and ``finish``
    do nothing. With ``forced_log_id`` the run directory is known: ``log_dir`` names it
    and ``load_checkpoint``/``load_artifacts`` read what rank 0 saved there. Otherwise
    ``log_dir`` is None (rank 0 allocates the id) and there is nothing to load.
    """

    def __init__(self, parent_log_dir: str, forced_log_id: int, rank: int) -> None:
        # No Logger.__init__: it would claim and lock the run directory.
        self.rank = rank
        self.log_streams_to_file = False
        self._parent_log_dir = os.path.abspath(os.path.expanduser(parent_log_dir))
        self._log_id = forced_log_id
        self._run_dir = (os.path.join(self._parent_log_dir, str(forced_log_id))
                         if forced_log_id >= 0 else None)

    @property
    def log_dir(self) -> Optional[str]:  # type: ignore[override]  # None: rank 0 picks it
        """The run directory rank 0 writes, or None when its id is allocated there."""
        return self._run_dir

    def _sub_dir(self, name: str) -> Optional[str]:
        return os.path.join(self._run_dir, name) if self._run_dir else None

    @property
    def metadata_dir(self) -> Optional[str]:  # type: ignore[override]
        return self._sub_dir(_layout.METADATA_DIR)

    @property
    def metrics_dir(self) -> Optional[str]:  # type: ignore[override]
        return self._sub_dir(_layout.METRICS_DIR)

    @property
    def artifacts_dir(self) -> Optional[str]:  # type: ignore[override]
        return self._sub_dir(_layout.ARTIFACTS_DIR)

    def get_info(self) -> Dict[str, Any]:
        return {}

    def update_info(self, **fields: Any) -> None:
        pass

    def set_status(self, status: str, error: Optional[str] = None) -> None:
        pass

    def write_metadata(self, file_name: str, text: str) -> None:
        pass

    def log_metrics(self, metrics: Dict[str, Any], log_name: str = "train") -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def finish(self, error: Optional[BaseException] = None) -> bool:
        return True  # rank 0 records the end

    def log_artifacts(self, artifact: Any, artifact_name: str, artifact_type: str) -> str:
        """Nothing is saved; returns ``""``."""
        return ""

    def log_checkpoint(self, checkpoint: Any, log_name: str = "last_ckpt") -> str:
        """Nothing is saved; returns ``""``."""
        return ""

    def load_artifacts(self, artifact_name: str, artifact_type: Optional[str] = None,
                       root: Optional[str] = None, trust_stored_code: bool = False) -> Any:
        """What rank 0 saved as ``artifact_name`` (``ArtifactError`` when the run is unknown),
        or what the run directory ``root`` holds (``Logger.load_artifacts``)."""
        artifacts_dir = os.path.join(root, _layout.ARTIFACTS_DIR) if root else self.artifacts_dir
        return RunArtifacts(artifacts_dir or "", trust_stored_code).load(
            artifact_name, artifact_type)

    def load_checkpoint(self, log_name: str = "last_ckpt", root: Optional[str] = None,
                        rewind_metrics: bool = False) -> Any:
        """The checkpoint rank 0 saved (or ``<root>/<log_name>``), or None; the metrics are
        rank 0's to rewind."""
        if root is not None:
            return load_pickle_in(root, log_name)
        if self.artifacts_dir is None:
            return None
        found = RunArtifacts(self.artifacts_dir).load_checkpoint(log_name)
        return None if found is None else found[0]

    def __repr__(self) -> str:
        return f"RankLogger(rank={self.rank}, log_dir={self._run_dir!r})"
