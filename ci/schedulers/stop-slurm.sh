#!/usr/bin/env bash
# Stop the Slurm started by start-slurm.sh: cancel its jobs, then stop the
# daemons by PID file. Env: STOP_MUNGE=0 keeps munged running.
SCHED=slurm
# shellcheck source=ci/schedulers/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
set +e   # stop as much as possible
if pidfile_alive /run/slurmctld.pid; then
  ids=$(squeue -h -o %i 2>/dev/null)
  [[ -z $ids ]] || { scancel $ids 2>/dev/null; sleep 1; }
fi
stop_pidfile /run/slurmd.pid slurmd
stop_pidfile /run/slurmctld.pid slurmctld
[[ ${STOP_MUNGE:-1} != 1 ]] || stop_pidfile /run/munge/munged.pid munged
exit 0
