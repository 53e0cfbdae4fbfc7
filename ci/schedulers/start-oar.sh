#!/usr/bin/env bash
# Start a one-node OAR 2.5 (server + node + user tools, PostgreSQL) as root
# without systemd and wait until it accepts jobs. Installs what is missing;
# safe to re-run. Root may submit: the admission rule against it is disabled.
#
# DANGER, handled below: with its stock configuration OAR's job resource
# manager runs `find /tmp/. /dev/shm/. /var/tmp/. -user <job owner> -delete`
# when the owner's last job on the node ends. Jobs submitted by root would wipe
# every root-owned file in /tmp (virtualenvs, checkouts, test directories).
# This script refuses to start OAR unless that purge is switched off.
SCHED=oar
# shellcheck source=ci/schedulers/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
CONF=/etc/oar/oar.conf

ensure_host_resolves
ensure_packages postgresql oar-server oar-server-pgsql oar-node oar-user oar-user-pgsql

conf_before=$(md5sum "$CONF")
# set_conf KEY VALUE: KEY=VALUE in oar.conf, replacing or appending.
set_conf() {
  if grep -q "^$1=" "$CONF"; then
    sed -i "s|^$1=.*|$1=$2|" "$CONF"
  else
    echo "$1=$2" >> "$CONF"
  fi
}
set_conf DB_BASE_PASSWD '"oar"'
set_conf DB_BASE_PASSWD_RO '"oar_ro"'
set_conf SCHEDULER_MIN_TIME_BETWEEN_2_CALLS 1   # default 5 s between scheduler runs

# --- the /tmp purge (see the top of this file) -------------------------------
# 1. No job resource manager at all (no cpusets; oarexec writes $OAR_NODEFILE itself).
sed -i 's|^JOB_RESOURCE_MANAGER_PROPERTY_DB_FIELD=|#JOB_RESOURCE_MANAGER_PROPERTY_DB_FIELD=|' "$CONF"
! grep -q '^JOB_RESOURCE_MANAGER_PROPERTY_DB_FIELD=' "$CONF" \
  || die "could not switch the job resource manager off; refusing to start"
# 2. Should someone switch it on again, it runs a copy without the purge.
STOCK_JRM=/etc/oar/job_resource_manager_cgroups.pl
SAFE_JRM=/etc/oar/job_resource_manager_cgroups_nopurge.pl
sed -e 's|^my @Tmp_dir_to_clear = .*|my @Tmp_dir_to_clear = (); # mlxp ci: never purge|' \
    -e 's|^\( *\)if (\$#cpusets < 0) {|\1if (0) { # mlxp ci: no /tmp, /dev/shm, /var/tmp or IPC purge|' \
    "$STOCK_JRM" > "$SAFE_JRM.new"
grep -q '^my @Tmp_dir_to_clear = ();' "$SAFE_JRM.new" && grep -q 'if (0) { # mlxp ci' "$SAFE_JRM.new" \
  || die "could not patch $STOCK_JRM; refusing to start"
mv "$SAFE_JRM.new" "$SAFE_JRM"
set_conf JOB_RESOURCE_MANAGER_FILE "\"$SAFE_JRM\""
grep -q "^JOB_RESOURCE_MANAGER_FILE=\"$SAFE_JRM\"" "$CONF" \
  || die "could not point JOB_RESOURCE_MANAGER_FILE at $SAFE_JRM; refusing to start"

# Jobs run with BASH_ENV=~oar/.batch_job_bashrc, which by default sources the
# owner's ~/.bashrc. When that runs a bash script (`eval "$(pyenv init -)"`),
# the exported BASH_ENV makes every child bash source it again: a fork bomb.
printf '# BASH_ENV of OAR batch jobs: kept empty by mlxp ci/schedulers/start-oar.sh\nunset BASH_ENV\n' \
  > /var/lib/oar/.batch_job_bashrc

# --- PostgreSQL: Debian's "main" cluster of the installed version ------------
PGV=$(pg_lsclusters -h | awk 'NR == 1 {print $1}')
if [[ -z $PGV ]]; then
  PGV=$(ls /usr/lib/postgresql | sort -V | tail -n1)
  pg_createcluster "$PGV" main >/dev/null
fi
pg_lsclusters -h | awk -v v="$PGV" '$1 == v && $2 == "main" {print $4}' | grep -q online \
  || pg_ctlcluster "$PGV" main start
pg_answers() { runuser -u postgres -- psql -Atqc 'select 1' >/dev/null 2>&1; }
retry 50 0.2 pg_answers || die "PostgreSQL does not answer"

# --- OAR database and resources: one resource per core of this host ----------
oar-database --check >/dev/null 2>&1 || oar-database --create --db-is-local -y >/dev/null
if ! oarnodes -l 2>/dev/null | grep -qx "$HOST"; then
  for prop in host cpu core; do
    flags=(-a "$prop")
    [[ $prop == host ]] && flags=(-c -a host)   # -c: a string property
    oarproperty -l | grep -qx "$prop" || oarproperty "${flags[@]}" >/dev/null
  done
  for ((c = 0; c < $(nproc); c++)); do
    oarnodesetting -a -h "$HOST" -p host="$HOST" -p cpu=1 -p core=$((c + 1)) -p cpuset=$c >/dev/null
  done
fi
# The stock admission rule "Prevent users oar and root to submit jobs": off.
rule=$(oaradmissionrules -S -Y 2>/dev/null | awk '
  /^--- \([0-9]+\) RULE #[0-9]+/ {id = $NF; sub("#", "", id)}
  /Prevent users oar and root/ {print id}')
[[ -z $rule ]] || oaradmissionrules -m "$rule" -N >/dev/null

# --- node side: the sshd (port 6667, user oar) through which jobs are started -
mkdir -p /run/sshd
pidfile_alive /run/oar-node_sshd.pid \
  || /usr/sbin/sshd -f /etc/oar/sshd_config -o PidFile=/run/oar-node_sshd.pid 2>/dev/null
node_ssh_ok() { runuser -u oar -- ssh -o BatchMode=yes -o ConnectTimeout=2 -p 6667 "$HOST" true 2>/dev/null; }
retry 50 0.2 node_ssh_ok || die "the node sshd on port 6667 does not let user oar in"

# --- server (Almighty). A running one is restarted when oar.conf changed. -----
if pidfile_alive /run/oar-server.pid && [[ $(md5sum "$CONF") != "$conf_before" ]]; then
  stop_pidfile /run/oar-server.pid "oar-server (to reload oar.conf)"
fi
pidfile_alive /run/oar-server.pid || /usr/sbin/oar-server

resource_states() { oarnodes -s 2>/dev/null | awk -F' : ' '/^ *[0-9]+ : / {print $2}' | sort -u; }
server_ready() {
  local states
  states=$(resource_states)
  if [[ $states == Alive ]] && (exec 3<>/dev/tcp/127.0.0.1/6666) 2>/dev/null; then return 0; fi
  [[ -z $states ]] || oarnodesetting -s Alive -h "$HOST" >/dev/null 2>&1 || true
  return 1
}
retry 100 0.3 server_ready || die "resources not Alive: $(resource_states | tr '\n' ' ')"
say "ready ($HOST, $(nproc) core resources)"
