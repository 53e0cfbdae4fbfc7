#!/bin/bash
#PBS -N logs/1
#PBS -e /home/me/project/logs/1/log.stderr
#PBS -o /home/me/project/logs/1/log.stdout
#PBS -l nodes=1:ppn=1
#PBS -l walltime=6:00:00
#PBS -q besteffort

cd /home/me/project/
python main.py optimizer.lr=10. seed=1
