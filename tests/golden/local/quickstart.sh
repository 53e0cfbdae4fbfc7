#!/bin/bash
exec >/root/logs/1/log.stdout 2>/root/logs/1/log.stderr

cd /root/workdir/
python main.py optimizer.lr=10. seed=1
