#!/usr/bin/env bash
# Start a one-host Son of Grid Engine cell (Debian gridengine 8.1.9) as root
# without systemd and wait until it accepts jobs. Installs what is missing; safe
# to re-run (daemons already running are kept, the configuration re-applied).
SCHED=sge
# shellcheck source=ci/schedulers/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
COMMON=$SGE_ROOT/$SGE_CELL/common
SPOOL=/var/spool/gridengine

ensure_host_resolves
if ! dpkg-query -W -f='${Status}' gridengine-master 2>/dev/null | grep -q 'ok installed'; then
  # Preseed debconf, or the install stops to ask: configure automatically,
  # cell "default", this host is the master.
  for p in gridengine-common gridengine-client gridengine-exec gridengine-master; do
    echo "$p shared/gridengineconfig boolean true"
    echo "$p shared/gridenginecell string default"
    echo "$p shared/gridenginemaster string $HOST"
  done | debconf-set-selections
fi
ensure_packages gridengine-master gridengine-exec gridengine-client

# The master's postinst normally creates the cell (BerkeleyDB spool); redo it if skipped.
if [[ ! -e $SPOOL/spooldb/sge ]]; then
  mkdir -p "$SPOOL/qmaster/job_scripts" "$SPOOL/spooldb" "$COMMON"
  chown -R sgeadmin:sgeadmin "$SPOOL" "$SGE_ROOT/$SGE_CELL"
  [[ -f $COMMON/bootstrap ]] \
    || install -m 0644 -o sgeadmin -g sgeadmin /usr/share/gridengine/default-bootstrap "$COMMON/bootstrap"
  su -s /bin/sh -c "/usr/share/gridengine/scripts/init_cluster $SGE_ROOT $SGE_CELL $SPOOL/spooldb sgeadmin" sgeadmin
fi
install -d -o sgeadmin -g sgeadmin "$SPOOL/execd"
echo "$HOST" > "$COMMON/act_qmaster"

# The qmaster refuses a client whose stated name differs from the name its IP
# resolves back to ("access denied ... not identical to clients host name").
# /etc/hosts maps 127.0.0.1 to "localhost" first: declare both the same host.
ip=$(getent hosts "$HOST" | awk '{print $1; exit}')
back=$(getent hosts "$ip" | awk '{print $2; exit}')
if [[ -n $back && $back != "$HOST" ]]; then
  echo "$HOST $back" > "$COMMON/host_aliases"
else
  rm -f "$COMMON/host_aliases"
fi

qmaster_pid() { cat "$SPOOL/qmaster/qmaster.pid" 2>/dev/null || true; }
execd_pid() { cat "$SPOOL"/execd/*/execd.pid 2>/dev/null | head -n1 || true; }
qmaster_answers() { qconf -sh >/dev/null 2>&1; }

pid_alive "$(qmaster_pid)" || /usr/sbin/sge_qmaster
retry 150 0.2 qmaster_answers || die "sge_qmaster does not answer"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
qconf_quiet() { # qconf ARGS...: show qconf's output only when it fails
  local out
  out=$(qconf "$@" 2>&1) || { echo "qconf $*: $out" >&2; return 1; }
}
# edit_conf SHOW_ARGS MODIFY_FLAG NAME SED_EXPR...: dump a config, sed it, load it
# back. qconf -Mconf takes the configuration's name from the file name.
edit_conf() {
  local show=$1 modify=$2 f=$WORK/$3 args=() e
  shift 3
  qconf $show > "$f"
  for e in "$@"; do args+=(-e "$e"); done
  sed -i "${args[@]}" "$f"
  qconf_quiet "$modify" "$f"
}

# Global: root's jobs (uid/gid 0) allowed; no login shells (a login bash reads
# ~/.bashrc, whose `pyenv init` can hang 60 s on a stale lock left by a killed
# job); accounting flushed every second so qacct sees a job right after it ends.
edit_conf "-sconf global" -Mconf global \
  's/^min_uid .*/min_uid                      0/' \
  's/^min_gid .*/min_gid                      0/' \
  's/^login_shells .*/login_shells                 none/' \
  's/flush_time=[0-9:]*/flush_time=00:00:01/'
# Scheduler: run every second (default 15 s) and right after each submit/finish.
edit_conf -ssconf -Msconf sched_conf \
  's/^schedule_interval .*/schedule_interval                 0:0:1/' \
  's/^flush_submit_sec .*/flush_submit_sec                  1/' \
  's/^flush_finish_sec .*/flush_finish_sec                  1/'

qconf -ss 2>/dev/null | grep -qx "$HOST" || qconf_quiet -as "$HOST"
if ! qconf -sel 2>/dev/null | grep -qx "$HOST"; then
  {
    echo "hostname $HOST"
    for k in load_scaling complex_values user_lists xuser_lists projects xprojects usage_scaling report_variables; do
      echo "$k NONE"
    done
  } > "$WORK/exechost"
  qconf_quiet -Ae "$WORK/exechost"
fi

# Parallel environment "smp": `-pe smp N` asks for N cores on this host.
cat > "$WORK/pe" <<'PE'
pe_name            smp
slots              999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    $pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
PE
if qconf -spl 2>/dev/null | grep -qx smp; then qconf_quiet -Mp "$WORK/pe"; else qconf_quiet -Ap "$WORK/pe"; fi

# Queue all.q: one slot per core. shell_start_mode unix_behavior makes the
# script's own #! line choose the interpreter (posix_compliant would force /bin/sh).
{
  cat <<Q
qname                 all.q
hostlist              $HOST
seq_no                0
load_thresholds       NONE
suspend_thresholds    NONE
nsuspend              1
suspend_interval      00:05:00
priority              0
min_cpu_interval      00:05:00
processors            UNDEFINED
qtype                 BATCH INTERACTIVE
ckpt_list             NONE
pe_list               smp
rerun                 FALSE
slots                 $(nproc)
tmpdir                /tmp
shell                 /bin/bash
prolog                NONE
epilog                NONE
shell_start_mode      unix_behavior
starter_method        NONE
suspend_method        NONE
resume_method         NONE
terminate_method      NONE
notify                00:00:60
owner_list            NONE
user_lists            NONE
xuser_lists           NONE
subordinate_list      NONE
complex_values        NONE
projects              NONE
xprojects             NONE
calendar              NONE
initial_state         default
Q
  for limit in rt cpu fsize data stack core rss vmem; do
    printf 's_%-19s INFINITY\nh_%-19s INFINITY\n' "$limit" "$limit"
  done
} > "$WORK/queue"
if qconf -sql 2>/dev/null | grep -qx all.q; then qconf_quiet -Mq "$WORK/queue"; else qconf_quiet -Aq "$WORK/queue"; fi

pid_alive "$(execd_pid)" || /usr/sbin/sge_execd

# Ready: the queue instance reports a load value and carries no state flag ('au', 'E').
queue_line() { qstat -f -q "all.q@$HOST" 2>/dev/null | grep '^all.q@' || true; }
queue_ready() {
  local name qtype slots load arch states
  read -r name qtype slots load arch states <<<"$(queue_line)" || true
  [[ -n ${name:-} && ${load:-} != -NA- && -z ${states:-} ]]
}
retry 150 0.2 queue_ready || die "queue not ready: '$(queue_line)'"
qmod -c "all.q@$HOST" >/dev/null 2>&1 || true   # clear an error state left by an old job
say "ready (all.q@$HOST)"
