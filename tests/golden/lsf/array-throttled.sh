#!/usr/bin/env bash
#BSUB -J "logs_1-3[1-3]%2"
#BSUB -e /root/logs/.arrays/1-3.%J_%I.stderr
#BSUB -o /root/logs/.arrays/1-3.%J_%I.stdout
#BSUB -n 1

case "$LSB_JOBINDEX" in
  1) exec >>/root/logs/1/log.stdout 2>>/root/logs/1/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py seed=1 mlxp.logger.forced_log_id=1' ;;
  2) exec >>/root/logs/2/log.stdout 2>>/root/logs/2/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py seed=2 mlxp.logger.forced_log_id=2' ;;
  3) exec >>/root/logs/3/log.stdout 2>>/root/logs/3/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py '"'"'note=it'"'"'"'"'"'"'"'"'s "quoted" & done'"'"' mlxp.logger.forced_log_id=3' ;;
  *) echo "mlxp: this array has tasks 1-3, not ${LSB_JOBINDEX:-none}" >&2
     exit 1 ;;
esac
module load cuda/12.1
export OMP_NUM_THREADS=1
cd '/home/me/my project'
eval "$mlxp_command"
echo finished
