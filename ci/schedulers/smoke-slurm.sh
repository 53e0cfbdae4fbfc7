#!/usr/bin/env bash
# Check the Slurm started by start-slurm.sh: a directive script runs and writes
# its stdout/stderr files, scancel works, an array runs, a bad directive is refused.
SCHED=slurm
# shellcheck source=ci/schedulers/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
enter_scratch_dir

state() { squeue -t all -h -j "$1" -o %T 2>/dev/null || true; }
finished() { [[ -z $(squeue -h -j "$1" 2>/dev/null) ]]; }   # plain squeue drops ended jobs

cat > job.sh <<'JOB'
#!/bin/bash
#SBATCH --job-name=smoke
#SBATCH --output=smoke.%j.out
#SBATCH --error=smoke.%j.err
#SBATCH --time=00:10:00
#SBATCH --cpus-per-task=1
echo "job $SLURM_JOB_ID name=$SLURM_JOB_NAME cpus=$SLURM_CPUS_PER_TASK"
echo oops >&2
JOB
t0=$(date +%s.%N)
out=$(sbatch job.sh)
[[ $out =~ ^Submitted\ batch\ job\ ([0-9]+)$ ]] || die "smoke: unexpected sbatch output: $out"
job=${BASH_REMATCH[1]}
retry 600 0.1 finished "$job" || die "smoke: job $job still queued after 60 s"
expect_line "smoke.$job.out" "job $job name=smoke cpus=1"
expect_line "smoke.$job.err" oops
[[ $(state "$job") == COMPLETED ]] || die "smoke: job $job ended $(state "$job")"
say "smoke: job $job COMPLETED in $(elapsed "$t0")s"

sleeper=$(sbatch --parsable -o /dev/null --wrap 'sleep 300')
[[ $(state "$sleeper") =~ ^(PENDING|RUNNING)$ ]] || die "smoke: sleeper $sleeper is $(state "$sleeper")"
scancel "$sleeper"
cancelled() { [[ $(state "$sleeper") == CANCELLED ]]; }
retry 100 0.1 cancelled || die "smoke: scancel left job $sleeper $(state "$sleeper")"
say "smoke: scancel ok"

array=$(sbatch --parsable --array=0-3 -o 'arr.%A_%a.out' --wrap 'echo $SLURM_ARRAY_TASK_ID')
retry 600 0.1 finished "$array" || die "smoke: array $array still queued after 60 s"
for i in 0 1 2 3; do expect_line "arr.${array}_$i.out" "$i"; done
say "smoke: array ok"

printf '#!/bin/bash\n#SBATCH --no-such-option\necho x\n' > bad.sh
expect_rejected bad.sh sbatch
say "smoke: OK"
