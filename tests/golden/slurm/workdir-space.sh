#!/usr/bin/env bash
#SBATCH --job-name=my_logs/12
#SBATCH --error="/home/me/my project/my logs/12/log.stderr"
#SBATCH --output="/home/me/my project/my logs/12/log.stdout"
#SBATCH --ntasks=1

module load cuda/12.1
export OMP_NUM_THREADS=1
cd '/home/me/my project'
srun -n $SLURM_NTASKS '/opt/my env/bin/python' 'train model.py' 'data.path=/data/set 1'
echo finished
