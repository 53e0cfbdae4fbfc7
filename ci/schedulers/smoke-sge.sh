#!/usr/bin/env bash
# Check the SGE started by start-sge.sh: a directive script runs and writes its
# stdout/stderr files, qacct sees it, qdel works, an array runs, a bad directive is refused.
SCHED=sge
# shellcheck source=ci/schedulers/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
enter_scratch_dir

finished() { ! qstat -j "$1" >/dev/null 2>&1; }   # rc 1 once the job has left the queue
accounted() { qacct -j "$1" >/dev/null 2>&1; }

cat > job.sh <<'JOB'
#!/bin/bash
#$ -N smoke
#$ -o smoke.out
#$ -e smoke.err
#$ -cwd
#$ -l h_rt=00:10:00
#$ -pe smp 1
echo "job $JOB_ID name=$JOB_NAME slots=$NSLOTS bash=${BASH_VERSION%%.*}"
echo oops >&2
JOB
t0=$(date +%s.%N)
out=$(qsub job.sh)
[[ $out =~ ^Your\ job\ ([0-9]+)\ \(\"smoke\"\)\ has\ been\ submitted$ ]] || die "smoke: unexpected qsub output: $out"
job=${BASH_REMATCH[1]}
retry 600 0.1 finished "$job" || die "smoke: job $job still queued after 60 s"
expect_line smoke.out "job $job name=smoke slots=1 bash=5"
expect_line smoke.err oops
say "smoke: job $job done in $(elapsed "$t0")s"
retry 50 0.2 accounted "$job" || die "smoke: qacct does not know job $job"
qacct -j "$job" | grep -Eq '^exit_status +0' || die "smoke: job $job exit status: $(qacct -j "$job" | grep exit_status)"
say "smoke: qacct exit_status 0"

sleeper=$(qsub -terse -b y -o /dev/null -j y sleep 300)
[[ $sleeper =~ ^[0-9]+$ ]] || die "smoke: unexpected qsub -terse output: $sleeper"
qdel "$sleeper" >/dev/null
retry 100 0.1 finished "$sleeper" || die "smoke: qdel left job $sleeper queued"
say "smoke: qdel ok"

array=$(qsub -terse -cwd -N arr -o 'arr.$TASK_ID.out' -j y -t 1-4 -b y 'echo $SGE_TASK_ID')
array=${array%%.*}   # "N.1-4:1"
retry 600 0.1 finished "$array" || die "smoke: array $array still queued after 60 s"
for i in 1 2 3 4; do expect_line "arr.$i.out" "$i"; done
say "smoke: array ok"

printf '#!/bin/bash\n#$ -no-such-option\necho x\n' > bad.sh
expect_rejected bad.sh qsub
say "smoke: OK"
