#!/usr/bin/env bash
# Stop the OAR started by start-oar.sh: delete its jobs, stop Almighty, the
# node sshd (port 6667) and PostgreSQL. Env: STOP_POSTGRES=0 keeps PostgreSQL.
SCHED=oar
# shellcheck source=ci/schedulers/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
set +e   # stop as much as possible
queued() { oarstat 2>/dev/null | awk '$1 ~ /^[0-9]+$/ {print $1}'; }
no_jobs() { [[ -z $(queued) ]]; }
if pidfile_alive /run/oar-server.pid; then
  ids=$(queued)
  if [[ -n $ids ]]; then
    oardel $ids >/dev/null 2>&1
    retry 50 0.2 no_jobs
  fi
fi
stop_pidfile /run/oar-server.pid "oar-server (Almighty)"
stop_pidfile /run/oar-node_sshd.pid "oar-node sshd"
if [[ ${STOP_POSTGRES:-1} == 1 ]] && command -v pg_lsclusters >/dev/null; then
  pg_lsclusters -h | awk '$4 == "online" {print $1, $2}' | while read -r version cluster; do
    pg_ctlcluster "$version" "$cluster" stop && say "stopped postgresql $version/$cluster"
  done
fi
exit 0
