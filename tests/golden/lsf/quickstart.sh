#!/bin/bash
#BSUB -J logs/1
#BSUB -e /home/me/project/logs/1/log.stderr
#BSUB -o /home/me/project/logs/1/log.stdout
#BSUB -n 1
#BSUB -W 6:00
#BSUB -q besteffort

cd /home/me/project/
python main.py optimizer.lr=10. seed=1
