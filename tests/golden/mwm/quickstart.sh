#!/bin/bash
#MSUB -N logs/1
#MSUB -e /home/me/project/logs/1/log.stderr
#MSUB -o /home/me/project/logs/1/log.stdout
#MSUB -l nodes=1:ppn=1
#MSUB -l walltime=6:00:00
#MSUB -q besteffort

cd /home/me/project/
python main.py optimizer.lr=10. seed=1
