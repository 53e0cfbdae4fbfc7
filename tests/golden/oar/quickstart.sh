#!/bin/bash
#OAR -n logs/1
#OAR -E /home/me/project/logs/1/log.stderr
#OAR -O /home/me/project/logs/1/log.stdout
#OAR -l core=1, walltime=6:00:00
#OAR -t besteffort
#OAR -t idempotent

cd /home/me/project/
python main.py optimizer.lr=10. seed=1
