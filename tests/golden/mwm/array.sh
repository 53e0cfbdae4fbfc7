#!/usr/bin/env bash
#MSUB -N logs/1-3
#MSUB -e /home/me/project/logs/.arrays/1-3.stderr
#MSUB -o /home/me/project/logs/.arrays/1-3.stdout
#MSUB -t "logs/1-3[0-2]"
#MSUB -l nodes=1:ppn=1

case "$MOAB_JOBARRAYINDEX" in
  0) exec >>/home/me/project/logs/1/log.stdout 2>>/home/me/project/logs/1/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py seed=1 mlxp.logger.forced_log_id=1' ;;
  1) exec >>/home/me/project/logs/2/log.stdout 2>>/home/me/project/logs/2/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py seed=2 mlxp.logger.forced_log_id=2' ;;
  2) exec >>/home/me/project/logs/3/log.stdout 2>>/home/me/project/logs/3/log.stderr
     mlxp_command='srun -n $SLURM_NTASKS python main.py '"'"'note=it'"'"'"'"'"'"'"'"'s "quoted" & done'"'"' mlxp.logger.forced_log_id=3' ;;
  *) echo "mlxp: this array has tasks 0-2, not ${MOAB_JOBARRAYINDEX:-none}" >&2
     exit 1 ;;
esac
module load cuda/12.1
export OMP_NUM_THREADS=1
cd '/home/me/my project'
eval "$mlxp_command"
echo finished
