#!/usr/bin/env bash
if [ -z "${MLXP_ARRAY_TASK_ID:-}" ]; then
  exec >>/home/me/project/logs/.arrays/1-3.stdout 2>>/home/me/project/logs/.arrays/1-3.stderr
  seq 0 2 | xargs -P 2 -I{} env MLXP_ARRAY_TASK_ID={} "$0"
  exit
fi

case "$MLXP_ARRAY_TASK_ID" in
  0) exec >>/home/me/project/logs/1/log.stdout 2>>/home/me/project/logs/1/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py seed=1 mlxp.logger.forced_log_id=1' ;;
  1) exec >>/home/me/project/logs/2/log.stdout 2>>/home/me/project/logs/2/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py seed=2 mlxp.logger.forced_log_id=2' ;;
  2) exec >>/home/me/project/logs/3/log.stdout 2>>/home/me/project/logs/3/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py '"'"'note=it'"'"'"'"'"'"'"'"'s "quoted" & done'"'"' mlxp.logger.forced_log_id=3' ;;
  *) echo "mlxp: this array has tasks 0-2, not ${MLXP_ARRAY_TASK_ID:-none}" >&2
     exit 1 ;;
esac
module load cuda/12.1
export OMP_NUM_THREADS=1
cd '/home/me/my project'
eval "$mlxp_command"
echo finished
