#!/bin/bash
exec >/home/me/project/logs/1/log.stdout 2>/home/me/project/logs/1/log.stderr

cd /home/me/project/
python main.py optimizer.lr=10. seed=1
