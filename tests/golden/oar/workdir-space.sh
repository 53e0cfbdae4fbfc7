#!/usr/bin/env bash
#OAR -n my_logs/12
#OAR -E /home/me/my project/my logs/12/log.stderr
#OAR -O /home/me/my project/my logs/12/log.stdout
#OAR -l core=1, walltime=6:00:00

module load cuda/12.1
export OMP_NUM_THREADS=1
cd '/home/me/my project'
srun -n $SLURM_NTASKS '/opt/my env/bin/python' 'train model.py' 'data.path=/data/set 1'
echo finished
