#!/bin/bash
#SBATCH --job-name=logs/1
#SBATCH --error=/home/me/project/logs/1/log.stderr
#SBATCH --output=/home/me/project/logs/1/log.stdout
#SBATCH --ntasks=1
#SBATCH --time=6:00:00
#SBATCH --qos=besteffort

cd /home/me/project/
python main.py optimizer.lr=10. seed=1
