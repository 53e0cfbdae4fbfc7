#!/bin/bash
#BSUB -J logs/1
#BSUB -e /root/logs/1/log.stderr
#BSUB -o /root/logs/1/log.stdout
#BSUB -n 1
#BSUB -W 6:00
#BSUB -q besteffort

cd /root/workdir/
python main.py optimizer.lr=10. seed=1
