#!/usr/bin/env bash
# Stop the SGE started by start-sge.sh: delete every job, then stop the execd
# and the qmaster by PID (both leave their PID files behind).
SCHED=sge
# shellcheck source=ci/schedulers/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
set +e   # stop as much as possible
SPOOL=/var/spool/gridengine
qmaster=$(cat "$SPOOL/qmaster/qmaster.pid" 2>/dev/null)
if pid_alive "$qmaster"; then
  qdel -f -u '*' >/dev/null 2>&1 && sleep 1
fi
for f in "$SPOOL"/execd/*/execd.pid; do
  [[ -f $f ]] && stop_pid "$(cat "$f")" sge_execd
done
stop_pid "$qmaster" sge_qmaster 300   # the qmaster takes 7-9 s to exit
exit 0
