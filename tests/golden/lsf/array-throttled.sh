#!/usr/bin/env bash
#BSUB -J "logs_1-3[1-3]%2"
#BSUB -e /home/me/project/logs/.arrays/1-3.%J_%I.stderr
#BSUB -o /home/me/project/logs/.arrays/1-3.%J_%I.stdout
#BSUB -n 1

case "$LSB_JOBINDEX" in
  1) exec >>/home/me/project/logs/1/log.stdout 2>>/home/me/project/logs/1/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py seed=1 mlxp.logger.forced_log_id=1' ;;
  2) exec >>/home/me/project/logs/2/log.stdout 2>>/home/me/project/logs/2/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py seed=2 mlxp.logger.forced_log_id=2' ;;
  3) exec >>/home/me/project/logs/3/log.stdout 2>>/home/me/project/logs/3/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py '"'"'note=it'"'"'"'"'"'"'"'"'s "quoted" & done'"'"' mlxp.logger.forced_log_id=3' ;;
  *) echo "mlxp: this array has tasks 1-3, not ${LSB_JOBINDEX:-none}" >&2
     exit 1 ;;
esac
module load cuda/12.1
export OMP_NUM_THREADS=1
cd '/home/me/my project'
eval "$mlxp_command"
echo finished
