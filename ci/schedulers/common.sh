# Helpers shared by ci/schedulers/{start,stop,smoke}-*.sh. Sourced, never run.
#
# The machines we target (Debian bookworm containers, root, no systemd) never
# start daemons from package scripts (policy-rc.d exits 101), so every daemon is
# started by hand and tracked through its PID file.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

HOST=$(hostname -s)
: "${SCHED:=scheduler}"   # set by the caller; prefixes every message

say() { echo "$SCHED: $*"; }
die() { echo "$SCHED: $*" >&2; exit 1; }

# pid_alive PID: the process runs. A zombie counts as dead: PID 1 in these
# containers reaps daemonized children late, so `kill -0` would lie.
pid_alive() {
  [[ -n ${1:-} && -r /proc/$1/stat ]] || return 1
  [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

pid_gone() { ! pid_alive "$1"; }

# pidfile_alive FILE: the PID written in FILE runs.
pidfile_alive() { pid_alive "$(cat "$1" 2>/dev/null || true)"; }

# retry TRIES SECONDS CMD...: run CMD until it succeeds, at most TRIES times.
retry() {
  local tries=$1 pause=$2; shift 2
  local i
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    sleep "$pause"
  done
  return 1
}

# ensure_packages PKG...: install what is missing; `apt-get update` only then.
ensure_packages() {
  local missing=() p t0=$SECONDS
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  say "installed ${missing[*]} in $((SECONDS - t0))s"
}

# ensure_host_resolves: daemons look themselves up by `hostname -s`.
ensure_host_resolves() {
  getent hosts "$HOST" >/dev/null || echo "127.0.0.1 $HOST" >> /etc/hosts
}

# stop_pid PID NAME [TRIES]: TERM, wait TRIES x 0.1 s, then KILL.
stop_pid() {
  local pid=$1 name=$2 tries=${3:-100}
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  retry "$tries" 0.1 pid_gone "$pid" || true
  if pid_alive "$pid"; then
    echo "$SCHED: $name ($pid) ignored TERM, sending KILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  say "stopped $name ($pid)"
}

# stop_pidfile FILE NAME [TRIES]: stop_pid on the PID in FILE, then remove FILE.
stop_pidfile() {
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  [[ -n $pid ]] && stop_pid "$pid" "$2" "${3:-100}"
  rm -f "$1"
}

# Smoke-test helpers ---------------------------------------------------------

# enter_scratch_dir: cd into a fresh directory that is removed on exit.
enter_scratch_dir() {
  SCRATCH=$(mktemp -d)
  chmod 755 "$SCRATCH"
  trap 'cd /; rm -rf "$SCRATCH"' EXIT
  cd "$SCRATCH"
}

# elapsed T0: seconds since T0 (a `date +%s.%N` value), two decimals.
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}'; }

# expect_line FILE LINE: FILE contains LINE exactly, else fail with its content.
expect_line() {
  grep -qxF -- "$2" "$1" 2>/dev/null && return 0
  echo "$SCHED smoke: expected line '$2' in $1, got:" >&2
  cat "$1" >&2 2>/dev/null || echo "  (no such file)" >&2
  exit 1
}

# expect_rejected SCRIPT SUBMIT...: the scheduler must refuse SCRIPT; shows why.
expect_rejected() {
  local script=$1; shift
  if "$@" "$script" >rejected.txt 2>&1; then
    die "smoke: invalid directive accepted: $(cat rejected.txt)"
  fi
  say "smoke: invalid directive rejected: $(grep -v '^\[ADMISSION RULE\]' rejected.txt | head -n1)"
}
