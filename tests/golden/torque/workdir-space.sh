#!/usr/bin/env bash
#PBS -N my_logs/12
#PBS -e "/home/me/my project/my logs/12/log.stderr"
#PBS -o "/home/me/my project/my logs/12/log.stdout"
#PBS -l nodes=1:ppn=1

module load cuda/12.1
export OMP_NUM_THREADS=1
cd '/home/me/my project'
srun -n $SLURM_NTASKS '/opt/my env/bin/python' 'train model.py' 'data.path=/data/set 1'
echo finished
