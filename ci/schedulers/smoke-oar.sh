#!/usr/bin/env bash
# Check the OAR started by start-oar.sh: a directive script runs and writes its
# stdout/stderr files, oardel works, an array runs, a bad directive is refused,
# and (the trap start-oar.sh disarms) root's files in /tmp survive root's jobs.
SCHED=oar
# shellcheck source=ci/schedulers/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
enter_scratch_dir
sentinel=$PWD/sentinel-owned-by-root   # under /tmp, owned by root: must survive
touch "$sentinel"

state() { oarstat -s -j "$1" 2>/dev/null | awk -F': ' '{print $2}'; }
ended() { [[ $(state "$1") =~ ^(Terminated|Error)$ ]]; }
job_ids() { sed -n 's/^OAR_JOB_ID=//p'; }   # oarsub prints [ADMISSION RULE] lines first

cat > job.sh <<'JOB'
#!/bin/bash
#OAR -n smoke
#OAR -O smoke.%jobid%.out
#OAR -E smoke.%jobid%.err
#OAR -l core=1,walltime=0:10:00
echo "job $OAR_JOB_ID name=$OAR_JOB_NAME nodes=$(sort -u "$OAR_NODEFILE")"
echo oops >&2
JOB
chmod +x job.sh   # oarsub -S accepts a non-executable script, then the job fails
t0=$(date +%s.%N)
out=$(oarsub -S ./job.sh)
job=$(job_ids <<<"$out")
[[ $job =~ ^[0-9]+$ ]] || die "smoke: unexpected oarsub output: $out"
retry 600 0.1 ended "$job" || die "smoke: job $job still $(state "$job") after 60 s"
[[ $(state "$job") == Terminated ]] || die "smoke: job $job ended $(state "$job")"
expect_line "smoke.$job.out" "job $job name=smoke nodes=$HOST"
expect_line "smoke.$job.err" oops
say "smoke: job $job Terminated in $(elapsed "$t0")s"

sleeper=$(oarsub -l core=1,walltime=0:05:00 -O /dev/null -E /dev/null 'sleep 300' | job_ids)
running() { [[ $(state "$sleeper") == Running ]]; }
retry 100 0.1 running || die "smoke: sleeper $sleeper is $(state "$sleeper")"
oardel "$sleeper" >/dev/null
retry 600 0.1 ended "$sleeper" || die "smoke: oardel left job $sleeper $(state "$sleeper")"
[[ $(state "$sleeper") == Error ]] || die "smoke: deleted job $sleeper ended $(state "$sleeper")"
say "smoke: oardel ok"

out=$(oarsub --array 3 -l core=1,walltime=0:05:00 -O 'arr.%jobid%.out' -E /dev/null 'echo $OAR_ARRAY_INDEX')
ids=$(job_ids <<<"$out")
[[ $(wc -w <<<"$ids") == 3 ]] && grep -q '^OAR_ARRAY_ID=' <<<"$out" || die "smoke: unexpected array output: $out"
for j in $ids; do retry 600 0.1 ended "$j" || die "smoke: array job $j still $(state "$j")"; done
[[ $(sort arr.*.out | tr '\n' ' ') == "1 2 3 " ]] || die "smoke: array outputs: $(cat arr.*.out)"
say "smoke: array ok"

printf '#!/bin/bash\n#OAR --no-such-option\necho x\n' > bad.sh
chmod +x bad.sh
expect_rejected ./bad.sh oarsub -S
[[ -e $sentinel ]] || die "smoke: root's file $sentinel in /tmp was deleted: the /tmp purge is on"
say "smoke: /tmp kept"
say "smoke: OK"
