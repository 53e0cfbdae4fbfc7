#!/bin/bash
#SBATCH --job-name=logs/1
#SBATCH --error=/root/logs/1/log.stderr
#SBATCH --output=/root/logs/1/log.stdout
#SBATCH --ntasks=1
#SBATCH --time=6:00:00
#SBATCH --qos=besteffort

cd /root/workdir/
python main.py optimizer.lr=10. seed=1
