#!/bin/bash
#$ -N logs_1
#$ -e /home/me/project/logs/1/log.stderr
#$ -o /home/me/project/logs/1/log.stdout
#$ -pe smp 1
#$ -l h_rt=6:00:00
#$ -q besteffort.q

cd /home/me/project/
python main.py optimizer.lr=10. seed=1
