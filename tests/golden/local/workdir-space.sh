#!/usr/bin/env bash
exec >'/home/me/my project/my logs/12/log.stdout' 2>'/home/me/my project/my logs/12/log.stderr'

module load cuda/12.1
export OMP_NUM_THREADS=1
cd '/home/me/my project'
srun -n $SLURM_NTASKS '/opt/my env/bin/python' 'train model.py' 'data.path=/data/set 1'
echo finished
