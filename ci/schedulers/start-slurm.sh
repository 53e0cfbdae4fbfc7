#!/usr/bin/env bash
# Start a one-node Slurm (Debian bookworm packages) as root without systemd and
# wait until it accepts jobs. Installs what is missing; safe to re-run (daemons
# already running are kept and reconfigured).
# Env: SLURM_CLEAN_STATE=1 starts slurmctld with -c (forget old jobs, ids restart at 1).
SCHED=slurm
# shellcheck source=ci/schedulers/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_packages munge slurmctld slurmd slurm-client
ensure_host_resolves   # slurmd finds its NodeName from `hostname -s`

CONF=/etc/slurm/slurm.conf
MARK="# written by mlxp ci/schedulers/start-slurm.sh"
if [[ -f $CONF ]] && ! grep -qF "$MARK" "$CONF"; then
  cp -a "$CONF" "$CONF.orig.$(date +%s)"   # keep a config we did not write
fi
mkdir -p /etc/slurm /var/spool/slurmd /var/spool/slurmctld /var/log/slurm
# `slurmd -C` prints this machine's real CPU/memory layout as a NodeName line.
{
  echo "$MARK"
  cat <<CONF
ClusterName=local
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
# A requeued job may start again once its old credential expires (default 120 s): the
# requeue tests should not wait two minutes.
AuthInfo=cred_expire=10
MpiDefault=none
# no cgroups in the container: track processes by /proc, bind nothing
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# jobs start on the next 1 s tick instead of up to 3 s later
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
# refuse at submission what can never run (else: PENDING forever)
EnforcePartLimits=ALL
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
$(slurmd -C | head -n1) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
} > "$CONF.new"
mv "$CONF.new" "$CONF"

# munge authenticates every Slurm RPC
if [[ ! -s /etc/munge/munge.key ]]; then
  mungekey --create --keyfile=/etc/munge/munge.key --force
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 755 /run/munge
pidfile_alive /run/munge/munged.pid || runuser -u munge -- /usr/sbin/munged
munge_ok() { munge -n </dev/null | unmunge >/dev/null 2>&1; }
retry 50 0.1 munge_ok || die "munged does not answer"

if pidfile_alive /run/slurmctld.pid; then
  scontrol reconfigure || true
elif [[ ${SLURM_CLEAN_STATE:-0} == 1 ]]; then
  /usr/sbin/slurmctld -c
else
  /usr/sbin/slurmctld
fi
pidfile_alive /run/slurmd.pid || /usr/sbin/slurmd

node_state() { sinfo -h -N -n "$HOST" -o '%t' 2>/dev/null || true; }
node_ready() {
  local st
  st=$(node_state)
  case $st in
    idle | mix | alloc | comp) return 0 ;;
    down* | drain* | drng | fail* | inval) scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true ;;
  esac
  return 1
}
retry 120 0.5 node_ready || die "node $HOST not ready (state '$(node_state)'); see /var/log/slurm/"
say "ready (node $HOST, state $(node_state))"
