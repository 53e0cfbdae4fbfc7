#!/usr/bin/env bash
#$ -N my_logs_12
#$ -e "/home/me/my project/my logs/12/log.stderr"
#$ -o "/home/me/my project/my logs/12/log.stdout"
#$ -pe smp 1

module load cuda/12.1
export OMP_NUM_THREADS=1
cd '/home/me/my project'
srun -n $SLURM_NTASKS '/opt/my env/bin/python' 'train model.py' 'data.path=/data/set 1'
echo finished
